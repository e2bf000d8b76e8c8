//! SMS through Twilio's Messages API, and Twilio's webhook signature check.
//!
//! Why not the `twilio` crate: version 1.1 hard-codes `https://api.twilio.com` (so it cannot be
//! pointed at a local fake in tests or at a regional edge), brings hyper 0.14 with native TLS,
//! and its webhook check ignores ports and query strings and compares in non-constant time.
//! This is a small client on reqwest (rustls, ring) behind the [`SmsProvider`] trait, and the
//! signature check follows Twilio's published algorithm.

use chrono::NaiveDate;
use serde::Deserialize;
use std::time::Duration;

pub use rentdesk_config::providers::{Sender, TwilioConfig};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentSms {
    /// Twilio's message SID ("SM…"): the provider id stored on the message row.
    pub sid: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TwilioMessage {
    pub sid: String,
    pub to: String,
    #[serde(default)]
    pub body: String,
    pub status: String,
    #[serde(default)]
    pub date_created: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmsError {
    /// Try again later with backoff: 429, 5xx, timeouts, connection failures.
    #[error("SMS provider unavailable ({status:?}): {message}")]
    Retryable {
        status: Option<u16>,
        message: String,
        /// How long Twilio asked us to wait (`Retry-After`), if it said.
        retry_after: Option<Duration>,
    },
    /// Will never work as sent (bad number, unsubscribed, bad credentials).
    #[error("SMS refused ({status}, Twilio code {code:?}): {message}")]
    Permanent {
        status: u16,
        code: Option<i64>,
        message: String,
    },
}

impl SmsError {
    /// Twilio 21211 (invalid 'To'), 21614 (not a mobile), 21612 (cannot route): mark the number
    /// invalid and fall back to the next channel.
    pub fn is_invalid_number(&self) -> bool {
        matches!(
            self,
            SmsError::Permanent {
                code: Some(21211 | 21612 | 21614),
                ..
            }
        )
    }

    /// Twilio 21610: the recipient replied STOP to this sender.
    pub fn is_unsubscribed(&self) -> bool {
        matches!(
            self,
            SmsError::Permanent {
                code: Some(21610),
                ..
            }
        )
    }
}

/// Anything that can send an SMS (Twilio in production; other providers fit the same shape).
pub trait SmsProvider: Send + Sync {
    fn send(
        &self,
        to: &str,
        body: &str,
        status_callback: Option<&str>,
    ) -> impl Future<Output = Result<SentSms, SmsError>> + Send;
}

#[derive(Clone, Debug)]
pub struct TwilioClient {
    http: reqwest::Client,
    config: TwilioConfig,
}

#[derive(Deserialize)]
struct TwilioError {
    code: Option<i64>,
    message: Option<String>,
}

#[derive(Deserialize)]
struct MessageList {
    messages: Vec<TwilioMessage>,
}

impl TwilioClient {
    pub fn new(config: TwilioConfig) -> anyhow::Result<TwilioClient> {
        // rustls needs a process-wide crypto provider; ring is already in the build (sqlx).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(5))
            .build()?;
        Ok(TwilioClient { http, config })
    }

    fn messages_url(&self) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            self.config.base_url.trim_end_matches('/'),
            self.config.account_sid
        )
    }

    async fn answer<T: serde::de::DeserializeOwned>(
        resp: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<T, SmsError> {
        let resp = resp.map_err(|e| SmsError::Retryable {
            status: None,
            message: e.to_string(),
            retry_after: None,
        })?;
        let status = resp.status();
        if status.is_success() {
            return resp.json::<T>().await.map_err(|e| SmsError::Retryable {
                status: Some(status.as_u16()),
                message: format!("unreadable answer: {e}"),
                retry_after: None,
            });
        }
        let retry_after = crate::retry_after::parse(resp.headers(), chrono::Utc::now());
        let error: Option<TwilioError> = resp.json().await.ok();
        let message = error
            .as_ref()
            .and_then(|e| e.message.clone())
            .unwrap_or_else(|| status.to_string());
        if status.as_u16() == 429 || status.is_server_error() {
            Err(SmsError::Retryable {
                status: Some(status.as_u16()),
                message,
                retry_after,
            })
        } else {
            Err(SmsError::Permanent {
                status: status.as_u16(),
                code: error.and_then(|e| e.code),
                message,
            })
        }
    }

    /// Messages sent to `to` from `on_or_after` (Twilio's `DateSent>=` filter), newest first:
    /// how a send whose answer was lost is reconciled instead of sent again.
    pub async fn list_messages(
        &self,
        to: &str,
        on_or_after: NaiveDate,
    ) -> Result<Vec<TwilioMessage>, SmsError> {
        let resp = self
            .http
            .get(self.messages_url())
            .basic_auth(&self.config.account_sid, Some(&self.config.auth_token))
            .query(&[
                ("To", to.to_owned()),
                ("DateSent>", on_or_after.format("%Y-%m-%d").to_string()),
            ])
            .send()
            .await;
        Ok(Self::answer::<MessageList>(resp).await?.messages)
    }
}

impl SmsProvider for TwilioClient {
    async fn send(
        &self,
        to: &str,
        body: &str,
        status_callback: Option<&str>,
    ) -> Result<SentSms, SmsError> {
        let mut form: Vec<(&str, &str)> = vec![("To", to), ("Body", body)];
        match &self.config.sender {
            Sender::From(from) => form.push(("From", from)),
            Sender::MessagingService(sid) => form.push(("MessagingServiceSid", sid)),
        }
        if let Some(url) = status_callback {
            form.push(("StatusCallback", url));
        }
        let resp = self
            .http
            .post(self.messages_url())
            .basic_auth(&self.config.account_sid, Some(&self.config.auth_token))
            .form(&form)
            .send()
            .await;
        let m: TwilioMessage = Self::answer(resp).await?;
        Ok(SentSms {
            sid: m.sid,
            status: m.status,
        })
    }
}

pub use rentdesk_wire::twilio::{sign, validate_signature};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_numbers_and_unsubscribes_are_recognised() {
        let e = |code| SmsError::Permanent {
            status: 400,
            code: Some(code),
            message: String::new(),
        };
        assert!(e(21211).is_invalid_number());
        assert!(e(21610).is_unsubscribed());
        assert!(!e(20003).is_invalid_number());
        assert!(
            !SmsError::Retryable {
                status: Some(500),
                message: String::new(),
                retry_after: None,
            }
            .is_invalid_number()
        );
    }

    #[test]
    fn the_auth_token_never_prints() {
        let c = TwilioConfig {
            base_url: "x".into(),
            account_sid: "AC1".into(),
            auth_token: "super-secret".into(),
            sender: Sender::From("+447700900000".into()),
            timeout: Duration::from_secs(1),
        };
        assert!(!format!("{c:?}").contains("super-secret"));
    }
}
