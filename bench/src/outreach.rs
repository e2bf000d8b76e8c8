//! Issue 4's benchmark: trigger evaluation plus dispatch for a whole landlord.
//!
//! 1. Seed N tenancies (two years of ledger; `--reuse` keeps a seeded database and clears only
//!    the outreach it made last time), give every lead tenant a distinct valid mobile and SMS as
//!    their only channel (so every planned message goes through the fake Twilio and can be
//!    counted; Breathing Space and "no automated contact" flags from the seed stay and suppress).
//! 2. Time the nightly job's work: `evaluation::evaluate_all` then `outreach::plan_all` (every
//!    trigger of every account, through the contact policy, written once).
//! 3. Dispatch what was planned, unthrottled, with `--workers` concurrent dispatchers through the
//!    real Twilio client to the fake on loopback: msgs/s, duplicates, losses.
//! 4. Queue a copy of up to `--messages` of them again and dispatch with the configured rate
//!    limit (`--rate` per minute) by real-time ticks, as the worker's cron does: the most sent in
//!    any 60 s window against the limit (≤ it, and within 5% of it), duplicates, losses.

use crate::Args;
use anyhow::Context;
use chrono::{NaiveDate, Utc};
use rentdesk_store::entities::message;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use std::collections::HashMap;
use std::time::{Duration, Instant};

pub async fn run(args: Args, rate: u32) -> anyhow::Result<String> {
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 23).context("date")?;
    let db = crate::fresh_postgres(&args.database_url, args.reuse).await?;
    let mut seed_secs = None;
    if rentdesk_store::seed::is_empty(&db).await? {
        let t = Instant::now();
        rentdesk_store::seed::seed(&db, args.tenancies, args.seed, as_of).await?;
        seed_secs = Some(t.elapsed().as_secs_f64());
    }
    for sql in [
        "DELETE FROM messages",
        "DELETE FROM tasks",
        "DELETE FROM actions WHERE rule_id IS NOT NULL",
        "DELETE FROM devices",
        "UPDATE tenants SET mobile = '+447' || lpad(id::text, 9, '0'), mobile_invalid = false, \
         sms_enabled = true, email_enabled = false, push_enabled = false, \
         preferred_channel = NULL",
        "UPDATE tenancies SET status = 'active'",
        "VACUUM ANALYZE",
    ] {
        db.execute_unprepared(sql).await?;
    }
    let tenancies = rentdesk_store::entities::tenancy::Entity::find()
        .count(&db)
        .await?;

    // The nightly job: evaluation, then every trigger through the contact policy.
    let policy = rentdesk_domain::contact_policy::ContactPolicy::any_time();
    let t = Instant::now();
    rentdesk_store::evaluation::evaluate_all(&db, as_of, chrono::Utc::now()).await?;
    let eval_secs = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let planned = rentdesk_store::outreach::plan_all(&db, as_of, Utc::now(), &policy).await?;
    let plan_secs = t.elapsed().as_secs_f64();
    let queued = sms_with_status(&db, "queued").await?;

    let (fake, url) = rentdesk_worker::fake_twilio::start().await;
    let client = rentdesk_worker::sms::TwilioClient::new(rentdesk_worker::sms::TwilioConfig {
        base_url: url,
        account_sid: rentdesk_worker::fake_twilio::SID.into(),
        auth_token: rentdesk_worker::fake_twilio::TOKEN.into(),
        sender: rentdesk_worker::sms::Sender::From("+447700900000".into()),
        timeout: Duration::from_secs(10),
    })?;
    let providers = rentdesk_worker::dispatch::Providers {
        sms: Some(client),
        policy,
        rate_per_minute: None,
        ..Default::default()
    };
    let workers = args.workers.max(1);

    // Unthrottled.
    let t = Instant::now();
    let sent = dispatch_ticks(&db, &providers, workers, Duration::ZERO).await?;
    let free_secs = t.elapsed().as_secs_f64();
    let free = count_at_fake(&fake, &db, queued).await?;

    // Throttled: a copy of some of them queued again under new keys.
    let copies = args.messages.min(queued);
    db.execute_unprepared(&format!(
        "INSERT INTO messages (idempotency_key, tenancy_id, tenant_id, channel, template, \
         rule_id, body, status, scheduled_for, attempts, language, created_at, updated_at) \
         SELECT idempotency_key || ':throttled', tenancy_id, tenant_id, channel, template, \
         rule_id, body || ' [' || id || ']', 'queued', now(), 0, language, now(), now() \
         FROM messages WHERE channel = 'sms' AND status = 'sent' ORDER BY id LIMIT {copies}"
    ))
    .await?;
    fake.0
        .lock()
        .map_err(|_| anyhow::anyhow!("fake poisoned"))?
        .sent
        .clear();
    db.execute_unprepared("UPDATE messages SET status = 'done_bench' WHERE status = 'sent'")
        .await?;
    let throttled_providers = rentdesk_worker::dispatch::Providers {
        rate_per_minute: Some(rate),
        ..providers.clone()
    };
    let t = Instant::now();
    let throttled_sent =
        dispatch_ticks(&db, &throttled_providers, workers, Duration::from_secs(1)).await?;
    let throttled_secs = t.elapsed().as_secs_f64();
    let throttled = count_at_fake(&fake, &db, copies).await?;
    let peak = busiest_minute(&db).await?;

    Ok(format!(
        "## outreach — {}\n\n\
         - machine: {} cores; {} build; PostgreSQL at {}; fake Twilio on loopback (in process), real client; {workers} concurrent dispatchers\n\
         - data: {tenancies} tenancies (seed {}, as of {as_of}){}\n\
         - trigger evaluation (nightly job): evaluation {eval_secs:.1} s + planning every trigger through the contact policy {plan_secs:.1} s = **{:.1} s**; {planned:?}\n\
         - unthrottled: {queued} SMS dispatched in {free_secs:.1} s = **{:.0} msgs/s**; at the fake {} distinct, **duplicates {}**, **losses {}**; dispatchers reported {sent} sent\n\
         - throttled at {rate}/min: {copies} SMS in {throttled_secs:.1} s; most sent in any 60 s window **{peak}** = **{:.3}× the limit** (target ≤ 1 and ≥ 0.95); **duplicates {}**, **losses {}**; dispatchers reported {throttled_sent} sent\n\n",
        Utc::now().format("%Y-%m-%d %H:%M UTC"),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        args.database_url
            .rsplit_once('@')
            .map(|x| x.1)
            .unwrap_or("?"),
        args.seed,
        seed_secs
            .map(|s| format!("; seeding took {s:.0} s"))
            .unwrap_or_default(),
        eval_secs + plan_secs,
        queued as f64 / free_secs.max(1e-9),
        free.received,
        free.duplicates,
        free.losses,
        peak as f64 / f64::from(rate),
        throttled.duplicates,
        throttled.losses,
    ))
}

async fn sms_with_status(db: &sea_orm::DatabaseConnection, status: &str) -> anyhow::Result<u64> {
    Ok(message::Entity::find()
        .filter(message::Column::Channel.eq("sms"))
        .filter(message::Column::Status.eq(status))
        .count(db)
        .await?)
}

/// Run `workers` dispatchers on ticks `every` apart (zero: back to back) until no SMS is queued
/// or sending; the number they report sent.
async fn dispatch_ticks(
    db: &sea_orm::DatabaseConnection,
    providers: &rentdesk_worker::dispatch::Providers,
    workers: usize,
    every: Duration,
) -> anyhow::Result<u64> {
    let mut sent = 0;
    loop {
        let tick = Instant::now();
        let now = Utc::now();
        let runs = (0..workers).map(|_| {
            let (db, providers) = (db.clone(), providers.clone());
            tokio::spawn(async move {
                rentdesk_worker::dispatch::dispatch_all(&db, &providers, now).await
            })
        });
        for run in futures::future::join_all(runs).await {
            sent += run??.sent;
        }
        if sms_with_status(db, "queued").await? + sms_with_status(db, "sending").await? == 0 {
            return Ok(sent);
        }
        if let Some(left) = every.checked_sub(tick.elapsed()) {
            tokio::time::sleep(left).await;
        }
    }
}

struct Count {
    received: u64,
    duplicates: u64,
    losses: u64,
}

async fn count_at_fake(
    fake: &rentdesk_worker::fake_twilio::Fake,
    db: &sea_orm::DatabaseConnection,
    expected: u64,
) -> anyhow::Result<Count> {
    let mut seen: HashMap<(String, String), u64> = HashMap::new();
    for form in &fake
        .0
        .lock()
        .map_err(|_| anyhow::anyhow!("fake poisoned"))?
        .sent
    {
        let key = (
            form.get("To").cloned().unwrap_or_default(),
            form.get("Body").cloned().unwrap_or_default(),
        );
        *seen.entry(key).or_default() += 1;
    }
    let duplicates = seen.values().map(|n| n.saturating_sub(1)).sum();
    let received = seen.len() as u64;
    let rows_sent = sms_with_status(db, "sent").await?;
    Ok(Count {
        received,
        duplicates,
        losses: (expected - received.min(expected)).max(expected - rows_sent.min(expected)),
    })
}

/// The most SMS marked sent within any 60 s window.
async fn busiest_minute(db: &sea_orm::DatabaseConnection) -> anyhow::Result<u64> {
    let mut times: Vec<chrono::DateTime<Utc>> = message::Entity::find()
        .filter(message::Column::Channel.eq("sms"))
        .filter(message::Column::Status.eq("sent"))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|m| m.sent_at)
        .collect();
    times.sort_unstable();
    let mut best = 0;
    let mut start = 0;
    for end in 0..times.len() {
        while times[end] - times[start] >= chrono::Duration::seconds(60) {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    Ok(best as u64)
}
