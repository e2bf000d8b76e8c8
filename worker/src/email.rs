//! Email over SMTP (lettre, tokio transport, rustls on ring).
//!
//! One rendered text (`domain::templates`) becomes a multipart/alternative message: the text as
//! is, and an HTML part built from the same text with every character that means something in
//! HTML escaped, so a tenant's name can never inject markup. Every message carries
//! `List-Unsubscribe` (mailto and https) and `List-Unsubscribe-Post: List-Unsubscribe=One-Click`
//! (RFC 8058), which large mailbox providers expect of any automated sender.
//!
//! SMTP answers decide what happens next: a 5xx is permanent (the message fails; 550/551/553
//! say the mailbox itself is bad, so the address is marked invalid and the next channel is
//! tried), a 4xx or a connection problem is worth retrying.

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

pub use rentdesk_config::providers::{EmailConfig, SmtpSecurity, SmtpUrl};
pub use rentdesk_wire::unsubscribe::{unsubscribe_token, verify_unsubscribe_token};

/// What the dispatcher needs to know about a failed send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// 4xx, timeouts, connection failures: try again later.
    #[error("SMTP unavailable ({code:?}): {message}")]
    Retryable { code: Option<u16>, message: String },
    /// 5xx: this message will never go as it is.
    #[error("SMTP refused ({code:?}): {message}")]
    Permanent { code: Option<u16>, message: String },
}

impl EmailError {
    /// RFC 5321 550 (mailbox unavailable), 551 (user not local), 553 (mailbox name not
    /// allowed): the address itself is bad, not just this message.
    pub fn is_invalid_mailbox(&self) -> bool {
        matches!(
            self,
            EmailError::Permanent {
                code: Some(550 | 551 | 553),
                ..
            }
        )
    }
}

/// One email ready to go: the stored message's rendered text and where it goes.
#[derive(Debug, Clone)]
pub struct OutgoingEmail<'a> {
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    /// Our message id: the Message-ID and the unsubscribe links are derived from it.
    pub message_id: i64,
    pub idempotency_key: &'a str,
}

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    config: EmailConfig,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("config", &self.config)
            .finish()
    }
}

/// Escape the five characters that mean something in HTML text and attributes.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The HTML part: one paragraph per blank-line-separated block of the text, escaped.
pub fn html_from_text(subject: &str, text: &str) -> String {
    let paragraphs: String = text
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>\n", escape_html(p).replace('\n', "<br>\n")))
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title></head>\n<body>\n{paragraphs}</body></html>\n",
        escape_html(subject)
    )
}

impl Mailer {
    pub fn new(config: EmailConfig) -> anyhow::Result<Mailer> {
        // rustls needs a process-wide crypto provider: ring, as for reqwest and sqlx.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let smtp = &config.smtp;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
            .port(smtp.port)
            .timeout(Some(config.timeout));
        builder = match smtp.security {
            SmtpSecurity::Plain => builder,
            SmtpSecurity::StartTls => {
                builder.tls(Tls::Required(TlsParameters::new(smtp.host.clone())?))
            }
            SmtpSecurity::Implicit => {
                builder.tls(Tls::Wrapper(TlsParameters::new(smtp.host.clone())?))
            }
        };
        if let (Some(user), Some(password)) = (&smtp.user, &smtp.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Mailer {
            transport: builder.build(),
            config,
        })
    }

    /// The https one-click unsubscribe address for a message: its id with a keyed signature.
    pub fn unsubscribe_url(&self, message_id: i64) -> String {
        format!(
            "{}/unsubscribe/email/{}",
            self.config.public_url.trim_end_matches('/'),
            unsubscribe_token(self.config.link_key.expose(), message_id)
        )
    }

    fn sender_domain(&self) -> &str {
        let email: &str = self.config.from.email.as_ref();
        email.rsplit_once('@').map_or("localhost", |(_, d)| d)
    }

    /// The complete message as it goes over the wire (public for tests and the outbox log).
    pub fn build(&self, email: &OutgoingEmail<'_>) -> Result<Message, EmailError> {
        let to: Mailbox = email.to.parse().map_err(|e| EmailError::Permanent {
            code: None,
            message: format!("not an email address {:?}: {e}", email.to),
        })?;
        let domain = self.sender_domain().to_owned();
        let mut message = Message::builder()
            .from(self.config.from.clone())
            .to(to)
            .subject(email.subject)
            // Stable per message: a resend after a lost answer can be recognised downstream.
            .message_id(Some(format!("<rentdesk.{}@{domain}>", email.message_id)))
            .multipart(MultiPart::alternative_plain_html(
                email.text.to_owned(),
                html_from_text(email.subject, email.text),
            ))
            .map_err(|e| EmailError::Permanent {
                code: None,
                message: format!("cannot build the message: {e}"),
            })?;
        let raw = |name: &'static str, value: String| {
            HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
        };
        let headers = message.headers_mut();
        headers.insert_raw(raw(
            "List-Unsubscribe",
            format!(
                "<mailto:unsubscribe@{domain}?subject=unsubscribe%20{}>, <{}>",
                email.message_id,
                self.unsubscribe_url(email.message_id)
            ),
        ));
        headers.insert_raw(raw(
            "List-Unsubscribe-Post",
            "List-Unsubscribe=One-Click".to_owned(),
        ));
        headers.insert_raw(raw("X-Rentdesk-Key", email.idempotency_key.to_owned()));
        // RFC 3834: automated, so auto-responders stay quiet.
        headers.insert_raw(raw("Auto-Submitted", "auto-generated".to_owned()));
        Ok(message)
    }

    /// Send one email; the SMTP server's answer decides retry or not.
    pub async fn send(&self, email: &OutgoingEmail<'_>) -> Result<String, EmailError> {
        let message = self.build(email)?;
        match self.transport.send(message).await {
            Ok(response) => Ok(format!(
                "smtp:{}",
                response.message().collect::<Vec<_>>().join(" ").trim()
            )),
            Err(e) => {
                let code = e.status().map(u16::from);
                let message = e.to_string();
                if e.is_permanent() {
                    Err(EmailError::Permanent { code, message })
                } else {
                    Err(EmailError::Retryable { code, message })
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_choose_the_security_and_default_port() {
        let u = SmtpUrl::parse("smtp://mailpit:1025").unwrap();
        assert_eq!(
            (u.security, u.host.as_str(), u.port, u.user),
            (SmtpSecurity::Plain, "mailpit", 1025, None)
        );
        let u = SmtpUrl::parse("smtp+starttls://apikey:s%40cret@smtp.example.com").unwrap();
        assert_eq!((u.security, u.port), (SmtpSecurity::StartTls, 587));
        assert_eq!(
            (u.user.as_deref(), u.password.as_deref()),
            (Some("apikey"), Some("s@cret"))
        );
        let u = SmtpUrl::parse("smtps://a:b@smtp.example.com").unwrap();
        assert_eq!((u.security, u.port), (SmtpSecurity::Implicit, 465));
        for bad in [
            "http://x",
            "mailpit:1025",
            "smtp://",
            "smtp://host:notaport",
            "smtp://user@host",
        ] {
            assert!(SmtpUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_password_never_prints() {
        let u = SmtpUrl::parse("smtps://a:hunter2@smtp.example.com").unwrap();
        assert!(!format!("{u:?}").contains("hunter2"));
    }

    #[test]
    fn html_escapes_the_text() {
        let html = html_from_text("Rent", "Hi <b>Karen</b> & \"co\"\n\nSee 'this'");
        assert!(html.contains("<p>Hi &lt;b&gt;Karen&lt;/b&gt; &amp; &quot;co&quot;</p>"));
        assert!(html.contains("<p>See &#39;this&#39;</p>"));
        assert!(!html.contains("<b>"));
    }

    #[test]
    fn mailbox_errors_are_recognised() {
        let p = |code| EmailError::Permanent {
            code: Some(code),
            message: String::new(),
        };
        assert!(p(550).is_invalid_mailbox());
        assert!(!p(554).is_invalid_mailbox());
        assert!(
            !EmailError::Retryable {
                code: Some(450),
                message: String::new()
            }
            .is_invalid_mailbox()
        );
    }
}
