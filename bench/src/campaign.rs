//! `cargo build --release -p rentdesk-bench -p rentdesk-worker`, then
//! `target/release/rentdesk-bench campaign [--recipients 100000] [--workers 4] [--throttle 1200]
//!   [--throttle-minutes 3] [--database-url postgres://…/rentdesk_bench_campaign]
//!   [--queue-url redis://127.0.0.1:6379] [--send-concurrency N]`
//!
//! A campaign to every one of N accounts (each with its own mobile number), fanned out by the
//! real `campaigns::fan_out` and sent by W real `rentdesk-worker` processes — the deployment:
//! PostgreSQL, the Redis job queue, dispatch ticking every second — through the real Twilio
//! client to the fake Twilio on loopback (in this process, so it counts what arrives):
//!
//! 1. **Unthrottled**; one worker process is killed with SIGKILL when about a third has gone,
//!    and another started. Once the queue is empty the workers are stopped (SIGTERM), and a
//!    dispatch tick after the abandoned-send timeout reconciles what the kill left in flight.
//!    At the fake: duplicates (a body received twice) and losses (a recipient who got
//!    nothing, or a row not marked sent). Both must be 0. Throughput is counted from the
//!    first to the last message the fake accepted.
//! 2. **Throttled**: a second campaign to the same accounts at T messages a minute, sent by
//!    the W processes for M minutes on the real clock: the rate achieved against T.

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
    /// The workers' job queue (`REDIS_URL`): Redis, as deployed.
    pub queue_url: String,
    /// The workers' `SEND_CONCURRENCY`; `None` = their default.
    pub send_concurrency: Option<usize>,
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
            rent_period: Set("weekly".into()),
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
                chrono::Utc::now(),
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
    let today = rentdesk_store::Clock::system().today();

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
        base_url: url.clone(),
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
    let fleet = Fleet {
        binary: worker_binary()?,
        database_url: args.database_url.clone(),
        queue_url: args.queue_url.clone(),
        namespace: format!("bench-campaign-{}", std::process::id()),
        twilio_url: url.clone(),
        send_concurrency: args.send_concurrency,
    };
    let started = Instant::now();
    let mut running = (0..workers)
        .map(|_| fleet.start())
        .collect::<anyhow::Result<Vec<_>>>()?;
    // Kill one worker process (SIGKILL) a third of the way through; start another.
    let kill_at = (args.recipients / 3) as usize;
    while sent_at_fake(&fake)? < kill_at {
        Fleet::all_alive(&mut running)?;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let mut killed = running.remove(0);
    // (An error here means it had already exited; either way it is waited for.)
    killed.kill().ok();
    killed.wait()?;
    let left_claimed = message::Entity::find()
        .filter(message::Column::Status.eq("sending"))
        .count(&db)
        .await?;
    running.push(fleet.start()?);
    while message::Entity::find()
        .filter(message::Column::CampaignId.eq(c.id))
        .filter(message::Column::Status.eq("queued"))
        .count(&db)
        .await?
        > 0
    {
        Fleet::all_alive(&mut running)?;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // The queue is empty: stop the workers gracefully (their sends in flight finish).
    for child in running {
        Fleet::stop(child).await?;
    }
    let secs = started.elapsed().as_secs_f64();
    let (first, last) = first_and_last(&fake)?;
    let busy_secs = (last - first).num_milliseconds() as f64 / 1000.0;
    // Later, one tick reconciles with Twilio what the kill left in flight.
    let later = Utc::now() + rentdesk_store::outbox::SENDING_TIMEOUT + Duration::minutes(31);
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
    let before = sent_at_fake(&fake)?;
    let t = Instant::now();
    let window = std::time::Duration::from_secs(60 * args.throttle_minutes);
    let mut running = (0..workers)
        .map(|_| fleet.start())
        .collect::<anyhow::Result<Vec<_>>>()?;
    while t.elapsed() < window {
        Fleet::all_alive(&mut running)?;
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let throttled_sent = sent_at_fake(&fake)? - before;
    let throttled_secs = t.elapsed().as_secs_f64();
    for child in running {
        Fleet::stop(child).await?;
    }
    let per_minute = throttled_sent as f64 / throttled_secs * 60.0;
    let off = (per_minute - f64::from(args.throttle)) / f64::from(args.throttle) * 100.0;

    Ok(format!(
        "## campaign — {}\n\n\
         - machine: {} cores; {} build; database {}; queue {}; {workers} `rentdesk-worker` processes (dispatch ticking every second, send concurrency {}); \
         fake Twilio on loopback (in the bench process), real client\n\
         - {n} recipients ({setup_secs:.1} s to create the accounts); fan-out planned them in **{fan_out_secs:.1} s** ({:.0} recipients/s)\n\
         - unthrottled: first to last send at the fake **{busy_secs:.2} s = {:.0} msgs/s** ({secs:.2} s = {:.0} msgs/s from starting the processes \
         to the last one stopped); one process killed (SIGKILL) after {kill_at} sends (it left {left_claimed} rows claimed) and another started; \
         the reconcile tick afterwards: {reconciled:?}\n\
         - at the fake: {received} distinct received; **duplicates {duplicates}**, **losses {losses}**; rows marked sent {rows_sent}\n\
         - throttled at {} msgs/min, the {workers} processes ticking every second for {} min on the real clock: {throttled_sent} sent = \
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
        args.queue_url,
        args.send_concurrency.map_or_else(
            || format!(
                "{} (default)",
                rentdesk_worker::dispatch::DEFAULT_SEND_CONCURRENCY
            ),
            |n| n.to_string()
        ),
        n as f64 / fan_out_secs,
        (n.saturating_sub(1)) as f64 / busy_secs.max(0.001),
        n as f64 / secs,
        args.throttle,
        args.throttle_minutes,
    ))
}

fn sent_at_fake(fake: &rentdesk_worker::fake_twilio::Fake) -> anyhow::Result<usize> {
    Ok(fake
        .0
        .lock()
        .map_err(|_| anyhow::anyhow!("fake poisoned"))?
        .sent
        .len())
}

/// When the fake accepted its first and its last message.
fn first_and_last(
    fake: &rentdesk_worker::fake_twilio::Fake,
) -> anyhow::Result<(chrono::DateTime<Utc>, chrono::DateTime<Utc>)> {
    let state = fake
        .0
        .lock()
        .map_err(|_| anyhow::anyhow!("fake poisoned"))?;
    let first = state.created.iter().min().context("nothing sent")?;
    let last = state.created.iter().max().context("nothing sent")?;
    Ok((*first, *last))
}

/// The `rentdesk-worker` binary beside this one (the same `cargo build` makes both).
fn worker_binary() -> anyhow::Result<std::path::PathBuf> {
    let path = std::env::current_exe()?
        .with_file_name(format!("rentdesk-worker{}", std::env::consts::EXE_SUFFIX));
    anyhow::ensure!(
        path.exists(),
        "{} not found: build it with the bench, e.g. `cargo build --release -p rentdesk-bench -p rentdesk-worker`",
        path.display()
    );
    Ok(path)
}

/// Real worker processes, as deployed: PostgreSQL, the Redis queue, Twilio (the fake here).
struct Fleet {
    binary: std::path::PathBuf,
    database_url: String,
    queue_url: String,
    namespace: String,
    twilio_url: String,
    send_concurrency: Option<usize>,
}

impl Fleet {
    fn start(&self) -> anyhow::Result<std::process::Child> {
        let mut command = std::process::Command::new(&self.binary);
        if let Some(n) = self.send_concurrency {
            command.env("SEND_CONCURRENCY", n.to_string());
        }
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &self.database_url)
            .env("REDIS_URL", &self.queue_url)
            .env("QUEUE_NAMESPACE", &self.namespace)
            .env("TWILIO_ACCOUNT_SID", rentdesk_worker::fake_twilio::SID)
            .env("TWILIO_AUTH_TOKEN", rentdesk_worker::fake_twilio::TOKEN)
            // The worker refuses to start without a signing key (issue 19).
            .env("TOKEN_SIGNING_KEY", "bench-signing-key-Wq4Zt8Lm1Xv6Nr3Kb9")
            .env("TWILIO_FROM", "+447700900000")
            .env("TWILIO_BASE_URL", &self.twilio_url)
            .env("DISPATCH_CRON", "* * * * * *")
            // Any hour, no weekly cap: the benchmark measures sending, not the contact window.
            .env("CONTACT_HOURS", "00:00-00:00")
            .env("CONTACT_ON_SUNDAYS", "true")
            .env("CONTACT_ON_BANK_HOLIDAYS", "true")
            .env("CONTACT_WEEKLY_CAP", "1000000")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .with_context(|| format!("start {}", self.binary.display()))
    }

    /// An error if a worker has exited (bad configuration, a crash): the benchmark would
    /// otherwise wait for sends that never come.
    fn all_alive(running: &mut [std::process::Child]) -> anyhow::Result<()> {
        for child in running {
            if let Some(status) = child.try_wait()? {
                anyhow::bail!("worker {} exited early: {status}", child.id());
            }
        }
        Ok(())
    }

    /// SIGTERM, then wait: the worker finishes its sends in flight and exits.
    async fn stop(mut child: std::process::Child) -> anyhow::Result<()> {
        std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()?;
        let deadline = Instant::now() + std::time::Duration::from_secs(300);
        while child.try_wait()?.is_none() {
            anyhow::ensure!(
                Instant::now() < deadline,
                "worker {} did not stop on SIGTERM",
                child.id()
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        Ok(())
    }
}
