//! The message providers: Twilio (SMS), SMTP (email) and Firebase Cloud Messaging (push). Each
//! is configured when its first variable is set (`TWILIO_ACCOUNT_SID`, `SMTP_URL`,
//! `FCM_SERVICE_ACCOUNT`), otherwise its channel goes to the local outbox. The clients that use
//! these settings live in `rentdesk-worker` (`sms`, `email`, `push`).

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use lettre::message::Mailbox;
use serde::Deserialize;

use crate::{ConfigError, Mode, Vars, err};

// ---- Twilio (SMS) ----

/// Who the message is from: a number (or alphanumeric sender), or a Messaging Service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sender {
    From(String),
    MessagingService(String),
}

#[derive(Clone)]
pub struct TwilioConfig {
    /// `https://api.twilio.com` in production; a local fake in tests.
    pub base_url: String,
    pub account_sid: String,
    pub auth_token: String,
    pub sender: Sender,
    pub timeout: Duration,
}

impl std::fmt::Debug for TwilioConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioConfig")
            .field("base_url", &self.base_url)
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"****")
            .field("sender", &self.sender)
            .finish()
    }
}

// ---- SMTP (email) ----

/// How the SMTP connection is secured, from the scheme of `SMTP_URL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// `smtp://`: no TLS (a local relay or Mailpit).
    Plain,
    /// `smtp+starttls://`: upgrade with STARTTLS, required (port 587 by default).
    StartTls,
    /// `smtps://`: TLS from the first byte (port 465 by default).
    Implicit,
}

#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    pub security: SmtpSecurity,
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub password: Option<String>,
}

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpUrl")
            .field("security", &self.security)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "****"))
            .finish()
    }
}

fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or("bad %-escape")?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "not UTF-8 after %-decoding".to_owned())
}

impl SmtpUrl {
    /// `smtp://host:port`, `smtp+starttls://user:pass@host:587`, `smtps://user:pass@host:465`.
    pub fn parse(url: &str) -> Result<SmtpUrl, String> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or("must look like smtp://host:port")?;
        let (security, default_port) = match scheme {
            "smtp" => (SmtpSecurity::Plain, 25),
            "smtp+starttls" => (SmtpSecurity::StartTls, 587),
            "smtps" => (SmtpSecurity::Implicit, 465),
            _ => return Err("the scheme must be smtp://, smtp+starttls:// or smtps://".into()),
        };
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (user, password) = match userinfo {
            None => (None, None),
            Some(u) => match u.split_once(':') {
                Some((user, pass)) => (Some(percent_decode(user)?), Some(percent_decode(pass)?)),
                None => (Some(percent_decode(u)?), None),
            },
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) if !p.contains(']') => match p.parse::<u16>() {
                Ok(port) if port > 0 => (h, port),
                _ => return Err(format!("bad port {p:?}")),
            },
            _ => (hostport, default_port),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err("no host".into());
        }
        if user.is_some() != password.is_some() {
            return Err("give both user and password (user:password@host), or neither".into());
        }
        Ok(SmtpUrl {
            security,
            host: host.to_owned(),
            port,
            user,
            password,
        })
    }
}

#[derive(Debug, Clone)]
pub struct EmailConfig {
    pub smtp: SmtpUrl,
    /// `Rentdesk <rent@landlord.example>`: the From header and the envelope sender.
    pub from: Mailbox,
    /// The API's public address; the https unsubscribe link lives under it.
    pub public_url: String,
    /// Signs the unsubscribe links (`TOKEN_SIGNING_KEY`), so nobody can unsubscribe others.
    pub link_key: crate::Secret,
    pub timeout: Duration,
}

// ---- FCM (push) ----

/// The fields of a Google service-account key file that FCM needs.
#[derive(Clone, Deserialize)]
pub struct ServiceAccount {
    pub project_id: String,
    pub client_email: String,
    pub private_key: String,
    pub token_uri: String,
}

impl std::fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("project_id", &self.project_id)
            .field("client_email", &self.client_email)
            .field("private_key", &"****")
            .field("token_uri", &self.token_uri)
            .finish()
    }
}

/// The DER bytes inside a PEM block (`-----BEGIN …-----` … `-----END …-----`).
pub fn pem_to_der(pem: &str) -> Result<Vec<u8>, String> {
    let body: String = pem
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("-----"))
        .collect();
    if body.is_empty() {
        return Err("no PEM block".into());
    }
    BASE64
        .decode(body)
        .map_err(|e| format!("PEM is not base64: {e}"))
}

impl ServiceAccount {
    /// Parse and check a key file's JSON, including that its private key is a usable RSA key.
    pub fn parse(json: &str) -> Result<ServiceAccount, String> {
        let sa: ServiceAccount =
            serde_json::from_str(json).map_err(|e| format!("not a service-account JSON: {e}"))?;
        for (field, value) in [
            ("project_id", &sa.project_id),
            ("client_email", &sa.client_email),
            ("token_uri", &sa.token_uri),
        ] {
            if value.trim().is_empty() {
                return Err(format!("{field} is empty"));
            }
        }
        if !(sa.token_uri.starts_with("https://") || sa.token_uri.starts_with("http://")) {
            return Err("token_uri must be an http(s) URL".into());
        }
        sa.key_pair()?;
        Ok(sa)
    }

    pub fn key_pair(&self) -> Result<ring::signature::RsaKeyPair, String> {
        let der = pem_to_der(&self.private_key).map_err(|e| format!("private_key: {e}"))?;
        ring::signature::RsaKeyPair::from_pkcs8(&der)
            .map_err(|e| format!("private_key is not a PKCS#8 RSA key: {e}"))
    }
}

#[derive(Debug, Clone)]
pub struct FcmConfig {
    /// `https://fcm.googleapis.com` in production; a local fake in tests.
    pub base_url: String,
    pub account: ServiceAccount,
    pub timeout: Duration,
}

// ---- the section ----

pub const DEV_EMAIL_FROM: &str = "Rentdesk <rentdesk@localhost>";

#[derive(Debug, Clone)]
pub struct Providers {
    /// Twilio, when `TWILIO_ACCOUNT_SID` is set; otherwise SMS go to the local outbox.
    pub twilio: Option<TwilioConfig>,
    /// SMTP, when `SMTP_URL` is set; otherwise email goes to the local outbox.
    pub email: Option<EmailConfig>,
    /// FCM, when `FCM_SERVICE_ACCOUNT` is set; otherwise push goes to the local outbox.
    pub push: Option<FcmConfig>,
}

impl Providers {
    /// Email links point under `public_url` and are signed with `link_key`.
    pub fn from_vars(
        v: &Vars,
        public_url: &str,
        link_key: &crate::Secret,
    ) -> Result<Providers, ConfigError> {
        Ok(Providers {
            twilio: twilio(v)?,
            email: email(v, public_url, link_key)?,
            push: push(v)?,
        })
    }
}

fn twilio(v: &Vars) -> Result<Option<TwilioConfig>, ConfigError> {
    let Some(account_sid) = v.get("TWILIO_ACCOUNT_SID") else {
        return Ok(None);
    };
    if !account_sid.starts_with("AC") {
        return Err(err("TWILIO_ACCOUNT_SID", "must start with AC"));
    }
    let auth_token = v.get("TWILIO_AUTH_TOKEN").ok_or_else(|| {
        err(
            "TWILIO_AUTH_TOKEN",
            "required when TWILIO_ACCOUNT_SID is set",
        )
    })?;
    let sender = match (v.get("TWILIO_FROM"), v.get("TWILIO_MESSAGING_SERVICE_SID")) {
        (Some(from), None) => Sender::From(from),
        (None, Some(sid)) => Sender::MessagingService(sid),
        _ => {
            return Err(err(
                "TWILIO_FROM",
                "set exactly one of TWILIO_FROM and TWILIO_MESSAGING_SERVICE_SID",
            ));
        }
    };
    Ok(Some(TwilioConfig {
        base_url: v.http_url("TWILIO_BASE_URL", "https://api.twilio.com")?,
        account_sid,
        auth_token,
        sender,
        timeout: Duration::from_secs(10),
    }))
}

fn email(
    v: &Vars,
    public_url: &str,
    link_key: &crate::Secret,
) -> Result<Option<EmailConfig>, ConfigError> {
    let Some(url) = v.get("SMTP_URL") else {
        return Ok(None);
    };
    let smtp = SmtpUrl::parse(&url).map_err(|e| err("SMTP_URL", e))?;
    let from = match (v.get("EMAIL_FROM"), v.mode()) {
        (Some(from), _) => from,
        (None, Mode::Dev) => DEV_EMAIL_FROM.to_owned(),
        (None, _) => {
            return Err(err(
                "EMAIL_FROM",
                "required when SMTP_URL is set, e.g. \"Rent team <rent@landlord.example>\"",
            ));
        }
    };
    let from = from.parse().map_err(|e| {
        err(
            "EMAIL_FROM",
            format!("must be an address or \"Name <address>\": {e}"),
        )
    })?;
    Ok(Some(EmailConfig {
        smtp,
        from,
        public_url: public_url.to_owned(),
        link_key: link_key.clone(),
        timeout: Duration::from_secs(30),
    }))
}

fn push(v: &Vars) -> Result<Option<FcmConfig>, ConfigError> {
    let Some(path) = v.get("FCM_SERVICE_ACCOUNT") else {
        return Ok(None);
    };
    let json = std::fs::read_to_string(&path).map_err(|e| {
        err(
            "FCM_SERVICE_ACCOUNT",
            format!("cannot read the service-account file {path}: {e}"),
        )
    })?;
    let account = ServiceAccount::parse(&json)
        .map_err(|e| err("FCM_SERVICE_ACCOUNT", format!("{path}: {e}")))?;
    Ok(Some(FcmConfig {
        base_url: v.http_url("FCM_BASE_URL", "https://fcm.googleapis.com")?,
        account,
        timeout: Duration::from_secs(10),
    }))
}
