//! One typed configuration for every Rentdesk process (`rentdesk` and `rentdesk-worker`), read from environment variables once at start and validated with a
//! message naming the variable (12-factor). Secrets are never logged.

use std::net::SocketAddr;
use std::time::Duration;

#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(****)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    /// Redis for the job queue; `None` keeps the queue in SQLite (`queue_url`).
    pub redis_url: Option<String>,
    /// SQLite URL of the embedded queue when Redis is not configured.
    pub queue_url: String,
    /// Prefix of the queue names, so several deployments (or test runs) can share one Redis.
    pub queue_namespace: String,
    pub bind: SocketAddr,
    /// The address clients use (printed, and written into the OpenAPI document's server list).
    pub public_url: String,
    /// Signs access tokens (HS256) and keys the hashes of sign-in codes.
    pub token_signing_key: Secret,
    /// Sign-in starts allowed per tenancy reference, and per client address, per hour.
    pub sign_in_limit_per_reference: u32,
    pub sign_in_limit_per_address: u32,
    /// `TRUSTED_PROXIES`: reverse proxies whose `X-Forwarded-For` names the client for the
    /// sign-in limits; empty = the TCP peer is the client and the header is ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Repayment-plan policy: the weekly floor and the weeks within which arrears should clear.
    pub plan_min_weekly_pence: i64,
    pub plan_max_weeks: u32,
    /// `MAX_ROW_AMOUNT_PENCE` (default 1,000,000,000 = £10,000,000): the most one amount from
    /// outside may be, either sign — an imported transaction or charge, or a money field of an
    /// API body. Larger figures are refused at the edge (issue 15: one i64::MAX row broke an
    /// account for good).
    pub max_row_amount: rentdesk_domain::Pence,
    pub db_max_connections: u32,
    pub worker_concurrency: usize,
    pub nightly_cron: String,
    /// How often this worker dispatches due messages; `None` (`DISPATCH_CRON=off`) = never
    /// (a process that only serves, or tests that drive dispatch themselves).
    pub dispatch_cron: Option<String>,
    /// `DISPATCH_RATE_PER_MINUTE`: at most this many messages per channel per minute, across
    /// every worker; unset = as fast as the providers take them.
    pub dispatch_rate_per_minute: Option<u32>,
    /// `SEND_CONCURRENCY`: sends in flight at once per channel in one dispatch run (default 8).
    pub send_concurrency: usize,
    pub shutdown_timeout: Duration,
    pub log_format: LogFormat,
    /// Twilio, when `TWILIO_ACCOUNT_SID` is set; otherwise SMS go to the local outbox.
    pub twilio: Option<crate::sms::TwilioConfig>,
    /// SMTP, when `SMTP_URL` is set; otherwise email goes to the local outbox.
    pub email: Option<crate::email::EmailConfig>,
    /// FCM, when `FCM_SERVICE_ACCOUNT` is set; otherwise push goes to the local outbox.
    pub push: Option<crate::push::FcmConfig>,
    /// domain.md §6 defaults unless `CONTACT_HOURS`, `CONTACT_ON_SUNDAYS`,
    /// `CONTACT_ON_BANK_HOLIDAYS` or `CONTACT_WEEKLY_CAP` say otherwise.
    pub contact_policy: rentdesk_domain::contact_policy::ContactPolicy,
    /// `RETENTION_MONTHS` (default 72 = six years, the Limitation Act 1980 s19 period for rent
    /// arrears): personal data of a tenancy closed with a
    /// zero balance for longer than this is anonymised by the nightly job.
    pub retention_months: u32,
    /// The visit route's base, travel model and working day (`ROUTE_*`, `WORKDAY_*`,
    /// `VISIT_MINUTES`).
    pub route: rentdesk_domain::routes::RouteSettings,
    /// `RENTERS_RIGHTS_SOCIAL_FROM` (YYYY-MM-DD; unset = not commenced): from this service date
    /// a section 8 notice on a social assured (or starter) tenancy is under the Renters' Rights
    /// Act 2025 regime (4 weeks' notice, ground 8 at 13 weeks' rent unpaid, disregarding UC not
    /// yet received).
    pub notice_rules: rentdesk_domain::protocol::NoticeRules,
    /// `APA_LAG_DAYS` (default 14), `APA_CYCLE_DAYS` (default 28), `HB_PAY_LAG_DAYS` (default
    /// 0): when managed payments (UC APA) and Housing Benefit reach the rent account
    /// (domain.md §2; docs/rules.md "Managed payments").
    pub benefit_timing: rentdesk_domain::benefits::BenefitTiming,
    /// `LETTER_TEMPLATES_DIR`: the landlord's wording for the stage letters (`<letter>.txt`
    /// files replacing the shipped ones, checked at start); unset = the shipped wording.
    pub letter_templates: std::sync::Arc<rentdesk_domain::letter_templates::LetterTemplates>,
    /// `rentdesk dev` only: serve the local outbox at `/dev/outbox` (sign-in codes included).
    pub dev_outbox: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("configuration: {variable}: {reason}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub reason: String,
}

/// 256 random bits from the operating system, for a one-off command's own key.
fn random_key() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn err(variable: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        reason: reason.into(),
    }
}

/// Which command is starting: `dev` has safe defaults for everything; `serve` insists on what
/// production must set; the worker and one-off commands need no HTTP secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `rentdesk dev`: every secret has a dev default (nothing leaves the machine).
    Dev,
    /// `rentdesk serve`: every secret required, none a published value.
    Production,
    /// `rentdesk-worker`: as `Production` (it signs the links in the emails it sends).
    Worker,
    /// A one-off command (`migrate`, `import`, `staff create`, `nightly`…): secrets that are
    /// given are checked as in production; a missing `TOKEN_SIGNING_KEY` becomes a random key
    /// for this process only (nothing it signs outlives it), never a published one.
    OneOff,
}

pub const DEV_DATABASE_URL: &str = "sqlite://rentdesk.sqlite?mode=rwc";
pub const DEV_QUEUE_URL: &str = "sqlite://rentdesk-queue.sqlite?mode=rwc";
pub const DEV_EMAIL_FROM: &str = "Rentdesk <rentdesk@localhost>";
/// Only for `rentdesk dev`; `serve` and the worker require `TOKEN_SIGNING_KEY`.
pub const DEV_TOKEN_SIGNING_KEY: &str = "dev-only-token-signing-key-not-secret-0123";

/// The variables that hold secrets (or URLs that may carry a password). Each can also be given
/// as a file, `NAME_FILE` (the Docker and Kubernetes secrets convention); giving both is refused.
pub const SECRET_VARIABLES: [&str; 5] = [
    "TOKEN_SIGNING_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "TWILIO_AUTH_TOKEN",
    "SMTP_URL",
];

/// Each secret's `_FILE` variable, in [`SECRET_VARIABLES`]' order.
const SECRET_FILE_VARIABLES: [&str; 5] = [
    "TOKEN_SIGNING_KEY_FILE",
    "DATABASE_URL_FILE",
    "REDIS_URL_FILE",
    "TWILIO_AUTH_TOKEN_FILE",
    "SMTP_URL_FILE",
];

/// Values of secrets that have been published (this repository's dev default, compose file,
/// README and examples, now or in the past). Anyone can read them, so outside `rentdesk dev` a
/// secret equal to one of them is refused as if it were missing. A test scans the repository's
/// deployment files for secret values and checks that each is on this list.
pub const PUBLISHED_SECRETS: &[&str] = &[
    DEV_TOKEN_SIGNING_KEY,
    "change-me-to-at-least-32-random-characters",
    "change-me-to-a-long-random-secret",
    "rentdesk",
    "postgres",
    "password",
    "changeme",
    "change-me",
    "secret",
];

fn is_published(value: &str) -> bool {
    let v = value.trim();
    PUBLISHED_SECRETS.iter().any(|p| p.eq_ignore_ascii_case(v))
}

/// The password inside `scheme://user:password@host…`, if any (%-decoding is not needed to
/// compare with the published values, which have no reserved characters).
fn url_password(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let userinfo = rest.split(['/', '?', '#']).next()?.rsplit_once('@')?.0;
    userinfo
        .split_once(':')
        .map(|(_, p)| p)
        .filter(|p| !p.is_empty())
}

/// `NAME_FILE` read for each secret `NAME` (trailing newline removed), so the rest of the
/// configuration reads secrets the same way whichever way they came.
fn secret_files(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<std::collections::HashMap<&'static str, String>, ConfigError> {
    let mut found = std::collections::HashMap::new();
    for (name, file_var) in SECRET_VARIABLES.into_iter().zip(SECRET_FILE_VARIABLES) {
        let Some(path) = get(file_var) else { continue };
        if get(name).is_some() {
            return Err(err(file_var, format!("set {name} or {file_var}, not both")));
        }
        let text = std::fs::read_to_string(path.trim())
            .map_err(|e| err(file_var, format!("cannot read {}: {e}", path.trim())))?;
        let value = text.trim_end_matches(['\n', '\r']).to_owned();
        if value.trim().is_empty() {
            return Err(err(file_var, format!("{} is empty", path.trim())));
        }
        found.insert(name, value);
    }
    Ok(found)
}

impl Settings {
    pub fn from_env(mode: Mode) -> Result<Settings, ConfigError> {
        Settings::from_lookup(mode, |k| {
            std::env::var(k).ok().filter(|v| !v.trim().is_empty())
        })
    }

    /// The same as `from_env` over any source of variables (tests pass a map).
    pub fn from_lookup(
        mode: Mode,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, ConfigError> {
        let files = secret_files(&lookup)?;
        let get = |name: &str| files.get(name).cloned().or_else(|| lookup(name));
        // Fail closed (issue 19): outside dev, no secret may be one anyone can read.
        if mode != Mode::Dev {
            for name in SECRET_VARIABLES {
                let Some(value) = get(name) else { continue };
                let secret = if name.ends_with("_URL") {
                    url_password(&value)
                } else {
                    Some(value.as_str())
                };
                if secret.is_some_and(is_published) {
                    return Err(err(
                        name,
                        if name.ends_with("_URL") {
                            "its password is a published value (the repository's compose file, \
                             README or examples): choose a new one"
                        } else {
                            "is a published value (the repository's dev default, compose file, \
                             README or examples): generate a new one, e.g. `openssl rand -base64 48`"
                        },
                    ));
                }
            }
        }
        let database_url = match get("DATABASE_URL") {
            Some(url) => url,
            None if mode == Mode::Dev => DEV_DATABASE_URL.to_owned(),
            None => DEV_DATABASE_URL.to_owned(),
        };
        if !(database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://")
            || database_url.starts_with("sqlite:"))
        {
            return Err(err(
                "DATABASE_URL",
                "must start with postgres://, postgresql:// or sqlite:",
            ));
        }
        let redis_url = get("REDIS_URL");
        if let Some(url) = &redis_url
            && !(url.starts_with("redis://") || url.starts_with("rediss://"))
        {
            return Err(err("REDIS_URL", "must start with redis:// or rediss://"));
        }
        // The embedded queue gets its own file: its constant small writes would otherwise
        // contend for the main database's single write lock.
        let queue_url = get("QUEUE_URL").unwrap_or_else(|| DEV_QUEUE_URL.to_owned());
        if !queue_url.starts_with("sqlite:") {
            return Err(err(
                "QUEUE_URL",
                "must be a sqlite: URL (set REDIS_URL to queue in Redis)",
            ));
        }
        let bind: SocketAddr = get("BIND_ADDR")
            .unwrap_or_else(|| "127.0.0.1:8080".to_owned())
            .parse()
            .map_err(|_| err("BIND_ADDR", "must be host:port, e.g. 0.0.0.0:8080"))?;
        let public_url = get("PUBLIC_URL").unwrap_or_else(|| format!("http://{bind}"));
        // The shared admin token is retired: `/manage/v1` takes a signed-in administrator's
        // token. Refuse rather than ignore it, so nobody believes it still guards anything.
        if get("ADMIN_TOKEN").is_some() {
            return Err(err(
                "ADMIN_TOKEN",
                "no longer used: remove it and create an administrator with \
                 `rentdesk staff create --role admin` (README, \"The first administrator\")",
            ));
        }
        let token_signing_key = match (get("TOKEN_SIGNING_KEY"), mode) {
            (Some(k), _) if k.len() < 32 => {
                return Err(err("TOKEN_SIGNING_KEY", "must be at least 32 characters"));
            }
            (Some(k), _) => Secret::new(k),
            (None, Mode::Dev) => Secret::new(DEV_TOKEN_SIGNING_KEY),
            (None, Mode::OneOff) => Secret::new(random_key()),
            (None, Mode::Production | Mode::Worker) => {
                return Err(err(
                    "TOKEN_SIGNING_KEY",
                    "required outside `rentdesk dev` (at least 32 random characters, e.g. \
                     `openssl rand -base64 48`; or TOKEN_SIGNING_KEY_FILE naming a file)",
                ));
            }
        };
        let number =
            |name: &'static str, default: u64, min: u64, max: u64| -> Result<u64, ConfigError> {
                match get(name) {
                    None => Ok(default),
                    Some(v) => match v.trim().parse::<u64>() {
                        Ok(n) if (min..=max).contains(&n) => Ok(n),
                        _ => Err(err(
                            name,
                            format!("must be a whole number from {min} to {max}"),
                        )),
                    },
                }
            };
        let log_format = match get("LOG_FORMAT").as_deref() {
            None if mode == Mode::Dev => LogFormat::Pretty,
            None => LogFormat::Json,
            Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(_) => return Err(err("LOG_FORMAT", "must be pretty or json")),
        };
        let nightly_cron =
            get("NIGHTLY_CRON").unwrap_or_else(|| crate::DEFAULT_NIGHTLY_CRON.to_owned());
        crate::parse_cron(&nightly_cron).map_err(|e| {
            err(
                "NIGHTLY_CRON",
                format!("must be a cron expression with seconds, e.g. \"0 0 2 * * *\": {e}"),
            )
        })?;
        let dispatch_cron = match get("DISPATCH_CRON") {
            None => Some(crate::runner::DISPATCH_CRON.to_owned()),
            Some(v) if v.trim() == "off" => None,
            Some(v) => {
                crate::parse_cron(&v).map_err(|e| {
                    err(
                        "DISPATCH_CRON",
                        format!("must be off or a cron expression with seconds: {e}"),
                    )
                })?;
                Some(v)
            }
        };
        let queue_namespace = get("QUEUE_NAMESPACE").unwrap_or_else(|| "rentdesk".to_owned());
        if !queue_namespace
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(err("QUEUE_NAMESPACE", "letters, digits, _ and - only"));
        }
        let twilio = match get("TWILIO_ACCOUNT_SID") {
            None => None,
            Some(account_sid) => {
                if !account_sid.starts_with("AC") {
                    return Err(err("TWILIO_ACCOUNT_SID", "must start with AC"));
                }
                let auth_token = get("TWILIO_AUTH_TOKEN").ok_or_else(|| {
                    err(
                        "TWILIO_AUTH_TOKEN",
                        "required when TWILIO_ACCOUNT_SID is set",
                    )
                })?;
                let sender = match (get("TWILIO_FROM"), get("TWILIO_MESSAGING_SERVICE_SID")) {
                    (Some(from), None) => crate::sms::Sender::From(from),
                    (None, Some(sid)) => crate::sms::Sender::MessagingService(sid),
                    _ => {
                        return Err(err(
                            "TWILIO_FROM",
                            "set exactly one of TWILIO_FROM and TWILIO_MESSAGING_SERVICE_SID",
                        ));
                    }
                };
                let base_url =
                    get("TWILIO_BASE_URL").unwrap_or_else(|| "https://api.twilio.com".to_owned());
                if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
                    return Err(err("TWILIO_BASE_URL", "must be an http(s) URL"));
                }
                Some(crate::sms::TwilioConfig {
                    base_url,
                    account_sid,
                    auth_token,
                    sender,
                    timeout: Duration::from_secs(10),
                })
            }
        };
        let email = match get("SMTP_URL") {
            None => None,
            Some(url) => {
                let smtp = crate::email::SmtpUrl::parse(&url).map_err(|e| err("SMTP_URL", e))?;
                let from = match (get("EMAIL_FROM"), mode) {
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
                Some(crate::email::EmailConfig {
                    smtp,
                    from,
                    public_url: public_url.clone(),
                    link_key: token_signing_key.clone(),
                    timeout: Duration::from_secs(30),
                })
            }
        };
        let push = match get("FCM_SERVICE_ACCOUNT") {
            None => None,
            Some(path) => {
                let json = std::fs::read_to_string(&path).map_err(|e| {
                    err(
                        "FCM_SERVICE_ACCOUNT",
                        format!("cannot read the service-account file {path}: {e}"),
                    )
                })?;
                let account = crate::push::ServiceAccount::parse(&json)
                    .map_err(|e| err("FCM_SERVICE_ACCOUNT", format!("{path}: {e}")))?;
                let base_url =
                    get("FCM_BASE_URL").unwrap_or_else(|| "https://fcm.googleapis.com".to_owned());
                if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
                    return Err(err("FCM_BASE_URL", "must be an http(s) URL"));
                }
                Some(crate::push::FcmConfig {
                    base_url,
                    account,
                    timeout: Duration::from_secs(10),
                })
            }
        };
        let contact_policy = contact_policy(&get, &public_url)?;
        let letter_templates = std::sync::Arc::new(match get("LETTER_TEMPLATES_DIR") {
            None => rentdesk_domain::letter_templates::LetterTemplates::builtin().clone(),
            Some(dir) => letter_templates(&dir)?,
        });
        Ok(Settings {
            letter_templates,
            dev_outbox: mode == Mode::Dev,
            twilio,
            email,
            push,
            contact_policy,
            database_url,
            redis_url,
            queue_url,
            queue_namespace,
            bind,
            public_url,
            token_signing_key,
            sign_in_limit_per_reference: number("SIGN_IN_LIMIT_PER_REFERENCE", 5, 1, 1000)? as u32,
            sign_in_limit_per_address: number("SIGN_IN_LIMIT_PER_ADDRESS", 30, 1, 100_000)? as u32,
            trusted_proxies: get("TRUSTED_PROXIES")
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| {
                    p.parse().map_err(|_| {
                        err(
                            "TRUSTED_PROXIES",
                            format!("{p} is not an IP address (a comma-separated list of them)"),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
            plan_min_weekly_pence: number("PLAN_MIN_WEEKLY_PENCE", 100, 1, 100_000)? as i64,
            plan_max_weeks: number("PLAN_MAX_WEEKS", 104, 4, 520)? as u32,
            // At most a hundredth of the account limit, so no one row makes an account
            // out of range.
            max_row_amount: rentdesk_domain::Pence(number(
                "MAX_ROW_AMOUNT_PENCE",
                rentdesk_domain::Pence::DEFAULT_MAX_ROW_AMOUNT.0 as u64,
                1,
                (rentdesk_domain::Pence::ACCOUNT_LIMIT.0 / 100) as u64,
            )? as i64),
            db_max_connections: number("DB_MAX_CONNECTIONS", 10, 1, 1000)? as u32,
            worker_concurrency: number("WORKER_CONCURRENCY", 4, 1, 256)? as usize,
            nightly_cron,
            dispatch_cron,
            dispatch_rate_per_minute: match get("DISPATCH_RATE_PER_MINUTE") {
                None => None,
                Some(_) => Some(number("DISPATCH_RATE_PER_MINUTE", 0, 1, 1_000_000)? as u32),
            },
            send_concurrency: number("SEND_CONCURRENCY", 8, 1, 256)? as usize,
            shutdown_timeout: Duration::from_secs(number("SHUTDOWN_TIMEOUT_SECS", 20, 1, 600)?),
            log_format,
            retention_months: number("RETENTION_MONTHS", 72, 1, 1200)? as u32,
            route: route_settings(&get)?,
            benefit_timing: rentdesk_domain::benefits::BenefitTiming {
                apa_lag_days: number("APA_LAG_DAYS", 14, 0, 56)? as u32,
                apa_cycle_days: number("APA_CYCLE_DAYS", 28, 7, 56)? as u32,
                hb_pay_lag_days: number("HB_PAY_LAG_DAYS", 0, 0, 28)? as u32,
            },
            notice_rules: rentdesk_domain::protocol::NoticeRules {
                renters_rights_from: match get("RENTERS_RIGHTS_SOCIAL_FROM") {
                    None => None,
                    Some(v) => Some(
                        chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
                            .ok()
                            .filter(|d| *d >= chrono::NaiveDate::from_ymd_opt(2026, 5, 1).unwrap())
                            .ok_or_else(|| {
                                err(
                                    "RENTERS_RIGHTS_SOCIAL_FROM",
                                    "must be a date (YYYY-MM-DD) on or after 2026-05-01, when the \
                                     Act's first provisions commenced",
                                )
                            })?,
                    ),
                },
                starter_is_introductory: match get("STARTER_TENANCIES").as_deref().map(str::trim) {
                    None | Some("housing_association") => false,
                    Some("introductory") => true,
                    Some(_) => {
                        return Err(err(
                            "STARTER_TENANCIES",
                            "must be housing_association or introductory",
                        ));
                    }
                },
            },
        })
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }

    pub fn queue_backend(&self) -> crate::QueueBackend {
        match &self.redis_url {
            Some(url) => crate::QueueBackend::Redis {
                url: url.clone(),
                namespace: self.queue_namespace.clone(),
            },
            None => crate::QueueBackend::Sqlite {
                url: self.queue_url.clone(),
            },
        }
    }

    /// The repayment-plan policy with the configured figures.
    pub fn plan_policy(&self) -> rentdesk_domain::affordability::PlanPolicy {
        rentdesk_domain::affordability::PlanPolicy {
            min_weekly_instalment: rentdesk_domain::Pence(self.plan_min_weekly_pence),
            max_weeks_to_clear: self.plan_max_weeks,
            ..Default::default()
        }
    }

    pub fn worker_config(&self) -> crate::WorkerConfig {
        crate::WorkerConfig {
            concurrency: self.worker_concurrency,
            nightly_cron: self.nightly_cron.clone(),
            dispatch_cron: self.dispatch_cron.clone(),
            timezone: chrono_tz::Europe::London,
            sms: self.twilio.clone(),
            email: self.email.clone(),
            push: self.push.clone(),
            // The webhook checks Twilio's signature against this very URL.
            status_callback: self.twilio.as_ref().map(|_| {
                format!(
                    "{}/webhooks/twilio/status",
                    self.public_url.trim_end_matches('/')
                )
            }),
            contact_policy: self.contact_policy.clone(),
            dispatch_rate_per_minute: self.dispatch_rate_per_minute,
            send_concurrency: self.send_concurrency,
            retention: self.retention_policy(),
            max_row_amount: self.max_row_amount,
            clock: rentdesk_store::Clock::system(),
        }
    }

    /// The retention period as the domain rule takes it.
    pub fn retention_policy(&self) -> rentdesk_domain::retention::RetentionPolicy {
        rentdesk_domain::retention::RetentionPolicy {
            months: self.retention_months,
        }
    }
}

/// The contact window (London time) and the weekly cap on automated contacts.
fn contact_policy(
    get: &impl Fn(&str) -> Option<String>,
    public_url: &str,
) -> Result<rentdesk_domain::contact_policy::ContactPolicy, ConfigError> {
    use chrono::NaiveTime;
    let mut policy = rentdesk_domain::contact_policy::ContactPolicy::default();
    if let Some(name) = get("LANDLORD_NAME") {
        if name.trim().len() > 60 {
            return Err(err(
                "LANDLORD_NAME",
                "at most 60 characters (it goes in every text)",
            ));
        }
        policy.landlord_name = name.trim().to_owned();
    }
    policy.app_link =
        get("APP_LINK").unwrap_or_else(|| format!("{}/app", public_url.trim_end_matches('/')));
    if !(policy.app_link.starts_with("https://") || policy.app_link.starts_with("http://")) {
        return Err(err("APP_LINK", "must be an http(s) URL"));
    }
    if let Some(hours) = get("CONTACT_HOURS") {
        let bad = || err("CONTACT_HOURS", "must be HH:MM-HH:MM, e.g. 08:00-21:00");
        let (from, to) = hours.trim().split_once('-').ok_or_else(bad)?;
        let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| bad());
        let (from, to) = (time(from)?, time(to)?);
        // "24:00" is not a time; 00:00 as the end means midnight, the end of the day.
        let to = if to == NaiveTime::MIN {
            NaiveTime::from_hms_nano_opt(23, 59, 59, 999_999_999).ok_or_else(bad)?
        } else {
            to
        };
        if from >= to {
            return Err(err("CONTACT_HOURS", "the start must be before the end"));
        }
        (policy.window_start, policy.window_end) = (from, to);
    }
    let flag = |name: &'static str, default: bool| match get(name).as_deref().map(str::trim) {
        None => Ok(default),
        Some("true" | "yes" | "1") => Ok(true),
        Some("false" | "no" | "0") => Ok(false),
        Some(_) => Err(err(name, "must be true or false")),
    };
    policy.allow_sundays = flag("CONTACT_ON_SUNDAYS", policy.allow_sundays)?;
    policy.allow_bank_holidays = flag("CONTACT_ON_BANK_HOLIDAYS", policy.allow_bank_holidays)?;
    if let Some(cap) = get("CONTACT_WEEKLY_CAP") {
        policy.max_automated_per_7_days = cap
            .trim()
            .parse()
            .map_err(|_| err("CONTACT_WEEKLY_CAP", "must be a whole number (0 = none)"))?;
    }
    Ok(policy)
}

/// Read and check every `*.txt` in `dir` (the letter wording is checked here, at start, so a
/// typo stops the process instead of reaching a tenant).
fn letter_templates(
    dir: &str,
) -> Result<rentdesk_domain::letter_templates::LetterTemplates, ConfigError> {
    let var = "LETTER_TEMPLATES_DIR";
    let entries = std::fs::read_dir(dir)
        .map_err(|e| err(var, format!("cannot read the directory {dir}: {e}")))?;
    let mut files = vec![];
    for entry in entries {
        let entry = entry.map_err(|e| err(var, format!("cannot read the directory {dir}: {e}")))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".txt") {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| err(var, format!("cannot read {}: {e}", path.display())))?;
        files.push((name, text));
    }
    files.sort();
    rentdesk_domain::letter_templates::LetterTemplates::with_files(
        files.iter().map(|(n, t)| (n.as_str(), t.as_str())),
    )
    .map_err(|e| {
        err(
            var,
            format!(
                "{}: {}",
                std::path::Path::new(dir).join(&e.file).display(),
                e.problem
            ),
        )
    })
}

/// Logs: `RUST_LOG` filters (default info), pretty or JSON lines.
pub fn init_tracing(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,poem=info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    // A second call (tests start several apps in one process) keeps the first subscriber.
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received"),
        () = terminate => tracing::info!("SIGTERM received"),
    }
}

/// The visit route: where routes start and end (`ROUTE_BASE_LAT`, `ROUTE_BASE_LON`), the travel
/// model (`ROUTE_SPEED_KMH`, `ROUTE_ROAD_FACTOR`), the working day (`WORKDAY_START`,
/// `WORKDAY_END`, London time) and a visit's default length (`VISIT_MINUTES`).
fn route_settings(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<rentdesk_domain::routes::RouteSettings, ConfigError> {
    use rentdesk_domain::routes::{RouteSettings, parse_hm};
    let mut route = RouteSettings::default();
    let decimal = |name: &'static str, min: f64, max: f64, default: f64| match get(name) {
        None => Ok(default),
        Some(v) => match v.trim().parse::<f64>() {
            Ok(x) if x.is_finite() && (min..=max).contains(&x) => Ok(x),
            _ => Err(err(name, format!("must be a number from {min} to {max}"))),
        },
    };
    route.base.lat = decimal("ROUTE_BASE_LAT", -90.0, 90.0, route.base.lat)?;
    route.base.lon = decimal("ROUTE_BASE_LON", -180.0, 180.0, route.base.lon)?;
    route.speed_kmh = decimal("ROUTE_SPEED_KMH", 1.0, 130.0, route.speed_kmh)?;
    route.road_factor = decimal("ROUTE_ROAD_FACTOR", 1.0, 3.0, route.road_factor)?;
    let time = |name: &'static str, default| match get(name) {
        None => Ok(default),
        Some(v) => parse_hm(&v).map_err(|_| err(name, "must be HH:MM (24-hour), e.g. 08:30")),
    };
    route.day_start = time("WORKDAY_START", route.day_start)?;
    route.day_end = time("WORKDAY_END", route.day_end)?;
    if route.day_start >= route.day_end {
        return Err(err("WORKDAY_END", "must be after WORKDAY_START"));
    }
    if let Some(v) = get("VISIT_MINUTES") {
        route.visit_minutes = match v.trim().parse::<u32>() {
            Ok(n) if (5..=480).contains(&n) => n,
            _ => return Err(err("VISIT_MINUTES", "must be a whole number from 5 to 480")),
        };
    }
    Ok(route)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// The worker needs a signing key (see `secrets_tests`); these tests are about other
    /// variables, so a worker gets one unless the test gives its own.
    fn settings(mode: Mode, vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let mut map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if mode == Mode::Worker {
            map.entry("TOKEN_SIGNING_KEY".into())
                .or_insert_with(|| "w0rker-test-key-Vq3Lx9Zt2Np8Rk5Bm7Cd".into());
        }
        Settings::from_lookup(mode, |k| map.get(k).cloned())
    }

    #[test]
    fn dev_needs_no_configuration() {
        let s = settings(Mode::Dev, &[]).unwrap();
        assert_eq!(s.database_url, DEV_DATABASE_URL);
        assert_eq!(s.redis_url, None);
        assert_eq!(s.queue_url, DEV_QUEUE_URL);
    }

    #[test]
    fn one_amount_is_bounded_at_ten_million_pounds_unless_configured() {
        let s = settings(Mode::Dev, &[]).unwrap();
        assert_eq!(s.max_row_amount, rentdesk_domain::Pence(1_000_000_000));
        let s = settings(Mode::Dev, &[("MAX_ROW_AMOUNT_PENCE", "5000000")]).unwrap();
        assert_eq!(s.max_row_amount, rentdesk_domain::Pence(5_000_000));
        assert_eq!(
            s.worker_config().max_row_amount,
            rentdesk_domain::Pence(5_000_000)
        );
        let e = settings(Mode::Dev, &[("MAX_ROW_AMOUNT_PENCE", "lots")]).unwrap_err();
        assert_eq!(e.variable, "MAX_ROW_AMOUNT_PENCE");
        assert_eq!(e.reason, "must be a whole number from 1 to 100000000000");
    }

    #[test]
    fn trusted_proxies_are_ip_addresses_and_none_by_default() {
        assert!(settings(Mode::Dev, &[]).unwrap().trusted_proxies.is_empty());
        let s = settings(Mode::Dev, &[("TRUSTED_PROXIES", "10.0.0.9, ::1")]).unwrap();
        assert_eq!(
            s.trusted_proxies,
            [
                "10.0.0.9".parse::<std::net::IpAddr>().unwrap(),
                "::1".parse().unwrap()
            ]
        );
        let e = settings(Mode::Dev, &[("TRUSTED_PROXIES", "10.0.0.0/8")]).unwrap_err();
        assert_eq!(e.variable, "TRUSTED_PROXIES");
    }

    #[test]
    fn messages_name_the_landlord_and_link_to_the_app() {
        let s = settings(Mode::Dev, &[]).unwrap();
        assert_eq!(s.contact_policy.app_link, "http://127.0.0.1:8080/app");
        let s = settings(
            Mode::Dev,
            &[
                ("LANDLORD_NAME", "Kirklees Homes"),
                ("APP_LINK", "https://rent.kirklees.example/app"),
            ],
        )
        .unwrap();
        assert_eq!(s.contact_policy.landlord_name, "Kirklees Homes");
        assert_eq!(
            s.contact_policy.app_link,
            "https://rent.kirklees.example/app"
        );
        let long = "x".repeat(61);
        assert_eq!(
            settings(Mode::Dev, &[("LANDLORD_NAME", long.as_str())])
                .unwrap_err()
                .variable,
            "LANDLORD_NAME"
        );
    }

    #[test]
    fn the_retired_admin_token_is_refused_with_the_way_forward() {
        let e = settings(Mode::Dev, &[("ADMIN_TOKEN", "a-very-secret-token-123")]).unwrap_err();
        assert_eq!(e.variable, "ADMIN_TOKEN");
        assert!(
            e.reason.contains("rentdesk staff create --role admin"),
            "{e:?}"
        );
    }

    #[test]
    fn production_refuses_to_start_without_a_token_signing_key() {
        let e = settings(Mode::Production, &[("DATABASE_URL", "postgres://x/y")]).unwrap_err();
        assert_eq!(e.variable, "TOKEN_SIGNING_KEY");
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (var, value) in [
            ("DATABASE_URL", "mysql://x"),
            ("REDIS_URL", "http://x"),
            ("BIND_ADDR", "8080"),
            ("DB_MAX_CONNECTIONS", "0"),
            ("WORKER_CONCURRENCY", "lots"),
            ("LOG_FORMAT", "xml"),
            ("TOKEN_SIGNING_KEY", "too-short"),
            ("SIGN_IN_LIMIT_PER_REFERENCE", "0"),
            ("PLAN_MAX_WEEKS", "1"),
            ("APA_LAG_DAYS", "57"),
            ("APA_CYCLE_DAYS", "0"),
            ("APA_CYCLE_DAYS", "monthly"),
            ("HB_PAY_LAG_DAYS", "29"),
            ("MAX_ROW_AMOUNT_PENCE", "0"),
            ("MAX_ROW_AMOUNT_PENCE", "9223372036854775807"),
            ("MAX_ROW_AMOUNT_PENCE", "-5"),
            ("APP_LINK", "ftp://x"),
            ("DISPATCH_RATE_PER_MINUTE", "0"),
            ("NIGHTLY_CRON", "daily"),
            ("DISPATCH_CRON", "often"),
            ("CONTACT_HOURS", "8-21"),
            ("CONTACT_HOURS", "21:00-08:00"),
            ("CONTACT_ON_SUNDAYS", "sometimes"),
            ("CONTACT_WEEKLY_CAP", "-1"),
            ("QUEUE_NAMESPACE", "a b"),
            ("TWILIO_ACCOUNT_SID", "XX123"),
            ("SMTP_URL", "mailpit:1025"),
            ("FCM_SERVICE_ACCOUNT", "/nonexistent/service-account.json"),
        ] {
            let e = settings(Mode::Dev, &[(var, value)]).unwrap_err();
            assert_eq!(e.variable, var, "{var}={value}");
        }
    }

    #[test]
    fn benefit_timing_defaults_to_the_domain_and_takes_the_settings() {
        let s = settings(Mode::Dev, &[]).unwrap();
        assert_eq!(
            s.benefit_timing,
            rentdesk_domain::benefits::BenefitTiming::default()
        );
        let s = settings(
            Mode::Dev,
            &[
                ("APA_LAG_DAYS", "21"),
                ("APA_CYCLE_DAYS", "28"),
                ("HB_PAY_LAG_DAYS", "7"),
            ],
        )
        .unwrap();
        assert_eq!(
            (
                s.benefit_timing.apa_lag_days,
                s.benefit_timing.apa_cycle_days,
                s.benefit_timing.hb_pay_lag_days
            ),
            (21, 28, 7)
        );
    }

    #[test]
    fn twilio_is_all_or_nothing() {
        assert!(settings(Mode::Dev, &[]).unwrap().twilio.is_none());
        let sid = ("TWILIO_ACCOUNT_SID", "AC123");
        assert_eq!(
            settings(Mode::Dev, &[sid]).unwrap_err().variable,
            "TWILIO_AUTH_TOKEN"
        );
        let token = ("TWILIO_AUTH_TOKEN", "t0ken");
        assert_eq!(
            settings(Mode::Dev, &[sid, token]).unwrap_err().variable,
            "TWILIO_FROM"
        );
        let both = [
            sid,
            token,
            ("TWILIO_FROM", "+447700900000"),
            ("TWILIO_MESSAGING_SERVICE_SID", "MG1"),
        ];
        assert_eq!(
            settings(Mode::Dev, &both).unwrap_err().variable,
            "TWILIO_FROM"
        );
        let ok = settings(
            Mode::Dev,
            &[sid, token, ("TWILIO_MESSAGING_SERVICE_SID", "MG1")],
        )
        .unwrap();
        assert_eq!(
            ok.twilio.as_ref().unwrap().base_url,
            "https://api.twilio.com"
        );
        assert!(
            ok.worker_config().sms.is_some(),
            "the worker gets the Twilio settings"
        );
        assert_eq!(
            ok.worker_config().status_callback.as_deref(),
            Some("http://127.0.0.1:8080/webhooks/twilio/status")
        );
    }

    #[test]
    fn email_needs_a_sender_outside_dev() {
        let smtp = ("SMTP_URL", "smtp://mailpit:1025");
        let dev = settings(Mode::Dev, &[smtp]).unwrap();
        let email = dev.email.expect("SMTP configured");
        assert_eq!(email.smtp.port, 1025);
        assert_eq!(email.from.email.to_string(), "rentdesk@localhost");
        assert_eq!(
            settings(Mode::Worker, &[smtp]).unwrap_err().variable,
            "EMAIL_FROM"
        );
        assert_eq!(
            settings(Mode::Worker, &[smtp, ("EMAIL_FROM", "not an address")])
                .unwrap_err()
                .variable,
            "EMAIL_FROM"
        );
        let ok = settings(
            Mode::Worker,
            &[
                smtp,
                ("EMAIL_FROM", "Rent team <rent@landlord.example>"),
                ("PUBLIC_URL", "https://rent.landlord.example"),
            ],
        )
        .unwrap();
        assert!(ok.worker_config().email.is_some());
        assert_eq!(
            ok.email.unwrap().public_url,
            "https://rent.landlord.example"
        );
    }

    #[test]
    fn fcm_reads_and_checks_the_service_account_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sa.json");
        std::fs::write(&path, "{\"project_id\": \"p\"}").unwrap();
        let p = path.to_str().unwrap();
        let e = settings(Mode::Dev, &[("FCM_SERVICE_ACCOUNT", p)]).unwrap_err();
        assert_eq!(e.variable, "FCM_SERVICE_ACCOUNT");
        std::fs::write(
            &path,
            crate::fake_fcm::service_account_json("http://127.0.0.1:9/token"),
        )
        .unwrap();
        let ok = settings(Mode::Dev, &[("FCM_SERVICE_ACCOUNT", p)]).unwrap();
        assert!(!format!("{ok:?}").contains("PRIVATE KEY"));
        let push = ok.push.expect("FCM configured");
        assert_eq!(push.base_url, "https://fcm.googleapis.com");
        assert_eq!(push.account.project_id, crate::fake_fcm::PROJECT_ID);
        assert_eq!(
            settings(
                Mode::Dev,
                &[("FCM_SERVICE_ACCOUNT", p), ("FCM_BASE_URL", "fcm")]
            )
            .unwrap_err()
            .variable,
            "FCM_BASE_URL"
        );
    }

    #[test]
    fn the_contact_policy_is_configurable_and_defaults_to_domain_md() {
        let d = settings(Mode::Dev, &[]).unwrap().contact_policy;
        assert_eq!(
            d,
            rentdesk_domain::contact_policy::ContactPolicy {
                app_link: "http://127.0.0.1:8080/app".into(),
                ..Default::default()
            }
        );
        let s = settings(
            Mode::Dev,
            &[
                ("CONTACT_HOURS", "09:30-00:00"),
                ("CONTACT_ON_SUNDAYS", "true"),
                ("CONTACT_WEEKLY_CAP", "5"),
            ],
        )
        .unwrap();
        let p = &s.worker_config().contact_policy;
        assert_eq!(
            p.window_start,
            chrono::NaiveTime::from_hms_opt(9, 30, 0).unwrap()
        );
        assert!(p.window_end > chrono::NaiveTime::from_hms_opt(23, 59, 59).unwrap());
        assert!(p.allow_sundays && !p.allow_bank_holidays);
        assert_eq!(p.max_automated_per_7_days, 5);
    }

    #[test]
    fn secrets_do_not_print() {
        let s = settings(
            Mode::Dev,
            &[("TOKEN_SIGNING_KEY", "a-very-secret-signing-key-0123456789")],
        )
        .unwrap();
        assert!(!format!("{s:?}").contains("a-very-secret"));
    }

    #[test]
    fn the_renters_rights_commencement_is_unset_by_default_and_checked() {
        let s = settings(
            Mode::Worker,
            &[("RENTERS_RIGHTS_SOCIAL_FROM", "2027-04-01")],
        )
        .unwrap();
        assert_eq!(
            s.notice_rules.renters_rights_from,
            chrono::NaiveDate::from_ymd_opt(2027, 4, 1)
        );
        assert_eq!(
            settings(Mode::Worker, &[])
                .unwrap()
                .notice_rules
                .renters_rights_from,
            None
        );
        assert!(
            settings(Mode::Worker, &[("STARTER_TENANCIES", "introductory")])
                .unwrap()
                .notice_rules
                .starter_is_introductory
        );
        assert!(
            !settings(Mode::Worker, &[])
                .unwrap()
                .notice_rules
                .starter_is_introductory
        );
        assert_eq!(
            settings(Mode::Dev, &[("STARTER_TENANCIES", "council")])
                .unwrap_err()
                .variable,
            "STARTER_TENANCIES"
        );
        for bad in ["2027-13-01", "April 2027", "2025-01-01"] {
            assert_eq!(
                settings(Mode::Dev, &[("RENTERS_RIGHTS_SOCIAL_FROM", bad)])
                    .unwrap_err()
                    .variable,
                "RENTERS_RIGHTS_SOCIAL_FROM"
            );
        }
    }

    #[test]
    fn letter_templates_are_read_and_checked_at_start_naming_the_file_and_placeholder() {
        use rentdesk_domain::letter_templates::LetterTemplates;
        assert_eq!(
            *settings(Mode::Dev, &[]).unwrap().letter_templates,
            *LetterTemplates::builtin()
        );
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        let own = "Our letter\n\nDear {tenant_name},\n\n{owed}\n\n{free_advice}\n";
        std::fs::write(dir.path().join("first_letter.txt"), own).unwrap();
        std::fs::write(dir.path().join("notes.md"), "not a template {").unwrap();
        let s = settings(Mode::Worker, &[("LETTER_TEMPLATES_DIR", d)]).unwrap();
        assert_ne!(*s.letter_templates, *LetterTemplates::builtin());
        assert_eq!(
            s.letter_templates.get("warrant"),
            LetterTemplates::builtin().get("warrant")
        );
        // An unknown placeholder: the file and the placeholder are named.
        std::fs::write(
            dir.path().join("second_letter.txt"),
            "T\n\n{tenant_name} {owed}\n\n{arears}\n\n{free_advice}",
        )
        .unwrap();
        let e = settings(Mode::Worker, &[("LETTER_TEMPLATES_DIR", d)]).unwrap_err();
        assert_eq!(e.variable, "LETTER_TEMPLATES_DIR");
        assert!(
            e.reason.contains("second_letter.txt") && e.reason.contains("{arears}"),
            "{e}"
        );
        // A required part removed.
        std::fs::write(
            dir.path().join("second_letter.txt"),
            "T\n\nDear you, {owed}\n\n{free_advice}",
        )
        .unwrap();
        let e = settings(Mode::Worker, &[("LETTER_TEMPLATES_DIR", d)]).unwrap_err();
        assert!(
            e.reason.contains("second_letter.txt") && e.reason.contains("{tenant_name}"),
            "{e}"
        );
        std::fs::remove_file(dir.path().join("second_letter.txt")).unwrap();
        // A misspelt file name, a missing directory, an unreadable file.
        std::fs::write(dir.path().join("frist_letter.txt"), own).unwrap();
        let e = settings(Mode::Worker, &[("LETTER_TEMPLATES_DIR", d)]).unwrap_err();
        assert!(e.reason.contains("frist_letter.txt"), "{e}");
        std::fs::remove_file(dir.path().join("frist_letter.txt")).unwrap();
        std::fs::write(dir.path().join("warrant.txt"), [0xff, 0xfe, 0x00]).unwrap();
        let e = settings(Mode::Worker, &[("LETTER_TEMPLATES_DIR", d)]).unwrap_err();
        assert!(
            e.reason.contains("cannot read") && e.reason.contains("warrant.txt"),
            "{e}"
        );
        let e = settings(
            Mode::Dev,
            &[("LETTER_TEMPLATES_DIR", "/nonexistent/letters")],
        )
        .unwrap_err();
        assert_eq!(e.variable, "LETTER_TEMPLATES_DIR");
    }

    #[test]
    fn retention_defaults_to_six_years_and_is_checked() {
        assert_eq!(settings(Mode::Dev, &[]).unwrap().retention_months, 72);
        let s = settings(Mode::Worker, &[("RETENTION_MONTHS", "84")]).unwrap();
        assert_eq!(s.worker_config().retention.months, 84);
        for bad in ["0", "six", "-1"] {
            assert_eq!(
                settings(Mode::Dev, &[("RETENTION_MONTHS", bad)])
                    .unwrap_err()
                    .variable,
                "RETENTION_MONTHS"
            );
        }
    }

    #[test]
    fn the_route_settings_default_to_huddersfield_and_name_bad_values() {
        let r = settings(Mode::Dev, &[]).unwrap().route;
        assert_eq!(r, rentdesk_domain::routes::RouteSettings::default());
        assert_eq!((r.base.lat, r.base.lon), (53.6458, -1.7850));
        assert_eq!(
            (r.speed_kmh, r.road_factor, r.visit_minutes),
            (30.0, 1.3, 30)
        );
        let s = settings(
            Mode::Dev,
            &[
                ("ROUTE_BASE_LAT", "53.7"),
                ("ROUTE_BASE_LON", "-1.6"),
                ("ROUTE_SPEED_KMH", "25.5"),
                ("ROUTE_ROAD_FACTOR", "1.4"),
                ("WORKDAY_START", "09:00"),
                ("WORKDAY_END", "16:30"),
                ("VISIT_MINUTES", "45"),
            ],
        )
        .unwrap()
        .route;
        assert_eq!((s.base.lat, s.base.lon, s.speed_kmh), (53.7, -1.6, 25.5));
        assert_eq!(s.road_factor, 1.4);
        assert_eq!(rentdesk_domain::routes::hm(s.day_start), "09:00");
        assert_eq!(rentdesk_domain::routes::hm(s.day_end), "16:30");
        assert_eq!(s.visit_minutes, 45);
        for (var, value) in [
            ("ROUTE_BASE_LAT", "91"),
            ("ROUTE_BASE_LON", "east"),
            ("ROUTE_SPEED_KMH", "0"),
            ("ROUTE_ROAD_FACTOR", "0.9"),
            ("WORKDAY_START", "8.30"),
            ("WORKDAY_END", "25:00"),
            ("VISIT_MINUTES", "2"),
        ] {
            let e = settings(Mode::Dev, &[(var, value)]).unwrap_err();
            assert_eq!(e.variable, var, "{var}={value}");
        }
        let e = settings(
            Mode::Dev,
            &[("WORKDAY_START", "17:00"), ("WORKDAY_END", "09:00")],
        )
        .unwrap_err();
        assert_eq!(e.variable, "WORKDAY_END");
    }
}

#[cfg(test)]
mod secrets_tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(mode: Mode, vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(mode, |k| map.get(k).cloned())
    }

    const KEY: (&str, &str) = ("TOKEN_SIGNING_KEY", "k7Qz0vY3n9W2xR5tB8mL1pC4sH6jD0fGaE2uV");

    /// Every value a deployment file of this repository gives a secret (compose defaults,
    /// README and docs examples, example files, scripts): `VAR=value`, `VAR: value`,
    /// `${VAR:-value}` and the password in `scheme://user:password@host`.
    fn published_in_repository() -> Vec<(String, String)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = vec![
            root.join("README.md"),
            root.join("docker-compose.yml"),
            root.join("Dockerfile"),
        ];
        for dir in ["docs", "examples", "scripts", ".ci"] {
            if let Ok(entries) = std::fs::read_dir(root.join(dir)) {
                files.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_file()));
            }
        }
        let names = [
            "TOKEN_SIGNING_KEY",
            "TWILIO_AUTH_TOKEN",
            "POSTGRES_PASSWORD",
            "ADMIN_TOKEN",
        ];
        let mut found = vec![];
        for file in files {
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            let place = file.file_name().unwrap().to_string_lossy().to_string();
            for line in text.lines() {
                for name in names {
                    for (at, _) in line.match_indices(name) {
                        let rest = line[at + name.len()..].trim_start_matches(['"', '\'']);
                        let Some(rest) = rest
                            .strip_prefix(":-")
                            .or_else(|| rest.strip_prefix('='))
                            .or_else(|| rest.strip_prefix(':'))
                        else {
                            continue;
                        };
                        let value: String = rest
                            .trim_start()
                            .trim_start_matches(['"', '\''])
                            .chars()
                            .take_while(|c| !c.is_whitespace() && !"\"'}`|".contains(*c))
                            .collect();
                        if !value.is_empty() && !value.starts_with(['$', '<', '?']) {
                            found.push((place.clone(), value));
                        }
                    }
                }
                for (at, _) in line.match_indices("://") {
                    let tail: String = line[at..]
                        .chars()
                        .take_while(|c| !c.is_whitespace() && !"\"'`|".contains(*c))
                        .collect();
                    let url = format!("x{tail}");
                    if let Some(p) = url_password(&url)
                        && !p.starts_with(['$', '<'])
                    {
                        found.push((place.clone(), p.to_owned()));
                    }
                }
            }
        }
        found
    }

    #[test]
    fn every_secret_value_the_repository_publishes_is_refused_outside_dev() {
        let found = published_in_repository();
        for (place, value) in &found {
            assert!(
                is_published(value),
                "{place} publishes {value:?} as a secret: add it to PUBLISHED_SECRETS"
            );
        }
        // The scan sees the README's SMTP example at least (user:password@…).
        assert!(
            found
                .iter()
                .any(|(p, v)| p == "README.md" && v == "password"),
            "{found:?}"
        );
        for value in PUBLISHED_SECRETS.iter().filter(|v| v.len() >= 32) {
            for mode in [Mode::Production, Mode::Worker, Mode::OneOff] {
                let e = settings(mode, &[("TOKEN_SIGNING_KEY", value)]).unwrap_err();
                assert_eq!(e.variable, "TOKEN_SIGNING_KEY", "{mode:?} {value}");
                assert!(e.reason.contains("published"), "{e}");
            }
        }
        // The old compose file's database password, in any URL that carries one.
        for (var, url) in [
            (
                "DATABASE_URL",
                "postgres://rentdesk:rentdesk@postgres:5432/rentdesk",
            ),
            ("REDIS_URL", "redis://:changeme@redis:6379"),
            ("SMTP_URL", "smtps://user:password@smtp.example:465"),
        ] {
            let e = settings(Mode::Production, &[KEY, (var, url)]).unwrap_err();
            assert_eq!((e.variable, e.reason.contains("published")), (var, true));
        }
        assert!(
            settings(
                Mode::Dev,
                &[("DATABASE_URL", "postgres://rentdesk:rentdesk@db/x")]
            )
            .is_ok()
        );
        let url = "postgres://rentdesk:Xq7v0Lk2Zr9@postgres:5432/rentdesk";
        assert!(settings(Mode::Production, &[KEY, ("DATABASE_URL", url)]).is_ok());
    }

    #[test]
    fn the_server_and_the_worker_need_a_key_and_a_one_off_command_gets_its_own() {
        for mode in [Mode::Production, Mode::Worker] {
            let e = settings(mode, &[]).unwrap_err();
            assert_eq!(e.variable, "TOKEN_SIGNING_KEY", "{mode:?}");
        }
        let a = settings(Mode::OneOff, &[]).unwrap().token_signing_key;
        let b = settings(Mode::OneOff, &[]).unwrap().token_signing_key;
        assert_eq!(a.expose().len(), 64);
        assert_ne!(a.expose(), b.expose());
        assert_ne!(a.expose(), DEV_TOKEN_SIGNING_KEY);
        // Given, it is checked as for the server.
        let e = settings(Mode::OneOff, &[("TOKEN_SIGNING_KEY", "short")]).unwrap_err();
        assert_eq!(e.variable, "TOKEN_SIGNING_KEY");
        assert_eq!(
            settings(Mode::Dev, &[]).unwrap().token_signing_key.expose(),
            DEV_TOKEN_SIGNING_KEY
        );
    }

    #[test]
    fn a_secret_can_be_given_as_a_file_and_not_twice() {
        let dir = std::env::temp_dir().join(format!("rentdesk-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let key_file = dir.join("key");
        std::fs::write(&key_file, format!("{}\n", KEY.1)).unwrap();
        let path = key_file.to_string_lossy().to_string();
        let s = settings(Mode::Production, &[("TOKEN_SIGNING_KEY_FILE", &path)]).unwrap();
        assert_eq!(
            s.token_signing_key.expose(),
            KEY.1,
            "trailing newline removed"
        );
        let e = settings(Mode::Production, &[KEY, ("TOKEN_SIGNING_KEY_FILE", &path)]).unwrap_err();
        assert_eq!(e.variable, "TOKEN_SIGNING_KEY_FILE");
        let missing = dir.join("nope").to_string_lossy().to_string();
        let e = settings(Mode::Production, &[("TOKEN_SIGNING_KEY_FILE", &missing)]).unwrap_err();
        assert_eq!(e.variable, "TOKEN_SIGNING_KEY_FILE");
        assert!(e.reason.contains("cannot read"), "{e}");
        // A published value is refused whichever way it comes.
        std::fs::write(&key_file, "change-me-to-at-least-32-random-characters").unwrap();
        let e = settings(Mode::Worker, &[("TOKEN_SIGNING_KEY_FILE", &path)]).unwrap_err();
        assert_eq!(e.variable, "TOKEN_SIGNING_KEY");
        let db_file = dir.join("db");
        std::fs::write(&db_file, "postgres://app:Zq81mVx0@db:5432/rentdesk\n").unwrap();
        let db_path = db_file.to_string_lossy().to_string();
        let s = settings(Mode::Production, &[KEY, ("DATABASE_URL_FILE", &db_path)]).unwrap();
        assert_eq!(s.database_url, "postgres://app:Zq81mVx0@db:5432/rentdesk");
        std::fs::remove_dir_all(&dir).ok();
    }
}
