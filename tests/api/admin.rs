//! Administrators: the first one is made by `rentdesk staff create --role admin` (the same
//! function the tests' admin comes from), and builds teams through `/manage/v1`; a team leader
//! then sees their own team only.

use crate::helpers::{ADMIN_EMAIL, PASSWORD, TestApp, call, spawn_app, staff_sign_in, tenancy_id};
use rentdesk::cli::create_staff;
use rentdesk_store::staff::Role;
use reqwest::Method;
use serde_json::{Value, json};

async fn get(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    call(app, Method::GET, path, Some(token), None).await
}

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    call(app, Method::POST, path, Some(token), Some(body)).await
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

/// The admin creates a member of staff; their id.
async fn create(app: &TestApp, admin: &str, email: &str, role: &str, team: &str) -> i64 {
    let (s, o) = post(
        app,
        "/manage/v1/officers",
        admin,
        json!({"email": email, "name": email.split('@').next(), "role": role, "team": team,
               "password": PASSWORD}),
    )
    .await;
    assert_eq!(s, 201, "{o}");
    assert_eq!(
        (o["role"].as_str(), o["team"].as_str()),
        (Some(role), Some(team))
    );
    o["id"].as_i64().unwrap()
}

fn codes(list: &Value, key: &str, field: &str) -> Vec<String> {
    let mut v: Vec<String> = list[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[field].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn an_administrator_builds_two_teams_whose_leaders_see_only_their_own() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (s, me) = get(&app, "/officer/v1/me", &admin).await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(
        (me["role"].as_str(), me["team"].as_str()),
        (Some("admin"), None)
    );
    app.import_examples().await;

    // Two teams, each with a team leader and an officer holding one patch.
    let mut teams = vec![];
    for (team, patch) in [("north", "HD-NORTH"), ("central", "HD-CENTRAL")] {
        let lead = format!("lead.{team}@council.example");
        let officer = format!("officer.{team}@council.example");
        create(&app, &admin, &lead, "team_leader", team).await;
        let officer_id = create(&app, &admin, &officer, "officer", team).await;
        let (s, p) = call(
            &app,
            Method::PATCH,
            &format!("/manage/v1/patches/{patch}"),
            Some(&admin),
            Some(json!({"officer_id": officer_id})),
        )
        .await;
        assert_eq!(s, 200, "{p}");
        teams.push((team, patch, staff_sign_in(&app, &lead).await, officer_id));
    }
    let ids = [
        ("HD1001", tenancy_id(&app, "HD1001").await),
        ("HD1003", tenancy_id(&app, "HD1003").await),
    ];

    for (i, (team, patch, lead, officer_id)) in teams.iter().enumerate() {
        let (other_team, other_patch, _, other_officer) = &teams[1 - i];
        let (own_ref, own_id) = ids[i];
        let (other_ref, other_id) = ids[1 - i];
        // Patches: their own only; the other team's cannot be changed (not found).
        let (s, r) = get(&app, "/manage/v1/patches", lead).await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(
            codes(&r, "patches", "code"),
            vec![patch.to_string()],
            "{team}"
        );
        let (s, _) = call(
            &app,
            Method::PATCH,
            &format!("/manage/v1/patches/{other_patch}"),
            Some(lead),
            Some(json!({"name": "Taken over"})),
        )
        .await;
        assert_eq!(s, 404, "{team} renames {other_patch}");
        // Officers: themselves and their own officer, never the other team's.
        let (s, r) = get(&app, "/manage/v1/officers", lead).await;
        assert_eq!(s, 200, "{r}");
        let teams_seen: Vec<String> = codes(&r, "officers", "team");
        assert!(teams_seen.iter().all(|t| t == team), "{team} sees {r}");
        let seen: Vec<i64> = r["officers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_i64().unwrap())
            .collect();
        assert!(
            seen.contains(officer_id) && !seen.contains(other_officer),
            "{r}"
        );
        let (s, _) = post(
            &app,
            &format!("/manage/v1/officers/{other_officer}/deactivate"),
            lead,
            json!({}),
        )
        .await;
        assert_eq!(s, 404, "{team} deactivates the other team's officer");
        let (s, p) = post(
            &app,
            "/manage/v1/officers",
            lead,
            json!({"email": format!("spy.{team}@council.example"), "name": "Spy",
                   "team": other_team, "password": PASSWORD}),
        )
        .await;
        assert_eq!((s, fields(&p)), (422, vec!["team".to_owned()]), "{p}");
        // Accounts: their own team's patch only (the other's do not exist for them).
        let (s, r) = get(
            &app,
            &format!("/officer/v1/accounts?reference={own_ref}"),
            lead,
        )
        .await;
        assert_eq!(
            (s, r["accounts"].as_array().unwrap().len()),
            (200, 1),
            "{r}"
        );
        let (s, r) = get(
            &app,
            &format!("/officer/v1/accounts?reference={other_ref}"),
            lead,
        )
        .await;
        assert_eq!(
            (s, r["accounts"].as_array().unwrap().len()),
            (200, 0),
            "{r}"
        );
        assert_eq!(
            get(&app, &format!("/officer/v1/accounts/{own_id}"), lead)
                .await
                .0,
            200
        );
        assert_eq!(
            get(&app, &format!("/officer/v1/accounts/{other_id}"), lead)
                .await
                .0,
            404
        );
        // Any account by reference is for administrators.
        let (s, p) = get(
            &app,
            &format!("/manage/v1/tenancies/{own_ref}/account"),
            lead,
        )
        .await;
        assert_eq!((s, p["status"].as_i64()), (403, Some(403)), "{p}");
    }
    // The administrator sees both teams.
    let (_, r) = get(&app, "/manage/v1/patches", &admin).await;
    let all = codes(&r, "patches", "code");
    assert!(all.contains(&"HD-NORTH".into()) && all.contains(&"HD-CENTRAL".into()));
    app.stop().await;
}

#[tokio::test]
async fn creating_staff_names_each_bad_field_refuses_a_taken_email_and_non_admins() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    create(&app, &admin, "lead@council.example", "team_leader", "rents").await;
    for (body, expected) in [
        (
            json!({"email": "lead@council.example", "name": "Again", "role": "officer",
                   "team": "rents", "password": PASSWORD}),
            (409, vec!["email"]),
        ),
        (
            json!({"email": "Lead@Council.Example", "name": "Again", "role": "officer",
                   "team": "rents", "password": PASSWORD}),
            (409, vec!["email"]),
        ),
        // The administrator has no team to default to.
        (
            json!({"email": "tl@council.example", "name": "TL", "role": "team_leader",
                   "password": PASSWORD}),
            (422, vec!["team"]),
        ),
        // A role outside the vocabulary fails the contract, before anything else is looked at.
        (
            json!({"email": "no-at-sign", "name": " ", "role": "boss", "team": " ",
                   "password": PASSWORD}),
            (422, vec!["role"]),
        ),
        (
            json!({"email": "no-at-sign", "name": " ", "role": "officer", "team": " ",
                   "password": PASSWORD}),
            (422, vec!["email", "name", "team"]),
        ),
        (
            json!({"email": "x@council.example", "name": "X", "team": "rents",
                   "password": "short"}),
            (422, vec!["password"]),
        ),
    ] {
        let (s, p) = post(&app, "/manage/v1/officers", &admin, body.clone()).await;
        let expected_fields: Vec<String> = expected.1.iter().map(|f| f.to_string()).collect();
        assert_eq!(
            (s, fields(&p)),
            (expected.0, expected_fields),
            "{body}: {p}"
        );
    }
    // A team leader may not make team leaders or administrators; an officer may make nobody.
    let lead = staff_sign_in(&app, "lead@council.example").await;
    let (s, p) = post(
        &app,
        "/manage/v1/officers",
        &lead,
        json!({"email": "boss@council.example", "name": "Boss", "role": "admin",
               "password": PASSWORD}),
    )
    .await;
    assert_eq!((s, fields(&p)), (422, vec!["role".to_owned()]), "{p}");
    create(&app, &admin, "officer@council.example", "officer", "rents").await;
    let officer = staff_sign_in(&app, "officer@council.example").await;
    let (s, p) = post(
        &app,
        "/manage/v1/officers",
        &officer,
        json!({"email": "o2@council.example", "name": "O2", "team": "rents",
               "password": PASSWORD}),
    )
    .await;
    assert_eq!(s, 403, "{p}");
    app.stop().await;
}

#[tokio::test]
async fn the_staff_create_command_checks_its_arguments_and_prints_a_generated_password_once() {
    let app = spawn_app().await;
    let err = |r: anyhow::Result<_>| format!("{:#}", r.expect_err("refused"));
    let e = err(create_staff(
        &app.db,
        Role::Admin,
        "nobody",
        " ",
        Some("x"),
        Some("short".into()),
    )
    .await);
    for arg in ["--email", "--name", "--team", "RENTDESK_STAFF_PASSWORD"] {
        assert!(e.contains(arg), "{arg} named in {e}");
    }
    let e = err(create_staff(
        &app.db,
        Role::TeamLeader,
        "tl@council.example",
        "TL",
        None,
        None,
    )
    .await);
    assert!(e.contains("--team: required"), "{e}");

    // No password given: one is generated, shown once, and signs in.
    let made = create_staff(
        &app.db,
        Role::Admin,
        "First.Admin@council.example",
        "First",
        None,
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        (
            made.staff.role.as_str(),
            made.staff.email.as_str(),
            made.staff.team.as_deref()
        ),
        ("admin", "first.admin@council.example", None)
    );
    let password = made.generated_password.expect("generated");
    assert!(password.len() >= 24, "{password}");
    let (s, t) = call(
        &app,
        Method::POST,
        "/officer/v1/sign-in",
        None,
        Some(json!({"email": "first.admin@council.example", "password": password})),
    )
    .await;
    assert_eq!(s, 200, "{t}");
    // A given password is used as given and never echoed back.
    let made = create_staff(
        &app.db,
        Role::Admin,
        ADMIN_EMAIL,
        "Second",
        None,
        Some(PASSWORD.into()),
    )
    .await
    .unwrap();
    assert!(made.generated_password.is_none());
    staff_sign_in(&app, ADMIN_EMAIL).await;
    // The same email again (any case) is refused.
    let e = err(create_staff(
        &app.db,
        Role::Admin,
        "FIRST.admin@council.example",
        "Again",
        None,
        None,
    )
    .await);
    assert!(e.contains("--email: already used"), "{e}");
    app.stop().await;
}
