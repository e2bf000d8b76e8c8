//! Data protection under `/manage/v1`: subject-access exports (JSON + PDF, produced by the
//! worker), retention (dry run, run, idempotent, figures kept) and the append-only audit log
//! with its query — and who may do which.

use crate::helpers::{TestApp, call, spawn_app, staff, staff_sign_in};
use chrono::{NaiveDate, TimeZone, Utc};
use rentdesk_store::entities::{
    action, arrangement, audit_entry, device, export, flag, message, patch, session, sign_in_code,
    staff_user, task, tenancy, tenant, transaction, uc_claim,
};
use reqwest::Method;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};
use serde_json::{Value, json};
use std::time::Duration;

struct World {
    app: TestApp,
    /// Team "income": officer of HD-NORTH (HD1001, HD1002) and HD-CENTRAL (HD1003).
    officer: i64,
    lead: String,
    /// Team "other": HD-EAST (HD1004).
    other_officer: i64,
    other_lead: String,
    admin: String,
    officer_token: String,
}

async fn staff_in(app: &TestApp, email: &str, role: &str, team: &str) -> i64 {
    let id = staff(app, email, role).await;
    staff_user::Entity::update_many()
        .col_expr(staff_user::Column::Team, Expr::value(team))
        .filter(staff_user::Column::Id.eq(id))
        .exec(&app.db)
        .await
        .unwrap();
    id
}

async fn world() -> World {
    let app = spawn_app().await;
    app.import_examples().await;
    let officer = staff(&app, "officer@council.example", "officer").await;
    staff(&app, "lead@council.example", "team_leader").await;
    staff(&app, "admin@council.example", "admin").await;
    let other_officer = staff_in(&app, "east@council.example", "officer", "other").await;
    staff_in(&app, "eastlead@council.example", "team_leader", "other").await;
    for (code, who) in [
        ("HD-NORTH", officer),
        ("HD-CENTRAL", officer),
        ("HD-EAST", other_officer),
    ] {
        patch::Entity::update_many()
            .col_expr(patch::Column::OfficerId, Expr::value(who))
            .filter(patch::Column::Code.eq(code))
            .exec(&app.db)
            .await
            .unwrap();
    }
    let lead = staff_sign_in(&app, "lead@council.example").await;
    let other_lead = staff_sign_in(&app, "eastlead@council.example").await;
    let admin = staff_sign_in(&app, "admin@council.example").await;
    let officer_token = staff_sign_in(&app, "officer@council.example").await;
    World {
        app,
        officer,
        lead,
        other_officer,
        other_lead,
        admin,
        officer_token,
    }
}

async fn tenancy_of(app: &TestApp, reference: &str) -> tenancy::Model {
    tenancy::Entity::find()
        .filter(tenancy::Column::Reference.eq(reference))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

async fn tenants_of(app: &TestApp, tenancy_id: i64) -> Vec<tenant::Model> {
    tenant::Entity::find()
        .filter(tenant::Column::TenancyId.eq(tenancy_id))
        .all(&app.db)
        .await
        .unwrap()
}

/// One record of every kind about the tenancy (and its first tenant), each holding `mark`.
async fn add_records(app: &TestApp, tenancy_id: i64, tenant_id: i64, mark: &str) {
    let db = &app.db;
    let now = Utc::now();
    let day = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
    action::ActiveModel {
        tenancy_id: Set(tenancy_id),
        kind: Set(rentdesk_store::vocab::ActionKind::Note.into()),
        body: Set(format!("{mark}-action note about the family")),
        occurred_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    message::ActiveModel {
        idempotency_key: Set(format!("{mark}-message")),
        tenancy_id: Set(tenancy_id),
        tenant_id: Set(Some(tenant_id)),
        channel: Set("sms".into()),
        template: Set("reminder".into()),
        body: Set(format!("{mark}-message body")),
        status: Set("sent".into()),
        error: Set(Some(format!("{mark}-provider error"))),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    flag::ActiveModel {
        tenancy_id: Set(tenancy_id),
        tenant_id: Set(Some(tenant_id)),
        kind: Set("vulnerability".into()),
        starts_on: Set(day),
        detail: Set(format!("{mark}-flag detail")),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    uc_claim::ActiveModel {
        tenancy_id: Set(tenancy_id),
        claim_start: Set(day),
        reported_by: Set(format!("{mark}-uc")),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    task::ActiveModel {
        tenancy_id: Set(tenancy_id),
        kind: Set("reply".into()),
        title: Set("Reply to the tenant".into()),
        detail: Set(format!("{mark}-task detail")),
        due_on: Set(day),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    arrangement::ActiveModel {
        tenancy_id: Set(tenancy_id),
        status: Set("completed".into()),
        frequency: Set("weekly".into()),
        instalment_pence: Set(500),
        start_date: Set(day),
        arrears_at_start_pence: Set(5_000),
        agreement_text: Set(Some(format!("{mark}-agreement"))),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    device::ActiveModel {
        tenant_id: Set(tenant_id),
        platform: Set("android".into()),
        token: Set(format!("{mark}-secret-push-token")),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    session::ActiveModel {
        subject_kind: Set("tenant".into()),
        subject_id: Set(tenant_id),
        family: Set(format!("{mark}-family")),
        token_hash: Set(format!("{mark}-token-hash")),
        expires_at: Set(now),
        client_addr: Set(Some("198.51.100.9".into())),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    sign_in_code::ActiveModel {
        tenant_id: Set(tenant_id),
        challenge: Set(format!("{mark}-challenge")),
        code_hash: Set(format!("{mark}-code-hash")),
        expires_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    rentdesk_store::audit::record(
        db,
        rentdesk_store::audit::Entry {
            actor: rentdesk_store::audit::Actor::Tenant(tenant_id),
            action: "preferences.changed",
            subject_kind: "tenant",
            subject_id: Some(tenant_id.to_string()),
            detail: Some(format!("{mark}-audit")),
            client_addr: None,
        },
    )
    .await
    .unwrap();
}

async fn wait_for_export(app: &TestApp, token: &str, url: &str) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (s, body) = call(app, Method::GET, url, Some(token), None).await;
        assert_eq!(s, 200, "{body}");
        if !matches!(body["status"].as_str(), Some("queued" | "running")) {
            return body;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "export not done: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn download(app: &TestApp, token: &str, url: &str) -> (u16, String, Vec<u8>) {
    let resp = app
        .client
        .get(app.url(url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, resp.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn subject_access_export_holds_every_record_of_the_tenancy_and_nothing_of_another() {
    let w = world().await;
    let app = &w.app;
    let mine = tenancy_of(app, "HD1002").await;
    let people = tenants_of(app, mine.id).await;
    assert_eq!(people.len(), 2, "HD1002 has joint tenants");
    add_records(app, mine.id, people[0].id, "MARK-MINE").await;
    let other = tenancy_of(app, "HD1001").await;
    let other_people = tenants_of(app, other.id).await;
    add_records(app, other.id, other_people[0].id, "MARK-OTHER").await;

    let (s, queued) = call(
        app,
        Method::POST,
        "/manage/v1/tenancies/HD1002/subject-access",
        Some(&w.lead),
        None,
    )
    .await;
    assert_eq!(s, 202, "{queued}");
    assert_eq!(queued["tenancy_reference"], "HD1002");
    let done = wait_for_export(app, &w.lead, queued["status_url"].as_str().unwrap()).await;
    assert_eq!(done["status"], "done", "{done}");

    let (s, ct, bytes) = download(app, &w.lead, done["json_url"].as_str().unwrap()).await;
    assert_eq!(s, 200);
    assert!(ct.starts_with("application/json"), "{ct}");
    let text = String::from_utf8(bytes).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["tenancy"]["reference"], "HD1002");
    assert_eq!(doc["tenancy"]["address_line1"], "4 Keldregate");
    let names: Vec<&str> = doc["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["full_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Bilal Hussain", "Sadia Hussain"]);
    assert_eq!(doc["tenants"][0]["date_of_birth"], "1988-11-02");
    let ledger_rows = transaction::Entity::find()
        .filter(transaction::Column::TenancyId.eq(mine.id))
        .count(&app.db)
        .await
        .unwrap();
    assert!(ledger_rows > 0);
    assert_eq!(doc["ledger"].as_array().unwrap().len() as u64, ledger_rows);
    let last = doc["ledger"].as_array().unwrap().last().unwrap();
    assert_eq!(
        last["balance_after_pence"], doc["account"]["balance_pence"],
        "the running balance ends at the account balance"
    );
    for (section, field, expected) in [
        ("actions", "body", "MARK-MINE-action note about the family"),
        ("messages", "body", "MARK-MINE-message body"),
        ("flags", "detail", "MARK-MINE-flag detail"),
        ("uc_claims", "reported_by", "MARK-MINE-uc"),
        ("tasks", "detail", "MARK-MINE-task detail"),
        ("arrangements", "agreement_text", "MARK-MINE-agreement"),
        ("sessions", "client_addr", "198.51.100.9"),
    ] {
        let rows = doc[section]
            .as_array()
            .unwrap_or_else(|| panic!("{section}"));
        assert!(
            rows.iter().any(|r| r[field] == expected),
            "{section}: {rows:?}"
        );
        for r in rows {
            if let Some(id) = r.get("tenancy_id") {
                assert_eq!(id, mine.id, "{section} only of this tenancy");
            }
        }
    }
    assert_eq!(doc["devices"].as_array().unwrap().len(), 1);
    assert_eq!(doc["devices"][0]["token"], "redacted");
    assert_eq!(doc["sign_in_codes"].as_array().unwrap().len(), 1);
    let audit = doc["audit_entries"].as_array().unwrap();
    assert!(
        audit.iter().any(|e| e["detail"] == "MARK-MINE-audit"),
        "what the tenant did: {audit:?}"
    );
    assert!(
        audit
            .iter()
            .any(|e| e["action"] == "subject_access.requested"),
        "the request itself is audited: {audit:?}"
    );
    for secret in [
        "MARK-MINE-secret-push-token",
        "MARK-MINE-token-hash",
        "MARK-MINE-code-hash",
    ] {
        assert!(!text.contains(secret), "{secret} must not be exported");
    }
    for foreign in ["MARK-OTHER", "Karen Haigh", "12 Bradford Road", "HD1001"] {
        assert!(
            !text.contains(foreign),
            "{foreign} belongs to another tenancy"
        );
    }

    let (s, ct, pdf) = download(app, &w.lead, done["pdf_url"].as_str().unwrap()).await;
    assert_eq!(s, 200);
    assert_eq!(ct, "application/pdf");
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    let pdf_text = String::from_utf8_lossy(&pdf);
    for s in [
        "Subject access export: tenancy HD1002",
        "Bilal Hussain",
        "Sadia Hussain",
    ] {
        assert!(pdf_text.contains(s), "{s} in the PDF");
    }
    assert!(!pdf_text.contains("Karen Haigh"));

    let downloads = audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq("subject_access.downloaded"))
        .filter(audit_entry::Column::SubjectId.eq(mine.id.to_string()))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(downloads, 2, "both downloads are audited");
}

#[tokio::test]
async fn subject_access_is_for_team_leaders_and_admins_within_their_scope() {
    let w = world().await;
    let app = &w.app;
    let path = "/manage/v1/tenancies/HD1002/subject-access";
    let (s, p) = call(app, Method::POST, path, Some(&w.officer_token), None).await;
    assert_eq!(s, 403, "an officer: {p}");
    let (s, _) = call(app, Method::POST, path, None, None).await;
    assert_eq!(s, 401);
    let (s, p) = call(app, Method::POST, path, Some(&w.other_lead), None).await;
    assert_eq!(
        s, 404,
        "another team's tenancy does not exist for them: {p}"
    );
    let (s, _) = call(
        app,
        Method::POST,
        "/manage/v1/tenancies/NOPE1/subject-access",
        Some(&w.admin),
        None,
    )
    .await;
    assert_eq!(s, 404);

    let (s, queued) = call(app, Method::POST, path, Some(&w.admin), None).await;
    assert_eq!(s, 202, "{queued}");
    let status_url = queued["status_url"].as_str().unwrap();
    for token in [&w.other_lead] {
        let (s, _) = call(app, Method::GET, status_url, Some(token), None).await;
        assert_eq!(s, 404, "another team's export");
        let (s, _, _) = download(app, token, queued["pdf_url"].as_str().unwrap()).await;
        assert_eq!(s, 404);
    }
    let (s, _) = call(app, Method::GET, status_url, Some(&w.officer_token), None).await;
    assert_eq!(s, 403);

    // An export that has not run yet cannot be downloaded.
    let t = tenancy_of(app, "HD1002").await;
    let pending = export::ActiveModel {
        kind: Set("subject_access".into()),
        tenancy_id: Set(t.id),
        status: Set(rentdesk_store::vocab::ExportStatus::Queued.into()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let (s, p) = call(
        app,
        Method::GET,
        &format!("/manage/v1/exports/{}/json", pending.id),
        Some(&w.lead),
        None,
    )
    .await;
    assert_eq!(s, 409, "{p}");
}

/// UK GDPR Art 12(3): a subject-access export shows the day the request was received, the day
/// it is due (one month; ICO's counting) and the outer limit if extended, and is flagged
/// overdue once the due day has passed without it being done.
#[tokio::test]
async fn uk_gdpr_art_12_3_a_subject_access_export_shows_its_one_month_due_date_and_when_overdue() {
    let w = world().await;
    let app = &w.app;
    let today = crate::helpers::real_today();
    let (s, queued) = call(
        app,
        Method::POST,
        "/manage/v1/tenancies/HD1002/subject-access",
        Some(&w.lead),
        None,
    )
    .await;
    assert_eq!(s, 202, "{queued}");
    assert_eq!(queued["received_on"], json!(today), "{queued}");
    assert_eq!(
        queued["due_on"],
        json!(rentdesk_domain::retention::subject_access_due_on(today)),
        "{queued}"
    );
    assert_eq!(
        queued["extended_due_on"],
        json!(rentdesk_domain::retention::subject_access_extended_due_on(
            today
        )),
        "{queued}"
    );
    assert_eq!(queued["overdue"], false, "{queued}");
    let done = wait_for_export(app, &w.lead, queued["status_url"].as_str().unwrap()).await;
    assert_eq!(
        (done["status"].as_str(), &done["overdue"]),
        (Some("done"), &json!(false))
    );
    // A request received 40 days ago that has not been answered (its export failed): overdue.
    let t = tenancy_of(app, "HD1002").await;
    let received = Utc::now() - chrono::Duration::days(40);
    let old = export::ActiveModel {
        kind: Set("subject_access".into()),
        tenancy_id: Set(t.id),
        status: Set(rentdesk_store::vocab::ExportStatus::Failed.into()),
        created_at: Set(received),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let (s, e) = call(
        app,
        Method::GET,
        &format!("/manage/v1/exports/{}", old.id),
        Some(&w.lead),
        None,
    )
    .await;
    assert_eq!(s, 200, "{e}");
    let received_on = rentdesk_domain::time::london_date(received);
    assert_eq!(e["received_on"], json!(received_on), "{e}");
    let due = rentdesk_domain::retention::subject_access_due_on(received_on);
    assert_eq!(e["due_on"], json!(due), "{e}");
    assert!(due < today, "{e}");
    assert_eq!(e["overdue"], true, "{e}");
}

/// HD1004 closed in 2019 with a zero balance (qualifies); HD1003 closed in 2019 in credit and
/// HD1001 closed last month (neither does).
async fn close_accounts(app: &TestApp) -> tenancy::Model {
    let close = |reference: &'static str, end: NaiveDate| async move {
        tenancy::Entity::update_many()
            .col_expr(tenancy::Column::Status, Expr::value("closed"))
            .col_expr(tenancy::Column::EndDate, Expr::value(end))
            .filter(tenancy::Column::Reference.eq(reference))
            .exec(&app.db)
            .await
            .unwrap();
    };
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    close("HD1004", d(2019, 6, 30)).await;
    close("HD1003", d(2019, 6, 30)).await;
    let last_month = crate::helpers::real_today() - chrono::Duration::days(30);
    close("HD1001", last_month).await;
    let t = tenancy_of(app, "HD1004").await;
    for (r, amount, kind) in [
        ("SC-2019-HD1004", 124_000, "service_charge"),
        ("P-2019-HD1004", -124_000, "payment"),
    ] {
        transaction::ActiveModel {
            tenancy_id: Set(t.id),
            posted_on: Set(d(2019, 5, 1)),
            kind: Set(kind.into()),
            amount_pence: Set(amount),
            external_ref: Set(r.into()),
            description: Set(Some("Service charge 2019".into())),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    t
}

async fn ledger_of(app: &TestApp, tenancy_id: i64) -> Vec<(NaiveDate, i64)> {
    transaction::Entity::find()
        .filter(transaction::Column::TenancyId.eq(tenancy_id))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.posted_on, t.amount_pence))
        .collect()
}

#[tokio::test]
async fn a_flag_redacted_by_retention_reaches_the_officers_phone_at_the_next_sync() {
    let w = world().await;
    let app = &w.app;
    let t = close_accounts(app).await;
    let grace = tenants_of(app, t.id).await.remove(0);
    add_records(app, t.id, grace.id, "MARK-SYNC").await;
    // The flag was set two days ago and is already on the officer's phone.
    flag::Entity::update_many()
        .col_expr(
            flag::Column::CreatedAt,
            Expr::value(Utc::now() - chrono::Duration::days(2)),
        )
        .col_expr(
            flag::Column::UpdatedAt,
            Expr::value(Utc::now() - chrono::Duration::days(2)),
        )
        .filter(flag::Column::TenancyId.eq(t.id))
        .exec(&app.db)
        .await
        .unwrap();
    let east = staff_sign_in(app, "east@council.example").await;
    let (s, first) = call(app, Method::GET, "/officer/v1/sync", Some(&east), None).await;
    assert_eq!(s, 200, "{first}");
    let on_phone = |sync: &Value| -> Vec<(i64, String)> {
        sync["flags"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["tenancy_id"] == t.id)
            .map(|f| {
                (
                    f["id"].as_i64().unwrap(),
                    f["detail"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let flags = on_phone(&first);
    assert_eq!(flags.len(), 1, "{first}");
    assert_eq!(flags[0].1, "MARK-SYNC-flag detail");
    let since = first["next_since"].as_str().unwrap().replace('+', "%2B");
    // Nothing changed: the next sync does not resend it.
    let (_, quiet) = call(
        app,
        Method::GET,
        &format!("/officer/v1/sync?since={since}"),
        Some(&east),
        None,
    )
    .await;
    assert!(on_phone(&quiet).is_empty(), "{quiet}");

    let (s, run) = call(
        app,
        Method::POST,
        "/manage/v1/retention/run",
        Some(&w.admin),
        None,
    )
    .await;
    assert_eq!(s, 200, "{run}");
    let (s, next) = call(
        app,
        Method::GET,
        &format!("/officer/v1/sync?since={since}"),
        Some(&east),
        None,
    )
    .await;
    assert_eq!(s, 200, "{next}");
    assert_eq!(
        on_phone(&next),
        [(flags[0].0, "[redacted]".to_owned())],
        "the redacted flag replaces the phone's copy"
    );
}

#[tokio::test]
async fn retention_dry_run_lists_only_the_qualifying_tenancy_and_the_run_anonymises_it_once() {
    let w = world().await;
    let app = &w.app;
    let t = close_accounts(app).await;
    let grace = tenants_of(app, t.id).await.remove(0);
    assert_eq!(grace.full_name, "Grace Mellor");
    add_records(app, t.id, grace.id, "MARK-GRACE").await;
    let ledger_before = ledger_of(app, t.id).await;
    let account_before: Value = app
        .account("HD1004", "2026-11-29")
        .await
        .json()
        .await
        .unwrap();
    let tenancy_count = tenancy::Entity::find().count(&app.db).await.unwrap();

    let (s, plan) = call(
        app,
        Method::GET,
        "/manage/v1/retention/dry-run",
        Some(&w.admin),
        None,
    )
    .await;
    assert_eq!(s, 200, "{plan}");
    assert_eq!(plan["applied"], false);
    assert_eq!(plan["retention_months"], 72);
    let listed: Vec<&str> = plan["tenancies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["reference"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["HD1004"], "{plan}");
    let changes = plan["tenancies"][0]["changes"].as_array().unwrap();
    let has = |table: &str, field: &str, to: &str| {
        changes
            .iter()
            .any(|c| c["table"] == table && c["field"] == field && c["to"] == to)
    };
    let former = format!("Former tenant #{}", grace.id);
    assert!(has("tenants", "full_name", &former), "{changes:?}");
    assert!(has("tenants", "date_of_birth", "null"));
    assert!(has("tenants", "mobile", "null"));
    assert!(has("tenancies", "address_line1", "[redacted]"));
    assert!(has("actions", "body", "[redacted]"));
    assert!(has("messages", "body", "[redacted]"));
    assert!(has("flags", "detail", "[redacted]"));
    assert!(has("arrangements", "agreement_text", "null"));
    assert!(has("devices", "*", "deleted"));
    assert!(has("sessions", "*", "deleted"));
    assert!(has("sign_in_codes", "*", "deleted"));
    assert!(
        !changes.iter().any(|c| c["table"] == "transactions"),
        "the ledger is never touched"
    );
    // The dry run changed nothing.
    let still = tenants_of(app, t.id).await.remove(0);
    assert_eq!(still, grace);
    assert_eq!(tenancy_of(app, "HD1004").await, t);
    assert_eq!(device::Entity::find().count(&app.db).await.unwrap(), 1);

    // A team leader sees only their own team's candidates; only an admin runs it for real.
    let (s, mine) = call(
        app,
        Method::GET,
        "/manage/v1/retention/dry-run",
        Some(&w.lead),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(mine["tenancies"].as_array().unwrap().len(), 0, "{mine}");
    let (s, _) = call(
        app,
        Method::POST,
        "/manage/v1/retention/run",
        Some(&w.other_lead),
        None,
    )
    .await;
    assert_eq!(s, 403);
    let (s, _) = call(
        app,
        Method::GET,
        "/manage/v1/retention/dry-run",
        Some(&w.officer_token),
        None,
    )
    .await;
    assert_eq!(s, 403);

    let (s, run) = call(
        app,
        Method::POST,
        "/manage/v1/retention/run",
        Some(&w.admin),
        None,
    )
    .await;
    assert_eq!(s, 200, "{run}");
    assert_eq!(run["applied"], true);
    assert_eq!(run["tenancies"][0]["reference"], "HD1004");
    assert_eq!(
        run["tenancies"][0]["changes"],
        plan["tenancies"][0]["changes"]
    );

    let after = tenants_of(app, t.id).await.remove(0);
    assert_eq!(after.full_name, former);
    assert_eq!(
        (
            after.date_of_birth,
            after.mobile.as_deref(),
            after.email.as_deref()
        ),
        (None, None, None)
    );
    let t_after = tenancy_of(app, "HD1004").await;
    assert_eq!(t_after.address_line1, "[redacted]");
    assert!(t_after.anonymised_at.is_some());
    assert_eq!(
        (
            &t_after.reference,
            &t_after.tenure,
            t_after.patch_id,
            &t_after.postcode
        ),
        (&t.reference, &t.tenure, t.patch_id, &t.postcode),
        "what reports group by is kept"
    );
    let notes: Vec<String> = action::Entity::find()
        .filter(action::Column::TenancyId.eq(t.id))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.body)
        .collect();
    assert_eq!(notes, ["[redacted]"]);
    let kept_devices = device::Entity::find()
        .filter(device::Column::TenantId.eq(grace.id))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(kept_devices, 0);
    assert_eq!(
        device::Entity::find().count(&app.db).await.unwrap(),
        0,
        "only Grace had a device"
    );
    // The figures: same ledger, same balance, same number of accounts.
    assert_eq!(ledger_of(app, t.id).await, ledger_before);
    let account_after: Value = app
        .account("HD1004", "2026-11-29")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        account_after["balance_pence"],
        account_before["balance_pence"]
    );
    assert_eq!(account_after["balance_pence"], 0);
    assert_eq!(
        tenancy::Entity::find().count(&app.db).await.unwrap(),
        tenancy_count
    );
    let audited = audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq("retention.anonymised"))
        .filter(audit_entry::Column::SubjectId.eq(t.id.to_string()))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(audited, 1);
    // The other tenancies are untouched.
    let karen = tenants_of(app, tenancy_of(app, "HD1001").await.id).await;
    assert_eq!(karen[0].full_name, "Karen Haigh");

    // A second run (and the dry run) find nothing more to do.
    let (s, again) = call(
        app,
        Method::POST,
        "/manage/v1/retention/run",
        Some(&w.admin),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(again["tenancies"].as_array().unwrap().len(), 0, "{again}");
    let (_, dry) = call(
        app,
        Method::GET,
        "/manage/v1/retention/dry-run",
        Some(&w.admin),
        None,
    )
    .await;
    assert_eq!(dry["tenancies"].as_array().unwrap().len(), 0);
    assert_eq!(tenants_of(app, t.id).await.remove(0), after);
}

async fn entry_at(
    app: &TestApp,
    at: chrono::DateTime<Utc>,
    actor: (&str, String),
    subject: (&str, String),
    action: &str,
) -> i64 {
    audit_entry::ActiveModel {
        at: Set(at),
        actor_kind: Set(actor.0.into()),
        actor_id: Set(Some(actor.1)),
        action: Set(action.into()),
        subject_kind: Set(subject.0.into()),
        subject_id: Set(Some(subject.1)),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
    .id
}

fn ids(page: &Value) -> Vec<i64> {
    page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn audit_log_is_queried_by_tenancy_staff_and_date_newest_first_in_pages() {
    let w = world().await;
    let app = &w.app;
    let hd1001 = tenancy_of(app, "HD1001").await;
    let karen = tenants_of(app, hd1001.id).await.remove(0);
    let hd1003 = tenancy_of(app, "HD1003").await;
    let hd1004 = tenancy_of(app, "HD1004").await;
    let at = |y, m, d| Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap();
    let officer = ("staff", w.officer.to_string());
    let a = entry_at(
        app,
        at(2020, 1, 10),
        officer.clone(),
        ("tenancy", hd1001.id.to_string()),
        "account.viewed",
    )
    .await;
    let b = entry_at(
        app,
        at(2020, 2, 15),
        officer.clone(),
        ("tenancy", hd1003.id.to_string()),
        "action.recorded",
    )
    .await;
    let c = entry_at(
        app,
        at(2020, 3, 1),
        ("tenant", karen.id.to_string()),
        ("tenant", karen.id.to_string()),
        "preferences.changed",
    )
    .await;
    let d = entry_at(
        app,
        at(2020, 3, 5),
        ("staff", w.other_officer.to_string()),
        ("tenancy", hd1004.id.to_string()),
        "account.viewed",
    )
    .await;
    let get = |path: String, token: String| async move {
        call(app, Method::GET, &path, Some(&token), None).await
    };

    // By tenancy: about the account and what its tenants did; nothing about others.
    let (s, page) = get(
        "/manage/v1/audit?tenancy=HD1001&to=2020-12-31".into(),
        w.admin.clone(),
    )
    .await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(ids(&page), [c, a]);
    // By staff member.
    let (_, page) = get(
        format!("/manage/v1/audit?staff={}&to=2020-12-31", w.officer),
        w.admin.clone(),
    )
    .await;
    assert_eq!(ids(&page), [b, a]);
    // By dates, inclusive, in London.
    let (_, page) = get(
        "/manage/v1/audit?from=2020-02-15&to=2020-03-01".into(),
        w.admin.clone(),
    )
    .await;
    assert_eq!(ids(&page), [c, b]);
    // Pages, newest first.
    let mut seen = vec![];
    let mut url = "/manage/v1/audit?to=2020-12-31&limit=1".to_owned();
    loop {
        let (s, page) = get(url.clone(), w.admin.clone()).await;
        assert_eq!(s, 200, "{page}");
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => url = format!("/manage/v1/audit?to=2020-12-31&limit=1&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, [d, c, b, a]);

    // A team leader sees their team's tenancies and staff, not another team's.
    let (_, page) = get("/manage/v1/audit?to=2020-12-31".into(), w.lead.clone()).await;
    assert_eq!(ids(&page), [c, b, a]);
    let (_, page) = get(
        "/manage/v1/audit?to=2020-12-31".into(),
        w.other_lead.clone(),
    )
    .await;
    assert_eq!(ids(&page), [d]);
    let (s, _) = get("/manage/v1/audit?tenancy=HD1004".into(), w.lead.clone()).await;
    assert_eq!(s, 404);
    let (s, _) = get(
        format!("/manage/v1/audit?staff={}", w.other_officer),
        w.lead.clone(),
    )
    .await;
    assert_eq!(s, 404);
    let (s, _) = get("/manage/v1/audit".into(), w.officer_token.clone()).await;
    assert_eq!(s, 403);
    let (s, p) = get("/manage/v1/audit?from=2020-02-30".into(), w.admin.clone()).await;
    assert_eq!(s, 422);
    assert_eq!(p["errors"][0]["field"], "from");
    let (s, p) = get(
        "/manage/v1/audit?from=2020-03-01&to=2020-02-01".into(),
        w.admin.clone(),
    )
    .await;
    assert_eq!(s, 422, "{p}");

    // Reading the log is itself audited.
    let queried = audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq("audit.queried"))
        .count(&app.db)
        .await
        .unwrap();
    assert!(queried >= 8, "{queried}");
}

#[tokio::test]
async fn the_database_refuses_to_change_or_delete_audit_entries() {
    let app = spawn_app().await;
    rentdesk_store::audit::record(
        &app.db,
        rentdesk_store::audit::Entry {
            actor: rentdesk_store::audit::Actor::System,
            action: "test.recorded",
            subject_kind: "tenancy",
            subject_id: Some("1".into()),
            detail: None,
            client_addr: None,
        },
    )
    .await
    .unwrap();
    let before = audit_entry::Entity::find().all(&app.db).await.unwrap();
    assert!(!before.is_empty());
    let update = app
        .db
        .execute_unprepared("UPDATE audit_log SET action = 'tampered'")
        .await;
    let err = update.expect_err("an UPDATE of audit_log is refused");
    assert!(err.to_string().contains("append-only"), "{err}");
    let delete = app.db.execute_unprepared("DELETE FROM audit_log").await;
    assert!(delete.is_err(), "a DELETE of audit_log is refused");
    let via_orm = audit_entry::Entity::update_many()
        .col_expr(audit_entry::Column::Detail, Expr::value("x"))
        .exec(&app.db)
        .await;
    assert!(via_orm.is_err());
    assert_eq!(
        audit_entry::Entity::find().all(&app.db).await.unwrap(),
        before
    );
}
