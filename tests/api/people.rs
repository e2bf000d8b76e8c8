//! Patches and people under `/manage/v1`: caseloads and overdue tasks per officer, creating
//! patches and staff, cover and bulk reassignment (and that they change what officers see),
//! and that a team leader of another team reaches none of it.

use crate::helpers::{TestApp, call, spawn_app, staff, staff_sign_in, tenancy_id};
use chrono::Duration;
use rentdesk_store::entities::{audit_entry, patch, staff_user, task, tenancy};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

struct Team {
    app: TestApp,
    north: i64,
    central: i64,
    admin: i64,
}

/// The examples, north@ holding HD-NORTH (HD1001, HD1002), central@ HD-CENTRAL (HD1003);
/// HD-EAST (HD1004) has no officer. lead@ leads team "income"; elsewhere@ leads another team.
async fn team() -> Team {
    let app = spawn_app().await;
    app.import_examples().await;
    let north = staff(&app, "north@council.example", "officer").await;
    let central = staff(&app, "central@council.example", "officer").await;
    staff(&app, "lead@council.example", "team_leader").await;
    let admin = staff(&app, "admin@council.example", "admin").await;
    let elsewhere = staff(&app, "elsewhere@council.example", "team_leader").await;
    staff_user::Entity::update_many()
        .col_expr(staff_user::Column::Team, Expr::value("another team"))
        .filter(staff_user::Column::Id.eq(elsewhere))
        .exec(&app.db)
        .await
        .unwrap();
    for (code, officer) in [("HD-NORTH", north), ("HD-CENTRAL", central)] {
        patch::Entity::update_many()
            .col_expr(patch::Column::OfficerId, Expr::value(officer))
            .filter(patch::Column::Code.eq(code))
            .exec(&app.db)
            .await
            .unwrap();
    }
    // The import's own evaluation runs in the background; this one is certain to be done.
    rentdesk_store::evaluation::evaluate_all(&app.db, crate::helpers::real_today(), app.now())
        .await
        .unwrap();
    Team {
        app,
        north,
        central,
        admin,
    }
}

async fn get(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    call(app, reqwest::Method::GET, path, Some(token), None).await
}

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    call(app, reqwest::Method::POST, path, Some(token), Some(body)).await
}

async fn patch_req(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    call(app, reqwest::Method::PATCH, path, Some(token), Some(body)).await
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

/// Can the officer find the account by reference (their patches and cover only)?
async fn finds(app: &TestApp, token: &str, reference: &str) -> bool {
    let (s, r) = get(
        app,
        &format!("/officer/v1/accounts?reference={reference}"),
        token,
    )
    .await;
    assert_eq!(s, 200, "{r}");
    !r["accounts"].as_array().unwrap().is_empty()
}

async fn my_patches(app: &TestApp, token: &str) -> Value {
    get(app, "/officer/v1/me", token).await.1["patches"].clone()
}

async fn audited(app: &TestApp) -> Vec<String> {
    audit_entry::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect()
}

#[tokio::test]
async fn people_lists_show_caseloads_arrears_and_overdue_tasks() {
    let t = team().await;
    let app = &t.app;
    let today = crate::helpers::real_today();
    let hd1003 = tenancy_id(app, "HD1003").await;
    use rentdesk_store::vocab::TaskStatus;
    for (due, status) in [
        (-1, TaskStatus::Open),
        (1, TaskStatus::Open),
        (-2, TaskStatus::Done),
    ] {
        task::ActiveModel {
            tenancy_id: Set(hd1003),
            kind: Set("reply".into()),
            title: Set("Call back".into()),
            detail: Set(String::new()),
            due_on: Set(today + Duration::days(due)),
            status: Set(status.into()),
            created_at: Set(chrono::Utc::now()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    let lead = staff_sign_in(app, "lead@council.example").await;
    let (s, r) = get(app, "/manage/v1/patches", &lead).await;
    assert_eq!(s, 200, "{r}");
    // HD-EAST has no officer: not this team's. HD1001 owes £98.50, HD1002 £171.40; HD1003 is
    // in credit.
    let got: Vec<(String, Value, u64, u64)> = r["patches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["code"].as_str().unwrap().to_owned(),
                p["officer"]["id"].clone(),
                p["accounts"].as_u64().unwrap(),
                p["accounts_in_arrears"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("HD-CENTRAL".to_owned(), json!(t.central), 1, 0),
            ("HD-NORTH".to_owned(), json!(t.north), 2, 2),
        ]
    );
    let (s, r) = get(app, "/manage/v1/officers", &lead).await;
    assert_eq!(s, 200, "{r}");
    let officers = r["officers"].as_array().unwrap();
    // The lead and the team's two officers; not the admin, not the other team.
    let mut emails: Vec<&str> = officers
        .iter()
        .map(|o| o["email"].as_str().unwrap())
        .collect();
    emails.sort();
    assert_eq!(
        emails,
        [
            "central@council.example",
            "lead@council.example",
            "north@council.example"
        ]
    );
    let central = officers.iter().find(|o| o["id"] == t.central).unwrap();
    assert_eq!(central["patches"], json!(["HD-CENTRAL"]));
    assert_eq!(central["caseload"], 1);
    assert_eq!(central["accounts_in_arrears"], 0);
    // Two open tasks on HD1003, one of them due yesterday; the done one doesn't count.
    assert_eq!(
        (
            central["open_tasks"].as_u64(),
            central["overdue_tasks"].as_u64()
        ),
        (Some(2), Some(1))
    );
    let north = officers.iter().find(|o| o["id"] == t.north).unwrap();
    assert_eq!(
        (
            north["caseload"].as_u64(),
            north["accounts_in_arrears"].as_u64()
        ),
        (Some(2), Some(2))
    );

    // The admin sees every patch, HD-EAST included.
    let admin = staff_sign_in(app, "admin@council.example").await;
    let (_, r) = get(app, "/manage/v1/patches", &admin).await;
    let codes: Vec<&str> = r["patches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["HD-CENTRAL", "HD-EAST", "HD-NORTH"]);

    // An officer may not manage; another team's leader sees nothing of this team.
    let officer = staff_sign_in(app, "north@council.example").await;
    let (s, _) = get(app, "/manage/v1/patches", &officer).await;
    assert_eq!(s, 403);
    let (s, _) = get(app, "/manage/v1/officers", &officer).await;
    assert_eq!(s, 403);
    let elsewhere = staff_sign_in(app, "elsewhere@council.example").await;
    let (_, r) = get(app, "/manage/v1/patches", &elsewhere).await;
    assert_eq!(r["patches"], json!([]));
    let (_, r) = get(app, "/manage/v1/officers", &elsewhere).await;
    let emails: Vec<&str> = r["officers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["elsewhere@council.example"]);
    let (s, _) = patch_req(
        app,
        "/manage/v1/patches/HD-NORTH",
        &elsewhere,
        json!({"name": "Mine"}),
    )
    .await;
    assert_eq!(s, 404);
    let (s, body) = post(
        app,
        "/manage/v1/covers",
        &elsewhere,
        json!({"patch_code": "HD-NORTH", "officer_id": t.central,
               "starts_on": today.to_string(), "ends_on": today.to_string()}),
    )
    .await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(fields(&body), ["officer_id", "patch_code"]);
    let (s, body) = post(
        app,
        "/manage/v1/reassignments",
        &elsewhere,
        json!({"tenancies": ["HD1001"], "to_patch_code": "HD-CENTRAL"}),
    )
    .await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(fields(&body), ["tenancies[0]", "to_patch_code"]);
    let (s, _) = post(
        app,
        &format!("/manage/v1/officers/{}/deactivate", t.north),
        &elsewhere,
        json!({}),
    )
    .await;
    assert_eq!(s, 404);
    t.app.stop().await;
}

#[tokio::test]
async fn cover_and_bulk_reassignment_change_what_officers_see() {
    let t = team().await;
    let app = &t.app;
    let today = crate::helpers::real_today();
    let lead = staff_sign_in(app, "lead@council.example").await;
    let north = staff_sign_in(app, "north@council.example").await;
    let central = staff_sign_in(app, "central@council.example").await;
    assert!(!finds(app, &central, "HD1001").await);
    assert_eq!(my_patches(app, &central).await, json!(["HD-CENTRAL"]));

    // Cover: central looks after HD-NORTH this week.
    let (s, c) = post(
        app,
        "/manage/v1/covers",
        &lead,
        json!({"patch_code": "HD-NORTH", "officer_id": t.central,
               "starts_on": (today - Duration::days(1)).to_string(),
               "ends_on": (today + Duration::days(6)).to_string()}),
    )
    .await;
    assert_eq!(s, 201, "{c}");
    assert_eq!(c["officer"]["id"], t.central);
    assert!(finds(app, &central, "HD1001").await);
    let mut seen: Vec<String> = serde_json::from_value(my_patches(app, &central).await).unwrap();
    seen.sort();
    assert_eq!(seen, ["HD-CENTRAL", "HD-NORTH"]);
    let (_, r) = get(app, "/manage/v1/officers", &lead).await;
    let row = r["officers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == t.central)
        .unwrap()
        .clone();
    assert_eq!(row["covering"], json!(["HD-NORTH"]));
    assert_eq!(row["caseload"], 3);
    let (_, r) = get(app, "/manage/v1/patches", &lead).await;
    let north_patch = r["patches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "HD-NORTH")
        .unwrap()
        .clone();
    assert_eq!(north_patch["covers"][0]["officer"]["id"], t.central);
    // Bad cover: dates the wrong way round, an unknown officer (the admin can't hold a patch).
    let (s, body) = post(
        app,
        "/manage/v1/covers",
        &lead,
        json!({"patch_code": "HD-NORTH", "officer_id": t.admin,
               "starts_on": today.to_string(), "ends_on": (today - Duration::days(1)).to_string()}),
    )
    .await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(fields(&body), ["ends_on", "officer_id"]);

    // Bulk: any bad item and nothing moves; each bad item is named.
    let (s, body) = post(
        app,
        "/manage/v1/reassignments",
        &lead,
        json!({"patches": ["HD-NORTH", "HD-EAST"], "tenancies": ["HD1002", "NOPE"],
               "to_officer_id": t.central, "to_patch_code": "HD-CENTRAL"}),
    )
    .await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(fields(&body), ["patches[1]", "tenancies[1]"]);
    let north_row = patch::Entity::find()
        .filter(patch::Column::Code.eq("HD-NORTH"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(north_row.officer_id, Some(t.north), "nothing moved");
    let hd1002 = tenancy::Entity::find_by_id(tenancy_id(app, "HD1002").await)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hd1002.patch_id, Some(north_row.id), "nothing moved");

    // A tenancy moves to HD-CENTRAL: north no longer finds it.
    let (s, r) = post(
        app,
        "/manage/v1/reassignments",
        &lead,
        json!({"tenancies": ["HD1002"], "to_patch_code": "HD-CENTRAL"}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r, json!({"patches_moved": 0, "tenancies_moved": 1}));
    assert!(!finds(app, &north, "HD1002").await);
    assert!(finds(app, &north, "HD1001").await);
    // The whole of HD-NORTH goes to central: north sees nothing.
    let (s, r) = post(
        app,
        "/manage/v1/reassignments",
        &lead,
        json!({"patches": ["HD-NORTH"], "to_officer_id": t.central}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["patches_moved"], 1);
    assert_eq!(my_patches(app, &north).await, json!([]));
    assert!(!finds(app, &north, "HD1001").await);
    assert!(finds(app, &central, "HD1002").await);
    let actions = audited(app).await;
    for a in ["cover.set", "tenancy.reassigned", "patch.reassigned"] {
        assert!(actions.iter().any(|x| x == a), "{a} audited: {actions:?}");
    }
    t.app.stop().await;
}

#[tokio::test]
async fn patches_and_staff_are_created_renamed_and_deactivated() {
    let t = team().await;
    let app = &t.app;
    let lead = staff_sign_in(app, "lead@council.example").await;
    let (s, p) = post(
        app,
        "/manage/v1/patches",
        &lead,
        json!({"code": "HD-WEST", "name": "West", "officer_id": t.north}),
    )
    .await;
    assert_eq!(s, 201, "{p}");
    assert_eq!(p["officer"]["id"], t.north);
    let (s, body) = post(
        app,
        "/manage/v1/patches",
        &lead,
        json!({"code": "HD-WEST", "name": "West again", "officer_id": t.north}),
    )
    .await;
    assert_eq!(s, 409, "{body}");
    assert_eq!(fields(&body), ["code"]);
    // A team leader's patch must belong to one of their officers.
    let (s, body) = post(
        app,
        "/manage/v1/patches",
        &lead,
        json!({"code": "HD-SOUTH", "name": "South"}),
    )
    .await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(fields(&body), ["officer_id"]);
    let (s, p) = patch_req(
        app,
        "/manage/v1/patches/HD-WEST",
        &lead,
        json!({"name": "Huddersfield West"}),
    )
    .await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["name"], "Huddersfield West");

    // A new officer in the lead's team, who can sign in at once.
    let (s, o) = post(
        app,
        "/manage/v1/officers",
        &lead,
        json!({"email": "New.Officer@council.example", "name": "New Officer",
               "password": crate::helpers::PASSWORD}),
    )
    .await;
    assert_eq!(s, 201, "{o}");
    assert_eq!(
        (o["email"].as_str(), o["role"].as_str(), o["team"].as_str()),
        (
            Some("new.officer@council.example"),
            Some("officer"),
            Some("income")
        )
    );
    let new_id = o["id"].as_i64().unwrap();
    let stored = staff_user::Entity::find_by_id(new_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.password_hash.unwrap().starts_with("$argon2id$"));
    let new_token = staff_sign_in(app, "new.officer@council.example").await;
    for (body, expected) in [
        (
            json!({"email": "new.officer@council.example", "name": "Again", "password": "another long password"}),
            (409, vec!["email"]),
        ),
        (
            json!({"email": "tl@council.example", "name": "TL", "role": "team_leader", "password": "another long password"}),
            (422, vec!["role"]),
        ),
        (
            json!({"email": "x@council.example", "name": "X", "team": "another team", "password": "another long password"}),
            (422, vec!["team"]),
        ),
        // A role outside the vocabulary fails the contract before anything else is checked.
        (
            json!({"email": "nobody", "name": "X", "role": "boss", "password": "another long password"}),
            (422, vec!["role"]),
        ),
        (
            json!({"email": "nobody", "name": "X", "role": "officer", "password": "another long password"}),
            (422, vec!["email"]),
        ),
    ] {
        let (s, p) = post(app, "/manage/v1/officers", &lead, body.clone()).await;
        assert_eq!(
            (s, fields(&p)),
            (
                expected.0,
                expected.1.iter().map(|f| f.to_string()).collect()
            ),
            "{body}: {p}"
        );
    }
    // The new officer takes HD-WEST, then leaves: their sign-in stops at once.
    let (s, p) = patch_req(
        app,
        "/manage/v1/patches/HD-WEST",
        &lead,
        json!({"officer_id": new_id}),
    )
    .await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["officer"]["id"], new_id);
    assert_eq!(my_patches(app, &new_token).await, json!(["HD-WEST"]));
    let (s, d) = post(
        app,
        &format!("/manage/v1/officers/{new_id}/deactivate"),
        &lead,
        json!({}),
    )
    .await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(
        (d["active"].as_bool(), d["patches"].clone()),
        (Some(false), json!(["HD-WEST"]))
    );
    let (s, _) = get(app, "/officer/v1/me", &new_token).await;
    assert_eq!(s, 401);
    // Not yourself; not an admin (a team leader doesn't manage admins).
    let lead_id = staff_user::Entity::find()
        .filter(staff_user::Column::Email.eq("lead@council.example"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let (s, _) = post(
        app,
        &format!("/manage/v1/officers/{lead_id}/deactivate"),
        &lead,
        json!({}),
    )
    .await;
    assert_eq!(s, 409);
    let (s, _) = post(
        app,
        &format!("/manage/v1/officers/{}/deactivate", t.admin),
        &lead,
        json!({}),
    )
    .await;
    assert_eq!(s, 404);
    // An admin creates a team leader for another team, and a patch with no officer yet.
    let admin = staff_sign_in(app, "admin@council.example").await;
    let (s, o) = post(
        app,
        "/manage/v1/officers",
        &admin,
        json!({"email": "lead2@council.example", "name": "Lead Two", "role": "team_leader",
               "team": "rents", "password": "another long password"}),
    )
    .await;
    assert_eq!(s, 201, "{o}");
    assert_eq!(
        (o["role"].as_str(), o["team"].as_str()),
        (Some("team_leader"), Some("rents"))
    );
    let (s, _) = post(
        app,
        "/manage/v1/patches",
        &admin,
        json!({"code": "HD-SOUTH", "name": "South"}),
    )
    .await;
    assert_eq!(s, 201);
    let actions = audited(app).await;
    for a in [
        "patch.created",
        "patch.updated",
        "staff.created",
        "staff.deactivated",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} audited: {actions:?}");
    }
    t.app.stop().await;
}
