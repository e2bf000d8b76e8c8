//! Early-intervention sequences as data: the council reads and changes the configuration
//! through `/manage/v1/outreach/config`; a bad document is refused whole with every field named;
//! the next planning run uses the new one (its wording, its rules switched off).

use crate::helpers::{TestApp, call, spawn_app, staff, staff_sign_in};
use chrono::{NaiveDate, TimeZone, Utc};
use rentdesk_domain::contact_policy::ContactPolicy;
use rentdesk_store::entities::{audit_entry, message};
use rentdesk_store::outreach::plan_all;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

const PATH: &str = "/manage/v1/outreach/config";

struct Council {
    app: TestApp,
    admin: String,
    lead: String,
    officer: String,
}

async fn council() -> Council {
    let app = spawn_app().await;
    app.import_examples().await;
    staff(&app, "admin@council.example", "admin").await;
    staff(&app, "lead@council.example", "team_leader").await;
    staff(&app, "officer@council.example", "officer").await;
    Council {
        admin: staff_sign_in(&app, "admin@council.example").await,
        lead: staff_sign_in(&app, "lead@council.example").await,
        officer: staff_sign_in(&app, "officer@council.example").await,
        app,
    }
}

async fn put(c: &Council, token: &str, doc: Value) -> (u16, Value) {
    call(&c.app, reqwest::Method::PUT, PATH, Some(token), Some(doc)).await
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// HD1001's direct debit of Tuesday 10 Nov did not come; found on Thursday at 23:00.
async fn plan_thursday(app: &TestApp) -> rentdesk_store::outreach::OutreachReport {
    plan_all(
        &app.db,
        NaiveDate::from_ymd_opt(2026, 11, 12).unwrap(),
        Utc.with_ymd_and_hms(2026, 11, 12, 23, 0, 0).unwrap(),
        &ContactPolicy::default(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn team_leaders_read_the_shipped_default_and_only_administrators_change_it() {
    let c = council().await;
    let (s, body) = call(&c.app, reqwest::Method::GET, PATH, Some(&c.lead), None).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["version"], Value::Null);
    assert_eq!(body["document"]["missed_payment"]["grace_days"], 2);
    assert_eq!(
        body["document"]["uc_new_claim"]["steps"][0]["id"], "day_0",
        "{body}"
    );
    let (s, _) = call(&c.app, reqwest::Method::GET, PATH, Some(&c.officer), None).await;
    assert_eq!(s, 403);
    let (s, _) = call(&c.app, reqwest::Method::GET, PATH, None, None).await;
    assert_eq!(s, 401);
    let doc = body["document"].clone();
    assert_eq!(put(&c, &c.lead, doc.clone()).await.0, 403);
    assert_eq!(put(&c, &c.officer, doc.clone()).await.0, 403);
    let (s, saved) = put(&c, &c.admin, doc).await;
    assert_eq!(s, 200, "{saved}");
    assert!(saved["version"].as_i64().is_some());
    let audited = audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq("outreach_config.save"))
        .all(&c.app.db)
        .await
        .unwrap();
    assert_eq!(audited.len(), 1);
    c.app.stop().await;
}

#[tokio::test]
async fn a_bad_document_is_refused_whole_with_every_field_named_and_nothing_changes() {
    let c = council().await;
    let (_, body) = call(&c.app, reqwest::Method::GET, PATH, Some(&c.admin), None).await;
    let mut doc = body["document"].clone();
    doc["missed_payment"]["grace_days"] = json!(90);
    doc["arrears_threshold"]["levels"][1]["weeks"] = json!(0);
    doc["uc_new_claim"]["steps"][0]["template"] = json!("no_such_template");
    doc["templates"] = json!([{
        "template": "missed_payment", "language": "en",
        "subject": "Rent", "body": "you owe £500 {balance}"
    }]);
    let (s, problem) = put(&c, &c.admin, doc).await;
    assert_eq!(s, 422, "{problem}");
    assert_eq!(
        fields(&problem),
        [
            "missed_payment.grace_days",
            "arrears_threshold.levels[1].weeks",
            "uc_new_claim.steps[0].template",
            "templates[0].body",
        ],
        "{problem}"
    );
    // A field that does not exist, or of the wrong type, is named by its path too.
    let (s, problem) = put(&c, &c.admin, json!({"missed_payment": {"grace": 3}})).await;
    assert_eq!(s, 422);
    assert_eq!(fields(&problem), ["missed_payment.grace"], "{problem}");
    let (s, problem) = put(&c, &c.admin, json!({"stale_days": "seven"})).await;
    assert_eq!((s, fields(&problem)), (422, vec!["stale_days".to_owned()]));
    let (_, after) = call(&c.app, reqwest::Method::GET, PATH, Some(&c.admin), None).await;
    assert_eq!(after["version"], Value::Null, "nothing was saved");
    c.app.stop().await;
}

#[tokio::test]
async fn the_next_planning_run_uses_the_councils_wording_and_switches() {
    let c = council().await;
    let (_, body) = call(&c.app, reqwest::Method::GET, PATH, Some(&c.admin), None).await;
    let mut doc = body["document"].clone();
    doc["templates"] = json!([{
        "template": "missed_payment", "language": "en",
        "subject": "A quick word about your rent",
        "body": "your rent payment{of_amount} due on {date} has not reached us yet. Call us on 01484 221000 if you need help"
    }]);
    // Email first for missed payments.
    doc["missed_payment"]["message"]["channels"] = json!(["email", "sms"]);
    let (s, saved) = put(&c, &c.admin, doc).await;
    assert_eq!(s, 200, "{saved}");
    let report = plan_thursday(&c.app).await;
    assert_eq!(report.queued, 1, "{report:?}");
    let m = message::Entity::find()
        .filter(message::Column::RuleId.eq("missed_payment"))
        .one(&c.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.channel, "email");
    assert_eq!(m.subject.as_deref(), Some("A quick word about your rent"));
    assert!(
        m.body.contains("your rent payment of £")
            && m.body
                .contains(" due on 10 November has not reached us yet. Call us"),
        "{}",
        m.body
    );
    c.app.stop().await;
}

#[tokio::test]
async fn a_rule_switched_off_plans_nothing() {
    let c = council().await;
    let (_, body) = call(&c.app, reqwest::Method::GET, PATH, Some(&c.admin), None).await;
    let mut doc = body["document"].clone();
    doc["missed_payment"]["enabled"] = json!(false);
    assert_eq!(put(&c, &c.admin, doc).await.0, 200);
    plan_thursday(&c.app).await;
    let missed = message::Entity::find()
        .filter(message::Column::RuleId.eq("missed_payment"))
        .all(&c.app.db)
        .await
        .unwrap();
    assert!(missed.is_empty(), "{missed:?}");
    c.app.stop().await;
}

#[tokio::test]
async fn tenancy_audit_intervals_ship_as_36_and_12_months_and_are_validated_and_applied() {
    let c = council().await;
    let (_, body) = call(&c.app, reqwest::Method::GET, PATH, Some(&c.admin), None).await;
    assert_eq!(
        body["document"]["tenancy_audit"],
        json!({"enabled": true, "interval_months": 36, "first_audit_months": 12})
    );
    let mut doc = body["document"].clone();
    doc["tenancy_audit"] = json!({"interval_months": 0, "first_audit_months": 90});
    let (s, problem) = put(&c, &c.admin, doc.clone()).await;
    assert_eq!(s, 422, "{problem}");
    assert_eq!(
        fields(&problem),
        [
            "tenancy_audit.interval_months",
            "tenancy_audit.first_audit_months"
        ]
    );
    // Switched off: the nightly run raises no audit task at all.
    doc["tenancy_audit"] = json!({"enabled": false});
    let (s, saved) = put(&c, &c.admin, doc).await;
    assert_eq!(s, 200, "{saved}");
    assert_eq!(saved["document"]["tenancy_audit"]["interval_months"], 36);
    let today = rentdesk_domain::time::london_date(Utc::now());
    let report = rentdesk_store::tenancy_audits::plan_all(&c.app.db, today, c.app.now())
        .await
        .unwrap();
    assert_eq!(report.tasks, 0);
    c.app.stop().await;
}
