//! Push notifications through Firebase Cloud Messaging's HTTP v1 API.
//!
//! Google's server-to-server flow: a service-account JSON (project id, client email, RSA private
//! key, token URI) signs an RS256 JWT assertion, which the token URI exchanges for an OAuth2
//! access token (`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`); the token is cached
//! until a minute before it expires and sent as `Authorization: Bearer` to
//! `POST {base}/v1/projects/{project}/messages:send`.
//!
//! The RS256 signature uses ring, already linked for rustls and sqlx (constant-time; no second
//! RSA implementation such as the `rsa` crate, whose timing advisory RUSTSEC-2023-0071 is open,
//! and no aws-lc). FCM's error answers decide what happens: a dead token (404 / NOT_FOUND /
//! UNREGISTERED, 400 INVALID_ARGUMENT, 403 SENDER_ID_MISMATCH) is removed by the caller,
//! 429/5xx/UNAVAILABLE are retried later, a 401 refreshes the access token once.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

pub const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// Google accepts assertions valid for at most an hour.
const ASSERTION_LIFETIME_SECS: i64 = 3600;
/// Refresh a cached access token this long before Google says it expires.
const TOKEN_SLACK: Duration = Duration::from_secs(60);

pub use rentdesk_config::providers::{FcmConfig, ServiceAccount, pem_to_der};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// The registration token no longer reaches a device: delete it.
    #[error("dead FCM token ({status} {code}): {message}")]
    DeadToken {
        status: u16,
        code: String,
        message: String,
    },
    /// Try again later: 429, 5xx, timeouts, token endpoint trouble, credentials refused twice.
    #[error("FCM unavailable ({status:?}): {message}")]
    Retryable {
        status: Option<u16>,
        message: String,
        /// How long FCM asked us to wait (`Retry-After`), if it said.
        retry_after: Option<std::time::Duration>,
    },
    /// This notification will never go as it is (e.g. a payload FCM refuses).
    #[error("FCM refused ({status} {code}): {message}")]
    Permanent {
        status: u16,
        code: String,
        message: String,
    },
}

/// What the notification says: a title and body for the lock screen, and data for the app.
#[derive(Debug, Clone)]
pub struct Notification<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub data: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(Deserialize, Default)]
struct GoogleError {
    #[serde(default)]
    error: GoogleErrorBody,
}

#[derive(Deserialize, Default)]
struct GoogleErrorBody {
    #[serde(default)]
    message: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    details: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct SendAnswer {
    name: String,
}

struct CachedToken {
    value: String,
    good_until: Instant,
}

#[derive(Clone)]
pub struct FcmClient {
    http: reqwest::Client,
    config: FcmConfig,
    key: Arc<ring::signature::RsaKeyPair>,
    token: Arc<Mutex<Option<CachedToken>>>,
}

impl std::fmt::Debug for FcmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FcmClient")
            .field("config", &self.config)
            .finish()
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl FcmClient {
    pub fn new(config: FcmConfig) -> anyhow::Result<FcmClient> {
        // rustls needs a process-wide crypto provider; ring is already in the build (sqlx).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let key = config.account.key_pair().map_err(anyhow::Error::msg)?;
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(5))
            .build()?;
        Ok(FcmClient {
            http,
            config,
            key: Arc::new(key),
            token: Arc::new(Mutex::new(None)),
        })
    }

    /// The signed JWT assertion (`header.claims.signature`, base64url) issued at `iat`.
    pub fn assertion(&self, iat: i64) -> Result<String, PushError> {
        let account = &self.config.account;
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT"});
        let claims = serde_json::json!({
            "iss": account.client_email,
            "scope": SCOPE,
            "aud": account.token_uri,
            "iat": iat,
            "exp": iat + ASSERTION_LIFETIME_SECS,
        });
        let signing_input = format!(
            "{}.{}",
            B64URL.encode(header.to_string()),
            B64URL.encode(claims.to_string())
        );
        let mut signature = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(
                &ring::signature::RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                signing_input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| PushError::Retryable {
                status: None,
                message: "cannot sign the FCM assertion".into(),
                retry_after: None,
            })?;
        Ok(format!("{signing_input}.{}", B64URL.encode(signature)))
    }

    /// A valid access token: the cached one, or a fresh one from the token URI.
    async fn access_token(&self, refresh: bool) -> Result<String, PushError> {
        let mut cached = self.token.lock().await;
        if !refresh
            && let Some(t) = cached.as_ref()
            && Instant::now() < t.good_until
        {
            return Ok(t.value.clone());
        }
        let assertion = self.assertion(unix_now())?;
        let resp = self
            .http
            .post(&self.config.account.token_uri)
            .form(&[("grant_type", GRANT_TYPE), ("assertion", &assertion)])
            .send()
            .await
            .map_err(|e| PushError::Retryable {
                status: None,
                message: format!("token endpoint: {e}"),
                retry_after: None,
            })?;
        let status = resp.status();
        if !status.is_success() {
            let body = resp.text().await.unwrap_or_default();
            return Err(PushError::Retryable {
                status: Some(status.as_u16()),
                message: format!("token endpoint refused the assertion: {body}"),
                retry_after: None,
            });
        }
        let answer: TokenAnswer = resp.json().await.map_err(|e| PushError::Retryable {
            status: Some(status.as_u16()),
            message: format!("unreadable token answer: {e}"),
            retry_after: None,
        })?;
        let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(3600));
        *cached = Some(CachedToken {
            value: answer.access_token.clone(),
            good_until: Instant::now() + lifetime.saturating_sub(TOKEN_SLACK),
        });
        Ok(answer.access_token)
    }

    fn send_url(&self) -> String {
        format!(
            "{}/v1/projects/{}/messages:send",
            self.config.base_url.trim_end_matches('/'),
            self.config.account.project_id
        )
    }

    /// Send one notification to one registration token; returns FCM's message name.
    pub async fn send(
        &self,
        device_token: &str,
        notification: &Notification<'_>,
    ) -> Result<String, PushError> {
        let body = serde_json::json!({
            "message": {
                "token": device_token,
                "notification": {"title": notification.title, "body": notification.body},
                "data": notification.data,
            }
        });
        let mut refreshed = false;
        loop {
            let token = self.access_token(refreshed).await?;
            let resp = self
                .http
                .post(self.send_url())
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .map_err(|e| PushError::Retryable {
                    status: None,
                    message: e.to_string(),
                    retry_after: None,
                })?;
            let status = resp.status().as_u16();
            if resp.status().is_success() {
                let answer: SendAnswer = resp.json().await.map_err(|e| PushError::Retryable {
                    status: Some(status),
                    message: format!("unreadable answer: {e}"),
                    retry_after: None,
                })?;
                return Ok(answer.name);
            }
            let retry_after = crate::retry_after::parse(resp.headers(), chrono::Utc::now());
            let error: GoogleError = resp.json().await.unwrap_or_default();
            // An access token revoked or expired early: get a new one, once.
            if status == 401 && !refreshed {
                refreshed = true;
                continue;
            }
            return Err(classify(status, error.error, retry_after));
        }
    }
}

fn classify(
    status: u16,
    e: GoogleErrorBody,
    retry_after: Option<std::time::Duration>,
) -> PushError {
    let code = e
        .details
        .iter()
        .find_map(|d| d.get("errorCode").and_then(|c| c.as_str()))
        .map(str::to_owned)
        .unwrap_or_else(|| e.status.clone());
    let message = if e.message.is_empty() {
        format!("HTTP {status}")
    } else {
        e.message
    };
    let dead = status == 404
        || matches!(
            code.as_str(),
            "UNREGISTERED" | "NOT_FOUND" | "INVALID_ARGUMENT" | "SENDER_ID_MISMATCH"
        );
    if status == 429
        || status >= 500
        || matches!(code.as_str(), "UNAVAILABLE" | "INTERNAL" | "QUOTA_EXCEEDED")
    {
        PushError::Retryable {
            status: Some(status),
            message,
            retry_after,
        }
    } else if status == 401 {
        // Our credentials, not the tenant's device: retry later, never drop the device.
        PushError::Retryable {
            status: Some(status),
            message: format!("credentials refused after a token refresh: {message}"),
            retry_after: None,
        }
    } else if dead {
        PushError::DeadToken {
            status,
            code,
            message,
        }
    } else {
        PushError::Permanent {
            status,
            code,
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(status: &str, code: Option<&str>) -> GoogleErrorBody {
        GoogleErrorBody {
            message: "x".into(),
            status: status.into(),
            details: code
                .map(|c| vec![serde_json::json!({"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": c})])
                .unwrap_or_default(),
        }
    }

    #[test]
    fn googles_errors_are_classified() {
        assert!(matches!(
            classify(404, err("NOT_FOUND", Some("UNREGISTERED")), None),
            PushError::DeadToken { .. }
        ));
        assert!(matches!(
            classify(400, err("INVALID_ARGUMENT", Some("INVALID_ARGUMENT")), None),
            PushError::DeadToken { .. }
        ));
        assert!(matches!(
            classify(503, err("UNAVAILABLE", None), None),
            PushError::Retryable { .. }
        ));
        assert!(matches!(
            classify(429, err("RESOURCE_EXHAUSTED", Some("QUOTA_EXCEEDED")), None),
            PushError::Retryable { .. }
        ));
        assert!(matches!(
            classify(401, err("UNAUTHENTICATED", None), None),
            PushError::Retryable { .. }
        ));
        assert!(matches!(
            classify(
                403,
                err("PERMISSION_DENIED", Some("THIRD_PARTY_AUTH_ERROR")),
                None
            ),
            PushError::Permanent { .. }
        ));
    }

    #[test]
    fn the_private_key_never_prints() {
        let sa = ServiceAccount {
            project_id: "p".into(),
            client_email: "e".into(),
            private_key: "-----BEGIN PRIVATE KEY-----\nsecret".into(),
            token_uri: "https://oauth2.googleapis.com/token".into(),
        };
        assert!(!format!("{sa:?}").contains("secret"));
    }
}
