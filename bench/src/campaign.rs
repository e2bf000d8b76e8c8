//! `cargo run --release -p rentdesk-bench -- campaign [--recipients 100000] [--workers 4]
//!   [--throttle 1200] [--throttle-minutes 3] [--database-url postgres://…/rentdesk_bench_campaign]`
//!
//! A campaign to every one of N accounts (each with its own mobile number), fanned out by the
//! real `campaigns::fan_out` and sent by the real dispatch through the real Twilio client to
//! the fake Twilio on loopback:
//!
//! 1. **Unthrottled**, with W concurrent dispatchers; one of them is killed (its task
//!    aborted mid-send, leaving rows claimed) when about a third has gone, and a new one
//!    started. A dispatch tick after the abandoned-send timeout reconciles what the kill left
//!    in flight. At the fake: duplicates (a body received twice) and losses (a recipient who
//!    got nothing, or a row not marked sent). Both must be 0.
//! 2. **Throttled**: a second campaign to the same accounts at T messages a minute, with
//!    dispatch ticks every 2 s on the real clock for M minutes: the rate achieved against T.

use anyhow::Context;
use chrono::{Duration, Utc};
use rentdesk_domain::contact_policy::{Channel, ContactPolicy};
use rentdesk_domain::segments::Segment;
use rentdesk_store::campaigns::{self, Definition};
use rentdesk_store::entities::{message, staff_user, tenancy, tenant};
use rentdesk_worker::dispatch::{Providers, dispatch_all};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

pub struct Args {
    pub recipients: u64,
    pub workers: usize,
    pub throttle: u32,
    pub throttle_minutes: u64,
    pub database_url: String,
}

/// N active accounts with a lead tenant each, textable at a distinct number, named so that
/// every rendered message is distinct ("Hi T42 …").
async fn accounts(db: &sea_orm::DatabaseConnection, n: u64) -> anyhow::Result<()> {
    let now = Utc::now();
    let start = chrono::NaiveDate::from_ymd_opt(2020, 4, 6).context("date")?;
    let ids: Vec<u64> = (0..n).collect();
    for chunk in ids.chunks(1000) {
        tenancy::Entity::insert_many(chunk.iter().map(|i| tenancy::ActiveModel {
            reference: Set(format!("B{i:07}")),
            tenure: Set("secure".into()),
            status: Set("active".into()),
            address_line1: Set(format!("{i} Bench Street")),
            town: Set("Huddersfield".into()),
            postcode: Set("HD1 1AA".into()),
            start_date: Set(start),
            weekly_rent_pence: Set(10_000),
            weekly_service_charge_pence: Set(0),
            rent_free_weeks: Set(String::new()),
            rent_free_only_when_clear: Set(false),
            payment_method: Set("card".into()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }))
        .exec_without_returning(db)
        .await?;
    }
    let tenancy_ids: Vec<(i64, String)> = {
        use sea_orm::QuerySelect;
        tenancy::Entity::find()
            .select_only()
            .column(tenancy::Column::Id)
            .column(tenancy::Column::Reference)
            .into_tuple()
            .all(db)
            .await?
    };
    for chunk in tenancy_ids.chunks(1000) {
        tenant::Entity::insert_many(chunk.iter().map(|(id, _)| {
            tenant::ActiveModel::person(
                *id,
                format!("T{id} Bench"),
                None,
                true,
                Some(format!("+447{id:09}")),
                None,
            )
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

fn definition(name: &str, throttle: Option<u32>) -> Definition {
    Definition {
        name: name.into(),
        segment: Segment::default(),
        channels: vec![Channel::Sms],
        templates: BTreeMap::from([(
            Channel::Sms,
            vec![format!("Hi {{first_name}}, {name}: {{app_link}}")],
        )]),
        schedule_at: None,
        throttle_per_minute: throttle,
        ends_on: None,
        control_percent: 0,
    }
}

fn bodies(fake: &rentdesk_worker::fake_twilio::Fake) -> anyhow::Result<HashMap<String, u64>> {
    let mut seen: HashMap<String, u64> = HashMap::new();
    for form in &fake
        .0
        .lock()
        .map_err(|_| anyhow::anyhow!("fake poisoned"))?
        .sent
    {
        *seen
            .entry(form.get("Body").cloned().unwrap_or_default())
            .or_default() += 1;
    }
    Ok(seen)
}

pub async fn run(args: Args) -> anyhow::Result<String> {
    let workers = args.workers.max(1);
    let db = crate::fresh_database(&args.database_url, workers as u32 + 4).await?;
    let t = Instant::now();
    accounts(&db, args.recipients).await?;
    let setup_secs = t.elapsed().as_secs_f64();
    let admin = sea_orm::ActiveModelTrait::insert(
        staff_user::ActiveModel {
            email: Set("bench-admin@rentdesk.example".into()),
            name: Set("Bench admin".into()),
            role: Set("admin".into()),
            team: Set(None),
            password_hash: Set(None),
            active: Set(true),
            created_at: Set(Utc::now()),
            ..Default::default()
        },
        &db,
    )
    .await?;
    // Any hour, no weekly cap: the benchmark measures sending, not the contact window.
    let policy = ContactPolicy::any_time();
    let today = rentdesk_store::london_today();

    // 1. Unthrottled, with a kill.
    let c = campaigns::create(
        &db,
        &definition("bench unthrottled", None),
        &admin,
        Utc::now(),
    )
    .await?;
    let c = match campaigns::launch(&db, &c, Utc::now()).await? {
        Ok(c) => c,
        Err(e) => anyhow::bail!("launch refused: {e:?}"),
    };
    let t = Instant::now();
    let fanned = campaigns::fan_out(&db, c.id, today, Utc::now(), &policy).await?;
    let fan_out_secs = t.elapsed().as_secs_f64();
    anyhow::ensure!(
        fanned.queued == args.recipients,
        "fan-out queued {} of {}",
        fanned.queued,
        args.recipients
    );

    let (fake, url) = rentdesk_worker::fake_twilio::start().await;
    let client = rentdesk_worker::sms::TwilioClient::new(rentdesk_worker::sms::TwilioConfig {
        base_url: url,
        account_sid: rentdesk_worker::fake_twilio::SID.into(),
        auth_token: rentdesk_worker::fake_twilio::TOKEN.into(),
        sender: rentdesk_worker::sms::Sender::From("+447700900000".into()),
        timeout: std::time::Duration::from_secs(10),
    })?;
    let providers = Providers {
        sms: Some(client),
        policy: policy.clone(),
        ..Default::default()
    };
    let now = Utc::now() + Duration::seconds(1);
    let spawn = |db: sea_orm::DatabaseConnection, providers: Providers| {
        tokio::spawn(async move { dispatch_all(&db, &providers, now).await })
    };
    let started = Instant::now();
    let mut runs: Vec<_> = (0..workers)
        .map(|_| spawn(db.clone(), providers.clone()))
        .collect();
    // Kill one dispatcher a third of the way through; start another in its place.
    let kill_at = (args.recipients / 3) as usize;
    while fake
        .0
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .sent
        .len()
        < kill_at
    {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    runs[0].abort();
    let left_claimed = message::Entity::find()
        .filter(message::Column::Status.eq("sending"))
        .count(&db)
        .await?;
    runs.push(spawn(db.clone(), providers.clone()));
    let mut reported = 0;
    for (i, run) in runs.into_iter().enumerate() {
        match run.await {
            Ok(r) => reported += r?.sent,
            Err(e) if i == 0 && e.is_cancelled() => {}
            Err(e) => return Err(e.into()),
        }
    }
    let secs = started.elapsed().as_secs_f64();
    // After the abandoned-send timeout and the reconcile delay: what the kill left in flight.
    let later = now + rentdesk_store::outbox::SENDING_TIMEOUT + Duration::minutes(31);
    let reconciled = dispatch_all(&db, &providers, later).await?;
    let seen = bodies(&fake)?;
    let duplicates: u64 = seen.values().map(|n| n.saturating_sub(1)).sum();
    let received = seen.len() as u64;
    let rows_sent = message::Entity::find()
        .filter(message::Column::CampaignId.eq(c.id))
        .filter(message::Column::Status.eq("sent"))
        .count(&db)
        .await?;
    let n = args.recipients;
    let losses = (n - received.min(n)).max(n - rows_sent.min(n));

    // 2. Throttled, on the real clock.
    let c2 = campaigns::create(
        &db,
        &definition("bench throttled", Some(args.throttle)),
        &admin,
        Utc::now(),
    )
    .await?;
    campaigns::launch(&db, &c2, Utc::now())
        .await?
        .ok()
        .context("launch")?;
    campaigns::fan_out(&db, c2.id, today, Utc::now(), &policy).await?;
    let before = fake
        .0
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .sent
        .len();
    let t = Instant::now();
    let window = std::time::Duration::from_secs(60 * args.throttle_minutes);
    while t.elapsed() < window {
        let ticks = (0..2).map(|_| {
            let (db, providers) = (db.clone(), providers.clone());
            tokio::spawn(async move { dispatch_all(&db, &providers, Utc::now()).await })
        });
        for r in futures::future::join_all(ticks).await {
            r??;
        }
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    }
    let throttled_sent = fake
        .0
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .sent
        .len()
        - before;
    let per_minute = throttled_sent as f64 / t.elapsed().as_secs_f64() * 60.0;
    let off = (per_minute - f64::from(args.throttle)) / f64::from(args.throttle) * 100.0;

    Ok(format!(
        "## campaign — {}\n\n\
         - machine: {} cores; {} build; database {}; fake Twilio on loopback (in process), real client\n\
         - {n} recipients ({setup_secs:.1} s to create the accounts); fan-out planned them in **{fan_out_secs:.1} s** ({:.0} recipients/s)\n\
         - unthrottled, {workers} concurrent dispatchers: **{secs:.2} s = {:.0} msgs/s**; one dispatcher killed after {kill_at} sends \
         (it left {left_claimed} rows claimed) and another started; the reconcile tick afterwards: {reconciled:?}\n\
         - at the fake: {received} distinct received; **duplicates {duplicates}**, **losses {losses}**; rows marked sent {rows_sent}; \
         dispatchers reported {reported} sent\n\
         - throttled at {} msgs/min, 2 dispatchers ticking every 2 s for {} min on the real clock: {throttled_sent} sent = \
         **{per_minute:.0} msgs/min ({off:+.1}% of the throttle)**\n\n",
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
            .unwrap_or(&args.database_url),
        n as f64 / fan_out_secs,
        n as f64 / secs,
        args.throttle,
        args.throttle_minutes,
    ))
}
