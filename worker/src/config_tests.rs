//! The worker's part of the configuration (`WorkerConfig::from_settings`), read through
//! `rentdesk-config` as the binaries read it.

use rentdesk_config::{ConfigError, Mode, Settings};
use std::collections::HashMap;

use crate::WorkerConfig;

/// As `rentdesk_config`'s tests: a worker gets a signing key unless the test gives its own.
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

fn worker_config(s: &Settings) -> WorkerConfig {
    WorkerConfig::from_settings(s)
}

#[test]
fn the_worker_gets_the_bound_on_one_amount() {
    let s = settings(Mode::Dev, &[("MAX_ROW_AMOUNT_PENCE", "5000000")]).unwrap();
    assert_eq!(
        worker_config(&s).max_row_amount,
        rentdesk_domain::Pence(5_000_000)
    );
}

#[test]
fn the_worker_gets_the_twilio_settings_and_the_status_callback() {
    let ok = settings(
        Mode::Dev,
        &[
            ("TWILIO_ACCOUNT_SID", "AC123"),
            ("TWILIO_AUTH_TOKEN", "t0ken"),
            ("TWILIO_MESSAGING_SERVICE_SID", "MG1"),
        ],
    )
    .unwrap();
    assert!(
        worker_config(&ok).sms.is_some(),
        "the worker gets the Twilio settings"
    );
    assert_eq!(
        worker_config(&ok).status_callback.as_deref(),
        Some("http://127.0.0.1:8080/webhooks/twilio/status")
    );
}

#[test]
fn the_worker_gets_the_smtp_settings() {
    let ok = settings(
        Mode::Worker,
        &[
            ("SMTP_URL", "smtp://mailpit:1025"),
            ("EMAIL_FROM", "Rent team <rent@landlord.example>"),
            ("PUBLIC_URL", "https://rent.landlord.example"),
        ],
    )
    .unwrap();
    assert!(worker_config(&ok).email.is_some());
}

#[test]
fn the_worker_gets_the_contact_policy_and_the_retention() {
    let s = settings(
        Mode::Dev,
        &[
            ("CONTACT_HOURS", "09:30-00:00"),
            ("CONTACT_ON_SUNDAYS", "true"),
            ("CONTACT_WEEKLY_CAP", "5"),
        ],
    )
    .unwrap();
    let p = &worker_config(&s).contact_policy;
    assert_eq!(
        p.window_start,
        chrono::NaiveTime::from_hms_opt(9, 30, 0).unwrap()
    );
    assert!(p.window_end > chrono::NaiveTime::from_hms_opt(23, 59, 59).unwrap());
    assert!(p.allow_sundays && !p.allow_bank_holidays);
    assert_eq!(p.max_automated_per_7_days, 5);
    let s = settings(Mode::Worker, &[("RETENTION_MONTHS", "84")]).unwrap();
    assert_eq!(worker_config(&s).retention.months, 84);
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
    let push = ok.providers.push.expect("FCM configured");
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
