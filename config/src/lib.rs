//! One typed configuration for every Rentdesk process (`rentdesk` and `rentdesk-worker`), read
//! from environment variables once at start and validated with a message naming the variable
//! (12-factor). Secrets are never logged.
//!
//! Each section reads and checks its own variables ([`Database`], [`Http`], [`Auth`],
//! [`Queue`], [`Worker`], [`Providers`], [`Policy`], [`Letters`], [`LogFormat`]) from one
//! [`Vars`], which has already read the `NAME_FILE` secrets and, outside `rentdesk dev`, refused
//! the published ones ([`secrets`]). [`Settings`] is all of them.

pub mod auth;
pub mod database;
pub mod http;
pub mod letters;
pub mod policy;
pub mod providers;
pub mod queue;
pub mod secrets;
pub mod signals;
pub mod telemetry;
mod vars;
pub mod worker;

pub use auth::Auth;
pub use database::{DEV_DATABASE_URL, Database};
pub use http::Http;
pub use letters::Letters;
pub use policy::Policy;
pub use providers::{DEV_EMAIL_FROM, Providers};
pub use queue::{DEV_QUEUE_URL, Queue, QueueBackend};
pub use secrets::{DEV_TOKEN_SIGNING_KEY, Mode, PUBLISHED_SECRETS, SECRET_VARIABLES, Secret};
pub use signals::shutdown_signal;
pub use telemetry::{LogFormat, init_tracing};
pub use vars::Vars;
pub use worker::Worker;

#[derive(Debug, Clone)]
pub struct Settings {
    pub database: Database,
    pub queue: Queue,
    pub http: Http,
    pub auth: Auth,
    pub log_format: LogFormat,
    pub worker: Worker,
    pub providers: Providers,
    pub policy: Policy,
    pub letters: Letters,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("configuration: {variable}: {reason}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub reason: String,
}

pub(crate) fn err(variable: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        reason: reason.into(),
    }
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
        let v = Vars::new(mode, lookup)?;
        let database = Database::from_vars(&v)?;
        let queue = Queue::from_vars(&v)?;
        let http = Http::from_vars(&v)?;
        let auth = Auth::from_vars(&v)?;
        let log_format = LogFormat::from_vars(&v)?;
        let worker = Worker::from_vars(&v)?;
        let providers = Providers::from_vars(&v, &http.public_url, &auth.token_signing_key)?;
        let policy = Policy::from_vars(&v, &http.public_url)?;
        let letters = Letters::from_vars(&v)?;
        Ok(Settings {
            database,
            queue,
            http,
            auth,
            log_format,
            worker,
            providers,
            policy,
            letters,
        })
    }

    pub fn is_sqlite(&self) -> bool {
        self.database.is_sqlite()
    }

    pub fn queue_backend(&self) -> QueueBackend {
        self.queue.backend()
    }

    /// The repayment-plan policy with the configured figures.
    pub fn plan_policy(&self) -> rentdesk_domain::affordability::PlanPolicy {
        self.policy.plan_policy()
    }

    /// The retention period as the domain rule takes it.
    pub fn retention_policy(&self) -> rentdesk_domain::retention::RetentionPolicy {
        self.policy.retention_policy()
    }
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
        assert_eq!(s.database.url, DEV_DATABASE_URL);
        assert_eq!(s.queue.redis_url, None);
        assert_eq!(s.queue.url, DEV_QUEUE_URL);
    }

    #[test]
    fn one_amount_is_bounded_at_ten_million_pounds_unless_configured() {
        let s = settings(Mode::Dev, &[]).unwrap();
        assert_eq!(
            s.policy.max_row_amount,
            rentdesk_domain::Pence(1_000_000_000)
        );
        let s = settings(Mode::Dev, &[("MAX_ROW_AMOUNT_PENCE", "5000000")]).unwrap();
        assert_eq!(s.policy.max_row_amount, rentdesk_domain::Pence(5_000_000));
        let e = settings(Mode::Dev, &[("MAX_ROW_AMOUNT_PENCE", "lots")]).unwrap_err();
        assert_eq!(e.variable, "MAX_ROW_AMOUNT_PENCE");
        assert_eq!(e.reason, "must be a whole number from 1 to 100000000000");
    }

    #[test]
    fn trusted_proxies_are_ip_addresses_and_none_by_default() {
        assert!(
            settings(Mode::Dev, &[])
                .unwrap()
                .http
                .trusted_proxies
                .is_empty()
        );
        let s = settings(Mode::Dev, &[("TRUSTED_PROXIES", "10.0.0.9, ::1")]).unwrap();
        assert_eq!(
            s.http.trusted_proxies,
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
        assert_eq!(
            s.policy.contact_policy.app_link,
            "http://127.0.0.1:8080/app"
        );
        let s = settings(
            Mode::Dev,
            &[
                ("LANDLORD_NAME", "Kirklees Homes"),
                ("APP_LINK", "https://rent.kirklees.example/app"),
            ],
        )
        .unwrap();
        assert_eq!(s.policy.contact_policy.landlord_name, "Kirklees Homes");
        assert_eq!(
            s.policy.contact_policy.app_link,
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
            s.policy.benefit_timing,
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
                s.policy.benefit_timing.apa_lag_days,
                s.policy.benefit_timing.apa_cycle_days,
                s.policy.benefit_timing.hb_pay_lag_days
            ),
            (21, 28, 7)
        );
    }

    #[test]
    fn twilio_is_all_or_nothing() {
        assert!(settings(Mode::Dev, &[]).unwrap().providers.twilio.is_none());
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
            ok.providers.twilio.as_ref().unwrap().base_url,
            "https://api.twilio.com"
        );
    }

    #[test]
    fn email_needs_a_sender_outside_dev() {
        let smtp = ("SMTP_URL", "smtp://mailpit:1025");
        let dev = settings(Mode::Dev, &[smtp]).unwrap();
        let email = dev.providers.email.expect("SMTP configured");
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
        assert_eq!(
            ok.providers.email.unwrap().public_url,
            "https://rent.landlord.example"
        );
    }

    #[test]
    fn the_contact_policy_is_configurable_and_defaults_to_domain_md() {
        let d = settings(Mode::Dev, &[]).unwrap().policy.contact_policy;
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
        let p = &s.policy.contact_policy;
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
            s.policy.notice_rules.renters_rights_from,
            chrono::NaiveDate::from_ymd_opt(2027, 4, 1)
        );
        assert_eq!(
            settings(Mode::Worker, &[])
                .unwrap()
                .policy
                .notice_rules
                .renters_rights_from,
            None
        );
        assert!(
            settings(Mode::Worker, &[("STARTER_TENANCIES", "introductory")])
                .unwrap()
                .policy
                .notice_rules
                .starter_is_introductory
        );
        assert!(
            !settings(Mode::Worker, &[])
                .unwrap()
                .policy
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
        use rentdesk_domain::letters::templates::LetterTemplates;
        assert_eq!(
            *settings(Mode::Dev, &[]).unwrap().letters.templates,
            *LetterTemplates::builtin()
        );
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        let own = "Our letter\n\nDear {tenant_name},\n\n{owed}\n\n{free_advice}\n";
        std::fs::write(dir.path().join("first_letter.txt"), own).unwrap();
        std::fs::write(dir.path().join("notes.md"), "not a template {").unwrap();
        let s = settings(Mode::Worker, &[("LETTER_TEMPLATES_DIR", d)]).unwrap();
        assert_ne!(*s.letters.templates, *LetterTemplates::builtin());
        assert_eq!(
            s.letters.templates.get("warrant"),
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
        assert_eq!(
            settings(Mode::Dev, &[]).unwrap().policy.retention_months,
            72
        );
        let s = settings(Mode::Worker, &[("RETENTION_MONTHS", "84")]).unwrap();
        assert_eq!(s.retention_policy().months, 84);
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
        let r = settings(Mode::Dev, &[]).unwrap().policy.route;
        assert_eq!(r, rentdesk_routing::RouteSettings::default());
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
        .policy
        .route;
        assert_eq!((s.base.lat, s.base.lon, s.speed_kmh), (53.7, -1.6, 25.5));
        assert_eq!(s.road_factor, 1.4);
        assert_eq!(rentdesk_routing::hm(s.day_start), "09:00");
        assert_eq!(rentdesk_routing::hm(s.day_end), "16:30");
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
