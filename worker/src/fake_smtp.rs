//! A small SMTP sink for tests: a real SMTP conversation on loopback (RFC 5321 — EHLO/HELO,
//! MAIL, RCPT, DATA with dot-stuffing, RSET, NOOP, QUIT) that captures each accepted message's
//! envelope and raw bytes, and can be told to refuse a recipient (550) or to answer 451.
//! Only built with the `test-fakes` feature.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// The message as received (after removing dot-stuffing), CRLF line ends.
    pub data: String,
}

impl Captured {
    /// The value of the first header `name` (case-insensitive), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next()?;
        let mut found: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(v) = found.as_mut() {
                if line.starts_with([' ', '\t']) {
                    v.push(' ');
                    v.push_str(line.trim());
                    continue;
                }
                break;
            }
            if let Some((n, v)) = line.split_once(':')
                && n.eq_ignore_ascii_case(name)
            {
                found = Some(v.trim().to_owned());
            }
        }
        found
    }
}

#[derive(Default)]
pub struct SmtpState {
    pub messages: Vec<Captured>,
    /// Recipients answered `550 5.1.1` at RCPT.
    pub unknown_mailboxes: HashSet<String>,
    /// Answer the next RCPT commands with these codes (e.g. 451) instead of accepting.
    pub fail_next: VecDeque<u16>,
    /// Connections accepted so far.
    pub connections: usize,
}

#[derive(Clone, Default)]
pub struct FakeSmtp(pub Arc<Mutex<SmtpState>>);

impl FakeSmtp {
    pub fn messages_to(&self, to: &str) -> Vec<Captured> {
        self.0
            .lock()
            .expect("fake state")
            .messages
            .iter()
            .filter(|m| m.rcpt_to.iter().any(|r| r == to))
            .cloned()
            .collect()
    }
}

/// Start the sink on a free loopback port; returns it and its `smtp://127.0.0.1:port` URL.
pub async fn start() -> (FakeSmtp, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let fake = FakeSmtp::default();
    let state = fake.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            state.0.lock().unwrap().connections += 1;
            tokio::spawn(session(stream, state.clone()));
        }
    });
    (fake, format!("smtp://{addr}"))
}

fn address(arg: &str) -> String {
    let arg = arg.trim();
    match (arg.find('<'), arg.find('>')) {
        (Some(a), Some(b)) if a < b => arg[a + 1..b].to_owned(),
        _ => arg.split_whitespace().next().unwrap_or_default().to_owned(),
    }
}

async fn session(stream: TcpStream, fake: FakeSmtp) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 fake-smtp ESMTP ready\r\n").await?;
    let mut mail_from: Option<String> = None;
    let mut rcpt_to: Vec<String> = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end_matches(['\r', '\n']);
        let (verb, arg) = command.split_once(' ').unwrap_or((command, ""));
        let reply: String = match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                "250-fake-smtp greets you\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760\r\n"
                    .into()
            }
            "HELO" => "250 fake-smtp\r\n".into(),
            "NOOP" => "250 2.0.0 OK\r\n".into(),
            "RSET" => {
                mail_from = None;
                rcpt_to.clear();
                "250 2.0.0 OK\r\n".into()
            }
            "QUIT" => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            "MAIL" if arg.to_ascii_uppercase().starts_with("FROM:") => {
                mail_from = Some(address(&arg[5..]));
                rcpt_to.clear();
                "250 2.1.0 OK\r\n".into()
            }
            "RCPT" if arg.to_ascii_uppercase().starts_with("TO:") => {
                let to = address(&arg[3..]);
                let mut state = fake.0.lock().unwrap();
                if mail_from.is_none() {
                    "503 5.5.1 MAIL first\r\n".into()
                } else if let Some(code) = state.fail_next.pop_front() {
                    format!("{code} 4.3.0 injected failure\r\n")
                } else if state.unknown_mailboxes.contains(&to) {
                    format!("550 5.1.1 <{to}>: Recipient address rejected: User unknown\r\n")
                } else {
                    rcpt_to.push(to);
                    "250 2.1.5 OK\r\n".into()
                }
            }
            "DATA" if mail_from.is_none() || rcpt_to.is_empty() => {
                "503 5.5.1 RCPT first\r\n".into()
            }
            "DATA" => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    // RFC 5321 4.5.2: a leading dot was doubled by the client.
                    let l = line.strip_prefix('.').unwrap_or(&line);
                    data.push_str(l);
                }
                let mut state = fake.0.lock().unwrap();
                state.messages.push(Captured {
                    mail_from: mail_from.take().unwrap_or_default(),
                    rcpt_to: std::mem::take(&mut rcpt_to),
                    data,
                });
                format!("250 2.0.0 Ok: queued as FAKE{}\r\n", state.messages.len())
            }
            _ => "502 5.5.2 Command not recognised\r\n".into(),
        };
        write.write_all(reply.as_bytes()).await?;
    }
}
