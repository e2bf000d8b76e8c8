//! The officer app API: staff sign-in, patch scope (and cover), the account view, the action
//! diary with client ids, flags and tasks — and that nobody reaches an account outside their
//! patches, by id, by reference or through a list.

use crate::helpers::{
    PASSWORD, TestApp, call, spawn_app_with, staff, staff_sign_in as sign_in, tenancy_id,
};
use rentdesk_store::entities::{audit_entry, patch, staff_user, task};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

struct Team {
    app: TestApp,
    /// HD-NORTH: HD1001, HD1002.
    north: i64,
    /// HD-CENTRAL: HD1003.
    central: i64,
}

async fn team() -> Team {
    team_with(&[]).await
}

/// `team` on an app with some settings overridden.
async fn team_with(overrides: &[(&'static str, &str)]) -> Team {
    let app = spawn_app_with(overrides).await;
    app.import_examples().await;
    let north = staff(&app, "north@council.example", "officer").await;
    let central = staff(&app, "central@council.example", "officer").await;
    staff(&app, "lead@council.example", "team_leader").await;
    for (code, officer) in [("HD-NORTH", north), ("HD-CENTRAL", central)] {
        patch::Entity::update_many()
            .col_expr(patch::Column::OfficerId, Expr::value(officer))
            .filter(patch::Column::Code.eq(code))
            .exec(&app.db)
            .await
            .unwrap();
    }
    Team {
        app,
        north,
        central,
    }
}

async fn get(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    call(app, reqwest::Method::GET, path, Some(token), None).await
}

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    call(app, reqwest::Method::POST, path, Some(token), Some(body)).await
}

fn fields(problem: &Value) -> Vec<String> {
    let mut f: Vec<String> = problem["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default();
    f.sort();
    f
}

#[tokio::test]
async fn staff_sign_in_checks_the_password_is_audited_and_limited() {
    let t = team().await;
    let app = &t.app;
    for (email, password) in [
        ("north@council.example", "wrong"),
        ("nobody@council.example", PASSWORD),
    ] {
        let (s, p) = call(
            app,
            reqwest::Method::POST,
            "/officer/v1/sign-in",
            None,
            Some(json!({"email": email, "password": password})),
        )
        .await;
        assert_eq!(s, 401, "{p}");
    }
    let token = sign_in(app, "North@Council.example ").await;
    let (s, me) = get(app, "/officer/v1/me", &token).await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(
        (me["id"].as_i64(), me["role"].as_str()),
        (Some(t.north), Some("officer"))
    );
    assert_eq!(me["patches"], json!(["HD-NORTH"]));
    // Ten wrong passwords an hour for one email, then refused even with the right one.
    for _ in 0..10 {
        let (s, _) = call(
            app,
            reqwest::Method::POST,
            "/officer/v1/sign-in",
            None,
            Some(json!({"email": "central@council.example", "password": "guess"})),
        )
        .await;
        assert_eq!(s, 401);
    }
    let (s, _) = call(
        app,
        reqwest::Method::POST,
        "/officer/v1/sign-in",
        None,
        Some(json!({"email": "central@council.example", "password": PASSWORD})),
    )
    .await;
    assert_eq!(s, 429);
    // The test's administrator (who imported the examples) signs in too; not counted here.
    let audit: Vec<String> = audit_entry::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.subject_id.as_deref() != Some(crate::helpers::ADMIN_EMAIL))
        .map(|a| a.action)
        .collect();
    assert!(
        audit
            .iter()
            .filter(|a| *a == "staff.sign_in.failed")
            .count()
            >= 11
    );
    assert_eq!(
        audit
            .iter()
            .filter(|a| *a == "staff.sign_in.succeeded")
            .count(),
        1
    );
    // Sign-out ends the token at once.
    let (s, _) = call(
        app,
        reqwest::Method::POST,
        "/officer/v1/sign-out",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(get(app, "/officer/v1/me", &token).await.0, 401);
    t.app.stop().await;
}

#[tokio::test]
async fn an_officer_reaches_only_their_patches_by_id_reference_or_list_until_given_cover() {
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    let hd1003 = tenancy_id(app, "HD1003").await;
    let (s, a) = get(app, &format!("/officer/v1/accounts/{hd1001}"), &north).await;
    assert_eq!(s, 200, "{a}");
    assert_eq!(a["summary"]["reference"], "HD1001");
    assert!(a["recommendation"]["stage"].is_string());
    // Another patch's account does not exist for this officer.
    let (s, p) = get(app, &format!("/officer/v1/accounts/{hd1003}"), &north).await;
    assert_eq!(s, 404, "{p}");
    let (_, found) = get(app, "/officer/v1/accounts?reference=hd1003", &north).await;
    assert_eq!(found["accounts"], json!([]));
    let (_, found) = get(app, "/officer/v1/accounts?reference=HD1002", &north).await;
    assert_eq!(found["accounts"][0]["reference"], "HD1002");
    let action = json!({"client_id": "phone-0001-aaaa", "tenancy_id": hd1003, "kind": "note", "body": "x", "occurred_at": chrono::Utc::now()});
    assert_eq!(
        post(app, "/officer/v1/actions", &north, action.clone())
            .await
            .0,
        404
    );
    let (s, _) = post(
        app,
        &format!("/officer/v1/accounts/{hd1003}/flags"),
        &north,
        json!({"kind": "vulnerability", "starts_on": "2026-11-01", "detail": "x"}),
    )
    .await;
    assert_eq!(s, 404);
    // Tasks on HD1003 are neither listed nor completable.
    let hidden = task::ActiveModel {
        tenancy_id: Set(hd1003),
        kind: Set("reply".into()),
        title: Set("t".into()),
        detail: Set(String::new()),
        due_on: Set(crate::helpers::real_today()),
        status: Set(rentdesk_store::vocab::TaskStatus::Open.into()),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let (_, tasks) = get(app, "/officer/v1/tasks", &north).await;
    assert_eq!(tasks["tasks"], json!([]));
    let (s, _) = post(
        app,
        &format!("/officer/v1/tasks/{}/complete", hidden.id),
        &north,
        json!({}),
    )
    .await;
    assert_eq!(s, 404);

    // An officer cannot give themselves cover; the team leader can.
    let cover = json!({"patch_code": "HD-CENTRAL", "officer_id": t.north, "starts_on": crate::helpers::real_today(), "ends_on": crate::helpers::real_today() + chrono::Duration::days(7)});
    let (s, p) = post(app, "/officer/v1/covers", &north, cover.clone()).await;
    assert_eq!(s, 403, "{p}");
    let lead = sign_in(app, "lead@council.example").await;
    let (s, c) = post(app, "/officer/v1/covers", &lead, cover).await;
    assert_eq!(s, 201, "{c}");
    assert_eq!(
        get(app, &format!("/officer/v1/accounts/{hd1003}"), &north)
            .await
            .0,
        200
    );
    let (_, tasks) = get(app, "/officer/v1/tasks", &north).await;
    assert_eq!(tasks["tasks"][0]["id"], hidden.id);
    // Bad cover names its fields.
    let (s, p) = post(
        app,
        "/officer/v1/covers",
        &lead,
        json!({"patch_code": "NOPE", "officer_id": 999999, "starts_on": "2026-12-10", "ends_on": "2026-12-01"}),
    )
    .await;
    assert_eq!(
        (s, fields(&p)),
        (
            422,
            vec![
                "ends_on".to_owned(),
                "officer_id".to_owned(),
                "patch_code".to_owned()
            ]
        )
    );
    let _ = t.central;
    t.app.stop().await;
}

#[tokio::test]
async fn tenant_and_staff_tokens_each_open_only_their_own_app() {
    let t = team().await;
    let app = &t.app;
    let officer = sign_in(app, "north@council.example").await;
    // A staff token is no tenant token.
    assert_eq!(get(app, "/tenant/v1/account", &officer).await.0, 401);
    // A tenant token gets nothing under /officer/v1.
    let tenant_token = crate::helpers::tenant_token(app, "HD1001", "1971-03-14").await;
    let tenant = tenant_token.as_str();
    let hd1001 = tenancy_id(app, "HD1001").await;
    for path in [
        "/officer/v1/me".to_owned(),
        format!("/officer/v1/accounts/{hd1001}"),
        "/officer/v1/accounts?reference=HD1001".to_owned(),
        "/officer/v1/tasks".to_owned(),
    ] {
        assert_eq!(get(app, &path, tenant).await.0, 401, "{path}");
        assert_eq!(
            call(app, reqwest::Method::GET, &path, None, None).await.0,
            401,
            "{path}"
        );
    }
    let (s, _) = post(
        app,
        "/officer/v1/actions",
        tenant,
        json!({"client_id": "tenant-attempt-1", "tenancy_id": hd1001, "kind": "note", "body": "x", "occurred_at": chrono::Utc::now()}),
    )
    .await;
    assert_eq!(s, 401);
    t.app.stop().await;
}

#[tokio::test]
async fn actions_store_once_per_client_id_and_every_read_and_write_is_audited() {
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    let visit = json!({
        "client_id": "3b1f0c7e-visit-0001",
        "tenancy_id": hd1001,
        "kind": "visit",
        "outcome": "contact_made",
        "body": "Hours cut; will complete an I&E in the app.",
        "occurred_at": chrono::Utc::now() - chrono::Duration::hours(2),
        "latitude": 53.6551,
        "longitude": -1.781
    });
    let (s, first) = post(app, "/officer/v1/actions", &north, visit.clone()).await;
    assert_eq!(s, 201, "{first}");
    // The phone resends after losing signal: stored once.
    let (s, again) = post(app, "/officer/v1/actions", &north, visit.clone()).await;
    assert_eq!((s, again["id"].clone()), (200, first["id"].clone()));
    let mut other = visit.clone();
    other["tenancy_id"] = json!(tenancy_id(app, "HD1002").await);
    assert_eq!(post(app, "/officer/v1/actions", &north, other).await.0, 409);
    // A resend that says something else is neither stored nor dropped: both versions come back.
    let mut edited = visit.clone();
    edited["body"] = json!("Hours cut; agreed £5 a week extra.");
    let (s, p) = post(app, "/officer/v1/actions", &north, edited).await;
    assert_eq!((s, fields(&p)), (409, vec!["client_id".to_owned()]), "{p}");
    assert_eq!(p["server_version"]["body"], visit["body"], "{p}");
    assert_eq!(
        p["your_version"]["body"],
        "Hours cut; agreed £5 a week extra."
    );
    // The same queued action sent several times at once is stored once.
    let note = json!({"client_id": "3b1f0c7e-note-0009", "tenancy_id": hd1001, "kind": "note", "body": "Left a card.", "occurred_at": chrono::Utc::now()});
    let sends = futures::future::join_all(
        (0..6).map(|_| post(app, "/officer/v1/actions", &north, note.clone())),
    )
    .await;
    let mut statuses: Vec<u16> = sends.iter().map(|(s, _)| *s).collect();
    statuses.sort();
    assert_eq!(statuses, [200, 200, 200, 200, 200, 201], "{sends:?}");
    assert!(sends.iter().all(|(_, a)| a["id"] == sends[0].1["id"]));
    // Another officer who happens to reuse the id learns nothing about the action it belongs to.
    let central = sign_in(app, "central@council.example").await;
    let mut theirs = visit.clone();
    theirs["tenancy_id"] = json!(tenancy_id(app, "HD1003").await);
    theirs["body"] = json!("x");
    let (s, p) = post(app, "/officer/v1/actions", &central, theirs).await;
    assert_eq!((s, fields(&p)), (409, vec!["client_id".to_owned()]), "{p}");
    assert!(p["server_version"].is_null(), "{p}");
    assert!(!p.to_string().contains("Hours cut"), "{p}");
    assert!(!p["detail"].as_str().unwrap().contains("account"), "{p}");
    let (_, a) = get(app, &format!("/officer/v1/accounts/{hd1001}"), &north).await;
    let diary: Vec<&Value> = a["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["client_id"] == "3b1f0c7e-visit-0001")
        .collect();
    assert_eq!(diary.len(), 1);
    assert!(diary[0]["facts"].as_str().unwrap().contains("53.6551"));
    // Bad input names every field: a visit's outcome on a call, a time ahead, a latitude
    // off the globe.
    let (s, p) = post(
        app,
        "/officer/v1/actions",
        &north,
        json!({"client_id": "3b1f0c7e-bad-0002", "tenancy_id": hd1001, "kind": "call", "outcome": "contact_made", "body": "", "occurred_at": chrono::Utc::now() + chrono::Duration::days(1), "latitude": 123.0}),
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(fields(&p), ["latitude", "occurred_at", "outcome"]);
    // An outcome outside the vocabulary is refused by the contract, naming the field and
    // listing the values.
    let (s, p) = post(
        app,
        "/officer/v1/actions",
        &north,
        json!({"client_id": "3b1f0c7e-bad-0002", "tenancy_id": hd1001, "kind": "call", "outcome": "shouted", "body": "", "occurred_at": chrono::Utc::now()}),
    )
    .await;
    assert_eq!((s, fields(&p)), (422, vec!["outcome".to_owned()]), "{p}");
    assert!(p.to_string().contains("wrong_number"), "{p}");
    let (s, p) = post(
        app,
        "/officer/v1/actions",
        &north,
        json!({"client_id": "3b1f0c7e-bad-0003", "tenancy_id": hd1001, "kind": "referral", "body": "", "occurred_at": chrono::Utc::now()}),
    )
    .await;
    assert_eq!((s, fields(&p)), (422, vec!["referral_to".to_owned()]));

    // Breathing Space: standard ones need an end within 60 days; then escalation pauses.
    let today = crate::helpers::real_today();
    let (s, p) = post(
        app,
        &format!("/officer/v1/accounts/{hd1001}/flags"),
        &north,
        json!({"kind": "breathing_space_standard", "starts_on": today, "ends_on": today + chrono::Duration::days(90)}),
    )
    .await;
    assert_eq!((s, fields(&p)), (422, vec!["ends_on".to_owned()]));
    let (s, f) = post(
        app,
        &format!("/officer/v1/accounts/{hd1001}/flags"),
        &north,
        json!({"kind": "breathing_space_standard", "starts_on": today, "ends_on": today + chrono::Duration::days(60), "detail": "notified by StepChange"}),
    )
    .await;
    assert_eq!(s, 201, "{f}");
    let (_, a) = get(app, &format!("/officer/v1/accounts/{hd1001}"), &north).await;
    assert_eq!(a["flags"][0]["kind"], "breathing_space_standard");
    // Every read that shows a tenant's record is audited with where it came from, lists too.
    let (s, _) = get(
        app,
        &format!("/officer/v1/accounts/{hd1001}/next-step"),
        &north,
    )
    .await;
    assert_eq!(s, 200);
    assert!(read_audited(app, "next_step.read", hd1001).await);
    let (_, caseload) = get(app, "/officer/v1/caseload", &north).await;
    let shown: Vec<i64> = caseload["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["tenancy_id"].as_i64().unwrap())
        .collect();
    assert!(!shown.is_empty(), "{caseload}");
    for id in shown {
        assert!(read_audited(app, "caseload.read", id).await, "{id}");
    }

    let audit: Vec<(String, Option<String>, Option<String>)> = audit_entry::Entity::find()
        .filter(audit_entry::Column::ActorKind.eq("staff"))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.action, a.actor_id, a.subject_id))
        .collect();
    let me = Some(t.north.to_string());
    let subject = Some(hd1001.to_string());
    for action in ["account.read", "action.recorded", "flag.added"] {
        assert!(
            audit
                .iter()
                .any(|(a, who, s)| a == action && *who == me && *s == subject),
            "{action} audited: {audit:?}"
        );
    }
    assert_eq!(
        audit
            .iter()
            .filter(|(a, _, _)| a == "action.recorded")
            .count(),
        2,
        "the visit and the note, once each: replays and resends racing each other are not writes"
    );
    t.app.stop().await;
}

/// An audit entry by staff for `action` that names `tenancy_id` and says where it came from.
async fn read_audited(app: &TestApp, action: &str, tenancy_id: i64) -> bool {
    audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq(action))
        .filter(audit_entry::Column::ActorKind.eq("staff"))
        .all(&app.db)
        .await
        .unwrap()
        .iter()
        .any(|e| {
            let id = tenancy_id.to_string();
            let named = e.subject_id.as_deref() == Some(id.as_str())
                || e.detail
                    .as_deref()
                    .and_then(|d| d.strip_prefix("tenancies "))
                    .is_some_and(|d| d.split(',').any(|x| x == id));
            named && e.client_addr.is_some()
        })
}

#[tokio::test]
async fn a_tenants_plan_for_review_reaches_the_officers_task_list_and_can_be_completed() {
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    let t1 = task::ActiveModel {
        tenancy_id: Set(hd1001),
        kind: Set("review_plan".into()),
        title: Set("Review a repayment plan the tenant proposed".into()),
        detail: Set("Outside policy".into()),
        due_on: Set(crate::helpers::real_today()),
        status: Set(rentdesk_store::vocab::TaskStatus::Open.into()),
        assigned_staff_id: Set(Some(t.north)),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let (s, list) = get(app, "/officer/v1/tasks?limit=1", &north).await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["tasks"][0]["id"], t1.id);
    assert!(read_audited(app, "tasks.read", hd1001).await);
    // An outcome this kind of task cannot have is refused, listing those it can.
    let (s, p) = post(
        app,
        &format!("/officer/v1/tasks/{}/complete", t1.id),
        &north,
        json!({"outcome": "apa_requested"}),
    )
    .await;
    assert_eq!((s, fields(&p)), (422, vec!["outcome".to_owned()]), "{p}");
    assert!(
        p["errors"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("approved")
    );
    let (s, done) = post(
        app,
        &format!("/officer/v1/tasks/{}/complete", t1.id),
        &north,
        json!({"outcome": "approved", "note": "Called; agreed £15 a week."}),
    )
    .await;
    assert_eq!((s, done["status"].as_str()), (200, Some("done")), "{done}");
    assert_eq!(done["outcome"], "approved");
    let (_, account) = get(app, &format!("/officer/v1/accounts/{hd1001}"), &north).await;
    assert!(
        account["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "task_done" && a["outcome"] == "approved"),
        "the diary records the outcome: {account}"
    );
    let (_, list) = get(app, "/officer/v1/tasks", &north).await;
    assert_eq!(list["tasks"], json!([]));
    assert_eq!(
        post(
            app,
            &format!("/officer/v1/tasks/{}/complete", t1.id),
            &north,
            json!({})
        )
        .await
        .0,
        404,
        "a done task cannot be completed twice"
    );
    let (s, p) = get(app, "/officer/v1/tasks?cursor=nonsense", &north).await;
    assert_eq!((s, fields(&p)), (422, vec!["cursor".to_owned()]));
    t.app.stop().await;
}

#[tokio::test]
async fn completing_the_apa_task_with_the_request_made_records_it_on_the_uc_claim() {
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    rentdesk_store::entities::uc_claim::ActiveModel {
        tenancy_id: Set(hd1001),
        claim_start: Set(crate::helpers::real_today() - chrono::Duration::days(120)),
        housing_costs_claimed: Set(true),
        monthly_housing_pence: Set(Some(43_333)),
        apa_status: Set("none".into()),
        paid_to_landlord: Set(false),
        reported_by: Set("officer".into()),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let apa = task::ActiveModel {
        tenancy_id: Set(hd1001),
        kind: Set("uc_apa_request".into()),
        title: Set("Request a Managed Payment to Landlord".into()),
        detail: Set(String::new()),
        due_on: Set(crate::helpers::real_today()),
        status: Set(rentdesk_store::vocab::TaskStatus::Open.into()),
        assigned_staff_id: Set(Some(t.north)),
        rule_id: Set(Some("uc_apa_request".into())),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let (s, done) = post(
        app,
        &format!("/officer/v1/tasks/{}/complete", apa.id),
        &north,
        json!({"outcome": "apa_requested", "note": "UC47 sent via the landlord portal"}),
    )
    .await;
    assert_eq!(
        (s, done["outcome"].as_str()),
        (200, Some("apa_requested")),
        "{done}"
    );
    let (_, a) = get(app, &format!("/officer/v1/accounts/{hd1001}"), &north).await;
    assert_eq!(a["uc_claim"]["apa_status"], "requested", "{a}");
    t.app.stop().await;
}

#[tokio::test]
async fn a_task_goes_only_to_someone_who_can_see_the_account_and_the_move_is_recorded() {
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    let open = task::ActiveModel {
        tenancy_id: Set(hd1001),
        kind: Set("reply".into()),
        title: Set("Follow up an SMS reply".into()),
        detail: Set(String::new()),
        due_on: Set(crate::helpers::real_today()),
        status: Set(rentdesk_store::vocab::TaskStatus::Open.into()),
        assigned_staff_id: Set(Some(t.north)),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let path = format!("/officer/v1/tasks/{}/reassign", open.id);
    // The central officer cannot see HD1001: refused, naming the field.
    let (s, p) = post(app, &path, &north, json!({"staff_id": t.central})).await;
    assert_eq!((s, fields(&p)), (422, vec!["staff_id".to_owned()]), "{p}");
    // Nor can the central officer move a task on an account they cannot see.
    let central = sign_in(app, "central@council.example").await;
    let (s, _) = post(app, &path, &central, json!({"staff_id": t.central})).await;
    assert_eq!(s, 404);
    // The team leader sees the whole team: fine.
    let lead = staff_user::Entity::find()
        .filter(staff_user::Column::Email.eq("lead@council.example"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let (s, moved) = post(
        app,
        &path,
        &north,
        json!({"staff_id": lead.id, "note": "needs a manager's call"}),
    )
    .await;
    assert_eq!(s, 200, "{moved}");
    assert_eq!(moved["assigned_staff_id"], lead.id);
    let (_, account) = get(app, &format!("/officer/v1/accounts/{hd1001}"), &north).await;
    assert!(
        account.to_string().contains("given to lead"),
        "diary records the move: {account}"
    );
    let audited = audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq("task.reassigned"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(audited.len(), 1);

    // North completes it from a copy synced before the move (offline on a visit): the server's
    // newer change wins nothing silently — both versions come back and nothing changes.
    let seen = open.created_at;
    let done = format!("/officer/v1/tasks/{}/complete", open.id);
    let (s, p) = post(
        app,
        &done,
        &north,
        json!({"note": "Rang back, sorted", "base_updated_at": seen}),
    )
    .await;
    assert_eq!(s, 409, "{p}");
    assert_eq!(p["server_version"]["assigned_staff_id"], lead.id, "{p}");
    assert_eq!(p["server_version"]["status"], "open");
    assert_eq!(p["your_version"]["note"], "Rang back, sorted");
    // Having seen the newer version, the same edit goes through.
    let (s, ok) = post(
        app,
        &done,
        &north,
        json!({"note": "Rang back, sorted", "base_updated_at": moved["updated_at"]}),
    )
    .await;
    assert_eq!((s, ok["status"].as_str()), (200, Some("done")), "{ok}");
    // And a second offline completion of the now-done task is a conflict, not a silent 200.
    let (s, p) = post(
        app,
        &done,
        &north,
        json!({"note": "again", "base_updated_at": moved["updated_at"]}),
    )
    .await;
    assert_eq!(
        (s, p["server_version"]["status"].as_str()),
        (409, Some("done"))
    );
    t.app.stop().await;
}

/// A notice's month lived through the app's clock, not written as rows: served today, court
/// refused while its period runs and on the date it gives itself (HA 1985 s83A(2):
/// proceedings only *after* that date), then allowed from the next day; the letter that goes
/// with the application is dated on the day the officer records it.
#[tokio::test]
async fn proceedings_begin_the_day_after_a_nosps_date_lived_through_the_clock() {
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    let path = format!("/officer/v1/accounts/{hd1001}/steps");
    protocol_steps_for_a_notice(app, &north, hd1001).await;
    let served = app.today();
    let (s, r) = post(
        app,
        &path,
        &north,
        json!({"step": "notice_served", "sent_on": served, "sent_time": "00:00", "service_method": "hand"}),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    let specified: chrono::NaiveDate =
        serde_json::from_value(r["notice"]["date_specified"].clone()).unwrap();
    // The Protocol's copy and the contact tried after the notice (para 2.8).
    for step in ["protocol_copy_sent", "post_notice_contact"] {
        let (s, r) = post(
            app,
            &path,
            &north,
            json!({"step": "protocol", "protocol_step": step}),
        )
        .await;
        assert_eq!(s, 201, "{r}");
    }
    let court = json!({"step": "court_application"});
    let (s, p) = post(app, &path, &north, court.clone()).await;
    assert_eq!((s, fields(&p)), (409, vec!["notice_period".to_owned()]));

    // The date the notice gives, mid-morning London time: still too early.
    let at = |d: chrono::NaiveDate| {
        rentdesk_domain::time::london_day_start(d) + chrono::Duration::hours(10)
    };
    app.travel_to(at(specified));
    assert_eq!(app.today(), specified);
    let (s, p) = post(app, &path, &north, court.clone()).await;
    assert_eq!(
        (s, fields(&p)),
        (409, vec!["notice_period".to_owned()]),
        "{p}"
    );
    let (_, n) = get(
        app,
        &format!("/officer/v1/accounts/{hd1001}/next-step"),
        &north,
    )
    .await;
    assert_eq!(n["blocked_by"][0]["id"], "notice_period", "{n}");
    assert_eq!(
        n["earliest"],
        json!(specified + chrono::Duration::days(1)),
        "{n}"
    );

    // The next day the claim may be begun, and is recorded on that day.
    app.travel_to(at(specified + chrono::Duration::days(1)));
    let (s, r) = post(app, &path, &north, court).await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["stage"], "court_application");
    let (_, a) = get(app, &format!("/officer/v1/accounts/{hd1001}"), &north).await;
    let entry = a["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["outcome"] == "court_application")
        .cloned()
        .unwrap_or_else(|| panic!("the application is in the diary: {a}"));
    let on: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(entry["occurred_at"].clone()).unwrap();
    assert_eq!(
        rentdesk_domain::time::london_date(on),
        specified + chrono::Duration::days(1),
        "{entry}"
    );
    app.back_to_now();
    t.app.stop().await;
}

#[tokio::test]
async fn a_nosp_is_refused_listing_every_missing_protocol_step_then_accepted_with_its_dates() {
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    let today = crate::helpers::real_today();
    let notice = json!({"step": "notice_served", "sent_on": today, "sent_time": "00:00", "service_method": "hand"});
    let path = format!("/officer/v1/accounts/{hd1001}/steps");
    let (s, p) = post(app, &path, &north, notice.clone()).await;
    assert_eq!(s, 409, "{p}");
    assert_eq!(
        fields(&p),
        [
            "affordable_payments_offered",
            "benefit_help_offered",
            "contact_made",
            "rent_statement_sent",
            "vulnerability_considered"
        ]
    );
    let (_, n) = get(
        app,
        &format!("/officer/v1/accounts/{hd1001}/next-step"),
        &north,
    )
    .await;
    assert!(n["protocol_steps"].as_array().unwrap().is_empty(), "{n}");
    for step in [
        "contact_made",
        "affordable_payments_offered",
        "rent_statement_sent",
        "benefit_help_offered",
    ] {
        let (s, r) = post(
            app,
            &path,
            &north,
            json!({"step": "protocol", "protocol_step": step}),
        )
        .await;
        assert_eq!(s, 201, "{r}");
    }
    let (s, p) = post(app, &path, &north, notice.clone()).await;
    assert_eq!(
        (s, fields(&p)),
        (409, vec!["vulnerability_considered".to_owned()])
    );
    post(app, &path, &north, json!({"step": "protocol", "protocol_step": "vulnerability_considered", "note": "no concerns; lives alone"})).await;
    let (s, r) = post(app, &path, &north, notice).await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["stage"], "notice_served");
    assert_eq!(r["notice"]["kind"], "nosp", "HD1001 is a secure tenancy");
    // The date the notice gives falls on a rent-period boundary; proceedings only after it
    // (HA 1985 s83A(2), HA 1996 s128(5)): from the next day.
    let specified: chrono::NaiveDate =
        serde_json::from_value(r["notice"]["date_specified"].clone()).unwrap();
    let earliest: chrono::NaiveDate =
        serde_json::from_value(r["notice"]["earliest_proceedings"].clone()).unwrap();
    assert!(specified >= served_day() + chrono::Duration::days(28));
    assert!(matches!(
        specified.format("%a").to_string().as_str(),
        "Mon" | "Sun"
    ));
    assert_eq!(earliest, specified + chrono::Duration::days(1));
    let (_, n) = get(
        app,
        &format!("/officer/v1/accounts/{hd1001}/next-step"),
        &north,
    )
    .await;
    assert_eq!(n["stage"], "notice_served");
    assert_eq!(
        n["notice"]["earliest_proceedings"],
        r["notice"]["earliest_proceedings"]
    );
    // Court is not yet possible: the notice period runs, the Protocol copy is missing and no
    // contact has been tried since the notice (para 2.8).
    let (s, p) = post(app, &path, &north, json!({"step": "court_application"})).await;
    assert_eq!(
        (s, fields(&p)),
        (
            409,
            vec![
                "notice_period".to_owned(),
                "post_notice_contact".to_owned(),
                "protocol_copy_sent".to_owned()
            ]
        )
    );
    // Bad input names its fields.
    let (s, p) = post(app, &path, &north, json!({"step": "notice_served"})).await;
    assert_eq!(
        (s, fields(&p)),
        (422, vec!["sent_on".to_owned(), "service_method".to_owned()])
    );
    let (s, p) = post(app, &path, &north, json!({"step": "nosp"})).await;
    assert_eq!((s, fields(&p)), (422, vec!["step".to_owned()]));
    let (s, p) = post(
        app,
        &path,
        &north,
        json!({"step": "protocol", "protocol_step": "tea"}),
    )
    .await;
    assert_eq!((s, fields(&p)), (422, vec!["protocol_step".to_owned()]));
    t.app.stop().await;
}

#[tokio::test]
async fn an_account_in_breathing_space_is_refused_every_enforcement_step() {
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    let path = format!("/officer/v1/accounts/{hd1001}/steps");
    for step in [
        "contact_made",
        "affordable_payments_offered",
        "rent_statement_sent",
        "benefit_help_offered",
        "vulnerability_considered",
    ] {
        post(
            app,
            &path,
            &north,
            json!({"step": "protocol", "protocol_step": step}),
        )
        .await;
    }
    let today = crate::helpers::real_today();
    let (s, _) = post(
        app,
        &format!("/officer/v1/accounts/{hd1001}/flags"),
        &north,
        json!({"kind": "breathing_space_mental_health", "starts_on": today, "detail": "crisis treatment"}),
    )
    .await;
    assert_eq!(s, 201);
    for step in ["notice_served", "warrant", "eviction"] {
        let (s, p) = post(
            app,
            &path,
            &north,
            json!({"step": step, "sent_on": today, "sent_time": "00:00", "service_method": "hand", "override_reason": "officer insists"}),
        )
        .await;
        assert_eq!(s, 409, "{step}: {p}");
        assert!(
            fields(&p).contains(&"breathing_space".to_owned()),
            "{step}: {p}"
        );
    }
    // Letters are not enforcement, but the recommendation is paused.
    let (_, n) = get(
        app,
        &format!("/officer/v1/accounts/{hd1001}/next-step"),
        &north,
    )
    .await;
    assert!(
        n["paused_because"]
            .as_str()
            .unwrap()
            .contains("Breathing Space"),
        "{n}"
    );
    t.app.stop().await;
}

fn statement() -> Value {
    json!({
        "household": {"adults": 1},
        "income": {"earnings": 150000},
        "fixed_costs": {"rent": 42683, "council_tax": 9000},
        "flexible_costs": {"food_and_housekeeping": 30000},
    })
}

#[tokio::test]
async fn officers_set_up_review_monitor_and_end_arrangements_with_the_same_rules() {
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let central = sign_in(app, "central@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    let path = format!("/officer/v1/accounts/{hd1001}/arrangements");
    // Outside policy (more than the £157.65 a week surplus, within the £197.00 of arrears plus a
    // week's rent): the officer may still agree it, and it is active.
    let (s, a) = post(
        app,
        &path,
        &north,
        json!({"statement": statement(), "frequency": "weekly", "instalment_pence": 19_000, "accept_agreement": true}),
    )
    .await;
    assert_eq!(s, 201, "{a}");
    assert_eq!(a["status"], "active");
    let id = a["id"].as_i64().unwrap();
    let row = rentdesk_store::entities::arrangement::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (row.created_by_staff_id, row.proposed_by_tenant),
        (Some(t.north), false)
    );
    // The same refusals as the tenant app.
    let (s, p) = post(
        app,
        &path,
        &north,
        json!({"statement": statement(), "frequency": "weekly", "instalment_pence": 10, "accept_agreement": false}),
    )
    .await;
    assert_eq!((s, fields(&p)), (422, vec!["accept_agreement".to_owned()]));
    // Another patch's officer can neither see nor end it.
    assert_eq!(
        get(app, &format!("/officer/v1/arrangements/{id}"), &central)
            .await
            .0,
        404
    );
    assert_eq!(
        post(
            app,
            &format!("/officer/v1/arrangements/{id}/end"),
            &central,
            json!({"reason": "x"})
        )
        .await
        .0,
        404
    );
    let (s, g) = get(app, &format!("/officer/v1/arrangements/{id}"), &north).await;
    assert_eq!((s, g["progress"].as_str()), (200, Some("on_track")), "{g}");
    assert!(read_audited(app, "arrangement.read", row.tenancy_id).await);
    let (s, e) = post(
        app,
        &format!("/officer/v1/arrangements/{id}/end"),
        &north,
        json!({"reason": "tenant moving to DD"}),
    )
    .await;
    assert_eq!((s, e["status"].as_str()), (200, Some("cancelled")));
    assert_eq!(
        post(
            app,
            &format!("/officer/v1/arrangements/{id}/end"),
            &north,
            json!({"reason": "again"})
        )
        .await
        .0,
        409
    );
    t.app.stop().await;
}

#[tokio::test]
async fn a_tenants_plan_outside_policy_is_approved_by_the_officer_and_its_task_closes() {
    let t = team().await;
    let app = &t.app;
    // Karen proposes more than her statement leaves over, in the app.
    let karen_token = crate::helpers::tenant_token(app, "HD1001", "1971-03-14").await;
    let karen = karen_token.as_str();
    let (s, plan) = post(
        app,
        "/tenant/v1/plans",
        karen,
        json!({"statement": statement(), "frequency": "weekly", "instalment_pence": 19_000, "accept_agreement": true}),
    )
    .await;
    assert_eq!(
        (s, plan["status"].as_str()),
        (201, Some("pending_review")),
        "{plan}"
    );
    let id = plan["id"].as_i64().unwrap();
    let north = sign_in(app, "north@council.example").await;
    let (_, tasks) = get(app, "/officer/v1/tasks", &north).await;
    assert_eq!(tasks["tasks"][0]["kind"], "review_plan");
    let (s, r) = post(
        app,
        &format!("/officer/v1/arrangements/{id}/review"),
        &north,
        json!({"approve": true, "reason": "Overtime covers it; agreed by phone."}),
    )
    .await;
    assert_eq!((s, r["status"].as_str()), (200, Some("active")), "{r}");
    let (_, tasks) = get(app, "/officer/v1/tasks", &north).await;
    assert_eq!(tasks["tasks"], json!([]), "the review task closed");
    let (_, current) = get(app, "/tenant/v1/plans/current", karen).await;
    assert_eq!(current["status"], "active");
    let (s, _) = post(
        app,
        &format!("/officer/v1/arrangements/{id}/review"),
        &north,
        json!({"approve": false, "reason": "changed my mind"}),
    )
    .await;
    assert_eq!(s, 409, "only a plan waiting for review can be reviewed");
    t.app.stop().await;
}

#[tokio::test]
async fn the_caseload_lists_who_needs_action_in_order_with_reasons_and_counts_technical_arrears_apart()
 {
    use rentdesk_domain::calendar::monday_on_or_before;
    let t = team().await;
    let app = &t.app;
    let today = crate::helpers::real_today();
    let monday = monday_on_or_before(today);
    let header = "reference,tenure,status,address_line1,address_line2,town,postcode,latitude,longitude,patch,start_date,end_date,weekly_rent,weekly_service_charge,rent_free_weeks,rent_free_only_when_clear,periodic_service_charge,periodic_service_charge_frequency,payment_method,self_pay_amount,self_pay_frequency,self_pay_anchor,hb_weekly,hb_first_pay_date,lead_tenant_name,lead_tenant_dob,lead_tenant_mobile,lead_tenant_email,joint_tenant_name,joint_tenant_dob";
    let uc_start = monday - chrono::Duration::weeks(3);
    let tenancies = format!(
        "{header}\n\
         HD3001,secure,active,1 A St,,Huddersfield,HD1 3AA,53.65,-1.78,HD-NORTH,2020-01-06,,100.00,0.00,,no,,,bank_transfer,,,,,,Ann A,1980-01-01,,,,\n\
         HD3002,secure,active,2 A St,,Huddersfield,HD1 3AB,53.66,-1.77,HD-NORTH,2020-01-06,,100.00,0.00,,no,,,bank_transfer,,,,,,Bob B,1981-01-01,,,,\n\
         HD3003,secure,active,3 A St,,Huddersfield,HD1 3AC,53.67,-1.76,HD-NORTH,{uc_start},,100.00,0.00,,no,,,universal_credit,,,,,,Cat C,1982-01-01,,,,\n\
         HD3004,secure,active,4 A St,,Huddersfield,HD1 3AD,53.68,-1.75,HD-NORTH,2020-01-06,,100.00,0.00,,no,,,bank_transfer,,,,,,Dan D,1983-01-01,,,,\n"
    );
    assert_eq!(
        app.import("tenancies", tenancies.into_bytes()).await["status"],
        "succeeded"
    );
    let mut tx =
        String::from("external_ref,tenancy_reference,posted_on,kind,amount,method,description\n");
    for k in 0..10 {
        let d = monday - chrono::Duration::weeks(k);
        // Ann: ten weeks charged, two paid: £800 behind and rising.
        tx += &format!("A-{k},HD3001,{d},rent_debit,100.00,,Rent\n");
        if k >= 8 {
            tx += &format!("PA-{k},HD3001,{d},payment,-100.00,card,Card\n");
        }
        // Bob: paid up to date.
        tx += &format!("B-{k},HD3002,{d},rent_debit,100.00,,Rent\n");
        tx += &format!("PB-{k},HD3002,{d},payment,-100.00,card,Card\n");
        // Dan: nothing paid for ten weeks, more than Ann owes; in Breathing Space (below).
        tx += &format!("D-{k},HD3004,{d},rent_debit,100.00,,Rent\n");
        // Cat: three weeks since her UC claim, nothing paid yet: UC's first payment is due later.
        if k <= 3 && monday - chrono::Duration::weeks(k) >= uc_start {
            tx += &format!("C-{k},HD3003,{d},rent_debit,100.00,,Rent\n");
        }
    }
    assert_eq!(
        app.import("transactions", tx.into_bytes()).await["status"],
        "succeeded"
    );
    let cat = tenancy_id(app, "HD3003").await;
    rentdesk_store::entities::uc_claim::ActiveModel {
        tenancy_id: Set(cat),
        claim_start: Set(uc_start),
        housing_costs_claimed: Set(true),
        monthly_housing_pence: Set(Some(43_333)),
        apa_status: Set("none".into()),
        paid_to_landlord: Set(false),
        reported_by: Set("officer".into()),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();

    let north = sign_in(app, "north@council.example").await;
    let dan = tenancy_id(app, "HD3004").await;
    let (s, f) = post(
        app,
        &format!("/officer/v1/accounts/{dan}/flags"),
        &north,
        json!({"kind": "breathing_space_mental_health", "starts_on": today, "detail": "crisis treatment"}),
    )
    .await;
    assert_eq!(s, 201, "{f}");
    let (s, c) = get(app, "/officer/v1/caseload", &north).await;
    assert_eq!(s, 200, "{c}");
    let refs: Vec<&str> = c["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["reference"].as_str().unwrap())
        .collect();
    assert_eq!(refs.first(), Some(&"HD3001"), "{c}");
    assert!(!refs.contains(&"HD3002"), "nothing owed");
    assert!(!refs.contains(&"HD3003"), "technical arrears only: {c}");
    for a in c["accounts"].as_array().unwrap() {
        assert!(!a["reasons"].as_array().unwrap().is_empty(), "{a}");
    }
    let technical = c["left_out"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["key"] == "technical_only")
        .expect("technical-only accounts are counted");
    assert!(technical["count"].as_u64().unwrap() >= 1);
    assert!(
        technical["description"]
            .as_str()
            .unwrap()
            .contains("technical arrears only")
    );
    // Breathing Space: listed with the reason, on hold, after every account that can be acted
    // on, although Dan owes more than Ann.
    let held = c["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .position(|a| a["reference"] == "HD3004")
        .expect("a Breathing Space account is shown, not hidden");
    let dan_item = &c["accounts"][held];
    assert!(
        dan_item["on_hold"]
            .as_str()
            .unwrap()
            .contains("Breathing Space"),
        "{dan_item}"
    );
    assert!(dan_item["score"].as_i64() > c["accounts"][0]["score"].as_i64());
    assert!(
        c["accounts"].as_array().unwrap()[..held]
            .iter()
            .all(|a| a["on_hold"].is_null())
    );
    // Paging one at a time walks exactly the same order, across the on-hold boundary too.
    let mut paged = vec![];
    let mut cursor = String::new();
    loop {
        let (s, page) = get(
            app,
            &format!("/officer/v1/caseload?limit=1{cursor}"),
            &north,
        )
        .await;
        assert_eq!(s, 200, "{page}");
        paged.extend(
            page["accounts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["reference"].as_str().unwrap().to_owned()),
        );
        assert!(paged.len() <= refs.len(), "paging repeats: {paged:?}");
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(paged, refs);
    let (s, p) = get(app, "/officer/v1/caseload?cursor=5.1.2", &north).await;
    assert_eq!((s, fields(&p)), (422, vec!["cursor".to_owned()]));
    // Filters narrow it; bad filters name the field.
    let (_, uc_only) = get(app, "/officer/v1/caseload?uc=true", &north).await;
    assert!(
        uc_only["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["reference"] != "HD3001")
    );
    let (s, p) = get(
        app,
        "/officer/v1/caseload?stage=nosp&arrangement=maybe",
        &north,
    )
    .await;
    // Query parameters outside their vocabulary: 400 naming each (the contract's rule for
    // parameters).
    assert_eq!(
        (s, fields(&p)),
        (400, vec!["arrangement".to_owned(), "stage".to_owned()])
    );
    // Another patch's officer sees none of these.
    let central = sign_in(app, "central@council.example").await;
    let (_, other) = get(app, "/officer/v1/caseload", &central).await;
    assert!(
        other["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| !a["reference"].as_str().unwrap().starts_with("HD300"))
    );
    t.app.stop().await;
}

#[tokio::test]
async fn sync_brings_what_changed_in_the_officers_patches_and_nothing_else() {
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let (s, first) = get(app, "/officer/v1/sync", &north).await;
    assert_eq!(s, 200, "{first}");
    let mut refs: Vec<&str> = first["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["reference"].as_str().unwrap())
        .collect();
    refs.sort();
    assert_eq!(refs, ["HD1001", "HD1002"]);
    let since = first["next_since"].as_str().unwrap().to_owned();
    // Work happens: a visit on HD1001 here, a note on HD1003 in another patch.
    let hd1001 = tenancy_id(app, "HD1001").await;
    let hd1003 = tenancy_id(app, "HD1003").await;
    let (s, _) = post(
        app,
        "/officer/v1/actions",
        &north,
        json!({"client_id": "sync-test-visit-1", "tenancy_id": hd1001, "kind": "visit", "outcome": "no_access", "body": "card left", "occurred_at": chrono::Utc::now()}),
    )
    .await;
    assert_eq!(s, 201);
    let central = sign_in(app, "central@council.example").await;
    post(
        app,
        "/officer/v1/actions",
        &central,
        json!({"client_id": "sync-test-note-2", "tenancy_id": hd1003, "kind": "note", "body": "x", "occurred_at": chrono::Utc::now()}),
    )
    .await;
    let q = format!("/officer/v1/sync?since={}", since.replace('+', "%2B"));
    let (s, next) = get(app, &q, &north).await;
    assert_eq!(s, 200, "{next}");
    let actions = next["actions"].as_array().unwrap();
    assert!(
        actions
            .iter()
            .any(|a| a["client_id"] == "sync-test-visit-1"),
        "{next}"
    );
    assert!(actions.iter().all(|a| a["tenancy_id"] != hd1003), "{next}");
    let (s, p) = get(app, "/officer/v1/sync?since=2999-01-01T00:00:00Z", &north).await;
    assert_eq!((s, fields(&p)), (422, vec!["since".to_owned()]));
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_landlords_own_first_letter_wording_is_the_one_stored() {
    // The landlord's template for the first letter (LETTER_TEMPLATES_DIR); the other letters
    // keep the shipped wording.
    let dir = std::env::temp_dir().join(format!(
        "rentdesk-letters-{}",
        crate::helpers::unique_name()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("first_letter.txt"),
        "A word about your rent\n\nDear {tenant_name},\n\nAbout account {reference} for {tenants}.\n\nWe see {real_arrears} unpaid.\n\nPlease ring Kirklees rents.\n\n{free_advice}\n",
    )
    .unwrap();
    let t = team_with(&[("LETTER_TEMPLATES_DIR", dir.to_str().unwrap())]).await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    let pdf_of = |step: Value| {
        let url = app.url(&format!("/officer/v1/letters/{}", step["letter_id"]));
        let token = north.clone();
        async move {
            let resp = app.client.get(url).bearer_auth(token).send().await.unwrap();
            assert_eq!(resp.status(), 200);
            String::from_utf8_lossy(&resp.bytes().await.unwrap()).into_owned()
        }
    };
    let (s, step) = post(
        app,
        &format!("/officer/v1/accounts/{hd1001}/steps"),
        &north,
        json!({"step": "first_letter"}),
    )
    .await;
    assert_eq!(s, 201, "{step}");
    let text = pdf_of(step).await;
    for expected in [
        "A word about your rent",
        "Dear Karen Haigh,",
        "About account HD1001 for Karen Haigh.",
        // A line with a pound sign is shown as hex: "unpaid."
        "20756E706169642E> Tj",
        "Please ring Kirklees rents.",
        "National Debtline",
    ] {
        assert!(text.contains(expected), "the letter says {expected}");
    }
    assert!(
        !text.contains("We want to help you sort this out"),
        "the shipped wording is replaced"
    );
    // Not overridden: the second letter keeps the shipped wording.
    let (s, step) = post(
        app,
        &format!("/officer/v1/accounts/{hd1001}/steps"),
        &north,
        json!({"step": "second_letter"}),
    )
    .await;
    assert_eq!(s, 201, "{step}");
    let text = pdf_of(step).await;
    assert!(text.contains("Your rent arrears: please contact us now"));
    t.app.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_stage_letter_is_rendered_as_a_pdf_with_the_accounts_figures_and_kept_in_the_diary() {
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    let (s, step) = post(
        app,
        &format!("/officer/v1/accounts/{hd1001}/steps"),
        &north,
        json!({"step": "first_letter", "note": "posted first class"}),
    )
    .await;
    assert_eq!(s, 201, "{step}");
    let letter = step["letter_id"]
        .as_i64()
        .expect("a first letter has a letter");
    let resp = app
        .client
        .get(app.url(&format!("/officer/v1/letters/{letter}")))
        .bearer_auth(&north)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    let pdf = resp.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let text = String::from_utf8_lossy(&pdf);
    for expected in [
        "Your rent account",
        "HD1001",
        "Karen Haigh",
        "National Debtline",
    ] {
        assert!(text.contains(expected), "the letter says {expected}");
    }
    let (_, account) = get(app, &format!("/officer/v1/accounts/{hd1001}"), &north).await;
    assert!(
        account
            .to_string()
            .contains(&format!("letter {letter}, PDF kept")),
        "{account}"
    );
    // Joint tenants: each gets their own copy, addressed to them.
    let hd1002 = tenancy_id(app, "HD1002").await;
    let (s, step) = post(
        app,
        &format!("/officer/v1/accounts/{hd1002}/steps"),
        &north,
        json!({"step": "first_letter"}),
    )
    .await;
    assert_eq!(s, 201, "{step}");
    let pdf = app
        .client
        .get(app.url(&format!("/officer/v1/letters/{}", step["letter_id"])))
        .bearer_auth(&north)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&pdf);
    for dear in ["Dear Bilal Hussain,", "Dear Sadia Hussain,"] {
        assert!(text.contains(dear), "a copy for each named tenant: {dear}");
    }
    let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
    assert!(pages >= 2, "each copy starts on its own page: {pages}");
    // Not for someone who cannot see the account.
    let central = sign_in(app, "central@council.example").await;
    let resp = app
        .client
        .get(app.url(&format!("/officer/v1/letters/{letter}")))
        .bearer_auth(&central)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    t.app.stop().await;
}

#[tokio::test]
async fn a_section_8_notice_gives_4_weeks_once_the_renters_rights_regime_has_commenced() {
    for (commenced, days, regime, ground_8_weeks) in
        [(false, 14, "current", 8), (true, 28, "renters_rights", 13)]
    {
        let t = if commenced {
            team_with(&[("RENTERS_RIGHTS_SOCIAL_FROM", "2026-05-01")]).await
        } else {
            team().await
        };
        let app = &t.app;
        let central = sign_in(app, "central@council.example").await;
        let hd1003 = tenancy_id(app, "HD1003").await;
        let next_step = format!("/officer/v1/accounts/{hd1003}/next-step");
        let (s, n) = get(app, &next_step, &central).await;
        assert_eq!(s, 200, "{n}");
        assert_eq!(n["ground_8"]["regime"], regime, "{n}");
        assert_eq!(n["ground_8"]["threshold_weeks"], ground_8_weeks, "{n}");
        protocol_steps_for_a_notice(app, &central, hd1003).await;
        let (s, r) = post(
            app,
            &format!("/officer/v1/accounts/{hd1003}/steps"),
            &central,
            json!({"step": "notice_served", "sent_on": served_day(), "sent_time": "00:00", "service_method": "hand"}),
        )
        .await;
        assert_eq!(s, 201, "{r}");
        assert_eq!(
            r["notice"]["kind"], "section8",
            "HD1003 is an assured tenancy"
        );
        assert_eq!(r["notice"]["regime"], regime);
        assert_eq!(
            r["notice"]["earliest_proceedings"],
            json!(served_day() + chrono::Duration::days(days)),
            "commenced: {commenced}"
        );
        assert_eq!(r["notice"]["ground_8"]["threshold_weeks"], ground_8_weeks);
        assert!(r["notice"]["ground_8"]["available"].is_boolean(), "{r}");
        // Stored with the notice: next-step reads the same dates back.
        let (_, n) = get(app, &next_step, &central).await;
        assert_eq!(n["notice"], r["notice"], "{n}");
        t.app.stop().await;
    }
}

#[tokio::test]
async fn a_starter_tenancy_read_as_council_introductory_gets_a_notice_of_proceedings() {
    use rentdesk_store::entities::tenancy;
    let t = team_with(&[
        ("STARTER_TENANCIES", "introductory"),
        ("RENTERS_RIGHTS_SOCIAL_FROM", "2026-05-01"),
    ])
    .await;
    let app = &t.app;
    let central = sign_in(app, "central@council.example").await;
    let hd1003 = tenancy_id(app, "HD1003").await;
    // A starter tenancy in its first year (HA 1996 s125: the trial period).
    tenancy::Entity::update_many()
        .col_expr(tenancy::Column::Tenure, Expr::value("starter"))
        .col_expr(
            tenancy::Column::StartDate,
            Expr::value(crate::helpers::real_today() - chrono::Duration::days(90)),
        )
        .filter(tenancy::Column::Id.eq(hd1003))
        .exec(&app.db)
        .await
        .unwrap();
    let (_, n) = get(
        app,
        &format!("/officer/v1/accounts/{hd1003}/next-step"),
        &central,
    )
    .await;
    assert!(
        n["ground_8"].is_null(),
        "no ground 8 for an introductory tenancy: {n}"
    );
    protocol_steps_for_a_notice(app, &central, hd1003).await;
    let (s, r) = post(
        app,
        &format!("/officer/v1/accounts/{hd1003}/steps"),
        &central,
        json!({"step": "notice_served", "sent_on": served_day(), "sent_time": "00:00", "service_method": "hand"}),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["notice"]["kind"], "introductory");
    assert_eq!(r["notice"]["regime"], "current");
    assert!(r["notice"]["ground_8"].is_null(), "{r}");
    // The conservative NOSP rule: at least 4 weeks, on a rent-period boundary.
    // The date the notice gives falls on a rent-period boundary; proceedings only after it
    // (HA 1985 s83A(2), HA 1996 s128(5)): from the next day.
    let specified: chrono::NaiveDate =
        serde_json::from_value(r["notice"]["date_specified"].clone()).unwrap();
    let earliest: chrono::NaiveDate =
        serde_json::from_value(r["notice"]["earliest_proceedings"].clone()).unwrap();
    assert!(specified >= served_day() + chrono::Duration::days(28));
    assert!(matches!(
        specified.format("%a").to_string().as_str(),
        "Mon" | "Sun"
    ));
    assert_eq!(earliest, specified + chrono::Duration::days(1));
    t.app.stop().await;
}

/// The latest business day on or before today: a notice handed over on it before 4.30pm is
/// served that day (CPR 6.26), so notice dates do not depend on the weekday a test runs.
fn served_day() -> chrono::NaiveDate {
    let mut d = crate::helpers::real_today();
    while !rentdesk_domain::possession::protocol::is_business_day(d) {
        d -= chrono::Duration::days(1);
    }
    d
}

/// The five protocol steps a notice needs, recorded on `tenancy`.
async fn protocol_steps_for_a_notice(app: &TestApp, token: &str, tenancy: i64) {
    let path = format!("/officer/v1/accounts/{tenancy}/steps");
    for step in [
        "contact_made",
        "affordable_payments_offered",
        "rent_statement_sent",
        "benefit_help_offered",
        "vulnerability_considered",
    ] {
        let (s, r) = post(
            app,
            &path,
            token,
            json!({"step": "protocol", "protocol_step": step}),
        )
        .await;
        assert_eq!(s, 201, "{r}");
    }
}

/// An account's entry on the caller's caseload, if listed.
async fn on_caseload(app: &TestApp, token: &str, reference: &str) -> Option<Value> {
    let (s, c) = get(app, "/officer/v1/caseload?limit=200", token).await;
    assert_eq!(s, 200, "{c}");
    c["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["reference"] == reference)
        .cloned()
}

#[tokio::test]
async fn ending_a_crisis_breathing_space_lifts_its_hold_on_notices_and_the_caseload() {
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    protocol_steps_for_a_notice(app, &north, hd1001).await;
    let today = crate::helpers::real_today();
    let yesterday = today - chrono::Duration::days(1);
    let started = today - chrono::Duration::days(20);
    let (s, f) = post(
        app,
        &format!("/officer/v1/accounts/{hd1001}/flags"),
        &north,
        json!({"kind": "breathing_space_mental_health", "starts_on": started, "detail": "crisis treatment"}),
    )
    .await;
    assert_eq!(s, 201, "{f}");
    assert!(f["ends_on"].is_null(), "no end known when it is set: {f}");
    let flag = f["id"].as_i64().unwrap();
    let steps = format!("/officer/v1/accounts/{hd1001}/steps");
    let notice = json!({"step": "notice_served", "sent_on": today, "sent_time": "00:00", "service_method": "hand"});
    let (s, p) = post(app, &steps, &north, notice.clone()).await;
    // Refused while it lasts, and a notice served during it would be void.
    assert_eq!(
        (s, fields(&p)),
        (
            409,
            vec!["breathing_space".to_owned(), "sent_on".to_owned()]
        )
    );
    let held = on_caseload(app, &north, "HD1001")
        .await
        .expect("HD1001 owes rent: it is on the caseload");
    assert!(
        held["on_hold"]
            .as_str()
            .is_some_and(|h| h.contains("Breathing Space")),
        "{held}"
    );

    let end = format!("/officer/v1/accounts/{hd1001}/flags/{flag}/end");
    // Another patch's officer cannot see the account at all.
    let central = sign_in(app, "central@council.example").await;
    let (s, p) = post(app, &end, &central, json!({"ends_on": yesterday})).await;
    assert_eq!(s, 404, "{p}");
    // Nor is a flag reached through another account.
    let hd1002 = tenancy_id(app, "HD1002").await;
    let (s, p) = post(
        app,
        &format!("/officer/v1/accounts/{hd1002}/flags/{flag}/end"),
        &north,
        json!({"ends_on": yesterday}),
    )
    .await;
    assert_eq!(s, 404, "{p}");
    // Bad input names its field, and changes nothing.
    for (body, field) in [
        (json!({}), "ends_on"),
        (
            json!({"ends_on": started - chrono::Duration::days(1)}),
            "ends_on",
        ),
        (json!({"ends_on": yesterday, "reason": "bored"}), "reason"),
        (
            json!({"ends_on": yesterday, "treatment_ended_on": yesterday}),
            "treatment_ended_on",
        ),
        (
            json!({"ends_on": yesterday, "reason": "entered_in_error"}),
            "ends_on",
        ),
    ] {
        let (s, p) = post(app, &end, &north, body.clone()).await;
        assert_eq!(
            (s, fields(&p)),
            (422, vec![field.to_owned()]),
            "{body}: {p}"
        );
    }
    let (s, p) = post(app, &steps, &north, notice.clone()).await;
    assert_eq!(s, 409, "still in Breathing Space: {p}");

    // The Insolvency Service says it ended yesterday.
    let (s, f) = post(
        app,
        &end,
        &north,
        json!({"ends_on": yesterday, "note": "crisis treatment ended; notified today"}),
    )
    .await;
    assert_eq!(s, 200, "{f}");
    assert_eq!(f["ends_on"], json!(yesterday));
    assert_eq!(f["end_reason"], "ended");
    assert_eq!(f["ended_by_staff_id"], t.north);
    // Ending it again is a conflict, not a second end.
    let (s, p) = post(app, &end, &north, json!({"ends_on": yesterday})).await;
    assert_eq!(s, 409, "{p}");

    let free = on_caseload(app, &north, "HD1001").await;
    assert!(
        free.as_ref().is_none_or(|a| a["on_hold"].is_null()),
        "{free:?}"
    );
    let (s, r) = post(app, &steps, &north, notice).await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["stage"], "notice_served");

    // The account keeps the flag with its end; the diary and the audit log say who ended it.
    let (_, a) = get(app, &format!("/officer/v1/accounts/{hd1001}"), &north).await;
    let kept = a["flags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == flag)
        .expect("the flag stays in the history");
    assert_eq!(kept["end_note"], "crisis treatment ended; notified today");
    assert!(
        a["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["kind"] == "flag"
                && x["body"]
                    .as_str()
                    .unwrap()
                    .contains("Flag ended: breathing space mental health")),
        "{}",
        a["actions"]
    );
    let audited = audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq("flag.ended"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(audited.len(), 1);
    assert_eq!(
        audited[0].subject_id.as_deref(),
        Some(hd1001.to_string().as_str())
    );
    t.app.stop().await;
}

#[tokio::test]
async fn a_breathing_space_entered_in_error_is_withdrawn_and_no_longer_counts_but_stays_on_record()
{
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    protocol_steps_for_a_notice(app, &north, hd1001).await;
    // Set two days ago and already on the officer's phone.
    app.advance_days(-2);
    let set_on = app.today();
    let (_, f) = post(
        app,
        &format!("/officer/v1/accounts/{hd1001}/flags"),
        &north,
        json!({"kind": "breathing_space_standard", "starts_on": set_on, "ends_on": set_on + chrono::Duration::days(60)}),
    )
    .await;
    app.back_to_now();
    let today = app.today();
    let flag = f["id"].as_i64().unwrap();
    let (_, synced) = get(app, "/officer/v1/sync", &north).await;
    let since = synced["next_since"].as_str().unwrap().replace('+', "%2B");
    let end = format!("/officer/v1/accounts/{hd1001}/flags/{flag}/end");
    let (s, w) = post(
        app,
        &end,
        &north,
        json!({"reason": "entered_in_error", "note": "meant for HD1011"}),
    )
    .await;
    assert_eq!(s, 200, "{w}");
    assert_eq!(w["end_reason"], "entered_in_error");
    assert_eq!(w["ends_on"], f["ends_on"], "the record is kept as entered");
    let (s, p) = post(app, &end, &north, json!({"reason": "entered_in_error"})).await;
    assert_eq!(s, 409, "{p}");
    // The phone hears of the withdrawal at its next sync.
    let (s, next) = get(app, &format!("/officer/v1/sync?since={since}"), &north).await;
    assert_eq!(s, 200, "{next}");
    assert!(
        next["flags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == flag && x["end_reason"] == "entered_in_error"),
        "{next}"
    );
    let (s, r) = post(
        app,
        &format!("/officer/v1/accounts/{hd1001}/steps"),
        &north,
        json!({"step": "notice_served", "sent_on": today, "sent_time": "00:00", "service_method": "hand"}),
    )
    .await;
    assert_eq!(s, 201, "a withdrawn Breathing Space stops nothing: {r}");
    let (_, a) = get(app, &format!("/officer/v1/accounts/{hd1001}"), &north).await;
    assert_eq!(a["flags"][0]["end_reason"], "entered_in_error");
    assert_eq!(
        audit_entry::Entity::find()
            .filter(audit_entry::Column::Action.eq("flag.withdrawn"))
            .all(&app.db)
            .await
            .unwrap()
            .len(),
        1
    );
    t.app.stop().await;
}

const PROTOCOL_STEPS: [&str; 5] = [
    "contact_made",
    "affordable_payments_offered",
    "rent_statement_sent",
    "benefit_help_offered",
    "vulnerability_considered",
];

/// A notice served `days_ago` and a court application since, as the diary would hold them
/// (the real clock cannot wait out a notice period in a test).
async fn claim_issued(app: &TestApp, tenancy_id: i64, days_ago: i64) {
    let now = chrono::Utc::now();
    for (kind, stage, ago) in [
        ("notice", "notice_served", days_ago),
        ("stage", "court_application", days_ago / 2),
    ] {
        rentdesk_store::diary::write(
            &app.db,
            rentdesk_store::diary::Entry {
                tenancy_id,
                kind: crate::helpers::diary_kind(kind),
                outcome: Some(stage),
                body: stage,
                occurred_at: Some(now - chrono::Duration::days(ago)),
                author_staff_id: None,
                rule_id: None,
                facts: None,
                client_id: None,
                purpose: None,
            },
            app.now(),
        )
        .await
        .unwrap();
    }
}

/// A letter's PDF, as the officer downloads it.
async fn letter_pdf(app: &TestApp, token: &str, letter: &serde_json::Value) -> String {
    let resp = app
        .client
        .get(app.url(&format!("/officer/v1/letters/{letter}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    shown_text(&resp.bytes().await.unwrap())
}

/// The strings a PDF shows, in order, one per line: its content streams are uncompressed, each
/// `(literal) Tj` or `<hex> Tj` (WinAnsi, used for a string with "£") on a line of its own.
fn shown_text(pdf: &[u8]) -> String {
    let mut out = String::new();
    for line in pdf.split(|b| *b == b'\n') {
        let Some(operand) = line.strip_suffix(b" Tj") else {
            continue;
        };
        if let Some(hex) = operand
            .strip_prefix(b"<")
            .and_then(|o| o.strip_suffix(b">"))
        {
            for h in hex.chunks(2) {
                let b = u8::from_str_radix(std::str::from_utf8(h).unwrap(), 16).unwrap();
                out.push(if b == 0xa3 { '£' } else { b as char });
            }
        } else {
            let mut escaped = false;
            for &b in &operand[1..operand.len() - 1] {
                if escaped || b != b'\\' {
                    out.push(b as char);
                    escaped = false;
                } else {
                    escaped = true;
                }
            }
        }
        out.push('\n');
    }
    out
}

#[tokio::test]
async fn the_hearing_and_order_letters_give_the_date_a_two_year_statement_and_the_terms() {
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    claim_issued(app, hd1001, 60).await;
    let path = format!("/officer/v1/accounts/{hd1001}/steps");
    let today = crate::helpers::real_today();
    let hearing_on = today + chrono::Duration::days(40);
    let (s, step) = post(
        app,
        &path,
        &north,
        json!({"step": "hearing", "hearing_on": hearing_on, "hearing_time": "25:00"}),
    )
    .await;
    assert_eq!(s, 422, "{step}");
    assert!(step.to_string().contains("hearing_time"), "{step}");
    let (s, step) = post(
        app,
        &path,
        &north,
        json!({"step": "hearing", "hearing_on": hearing_on, "hearing_time": "10:30"}),
    )
    .await;
    assert_eq!(s, 201, "{step}");
    let letter = &step["letter_id"];
    assert!(letter.is_i64(), "a hearing has a letter: {step}");
    let text = letter_pdf(app, &north, letter).await;
    let title = format!("Your court hearing on {}", hearing_on.format("%-d %B %Y"));
    assert!(text.contains(&title), "the hearing date");
    assert!(text.contains("at 10:30am"), "and its time");
    assert!(
        text.contains("Housing Loss Prevention Advice Service") || text.contains("Housing Loss")
    );
    // The 2-year schedule, oldest to newest, with the running balance.
    let from = today.checked_sub_months(chrono::Months::new(24)).unwrap();
    assert!(text.contains(&format!(
        "Rent statement: charges and payments from {}",
        from.format("%-d %B %Y")
    )));
    assert!(text.contains("Charges") && text.contains("Payments"));
    assert!(text.contains("brought forward"), "the opening balance");
    let lines =
        rentdesk_store::statement::page(&app.db, hd1001, Some(from), Some(today), None, 10_000)
            .await
            .unwrap()
            .lines;
    let (newest, oldest) = (lines.first().unwrap(), lines.last().unwrap());
    for line in [oldest, newest] {
        let date = line.posted_on.format("%d/%m/%Y").to_string();
        let balance = line.balance_after.to_string();
        // Its row: the date, description, charge or payment, then the balance after it.
        let shown: Vec<&str> = text.lines().collect();
        assert!(
            shown
                .windows(5)
                .any(|row| row[0] == date && row.contains(&balance.as_str())),
            "{date} with its balance {balance}"
        );
    }
    let (_, account) = get(app, &format!("/officer/v1/accounts/{hd1001}"), &north).await;
    assert!(
        account
            .to_string()
            .contains(&format!("Letter sent: {title} (letter {letter}, PDF kept)")),
        "{account}"
    );
    // The order: its terms in plain words.
    let (s, step) = post(
        app,
        &path,
        &north,
        json!({
            "step": "order", "order_type": "suspended", "possession_date": hearing_on,
            "terms": {"towards_arrears_pence": 500, "frequency": "weekly", "from": today},
        }),
    )
    .await;
    assert_eq!(s, 201, "{step}");
    let text = letter_pdf(app, &north, &step["letter_id"]).await;
    assert!(text.contains("What the court ordered"));
    assert!(text.contains("suspended order for possession"), "the order");
    assert!(
        text.contains("5.00 each week towards the arrears"),
        "its terms"
    );
    t.app.stop().await;
}

#[tokio::test]
async fn the_warrant_letter_says_how_to_ask_the_court_to_suspend_it() {
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    claim_issued(app, hd1001, 90).await;
    let path = format!("/officer/v1/accounts/{hd1001}/steps");
    let today = crate::helpers::real_today();
    for step in [
        json!({"step": "hearing", "hearing_on": today - chrono::Duration::days(20)}),
        json!({"step": "order", "order_type": "outright",
               "possession_date": today - chrono::Duration::days(1)}),
    ] {
        let (s, r) = post(app, &path, &north, step).await;
        assert_eq!(s, 201, "{r}");
    }
    let (s, step) = post(app, &path, &north, json!({"step": "warrant"})).await;
    assert_eq!(s, 201, "{step}");
    let text = letter_pdf(app, &north, &step["letter_id"]).await;
    assert!(text.contains("We are applying for a warrant of possession"));
    for form in ["(form N325)", "N54", "N244"] {
        assert!(text.contains(form), "the letter names {form}");
    }
    t.app.stop().await;
}

/// CPR 83.2(3)(a): a warrant of possession six years or more after the order needs the court's
/// permission: next-step says so and names the gate; the warrant is refused without the date
/// permission was given and recorded with it.
#[tokio::test]
async fn cpr_83_2_3_a_a_warrant_six_years_after_the_order_needs_the_courts_permission() {
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    let path = format!("/officer/v1/accounts/{hd1001}/steps");
    let next = format!("/officer/v1/accounts/{hd1001}/next-step");
    let today = crate::helpers::real_today();
    let years_ago = |y: u32| {
        today
            .checked_sub_months(chrono::Months::new(12 * y))
            .unwrap()
    };
    // A claim issued seven years ago; heard and an outright order made a day over six years ago.
    let made = years_ago(6) - chrono::Duration::days(1);
    claim_issued(app, hd1001, (today - years_ago(7)).num_days() * 2 - 2).await;
    for step in [
        json!({"step": "hearing", "hearing_on": made}),
        json!({"step": "order", "order_type": "outright", "ordered_on": made,
               "possession_date": made + chrono::Duration::days(14)}),
    ] {
        let (s, r) = post(app, &path, &north, step).await;
        assert_eq!(s, 201, "{r}");
    }
    let (_, n) = get(app, &next, &north).await;
    assert_eq!(n["recommended"], "warrant", "{n}");
    assert!(
        n["description"]
            .as_str()
            .unwrap()
            .contains("we must first ask the court's permission"),
        "{n}"
    );
    let gate = n["blocked_by"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == "court_permission")
        .unwrap_or_else(|| panic!("{n}"));
    assert!(
        gate["reason"].as_str().unwrap().contains("CPR 83.2(3)(a)"),
        "{gate}"
    );
    let (s, p) = post(app, &path, &north, json!({"step": "warrant"})).await;
    assert_eq!(
        (s, fields(&p)),
        (409, vec!["court_permission".to_owned()]),
        "{p}"
    );
    // The permission's date: not in the future, not before the order, only for a warrant.
    for (body, field) in [
        (
            json!({"step": "warrant", "permission_granted_on": today + chrono::Duration::days(1)}),
            "permission_granted_on",
        ),
        (
            json!({"step": "warrant", "permission_granted_on": made - chrono::Duration::days(1)}),
            "permission_granted_on",
        ),
        (
            json!({"step": "eviction", "permission_granted_on": today}),
            "permission_granted_on",
        ),
    ] {
        let (s, p) = post(app, &path, &north, body).await;
        assert_eq!((s, fields(&p)), (422, vec![field.to_owned()]), "{p}");
    }
    let (s, r) = post(
        app,
        &path,
        &north,
        json!({"step": "warrant", "permission_granted_on": today}),
    )
    .await;
    assert_eq!((s, r["stage"].as_str()), (201, Some("warrant")), "{r}");
    t.app.stop().await;
}

/// The same order made six years ago less a day: no permission is needed yet.
#[tokio::test]
async fn cpr_83_2_3_a_no_permission_before_the_sixth_anniversary_of_the_order() {
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    let path = format!("/officer/v1/accounts/{hd1001}/steps");
    let today = crate::helpers::real_today();
    let six = today.checked_sub_months(chrono::Months::new(72)).unwrap();
    let made = six + chrono::Duration::days(1);
    claim_issued(app, hd1001, (today - six).num_days() * 2 + 40).await;
    for step in [
        json!({"step": "hearing", "hearing_on": made}),
        json!({"step": "order", "order_type": "outright", "ordered_on": made,
               "possession_date": made + chrono::Duration::days(14)}),
    ] {
        let (s, r) = post(app, &path, &north, step).await;
        assert_eq!(s, 201, "{r}");
    }
    let (_, n) = get(
        app,
        &format!("/officer/v1/accounts/{hd1001}/next-step"),
        &north,
    )
    .await;
    assert_eq!(n["recommended"], "warrant", "{n}");
    assert_eq!(n["blocked_by"], json!([]), "{n}");
    let (s, r) = post(app, &path, &north, json!({"step": "warrant"})).await;
    assert_eq!((s, r["stage"].as_str()), (201, Some("warrant")), "{r}");
    t.app.stop().await;
}

/// Limitation Act 1980 s19: a former tenant's letter of claim asks only for what fell due in
/// the last six years; the statute-barred part is shown apart. HD1001 owes rent of £98.50 from
/// 2 and 9 November (the 3 November payment of £98.50 goes to the oldest debt first); a
/// £500.00 charge seven years old is added: £401.50 of it is barred, £197.00 claimable.
#[tokio::test]
async fn limitation_act_1980_s19_a_former_tenants_letter_leaves_out_what_is_statute_barred() {
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    let today = crate::helpers::real_today();
    let old = today.checked_sub_months(chrono::Months::new(84)).unwrap();
    let tx = format!(
        "external_ref,tenancy_reference,posted_on,kind,amount,method,description\n\
         OLD-1,HD1001,{old},rent_debit,500.00,,rent brought forward\n"
    );
    assert_eq!(
        app.import("transactions", tx.into_bytes()).await["status"],
        "succeeded"
    );
    let (s, r) = post(
        app,
        &format!("/officer/v1/accounts/{hd1001}/steps"),
        &north,
        json!({"step": "former_tenant_recovery"}),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    let (_, n) = get(
        app,
        &format!("/officer/v1/accounts/{hd1001}/next-step"),
        &north,
    )
    .await;
    assert_eq!(
        n["limitation"],
        // The 3 November payment restarted the six years for the 2 November rent (s29(5)),
        // not for the charge already barred (s29(7)).
        json!({"statute_barred_pence": 40_150, "claimable_pence": 19_700,
               "restarted_on": "2026-11-03"}),
        "{n}"
    );
    assert_eq!(n["recommended"], "former_tenant_recovery", "{n}");
    assert!(
        n["description"]
            .as_str()
            .unwrap()
            .contains("a letter of claim for £197.00"),
        "{n}"
    );
    assert!(
        n["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().starts_with(
                "£401.50 fell due, or was last restarted by a part payment, more than six years ago"
            )),
        "{n}"
    );
    t.app.stop().await;
}

/// Pre-Action Protocol for Debt Claims (a former tenant): a letter of claim for what is
/// within six years only (Limitation Act 1980 s19), 30 days to reply from its date, 30 more
/// days after the debtor says they are getting debt advice; no claim before; a write-off only
/// by a team leader, with reasons.
#[tokio::test]
async fn pre_action_protocol_for_debt_claims_a_former_tenant_has_30_days_to_reply_and_more_for_debt_advice()
 {
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let lead = sign_in(app, "lead@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    let path = format!("/officer/v1/accounts/{hd1001}/steps");
    let next = format!("/officer/v1/accounts/{hd1001}/next-step");
    let today = crate::helpers::real_today();
    let days = |n: i64| today + chrono::Duration::days(n);
    let old = today.checked_sub_months(chrono::Months::new(84)).unwrap();
    let tx = format!(
        "external_ref,tenancy_reference,posted_on,kind,amount,method,description\n\
         OLD-1,HD1001,{old},rent_debit,500.00,,rent brought forward\n"
    );
    assert_eq!(
        app.import("transactions", tx.into_bytes()).await["status"],
        "succeeded"
    );
    let step = |p: &str, note: &str| json!({"step": "protocol", "protocol_step": p, "note": note});
    // Not before the tenancy is in recovery.
    let (s, p) = post(app, &path, &north, step("debt_letter_of_claim_sent", "")).await;
    assert_eq!(
        (s, fields(&p)),
        (409, vec!["former_tenant_recovery".to_owned()]),
        "{p}"
    );
    let (s, r) = post(
        app,
        &path,
        &north,
        json!({"step": "former_tenant_recovery"}),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    // No claim before a letter of claim.
    let (s, p) = post(app, &path, &north, step("debt_claim_issued", "")).await;
    assert_eq!(
        (s, fields(&p)),
        (409, vec!["debt_letter_of_claim_sent".to_owned()]),
        "{p}"
    );
    // A write-off: a team leader's, with reasons.
    let (s, p) = post(app, &path, &north, step("write_off_approved", "gone away")).await;
    assert_eq!(
        (s, fields(&p)),
        (409, vec!["team_leader_approval".to_owned()]),
        "{p}"
    );
    let (s, p) = post(app, &path, &lead, step("write_off_approved", "  ")).await;
    assert_eq!((s, fields(&p)), (422, vec!["note".to_owned()]), "{p}");
    // The letter of claim: the claimable £197.00, the barred £401.50 named and not claimed.
    let (s, r) = post(app, &path, &north, step("debt_letter_of_claim_sent", "")).await;
    assert_eq!(s, 201, "{r}");
    let text = letter_pdf(app, &north, &r["letter_id"]).await;
    let reply_by = days(30).format("%-d %B %Y").to_string();
    for words in [
        "Letter of claim",
        "Pre-Action Protocol for Debt Claims",
        "197.00",
        "401.50",
        "Reply Form",
        "Financial Statement",
        "Information Sheet",
        reply_by.as_str(),
    ] {
        assert!(text.contains(words), "{words}: {text}");
    }
    let (_, n) = get(app, &next, &north).await;
    assert_eq!(n["earliest"], json!(days(31)), "{n}");
    assert!(
        n["description"]
            .as_str()
            .unwrap()
            .contains("order you to pay £197.00"),
        "{n}"
    );
    // Day 30 is still the debtor's: the claim is refused.
    app.advance_days(30);
    let (s, p) = post(app, &path, &north, step("debt_claim_issued", "")).await;
    assert_eq!((s, fields(&p)), (409, vec!["reply_time".to_owned()]), "{p}");
    // The reply says they are getting debt advice: 30 days more from it.
    let (s, r) = post(app, &path, &north, step("debt_advice_sought", "StepChange")).await;
    assert_eq!(s, 201, "{r}");
    let (_, n) = get(app, &next, &north).await;
    assert_eq!(n["earliest"], json!(days(61)), "{n}");
    app.advance_days(30);
    let (s, p) = post(app, &path, &north, step("debt_claim_issued", "")).await;
    assert_eq!((s, fields(&p)), (409, vec!["reply_time".to_owned()]), "{p}");
    app.advance_days(1);
    let (s, r) = post(app, &path, &north, step("debt_claim_issued", "")).await;
    assert_eq!(s, 201, "{r}");
    let (s, r) = post(
        app,
        &path,
        &lead,
        step("write_off_approved", "claim unpaid, debtor abroad"),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    t.app.stop().await;
}

#[tokio::test]
async fn court_steps_out_of_sequence_are_refused_naming_what_is_missing() {
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    let path = format!("/officer/v1/accounts/{hd1001}/steps");
    let today = crate::helpers::real_today();
    let suspended = json!({
        "step": "order", "order_type": "suspended", "possession_date": today,
        "terms": {"towards_arrears_pence": 500, "frequency": "weekly", "from": today},
    });
    let (s, p) = post(app, &path, &north, suspended.clone()).await;
    assert_eq!(s, 409, "{p}");
    assert_eq!(
        p["type"]
            .as_str()
            .map(|t| t.ends_with("protocol-steps-missing")),
        Some(true),
        "{p}"
    );
    assert_eq!(fields(&p), ["court_application", "hearing"]);
    let (s, p) = post(app, &path, &north, json!({"step": "warrant"})).await;
    assert_eq!(
        (s, fields(&p)),
        (
            409,
            vec![
                "court_application".to_owned(),
                "hearing".to_owned(),
                "order".to_owned()
            ]
        )
    );
    let (s, p) = post(app, &path, &north, json!({"step": "eviction"})).await;
    assert_eq!(s, 409, "{p}");
    assert!(fields(&p).contains(&"warrant".to_owned()), "{p}");
    // The order's details are checked as input first.
    let (s, p) = post(app, &path, &north, json!({"step": "order"})).await;
    assert_eq!((s, fields(&p)), (422, vec!["order_type".to_owned()]));
    let (s, p) = post(
        app,
        &path,
        &north,
        json!({"step": "order", "order_type": "postponed", "terms": {}}),
    )
    .await;
    assert_eq!(
        (s, fields(&p)),
        (
            422,
            vec![
                "terms.frequency".to_owned(),
                "terms.from".to_owned(),
                "terms.towards_arrears_pence".to_owned()
            ]
        )
    );
    // A frequency outside the vocabulary is refused by the contract, before the rules.
    let (s, p) = post(
        app,
        &path,
        &north,
        json!({"step": "order", "order_type": "postponed", "terms": {"frequency": "yearly"}}),
    )
    .await;
    assert_eq!((s, fields(&p)), (422, vec!["terms.frequency".to_owned()]));
    let (s, p) = post(app, &path, &north, json!({"step": "hearing"})).await;
    assert_eq!((s, fields(&p)), (422, vec!["hearing_on".to_owned()]));
    let (s, p) = post(
        app,
        &path,
        &north,
        json!({"step": "first_letter", "order_type": "outright"}),
    )
    .await;
    assert_eq!((s, fields(&p)), (422, vec!["order_type".to_owned()]));
    // Nothing was recorded by any of it.
    let (_, n) = get(
        app,
        &format!("/officer/v1/accounts/{hd1001}/next-step"),
        &north,
    )
    .await;
    assert_eq!(n["stage"], "none", "{n}");
    t.app.stop().await;
}

#[tokio::test]
async fn a_suspended_order_kept_is_monitored_and_a_breach_leads_to_a_visit_before_a_warrant() {
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    let path = format!("/officer/v1/accounts/{hd1001}/steps");
    let next = format!("/officer/v1/accounts/{hd1001}/next-step");
    let today = crate::helpers::real_today();
    claim_issued(app, hd1001, 60).await;
    let (s, r) = post(
        app,
        &path,
        &north,
        json!({"step": "hearing", "hearing_on": today}),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    let (_, n) = get(app, &next, &north).await;
    assert_eq!(
        (n["recommended"].as_str(), n["hearing_on"].as_str()),
        (Some("order"), Some(today.to_string().as_str())),
        "{n}"
    );
    // Terms from today: nothing is overdue yet, so the terms are monitored, and no warrant.
    let order = |from: chrono::NaiveDate, towards: i64| {
        json!({
            "step": "order", "order_type": "suspended",
            "possession_date": today - chrono::Duration::days(1),
            "terms": {"towards_arrears_pence": towards, "frequency": "weekly", "from": from},
        })
    };
    // Issue 15: no more than one amount may be (MAX_ROW_AMOUNT_PENCE), named, nothing stored.
    let (s, p) = post(app, &path, &north, order(today, i64::MAX)).await;
    assert_eq!(
        (s, fields(&p)),
        (422, vec!["terms.towards_arrears_pence".to_owned()]),
        "{p}"
    );
    let (s, r) = post(app, &path, &north, order(today, 500)).await;
    assert_eq!((s, r["stage"].as_str()), (201, Some("order")), "{r}");
    let (_, n) = get(app, &next, &north).await;
    assert_eq!(n["stage"], "order", "{n}");
    assert_eq!(n["recommended"], Value::Null, "{n}");
    assert_eq!(n["action"], "monitor_order_terms", "{n}");
    assert_eq!(n["order"]["order_type"], "suspended", "{n}");
    assert_eq!(n["order"]["terms"]["towards_arrears_pence"], 500, "{n}");
    assert!(
        n["paused_because"]
            .as_str()
            .unwrap()
            .contains("terms of the court order"),
        "{n}"
    );
    let (s, p) = post(app, &path, &north, json!({"step": "warrant"})).await;
    assert_eq!((s, fields(&p)), (409, vec!["order_terms_kept".to_owned()]));
    // The order as varied: £1,000 a week towards the arrears from three weeks ago, which the
    // ledger does not show paid: the terms are broken, and the policy asks for a visit first.
    let (s, r) = post(
        app,
        &path,
        &north,
        order(today - chrono::Duration::days(21), 100_000),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    let (_, n) = get(app, &next, &north).await;
    assert_eq!(n["recommended"], Value::Null, "{n}");
    assert_eq!(n["action"], "visit", "{n}");
    assert!(n["order"]["payments_missed"].as_u64().unwrap() >= 1, "{n}");
    assert!(
        n["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().contains("terms breached")),
        "{n}"
    );
    let (s, r) = post(
        app,
        "/officer/v1/actions",
        &north,
        json!({
            "client_id": "court-visit-1", "tenancy_id": hd1001, "kind": "visit",
            "outcome": "card_left", "body": "No answer; card left about the court order",
            "occurred_at": chrono::Utc::now(),
        }),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    let (_, n) = get(app, &next, &north).await;
    assert_eq!(n["recommended"], "warrant", "{n}");
    assert!(
        n["description"].as_str().unwrap().contains(
            "form N325A, with a statement of the payments due under the order and the payments made"
        ),
        "{n}"
    );
    // The statement, from the ledger: £1,000 a week (plus any rent charged for the week) from
    // three weeks ago, each due, none of it paid, the first two missed.
    let statement = n["order"]["statement"].as_array().unwrap();
    assert!(statement.len() >= 3, "{n}");
    assert_eq!(
        statement[0]["due_on"],
        json!(today - chrono::Duration::days(21)),
        "{n}"
    );
    for line in &statement[..2] {
        assert!(line["due_pence"].as_i64().unwrap() >= 100_000, "{n}");
        assert_eq!(line["paid_pence"], 0, "{n}");
        assert_eq!(line["status"], "missed", "{n}");
    }
    assert_eq!(
        statement.len() as u64,
        n["order"]["payments_due"].as_u64().unwrap(),
        "{n}"
    );
    let (s, r) = post(app, &path, &north, json!({"step": "warrant"})).await;
    assert_eq!((s, r["stage"].as_str()), (201, Some("warrant")), "{r}");
    // Every look at the account's next step is audited, with who and from where.
    let reads = audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq("next_step.read"))
        .filter(audit_entry::Column::SubjectId.eq(hd1001.to_string()))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(reads.len(), 4);
    assert!(reads.iter().all(|a| a.client_addr.is_some()), "{reads:?}");
    t.app.stop().await;
}

/// PD 55A para 10.3: after a postponed order is breached, the landlord gives the tenant written
/// notice of the intention to apply to fix a date for possession, at least 14 clear days (CPR
/// 2.8) and not more than 3 months before applying. The next step recommends the notice first;
/// the application is refused until the notice is recorded and its 14 clear days have run.
#[tokio::test]
async fn pd55a_a_postponed_order_breached_needs_written_notice_14_clear_days_before_fixing_a_date()
{
    use rentdesk_store::entities::action;
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    let path = format!("/officer/v1/accounts/{hd1001}/steps");
    let next = format!("/officer/v1/accounts/{hd1001}/next-step");
    let today = crate::helpers::real_today();
    let days = chrono::Duration::days;
    claim_issued(app, hd1001, 60).await;
    let (s, r) = post(
        app,
        &path,
        &north,
        json!({"step": "hearing", "hearing_on": today}),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    // A postponed order whose terms (£1,000 a week from three weeks ago) the ledger does not
    // show paid: breached.
    let (s, r) = post(
        app,
        &path,
        &north,
        json!({
            "step": "order", "order_type": "postponed",
            "terms": {"towards_arrears_pence": 100_000, "frequency": "weekly", "from": today - days(21)},
        }),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    let (s, r) = post(
        app,
        "/officer/v1/actions",
        &north,
        json!({
            "client_id": "postponed-visit-1", "tenancy_id": hd1001, "kind": "visit",
            "outcome": "card_left", "body": "No answer; card left about the court order",
            "occurred_at": chrono::Utc::now(),
        }),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    // The next step is the written notice, not the application.
    let (_, n) = get(app, &next, &north).await;
    assert_eq!(n["action"], "give_fix_date_notice", "{n}");
    assert_eq!(n["earliest"], json!(today), "{n}");
    // The application before the notice is refused, naming why.
    let (s, p) = post(app, &path, &north, json!({"step": "apply_to_fix_date"})).await;
    assert_eq!(
        (s, fields(&p)),
        (409, vec!["fix_date_notice".to_owned()]),
        "{p}"
    );
    // The notice needs when and how it was sent.
    let (s, p) = post(app, &path, &north, json!({"step": "fix_date_notice"})).await;
    assert_eq!(
        (s, fields(&p)),
        (422, vec!["sent_on".to_owned(), "service_method".to_owned()]),
        "{p}"
    );
    let (s, r) = post(
        app,
        &path,
        &north,
        // Handed over on a business day (CPR 6.26: given that day), whatever day this runs.
        json!({"step": "fix_date_notice", "sent_on": served_day(), "sent_time": "00:00",
               "service_method": "hand",
               "note": "Arrears and missed payments set out; reply within 7 days asked for"}),
    )
    .await;
    assert_eq!((s, r["stage"].as_str()), (201, Some("order")), "{r}");
    // Now the application is the next step, from 14 clear days after the notice.
    let (_, n) = get(app, &next, &north).await;
    assert_eq!(n["action"], "apply_to_fix_date", "{n}");
    assert_eq!(n["earliest"], json!(served_day() + days(15)), "{n}");
    assert_eq!(n["blocked_by"][0]["id"], "fix_date_notice_period", "{n}");
    let (s, p) = post(app, &path, &north, json!({"step": "apply_to_fix_date"})).await;
    assert_eq!(
        (s, fields(&p)),
        (409, vec!["fix_date_notice_period".to_owned()]),
        "{p}"
    );
    // As if the notice had been handed over 15 days ago (after the breach): the 14 clear days
    // have run, and the application is recorded.
    let row = action::Entity::find()
        .filter(action::Column::TenancyId.eq(hd1001))
        .filter(action::Column::Kind.eq("order_step"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut facts: Value = serde_json::from_str(row.facts.as_deref().unwrap()).unwrap();
    assert_eq!(
        facts["given_on"],
        json!(served_day()),
        "handed over on a business day: given that day"
    );
    facts["sent_on"] = json!(today - days(15));
    facts["given_on"] = json!(today - days(15));
    let mut row: action::ActiveModel = row.into();
    row.facts = Set(Some(facts.to_string()));
    row.occurred_at = Set(chrono::Utc::now() - days(15));
    row.update(&app.db).await.unwrap();
    let (_, n) = get(app, &next, &north).await;
    assert_eq!(
        (n["action"].as_str(), n["earliest"].clone()),
        (Some("apply_to_fix_date"), json!(today)),
        "{n}"
    );
    let (s, r) = post(app, &path, &north, json!({"step": "apply_to_fix_date"})).await;
    assert_eq!(s, 201, "{r}");
    // Applied: nothing more until the court fixes the date; still no warrant before it.
    let (_, n) = get(app, &next, &north).await;
    assert_eq!(n["action"], Value::Null, "{n}");
    assert!(
        n["reasons"].as_array().unwrap().iter().any(|r| r
            .as_str()
            .unwrap()
            .contains("applied to the court to fix a date")),
        "{n}"
    );
    let (s, p) = post(app, &path, &north, json!({"step": "warrant"})).await;
    assert_eq!(
        (s, fields(&p)),
        (409, vec!["possession_date".to_owned()]),
        "{p}"
    );
    t.app.stop().await;
}

/// SI 2020/1311 reg 10: a Breathing Space starting while a possession claim is in progress: the
/// officer is prompted to tell the court, records it, and is not prompted again for that
/// Breathing Space. No claim, no prompt and nothing to record.
#[tokio::test]
async fn si_2020_1311_reg_10_the_officer_tells_the_court_of_a_breathing_space_once() {
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    let hd1002 = tenancy_id(app, "HD1002").await;
    let today = crate::helpers::real_today();
    let days = chrono::Duration::days;
    let flag = json!({"kind": "breathing_space_standard", "starts_on": today - days(2),
                      "ends_on": today + days(58)});
    let flags = |tenancy: i64| format!("/officer/v1/accounts/{tenancy}/flags");
    let told = json!({"step": "court_told_of_breathing_space", "note": "Emailed the court"});
    // HD1002: a Breathing Space but no claim: no prompt, and nothing to tell.
    let (s, f) = post(app, &flags(hd1002), &north, flag.clone()).await;
    assert_eq!(s, 201, "{f}");
    let (_, n) = get(
        app,
        &format!("/officer/v1/accounts/{hd1002}/next-step"),
        &north,
    )
    .await;
    assert_eq!(n["also"], json!([]), "{n}");
    let (s, p) = post(
        app,
        &format!("/officer/v1/accounts/{hd1002}/steps"),
        &north,
        told.clone(),
    )
    .await;
    assert_eq!(
        (s, fields(&p)),
        (409, vec!["court_application".to_owned()]),
        "{p}"
    );
    // HD1001: a claim issued and a hearing set before it, then the Breathing Space.
    claim_issued(app, hd1001, 60).await;
    let next = format!("/officer/v1/accounts/{hd1001}/next-step");
    let path = format!("/officer/v1/accounts/{hd1001}/steps");
    let (s, r) = post(
        app,
        &path,
        &north,
        json!({"step": "hearing", "hearing_on": today + days(14)}),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    let (_, n) = get(app, &next, &north).await;
    assert_eq!(n["also"], json!([]), "{n}");
    let (s, p) = post(app, &path, &north, told.clone()).await;
    assert_eq!(
        (s, fields(&p)),
        (409, vec!["breathing_space".to_owned()]),
        "{p}"
    );
    let (s, f) = post(app, &flags(hd1001), &north, flag).await;
    assert_eq!(s, 201, "{f}");
    let (_, n) = get(app, &next, &north).await;
    let started = (today - days(2)).format("%-d %B %Y").to_string();
    assert_eq!(n["also"].as_array().map(|a| a.len()), Some(1), "{n}");
    assert_eq!(
        n["also"][0]["action"], "tell_court_of_breathing_space",
        "{n}"
    );
    assert_eq!(n["also"][0]["earliest"], json!(today), "{n}");
    let description = n["also"][0]["description"].as_str().unwrap();
    assert!(description.contains(&format!("since {started}")), "{n}");
    assert!(description.contains("reg 10"), "{n}");
    // The claim still goes on to the hearing and the order.
    assert_eq!(n["recommended"], "order", "{n}");
    let (s, r) = post(app, &path, &north, told.clone()).await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["stage"], "hearing", "{r}");
    // Once: no prompt now, and recording it again is refused, naming when it was done.
    let (_, n) = get(app, &next, &north).await;
    assert_eq!(n["also"], json!([]), "{n}");
    let (s, p) = post(app, &path, &north, told).await;
    assert_eq!(
        (s, fields(&p)),
        (409, vec!["court_told_of_breathing_space".to_owned()]),
        "{p}"
    );
    // The step is in the diary.
    let (_, h) = get(app, &format!("/officer/v1/accounts/{hd1001}"), &north).await;
    assert!(
        h.to_string().contains("court_told_of_breathing_space"),
        "{h}"
    );
    t.app.stop().await;
}

#[tokio::test]
async fn breathing_space_lets_a_claim_reach_a_hearing_and_voids_a_notice_sent_during_it() {
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    let hd1002 = tenancy_id(app, "HD1002").await;
    let today = crate::helpers::real_today();
    let days = chrono::Duration::days;
    // HD1002: a standard Breathing Space that ended yesterday; a notice handed over during it.
    let (s, f) = post(
        app,
        &format!("/officer/v1/accounts/{hd1002}/flags"),
        &north,
        json!({"kind": "breathing_space_standard", "starts_on": today - days(40), "ends_on": today - days(1)}),
    )
    .await;
    assert_eq!(s, 201, "{f}");
    let path = format!("/officer/v1/accounts/{hd1002}/steps");
    for step in PROTOCOL_STEPS {
        post(
            app,
            &path,
            &north,
            json!({"step": "protocol", "protocol_step": step}),
        )
        .await;
    }
    let notice = |sent: chrono::NaiveDate| {
        json!({"step": "notice_served", "sent_on": sent, "sent_time": "00:00", "service_method": "hand",
               "override_reason": "UC claim long settled"})
    };
    let (s, p) = post(app, &path, &north, notice(today - days(3))).await;
    assert_eq!((s, fields(&p)), (409, vec!["sent_on".to_owned()]), "{p}");
    assert!(p.to_string().contains("void"), "{p}");
    let (s, r) = post(app, &path, &north, notice(today)).await;
    assert_eq!(s, 201, "{r}");
    // HD1001: a claim issued before a Breathing Space began may still reach a hearing and an
    // order (docs/breathing-space.md#no-enforcement-step-a-claim-already-made-may-reach-an-order), but not a warrant.
    claim_issued(app, hd1001, 60).await;
    let (s, _) = post(
        app,
        &format!("/officer/v1/accounts/{hd1001}/flags"),
        &north,
        json!({"kind": "breathing_space_standard", "starts_on": today, "ends_on": today + days(60)}),
    )
    .await;
    assert_eq!(s, 201);
    let path = format!("/officer/v1/accounts/{hd1001}/steps");
    let (s, r) = post(
        app,
        &path,
        &north,
        json!({"step": "hearing", "hearing_on": today}),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    // At the hearing the claim goes on, for the officer and in the tenant's words: the order
    // is what comes next, with no warrant while it lasts and no demand for the arrears in it.
    let (_, n) = get(
        app,
        &format!("/officer/v1/accounts/{hd1001}/next-step"),
        &north,
    )
    .await;
    assert_eq!(n["recommended"], "order", "{n}");
    assert_eq!(n["paused_because"], Value::Null, "{n}");
    assert_eq!(n["blocked_by"], json!([]), "{n}");
    assert!(
        n["summary"]
            .as_str()
            .unwrap()
            .contains("cannot apply for a warrant"),
        "{n}"
    );
    let tenant = crate::helpers::tenant_token(app, "HD1001", "1971-03-14").await;
    let (_, w) = get(app, "/tenant/v1/next-steps", &tenant).await;
    assert_eq!(w["next"]["stage"], "order", "{w}");
    assert!(
        w["summary"].as_str().unwrap().contains("Breathing Space"),
        "{w}"
    );
    assert!(
        w["what_stops_it"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| !s.as_str().unwrap().contains('£')),
        "{w}"
    );
    let (s, r) = post(
        app,
        &path,
        &north,
        json!({"step": "order", "order_type": "outright", "possession_date": today - days(1)}),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    let (s, p) = post(app, &path, &north, json!({"step": "warrant"})).await;
    assert_eq!(
        (s, fields(&p)),
        (409, vec!["breathing_space".to_owned()]),
        "{p}"
    );
    t.app.stop().await;
}

/// `GET /officer/v1/sync` (with the previous answer's cursor, if any).
async fn sync(app: &TestApp, token: &str, cursor: Option<&Value>) -> Value {
    let path = match cursor {
        None => "/officer/v1/sync".to_owned(),
        Some(c) => format!("/officer/v1/sync?since={}", c.as_str().unwrap()),
    };
    let (s, answer) = get(app, &path, token).await;
    assert_eq!(s, 200, "{answer}");
    answer
}

fn ids(answer: &Value, list: &str, key: &str) -> Vec<i64> {
    answer[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| if key.is_empty() { x } else { &x[key] }.as_i64().unwrap())
        .collect()
}

/// Put an account's history an hour back, so a sync's overlap with the previous window
/// cannot bring it by accident.
async fn backdate(app: &TestApp, tenancy: i64) {
    use rentdesk_store::entities::{action, visit};
    let hour_ago = chrono::Utc::now() - chrono::Duration::hours(1);
    task::Entity::update_many()
        .col_expr(task::Column::CreatedAt, Expr::value(hour_ago))
        .filter(task::Column::TenancyId.eq(tenancy))
        .exec(&app.db)
        .await
        .unwrap();
    action::Entity::update_many()
        .col_expr(action::Column::CreatedAt, Expr::value(hour_ago))
        .filter(action::Column::TenancyId.eq(tenancy))
        .exec(&app.db)
        .await
        .unwrap();
    visit::Entity::update_many()
        .col_expr(visit::Column::UpdatedAt, Expr::value(hour_ago))
        .filter(visit::Column::TenancyId.eq(tenancy))
        .exec(&app.db)
        .await
        .unwrap();
}

async fn open_task(app: &TestApp, tenancy: i64, officer: i64, title: &str) -> task::Model {
    task::ActiveModel {
        tenancy_id: Set(tenancy),
        kind: Set("reply".into()),
        title: Set(title.into()),
        detail: Set(String::new()),
        due_on: Set(crate::helpers::real_today()),
        status: Set(rentdesk_store::vocab::TaskStatus::Open.into()),
        assigned_staff_id: Set(Some(officer)),
        created_at: Set(chrono::Utc::now() - chrono::Duration::hours(1)),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
}

/// Cover is by dates: a cover starting or ending writes no row. Moving its dates in the
/// database is what the calendar does to it.
async fn cover_dates(app: &TestApp, officer: i64, starts: i64, ends: i64) {
    use rentdesk_store::entities::cover;
    let today = crate::helpers::real_today();
    cover::Entity::update_many()
        .col_expr(
            cover::Column::StartsOn,
            Expr::value(today + chrono::Duration::days(starts)),
        )
        .col_expr(
            cover::Column::EndsOn,
            Expr::value(today + chrono::Duration::days(ends)),
        )
        .filter(cover::Column::OfficerId.eq(officer))
        .exec(&app.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn sync_brings_a_covered_patch_in_full_when_cover_starts_and_drops_it_when_cover_ends() {
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let central = sign_in(app, "central@council.example").await;
    let lead = sign_in(app, "lead@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    let hd1003 = tenancy_id(app, "HD1003").await;
    let today = crate::helpers::real_today();
    // HD1003 (central's patch) has history, all of it older than any sync below: written an
    // hour ago on the app's clock, so a sync's overlap with the previous window cannot bring it
    // by accident.
    app.clock.advance(-chrono::Duration::hours(1));
    let task3 = open_task(app, hd1003, t.central, "Ring back about the UC claim").await;
    let (s, _) = post(
        app,
        "/officer/v1/actions",
        &central,
        json!({"client_id": "cover-note-0001", "tenancy_id": hd1003, "kind": "note", "body": "Tenant at work weekdays", "occurred_at": app.now()}),
    )
    .await;
    assert_eq!(s, 201);
    let (s, visit3) = post(
        app,
        "/officer/v1/visits",
        &central,
        json!({"client_id": "cover-visit-0001", "tenancy_id": hd1003, "date": today + chrono::Duration::days(2)}),
    )
    .await;
    assert_eq!(s, 201, "{visit3}");
    app.back_to_now();
    // The team leader sets north's cover of HD-CENTRAL, starting tomorrow.
    let (s, c) = post(
        app,
        "/officer/v1/covers",
        &lead,
        json!({"patch_code": "HD-CENTRAL", "officer_id": t.north,
               "starts_on": today + chrono::Duration::days(1), "ends_on": today + chrono::Duration::days(7)}),
    )
    .await;
    assert_eq!(s, 201, "{c}");
    let first = sync(app, &north, None).await;
    let mut refs: Vec<&str> = first["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["reference"].as_str().unwrap())
        .collect();
    refs.sort();
    assert_eq!(refs, ["HD1001", "HD1002"]);
    assert!(!ids(&first, "full_account_ids", "").contains(&hd1003));

    // Tomorrow comes: the cover starts. Nothing in HD1003 changed, yet it comes in full.
    cover_dates(app, t.north, 0, 6).await;
    let second = sync(app, &north, Some(&first["next_since"])).await;
    assert_eq!(ids(&second, "full_account_ids", ""), [hd1003], "{second}");
    assert_eq!(ids(&second, "removed_account_ids", ""), Vec::<i64>::new());
    assert!(
        second["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["reference"] == "HD1003"),
        "{second}"
    );
    assert!(ids(&second, "tasks", "id").contains(&task3.id), "{second}");
    assert!(
        ids(&second, "visits", "id").contains(&visit3["id"].as_i64().unwrap()),
        "{second}"
    );
    assert!(
        second["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["client_id"] == "cover-note-0001"),
        "{second}"
    );
    // North's own accounts are not resent in full.
    assert!(!ids(&second, "full_account_ids", "").contains(&hd1001));

    // The cover's last day passes: the next sync tells the phone to drop HD1003 and sends
    // nothing about it.
    cover_dates(app, t.north, -7, -1).await;
    let third = sync(app, &north, Some(&second["next_since"])).await;
    assert_eq!(ids(&third, "removed_account_ids", ""), [hd1003], "{third}");
    for (list, key) in [
        ("accounts", "id"),
        ("actions", "tenancy_id"),
        ("tasks", "tenancy_id"),
        ("visits", "tenancy_id"),
    ] {
        assert!(!ids(&third, list, key).contains(&hd1003), "{list}: {third}");
    }
    // Once dropped, it is not listed again.
    let fourth = sync(app, &north, Some(&third["next_since"])).await;
    assert_eq!(ids(&fourth, "removed_account_ids", ""), Vec::<i64>::new());

    // Every sync is audited from where it came, with the accounts it carried.
    let syncs = audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.is_in(["sync", "sync.read", "sync.removed"]))
        .filter(audit_entry::Column::ActorId.eq(t.north.to_string()))
        .all(&app.db)
        .await
        .unwrap();
    assert!(syncs.iter().all(|e| e.client_addr.is_some()), "{syncs:?}");
    let about_hd1003: Vec<&str> = syncs
        .iter()
        .filter(|e| e.subject_id.as_deref() == Some(hd1003.to_string().as_str()))
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(about_hd1003, ["sync.read", "sync.removed"], "{syncs:?}");
    t.app.stop().await;
}

#[tokio::test]
async fn sync_follows_a_task_given_to_someone_else_and_an_account_moved_to_another_patch() {
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let central = sign_in(app, "central@council.example").await;
    let lead = sign_in(app, "lead@council.example").await;
    let lead_id = crate::helpers::staff_id(app, "lead@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    let hd1002 = tenancy_id(app, "HD1002").await;
    let open = open_task(app, hd1001, t.north, "Follow up an SMS reply").await;
    backdate(app, hd1002).await;
    let north_first = sync(app, &north, None).await;
    let central_first = sync(app, &central, None).await;
    assert!(!ids(&central_first, "accounts", "id").contains(&hd1002));

    // The task goes to the team leader: only its updated_at changes, and the next sync has it.
    let path = format!("/officer/v1/tasks/{}/reassign", open.id);
    let (s, moved) = post(app, &path, &north, json!({"staff_id": lead_id})).await;
    assert_eq!(s, 200, "{moved}");
    let next = sync(app, &north, Some(&north_first["next_since"])).await;
    let task = next["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == open.id)
        .unwrap_or_else(|| panic!("the reassigned task is synced: {next}"));
    assert_eq!(task["assigned_staff_id"], lead_id);
    // Reassigning it again from the copy synced before the move: both versions, no change.
    let (s, p) = post(
        app,
        &path,
        &north,
        json!({"staff_id": t.north, "note": "I'll take it back", "base_updated_at": open.created_at}),
    )
    .await;
    assert_eq!(s, 409, "{p}");
    assert_eq!(p["server_version"]["assigned_staff_id"], lead_id, "{p}");
    assert_eq!(p["your_version"]["staff_id"], t.north, "{p}");
    assert_eq!(p["your_version"]["note"], "I'll take it back");
    let stored = task::Entity::find_by_id(open.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.assigned_staff_id, Some(lead_id));
    // With the current version it goes through.
    let (s, back) = post(
        app,
        &path,
        &north,
        json!({"staff_id": t.north, "base_updated_at": moved["updated_at"]}),
    )
    .await;
    assert_eq!(
        (s, &back["assigned_staff_id"]),
        (200, &json!(t.north)),
        "{back}"
    );

    // HD1002 moves to HD-CENTRAL: north drops it, central gets it in full.
    let (s, r) = post(
        app,
        "/manage/v1/reassignments",
        &lead,
        json!({"tenancies": ["HD1002"], "to_patch_code": "HD-CENTRAL"}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let north_next = sync(app, &north, Some(&next["next_since"])).await;
    assert_eq!(ids(&north_next, "removed_account_ids", ""), [hd1002]);
    let central_next = sync(app, &central, Some(&central_first["next_since"])).await;
    assert_eq!(ids(&central_next, "full_account_ids", ""), [hd1002]);
    assert!(ids(&central_next, "accounts", "id").contains(&hd1002));
    assert!(ids(&central_next, "removed_account_ids", "").is_empty());
    t.app.stop().await;
}

#[tokio::test]
async fn a_visit_done_again_with_another_outcome_or_after_cancelling_answers_both_versions() {
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    let today = crate::helpers::real_today();
    let plan = |client_id: &'static str| json!({"client_id": client_id, "tenancy_id": hd1001, "date": today});
    let (s, v) = post(
        app,
        "/officer/v1/visits",
        &north,
        plan("offline-visit-0001"),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let done = format!("/officer/v1/visits/{}/done", v["id"]);
    let first = json!({"outcome": "promise_to_pay", "body": "Will pay £40 on Friday."});
    let (s, ok) = post(app, &done, &north, first.clone()).await;
    assert_eq!((s, ok["status"].as_str()), (200, Some("done")), "{ok}");
    // The same again (a retry after a lost answer) is fine.
    let (s, again) = post(app, &done, &north, first).await;
    assert_eq!((s, &again["action_id"]), (200, &ok["action_id"]), "{again}");
    // Another outcome from a second phone is not silently dropped.
    let (s, p) = post(
        app,
        &done,
        &north,
        json!({"outcome": "no_access", "body": "Nobody in; card left."}),
    )
    .await;
    assert_eq!(s, 409, "{p}");
    assert_eq!(p["server_version"]["visit"]["status"], "done", "{p}");
    assert_eq!(p["server_version"]["outcome"], "promise_to_pay");
    assert_eq!(p["server_version"]["body"], "Will pay £40 on Friday.");
    assert_eq!(p["your_version"]["outcome"], "no_access");
    assert_eq!(p["your_version"]["body"], "Nobody in; card left.");
    let visits_in_diary = rentdesk_store::entities::action::Entity::find()
        .filter(rentdesk_store::entities::action::Column::TenancyId.eq(hd1001))
        .filter(rentdesk_store::entities::action::Column::Kind.eq("visit"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(visits_in_diary.len(), 1);
    assert_eq!(
        visits_in_diary[0].outcome.as_deref(),
        Some("promise_to_pay")
    );

    // A visit cancelled on the server, done on a phone offline: both versions come back.
    let (s, v) = post(
        app,
        "/officer/v1/visits",
        &north,
        plan("offline-visit-0002"),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let (s, _) = post(
        app,
        &format!("/officer/v1/visits/{}/cancel", v["id"]),
        &north,
        json!({}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, p) = post(
        app,
        &format!("/officer/v1/visits/{}/done", v["id"]),
        &north,
        json!({"outcome": "contact_made", "body": "Agreed £10 a week."}),
    )
    .await;
    assert_eq!(s, 409, "{p}");
    assert_eq!(p["server_version"]["visit"]["status"], "cancelled", "{p}");
    assert_eq!(p["your_version"]["outcome"], "contact_made");
    assert_eq!(p["your_version"]["body"], "Agreed £10 a week.");
    t.app.stop().await;
}

#[tokio::test]
async fn a_sync_cursor_cannot_be_edited_or_borrowed_to_reach_another_patch() {
    use rentdesk_server::api::officer::sync::encode_cursor;
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let central = sign_in(app, "central@council.example").await;
    let hd1003 = tenancy_id(app, "HD1003").await;
    let patch_id = |code: &'static str| async move {
        patch::Entity::find()
            .filter(patch::Column::Code.eq(code))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .id
    };
    let (north_patch, central_patch) = (patch_id("HD-NORTH").await, patch_id("HD-CENTRAL").await);
    let mine = sync(app, &north, None).await;
    let cursor = mine["next_since"].as_str().unwrap();
    let theirs = sync(app, &central, None).await;
    let hour_ago = chrono::Utc::now() - chrono::Duration::hours(1);
    // A cursor claiming north once had HD-CENTRAL (or every patch) would list its accounts as
    // removed; one claiming an early time would bring its history. None is accepted unless
    // this server signed it for north.
    let claim = |scope: Option<Vec<i64>>| {
        encode_cursor(
            "a guessed signing key",
            t.north,
            hour_ago,
            &scope.map(|s| s.into_iter().collect()),
        )
    };
    let edited_payload = {
        let forged = claim(Some(vec![north_patch, central_patch]));
        let (payload, _) = forged.split_once('.').unwrap();
        let (_, mac) = cursor.split_once('.').unwrap();
        format!("{payload}.{mac}")
    };
    for bad in [
        claim(Some(vec![north_patch, central_patch])),
        claim(None),
        edited_payload,
        theirs["next_since"].as_str().unwrap().to_owned(),
        "not-a-cursor".to_owned(),
    ] {
        let (s, p) = get(app, &format!("/officer/v1/sync?since={bad}"), &north).await;
        assert_eq!(
            (s, fields(&p)),
            (422, vec!["since".to_owned()]),
            "{bad}: {p}"
        );
    }
    // Central's data never reaches north through a cursor.
    let next = sync(app, &north, Some(&mine["next_since"])).await;
    assert!(ids(&next, "removed_account_ids", "").is_empty(), "{next}");
    assert!(!next.to_string().contains("HD1003"), "{next}");
    let _ = hd1003;
    t.app.stop().await;
}

/// A section 8 notice served 60 days ago giving `grounds` (ground 8 available on the arrears
/// then), and the court application 30 days ago, as the diary would hold them with the notice's
/// details (the real clock cannot wait out a notice period in a test).
///
/// `measured_early`: the ground 8 figure kept with it was measured 3 days before the deemed
/// service date (a notice recorded when posted), so it is measured again on that date.
async fn section_8_claim(app: &TestApp, tenancy_id: i64, grounds: &[u8], measured_early: bool) {
    use rentdesk_domain::Pence;
    use rentdesk_domain::possession::protocol::{self, NoticeRules, ServiceMethod};
    use rentdesk_domain::possession::types::{Ground, NoticeKind};
    let now = chrono::Utc::now();
    let today = crate::helpers::real_today();
    let sent = today - chrono::Duration::days(60);
    let mut notice = protocol::notice_dates(
        NoticeKind::Section8,
        sent.and_hms_opt(10, 0, 0).unwrap(),
        ServiceMethod::Hand,
        &NoticeRules::default(),
    );
    notice.ground_8 = Some(protocol::ground_8(
        notice.regime,
        &rentdesk_domain::arrears::RentArrears {
            on: notice.served_on - chrono::Duration::days(if measured_early { 3 } else { 0 }),
            rent_unpaid: Pence(200_000),
            sundry: Pence::ZERO,
            uc_not_yet_received: Pence::ZERO,
        },
        Pence(11_200),
    ));
    notice.grounds = Some(
        grounds
            .iter()
            .map(|g| Ground::from_number(*g).unwrap())
            .collect(),
    );
    for (kind, stage, ago, facts) in [
        (
            "notice",
            "notice_served",
            60,
            Some(serde_json::to_string(&notice).unwrap()),
        ),
        ("stage", "court_application", 30, None),
    ] {
        rentdesk_store::diary::write(
            &app.db,
            rentdesk_store::diary::Entry {
                tenancy_id,
                kind: crate::helpers::diary_kind(kind),
                outcome: Some(stage),
                body: stage,
                facts,
                occurred_at: Some(now - chrono::Duration::days(ago)),
                author_staff_id: None,
                rule_id: None,
                client_id: None,
                purpose: None,
            },
            app.now(),
        )
        .await
        .unwrap();
    }
}

/// A ledger line on HD1003 posted today (pounds, signed as in the import).
async fn hd1003_today(app: &TestApp, reference: &str, kind: &str, pounds: &str) {
    let today = crate::helpers::real_today();
    let method = if kind == "payment" { "card" } else { "" };
    let tx = format!(
        "external_ref,tenancy_reference,posted_on,kind,amount,method,description\n\
         {reference},HD1003,{today},{kind},{pounds},{method},{kind}\n"
    );
    assert_eq!(
        app.import("transactions", tx.into_bytes()).await["status"],
        "succeeded"
    );
}

#[tokio::test]
async fn an_order_on_a_section_8_claim_names_the_notices_grounds_and_on_ground_8_is_outright_within_42_days()
 {
    let t = team().await;
    let app = &t.app;
    let central = sign_in(app, "central@council.example").await;
    let hd1003 = tenancy_id(app, "HD1003").await;
    // Far behind: over 8 weeks' rent (8 × £112 = £896) whatever the examples hold.
    hd1003_today(app, "RENT-1", "rent_debit", "2000.00").await;
    section_8_claim(app, hd1003, &[8, 10, 11], false).await;
    let path = format!("/officer/v1/accounts/{hd1003}/steps");
    let next = format!("/officer/v1/accounts/{hd1003}/next-step");
    let today = crate::helpers::real_today();
    let days = chrono::Duration::days;
    let (s, r) = post(
        app,
        &path,
        &central,
        json!({"step": "hearing", "hearing_on": today}),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["warnings"], json!([]), "30 days after issue: {r}");
    // At the hearing: ground 8 checked again, with the figures, under the notice's regime.
    let (_, n) = get(app, &next, &central).await;
    let g = &n["ground_8_at_hearing"];
    assert_eq!(g["available"], true, "{n}");
    assert_eq!(g["regime"], "current", "{n}");
    assert_eq!(g["threshold_pence"], 89_600, "{n}");
    assert!(g["counted_pence"].as_i64().unwrap() >= 89_600, "{n}");
    assert!(
        n["reasons"].as_array().unwrap().iter().any(|r| r
            .as_str()
            .unwrap()
            .starts_with("ground 8 at the hearing on")),
        "{n}"
    );
    let order = |extra: Value| {
        let mut o = json!({"step": "order", "order_type": "outright",
                           "possession_date": today + days(14)});
        for (k, v) in extra.as_object().unwrap() {
            o[k] = v.clone();
        }
        o
    };
    // A section 8 order must say its ground(s), and only those the notice gave.
    for (extra, field) in [
        (json!({}), "grounds"),
        (json!({"grounds": [1]}), "grounds"),
        (json!({"grounds": []}), "grounds"),
        (
            json!({"grounds": [8], "ordered_on": today + days(1)}),
            "ordered_on",
        ),
        // Before the hearing it was made at.
        (
            json!({"grounds": [8], "ordered_on": today - days(1)}),
            "ordered_on",
        ),
    ] {
        let (s, p) = post(app, &path, &central, order(extra.clone())).await;
        assert_eq!(
            (s, fields(&p)),
            (422, vec![field.to_owned()]),
            "{extra}: {p}"
        );
    }
    // Ground 8 is mandatory: no suspended order, and possession at most 42 days on.
    let (s, p) = post(
        app,
        &path,
        &central,
        json!({"step": "order", "order_type": "suspended", "grounds": [8],
               "possession_date": today + days(14),
               "terms": {"towards_arrears_pence": 500, "frequency": "weekly", "from": today}}),
    )
    .await;
    assert_eq!((s, fields(&p)), (422, vec!["order_type".to_owned()]), "{p}");
    let (s, p) = post(
        app,
        &path,
        &central,
        order(json!({"grounds": [8], "possession_date": today + days(43)})),
    )
    .await;
    assert_eq!(
        (s, fields(&p)),
        (422, vec!["possession_date".to_owned()]),
        "{p}"
    );
    assert!(p.to_string().contains("normally 14 days"), "{p}");
    // Discretionary ground 10 alone: the court may suspend.
    let (s, r) = post(
        app,
        &path,
        &central,
        json!({"step": "order", "order_type": "suspended", "grounds": [10],
               "possession_date": today + days(60),
               "terms": {"towards_arrears_pence": 500, "frequency": "weekly", "from": today}}),
    )
    .await;
    assert_eq!((s, r["grounds"].clone()), (201, json!([10])), "{r}");
    let (s, r) = post(
        app,
        &path,
        &central,
        order(json!({"grounds": [10, 8], "possession_date": today + days(42)})),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["grounds"], json!([8, 10]), "{r}");
    // Kept: the step's answer, next-step, the diary and the order letter.
    let (_, n) = get(app, &next, &central).await;
    assert_eq!(n["order"]["grounds"], json!([8, 10]), "{n}");
    assert_eq!(
        n["order"]["ordered_on"],
        json!(today),
        "made at the hearing: {n}"
    );
    let (_, account) = get(app, &format!("/officer/v1/accounts/{hd1003}"), &central).await;
    assert!(
        account
            .to_string()
            .contains("Stage: order (outright) on grounds 8 and 10."),
        "{account}"
    );
    let text = letter_pdf(app, &central, &r["letter_id"]).await;
    assert!(
        text.contains("ground 8 of Schedule 2 to the Housing Act 1988"),
        "the ground in the letter: {text}"
    );
    t.app.stop().await;
}

#[tokio::test]
async fn an_order_on_ground_8_is_refused_when_the_arrears_on_the_hearing_date_were_below_it() {
    let t = team().await;
    let app = &t.app;
    let central = sign_in(app, "central@council.example").await;
    let hd1003 = tenancy_id(app, "HD1003").await;
    section_8_claim(app, hd1003, &[8, 10], false).await;
    // Paid off since the notice: nothing owed on the hearing date.
    hd1003_today(app, "PAY-1", "payment", "-5000.00").await;
    let path = format!("/officer/v1/accounts/{hd1003}/steps");
    let today = crate::helpers::real_today();
    let (s, r) = post(
        app,
        &path,
        &central,
        json!({"step": "hearing", "hearing_on": today}),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    let (_, n) = get(
        app,
        &format!("/officer/v1/accounts/{hd1003}/next-step"),
        &central,
    )
    .await;
    assert_eq!(n["ground_8_at_hearing"]["available"], false, "{n}");
    assert_eq!(n["ground_8_at_hearing"]["counted_pence"], 0, "{n}");
    let (s, p) = post(
        app,
        &path,
        &central,
        json!({"step": "order", "order_type": "outright", "grounds": [8],
               "possession_date": today + chrono::Duration::days(14)}),
    )
    .await;
    assert_eq!((s, fields(&p)), (422, vec!["grounds".to_owned()]), "{p}");
    let reason = p.to_string();
    assert!(
        reason.contains("did not hold at the hearing") && reason.contains("£896.00"),
        "the figures: {p}"
    );
    // Ground 11 the notice did not give; ground 10 it did.
    let (s, p) = post(
        app,
        &path,
        &central,
        json!({"step": "order", "order_type": "outright", "grounds": [11],
               "possession_date": today + chrono::Duration::days(14)}),
    )
    .await;
    assert_eq!(s, 422, "{p}");
    assert!(p.to_string().contains("did not give ground 11"), "{p}");
    let (s, r) = post(
        app,
        &path,
        &central,
        json!({"step": "order", "order_type": "dismissed"}),
    )
    .await;
    assert_eq!((s, r["grounds"].clone()), (201, json!([])), "{r}");
    t.app.stop().await;
}

#[tokio::test]
async fn a_hearing_before_the_claim_is_refused_and_an_unusual_date_is_kept_with_a_warning() {
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    // Notice 60 days ago, claim issued 30 days ago.
    claim_issued(app, hd1001, 60).await;
    let path = format!("/officer/v1/accounts/{hd1001}/steps");
    let today = crate::helpers::real_today();
    let days = chrono::Duration::days;
    let (s, p) = post(
        app,
        &path,
        &north,
        json!({"step": "hearing", "hearing_on": today - days(31)}),
    )
    .await;
    assert_eq!((s, fields(&p)), (422, vec!["hearing_on".to_owned()]), "{p}");
    assert!(
        p.to_string().contains("before the court application"),
        "{p}"
    );
    let (s, r) = post(
        app,
        &path,
        &north,
        json!({"step": "hearing", "hearing_on": today - days(10)}),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    let warning = r["warnings"][0].as_str().unwrap_or_default().to_owned();
    assert!(warning.contains("only 20 days"), "{r}");
    let (s, r) = post(
        app,
        &path,
        &north,
        json!({"step": "hearing", "hearing_on": today + days(40)}),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    assert!(
        r["warnings"][0]
            .as_str()
            .unwrap_or_default()
            .contains("within 8 weeks"),
        "{r}"
    );
    let (_, account) = get(app, &format!("/officer/v1/accounts/{hd1001}"), &north).await;
    assert!(
        account.to_string().contains(&format!("Warning: {warning}")),
        "the diary keeps the warning: {account}"
    );
    // A NOSP order is on ground 1 without saying so; no other ground.
    let (s, p) = post(
        app,
        &path,
        &north,
        json!({"step": "order", "order_type": "outright", "grounds": [8],
               "possession_date": today + days(60)}),
    )
    .await;
    assert_eq!((s, fields(&p)), (422, vec!["grounds".to_owned()]), "{p}");
    t.app.stop().await;
}

async fn patch_json(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    call(app, reqwest::Method::PATCH, path, Some(token), Some(body)).await
}

#[tokio::test]
async fn a_flags_end_is_moved_within_its_kinds_rules_audited_and_brought_by_the_next_sync() {
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    let today = crate::helpers::real_today();
    let days = chrono::Duration::days;
    let flags = format!("/officer/v1/accounts/{hd1001}/flags");
    // The notification date is for a Breathing Space, and not in the future.
    for (body, field) in [
        (
            json!({"kind": "vulnerability", "starts_on": today, "notified_on": today}),
            "notified_on",
        ),
        (
            json!({"kind": "breathing_space_standard", "starts_on": today,
                   "ends_on": today + days(30), "notified_on": today + days(1)}),
            "notified_on",
        ),
    ] {
        let (s, p) = post(app, &flags, &north, body.clone()).await;
        assert_eq!(
            (s, fields(&p)),
            (422, vec![field.to_owned()]),
            "{body}: {p}"
        );
    }
    let starts = today - days(10);
    let (s, bs) = post(
        app,
        &flags,
        &north,
        json!({"kind": "breathing_space_standard", "starts_on": starts,
               "ends_on": today + days(20), "notified_on": today - days(3)}),
    )
    .await;
    assert_eq!(s, 201, "{bs}");
    assert_eq!(bs["notified_on"], json!(today - days(3)));
    // SI 2020/1311 reg 17(3): within the period of 20 days beginning with the day it started
    // (start + 19), not 20 days from the notification three days ago (which gave today + 17).
    let review_by = starts + days(19);
    assert_eq!(bs["review_by"], json!(review_by));
    // The on-hold reason says until when the review may be asked for.
    let held = on_caseload(app, &north, "HD1001").await.expect("listed");
    let reason = held["on_hold"].as_str().unwrap_or_default();
    assert!(
        reason.contains(&format!(
            "a review may be asked for until {}",
            review_by.format("%-d %b %Y")
        )),
        "{held}"
    );
    let (_, crisis) = post(
        app,
        &flags,
        &north,
        json!({"kind": "breathing_space_mental_health", "starts_on": starts}),
    )
    .await;
    assert_eq!(crisis["notified_on"], json!(today), "recorded today");
    let (_, vulnerable) = post(
        app,
        &flags,
        &north,
        json!({"kind": "vulnerability", "starts_on": starts, "ends_on": today + days(5)}),
    )
    .await;
    assert!(vulnerable["review_by"].is_null(), "{vulnerable}");
    let (bs, crisis, vulnerable) = (
        bs["id"].as_i64().unwrap(),
        crisis["id"].as_i64().unwrap(),
        vulnerable["id"].as_i64().unwrap(),
    );

    // Set two days ago and already on the officer's phone.
    rentdesk_store::entities::flag::Entity::update_many()
        .col_expr(
            rentdesk_store::entities::flag::Column::CreatedAt,
            Expr::value(chrono::Utc::now() - days(2)),
        )
        .col_expr(
            rentdesk_store::entities::flag::Column::UpdatedAt,
            Expr::value(chrono::Utc::now() - days(2)),
        )
        .exec(&app.db)
        .await
        .unwrap();
    let (_, synced) = get(app, "/officer/v1/sync", &north).await;
    let since = synced["next_since"].as_str().unwrap().replace('+', "%2B");

    let one = |id: i64| format!("/officer/v1/accounts/{hd1001}/flags/{id}");
    // Bad dates name their field and change nothing.
    for (id, body, field) in [
        (bs, json!({"ends_on": starts + days(61)}), "ends_on"),
        (bs, json!({"open_ended": true}), "open_ended"),
        (
            bs,
            json!({"treatment_ended_on": today}),
            "treatment_ended_on",
        ),
        (bs, json!({}), "ends_on"),
        (
            crisis,
            json!({"treatment_ended_on": starts - days(1)}),
            "treatment_ended_on",
        ),
        (vulnerable, json!({"ends_on": starts - days(1)}), "ends_on"),
        (
            vulnerable,
            json!({"ends_on": today, "open_ended": true}),
            "ends_on",
        ),
    ] {
        let (s, p) = patch_json(app, &one(id), &north, body.clone()).await;
        assert_eq!(
            (s, fields(&p)),
            (422, vec![field.to_owned()]),
            "{body}: {p}"
        );
    }
    let (_, quiet) = get(app, &format!("/officer/v1/sync?since={since}"), &north).await;
    assert!(quiet["flags"].as_array().unwrap().is_empty(), "{quiet}");

    // A standard Breathing Space extended to its 60th day.
    let (s, f) = patch_json(
        app,
        &one(bs),
        &north,
        json!({"ends_on": starts + days(60), "note": "adviser extended it"}),
    )
    .await;
    assert_eq!(s, 200, "{f}");
    assert_eq!(f["ends_on"], json!(starts + days(60)));
    // A later crisis treatment end moves the crisis one to 30 days after it.
    let (s, f) = patch_json(
        app,
        &one(crisis),
        &north,
        json!({"treatment_ended_on": today + days(5)}),
    )
    .await;
    assert_eq!(s, 200, "{f}");
    assert_eq!(
        (f["treatment_ended_on"].clone(), f["ends_on"].clone()),
        (json!(today + days(5)), json!(today + days(35)))
    );
    let (_, f) = patch_json(
        app,
        &one(crisis),
        &north,
        json!({"treatment_ended_on": today + days(12)}),
    )
    .await;
    assert_eq!(f["ends_on"], json!(today + days(42)));
    // A vulnerability flag made open-ended.
    let (s, f) = patch_json(app, &one(vulnerable), &north, json!({"open_ended": true})).await;
    assert_eq!(s, 200, "{f}");
    assert!(f["ends_on"].is_null(), "{f}");

    // Every move reaches the phone at its next sync.
    let (s, next) = get(app, &format!("/officer/v1/sync?since={since}"), &north).await;
    assert_eq!(s, 200, "{next}");
    let synced: Vec<(i64, Value)> = next["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["id"].as_i64().unwrap(), f["ends_on"].clone()))
        .collect();
    for (id, ends_on) in [
        (bs, json!(starts + days(60))),
        (crisis, json!(today + days(42))),
        (vulnerable, Value::Null),
    ] {
        assert!(synced.contains(&(id, ends_on.clone())), "{id}: {next}");
    }

    // Another patch's officer cannot reach it; a withdrawn flag's end cannot move.
    let central = sign_in(app, "central@council.example").await;
    let (s, _) = patch_json(app, &one(bs), &central, json!({"ends_on": today})).await;
    assert_eq!(s, 404);
    let (s, _) = post(
        app,
        &format!("{}/end", one(vulnerable)),
        &north,
        json!({"reason": "entered_in_error"}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, p) = patch_json(app, &one(vulnerable), &north, json!({"ends_on": today})).await;
    assert_eq!(s, 409, "{p}");

    // Diary and audit log.
    let (_, a) = get(app, &format!("/officer/v1/accounts/{hd1001}"), &north).await;
    assert!(
        a["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["kind"] == "flag"
                && x["body"].as_str().unwrap().contains(&format!(
                    "Flag end moved: breathing space standard, last day {}",
                    starts + days(60)
                ))
                && x["body"].as_str().unwrap().contains("adviser extended it")),
        "{}",
        a["actions"]
    );
    let audited = audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq("flag.end_moved"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(audited.len(), 4, "one per move");
    t.app.stop().await;
}

#[tokio::test]
async fn a_notice_that_would_lapse_inside_a_breathing_space_runs_to_8_weeks_after_it_ends() {
    use rentdesk_store::entities::action;
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    protocol_steps_for_a_notice(app, &north, hd1001).await;
    let today = crate::helpers::real_today();
    let days = chrono::Duration::days;
    let (s, r) = post(
        app,
        &format!("/officer/v1/accounts/{hd1001}/steps"),
        &north,
        json!({"step": "notice_served", "sent_on": today, "sent_time": "00:00", "service_method": "hand"}),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    // As if served 13 months ago: it lapsed 10 days ago.
    let notice = action::Entity::find()
        .filter(action::Column::TenancyId.eq(hd1001))
        .filter(action::Column::Kind.eq("notice"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut facts: Value = serde_json::from_str(notice.facts.as_deref().unwrap()).unwrap();
    facts["served_on"] = json!(today - days(400));
    facts["earliest_proceedings"] = json!(today - days(372));
    facts["expires"] = json!(today - days(10));
    let mut row: action::ActiveModel = notice.into();
    row.facts = Set(Some(facts.to_string()));
    row.occurred_at = Set(chrono::Utc::now() - days(400));
    row.update(&app.db).await.unwrap();

    let next_step = format!("/officer/v1/accounts/{hd1001}/next-step");
    let blocked = |n: &Value| -> Vec<String> {
        n["blocked_by"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (s, n) = get(app, &next_step, &north).await;
    assert_eq!(s, 200, "{n}");
    assert_eq!(n["recommended"], "court_application", "{n}");
    assert!(blocked(&n).contains(&"notice_expired".to_owned()), "{n}");
    assert_eq!(n["notice"]["lapses_on"], json!(today - days(10)));
    let expiring = |a: &Option<Value>| {
        a.as_ref().is_some_and(|a| {
            a["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r.as_str().unwrap().contains("expired on"))
        })
    };
    assert!(
        expiring(&on_caseload(app, &north, "HD1001").await),
        "lapsed: said on the caseload"
    );

    // A Breathing Space from 40 days ago to 5 days ago covered the lapse date: it moves to 8
    // weeks after the Breathing Space ended.
    let (s, f) = post(
        app,
        &format!("/officer/v1/accounts/{hd1001}/flags"),
        &north,
        json!({"kind": "breathing_space_standard", "starts_on": today - days(40),
               "ends_on": today - days(5)}),
    )
    .await;
    assert_eq!(s, 201, "{f}");
    let (_, n) = get(app, &next_step, &north).await;
    assert!(!blocked(&n).contains(&"notice_expired".to_owned()), "{n}");
    assert_eq!(n["notice"]["expires"], json!(today - days(10)));
    assert_eq!(n["notice"]["lapses_on"], json!(today + days(51)));
    assert!(
        !expiring(&on_caseload(app, &north, "HD1001").await),
        "no longer lapsed on the caseload"
    );
    t.app.stop().await;
}

/// The examples in the OpenAPI document have exactly the fields of the real answers, so the
/// generated app's fixtures match what the server sends.
#[tokio::test(flavor = "multi_thread")]
async fn the_spec_examples_have_the_fields_of_the_real_answers() {
    let spec: Value = serde_json::to_value(
        serde_yaml::from_str::<serde_yaml::Value>(&rentdesk_server::startup::spec_yaml()).unwrap(),
    )
    .unwrap();
    let example = |schema: &str| spec["components"]["schemas"][schema]["example"].clone();
    fn keys(v: &Value) -> Vec<String> {
        let mut k: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
        k.sort();
        k
    }
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    // The flag request example is a request the server takes; its answer has the example's
    // fields.
    let (s, flag) = post(
        app,
        &format!("/officer/v1/accounts/{hd1001}/flags"),
        &north,
        example("FlagIn"),
    )
    .await;
    assert_eq!(s, 201, "{flag}");
    assert_eq!(keys(&flag), keys(&example("FlagOut")));
    let (s, account) = get(app, &format!("/officer/v1/accounts/{hd1001}"), &north).await;
    assert_eq!(s, 200);
    let account_example = example("OfficerAccount");
    assert_eq!(keys(&account), keys(&account_example));
    for part in ["summary", "recommendation", "case", "tenancy_audit"] {
        assert_eq!(keys(&account[part]), keys(&account_example[part]), "{part}");
    }
    assert_eq!(
        keys(&account["flags"][0]),
        keys(&account_example["flags"][0])
    );
    assert_eq!(
        keys(&account["ledger"][0]),
        keys(&account_example["ledger"][0])
    );
    let (s, next) = get(
        app,
        &format!("/officer/v1/accounts/{hd1001}/next-step"),
        &north,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(keys(&next), keys(&example("NextStep")));
    let (s, sync) = get(app, "/officer/v1/sync", &north).await;
    assert_eq!(s, 200);
    let sync_example = example("SyncAnswer");
    assert_eq!(keys(&sync), keys(&sync_example));
    assert_eq!(
        keys(&sync["accounts"][0]),
        keys(&sync_example["accounts"][0])
    );
    // The 409 of a step the protocol blocks: the example is the real answer's shape, and its
    // fields are protocol step ids the real answer uses.
    let (s, blocked) = post(
        app,
        &format!("/officer/v1/accounts/{hd1001}/steps"),
        &north,
        json!({"step": "notice_served", "sent_on": crate::helpers::real_today(), "sent_time": "00:00", "service_method": "hand"}),
    )
    .await;
    assert_eq!(s, 409, "{blocked}");
    let conflict = &spec["paths"]["/officer/v1/accounts/{id}/steps"]["post"]["responses"]["409"]["content"]
        ["application/problem+json"]["schema"]["example"];
    assert_eq!(keys(&blocked), keys(conflict));
    assert_eq!(blocked["type"], conflict["type"]);
    let real: Vec<&Value> = blocked["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["field"])
        .collect();
    for e in conflict["errors"].as_array().unwrap() {
        assert!(real.contains(&&e["field"]), "{e} in {blocked}");
    }
    t.app.stop().await;
}

/// CPR 6.26: a notice handed over at 4.45pm is served on the next business day, and its dates
/// run from then; at 4.29pm it is served that day. By hand the time is required.
#[tokio::test]
async fn cpr_6_26_a_notice_handed_over_after_4_30pm_is_served_the_next_business_day() {
    use rentdesk_domain::possession::protocol::is_business_day;
    let t = team().await;
    let app = &t.app;
    let central = sign_in(app, "central@council.example").await;
    let hd1003 = tenancy_id(app, "HD1003").await;
    let path = format!("/officer/v1/accounts/{hd1003}/steps");
    // The latest business day before today, so 16:45 on it is in the past.
    let mut sent = crate::helpers::real_today() - chrono::Duration::days(1);
    while !is_business_day(sent) {
        sent -= chrono::Duration::days(1);
    }
    let (s, p) = post(
        app,
        &path,
        &central,
        json!({"step": "notice_served", "sent_on": sent, "service_method": "hand"}),
    )
    .await;
    assert_eq!((s, fields(&p)), (422, vec!["sent_time".to_owned()]), "{p}");
    assert!(p.to_string().contains("16:30"), "{p}");
    let (s, p) = post(
        app,
        &path,
        &central,
        json!({"step": "notice_served", "sent_on": sent, "sent_time": "5pm", "service_method": "hand"}),
    )
    .await;
    assert_eq!((s, fields(&p)), (422, vec!["sent_time".to_owned()]), "{p}");
    protocol_steps_for_a_notice(app, &central, hd1003).await;
    let (s, r) = post(
        app,
        &path,
        &central,
        json!({"step": "notice_served", "sent_on": sent, "sent_time": "16:45", "service_method": "hand"}),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    let served: chrono::NaiveDate =
        serde_json::from_value(r["notice"]["served_on"].clone()).unwrap();
    assert!(
        served > sent && is_business_day(served),
        "{sent} → {served}"
    );
    let mut between = sent + chrono::Duration::days(1);
    while between < served {
        assert!(!is_business_day(between), "{between} was a business day");
        between += chrono::Duration::days(1);
    }
    // Section 8 (current regime): 2 weeks from the deemed service date.
    assert_eq!(
        r["notice"]["earliest_proceedings"],
        json!(served + chrono::Duration::days(14)),
        "{r}"
    );
    assert_eq!(
        r["notice"]["ground_8"]["measured_on"],
        json!(served.min(crate::helpers::real_today())),
        "{r}"
    );
    // Before 4.30pm: served that day.
    let (s, r) = post(
        app,
        &path,
        &central,
        json!({"step": "notice_served", "sent_on": sent, "sent_time": "16:29", "service_method": "hand"}),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["notice"]["served_on"], json!(sent), "{r}");
    assert_eq!(r["notice"]["ground_8"]["measured_on"], json!(sent), "{r}");
    t.app.stop().await;
}

/// HA 1988 Sch 2 ground 8 counts rent lawfully due, not court costs: a balance over 8 weeks'
/// rent made of court costs neither makes ground 8 available nor lets an order be made on it.
#[tokio::test]
async fn ha_1988_ground_8_leaves_court_costs_out_in_next_step_and_the_order_check() {
    let t = team().await;
    let app = &t.app;
    let central = sign_in(app, "central@council.example").await;
    let hd1003 = tenancy_id(app, "HD1003").await;
    let next = format!("/officer/v1/accounts/{hd1003}/next-step");
    let account = format!("/officer/v1/accounts/{hd1003}");
    let (_, n0) = get(app, &next, &central).await;
    let (_, a0) = get(app, &account, &central).await;
    let counted0 = n0["ground_8"]["counted_pence"].as_i64().unwrap();
    assert!(counted0 < 89_600, "HD1003 starts below 8 weeks' rent: {n0}");
    // £2,000 of court costs: the balance rises by it, the ground 8 figure does not.
    hd1003_today(app, "COSTS-1", "court_costs", "2000.00").await;
    let (_, n) = get(app, &next, &central).await;
    let (_, a) = get(app, &account, &central).await;
    assert_eq!(
        a["summary"]["balance_pence"].as_i64().unwrap()
            - a0["summary"]["balance_pence"].as_i64().unwrap(),
        200_000,
        "{a}"
    );
    assert_eq!(n["ground_8"]["counted_pence"], counted0, "{n}");
    assert_eq!(n["ground_8"]["available"], false, "{n}");
    assert!(
        n["ground_8"]["reason"]
            .as_str()
            .unwrap()
            .contains("£2,000.00 not counted"),
        "{n}"
    );
    // At the hearing of a claim on ground 8: not held, and an order on it is refused.
    section_8_claim(app, hd1003, &[8, 10], false).await;
    let path = format!("/officer/v1/accounts/{hd1003}/steps");
    let today = crate::helpers::real_today();
    let (s, r) = post(
        app,
        &path,
        &central,
        json!({"step": "hearing", "hearing_on": today}),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    let (_, n) = get(app, &next, &central).await;
    assert_eq!(n["ground_8_at_hearing"]["available"], false, "{n}");
    assert_eq!(n["ground_8_at_hearing"]["counted_pence"], counted0, "{n}");
    let (s, p) = post(
        app,
        &path,
        &central,
        json!({"step": "order", "order_type": "outright", "grounds": [8],
               "possession_date": today + chrono::Duration::days(14)}),
    )
    .await;
    assert_eq!((s, fields(&p)), (422, vec!["grounds".to_owned()]), "{p}");
    assert!(p.to_string().contains("did not hold at the hearing"), "{p}");
    // Rent of the same amount does count.
    hd1003_today(app, "RENT-9", "rent_debit", "2000.00").await;
    let (_, n) = get(app, &next, &central).await;
    assert_eq!(n["ground_8_at_hearing"]["available"], true, "{n}");
    t.app.stop().await;
}

/// HA 1988 Sch 2 ground 8 must hold on the notice's deemed service date as well as at the
/// hearing: a figure kept from before service (a posted notice) is measured again on it, and an
/// order on ground 8 is refused when it did not hold then, even if it holds at the hearing.
#[tokio::test]
async fn ha_1988_ground_8_is_measured_again_on_the_deemed_service_date_of_a_posted_notice() {
    let t = team().await;
    let app = &t.app;
    let central = sign_in(app, "central@council.example").await;
    let hd1003 = tenancy_id(app, "HD1003").await;
    let next = format!("/officer/v1/accounts/{hd1003}/next-step");
    let (_, n0) = get(app, &next, &central).await;
    assert!(
        n0["ground_8"]["counted_pence"].as_i64().unwrap() < 89_600,
        "{n0}"
    );
    // Kept as available (measured 3 days early), but on the service date, 60 days ago, the
    // rent unpaid was below 8 weeks' rent.
    section_8_claim(app, hd1003, &[8, 10], true).await;
    let path = format!("/officer/v1/accounts/{hd1003}/steps");
    let today = crate::helpers::real_today();
    let (s, r) = post(
        app,
        &path,
        &central,
        json!({"step": "hearing", "hearing_on": today}),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    // Far behind by the hearing.
    hd1003_today(app, "RENT-1", "rent_debit", "2000.00").await;
    let (_, n) = get(app, &next, &central).await;
    let served = n["notice"]["served_on"].clone();
    assert_eq!(n["notice"]["ground_8"]["measured_on"], served, "{n}");
    assert_eq!(n["notice"]["ground_8"]["available"], false, "{n}");
    assert_eq!(n["ground_8_at_hearing"]["available"], true, "{n}");
    let (s, p) = post(
        app,
        &path,
        &central,
        json!({"step": "order", "order_type": "outright", "grounds": [8],
               "possession_date": today + chrono::Duration::days(14)}),
    )
    .await;
    assert_eq!((s, fields(&p)), (422, vec!["grounds".to_owned()]), "{p}");
    assert!(p.to_string().contains("deemed served"), "{p}");
    // Ground 10 is not affected.
    let (s, r) = post(
        app,
        &path,
        &central,
        json!({"step": "order", "order_type": "outright", "grounds": [10],
               "possession_date": today + chrono::Duration::days(14)}),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    t.app.stop().await;
}

/// The ids of a next-step's `also` list.
fn also(n: &Value) -> Vec<String> {
    n["also"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap().to_owned())
        .collect()
}

/// Mid-morning London time on `d`.
fn mid_morning(d: chrono::NaiveDate) -> chrono::DateTime<chrono::Utc> {
    rentdesk_domain::time::london_day_start(d) + chrono::Duration::hours(10)
}

/// Pre-Action Protocol para 2.8 (contact attempted after the notice) and para 2.9 (an
/// arrangement broken: a written warning with a time limit, and the claim only after it),
/// lived through the clock on a NOSP (docs/possession.md#between-the-notice-and-the-claim-paras-28-29-and-part-3).
#[tokio::test]
async fn protocol_paras_2_8_2_9_the_claim_waits_for_contact_after_the_notice_and_the_warnings_time_limit()
 {
    use rentdesk_store::entities::arrangement;
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    let path = format!("/officer/v1/accounts/{hd1001}/steps");
    let next = format!("/officer/v1/accounts/{hd1001}/next-step");
    let days = chrono::Duration::days;
    protocol_steps_for_a_notice(app, &north, hd1001).await;
    let (s, r) = post(
        app,
        &path,
        &north,
        json!({"step": "notice_served", "sent_on": app.today(), "sent_time": "00:00", "service_method": "hand"}),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    let earliest: chrono::NaiveDate =
        serde_json::from_value(r["notice"]["earliest_proceedings"].clone()).unwrap();
    let step = |name: &str| json!({"step": "protocol", "protocol_step": name});
    let (s, r) = post(app, &path, &north, step("protocol_copy_sent")).await;
    assert_eq!(s, 201, "{r}");

    // The notice's period has run: the claim waits for the contact after the notice (2.8).
    app.travel_to(mid_morning(earliest));
    let court = json!({"step": "court_application"});
    let (s, p) = post(app, &path, &north, court.clone()).await;
    assert_eq!(
        (s, fields(&p)),
        (409, vec!["post_notice_contact".to_owned()]),
        "{p}"
    );
    let (_, n) = get(app, &next, &north).await;
    assert_eq!(n["recommended"], "court_application", "{n}");
    assert_eq!(also(&n), ["contact_after_notice"], "{n}");
    assert_eq!(n["blocked_by"][0]["id"], "post_notice_contact", "{n}");
    let (s, r) = post(app, &path, &north, step("post_notice_contact")).await;
    assert_eq!(s, 201, "{r}");

    // An arrangement made after the notice breaks today: the claim waits for a warning (2.9).
    let now = app.now();
    arrangement::ActiveModel {
        tenancy_id: Set(hd1001),
        status: Set("broken".into()),
        frequency: Set("weekly".into()),
        instalment_pence: Set(11_000),
        includes_rent: Set(true),
        start_date: Set(earliest - days(14)),
        arrears_at_start_pence: Set(50_000),
        proposed_by_tenant: Set(false),
        created_at: Set(now - days(14)),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let (s, p) = post(app, &path, &north, court.clone()).await;
    assert_eq!(
        (s, fields(&p)),
        (409, vec!["arrangement_breach_warning".to_owned()]),
        "{p}"
    );
    let (_, n) = get(app, &next, &north).await;
    assert_eq!(also(&n), ["warn_before_proceedings"], "{n}");

    // The warning needs the time limit it gives, after today.
    let today = app.today();
    let (s, p) = post(app, &path, &north, step("arrangement_breach_warning")).await;
    assert_eq!(
        (s, fields(&p)),
        (422, vec!["time_limit_ends_on".to_owned()])
    );
    let warn = |ends: chrono::NaiveDate| {
        json!({"step": "protocol", "protocol_step": "arrangement_breach_warning",
               "time_limit_ends_on": ends, "note": "letter: pay the missed £110 by the date"})
    };
    let (s, p) = post(app, &path, &north, warn(today)).await;
    assert_eq!(
        (s, fields(&p)),
        (422, vec!["time_limit_ends_on".to_owned()])
    );
    // And only the steps that give one take a time limit.
    let (s, p) = post(
        app,
        &path,
        &north,
        json!({"step": "protocol", "protocol_step": "post_notice_contact",
               "time_limit_ends_on": today + days(7)}),
    )
    .await;
    assert_eq!(
        (s, fields(&p)),
        (422, vec!["time_limit_ends_on".to_owned()])
    );
    let ends = today + days(14);
    let (s, r) = post(app, &path, &north, warn(ends)).await;
    assert_eq!(s, 201, "{r}");

    // The claim only from the day after the time limit; next-step dates it so.
    let (s, p) = post(app, &path, &north, court.clone()).await;
    assert_eq!(
        (s, fields(&p)),
        (409, vec!["arrangement_breach_time_limit".to_owned()]),
        "{p}"
    );
    let (_, n) = get(app, &next, &north).await;
    assert_eq!(n["recommended"], "court_application", "{n}");
    assert_eq!(n["earliest"], json!(ends + days(1)), "{n}");
    assert!(also(&n).is_empty(), "{n}");
    app.travel_to(mid_morning(ends));
    let (s, p) = post(app, &path, &north, court.clone()).await;
    assert_eq!(
        (s, fields(&p)),
        (409, vec!["arrangement_breach_time_limit".to_owned()])
    );
    app.travel_to(mid_morning(ends + days(1)));
    let (s, r) = post(app, &path, &north, court).await;
    assert_eq!(s, 201, "{r}");
    app.back_to_now();
    t.app.stop().await;
}

/// Pre-Action Protocol Part 3: a section 8 claim on ground 8 (mandatory) waits for a letter
/// explaining why possession is sought with a date for representations, then proportionality
/// considered after that date (docs/possession.md#a-claim-on-a-mandatory-ground-or-an-introductory-tenancy-part-3).
#[tokio::test]
async fn protocol_part_3_a_claim_on_ground_8_waits_for_reasons_explained_and_proportionality_considered()
 {
    let t = team().await;
    let app = &t.app;
    let central = sign_in(app, "central@council.example").await;
    let hd1003 = tenancy_id(app, "HD1003").await;
    let path = format!("/officer/v1/accounts/{hd1003}/steps");
    let next = format!("/officer/v1/accounts/{hd1003}/next-step");
    let days = chrono::Duration::days;
    // Enough rent unpaid for ground 8.
    hd1003_today(app, "RENT-P3", "rent_debit", "2000.00").await;
    protocol_steps_for_a_notice(app, &central, hd1003).await;
    let (s, r) = post(
        app,
        &path,
        &central,
        json!({"step": "notice_served", "sent_on": app.today(), "sent_time": "00:00",
               "service_method": "hand", "grounds": [8, 10, 11]}),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    let earliest: chrono::NaiveDate =
        serde_json::from_value(r["notice"]["earliest_proceedings"].clone()).unwrap();
    let sent = app.today();
    let step = |name: &str| json!({"step": "protocol", "protocol_step": name});
    for name in ["protocol_copy_sent", "post_notice_contact"] {
        let (s, r) = post(app, &path, &central, step(name)).await;
        assert_eq!(s, 201, "{r}");
    }
    // HD1003's imported arrangement is broken: para 2.9's warning, given now, until earliest.
    let (s, r) = post(
        app,
        &path,
        &central,
        json!({"step": "protocol", "protocol_step": "arrangement_breach_warning",
               "time_limit_ends_on": earliest - days(1)}),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    let (_, n) = get(app, &next, &central).await;
    assert_eq!(also(&n), ["explain_why_possession_is_sought"], "{n}");
    // Considered before the letter's date has passed: does not count.
    let (s, r) = post(app, &path, &central, step("proportionality_considered")).await;
    assert_eq!(s, 201, "{r}");
    // The letter goes with the notice; representations by a week later.
    let reply_by = sent + days(7);
    let (s, r) = post(
        app,
        &path,
        &central,
        json!({"step": "protocol", "protocol_step": "possession_reasons_explained",
               "time_limit_ends_on": reply_by}),
    )
    .await;
    assert_eq!(s, 201, "{r}");

    app.travel_to(mid_morning(earliest));
    let court = json!({"step": "court_application"});
    let (s, p) = post(app, &path, &central, court.clone()).await;
    assert_eq!(
        (s, fields(&p)),
        (409, vec!["proportionality_considered".to_owned()]),
        "{p}"
    );
    let (_, n) = get(app, &next, &central).await;
    assert_eq!(also(&n), ["consider_proportionality"], "{n}");
    assert_eq!(n["also"][0]["earliest"], json!(earliest), "{n}");
    let (s, r) = post(
        app,
        &path,
        &central,
        json!({"step": "protocol", "protocol_step": "proportionality_considered",
               "note": "no representations received; possession is proportionate"}),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    let (s, r) = post(app, &path, &central, court).await;
    assert_eq!(s, 201, "{r}");
    app.back_to_now();
    t.app.stop().await;
}

/// Pre-Action Protocol para 2.5: a pending Universal Credit claim stops a notice only when the
/// tenant has also paid what the benefit will not cover since it started
/// (docs/possession.md#a-pending-benefit-claim-para-25). HD1001 (rent £98.50 a week) claims UC
/// from three days ago; a rent week posted that day.
#[tokio::test]
async fn protocol_para_2_5_a_pending_uc_claim_stops_a_notice_only_when_the_tenant_paid_the_shortfall()
 {
    use rentdesk_store::entities::uc_claim;
    let t = team().await;
    let app = &t.app;
    let north = sign_in(app, "north@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    let path = format!("/officer/v1/accounts/{hd1001}/steps");
    let today = app.today();
    let start = today - chrono::Duration::days(3);
    protocol_steps_for_a_notice(app, &north, hd1001).await;
    let ledger = |rows: &str| {
        format!("external_ref,tenancy_reference,posted_on,kind,amount,method,description\n{rows}")
    };
    assert_eq!(
        app.import(
            "transactions",
            ledger(&format!("RENT-25,HD1001,{start},rent_debit,98.50,,Rent\n")).into_bytes()
        )
        .await["status"],
        "succeeded"
    );
    // The claim's amount not recorded: taken to cover all the rent, so it stops the notice.
    let claim = format!(
        "external_ref,tenancy_reference,claim_start,assessment_period_day,housing_element,apa_from,apa_to,learned_on,hb_run_on_until\n\
         UC-25,HD1001,{start},{},,,,{today},\n",
        chrono::Datelike::day(&start)
    );
    assert_eq!(
        app.import("uc_claims", claim.into_bytes()).await["status"],
        "succeeded"
    );
    let notice = json!({"step": "notice_served", "sent_on": today, "sent_time": "00:00", "service_method": "hand"});
    let (s, p) = post(app, &path, &north, notice.clone()).await;
    assert_eq!(
        (s, fields(&p)),
        (409, vec!["benefit_claim_pending".to_owned()]),
        "{p}"
    );
    assert!(p.to_string().contains("not recorded"), "{p}");
    // £390.00 a month is £90.00 a week: £8.50 of the week is the tenant's. Paid: it stops the
    // notice, and says so.
    uc_claim::Entity::update_many()
        .col_expr(uc_claim::Column::MonthlyHousingPence, Expr::value(39_000))
        .filter(uc_claim::Column::TenancyId.eq(hd1001))
        .exec(&app.db)
        .await
        .unwrap();
    assert_eq!(
        app.import(
            "transactions",
            ledger(&format!(
                "PAY-25,HD1001,{today},payment,-8.50,card,Card payment\n"
            ))
            .into_bytes()
        )
        .await["status"],
        "succeeded"
    );
    let (s, p) = post(app, &path, &north, notice.clone()).await;
    assert_eq!(
        (s, fields(&p)),
        (409, vec!["benefit_claim_pending".to_owned()]),
        "{p}"
    );
    assert!(
        p.to_string()
            .contains("the benefit will not cover £8.50; the tenant paid £8.50"),
        "{p}"
    );
    // The payment comes back: the tenant has not paid what the benefit will not cover, so the
    // pending claim does not stop the notice.
    assert_eq!(
        app.import(
            "transactions",
            ledger(&format!(
                "RDD-25,HD1001,{today},returned_direct_debit,8.50,,Payment returned\n"
            ))
            .into_bytes()
        )
        .await["status"],
        "succeeded"
    );
    let (s, r) = post(app, &path, &north, notice).await;
    assert_eq!(s, 201, "{r}");
    t.app.stop().await;
}

/// Housing Act 1996 s129: an introductory tenant who asks for a review within 14 days of the
/// notice of proceedings is told its outcome before the date in the notice, and the claim waits
/// for it (docs/possession.md#an-introductory-tenancys-review-ha-1996-s129).
#[tokio::test]
async fn ha_1996_s129_the_claim_on_an_introductory_tenancy_waits_for_the_review_asked_for() {
    use rentdesk_store::entities::tenancy;
    let t = team_with(&[("STARTER_TENANCIES", "introductory")]).await;
    let app = &t.app;
    let central = sign_in(app, "central@council.example").await;
    let hd1003 = tenancy_id(app, "HD1003").await;
    // A starter tenancy in its first year (HA 1996 s125: the trial period).
    tenancy::Entity::update_many()
        .col_expr(tenancy::Column::Tenure, Expr::value("starter"))
        .col_expr(
            tenancy::Column::StartDate,
            Expr::value(crate::helpers::real_today() - chrono::Duration::days(90)),
        )
        .filter(tenancy::Column::Id.eq(hd1003))
        .exec(&app.db)
        .await
        .unwrap();
    let path = format!("/officer/v1/accounts/{hd1003}/steps");
    let next = format!("/officer/v1/accounts/{hd1003}/next-step");
    let days = chrono::Duration::days;
    hd1003_today(app, "RENT-S129", "rent_debit", "500.00").await;
    protocol_steps_for_a_notice(app, &central, hd1003).await;
    let (s, r) = post(
        app,
        &path,
        &central,
        json!({"step": "notice_served", "sent_on": app.today(), "sent_time": "00:00",
               "service_method": "hand"}),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["notice"]["kind"], "introductory", "{r}");
    let served: chrono::NaiveDate =
        serde_json::from_value(r["notice"]["served_on"].clone()).unwrap();
    let earliest: chrono::NaiveDate =
        serde_json::from_value(r["notice"]["earliest_proceedings"].clone()).unwrap();
    app.travel_to(mid_morning(served));
    let step = |name: &str| json!({"step": "protocol", "protocol_step": name});
    let limited = |name: &str| json!({"step": "protocol", "protocol_step": name, "time_limit_ends_on": served + days(7)});
    for body in [
        step("protocol_copy_sent"),
        step("post_notice_contact"),
        // HD1003's imported arrangement is broken (para 2.9); Part 3 applies to an
        // introductory tenancy.
        limited("arrangement_breach_warning"),
        limited("possession_reasons_explained"),
        // The tenant asks for a review the day the notice is served.
        step("introductory_review_requested"),
    ] {
        let (s, r) = post(app, &path, &central, body).await;
        assert_eq!(s, 201, "{r}");
    }
    app.travel_to(mid_morning(served + days(8)));
    let (s, r) = post(app, &path, &central, step("proportionality_considered")).await;
    assert_eq!(s, 201, "{r}");
    let (_, n) = get(app, &next, &central).await;
    assert_eq!(also(&n), ["decide_introductory_review"], "{n}");
    let (s, p) = post(app, &path, &central, json!({"step": "court_application"})).await;
    assert_eq!(
        (s, fields(&p)),
        (
            409,
            vec![
                "introductory_review_decided".to_owned(),
                "notice_period".to_owned()
            ]
        ),
        "{p}"
    );
    let (s, r) = post(app, &path, &central, step("introductory_review_decided")).await;
    assert_eq!(s, 201, "{r}");
    app.travel_to(mid_morning(earliest));
    let (s, r) = post(app, &path, &central, json!({"step": "court_application"})).await;
    assert_eq!(s, 201, "{r}");
    app.back_to_now();
    t.app.stop().await;
}

/// Housing Act 1996 s125 and s125A: a notice of proceedings is refused once the introductory
/// trial period (a year from the start) has ended, unless a notice of extension served at least
/// eight weeks before the year ended made it 18 months
/// (docs/possession.md#an-introductory-tenancys-trial-period-ha-1996-ss125125a).
#[tokio::test]
async fn ha_1996_s125_no_notice_of_proceedings_after_the_introductory_trial_period_unless_extended()
{
    use rentdesk_store::entities::tenancy;
    let t = team_with(&[("STARTER_TENANCIES", "introductory")]).await;
    let app = &t.app;
    let central = sign_in(app, "central@council.example").await;
    let hd1003 = tenancy_id(app, "HD1003").await;
    let today = app.today();
    let start = today - chrono::Duration::days(380);
    tenancy::Entity::update_many()
        .col_expr(tenancy::Column::Tenure, Expr::value("starter"))
        .col_expr(tenancy::Column::StartDate, Expr::value(start))
        .filter(tenancy::Column::Id.eq(hd1003))
        .exec(&app.db)
        .await
        .unwrap();
    let path = format!("/officer/v1/accounts/{hd1003}/steps");
    protocol_steps_for_a_notice(app, &central, hd1003).await;
    let notice = json!({"step": "notice_served", "sent_on": today, "sent_time": "00:00",
                        "service_method": "hand"});
    let (s, p) = post(app, &path, &central, notice.clone()).await;
    assert_eq!(
        (s, fields(&p)),
        (409, vec!["introductory_trial_ended".to_owned()]),
        "{p}"
    );
    // A notice of extension served ten weeks before the first year ended.
    let year_ends = rentdesk_domain::possession::protocol::introductory_trial_ends(start, None);
    app.travel_to(mid_morning(year_ends - chrono::Duration::weeks(10)));
    let (s, r) = post(
        app,
        &path,
        &central,
        json!({"step": "protocol", "protocol_step": "introductory_trial_extended"}),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    app.back_to_now();
    let (s, r) = post(app, &path, &central, notice).await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["notice"]["kind"], "introductory", "{r}");
    t.app.stop().await;
}

/// Issues 16 and 20, end to end: a monthly assured tenancy whose rent rose on 1 April 2026
/// (£450 → £520 a month), imported with its rent history. A section 8 notice served on Monday
/// 30 March 2026 — recorded through the officer API 11 days later, and for a twin tenancy
/// through the `stages` import at its own date — measures ground 8 on the rent then and in
/// months: 2 months of £450 = £900 (not 2 months of today's £520 = £1,040, nor 8 weeks of the
/// weekly equivalent £103.85 = £830.80). A secure monthly tenancy's NOSP falls on a boundary of
/// its own rent periods. Weeks in arrears and the caseload line use the rent of the day.
#[tokio::test]
async fn rent_by_date_and_period_sets_ground_8_the_nosp_date_and_weeks_in_arrears() {
    use rentdesk_store::entities::tenancy;
    let t = team().await;
    let app = &t.app;
    let day = |m, d| chrono::NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    app.travel_to(mid_morning(day(4, 10)));
    let tenancies = "reference,tenure,address_line1,town,postcode,start_date,weekly_rent,\
                     rent_period,payment_method,lead_tenant_name,patch\n\
                     RC1,assured,1 Rent Row,Huddersfield,HD1 4DY,2025-04-01,103.85,monthly,bank_transfer,Ann One,HD-CENTRAL\n\
                     RC2,assured,2 Rent Row,Huddersfield,HD1 4DY,2025-04-01,103.85,monthly,bank_transfer,Bob Two,HD-CENTRAL\n\
                     RC3,secure,3 Rent Row,Huddersfield,HD1 4DY,2025-04-01,103.85,monthly,bank_transfer,Cat Three,HD-CENTRAL\n";
    let b = app.import("tenancies", tenancies.as_bytes().to_vec()).await;
    assert_eq!(b["status"], "succeeded", "{b}");
    let mut rents =
        String::from("tenancy_reference,effective_from,rent_period,rent,service_charge\n");
    let mut ledger =
        String::from("external_ref,tenancy_reference,posted_on,kind,amount,method,description\n");
    for r in ["RC1", "RC2", "RC3"] {
        rents.push_str(&format!(
            "{r},2025-04-01,monthly,420.00,30.00\n{r},2026-04-01,monthly,490.00,30.00\n"
        ));
        // £1,000 unpaid by 30 March: £100 brought forward and February's and March's rent.
        for (n, (date, amount)) in [
            ("2026-01-05", "100.00"),
            ("2026-02-01", "450.00"),
            ("2026-03-01", "450.00"),
            ("2026-04-01", "520.00"),
        ]
        .into_iter()
        .enumerate()
        {
            ledger.push_str(&format!("{r}-D{n},{r},{date},rent_debit,{amount},,rent\n"));
        }
    }
    let b = app.import("rent_changes", rents.clone().into_bytes()).await;
    assert_eq!(
        (b["status"].as_str(), b["rows_written"].as_i64()),
        (Some("succeeded"), Some(6)),
        "{b}"
    );
    // The same file again changes nothing.
    let again = app.import("rent_changes", rents.into_bytes()).await;
    assert_eq!(
        (
            again["rows_written"].as_i64(),
            again["rows_unchanged"].as_i64()
        ),
        (Some(0), Some(6)),
        "{again}"
    );
    let b = app.import("transactions", ledger.into_bytes()).await;
    assert_eq!(b["status"], "succeeded", "{b}");
    // Today's figures come from the row in force today: £520 a month = £120.00 a week.
    let rc1 = tenancy::Entity::find()
        .filter(tenancy::Column::Reference.eq("RC1"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            rc1.weekly_rent_pence,
            rc1.weekly_service_charge_pence,
            rc1.rent_period.as_str()
        ),
        (11_308, 692, "monthly")
    );

    // Weeks in arrears on a day, on the rent of that day.
    for (as_of, weekly, owed, weeks) in [
        ("2026-03-30", 10_385, 100_000, "9.63"), // £1,000 ÷ £103.85 (£450 × 12 ÷ 52)
        ("2026-04-10", 12_000, 152_000, "12.67"), // £1,520 ÷ £120.00
    ] {
        let a: Value = app.account("RC1", as_of).await.json().await.unwrap();
        assert_eq!(
            (
                a["weekly_charge_pence"].as_i64(),
                a["real_arrears_pence"].as_i64(),
                a["weeks_in_arrears"].as_str()
            ),
            (Some(weekly), Some(owed), Some(weeks)),
            "{as_of}: {a}"
        );
    }
    let central = sign_in(app, "central@council.example").await;
    let line = on_caseload(app, &central, "RC1")
        .await
        .expect("RC1 on the caseload");
    assert_eq!(line["weeks_in_arrears"], "12.67", "{line}");

    // Through the officer API, 11 days after service.
    let rc1_id = tenancy_id(app, "RC1").await;
    protocol_steps_for_a_notice(app, &central, rc1_id).await;
    let (s, r) = post(
        app,
        &format!("/officer/v1/accounts/{rc1_id}/steps"),
        &central,
        json!({"step": "notice_served", "sent_on": "2026-03-30", "sent_time": "10:00", "service_method": "hand"}),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    let g = &r["notice"]["ground_8"];
    assert_eq!(
        (
            g["available"].as_bool(),
            g["counted_pence"].as_i64(),
            g["threshold_pence"].as_i64(),
            g["threshold_months"].as_i64(),
            g["measured_on"].as_str()
        ),
        (
            Some(true),
            Some(100_000),
            Some(90_000),
            Some(2),
            Some("2026-03-30")
        ),
        "{r}"
    );
    assert!(
        g["reason"].as_str().unwrap().contains("2 months' rent"),
        "{r}"
    );

    // Through the stages import, at the step's own date: the same figure.
    let stages = [
        "contact_made",
        "affordable_payments_offered",
        "rent_statement_sent",
        "benefit_help_offered",
        "vulnerability_considered",
    ]
    .iter()
    .enumerate()
    .map(|(i, s)| {
        format!("RC2-P{i},RC2,2026-03-2{i} 10:00,protocol,central@council.example,{s},,,\n")
    })
    .collect::<String>();
    let stages = format!(
        "external_ref,tenancy_reference,occurred_at,step,officer,protocol_step,sent_on,service_method,sent_time\n\
         {stages}RC2-N,RC2,2026-03-30 10:00,notice_served,central@council.example,,2026-03-30,hand,10:00\n"
    );
    let b = app.import("stages", stages.into_bytes()).await;
    assert_eq!(b["status"], "succeeded", "{b}");
    let rc2_id = tenancy_id(app, "RC2").await;
    let (_, n) = get(
        app,
        &format!("/officer/v1/accounts/{rc2_id}/next-step"),
        &central,
    )
    .await;
    let g2 = &n["notice"]["ground_8"];
    for field in [
        "available",
        "counted_pence",
        "threshold_pence",
        "threshold_months",
        "measured_on",
        "reason",
    ] {
        assert_eq!(g2[field], g[field], "{field}: {n}");
    }

    // A secure monthly tenancy (periods from the 1st): the NOSP served 30 March is dated the
    // last day of the first full month after service, 30 April (a weekly rule gave Monday 27).
    let rc3_id = tenancy_id(app, "RC3").await;
    protocol_steps_for_a_notice(app, &central, rc3_id).await;
    let (s, r) = post(
        app,
        &format!("/officer/v1/accounts/{rc3_id}/steps"),
        &central,
        json!({"step": "notice_served", "sent_on": "2026-03-30", "sent_time": "10:00", "service_method": "hand"}),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(
        (
            r["notice"]["date_specified"].as_str(),
            r["notice"]["earliest_proceedings"].as_str()
        ),
        (Some("2026-04-30"), Some("2026-05-01")),
        "{r}"
    );
    t.app.stop().await;
}

/// The rent history import names every bad cell by line and column, and writes nothing.
#[tokio::test]
async fn a_bad_rent_history_file_names_each_bad_cell_and_writes_nothing() {
    let t = team().await;
    let app = &t.app;
    let bad = app
        .import(
            "rent_changes",
            crate::helpers::example("rent_changes-bad.csv"),
        )
        .await;
    assert_eq!(bad["status"], "rejected", "{bad}");
    let mut errors: Vec<(i64, String)> = bad["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_i64().unwrap(),
                e["column"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    errors.sort();
    assert_eq!(
        errors,
        [
            (2, "tenancy_reference".to_owned()),
            (3, "effective_from".to_owned()),
            (4, "rent_period".to_owned()),
            (5, "rent".to_owned()),
            (7, "effective_from".to_owned()),
            (8, "rent".to_owned()),
        ],
        "{bad}"
    );
    assert_eq!(
        rentdesk_store::entities::rent_change::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .len(),
        0
    );
    let good = app
        .import("rent_changes", crate::helpers::example("rent_changes.csv"))
        .await;
    assert_eq!(good["status"], "succeeded", "{good}");
    t.app.stop().await;
}

/// Issue 16: a rent change dated in the future takes effect on its own day. HD1001's weekly
/// rent of £98.50 (2026/27) rises to £102.40 on Monday 5 April 2027, and HD1003 moves to a
/// monthly rent of £500.00 + £20.00 service charge from Thursday 1 April 2027 (£120.00 a week:
/// £520 × 12 ÷ 52), both imported on Wednesday 31 March 2027. Every account view reads the rent
/// in force on the day (the officer's and the tenant's, with the rent period and the rent per
/// period as charged); the tenancy's stored current figures follow at the first nightly
/// evaluation on or after the change, and a second evaluation writes nothing.
#[tokio::test]
async fn a_future_rent_change_takes_effect_on_its_day_in_the_views_and_at_the_nightly_evaluation() {
    use rentdesk_store::entities::tenancy;
    let t = team().await;
    let app = &t.app;
    let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
    app.travel_to(mid_morning(day(2027, 3, 31)));
    let mut rents = String::from_utf8(crate::helpers::example("rent_changes.csv")).unwrap();
    rents
        .push_str("HD1001,2027-04-05,weekly,102.40,0.00\nHD1003,2027-04-01,monthly,500.00,20.00\n");
    let b = app.import("rent_changes", rents.into_bytes()).await;
    assert_eq!(b["status"], "succeeded", "{b}");
    let row = |reference: &'static str| async move {
        tenancy::Entity::find()
            .filter(tenancy::Column::Reference.eq(reference))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
    };
    let figures = |t: &tenancy::Model| {
        (
            t.weekly_rent_pence,
            t.weekly_service_charge_pence,
            t.rent_period.clone(),
        )
    };
    assert_eq!(figures(&row("HD1001").await), (9_850, 0, "weekly".into()));
    assert_eq!(figures(&row("HD1003").await), (11_200, 0, "weekly".into()));

    let north = sign_in(app, "north@council.example").await;
    let central = sign_in(app, "central@council.example").await;
    let hd1001 = tenancy_id(app, "HD1001").await;
    let hd1003 = tenancy_id(app, "HD1003").await;
    let officer_view = |id: i64, token: String| async move {
        let (s, a) = get(app, &format!("/officer/v1/accounts/{id}"), &token).await;
        assert_eq!(s, 200, "{a}");
        let s = &a["summary"];
        (
            s["rent_period"].as_str().unwrap().to_owned(),
            s["rent_per_period_pence"].as_i64().unwrap(),
            s["rent_since"].as_str().map(str::to_owned),
            s["weekly_charge_pence"].as_i64().unwrap(),
        )
    };
    let tenant_view = || async {
        let token = crate::helpers::tenant_token(app, "HD1001", "1971-03-14").await;
        let (s, a) = call(
            app,
            reqwest::Method::GET,
            "/tenant/v1/account",
            Some(&token),
            None,
        )
        .await;
        assert_eq!(s, 200, "{a}");
        (
            a["rent_period"].as_str().unwrap().to_owned(),
            a["rent_per_period_pence"].as_i64().unwrap(),
            a["weekly_rent_pence"].as_i64().unwrap(),
        )
    };
    let since = |d: &str| Some(d.to_owned());
    // Wednesday 31 March: the 2026/27 rents.
    assert_eq!(
        officer_view(hd1001, north.clone()).await,
        ("weekly".into(), 9_850, since("2026-04-06"), 9_850)
    );
    assert_eq!(tenant_view().await, ("weekly".into(), 9_850, 9_850));
    assert_eq!(
        officer_view(hd1003, central.clone()).await,
        ("weekly".into(), 11_200, since("2026-04-06"), 11_200)
    );
    // The evaluation's time to the second, so the stored `updated_at` compares exactly.
    let evaluate = || async {
        use chrono::SubsecRound;
        let now = app.now().trunc_subsecs(0);
        rentdesk_store::evaluation::evaluate_all(&app.db, app.today(), now)
            .await
            .unwrap();
        now
    };
    evaluate().await;
    let before = row("HD1001").await;
    assert_eq!(figures(&before), (9_850, 0, "weekly".into()));

    // Thursday 1 April: HD1003's monthly rent is in force in its view before any evaluation.
    app.travel_to(mid_morning(day(2027, 4, 1)));
    assert_eq!(
        officer_view(hd1003, central.clone()).await,
        ("monthly".into(), 52_000, since("2027-04-01"), 12_000)
    );
    assert_eq!(figures(&row("HD1003").await), (11_200, 0, "weekly".into()));
    evaluate().await;
    // £500 × 12 ÷ 52 = £115.38; the service charge is the rest of £120.00.
    assert_eq!(
        figures(&row("HD1003").await),
        (11_538, 462, "monthly".into())
    );
    assert_eq!(figures(&row("HD1001").await), (9_850, 0, "weekly".into()));

    // Sunday 4 April, the last day of the old rent; Monday 5 April, the rise.
    app.travel_to(mid_morning(day(2027, 4, 4)));
    evaluate().await;
    assert_eq!(
        row("HD1001").await,
        before,
        "nothing written before the day"
    );
    app.travel_to(mid_morning(day(2027, 4, 5)));
    assert_eq!(
        officer_view(hd1001, north.clone()).await,
        ("weekly".into(), 10_240, since("2027-04-05"), 10_240)
    );
    assert_eq!(tenant_view().await, ("weekly".into(), 10_240, 10_240));
    let evaluated_at = evaluate().await;
    let after = row("HD1001").await;
    assert_eq!(figures(&after), (10_240, 0, "weekly".into()));
    assert_eq!(
        after.updated_at, evaluated_at,
        "synced to officers' devices"
    );
    // Idempotent: a second run the same night (or the next) writes nothing.
    app.advance_days(1);
    evaluate().await;
    assert_eq!(row("HD1001").await, after);
    t.app.stop().await;
}
