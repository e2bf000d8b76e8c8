//! Tenancy audit visits (issue 7): the nightly planning gives the patch officer one task when a
//! tenancy's audit falls due (12 months after it starts, then every 36), never a second while
//! one is open; the audit visit done (meeting the household) completes it and moves the next
//! one on by the interval.

use crate::helpers::tenancy_id;
use crate::routes::{fields, get, post, team, tenancy_at};
use chrono::{Duration, NaiveDate, Utc};
use rentdesk_domain::calendar::add_months_clamped;
use rentdesk_store::entities::{action, patch, task, tenancy};
use rentdesk_store::tenancy_audits::plan_all;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

const RULE: &str = "tenancy_audit_due";

async fn audit_tasks(app: &crate::helpers::TestApp, tenancy_id: i64) -> Vec<task::Model> {
    task::Entity::find()
        .filter(task::Column::TenancyId.eq(tenancy_id))
        .filter(task::Column::RuleId.eq(RULE))
        .order_by_asc(task::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
}

async fn started_on(app: &crate::helpers::TestApp, tenancy_id: i64, start: NaiveDate) {
    tenancy::Entity::update_many()
        .col_expr(tenancy::Column::StartDate, Expr::value(start))
        .filter(tenancy::Column::Id.eq(tenancy_id))
        .exec(&app.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_audit_falling_due_is_one_task_for_the_patch_officer_until_the_audit_visit_is_done() {
    let t = team().await;
    let today = rentdesk_domain::time::london_date(Utc::now());
    let north_id = patch::Entity::find()
        .filter(patch::Column::Code.eq("HD-NORTH"))
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap()
        .officer_id
        .unwrap();
    let due = tenancy_at(&t.app, "HD5001", "HD-NORTH", Some((53.6520, -1.7700))).await;
    let fresh = tenancy_at(&t.app, "HD5002", "HD-NORTH", Some((53.6600, -1.7900))).await;
    // Started 13 months ago, never audited: due (12 months after the start). Started 6 months
    // ago: not yet.
    started_on(&t.app, due, today - Duration::days(400)).await;
    started_on(&t.app, fresh, today - Duration::days(180)).await;

    let report = plan_all(&t.app.db, today, t.app.now()).await.unwrap();
    assert!(report.tasks >= 1, "{report:?}");
    let tasks = audit_tasks(&t.app, due).await;
    assert_eq!(tasks.len(), 1);
    let first = &tasks[0];
    assert_eq!(
        (
            first.kind.as_str(),
            first.status.as_str(),
            first.assigned_staff_id,
            first.due_on
        ),
        (RULE, "open", Some(north_id), today + Duration::days(2)),
        "the patch officer's, due per task_due_days (2)"
    );
    assert!(audit_tasks(&t.app, fresh).await.is_empty());
    // The diary says which rule and why.
    let why = action::Entity::find()
        .filter(action::Column::TenancyId.eq(due))
        .filter(action::Column::RuleId.eq(RULE))
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(why.body.contains("no tenancy audit since"), "{}", why.body);
    assert!(why.facts.unwrap().contains("audit_due_on"));
    // On the officer's task list.
    let (s, list) = get(&t.app, "/officer/v1/tasks?limit=200", &t.north).await;
    assert_eq!(s, 200, "{list}");
    assert!(
        list["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == first.id && x["rule_id"] == RULE),
        "{list}"
    );

    // The nightly run again, and a month on with nobody gone yet: still the one task.
    let again = plan_all(&t.app.db, today, t.app.now()).await.unwrap();
    assert_eq!(again.tasks, 0, "{again:?}");
    plan_all(&t.app.db, today + Duration::days(30), t.app.now())
        .await
        .unwrap();
    assert_eq!(audit_tasks(&t.app, due).await.len(), 1);

    // An audit visit that finds nobody in does not complete it.
    let visit = |n: u32| {
        json!({"client_id": format!("audit-visit-{n}"), "tenancy_id": due, "date": today,
               "kind": "tenancy_audit", "purpose": "Tenancy audit"})
    };
    let (s, v) = post(&t.app, "/officer/v1/visits", &t.north, visit(1)).await;
    assert_eq!((s, v["kind"].as_str()), (201, Some("tenancy_audit")), "{v}");
    let (s, _) = post(
        &t.app,
        &format!("/officer/v1/visits/{}/done", v["id"]),
        &t.north,
        json!({"outcome": "no_access"}),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(audit_tasks(&t.app, due).await[0].status, "open");
    // The second, meeting the household, does: the task is done and the diary keeps the purpose.
    let (s, v) = post(&t.app, "/officer/v1/visits", &t.north, visit(2)).await;
    assert_eq!(s, 201, "{v}");
    let (s, done) = post(
        &t.app,
        &format!("/officer/v1/visits/{}/done", v["id"]),
        &t.north,
        json!({"outcome": "contact_made", "body": "Household confirmed; ID seen."}),
    )
    .await;
    assert_eq!(s, 200, "{done}");
    let entry = action::Entity::find_by_id(done["action_id"].as_i64().unwrap())
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entry.purpose.as_deref(), Some("tenancy_audit"));
    let tasks = audit_tasks(&t.app, due).await;
    assert_eq!((tasks.len(), tasks[0].status.as_str()), (1, "done"));

    // The next audit falls due 36 months after this one, not before; the account says so.
    let next_due = add_months_clamped(today, 36);
    let (s, account) = get(&t.app, &format!("/officer/v1/accounts/{due}"), &t.north).await;
    assert_eq!(s, 200, "{account}");
    assert_eq!(
        account["tenancy_audit"],
        json!({"last_on": today.to_string(), "next_due_on": next_due.to_string()}),
        "{account}"
    );
    plan_all(&t.app.db, today + Duration::days(30), t.app.now())
        .await
        .unwrap();
    plan_all(&t.app.db, next_due - Duration::days(1), t.app.now())
        .await
        .unwrap();
    assert_eq!(audit_tasks(&t.app, due).await.len(), 1);
    plan_all(&t.app.db, next_due, t.app.now()).await.unwrap();
    let tasks = audit_tasks(&t.app, due).await;
    assert_eq!(tasks.len(), 2);
    assert_eq!(tasks[1].status, "open");
    assert!(
        tasks[1].detail.contains("last tenancy audit on"),
        "{}",
        tasks[1].detail
    );
    t.app.stop().await;
}

#[tokio::test]
async fn an_audit_recorded_straight_in_the_diary_counts_and_bad_purposes_are_named() {
    let t = team().await;
    let today = rentdesk_domain::time::london_date(Utc::now());
    let hd1001 = tenancy_id(&t.app, "HD1001").await;
    started_on(&t.app, hd1001, today - Duration::days(4000)).await;
    let action = |client_id: &str, kind: &str, purpose: &str| {
        json!({"client_id": client_id, "tenancy_id": hd1001, "kind": kind,
               "outcome": if kind == "call" { "answered" } else { "contact_made" },
               "purpose": purpose, "body": "Tenancy audit at the door",
               "occurred_at": Utc::now()})
    };
    let (s, p) = post(
        &t.app,
        "/officer/v1/actions",
        &t.north,
        action("audit-call-1", "call", "tenancy_audit"),
    )
    .await;
    assert_eq!((s, fields(&p)), (422, vec!["purpose".to_owned()]), "{p}");
    let (s, p) = post(
        &t.app,
        "/officer/v1/actions",
        &t.north,
        action("audit-visit-x", "visit", "fraud_hunt"),
    )
    .await;
    assert_eq!((s, fields(&p)), (422, vec!["purpose".to_owned()]), "{p}");
    let (s, p) = post(
        &t.app,
        "/officer/v1/visits",
        &t.north,
        json!({"client_id": "bad-kind-1", "tenancy_id": hd1001, "date": today,
               "kind": "fraud_hunt"}),
    )
    .await;
    assert_eq!((s, fields(&p)), (422, vec!["kind".to_owned()]), "{p}");

    let (s, a) = post(
        &t.app,
        "/officer/v1/actions",
        &t.north,
        action("audit-visit-1", "visit", "tenancy_audit"),
    )
    .await;
    assert_eq!(
        (s, a["purpose"].as_str()),
        (201, Some("tenancy_audit")),
        "{a}"
    );
    plan_all(&t.app.db, today, t.app.now()).await.unwrap();
    assert!(
        audit_tasks(&t.app, hd1001).await.is_empty(),
        "audited today: nothing due"
    );
    t.app.stop().await;
}

#[tokio::test]
async fn the_last_audit_the_housing_system_knows_of_is_imported_and_counts() {
    let t = team().await;
    let today = rentdesk_domain::time::london_date(Utc::now());
    let csv = |rows: &[(&str, NaiveDate)]| {
        let mut s = String::from(
            "reference,tenure,address_line1,town,postcode,patch,start_date,weekly_rent,\
             payment_method,lead_tenant_name,last_audit_on\n",
        );
        for (reference, audited) in rows {
            s.push_str(&format!(
                "{reference},secure,1 Audit Row,Huddersfield,HD1 1AA,HD-NORTH,2015-06-01,98.50,\
                 direct_debit,A Tenant,{audited}\n"
            ));
        }
        s.into_bytes()
    };
    // Before the tenancy started: refused, naming the column.
    let bad = t
        .app
        .import(
            "tenancies",
            csv(&[("HD6001", NaiveDate::from_ymd_opt(2014, 1, 1).unwrap())]),
        )
        .await;
    assert_eq!(bad["status"], "rejected", "{bad}");
    assert_eq!(bad["errors"][0]["column"], "last_audit_on", "{bad}");
    let recent = today - Duration::days(365);
    let old = today - Duration::days(37 * 31);
    let batch = t
        .app
        .import("tenancies", csv(&[("HD6001", recent), ("HD6002", old)]))
        .await;
    assert_eq!(batch["status"], "succeeded", "{batch}");
    plan_all(&t.app.db, today, t.app.now()).await.unwrap();
    let recent_id = tenancy_id(&t.app, "HD6001").await;
    let old_id = tenancy_id(&t.app, "HD6002").await;
    assert!(
        audit_tasks(&t.app, recent_id).await.is_empty(),
        "audited a year ago: not due"
    );
    let tasks = audit_tasks(&t.app, old_id).await;
    assert_eq!(tasks.len(), 1);
    assert!(
        tasks[0].detail.contains("last tenancy audit on"),
        "{}",
        tasks[0].detail
    );
    t.app.stop().await;
}
