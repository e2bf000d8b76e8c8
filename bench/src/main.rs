//! On-demand benchmarks (not tests). Results are appended to `bench/results/*.md`.
//!
//! `cargo run --release -p rentdesk-bench -- evaluation [--tenancies 100000] [--seed 1]
//!   [--database-url postgres://postgres@127.0.0.1:5432/rentdesk_bench] [--reuse]`
//!
//! Seeds the tenancies with two years of weekly ledger into PostgreSQL, times the full nightly
//! evaluation, and in the same run times `COPY (SELECT … the same ledger rows …) TO STDOUT` as
//! the floor: no evaluation can read its input faster than PostgreSQL can hand it over.
//!
//! `cargo run --release -p rentdesk-bench -- caseload --tenancies 5000 [--seed 1]`: the
//! caseload's priority against 12 weeks of simulated ground truth (see `caseload.rs`).

mod caseload;

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
}

fn parse_args() -> anyhow::Result<(String, Args)> {
    let mut it = std::env::args().skip(1);
    let which = it.next().unwrap_or_else(|| "evaluation".into());
    let mut args = Args {
        tenancies: 100_000,
        seed: 1,
        database_url: "postgres://postgres@127.0.0.1:5432/rentdesk_bench".into(),
        reuse: false,
    };
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--tenancies" => args.tenancies = it.next().context("--tenancies N")?.parse()?,
            "--seed" => args.seed = it.next().context("--seed S")?.parse()?,
            "--database-url" => args.database_url = it.next().context("--database-url URL")?,
            "--reuse" => args.reuse = true,
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    Ok((which, args))
}

async fn fresh_postgres(url: &str, reuse: bool) -> anyhow::Result<sea_orm::DatabaseConnection> {
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
        let report = rentdesk_store::evaluation::evaluate_all(&db, as_of).await?;
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (which, args) = parse_args()?;
    let text = match which.as_str() {
        "evaluation" => evaluation(args).await?,
        "caseload" => caseload::run(args.tenancies, args.seed).await?,
        other => anyhow::bail!("unknown benchmark {other}; expected: evaluation, caseload"),
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
