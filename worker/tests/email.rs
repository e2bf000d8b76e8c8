//! The SMTP client against a real SMTP conversation with the sink in `fake_smtp`: what goes
//! over the wire (headers, both parts, unsubscribe), and how the server's answers are read.

use rentdesk_worker::email::{EmailConfig, EmailError, Mailer, OutgoingEmail, SmtpUrl};
use rentdesk_worker::fake_smtp::{self, Captured};
use std::time::Duration;

fn mailer(url: &str) -> Mailer {
    Mailer::new(EmailConfig {
        smtp: SmtpUrl::parse(url).unwrap(),
        from: "Rent team <rent@landlord.example>".parse().unwrap(),
        public_url: "https://rent.landlord.example/".into(),
        link_key: rentdesk_config::Secret::new("unsubscribe-test-key"),
        timeout: Duration::from_secs(5),
    })
    .unwrap()
}

fn email<'a>(to: &'a str, text: &'a str) -> OutgoingEmail<'a> {
    OutgoingEmail {
        to,
        subject: "Your rent payment",
        text,
        message_id: 42,
        idempotency_key: "rule:missed_payment:tenancy:1:2026-11-10:missed",
    }
}

const TEXT: &str = "Hi Karen <script>, your landlord here.\n\nWe're writing because we have not received your rent payment of £98.50 due 10 November.\n\nSee your account: https://rentdesk.example/app\n";

/// The decoded body of the MIME part with `content_type` (quoted-printable or base64 or plain).
fn part(m: &Captured, content_type: &str) -> String {
    let boundary = m
        .header("Content-Type")
        .and_then(|ct| {
            ct.split("boundary=")
                .nth(1)
                .map(|b| b.trim_matches('"').to_owned())
        })
        .expect("multipart boundary");
    let section = m
        .data
        .split(&format!("--{boundary}"))
        .find(|s| {
            s.to_ascii_lowercase()
                .contains(&format!("content-type: {content_type}"))
        })
        .unwrap_or_else(|| panic!("no {content_type} part in {}", m.data));
    let (head, body) = section.split_once("\r\n\r\n").unwrap();
    // The CRLF before the next boundary belongs to the boundary.
    let body = body.strip_suffix("\r\n").unwrap_or(body);
    let head = head.to_ascii_lowercase();
    if head.contains("content-transfer-encoding: base64") {
        use base64::Engine as _;
        let joined: String = body.split_whitespace().collect();
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(joined)
                .unwrap(),
        )
        .unwrap()
    } else if head.contains("quoted-printable") {
        let unfolded = body.replace("=\r\n", "");
        let bytes = unfolded.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'=' && i + 2 < bytes.len() {
                out.push(u8::from_str_radix(&unfolded[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    } else {
        body.to_owned()
    }
}

#[tokio::test]
async fn an_email_goes_as_text_and_escaped_html_with_one_click_unsubscribe() {
    let (fake, url) = fake_smtp::start().await;
    let id = mailer(&url)
        .send(&email("karen@example.org", TEXT))
        .await
        .unwrap();
    assert!(id.starts_with("smtp:"), "{id}");
    let got = fake.messages_to("karen@example.org");
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert_eq!(m.mail_from, "rent@landlord.example");
    assert_eq!(m.rcpt_to, ["karen@example.org"]);
    assert_eq!(m.header("Subject").as_deref(), Some("Your rent payment"));
    assert_eq!(
        m.header("From").as_deref(),
        Some("\"Rent team\" <rent@landlord.example>")
    );
    assert_eq!(
        m.header("Message-ID").as_deref(),
        Some("<rentdesk.42@landlord.example>")
    );
    assert_eq!(
        m.header("List-Unsubscribe"),
        Some(format!(
            "<mailto:unsubscribe@landlord.example?subject=unsubscribe%2042>, <https://rent.landlord.example/unsubscribe/email/{}>",
            rentdesk_worker::email::unsubscribe_token("unsubscribe-test-key", 42)
        ))
    );
    assert_eq!(
        m.header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(
        m.header("Content-Type")
            .unwrap()
            .starts_with("multipart/alternative"),
        "{:?}",
        m.header("Content-Type")
    );
    let text = part(m, "text/plain");
    assert_eq!(text.replace("\r\n", "\n"), TEXT);
    let html = part(m, "text/html");
    assert!(
        html.contains("Hi Karen &lt;script&gt;, your landlord here."),
        "{html}"
    );
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("£98.50 due 10 November"), "{html}");
    assert!(
        html.contains("<p>See your account: https://rentdesk.example/app</p>"),
        "{html}"
    );
}

#[tokio::test]
async fn an_unknown_mailbox_is_permanent_and_names_the_mailbox() {
    let (fake, url) = fake_smtp::start().await;
    fake.0
        .lock()
        .unwrap()
        .unknown_mailboxes
        .insert("gone@example.org".into());
    let e = mailer(&url)
        .send(&email("gone@example.org", "x"))
        .await
        .unwrap_err();
    assert!(e.is_invalid_mailbox(), "{e:?}");
    assert!(
        matches!(
            e,
            EmailError::Permanent {
                code: Some(550),
                ..
            }
        ),
        "{e:?}"
    );
    assert!(fake.messages_to("gone@example.org").is_empty());
}

#[tokio::test]
async fn a_451_is_retryable_and_the_next_try_goes_once() {
    let (fake, url) = fake_smtp::start().await;
    fake.0.lock().unwrap().fail_next.push_back(451);
    let m = mailer(&url);
    let e = m.send(&email("karen@example.org", "x")).await.unwrap_err();
    assert!(
        matches!(
            e,
            EmailError::Retryable {
                code: Some(451),
                ..
            }
        ),
        "{e:?}"
    );
    m.send(&email("karen@example.org", "x")).await.unwrap();
    assert_eq!(fake.messages_to("karen@example.org").len(), 1);
}

#[tokio::test]
async fn an_unreachable_smtp_server_is_retryable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    drop(listener);
    let e = mailer(&url)
        .send(&email("karen@example.org", "x"))
        .await
        .unwrap_err();
    assert!(matches!(e, EmailError::Retryable { .. }), "{e:?}");
}

#[tokio::test]
async fn several_emails_in_a_row_each_arrive_once() {
    let (fake, url) = fake_smtp::start().await;
    let m = mailer(&url);
    for i in 0..3 {
        let to = format!("t{i}@example.org");
        m.send(&email(&to, "x")).await.unwrap();
    }
    let state = fake.0.lock().unwrap();
    let mut to: Vec<_> = state.messages.iter().map(|m| m.rcpt_to.join(",")).collect();
    to.sort();
    assert_eq!(to, ["t0@example.org", "t1@example.org", "t2@example.org"]);
}

#[tokio::test]
async fn starttls_is_required_when_asked_for() {
    // The sink offers no STARTTLS: a client told to require it must refuse to send in clear.
    let (fake, url) = fake_smtp::start().await;
    let url = url.replace("smtp://", "smtp+starttls://");
    let e = mailer(&url)
        .send(&email("karen@example.org", "x"))
        .await
        .unwrap_err();
    assert!(matches!(e, EmailError::Retryable { .. }), "{e:?}");
    assert!(fake.0.lock().unwrap().messages.is_empty());
}
