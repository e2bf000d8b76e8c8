//! On-demand benchmarks (not tests). Results are appended to `bench/results/*.md`.
//!
//! `cargo run --release -p rentdesk-bench -- evaluation [--tenancies 100000] [--seed 1]
//!   [--database-url postgres://postgres@127.0.0.1:5432/rentdesk_bench] [--reuse]`
//!
//! Seeds the tenancies with two years of weekly ledger into PostgreSQL, times the full nightly
//! evaluation, and in the same run times `COPY (SELECT … the same ledger rows …) TO STDOUT` as
//! the floor: no evaluation can read its input faster than PostgreSQL can hand it over.
//!
//! `cargo run --release -p rentdesk-bench -- dispatch [--messages 100000] [--workers 4]
//!   [--tenancies 1000] [--database-url postgres://…/rentdesk_bench_dispatch | sqlite://…]`
//!
//! Queues that many SMS (each with a unique body) and dispatches them through the real Twilio
//! client to the fake Twilio on loopback with N concurrent dispatchers on one database, then
//! counts at the fake: duplicates (a body received twice) and losses (a message not received,
//! or a row not marked sent). Both must be 0.
//!
//! `cargo run --release -p rentdesk-bench -- outreach [--tenancies 100000] [--workers 4]
//!   [--messages 30000] [--rate 12000] [--reuse] [--database-url postgres://…/rentdesk_bench_outreach]`
//!
//! Issue 4: the nightly trigger evaluation for every account, then dispatch of what it planned
//! through the fake Twilio, unthrottled and with a configured rate limit (see `outreach.rs`).
//! `cargo build --release -p rentdesk-bench -p rentdesk-worker && target/release/rentdesk-bench
//!   campaign [--recipients 100000] [--workers 4] [--throttle 1200] [--throttle-minutes 3]
//!   [--database-url …] [--queue-url redis://127.0.0.1:6379] [--send-concurrency N]`: a campaign sent by real
//! `rentdesk-worker` processes through the fake Twilio, unthrottled with a process killed
//! mid-run, then against a throttle (see `campaign.rs`).
//!
//! `cargo run --release -p rentdesk-bench -- caseload --tenancies 5000 [--seed 1]
//!   [--profile demo|sector]`: the caseload's priority against 12 weeks of simulated ground
//! truth, on the demo data or the sector-like seed profile (see `caseload.rs`).
//!
//! `cargo run --release -p rentdesk-bench -- reports [--tenancies 100000] [--seed 1]
//!   [--database-url postgres://…/rentdesk_bench_reports] [--reuse] [--check]`: the performance
//! report (`store::reports::performance_report`) over every account for a quarter and for the
//! rent year to date, with its weekly trend: cold (no stored week figures) and warm; with
//! `--check` (always at 5,000 tenancies or fewer) also the full recomputation, which must agree.
//! `scripts/ensure-loadgen.sh && cargo build --release -p rentdesk -p rentdesk-bench &&
//!   target/release/rentdesk-bench api [--tenancies 100000] [--connections 10] [--duration 30]
//!   [--rate 1000] [--reuse]`: `rentdesk serve` under a mix of tenant and officer reads with
//! `oha` at a fixed offered rate and at saturation, against a `pgbench` floor running the
//! tenant-account read's statements, with the server's peak RSS (see `api.rs`).
//! `cargo run --release -p rentdesk-bench -- route [--seed 1]`: the day's visit route — 40
//! visits, 10 with appointment windows — with the production solver limits (timed) against a
//! 60 s solver run (see `route.rs`).

mod api;
mod campaign;
mod caseload;
mod outreach;
mod route;

use anyhow::Context;
use futures::StreamExt;
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};
use std::io::Write;
use std::time::Instant;

struct Args {
    tenancies: u64,
    seed: u64,
    database_url: String,
    reuse: bool,
    messages: u64,
    workers: usize,
    /// `outreach`: the configured dispatch rate limit, messages per minute.
    rate: u32,
    recipients: u64,
    throttle: u32,
    throttle_minutes: u64,
    /// `campaign`: the worker processes' job queue (Redis, as deployed).
    queue_url: String,
    /// `campaign`: the workers' `SEND_CONCURRENCY` (default: theirs).
    send_concurrency: Option<usize>,
    /// `caseload`: which seed profile (`store::seed::Profile`).
    profile: rentdesk_store::seed::Profile,
    /// `reports`: also run the full recomputation and require the same report (always at
    /// 5,000 tenancies or fewer).
    check: bool,
    /// `api`: the server's (and pgbench's) database connections.
    connections: u32,
    /// `api`: seconds per load phase.
    duration: u64,
}

fn parse_args() -> anyhow::Result<(String, Args)> {
    let mut it = std::env::args().skip(1);
    let which = it.next().unwrap_or_else(|| "evaluation".into());
    let mut args = Args {
        tenancies: if which == "dispatch" { 1_000 } else { 100_000 },
        seed: 1,
        database_url: if which == "dispatch" {
            "postgres://postgres@127.0.0.1:5432/rentdesk_bench_dispatch".into()
        } else if which == "outreach" {
            "postgres://postgres@127.0.0.1:5432/rentdesk_bench_outreach".into()
        } else if which == "reports" {
            "postgres://postgres@127.0.0.1:5432/rentdesk_bench_reports".into()
        } else if which == "api" {
            "postgres://postgres@127.0.0.1:5432/rentdesk_bench_api".into()
        } else if which == "campaign" {
            "postgres://postgres@127.0.0.1:5432/rentdesk_bench_campaign".into()
        } else {
            "postgres://postgres@127.0.0.1:5432/rentdesk_bench".into()
        },
        reuse: false,
        messages: if which == "outreach" { 30_000 } else { 100_000 },
        workers: 4,
        rate: if which == "api" { 1_000 } else { 12_000 },
        recipients: 100_000,
        throttle: 1_200,
        throttle_minutes: 3,
        queue_url: "redis://127.0.0.1:6379".into(),
        send_concurrency: None,
        profile: rentdesk_store::seed::Profile::Demo,
        check: false,
        connections: 10,
        duration: 30,
    };
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--tenancies" => args.tenancies = it.next().context("--tenancies N")?.parse()?,
            "--seed" => args.seed = it.next().context("--seed S")?.parse()?,
            "--database-url" => args.database_url = it.next().context("--database-url URL")?,
            "--reuse" => args.reuse = true,
            "--check" => args.check = true,
            "--connections" => args.connections = it.next().context("--connections N")?.parse()?,
            "--duration" => args.duration = it.next().context("--duration SECS")?.parse()?,
            "--messages" => args.messages = it.next().context("--messages N")?.parse()?,
            "--workers" => args.workers = it.next().context("--workers N")?.parse()?,
            "--rate" => args.rate = it.next().context("--rate N")?.parse()?,
            "--recipients" => args.recipients = it.next().context("--recipients N")?.parse()?,
            "--throttle" => args.throttle = it.next().context("--throttle N")?.parse()?,
            "--throttle-minutes" => {
                args.throttle_minutes = it.next().context("--throttle-minutes N")?.parse()?
            }
            "--queue-url" => args.queue_url = it.next().context("--queue-url URL")?,
            "--send-concurrency" => {
                args.send_concurrency = Some(it.next().context("--send-concurrency N")?.parse()?)
            }
            "--profile" => {
                args.profile = it
                    .next()
                    .context("--profile demo|sector")?
                    .parse()
                    .map_err(anyhow::Error::msg)?
            }
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    Ok((which, args))
}

pub(crate) async fn fresh_postgres(
    url: &str,
    reuse: bool,
) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let (server, name) = url.rsplit_once('/').context("database URL ends in /name")?;
    if !reuse {
        let admin = sea_orm::Database::connect(format!("{server}/postgres")).await?;
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
            .await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
    }
    let db = rentdesk_store::db::connect(url, 8).await?;
    rentdesk_store::db::migrate(&db).await?;
    Ok(db)
}

async fn evaluation(args: Args) -> anyhow::Result<String> {
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).context("date")?;
    let db = fresh_postgres(&args.database_url, args.reuse).await?;
    let mut seed_secs = None;
    if rentdesk_store::seed::is_empty(&db).await? {
        let t = Instant::now();
        rentdesk_store::seed::seed(&db, args.tenancies, args.seed, as_of).await?;
        seed_secs = Some(t.elapsed().as_secs_f64());
    }
    db.execute_unprepared("VACUUM ANALYZE").await?;
    let tenancies = rentdesk_store::entities::tenancy::Entity::find()
        .count(&db)
        .await?;
    let transactions = rentdesk_store::entities::transaction::Entity::find()
        .count(&db)
        .await?;

    // Warm both paths once so neither pays for a cold cache the other doesn't.
    let copy_sql = format!(
        "COPY (SELECT id, tenancy_id, posted_on, kind, amount_pence, method FROM transactions \
         WHERE posted_on <= '{as_of}' ORDER BY tenancy_id, posted_on, id) TO STDOUT"
    );
    let copy = || async {
        use sea_orm::sqlx::postgres::PgPoolCopyExt;
        let t = Instant::now();
        let mut stream = db
            .get_postgres_connection_pool()
            .copy_out_raw(&copy_sql)
            .await?;
        let mut bytes = 0usize;
        while let Some(chunk) = stream.next().await {
            bytes += chunk?.len();
        }
        anyhow::Ok((t.elapsed().as_secs_f64(), bytes))
    };
    let evaluate = || async {
        let t = Instant::now();
        let report =
            rentdesk_store::evaluation::evaluate_all(&db, as_of, chrono::Utc::now()).await?;
        anyhow::Ok((t.elapsed().as_secs_f64(), report))
    };
    copy().await?;
    evaluate().await?;
    let mut copy_best = f64::MAX;
    let mut eval_best = f64::MAX;
    let mut copy_bytes = 0;
    let mut report = Default::default();
    for _ in 0..3 {
        let (c, b) = copy().await?;
        copy_best = copy_best.min(c);
        copy_bytes = b;
        let (e, r) = evaluate().await?;
        eval_best = eval_best.min(e);
        report = r;
    }
    let ratio = eval_best / copy_best;
    Ok(format!(
        "## evaluation — {}\n\n\
         - machine: {} cores; PostgreSQL at {}\n\
         - data: {tenancies} tenancies, {transactions} transactions (seed {}, as of {as_of}){}\n\
         - evaluation of every account (best of 3): **{eval_best:.2} s** ({:.0} accounts/s); {report:?}\n\
         - floor, COPY of the same ledger rows TO STDOUT (best of 3): **{copy_best:.2} s** ({:.1} MB)\n\
         - ratio evaluation / floor: **{ratio:.2}×** (target ≤ 2×)\n\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        args.database_url
            .rsplit_once('@')
            .map(|x| x.1)
            .unwrap_or("?"),
        args.seed,
        seed_secs
            .map(|s| format!("; seeding took {s:.0} s"))
            .unwrap_or_default(),
        tenancies as f64 / eval_best,
        copy_bytes as f64 / 1e6,
    ))
}

async fn reports(args: Args) -> anyhow::Result<String> {
    use rentdesk_domain::calendar::RentYear;
    use sea_orm::QuerySelect;
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).context("date")?;
    let db = fresh_postgres(&args.database_url, args.reuse).await?;
    let mut seed_secs = None;
    if rentdesk_store::seed::is_empty(&db).await? {
        let t = Instant::now();
        rentdesk_store::seed::seed(&db, args.tenancies, args.seed, as_of).await?;
        seed_secs = Some(t.elapsed().as_secs_f64());
    }
    db.execute_unprepared("VACUUM ANALYZE").await?;
    let mut ids: Vec<i64> = rentdesk_store::entities::tenancy::Entity::find()
        .select_only()
        .column(rentdesk_store::entities::tenancy::Column::Id)
        .into_tuple()
        .all(&db)
        .await?;
    ids.sort_unstable();
    let transactions = rentdesk_store::entities::transaction::Entity::find()
        .count(&db)
        .await?;
    let mut lines = String::new();
    for (label, from) in [
        (
            "a quarter (13 rent weeks)",
            as_of - chrono::Duration::weeks(13) + chrono::Duration::days(1),
        ),
        ("the rent year to date", RentYear::containing(as_of).start),
    ] {
        // Every day the report reads is before `today`, so its figures are stored.
        let today = as_of + chrono::Duration::days(1);
        let run = || async {
            let t = Instant::now();
            let r =
                rentdesk_store::reports::performance_report(&db, &ids, from, as_of, today).await?;
            anyhow::Ok((t.elapsed().as_secs_f64(), r))
        };
        // Cold: nothing stored (the first report after the migration, or after an import
        // of every ledger), so every account's weeks are computed and stored.
        rentdesk_store::entities::account_week::Entity::delete_many()
            .exec(&db)
            .await?;
        let (cold, first) = run().await?;
        let mut best = f64::MAX;
        let mut weeks = 0;
        let mut rate = None;
        for _ in 0..3 {
            let (secs, r) = run().await?;
            anyhow::ensure!(
                r == first,
                "{label}: a warm report differs from the cold one"
            );
            best = best.min(secs);
            weeks = r.weeks.len();
            rate = r.figures.collection_rate_bp;
        }
        let check = if args.check || ids.len() <= 5_000 {
            let t = Instant::now();
            let reference =
                rentdesk_store::reports::performance_report_reference(&db, &ids, from, as_of)
                    .await?;
            let secs = t.elapsed().as_secs_f64();
            anyhow::ensure!(
                reference == first,
                "{label}: the stored-figures report differs from the full recomputation"
            );
            format!(
                "; identical to the full recomputation (`performance_report_reference`, \
                 {secs:.2} s: {:.0}× the warm time)",
                secs / best
            )
        } else {
            String::new()
        };
        lines.push_str(&format!(
            "- {label}, {from}..{as_of}, {weeks} weekly points: warm (best of 3) **{best:.2} s** \
             ({:.0} accounts/s, {:.2}× the 2 s target), cold (computing and storing every \
             week) {cold:.2} s; collected {}% of rent due{check}\n",
            ids.len() as f64 / best,
            best / 2.0,
            rate.map(rentdesk_domain::kpi::percent_string)
                .unwrap_or_default(),
        ));
    }
    Ok(format!(
        "## reports — {}\n\n\
         - machine: {} cores; PostgreSQL at {}\n\
         - data: {} tenancies, {transactions} transactions (seed {}){}\n\
         {lines}\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        args.database_url
            .rsplit_once('@')
            .map(|x| x.1)
            .unwrap_or("?"),
        ids.len(),
        args.seed,
        seed_secs
            .map(|s| format!("; seeding took {s:.0} s"))
            .unwrap_or_default(),
    ))
}

/// A fresh database for the dispatch benchmark: PostgreSQL (dropped and created) or a new
/// SQLite file.
async fn fresh_database(url: &str, pool: u32) -> anyhow::Result<sea_orm::DatabaseConnection> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        let file = path.split('?').next().unwrap_or(path);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{file}{suffix}"));
        }
        let db = rentdesk_store::db::connect(url, pool).await?;
        rentdesk_store::db::migrate(&db).await?;
        return Ok(db);
    }
    fresh_postgres(url, false).await?.close().await?;
    Ok(rentdesk_store::db::connect(url, pool).await?)
}

async fn dispatch(args: Args) -> anyhow::Result<String> {
    use rentdesk_store::entities::{message, tenant};
    use sea_orm::{ColumnTrait, QueryFilter, Set};
    use std::collections::HashMap;

    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).context("date")?;
    let workers = args.workers.max(1);
    let db = fresh_database(&args.database_url, workers as u32 + 2).await?;
    rentdesk_store::seed::seed(&db, args.tenancies, args.seed, as_of).await?;
    // Everyone may be texted (no flags, open accounts, SMS on) at a distinct valid number.
    use rentdesk_store::entities::{flag, tenancy};
    use sea_orm::sea_query::Expr;
    flag::Entity::delete_many().exec(&db).await?;
    tenancy::Entity::update_many()
        .col_expr(tenancy::Column::Status, Expr::value("active"))
        .exec(&db)
        .await?;
    let people = tenant::Entity::find().all(&db).await?;
    anyhow::ensure!(!people.is_empty(), "the seed made no tenants");
    for p in &people {
        tenant::Entity::update_many()
            .col_expr(
                tenant::Column::Mobile,
                Expr::value(format!("+447{:09}", p.id)),
            )
            .col_expr(tenant::Column::SmsEnabled, Expr::value(true))
            .col_expr(tenant::Column::MobileInvalid, Expr::value(false))
            .filter(tenant::Column::Id.eq(p.id))
            .exec(&db)
            .await?;
    }
    let now = chrono::Utc::now();
    let queue_started = Instant::now();
    let ids: Vec<u64> = (0..args.messages).collect();
    for chunk in ids.chunks(1000) {
        let rows = chunk.iter().map(|i| {
            let p = &people[*i as usize % people.len()];
            message::ActiveModel {
                idempotency_key: Set(format!("bench:dispatch:{i}")),
                tenancy_id: Set(p.tenancy_id),
                tenant_id: Set(Some(p.id)),
                channel: Set("sms".into()),
                template: Set("missed_payment".into()),
                rule_id: Set(Some("bench".into())),
                campaign_id: Set(None),
                body: Set(format!(
                    "Rentdesk benchmark message {i}. Reply STOP to opt out."
                )),
                status: Set("queued".into()),
                suppression_reason: Set(None),
                provider_id: Set(None),
                error: Set(None),
                scheduled_for: Set(Some(now)),
                sent_at: Set(None),
                attempts: Set(0),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
        });
        message::Entity::insert_many(rows)
            .exec_without_returning(&db)
            .await?;
    }
    let queue_secs = queue_started.elapsed().as_secs_f64();

    let (fake, url) = rentdesk_worker::fake_twilio::start().await;
    let client = rentdesk_worker::sms::TwilioClient::new(rentdesk_worker::sms::TwilioConfig {
        base_url: url,
        account_sid: rentdesk_worker::fake_twilio::SID.into(),
        auth_token: rentdesk_worker::fake_twilio::TOKEN.into(),
        sender: rentdesk_worker::sms::Sender::From("+447700900000".into()),
        timeout: std::time::Duration::from_secs(10),
    })?;
    let started = Instant::now();
    // Any hour, no weekly cap: the benchmark measures sending, not the contact window.
    let providers = rentdesk_worker::dispatch::Providers {
        sms: Some(client),
        policy: rentdesk_domain::contact_policy::ContactPolicy::any_time(),
        rate_per_minute: None,
        ..Default::default()
    };
    let runs = (0..workers).map(|_| {
        let (db, providers) = (db.clone(), providers.clone());
        tokio::spawn(
            async move { rentdesk_worker::dispatch::dispatch_all(&db, &providers, now).await },
        )
    });
    let mut reported_sent = 0;
    for run in futures::future::join_all(runs).await {
        reported_sent += run??.sent;
    }
    let secs = started.elapsed().as_secs_f64();

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
    let duplicates: u64 = seen.values().map(|n| n.saturating_sub(1)).sum();
    let received = seen.len() as u64;
    let rows_sent = message::Entity::find()
        .filter(message::Column::Status.eq("sent"))
        .count(&db)
        .await?;
    let losses = (args.messages - received.min(args.messages))
        .max(args.messages - rows_sent.min(args.messages));
    Ok(format!(
        "## dispatch — {}\n\n\
         - machine: {} cores; {} build; database {}; fake Twilio on loopback (in process), real client\n\
         - {} SMS queued ({queue_secs:.1} s to insert), {workers} concurrent dispatchers, {} tenancies\n\
         - dispatched in **{secs:.2} s = {:.0} msgs/s** (unthrottled)\n\
         - at the fake: {received} distinct received; **duplicates {duplicates}**, **losses {losses}**; \
         rows marked sent {rows_sent}; dispatchers reported {reported_sent} sent\n\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
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
        args.messages,
        args.tenancies,
        args.messages as f64 / secs,
    ))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (which, args) = parse_args()?;
    let text = match which.as_str() {
        "evaluation" => evaluation(args).await?,
        "dispatch" => dispatch(args).await?,
        "caseload" => caseload::run(args.tenancies, args.seed, args.profile).await?,
        "outreach" => {
            let rate = args.rate;
            outreach::run(args, rate).await?
        }
        "reports" => reports(args).await?,
        "campaign" => {
            campaign::run(campaign::Args {
                recipients: args.recipients,
                workers: args.workers,
                throttle: args.throttle,
                throttle_minutes: args.throttle_minutes,
                database_url: args.database_url,
                queue_url: args.queue_url,
                send_concurrency: args.send_concurrency,
            })
            .await?
        }
        "api" => {
            api::run(api::Args {
                tenancies: args.tenancies,
                seed: args.seed,
                database_url: args.database_url,
                queue_url: args.queue_url,
                reuse: args.reuse,
                connections: args.connections,
                duration_secs: args.duration,
                rate: args.rate,
            })
            .await?
        }
        "route" => tokio::task::spawn_blocking(move || route::run(args.seed)).await??,
        other => {
            anyhow::bail!(
                "unknown benchmark {other}; expected: evaluation, api, dispatch, outreach, caseload, reports, campaign, route"
            )
        }
    };
    print!("{text}");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("results/{which}.md"));
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)?;
    file.write_all(text.as_bytes())?;
    println!("appended to {}", path.display());
    Ok(())
}
