//! `rentdesk nightly` and `rentdesk dev`'s first start run the 02:00 job's own function
//! (`rentdesk_worker::run_nightly`, which the `NightlyEvaluation` job calls): evaluation, early-
//! intervention planning, tenancy audits and retention, in that order, with a report that says
//! what was written.

use crate::helpers::{call, spawn_app};
use chrono::NaiveDate;
use rentdesk_store::entities::{message, task};
use rentdesk_worker::{NightlyProgress, NightlyStep};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

async fn rule_messages(db: &sea_orm::DatabaseConnection, status: &str) -> u64 {
    message::Entity::find()
        .filter(message::Column::RuleId.is_not_null())
        .filter(message::Column::Status.eq(status))
        .count(db)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_nightly_command_runs_every_step_of_the_job_and_reports_what_it_planned() {
    let app = spawn_app().await;
    app.import_examples().await;
    let settings = app.settings();
    // HD1001's direct debit of Tuesday 10 November did not come; the run is as of Thursday.
    let thursday = NaiveDate::from_ymd_opt(2026, 11, 12).unwrap();

    let mut seen = vec![];
    let report = rentdesk_worker::run_nightly(
        &app.db,
        thursday,
        app.now(),
        &settings.policy.contact_policy,
        settings.retention_policy(),
        |p| {
            seen.push(match p {
                NightlyProgress::Started(s) => (s, false),
                NightlyProgress::Finished(s, _, _) => (s, true),
            })
        },
    )
    .await
    .unwrap();
    let order: Vec<_> = NightlyStep::ALL
        .iter()
        .flat_map(|s| [(*s, false), (*s, true)])
        .collect();
    assert_eq!(
        seen, order,
        "each step starts and finishes, in the job's order"
    );

    assert_eq!(report.date, thursday);
    assert_eq!(report.evaluation.accounts, 4, "{report:?}");
    // The missed direct debit: one text, planned (queued for when contact is allowed).
    assert_eq!(report.outreach.queued, 1, "{report:?}");
    assert_eq!(
        report.outreach.queued_by_channel.get("sms"),
        Some(&1),
        "{report:?}"
    );
    assert_eq!(
        rule_messages(&app.db, "queued").await,
        report.outreach.queued
    );
    assert_eq!(
        rule_messages(&app.db, "suppressed").await,
        report.outreach.suppressed
    );
    let tasks = task::Entity::find().count(&app.db).await.unwrap();
    assert_eq!(
        tasks,
        report.outreach.officer_tasks + report.audits.tasks,
        "{report:?}"
    );
    let lines = rentdesk::cli::nightly_summary(&report).join("\n");
    assert!(lines.contains("accounts evaluated    4"), "{lines}");
    assert!(lines.contains("1 queued (sms 1)"), "{lines}");

    // The command's function is the same run: again for the same date, nothing twice.
    let again = rentdesk::cli::nightly(&app.db, &settings, thursday)
        .await
        .unwrap();
    assert_eq!(again.evaluation.accounts, 4);
    assert_eq!(
        (
            again.outreach.queued,
            again.outreach.officer_tasks,
            again.audits.tasks
        ),
        (0, 0, 0),
        "{again:?}"
    );
    assert_eq!(
        again.outreach.already_planned,
        report.outreach.queued + report.outreach.suppressed + report.outreach.officer_tasks
    );
    assert_eq!(rule_messages(&app.db, "queued").await, 1);
    assert_eq!(task::Entity::find().count(&app.db).await.unwrap(), tasks);
    app.stop().await;
}

#[tokio::test]
async fn dev_first_start_seeds_then_runs_the_nightly_job_so_early_intervention_shows_at_once() {
    let app = spawn_app().await;
    let settings = app.settings();
    let today = crate::helpers::real_today();
    let report = rentdesk::cli::first_start(&app.db, &settings, 300, 42, today)
        .await
        .unwrap()
        .expect("an empty database is seeded")
        .nightly;
    assert_eq!(report.date, today);
    assert_eq!(report.evaluation.accounts, 300);
    assert!(report.evaluation.in_arrears > 0, "{report:?}");
    // Early intervention is there before anyone asks: messages in the outbox (queued now or
    // for when contact is allowed) and tasks on the officers' lists.
    assert!(report.outreach.queued > 0, "{report:?}");
    assert_eq!(
        rule_messages(&app.db, "queued").await,
        report.outreach.queued
    );
    assert!(report.outreach.officer_tasks > 0, "{report:?}");
    // The demo landlord audits on a rolling programme (every 36 months): on first start a few
    // audits have come due, not every tenancy at once (937 tasks for 1,000 tenancies before).
    assert!(
        report.audits.tasks <= 15,
        "a few tenancy audits due of 300: {report:?}"
    );
    let (s, signed_in) = call(
        &app,
        reqwest::Method::POST,
        "/officer/v1/sign-in",
        None,
        Some(serde_json::json!({
            "email": "officer1@rentdesk.example",
            "password": rentdesk_store::staff::DEMO_PASSWORD,
        })),
    )
    .await;
    assert_eq!(s, 200, "{signed_in}");
    let officer = signed_in["access_token"].as_str().unwrap().to_owned();
    let (s, tasks) = call(
        &app,
        reqwest::Method::GET,
        "/officer/v1/tasks",
        Some(&officer),
        None,
    )
    .await;
    assert_eq!(s, 200, "{tasks}");
    assert!(
        !tasks["tasks"].as_array().unwrap().is_empty(),
        "the demo officer has tasks: {tasks}"
    );
    // A second start keeps the data and plans nothing.
    let before = message::Entity::find().count(&app.db).await.unwrap();
    assert!(
        rentdesk::cli::first_start(&app.db, &settings, 300, 42, today)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        message::Entity::find().count(&app.db).await.unwrap(),
        before
    );
    app.stop().await;
}

#[tokio::test]
async fn the_dev_outbox_is_not_served_outside_rentdesk_dev() {
    // It shows sign-in codes: a production server (`serve`, the tests' mode) has no such route.
    let app = spawn_app().await;
    assert!(!app.settings().http.dev_outbox);
    let resp = app.get("/dev/outbox").await;
    assert_eq!(resp.status().as_u16(), 404);
    // Only `rentdesk dev` (Mode::Dev) serves it.
    use rentdesk_config::{Mode, Settings};
    assert!(
        Settings::from_lookup(Mode::Dev, |_| None)
            .unwrap()
            .http
            .dev_outbox
    );
    app.stop().await;
}
