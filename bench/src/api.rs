//! `rentdesk-bench api [--tenancies 100000] [--seed 1] [--reuse] [--connections 10]
//!   [--duration 30] [--rate 1000] [--database-url postgres://…/rentdesk_bench_api]
//!   [--queue-url redis://127.0.0.1:6379]` (issue 22, items 1 and 2).
//!
//! Seeds the tenancies (`store::seed`), gives one officer a patch of exactly 3,000 accounts,
//! starts `rentdesk serve` (the release binary next to this one) on PostgreSQL + Redis, signs
//! 200 tenants and the officer in (sessions stored as the sign-in would, tokens minted with the
//! server's key), and drives a mix of reads and plan quotes with `oha`, one process per
//! operation at its share of the load (`scripts/ensure-loadgen.sh` installs it): open model at
//! a fixed offered rate (`-q` with latency correction, so queueing shows), then at saturation
//! (64 closed-loop workers split by weight). Per operation: throughput and p50/p95/p99.
//! Each stream repeats one request (one tenant, one caseload page, one account): the
//! database's cache is warmer than with a spread of tenants.
//!
//! The floor, in the same run on the same database with the same connection count: `pgbench`
//! running the SQL statements `GET /tenant/v1/account` issues (one transaction = one read).
//! Peak RSS of the server: `VmHWM` from `/proc/PID/status` at the end.

use anyhow::Context;
use sea_orm::{ConnectionTrait, Statement};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Args {
    pub tenancies: u64,
    pub seed: u64,
    pub database_url: String,
    pub queue_url: String,
    pub reuse: bool,
    pub connections: u32,
    pub duration_secs: u64,
    pub rate: u32,
}

const SIGNING_KEY: &str = "bench-signing-key-Wq4Zt8Lm1Xv6Nr3Kb9";
const PATCH_SIZE: i64 = 3_000;
const TENANTS: i64 = 200;
const PORT: u16 = 18_722;

/// (operation, weight in the mix): what a morning of app and officer use looks like.
const MIX: [(&str, usize); 7] = [
    ("tenant account", 30),
    ("tenant statement", 15),
    ("tenant next-steps", 10),
    ("plan quote", 5),
    ("officer caseload page", 5),
    ("officer account view", 20),
    ("officer sync (cursor)", 15),
];

struct Server {
    child: Child,
}

impl Server {
    fn start(binary: &Path, args: &Args) -> anyhow::Result<Server> {
        let child = Command::new(binary)
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &args.database_url)
            .env("DB_MAX_CONNECTIONS", args.connections.to_string())
            .env("REDIS_URL", &args.queue_url)
            .env("QUEUE_NAMESPACE", "rentdesk-bench-api")
            .env("BIND_ADDR", format!("127.0.0.1:{PORT}"))
            .env("PUBLIC_URL", format!("http://127.0.0.1:{PORT}"))
            .env("TOKEN_SIGNING_KEY", SIGNING_KEY)
            .env("DISPATCH_CRON", "off")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("start {} serve", binary.display()))?;
        Ok(Server { child })
    }

    fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn base() -> String {
    format!("http://127.0.0.1:{PORT}")
}

async fn query_i64s(db: &sea_orm::DatabaseConnection, sql: &str) -> anyhow::Result<Vec<i64>> {
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    rows.iter()
        .map(|r| r.try_get_by_index::<i64>(0).map_err(Into::into))
        .collect()
}

/// One stream of the mix: an operation with its request and its share of the load.
struct Op {
    name: &'static str,
    weight: usize,
    method: &'static str,
    url: String,
    token: String,
    body: Option<String>,
}

/// One operation's figures from oha's JSON summary.
#[derive(Default)]
struct Figures {
    answered_per_sec: f64,
    failed: u64,
    p50: f64,
    p95: f64,
    p99: f64,
}

/// Every stream at once, each its own `oha` process: at `rate` req/s split by weight (open
/// model: requests are sent on schedule whether or not earlier ones have been answered, and
/// latencies are measured from when each should have been sent), or, with no rate, saturation
/// by 64 closed-loop workers split by weight.
fn attack(
    ops: &[Op],
    rate: Option<u32>,
    duration: u64,
) -> anyhow::Result<Vec<(&'static str, Figures)>> {
    let total: usize = ops.iter().map(|o| o.weight).sum();
    let mut running = vec![];
    for op in ops {
        let share = op.weight as f64 / total as f64;
        let mut cmd = Command::new("oha");
        cmd.args(["--no-tui", "--output-format", "json", "-z"])
            .arg(format!("{duration}s"))
            .args(["-m", op.method, "-H"])
            .arg(format!("Authorization: Bearer {}", op.token));
        if let Some(b) = &op.body {
            cmd.args(["-T", "application/json", "-d", b]);
        }
        match rate {
            Some(r) => {
                let q = (f64::from(r) * share).max(1.0);
                // Enough connections that the offered rate is never held back by them.
                let c = ((q / 50.0).ceil() as usize).clamp(2, 64);
                cmd.args([
                    "-q",
                    &format!("{q:.1}"),
                    "--latency-correction",
                    "-c",
                    &c.to_string(),
                ]);
            }
            None => {
                let c = ((64.0 * share).round() as usize).max(1);
                cmd.args(["-c", &c.to_string()]);
            }
        }
        cmd.arg(&op.url)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        running.push((op.name, cmd.spawn().context("start oha")?));
    }
    let mut out = vec![];
    for (name, child) in running {
        let o = child.wait_with_output()?;
        anyhow::ensure!(
            o.status.success(),
            "oha for {name} failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let v: serde_json::Value =
            serde_json::from_slice(&o.stdout).with_context(|| format!("oha's JSON for {name}"))?;
        let codes = v["statusCodeDistribution"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        // A refusal (a quote for an account with nothing owed is a 422) is still an answer;
        // a 5xx or no answer at all is a failure.
        let mut answered = 0u64;
        let mut failed = 0u64;
        for (code, n) in codes {
            let n = n.as_u64().unwrap_or(0);
            if code.starts_with('5') {
                failed += n;
            } else {
                answered += n;
            }
        }
        failed += v["errorDistribution"]
            .as_object()
            .map(|e| {
                e.values()
                    .filter_map(serde_json::Value::as_u64)
                    .sum::<u64>()
            })
            .unwrap_or(0);
        let ms = |k: &str| v["latencyPercentiles"][k].as_f64().unwrap_or(f64::NAN) * 1_000.0;
        out.push((
            name,
            Figures {
                answered_per_sec: answered as f64 / duration as f64,
                failed,
                p50: ms("p50"),
                p95: ms("p95"),
                p99: ms("p99"),
            },
        ));
    }
    Ok(out)
}

fn table(run: &[(&'static str, Figures)]) -> String {
    let mut s = String::from(
        "| operation | answered req/s | 5xx or none | p50 ms | p95 ms | p99 ms |\n|---|---|---|---|---|---|\n",
    );
    for (op, f) in run {
        s.push_str(&format!(
            "| {op} | {:.0} | {} | {:.1} | {:.1} | {:.1} |\n",
            f.answered_per_sec, f.failed, f.p50, f.p95, f.p99
        ));
    }
    s.push_str(&format!(
        "| **all** | {:.0} | {} | | | |\n",
        run.iter().map(|(_, f)| f.answered_per_sec).sum::<f64>(),
        run.iter().map(|(_, f)| f.failed).sum::<u64>()
    ));
    s
}

pub async fn run(args: Args) -> anyhow::Result<String> {
    anyhow::ensure!(
        Command::new("oha").arg("--version").output().is_ok(),
        "oha not found: run scripts/ensure-loadgen.sh first"
    );
    let binary = std::env::current_exe()?
        .parent()
        .context("bench binary has a folder")?
        .join("rentdesk");
    anyhow::ensure!(
        binary.exists(),
        "{} missing: cargo build --release -p rentdesk",
        binary.display()
    );
    let today = rentdesk_domain::time::london_date(chrono::Utc::now());
    let db = crate::fresh_postgres(&args.database_url, args.reuse).await?;
    let mut seed_secs = None;
    if rentdesk_store::seed::is_empty(&db).await? {
        let t = Instant::now();
        rentdesk_store::seed::seed(&db, args.tenancies, args.seed, today).await?;
        seed_secs = Some(t.elapsed().as_secs_f64());
    }
    // One officer's patch holds exactly the first 3,000 tenancies; what it held before moves to
    // the next patch.
    let patches = query_i64s(&db, "SELECT id FROM patches ORDER BY id LIMIT 2").await?;
    anyhow::ensure!(patches.len() == 2, "the seed made fewer than 2 patches");
    let (p, q) = (patches[0], patches[1]);
    db.execute_unprepared(&format!(
        "UPDATE tenancies SET patch_id = CASE WHEN id IN (SELECT id FROM tenancies ORDER BY id \
         LIMIT {PATCH_SIZE}) THEN {p} WHEN patch_id = {p} THEN {q} ELSE patch_id END"
    ))
    .await?;
    let officer = query_i64s(
        &db,
        &format!("SELECT officer_id FROM patches WHERE id = {p}"),
    )
    .await?
    .first()
    .copied()
    .context("patch has an officer")?;
    db.execute_unprepared("VACUUM ANALYZE").await?;
    let tenancy_count = query_i64s(&db, "SELECT count(*) FROM tenancies").await?[0];
    let transactions = query_i64s(&db, "SELECT count(*) FROM transactions").await?[0];

    // Sessions as the sign-in stores them, and access tokens minted with the server's key.
    let keys = rentdesk_server::auth::Keys::new(SIGNING_KEY);
    let now = chrono::Utc::now();
    let session = |kind: &'static str, id: i64| {
        let family = format!("bench-{kind}-{id}-{}", now.timestamp());
        let db = &db;
        async move {
            rentdesk_store::auth::create_session(
                db,
                rentdesk_store::auth::NewSession {
                    subject_kind: kind,
                    subject_id: id,
                    family: &family,
                    token_hash: &rentdesk_server::auth::sha256_hex(&family),
                    expires_at: now + chrono::Duration::hours(2),
                    client_addr: None,
                },
            )
            .await?;
            anyhow::Ok(family)
        }
    };
    let tenants: Vec<(i64, i64)> = {
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                format!(
                    "SELECT id, tenancy_id FROM tenants WHERE is_lead ORDER BY md5(id::text) \
                     LIMIT {TENANTS}"
                ),
            ))
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?)))
            .collect::<Result<_, sea_orm::DbErr>>()?
    };
    let mut tenant_tokens = vec![];
    for (id, tenancy) in &tenants {
        let family = session("tenant", *id).await?;
        tenant_tokens.push(keys.access_token(
            "tenant",
            *id,
            Some(*tenancy),
            &family,
            rentdesk_server::auth::TENANT_AUDIENCE,
            now,
        ));
    }
    let family = session("staff", officer).await?;
    let officer_token = keys.access_token(
        "staff",
        officer,
        None,
        &family,
        rentdesk_server::api::officer::STAFF_AUDIENCE,
        now,
    );
    let patch_ids = query_i64s(
        &db,
        &format!("SELECT id FROM tenancies WHERE patch_id = {p} ORDER BY md5(id::text) LIMIT 200"),
    )
    .await?;

    let server = Server::start(&binary, &args)?;
    let up = Instant::now();
    loop {
        let ok = Command::new("curl")
            .args(["-sf", "-o", "/dev/null", &format!("{}/health", base())])
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            break;
        }
        anyhow::ensure!(
            up.elapsed() < Duration::from_secs(120),
            "rentdesk serve did not answer /health in 120 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A sync cursor from a first full sync, as the app holds one.
    let first = Command::new("curl")
        .args([
            "-sf",
            "-H",
            &format!("Authorization: Bearer {officer_token}"),
        ])
        .arg(format!("{}/officer/v1/sync", base()))
        .output()?;
    anyhow::ensure!(first.status.success(), "first sync failed");
    let first: serde_json::Value = serde_json::from_slice(&first.stdout)?;
    let since = first["next_since"]
        .as_str()
        .context("sync answers next_since")?
        .to_owned();
    let caseload_pages = {
        let mut cursors = vec![None];
        let mut cursor: Option<String> = None;
        for _ in 0..4 {
            let url = match &cursor {
                None => format!("{}/officer/v1/caseload?limit=50", base()),
                Some(c) => format!("{}/officer/v1/caseload?limit=50&cursor={c}", base()),
            };
            let out = Command::new("curl")
                .args([
                    "-sf",
                    "-H",
                    &format!("Authorization: Bearer {officer_token}"),
                ])
                .arg(url)
                .output()?;
            let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
            match v["next_cursor"].as_str() {
                Some(c) => {
                    cursor = Some(c.to_owned());
                    cursors.push(cursor.clone());
                }
                None => break,
            }
        }
        cursors
    };

    // The streams: each operation at its weight, each tenant stream as a different tenant.
    let b = base();
    // As the app sends it (tests/api/tenant.rs `statement_in`).
    let quote = serde_json::json!({
        "statement": {
            "household": {"adults": 1, "children": 1},
            "income": {"earnings": 150000},
            "fixed_costs": {"rent": 43334, "council_tax": 9000, "gas": 5000, "electricity": 5000},
            "flexible_costs": {"food_and_housekeeping": 40000, "communications_and_leisure": 5000},
        },
        "frequency": "weekly",
    })
    .to_string();
    let page2 = caseload_pages
        .get(1)
        .cloned()
        .flatten()
        .map(|c| format!("&cursor={c}"))
        .unwrap_or_default();
    let ops: Vec<Op> = MIX
        .iter()
        .enumerate()
        .map(|(i, (name, weight))| {
            let tenant = tenant_tokens[i * 17 % tenant_tokens.len()].clone();
            let (method, url, token, body) = match *name {
                "tenant account" => ("GET", format!("{b}/tenant/v1/account"), tenant, None),
                "tenant statement" => ("GET", format!("{b}/tenant/v1/statement"), tenant, None),
                "tenant next-steps" => ("GET", format!("{b}/tenant/v1/next-steps"), tenant, None),
                "plan quote" => (
                    "POST",
                    format!("{b}/tenant/v1/plans/quote"),
                    tenant,
                    Some(quote.clone()),
                ),
                "officer caseload page" => (
                    "GET",
                    format!("{b}/officer/v1/caseload?limit=50{page2}"),
                    officer_token.clone(),
                    None,
                ),
                "officer account view" => (
                    "GET",
                    format!("{b}/officer/v1/accounts/{}", patch_ids[0]),
                    officer_token.clone(),
                    None,
                ),
                _ => (
                    "GET",
                    format!("{b}/officer/v1/sync?since={since}"),
                    officer_token.clone(),
                    None,
                ),
            };
            Op {
                name,
                weight: *weight,
                method,
                url,
                token,
                body,
            }
        })
        .collect();
    // Statements per tenant-account read, counted by PostgreSQL itself: transactions committed
    // in this database across 200 reads (each autocommit statement is one transaction).
    let stats = "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()";
    let probe = &tenant_tokens[0];
    let pg = rentdesk_store::db::connect(&args.database_url, 1).await?;
    pg.execute_unprepared("SELECT pg_stat_force_next_flush()")
        .await
        .ok();
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let before = query_i64s(&pg, stats).await?[0];
    for _ in 0..200 {
        let ok = Command::new("curl")
            .args([
                "-sf",
                "-o",
                "/dev/null",
                "-H",
                &format!("Authorization: Bearer {probe}"),
            ])
            .arg(format!("{}/tenant/v1/account", base()))
            .status()?
            .success();
        anyhow::ensure!(ok, "GET /tenant/v1/account failed");
    }
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let after = query_i64s(&pg, stats).await?[0];
    let per_read = (after - before) as f64 / 200.0;

    // Warm up, then the fixed rate, then saturation.
    attack(&ops, Some(200), 5)?;
    let fixed = attack(&ops, Some(args.rate), args.duration_secs)?;
    let saturated = attack(&ops, None, args.duration_secs)?;
    let rss_kib = server.peak_rss_kib();
    drop(server);

    // The floor: the tenant-account read's statements for a random signed-in tenant.
    let ids = tenants
        .iter()
        .map(|(a, b)| format!("({a},{b})"))
        .collect::<Vec<_>>()
        .join(",");
    pg.execute_unprepared("DROP TABLE IF EXISTS bench_floor")
        .await?;
    pg.execute_unprepared(&format!(
        "CREATE TABLE bench_floor AS SELECT row_number() OVER () AS n, t.column1 AS tenant_id, \
         t.column2 AS tenancy_id, (SELECT family FROM sessions s WHERE s.subject_kind = 'tenant' \
         AND s.subject_id = t.column1 ORDER BY id DESC LIMIT 1) AS family FROM (VALUES {ids}) t"
    ))
    .await?;
    let script = format!(
        r#"\set n random(1, {n})
SELECT tenant_id AS who, tenancy_id AS t, family AS fam FROM bench_floor WHERE n = :n \gset
SELECT count(*) FROM sessions WHERE family = :'fam' AND subject_kind = 'tenant' AND subject_id = :who AND revoked_at IS NULL AND expires_at > now();
SELECT p.*, t.* FROM tenants p JOIN tenancies t ON p.tenancy_id = t.id WHERE p.id = :who LIMIT 1;
SELECT * FROM uc_claims WHERE tenancy_id = :t ORDER BY claim_start DESC LIMIT 1;
SELECT * FROM rent_changes WHERE tenancy_id = :t ORDER BY effective_from;
SELECT id, posted_on, kind, amount_pence, method FROM transactions WHERE tenancy_id = :t AND posted_on <= current_date ORDER BY posted_on, id;
SELECT * FROM patches WHERE id = (SELECT patch_id FROM tenancies WHERE id = :t) LIMIT 1;
SELECT * FROM tenants WHERE tenancy_id = :t ORDER BY is_lead DESC, id LIMIT 1;
SELECT * FROM outreach_configs ORDER BY id DESC LIMIT 1;
SELECT * FROM arrangements WHERE tenancy_id = :t AND status IN ('active', 'pending_review', 'broken') ORDER BY id DESC LIMIT 1;
"#,
        n = tenants.len()
    );
    let dir = std::env::temp_dir().join(format!("rentdesk-bench-api-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("floor.sql"), script)?;
    let (server_url, name) = args
        .database_url
        .rsplit_once('/')
        .context("database URL ends in /name")?;
    let out = Command::new("pgbench")
        .arg("-n")
        .arg("-M")
        .arg("prepared")
        .args(["-c", &args.connections.to_string()])
        .args(["-j", "2"])
        .args(["-T", &args.duration_secs.to_string()])
        .arg("-f")
        .arg(dir.join("floor.sql"))
        .arg(format!("{server_url}/{name}"))
        .output()
        .context("pgbench")?;
    let text = String::from_utf8_lossy(&out.stdout);
    anyhow::ensure!(
        out.status.success(),
        "pgbench failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let floor_tps: f64 = text
        .lines()
        .find(|l| l.starts_with("tps"))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|n| n.parse().ok())
        .context("pgbench printed tps")?;
    pg.execute_unprepared("DROP TABLE bench_floor").await?;

    // The tenant account read alone at saturation (10 tenants, 64 workers), for the ratio to
    // the floor.
    let alone_ops: Vec<Op> = tenant_tokens
        .iter()
        .take(8)
        .map(|t| Op {
            name: "tenant account",
            weight: 1,
            method: "GET",
            url: format!("{b}/tenant/v1/account"),
            token: t.clone(),
            body: None,
        })
        .collect();
    let server = Server::start(&binary, &args)?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let alone = attack(&alone_ops, None, args.duration_secs)?;
    let alone_rss = server.peak_rss_kib();
    drop(server);
    let account_rps: f64 = alone.iter().map(|(_, f)| f.answered_per_sec).sum();
    let _ = std::fs::remove_dir_all(&dir);
    let caseload_p95 = fixed
        .iter()
        .find(|(n, _)| *n == "officer caseload page")
        .map_or(f64::NAN, |(_, f)| f.p95);
    let mut s = String::new();
    s.push_str(&format!(
        "\n## {} — {tenancy_count} tenancies, {transactions} transactions, officer patch of \
         {PATCH_SIZE}, {} connections\n\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        args.connections
    ));
    s.push_str(&format!(
        "Command: `scripts/ensure-loadgen.sh && cargo build --release -p rentdesk -p \
         rentdesk-bench && target/release/rentdesk-bench api --tenancies {} --connections {} \
         --duration {} --rate {}`{}\n\nMachine: {}\n\n",
        args.tenancies,
        args.connections,
        args.duration_secs,
        args.rate,
        if args.reuse { " --reuse" } else { "" },
        machine()
    ));
    if let Some(secs) = seed_secs {
        s.push_str(&format!("Seeded in {secs:.0} s.\n\n"));
    }
    s.push_str(&format!(
        "Statements per `GET /tenant/v1/account` (PostgreSQL's own commit count over 200 \
         reads): {per_read:.1}.\n\n"
    ));
    s.push_str(&format!(
        "### Open model, {} req/s offered for {} s (mix: {})\n\n",
        args.rate,
        args.duration_secs,
        MIX.iter()
            .map(|(o, w)| format!("{o} {w}%"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    s.push_str(&table(&fixed));
    s.push_str(&format!(
        "\n### Saturation (64 closed-loop workers split by weight, {} s)\n\n",
        args.duration_secs
    ));
    s.push_str(&table(&saturated));
    s.push_str(&format!(
        "\n### Floor and ratios\n\n- tenant account read alone at saturation: {account_rps:.0} \
         req/s; `pgbench` floor (the same {} statements per transaction, {} connections, \
         same database, same run): {floor_tps:.0} tps; **ratio {:.2}** (target ≥ 0.5)\n\
         - caseload page p95 at {} req/s: {caseload_p95:.1} ms (target < 300 ms, ratio {:.2})\n\
         - peak RSS of `rentdesk serve` (VmHWM): mixed run {} MB, account-only run {} MB \
         (target < 150 MB)\n",
        9,
        args.connections,
        account_rps / floor_tps,
        args.rate,
        caseload_p95 / 300.0,
        rss_kib.map_or("?".into(), |k| format!("{:.0}", k as f64 / 1024.0)),
        alone_rss.map_or("?".into(), |k| format!("{:.0}", k as f64 / 1024.0)),
    ));
    Ok(s)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|x| x.1.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    format!(
        "{} × {cpu}, load average at the end {} (a machine shared with other builds: indicative \
         only), release build, PostgreSQL + Redis on loopback",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    )
}
