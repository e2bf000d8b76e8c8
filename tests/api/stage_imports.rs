//! Issue 16: case stages from a landlord's old system. Each row runs through the officer's
//! step use case on its own day, so a case imported from CSV and the same case recorded
//! through the officer API on the same dates read the same everywhere; a step the rules would
//! have refused then is refused, named, and the file writes nothing.

use crate::helpers::{TestApp, call, example, spawn_app, staff, staff_sign_in, tenancy_id};
use chrono::{DateTime, DurationRound, TimeZone, Utc};
use rentdesk_store::entities::{action, patch};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

/// When the cases are compared: after the last step.
fn compared_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap()
}

/// Two tenancies alike in everything but their reference and tenant, a third for refusals.
const TENANCIES: &str = "\
reference,tenure,address_line1,town,postcode,patch,start_date,weekly_rent,payment_method,lead_tenant_name
ST-A,secure,1 Stage Street,Huddersfield,HD1 1AA,HD-STAGE,2024-04-01,100.00,card,Alex Able
ST-B,secure,2 Stage Street,Huddersfield,HD1 1AB,HD-STAGE,2024-04-01,100.00,card,Blair Bee
ST-C,secure,3 Stage Street,Huddersfield,HD1 1AD,HD-STAGE,2024-04-01,100.00,card,Cam Cole
";

/// The same ledger on each: weekly rent from August, £20 paid on most weeks.
fn transactions() -> String {
    let mut csv = String::from("external_ref,tenancy_reference,posted_on,kind,amount,method\n");
    let first = chrono::NaiveDate::from_ymd_opt(2026, 8, 3).unwrap();
    for t in ["ST-A", "ST-B", "ST-C"] {
        for week in 0..18 {
            let monday = first + chrono::Duration::weeks(week);
            csv.push_str(&format!("R-{t}-{week},{t},{monday},rent_debit,100.00,\n"));
            if week % 3 != 2 {
                let paid = monday + chrono::Duration::days(2);
                csv.push_str(&format!("P-{t}-{week},{t},{paid},payment,-20.00,card\n"));
            }
        }
    }
    csv
}

/// One step: when (London wall-clock), the step, and its other fields as the CSV names them.
struct Step {
    at: &'static str,
    step: &'static str,
    fields: &'static [(&'static str, &'static str)],
}

const STEPS: &[Step] = &[
    Step {
        at: "2026-09-07 10:00",
        step: "first_letter",
        fields: &[],
    },
    Step {
        at: "2026-09-14 10:00",
        step: "protocol",
        fields: &[
            ("protocol_step", "contact_made"),
            ("note", "Spoke on the phone"),
        ],
    },
    Step {
        at: "2026-09-14 10:10",
        step: "protocol",
        fields: &[("protocol_step", "affordable_payments_offered")],
    },
    Step {
        at: "2026-09-15 09:00",
        step: "protocol",
        fields: &[("protocol_step", "rent_statement_sent")],
    },
    Step {
        at: "2026-09-15 09:05",
        step: "protocol",
        fields: &[("protocol_step", "benefit_help_offered")],
    },
    Step {
        at: "2026-09-16 15:00",
        step: "protocol",
        fields: &[("protocol_step", "vulnerability_considered")],
    },
    Step {
        at: "2026-09-21 14:00",
        step: "notice_served",
        fields: &[
            ("sent_on", "2026-09-21"),
            ("service_method", "hand"),
            ("sent_time", "13:45"),
        ],
    },
    Step {
        at: "2026-09-22 10:00",
        step: "protocol",
        fields: &[("protocol_step", "protocol_copy_sent")],
    },
    Step {
        at: "2026-10-05 15:00",
        step: "protocol",
        fields: &[
            ("protocol_step", "post_notice_contact"),
            ("note", "Called after the notice about repayment"),
        ],
    },
    Step {
        at: "2026-10-28 10:00",
        step: "court_application",
        fields: &[("note", "Claim issued through PCOL")],
    },
    Step {
        at: "2026-10-30 11:00",
        step: "hearing",
        fields: &[("hearing_on", "2026-11-24"), ("hearing_time", "10:30")],
    },
    Step {
        at: "2026-11-24 16:00",
        step: "order",
        fields: &[
            ("order_type", "suspended"),
            ("possession_date", "2026-12-22"),
            ("terms_towards_arrears", "10.00"),
            ("terms_frequency", "weekly"),
            ("terms_from", "2026-11-30"),
        ],
    },
];

const OFFICER: &str = "stages@council.example";

const HEADER: &str = "external_ref,tenancy_reference,occurred_at,step,officer,protocol_step,\
sent_on,service_method,sent_time,hearing_on,hearing_time,order_type,possession_date,\
terms_towards_arrears,terms_frequency,terms_from,grounds,ordered_on,permission_granted_on,\
override_reason,note";

/// The steps as CSV rows for `tenancy`, references `{prefix}-{n}`.
fn csv_rows(tenancy: &str, prefix: &str, steps: &[Step]) -> String {
    let columns: Vec<&str> = HEADER.split(',').collect();
    let mut out = String::new();
    for (i, s) in steps.iter().enumerate() {
        let row: Vec<String> = columns
            .iter()
            .map(|c| match *c {
                "external_ref" => format!("{prefix}-{i}"),
                "tenancy_reference" => tenancy.to_owned(),
                "occurred_at" => s.at.to_owned(),
                "step" => s.step.to_owned(),
                "officer" => OFFICER.to_owned(),
                c => s
                    .fields
                    .iter()
                    .find(|(k, _)| *k == c)
                    .map(|(_, v)| (*v).to_owned())
                    .unwrap_or_default(),
            })
            .collect();
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

/// The step as the officer API takes it.
fn body(s: &Step) -> Value {
    let mut b = json!({"step": s.step});
    let mut terms = serde_json::Map::new();
    for (k, v) in s.fields {
        match *k {
            "terms_towards_arrears" => {
                let pence = rentdesk_domain::Pence::parse_pounds(v).unwrap().0;
                terms.insert("towards_arrears_pence".into(), json!(pence));
            }
            "terms_frequency" => {
                terms.insert("frequency".into(), json!(v));
            }
            "terms_from" => {
                terms.insert("from".into(), json!(v));
            }
            k => {
                b[k] = json!(v);
            }
        }
    }
    if !terms.is_empty() {
        b["terms"] = Value::Object(terms);
    }
    b
}

/// A London wall-clock time (none of the steps is on a day the clocks change).
fn london(at: &str) -> DateTime<Utc> {
    let local = chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M").unwrap();
    rentdesk_domain::time::london_day_start(local.date()) + (local.time() - chrono::NaiveTime::MIN)
}

async fn setup() -> (TestApp, String) {
    let app = spawn_app().await;
    app.travel_to(compared_at());
    for (kind, file) in [
        ("tenancies", TENANCIES.to_owned()),
        ("transactions", transactions()),
    ] {
        let batch = app.import(kind, file.into_bytes()).await;
        assert_eq!(batch["status"], "succeeded", "{batch}");
    }
    let officer = staff(&app, OFFICER, "officer").await;
    patch::Entity::update_many()
        .col_expr(patch::Column::OfficerId, Expr::value(officer))
        .filter(patch::Column::Code.eq("HD-STAGE"))
        .exec(&app.db)
        .await
        .unwrap();
    let token = staff_sign_in(&app, OFFICER).await;
    (app, token)
}

async fn get(app: &TestApp, path: &str, token: &str) -> Value {
    let (s, v) = call(app, reqwest::Method::GET, path, Some(token), None).await;
    assert_eq!(s, 200, "{path}: {v}");
    v
}

/// The diary of a tenancy as (kind, outcome, when, text without ids and figures).
async fn diary(
    app: &TestApp,
    tenancy: i64,
) -> Vec<(String, Option<String>, DateTime<Utc>, String)> {
    action::Entity::find()
        .filter(action::Column::TenancyId.eq(tenancy))
        .order_by_asc(action::Column::OccurredAt)
        .order_by_asc(action::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| {
            let text: String = a.body.chars().filter(|c| !c.is_ascii_digit()).collect();
            // The API's steps are at the moved clock, which runs on: to the minute.
            let at = a
                .occurred_at
                .duration_trunc(chrono::TimeDelta::minutes(1))
                .unwrap();
            (a.kind.to_string(), a.outcome, at, text)
        })
        .collect()
}

/// What an officer sees of a case: next-step (with its gates) and the caseload's line, with
/// the tenancy's own ids and names taken out.
async fn seen(app: &TestApp, token: &str, tenancy: i64, reference: &str) -> (Value, Value) {
    let mut next = get(
        app,
        &format!("/officer/v1/accounts/{tenancy}/next-step"),
        token,
    )
    .await;
    for key in ["tenancy_id", "account_id", "reference"] {
        next.as_object_mut().unwrap().remove(key);
    }
    let caseload = get(app, "/officer/v1/caseload", token).await;
    let mut line = caseload["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["tenancy_id"] == tenancy)
        .cloned()
        .unwrap_or_else(|| panic!("{reference} is in the caseload: {caseload}"));
    for key in [
        "tenancy_id",
        "reference",
        "address",
        "postcode",
        "name",
        "tenant_name",
    ] {
        line.as_object_mut().unwrap().remove(key);
    }
    (next, line)
}

/// The key check: tenancy A's stages imported from CSV and tenancy B's same stages recorded
/// through the officer API on the same dates (the app's clock moved to each) give the same
/// diary, next-step, gates and caseload line. Importing the file again changes nothing.
#[tokio::test]
async fn imported_case_stages_read_as_the_same_steps_recorded_in_rentdesk_on_their_days() {
    let (app, token) = setup().await;
    let (a, b) = (
        tenancy_id(&app, "ST-A").await,
        tenancy_id(&app, "ST-B").await,
    );

    let file = format!("{HEADER}\n{}", csv_rows("ST-A", "OLD", STEPS));
    let batch = app.import("stages", file.clone().into_bytes()).await;
    assert_eq!(batch["status"], "succeeded", "{batch}");
    assert_eq!(batch["rows_written"], STEPS.len(), "{batch}");

    for s in STEPS {
        app.travel_to(london(s.at));
        let (status, r) = call(
            &app,
            reqwest::Method::POST,
            &format!("/officer/v1/accounts/{b}/steps"),
            Some(&token),
            Some(body(s)),
        )
        .await;
        assert_eq!(status, 201, "{} {}: {r}", s.at, s.step);
    }
    app.travel_to(compared_at());
    rentdesk_store::evaluation::evaluate_tenancies(&app.db, &[a, b], app.today(), app.now())
        .await
        .unwrap();

    let (da, db) = (diary(&app, a).await, diary(&app, b).await);
    assert_eq!(da, db, "the same diary");
    assert!(da.iter().any(|d| d.1.as_deref() == Some("order")), "{da:?}");
    let (next_a, line_a) = seen(&app, &token, a, "ST-A").await;
    let (next_b, line_b) = seen(&app, &token, b, "ST-B").await;
    assert_eq!(next_a, next_b, "the same next step and gates");
    assert_eq!(next_a["stage"], "order", "{next_a}");
    assert_eq!(line_a, line_b, "the same caseload line");
    assert_eq!(line_a["stage"], "order", "{line_a}");
    // The imported entries keep their source's reference and batch.
    let imported = action::Entity::find()
        .filter(action::Column::TenancyId.eq(a))
        .filter(action::Column::ExternalRef.is_not_null())
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(imported, STEPS.len() as u64);

    // Again: nothing changes.
    let count = action::Entity::find().count(&app.db).await.unwrap();
    let again = app.import("stages", file.into_bytes()).await;
    assert_eq!(again["status"], "succeeded", "{again}");
    assert_eq!(
        (
            again["rows_written"].as_i64(),
            again["rows_unchanged"].as_i64()
        ),
        (Some(0), Some(STEPS.len() as i64)),
        "{again}"
    );
    assert_eq!(action::Entity::find().count(&app.db).await.unwrap(), count);
    app.stop().await;
}

/// A step the rules would have refused on its day is refused with its line, the column
/// (`step` for a gate) and what was missing; the file writes nothing, not even its good rows.
/// The rejected example names every bad line. The example imports.
#[tokio::test]
async fn stages_the_rules_refuse_and_bad_files_write_nothing_and_the_example_imports() {
    let (app, _token) = setup().await;
    let count = action::Entity::find().count(&app.db).await.unwrap();
    let refused = format!(
        "{HEADER}\n{}{}{}",
        // Line 2: a good protocol step on ST-C.
        csv_rows("ST-C", "C", &STEPS[1..2]),
        // Line 3: a notice with four protocol steps missing; line 4 is then not tried.
        csv_rows("ST-C", "C2", &STEPS[6..7]),
        csv_rows("ST-C", "C3", &STEPS[7..8]),
    ) + &csv_rows("ST-B", "B", &STEPS[9..10]);
    let bad = app.import("stages", refused.into_bytes()).await;
    assert_eq!(bad["status"], "rejected", "{bad}");
    let errors = bad["errors"].as_array().unwrap();
    let at = |line: u64| -> Vec<String> {
        errors
            .iter()
            .filter(|e| e["line"] == line)
            .map(|e| {
                format!(
                    "{}: {}",
                    e["column"].as_str().unwrap(),
                    e["reason"].as_str().unwrap()
                )
            })
            .collect()
    };
    let notice = at(3);
    assert_eq!(notice.len(), 4, "{bad}");
    assert!(
        notice
            .iter()
            .all(|e| e.starts_with("step: not allowed on 2026-09-21")),
        "{notice:?}"
    );
    assert!(
        notice
            .iter()
            .any(|e| e.contains("(vulnerability_considered)")),
        "{notice:?}"
    );
    assert!(
        at(4).is_empty(),
        "the tenancy's later rows are not tried: {bad}"
    );
    // Line 5: ST-B's court application with no notice.
    let court = at(5);
    assert!(court.iter().any(|e| e.contains("(notice)")), "{court:?}");
    assert_eq!(
        action::Entity::find().count(&app.db).await.unwrap(),
        count,
        "nothing written"
    );

    // The rejected example (on the example tenancies): every bad line named, nothing written.
    app.import_examples().await;
    staff(&app, "north@council.example", "officer").await;
    let count = action::Entity::find().count(&app.db).await.unwrap();
    let bad = app.import("stages", example("stages-bad.csv")).await;
    assert_eq!(bad["status"], "rejected", "{bad}");
    let mut got: Vec<(u64, String)> = bad["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["column"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    got.sort();
    let expected: Vec<(u64, String)> = [
        (2, "tenancy_reference"),
        (3, "step"),
        (4, "protocol_step"),
        (5, "officer"),
        (6, "officer"),
        (7, "occurred_at"),
        (8, "sent_on"),
        (9, "service_method"),
        (10, "terms_towards_arrears"),
        (11, "grounds"),
        (12, "occurred_at"),
    ]
    .into_iter()
    .map(|(l, c)| (l, c.to_owned()))
    .collect();
    assert_eq!(got, expected, "{bad}");
    assert_eq!(action::Entity::find().count(&app.db).await.unwrap(), count);

    // The example, by the officers of the tenancies' patches.
    staff(&app, "central@council.example", "officer").await;
    for (code, email) in [
        ("HD-NORTH", "north@council.example"),
        ("HD-CENTRAL", "central@council.example"),
    ] {
        let id = crate::helpers::staff_id(&app, email).await;
        patch::Entity::update_many()
            .col_expr(patch::Column::OfficerId, Expr::value(id))
            .filter(patch::Column::Code.eq(code))
            .exec(&app.db)
            .await
            .unwrap();
    }
    let good = app.import("stages", example("stages.csv")).await;
    assert_eq!(good["status"], "succeeded", "{good}");
    assert_eq!(good["rows_written"], 12, "{good}");
    let north = staff_sign_in(&app, "north@council.example").await;
    let hd1001 = tenancy_id(&app, "HD1001").await;
    let next = get(
        &app,
        &format!("/officer/v1/accounts/{hd1001}/next-step"),
        &north,
    )
    .await;
    assert_eq!(next["stage"], "hearing", "{next}");
    app.stop().await;
}
