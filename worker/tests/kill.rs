//! Issue 4: "a worker killed in the middle of a run loses nothing and duplicates nothing when
//! restarted". The real `rentdesk-worker` binary dispatches queued SMS to the fake Twilio (slowed
//! down so the kill lands mid-batch), is killed with SIGKILL, restarted, stopped with SIGTERM;
//! then a later dispatch tick reconciles whatever the kill left in flight. Every message must
//! be at the fake exactly once and marked sent.

use chrono::Utc;
use rentdesk_domain::contact_policy::ContactPolicy;
use rentdesk_store::entities::{flag, message, tenancy, tenant};
use rentdesk_worker::dispatch::{Providers, dispatch_all};
use rentdesk_worker::fake_twilio;
use rentdesk_worker::sms::{Sender, TwilioClient, TwilioConfig};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const MESSAGES: u64 = 150;
const WAIT: Duration = Duration::from_secs(90);

/// A fresh database: PostgreSQL under `RENTDESK_TEST_BACKEND=postgres`, else a SQLite file.
async fn fresh_database(dir: &std::path::Path) -> String {
    if std::env::var("RENTDESK_TEST_BACKEND").as_deref() == Ok("postgres") {
        let admin = std::env::var("TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!(
            "rentdesk_kill_{}_{}",
            std::process::id(),
            Utc::now().timestamp_subsec_nanos()
        );
        let db = sea_orm::Database::connect(admin.as_str()).await.unwrap();
        db.execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        db.close().await.ok();
        let base = admin.rsplit_once('/').unwrap().0.to_owned();
        format!("{base}/{name}")
    } else {
        format!(
            "sqlite://{}?mode=rwc",
            dir.join("rentdesk.sqlite").display()
        )
    }
}

fn start_worker(database_url: &str, queue_url: &str, twilio_url: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_rentdesk-worker"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("QUEUE_URL", queue_url)
        .env("TWILIO_ACCOUNT_SID", fake_twilio::SID)
        .env("TWILIO_AUTH_TOKEN", fake_twilio::TOKEN)
        // The worker signs email links: it refuses to start without a key (issue 19).
        .env(
            "TOKEN_SIGNING_KEY",
            "kill-test-signing-key-Lq8Vz3Xt0Nm5Rb2Kc7",
        )
        .env("TWILIO_FROM", "+447700900000")
        .env("TWILIO_BASE_URL", twilio_url)
        .env("DISPATCH_CRON", "* * * * * *")
        // Whatever the hour and however many messages per tenant: this test is about kills.
        .env("CONTACT_HOURS", "00:00-00:00")
        .env("CONTACT_ON_SUNDAYS", "true")
        .env("CONTACT_ON_BANK_HOLIDAYS", "true")
        .env("CONTACT_WEEKLY_CAP", "1000000")
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start rentdesk-worker")
}

async fn wait_until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn bodies_at(fake: &fake_twilio::Fake) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for form in &fake.0.lock().unwrap().sent {
        *seen.entry(form["Body"].clone()).or_default() += 1;
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_batch_loses_nothing_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = fresh_database(dir.path()).await;
    let queue_url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("queue.sqlite").display()
    );
    let db = rentdesk_store::db::connect(&database_url, 4).await.unwrap();
    rentdesk_store::db::migrate(&db).await.unwrap();
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    rentdesk_store::seed::seed(&db, 10, 7, as_of).await.unwrap();
    // Everyone may be texted: no flags, open accounts, SMS on, valid numbers.
    flag::Entity::delete_many().exec(&db).await.unwrap();
    tenancy::Entity::update_many()
        .col_expr(tenancy::Column::Status, Expr::value("active"))
        .exec(&db)
        .await
        .unwrap();
    let people = tenant::Entity::find().all(&db).await.unwrap();
    for p in &people {
        let mut am: tenant::ActiveModel = p.clone().into();
        am.mobile = Set(Some(format!("+447{:09}", p.id)));
        am.sms_enabled = Set(true);
        am.mobile_invalid = Set(false);
        sea_orm::ActiveModelTrait::update(am, &db).await.unwrap();
    }
    let now = Utc::now();
    let rows = (0..MESSAGES).map(|i| {
        let p = &people[i as usize % people.len()];
        message::ActiveModel {
            idempotency_key: Set(format!("test:kill:{i}")),
            tenancy_id: Set(p.tenancy_id),
            tenant_id: Set(Some(p.id)),
            channel: Set("sms".into()),
            template: Set("missed_payment".into()),
            rule_id: Set(Some("test".into())),
            campaign_id: Set(None),
            body: Set(format!("Kill test message {i}")),
            status: Set("queued".into()),
            suppression_reason: Set(None),
            provider_id: Set(None),
            error: Set(None),
            scheduled_for: Set(Some(now - chrono::Duration::minutes(1))),
            sent_at: Set(None),
            attempts: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
    });
    message::Entity::insert_many(rows)
        .exec_without_returning(&db)
        .await
        .unwrap();

    let (fake, twilio_url) = fake_twilio::start().await;
    fake.0.lock().unwrap().delay = Some(Duration::from_millis(25));

    // Kill the first worker once it is well into the batch.
    let mut first = start_worker(&database_url, &queue_url, &twilio_url);
    wait_until("the first sends", async || {
        fake.0.lock().unwrap().sent.len() >= 20
    })
    .await;
    first.kill().unwrap();
    first.wait().unwrap();
    let at_kill = fake.0.lock().unwrap().sent.len() as u64;
    assert!(
        at_kill < MESSAGES,
        "the kill came too late to test anything"
    );

    // A new worker sends the rest; what the dead one had in flight is not sent blindly.
    let mut second = start_worker(&database_url, &queue_url, &twilio_url);
    wait_until("the queue to drain", async || {
        message::Entity::find()
            .filter(message::Column::Status.eq("queued"))
            .count(&db)
            .await
            .unwrap()
            == 0
    })
    .await;
    // Stop it gracefully (SIGTERM): its in-flight dispatch finishes first.
    Command::new("kill")
        .args(["-TERM", &second.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + WAIT;
    while second.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "the worker did not stop on SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Later, a tick reconciles the rows the kill left in `sending`: found at Twilio → sent;
    // never reached Twilio → queued again once and sent.
    let providers = Providers {
        sms: Some(
            TwilioClient::new(TwilioConfig {
                base_url: twilio_url.clone(),
                account_sid: fake_twilio::SID.into(),
                auth_token: fake_twilio::TOKEN.into(),
                sender: Sender::From("+447700900000".into()),
                timeout: Duration::from_secs(5),
            })
            .unwrap(),
        ),
        policy: ContactPolicy::any_time(),
        rate_per_minute: None,
        send_concurrency: 0,
        ..Default::default()
    };
    let later = Utc::now() + chrono::Duration::hours(1);
    let r = dispatch_all(&db, &providers, later).await.unwrap();
    eprintln!("after the kill: {at_kill} sent before it; reconciliation {r:?}");
    // The kill left claimed rows behind, and every one was settled by asking Twilio.
    assert!(r.marked_unknown > 0, "{r:?}");
    assert_eq!(r.reconciled + r.requeued, r.marked_unknown, "{r:?}");

    let seen = bodies_at(&fake);
    let duplicates: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(duplicates.is_empty(), "sent twice: {duplicates:?}");
    assert_eq!(seen.len() as u64, MESSAGES, "lost at the provider");
    let not_sent: Vec<_> = message::Entity::find()
        .filter(message::Column::Status.ne("sent"))
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.id, m.status))
        .collect();
    assert!(not_sent.is_empty(), "rows not marked sent: {not_sent:?}");
}
