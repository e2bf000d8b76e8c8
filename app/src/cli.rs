//! The `rentdesk` command line: a thin layer over startup, store and worker.

use crate::startup;
use clap::{Parser, Subcommand};
use rentdesk_config::{Mode, Settings};
use rentdesk_store::imports::{ImportKind, ImportOutcome};
use rentdesk_store::staff::Role;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "rentdesk",
    version,
    about = "Income recovery for UK social landlords"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Everything in one process on SQLite: migrate; if the database is empty, seed demo data and
    /// run the nightly job once (so early intervention shows); serve; run the worker.
    Dev {
        /// Demo tenancies to create when the database is empty.
        #[arg(long, default_value_t = 1000)]
        tenancies: u64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// The HTTP server alone (production: run the worker with `rentdesk-worker`).
    Serve,
    /// Apply (or roll back) database migrations.
    Migrate {
        #[arg(value_enum, default_value = "up")]
        direction: Direction,
    },
    /// Import a CSV file of tenancies, transactions, flags, contact history, arrangements or
    /// Universal Credit claims (formats in README.md).
    Import {
        #[arg(value_enum)]
        kind: KindArg,
        file: PathBuf,
    },
    /// Import a folder of CSV files named by kind (`tenancies.csv`, `transactions.csv`,
    /// `flags.csv`, …) in dependency order, each all-or-nothing, reporting per file; stops at
    /// the first file that is rejected (README.md, "Import formats").
    ImportFolder { dir: PathBuf },
    /// Create deterministic demo data.
    Seed {
        #[arg(long, default_value_t = 1000)]
        tenancies: u64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Generate history up to this date (YYYY-MM-DD; default today, Europe/London).
        #[arg(long, value_parser = iso_date)]
        as_of: Option<chrono::NaiveDate>,
        /// `demo` (arrears-heavy, what `dev` seeds) or `sector` (arrears near the sector's
        /// 3–4.5% of the rent roll).
        #[arg(long, default_value = "demo")]
        profile: rentdesk_store::seed::Profile,
        /// Required: the demo data's staff sign in with the published demo password, so it is
        /// written only when asked for by name, and only to an empty database.
        #[arg(long = "i-know-this-is-a-demo")]
        i_know_this_is_a_demo: bool,
    },
    /// Recompute every account's balance, arrears and summary as of a date. Only that: it plans
    /// no contact, raises no tasks and anonymises nothing (`rentdesk nightly` runs everything the
    /// nightly job does).
    Evaluate {
        /// YYYY-MM-DD; default today, Europe/London.
        #[arg(long, value_parser = iso_date)]
        as_of: Option<chrono::NaiveDate>,
    },
    /// Run now exactly what the 02:00 nightly job runs: evaluate every account, plan early
    /// intervention (messages, within the contact policy, and officer tasks), raise the tenancy
    /// audits falling due, and anonymise tenancies past retention. Idempotent: a second run for
    /// the same date plans nothing twice.
    Nightly {
        /// The date the run is "as of" (YYYY-MM-DD; default today, Europe/London). Contact
        /// hours are still judged against the real clock.
        #[arg(long, value_parser = iso_date)]
        as_of: Option<chrono::NaiveDate>,
    },
    /// Anonymise tenancies closed with a zero balance for longer than `RETENTION_MONTHS`
    /// (the nightly job's last step, alone); `--dry-run` only lists what would change.
    Retention {
        #[arg(long)]
        dry_run: bool,
        /// YYYY-MM-DD; default today, Europe/London.
        #[arg(long, value_parser = iso_date)]
        as_of: Option<chrono::NaiveDate>,
    },
    /// Members of staff: `staff create --role admin` makes the first administrator (who then
    /// creates teams, team leaders and officers through `/manage/v1`).
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// The audit log's hash chain: `audit verify` proves no sealed entry was edited or removed
    /// since it was sealed; `audit seal` seals new entries now (the worker does it every minute).
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Write the OpenAPI document (default: mobile-api-spec/openapi.yaml).
    Spec {
        #[arg(long, default_value = "mobile-api-spec/openapi.yaml")]
        out: PathBuf,
        /// Fail if the file differs from what the code produces, instead of writing it.
        #[arg(long)]
        check: bool,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Walk the whole chain; exit 1 naming every entry edited or removed since it was sealed.
    Verify {
        /// A head recorded earlier (the worker logs `audit chain sealed … head=SEQ:HASH`): the
        /// chain must still hold it, which shows a chain recomputed after an edit.
        #[arg(long, value_name = "SEQ:HASH")]
        expect: Option<rentdesk_store::audit_chain::Head>,
    },
    /// Seal the entries written since the last run, now.
    Seal,
}

#[derive(Subcommand)]
pub enum StaffCommand {
    /// Create a member of staff who signs in with email and password.
    ///
    /// The password is read from `RENTDESK_STAFF_PASSWORD` (at least 12 characters) when set;
    /// otherwise a random one is generated and printed once. It is never taken as an argument,
    /// so it stays out of shell history and process listings.
    Create {
        #[arg(long, value_enum)]
        role: RoleArg,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// The team (required for officers and team leaders; administrators have none).
        #[arg(long)]
        team: Option<String>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RoleArg {
    Admin,
    /// Spelt as the API spells it.
    #[value(name = "team_leader")]
    TeamLeader,
    Officer,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Admin => Role::Admin,
            RoleArg::TeamLeader => Role::TeamLeader,
            RoleArg::Officer => Role::Officer,
        }
    }
}

/// Where `rentdesk staff create` reads the password from.
pub const STAFF_PASSWORD_VAR: &str = "RENTDESK_STAFF_PASSWORD";
/// The shortest password accepted (the same as `POST /manage/v1/officers`).
pub const MIN_PASSWORD_CHARS: usize = 12;

/// A member of staff made by [`create_staff`], with the password if it was generated (to be
/// shown once).
#[derive(Debug)]
pub struct CreatedStaff {
    pub staff: rentdesk_store::entities::staff_user::Model,
    pub generated_password: Option<String>,
}

/// `rentdesk staff create`: check every argument (all problems at once, each naming its
/// argument), then create the member of staff, audited as done by the system.
pub async fn create_staff(
    db: &sea_orm::DatabaseConnection,
    role: Role,
    email: &str,
    name: &str,
    team: Option<&str>,
    password: Option<String>,
) -> anyhow::Result<CreatedStaff> {
    let mut problems = vec![];
    if let Err(e) = rentdesk_domain::contact::EmailAddress::parse(email) {
        problems.push(format!("--email: {e}"));
    }
    if name.trim().is_empty() || name.trim().chars().count() > 120 {
        problems.push("--name: must be 1 to 120 characters".to_owned());
    }
    let team = team.map(str::trim);
    match (role, team) {
        (_, Some("")) => problems.push("--team: must not be blank".to_owned()),
        (Role::Admin, Some(_)) => {
            problems.push("--team: administrators belong to no team".to_owned())
        }
        (Role::Officer | Role::TeamLeader, None) => {
            problems.push("--team: required for officers and team leaders".to_owned())
        }
        _ => {}
    }
    if let Some(p) = &password
        && p.chars().count() < MIN_PASSWORD_CHARS
    {
        problems.push(format!(
            "{STAFF_PASSWORD_VAR}: must be at least {MIN_PASSWORD_CHARS} characters"
        ));
    }
    if !problems.is_empty() {
        anyhow::bail!("{}", problems.join("; "));
    }
    // 18 random bytes: 24 base64url characters, 144 bits.
    let generated_password = password
        .is_none()
        .then(|| rentdesk_server::auth::random_token(18));
    let password = password
        .or_else(|| generated_password.clone())
        .unwrap_or_default();
    let created = rentdesk_store::people::create_staff(
        db,
        rentdesk_store::audit::Actor::System,
        rentdesk_store::people::NewStaff {
            email: email.trim(),
            name,
            role,
            team,
            password: &password,
        },
        None,
        now(),
    )
    .await?;
    match created {
        Ok(staff) => Ok(CreatedStaff {
            staff,
            generated_password,
        }),
        Err(_) => anyhow::bail!("--email: already used by another member of staff"),
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Direction {
    Up,
    Down,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum KindArg {
    Tenancies,
    Transactions,
    Flags,
    History,
    Arrangements,
    /// `uc_claims`, as the API and the README name it (`uc-claims` also works).
    #[value(name = "uc_claims", alias = "uc-claims")]
    UcClaims,
    /// `rent_changes`: the rent by effective date (`rent-changes` also works).
    #[value(name = "rent_changes", alias = "rent-changes")]
    RentChanges,
    /// Case stages: protocol steps, letters, notices, court steps, orders, warrants.
    Stages,
}

/// What an imported case stage is recorded with: the landlord's settings, as an officer's step
/// is (`server::api::officer::steps`).
fn step_policy(settings: &rentdesk_config::Settings) -> rentdesk_store::imports::StepPolicy<'_> {
    rentdesk_store::imports::StepPolicy {
        notice_rules: &settings.policy.notice_rules,
        max_row_amount: settings.policy.max_row_amount,
        landlord: &settings.policy.contact_policy.landlord_name,
        templates: &settings.letters.templates,
    }
}

/// Why `rentdesk seed` must not write here, if it must not: its staff sign in with the
/// published demo password (issue 19), so it writes only to an empty database (no tenancy, no
/// staff: not a council's, not one being set up) and only with `--i-know-this-is-a-demo`.
pub fn seed_refusal((tenancies, staff): (u64, u64), acknowledged: bool) -> Option<String> {
    if tenancies > 0 || staff > 0 {
        return Some(format!(
            "the database already has {tenancies} tenancies and {staff} staff: demo data, whose \
             staff sign in with the published demo password, is only written to an empty \
             database"
        ));
    }
    (!acknowledged).then(|| {
        "demo data creates staff who sign in with the published demo password: run it only on \
         a development database, with --i-know-this-is-a-demo"
            .to_owned()
    })
}

/// `--as-of`: strictly `YYYY-MM-DD` (`2026-12-7` and `2026-02-30` are refused), as the API
/// takes dates.
fn iso_date(s: &str) -> Result<chrono::NaiveDate, String> {
    rentdesk_domain::time::parse_iso_date(s)
}

/// Today on the system clock: a command run by hand works on the real date (`--as-of` aside).
fn today() -> chrono::NaiveDate {
    rentdesk_store::Clock::system().today()
}

/// Now on the system clock.
fn now() -> chrono::DateTime<chrono::Utc> {
    rentdesk_store::Clock::system().now()
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let mode = match cli.command {
        Command::Dev { .. } => Mode::Dev,
        Command::Serve => Mode::Production,
        _ => Mode::OneOff,
    };
    match cli.command {
        Command::Spec { out, check } => return spec(out, check),
        Command::Dev { tenancies, seed } => return dev(tenancies, seed).await,
        _ => {}
    }
    // One-off commands only need the database: a missing signing key is a random one for this
    // process (Mode::OneOff), but a bad or published value stops them as it stops `serve`.
    let settings = Settings::from_env(mode)?;
    startup::init_tracing(settings.log_format);
    // `evaluate`, `import` and `seed` summarise accounts here, not through `startup::connect`.
    rentdesk_store::facts::set_benefit_timing(settings.policy.benefit_timing);
    let db = rentdesk_store::db::connect(&settings.database.url, settings.database.max_connections)
        .await?;
    match cli.command {
        Command::Migrate {
            direction: Direction::Up,
        } => {
            rentdesk_store::db::migrate(&db).await?;
            println!("migrations applied");
        }
        Command::Migrate {
            direction: Direction::Down,
        } => {
            rentdesk_store::db::migrate_down_all(&db).await?;
            println!("all migrations rolled back");
        }
        Command::Import { kind, file } => {
            rentdesk_store::db::migrate(&db).await?;
            let kind = match kind {
                KindArg::Tenancies => ImportKind::Tenancies,
                KindArg::Transactions => ImportKind::Transactions,
                KindArg::Flags => ImportKind::Flags,
                KindArg::History => ImportKind::History,
                KindArg::Arrangements => ImportKind::Arrangements,
                KindArg::UcClaims => ImportKind::UcClaims,
                KindArg::RentChanges => ImportKind::RentChanges,
                KindArg::Stages => ImportKind::Stages,
            };
            let outcome = rentdesk_store::imports::import_file(
                &db,
                kind,
                file,
                today(),
                &step_policy(&settings),
                now(),
            )
            .await?;
            print_outcome(&outcome);
            if outcome.status != "succeeded" {
                std::process::exit(1);
            }
            rentdesk_store::evaluation::evaluate_tenancies(
                &db,
                &outcome.affected_tenancy_ids,
                today(),
                now(),
            )
            .await?;
        }
        Command::ImportFolder { dir } => {
            rentdesk_store::db::migrate(&db).await?;
            let files = rentdesk_store::imports::import_folder(
                &db,
                &dir,
                today(),
                &step_policy(&settings),
                |f| {
                    println!("== {} ({})", f.path.display(), f.kind.as_str());
                    match &f.outcome {
                        Some(o) => print_outcome(o),
                        None => println!("not tried: an earlier file was not imported"),
                    }
                },
                now(),
            )
            .await?;
            let mut affected: Vec<i64> = files
                .iter()
                .filter_map(|f| f.outcome.as_ref())
                .flat_map(|o| o.affected_tenancy_ids.iter().copied())
                .collect();
            affected.sort_unstable();
            affected.dedup();
            rentdesk_store::evaluation::evaluate_tenancies(&db, &affected, today(), now()).await?;
            let imported = files
                .iter()
                .filter(|f| f.outcome.as_ref().is_some_and(|o| o.status == "succeeded"))
                .count();
            println!("{imported} of {} files imported", files.len());
            if imported < files.len() {
                std::process::exit(1);
            }
        }
        Command::Seed {
            tenancies,
            seed,
            as_of,
            profile,
            i_know_this_is_a_demo,
        } => {
            use sea_orm::{EntityTrait as _, PaginatorTrait as _};
            rentdesk_store::db::migrate(&db).await?;
            let present = (
                rentdesk_store::entities::tenancy::Entity::find()
                    .count(&db)
                    .await?,
                rentdesk_store::entities::staff_user::Entity::find()
                    .count(&db)
                    .await?,
            );
            if let Some(why) = seed_refusal(present, i_know_this_is_a_demo) {
                anyhow::bail!("rentdesk seed: {why}");
            }
            let report = rentdesk_store::seed::seed_profile(
                &db,
                tenancies,
                seed,
                as_of.unwrap_or_else(today),
                profile,
            )
            .await?;
            println!(
                "seeded {} tenancies, {} transactions",
                report.tenancies, report.transactions
            );
            let eval =
                rentdesk_store::evaluation::evaluate_all(&db, as_of.unwrap_or_else(today), now())
                    .await?;
            println!(
                "evaluated {} accounts ({} in arrears)",
                eval.accounts, eval.in_arrears
            );
        }
        Command::Evaluate { as_of } => {
            let report =
                rentdesk_store::evaluation::evaluate_all(&db, as_of.unwrap_or_else(today), now())
                    .await?;
            println!(
                "evaluated {} accounts ({} in arrears, {} technical only)",
                report.accounts, report.in_arrears, report.technical_only
            );
            if report.out_of_range > 0 {
                println!(
                    "left out {} accounts whose figures are out of range (see the log and the \
                     officers' tasks)",
                    report.out_of_range
                );
            }
        }
        Command::Nightly { as_of } => {
            let date = as_of.unwrap_or_else(today);
            nightly(&db, &settings, date).await?;
        }
        Command::Retention { dry_run, as_of } => {
            let policy = settings.retention_policy();
            let as_of = as_of.unwrap_or_else(today);
            let list = if dry_run {
                rentdesk_store::retention::plan(&db, policy, as_of).await?
            } else {
                let actor = rentdesk_store::audit::Actor::System;
                rentdesk_store::retention::run(&db, policy, as_of, actor, now()).await?
            };
            let verb = if dry_run {
                "would anonymise"
            } else {
                "anonymised"
            };
            println!(
                "{verb} {} tenancies (retention {} months, as of {as_of})",
                list.len(),
                policy.months
            );
            for c in &list {
                println!(
                    "{} closed {} ({} changes)",
                    c.reference,
                    c.closed_on,
                    c.changes.len()
                );
                for x in &c.changes {
                    println!("  {} {} {} -> {}", x.table, x.id, x.field, x.to);
                }
            }
        }
        Command::Staff {
            command:
                StaffCommand::Create {
                    role,
                    email,
                    name,
                    team,
                },
        } => {
            rentdesk_store::db::migrate(&db).await?;
            let password = std::env::var(STAFF_PASSWORD_VAR)
                .ok()
                .filter(|p| !p.is_empty());
            let made =
                create_staff(&db, role.into(), &email, &name, team.as_deref(), password).await?;
            println!(
                "created {} {} (id {})",
                made.staff.role, made.staff.email, made.staff.id
            );
            if let Some(p) = made.generated_password {
                println!("password (shown once; keep it in a password manager): {p}");
            }
        }
        Command::Audit {
            command: AuditCommand::Seal,
        } => {
            let sealed = rentdesk_store::audit_chain::seal(&db).await?;
            match &sealed.head {
                Some(head) => println!("sealed {} entries; head {head}", sealed.count),
                None => println!("nothing to seal: the audit log is empty"),
            }
        }
        Command::Audit {
            command: AuditCommand::Verify { expect },
        } => {
            let v = rentdesk_store::audit_chain::verify(&db, expect.as_ref()).await?;
            match &v.head {
                Some(head) => println!("checked {} seals; head {head}", v.seals),
                None => println!("no seals yet"),
            }
            if v.waiting > 0 {
                println!("{} recent entries wait for the next seal", v.waiting);
            }
            for b in &v.breaks {
                println!("BROKEN: {b}");
            }
            if !v.holds() {
                println!(
                    "the audit chain does not hold ({} problems)",
                    v.breaks.len()
                );
                std::process::exit(1);
            }
            println!("the audit chain holds");
        }
        Command::Serve => {
            let state = startup::connect(&settings).await?;
            let bound = startup::bind(settings.http.bind).await?;
            tracing::info!("rentdesk serving on http://{} (docs at /docs)", bound.addr);
            bound.serve(state, startup::shutdown_signal()).await?;
        }
        Command::Dev { .. } | Command::Spec { .. } => unreachable!("handled above"),
    }
    Ok(())
}

fn print_outcome(o: &ImportOutcome) {
    println!(
        "import {}: {} rows, {} inserted, {} updated, {} unchanged",
        o.status, o.rows_total, o.rows_inserted, o.rows_updated, o.rows_unchanged
    );
    for e in &o.errors {
        println!("  line {}: {}: {}", e.line, e.column, e.reason);
    }
    if o.errors_total as usize > o.errors.len() {
        println!("  … and {} more", o.errors_total as usize - o.errors.len());
    }
}

/// `rentdesk nightly` (and `rentdesk dev`'s first start): the nightly job's own function, with a
/// line per step as it goes and a summary at the end.
pub async fn nightly(
    db: &sea_orm::DatabaseConnection,
    settings: &Settings,
    date: chrono::NaiveDate,
) -> anyhow::Result<rentdesk_worker::NightlyReport> {
    use rentdesk_worker::{NightlyProgress, NightlyStep};
    use std::io::Write as _;
    let started = std::time::Instant::now();
    let steps = NightlyStep::ALL.len();
    println!("nightly run as of {date}");
    let report = rentdesk_worker::run_nightly(
        db,
        date,
        now(),
        &settings.policy.contact_policy,
        settings.retention_policy(),
        |p| match p {
            NightlyProgress::Started(step) => {
                println!("  [{}/{steps}] {}…", step.number(), step.title());
                let _ = std::io::stdout().flush();
            }
            NightlyProgress::Finished(step, report, took) => {
                println!(
                    "  [{}/{steps}] {:.1} s: {}",
                    step.number(),
                    took.as_secs_f64(),
                    report.step_line(step)
                );
            }
        },
    )
    .await?;
    for line in nightly_summary(&report) {
        println!("{line}");
    }
    println!("done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(report)
}

/// What a nightly run did, in a few lines.
pub fn nightly_summary(r: &rentdesk_worker::NightlyReport) -> Vec<String> {
    let channels: Vec<String> = r
        .outreach
        .queued_by_channel
        .iter()
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    vec![
        format!("summary (as of {}):", r.date),
        format!(
            "  accounts evaluated    {} ({} in arrears, {} technical arrears only)",
            r.evaluation.accounts, r.evaluation.in_arrears, r.evaluation.technical_only
        ),
        format!(
            "  messages planned      {} queued{}; {} suppressed by the contact policy",
            r.outreach.queued,
            if channels.is_empty() {
                String::new()
            } else {
                format!(" ({})", channels.join(", "))
            },
            r.outreach.suppressed
        ),
        format!(
            "  officer tasks raised  {} early intervention, {} tenancy audits",
            r.outreach.officer_tasks, r.audits.tasks
        ),
        format!(
            "  already planned       {} messages and tasks from an earlier run, {} audits already open",
            r.outreach.already_planned, r.audits.already_open
        ),
        format!(
            "  retention             {} closed tenancies anonymised",
            r.anonymised.len()
        ),
    ]
}

/// Write (or check) the OpenAPI document: `out` as YAML, and the same as JSON beside it.
fn spec(out: PathBuf, check: bool) -> anyhow::Result<()> {
    let json_out = out.with_extension("json");
    let files = [
        (out.clone(), startup::spec_yaml()),
        (json_out, startup::spec_json()),
    ];
    for (path, text) in &files {
        if check {
            let current = std::fs::read_to_string(path).unwrap_or_default();
            if current != *text {
                anyhow::bail!(
                    "{} is stale: run `cargo run --bin rentdesk -- spec`",
                    path.display()
                );
            }
            println!("{} is current", path.display());
        } else {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(path, text)?;
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}

/// What `rentdesk dev`'s first start made.
#[derive(Debug)]
pub struct FirstStart {
    /// The team's history over the seeded ledger.
    pub lived_in: rentdesk_store::lived_in::LivedInReport,
    /// The team leaders' finished campaigns and the plans pending review, after that history.
    pub demo: crate::demo::DemoReport,
    /// The nightly run after it.
    pub nightly: rentdesk_worker::NightlyReport,
}

/// `rentdesk dev` before it serves: the demo administrator, and on an empty database the demo
/// data, the team's history over it ([`lived_in`]), then one run of the nightly job as of
/// `today` (evaluation, early-intervention
/// planning, tenancy audits, retention), so the outbox, the officers' tasks and the caseload
/// show the worker at work from the first request. `None` when the database had data.
pub async fn first_start(
    db: &sea_orm::DatabaseConnection,
    settings: &Settings,
    tenancies: u64,
    seed: u64,
    today: chrono::NaiveDate,
) -> anyhow::Result<Option<FirstStart>> {
    rentdesk_store::seed::ensure_demo_admin(db).await?;
    if !rentdesk_store::seed::is_empty(db).await? {
        return Ok(None);
    }
    if !rentdesk_store::db::is_sqlite(db) {
        return first_start_on(db, db, settings, tenancies, seed, today)
            .await
            .map(Some);
    }
    // On SQLite the demo's writes (the seed, its history, the campaigns), thousands of small
    // commits, go through one connection with synchronous=NORMAL (in WAL mode a crash of the
    // process loses nothing committed; a power cut may lose the last commits, and the demo is
    // made again on an empty database). One connection keeps its prepared statements warm. The
    // nightly run, as the worker runs it, and the server keep their own connections (FULL).
    let demo = rentdesk_store::db::connect_for_demo(&settings.database.url).await?;
    let done = first_start_on(&demo, db, settings, tenancies, seed, today).await;
    demo.close().await?;
    done.map(Some)
}

/// [`first_start`] on an empty database: the demo's writes on `db`, the nightly run on
/// `nightly_db`.
async fn first_start_on(
    db: &sea_orm::DatabaseConnection,
    nightly_db: &sea_orm::DatabaseConnection,
    settings: &Settings,
    tenancies: u64,
    seed: u64,
    today: chrono::NaiveDate,
) -> anyhow::Result<FirstStart> {
    tracing::info!(tenancies, seed, "empty database: seeding demo data");
    // Each phase's time at debug level (`RUST_LOG=rentdesk=debug`): what first start spends.
    let mut phase = std::time::Instant::now();
    let mut lap = |name: &str| {
        tracing::debug!(took = ?phase.elapsed(), "first start phase: {name}");
        phase = std::time::Instant::now();
    };
    let report = rentdesk_store::seed::seed(db, tenancies, seed, today).await?;
    lap("seed");
    tracing::info!(
        tenancies = report.tenancies,
        transactions = report.transactions,
        "demo data seeded; living through its last months"
    );
    let lived = rentdesk_store::lived_in::run(db, &step_policy(settings), seed, today).await?;
    lap("lived-in history");
    tracing::info!(
        steps = lived.steps,
        diary = lived.diary,
        refused = lived.refused.len(),
        "demo history recorded; running the nightly job once"
    );
    for r in &lived.refused {
        tracing::warn!("demo history: refused {r}");
    }
    let demo = crate::demo::run(db, settings, today).await?;
    lap("demo campaigns and plans");
    for r in &demo.refused {
        tracing::warn!("demo: refused {r}");
    }
    let nightly = nightly(nightly_db, settings, today).await?;
    lap("nightly run");
    Ok(FirstStart {
        lived_in: lived,
        demo,
        nightly,
    })
}

/// The lived-in demo landlord (`rentdesk_store::lived_in`): the team's letters, protocol
/// steps, notices, court steps and diary over the seeded history, recorded by the same use
/// cases the officer API runs, with the landlord's settings.
pub async fn lived_in(
    db: &sea_orm::DatabaseConnection,
    settings: &Settings,
    seed: u64,
    today: chrono::NaiveDate,
) -> anyhow::Result<rentdesk_store::lived_in::LivedInReport> {
    let policy = step_policy(settings);
    if !rentdesk_store::db::is_sqlite(db) {
        return rentdesk_store::lived_in::run(db, &policy, seed, today).await;
    }
    let demo = rentdesk_store::db::connect_for_demo(&settings.database.url).await?;
    let report = rentdesk_store::lived_in::run(&demo, &policy, seed, today).await;
    demo.close().await?;
    report
}

/// The team leaders' finished campaigns and the plans pending review ([`crate::demo::run`]),
/// after [`lived_in`].
pub async fn demo(
    db: &sea_orm::DatabaseConnection,
    settings: &Settings,
    today: chrono::NaiveDate,
) -> anyhow::Result<crate::demo::DemoReport> {
    if !rentdesk_store::db::is_sqlite(db) {
        return crate::demo::run(db, settings, today).await;
    }
    let demo = rentdesk_store::db::connect_for_demo(&settings.database.url).await?;
    let done = crate::demo::run(&demo, settings, today).await;
    demo.close().await?;
    done
}

/// One process: database, queue and worker all on SQLite by default.
async fn dev(tenancies: u64, seed: u64) -> anyhow::Result<()> {
    let settings = Settings::from_env(Mode::Dev)?;
    startup::init_tracing(settings.log_format);
    let state = startup::connect(&settings).await?;
    let started = std::time::Instant::now();
    if first_start(&state.db, &settings, tenancies, seed, today())
        .await?
        .is_some()
    {
        tracing::info!(
            took = ?started.elapsed(),
            "demo data ready: early intervention planned, see /dev/outbox and the officers' tasks"
        );
    }
    let running = startup::start_all(state).await?;
    let base = format!("http://{}", running.addr);
    println!();
    println!(
        "Rentdesk is running (server + worker, {}).",
        if settings.is_sqlite() {
            "SQLite"
        } else {
            "PostgreSQL"
        }
    );
    println!(
        "  Console  {base}/console (team leader teamleader@rentdesk.example, password {})",
        rentdesk_store::staff::DEMO_PASSWORD
    );
    println!("  API      {base}");
    println!("  Docs     {base}/docs");
    println!("  Health   {base}/health");
    println!(
        "  Admin    {}, password {} (POST {base}/officer/v1/sign-in, then the access_token \
         as Bearer for /manage/v1)",
        rentdesk_store::seed::DEMO_ADMIN_EMAIL,
        rentdesk_store::staff::DEMO_PASSWORD
    );
    println!(
        "  Staff    officer1@rentdesk.example or teamleader@rentdesk.example, password {} \
         (POST {base}/officer/v1/sign-in)",
        rentdesk_store::staff::DEMO_PASSWORD
    );
    println!(
        "  Tenants  POST {base}/tenant/v1/sign-in with a reference and date of birth; the code \
         is in the dev outbox"
    );
    println!(
        "  Outbox   {base}/dev/outbox (every message planned or sent; in dev none leaves this \
         machine)"
    );
    println!("  Tour     README.md, \"A five-minute tour\"");
    println!("Press Ctrl-C to stop.");
    startup::shutdown_signal().await;
    running.stop().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_writes_only_to_an_empty_database_and_only_when_asked_by_name() {
        assert_eq!(seed_refusal((0, 0), true), None);
        let unasked = seed_refusal((0, 0), false).unwrap();
        assert!(unasked.contains("--i-know-this-is-a-demo"), "{unasked}");
        for present in [(1, 0), (0, 1), (1000, 12)] {
            let why = seed_refusal(present, true).unwrap();
            assert!(why.contains("only written to an empty database"), "{why}");
        }
        let parsed = |args: &[&str]| match Cli::try_parse_from(args) {
            Ok(Cli {
                command:
                    Command::Seed {
                        i_know_this_is_a_demo,
                        ..
                    },
            }) => Some(i_know_this_is_a_demo),
            _ => None,
        };
        assert_eq!(parsed(&["rentdesk", "seed"]), Some(false));
        assert_eq!(
            parsed(&["rentdesk", "seed", "--i-know-this-is-a-demo"]),
            Some(true)
        );
    }

    fn as_of(args: &[&str]) -> Result<Option<chrono::NaiveDate>, String> {
        match Cli::try_parse_from(args) {
            Ok(Cli {
                command: Command::Nightly { as_of } | Command::Evaluate { as_of },
            }) => Ok(as_of),
            Ok(_) => Err("another command".into()),
            Err(e) => Err(e.to_string()),
        }
    }

    #[test]
    fn nightly_as_of_is_a_strict_iso_date_and_a_bad_one_is_refused_by_name() {
        assert_eq!(
            as_of(&["rentdesk", "nightly", "--as-of", "2026-12-07"]),
            Ok(chrono::NaiveDate::from_ymd_opt(2026, 12, 7))
        );
        assert_eq!(as_of(&["rentdesk", "nightly"]), Ok(None));
        for (bad, why) in [
            ("2026-12-7", "expected a date as YYYY-MM-DD"),
            ("07/12/2026", "expected a date as YYYY-MM-DD"),
            ("tomorrow", "expected a date as YYYY-MM-DD"),
            ("2026-02-30", "is not a date"),
        ] {
            for command in ["nightly", "evaluate"] {
                let e = as_of(&["rentdesk", command, "--as-of", bad]).unwrap_err();
                assert!(
                    e.contains("--as-of") && e.contains(why),
                    "{command} {bad}: {e}"
                );
            }
        }
    }

    /// `rentdesk import uc_claims FILE`, as the README and the API name the kind (clap's own
    /// spelling would have been `uc-claims` only).
    #[test]
    fn every_import_kind_is_spelled_on_the_command_line_as_the_api_spells_it() {
        for kind in ImportKind::ALL {
            let parsed = Cli::try_parse_from(["rentdesk", "import", kind.as_str(), "f.csv"]);
            assert!(
                matches!(
                    parsed,
                    Ok(Cli {
                        command: Command::Import { .. }
                    })
                ),
                "{}",
                kind.as_str()
            );
        }
    }

    #[test]
    fn evaluate_says_it_only_recomputes_and_points_to_nightly() {
        use clap::CommandFactory;
        let cli = Cli::command();
        let about = |name: &str| {
            cli.find_subcommand(name)
                .and_then(|c| c.get_about())
                .map(|a| a.to_string())
                .unwrap_or_default()
        };
        let evaluate = about("evaluate");
        assert!(
            !evaluate.contains("what the nightly job does"),
            "{evaluate}"
        );
        assert!(evaluate.contains("Only that"), "{evaluate}");
        assert!(about("nightly").contains("exactly what the 02:00 nightly job runs"));
    }
}
