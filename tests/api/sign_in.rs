//! Sign-in abuse end to end: a token shown to the other app's endpoint changes nothing, and
//! one caller hammering a tenancy reference or a staff email cannot lock out the real person
//! signing in from somewhere else.

use crate::helpers::{PASSWORD, TestApp, call, spawn_app, staff};
use serde_json::{Value, json};

const HD1001: (&str, &str) = ("HD1001", "1971-03-14");

async fn post(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    call(app, reqwest::Method::POST, path, None, Some(body)).await
}

/// A tenant's refresh token after signing in through both steps.
async fn tenant_refresh(app: &TestApp) -> String {
    let (s, started) = post(
        app,
        "/tenant/v1/sign-in",
        json!({"reference": HD1001.0, "date_of_birth": HD1001.1}),
    )
    .await;
    assert_eq!(s, 202, "{started}");
    let challenge = started["challenge"].as_str().unwrap();
    let code = code_for(app, challenge).await;
    let (s, tokens) = post(
        app,
        "/tenant/v1/sign-in/verify",
        json!({"challenge": challenge, "code": code}),
    )
    .await;
    assert_eq!(s, 200, "{tokens}");
    tokens["refresh_token"].as_str().unwrap().to_owned()
}

/// The code in the queued sign-in text (what the tenant reads on their phone).
async fn code_for(app: &TestApp, challenge: &str) -> String {
    use rentdesk_store::entities::message;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    message::Entity::find()
        .filter(message::Column::IdempotencyKey.eq(format!("sign_in:{challenge}")))
        .one(&app.db)
        .await
        .unwrap()
        .expect("a sign-in code was queued")
        .body
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap()
        .to_owned()
}

async fn staff_refresh(app: &TestApp, email: &str) -> String {
    let (s, tokens) = post(
        app,
        "/officer/v1/sign-in",
        json!({"email": email, "password": PASSWORD}),
    )
    .await;
    assert_eq!(s, 200, "{tokens}");
    tokens["refresh_token"].as_str().unwrap().to_owned()
}

/// Refresh at `path`; the status and the new refresh token (if any).
async fn refresh(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    post(app, path, json!({"refresh_token": token})).await
}

#[tokio::test]
async fn a_refresh_token_posted_to_the_other_apps_endpoint_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    app.import_examples().await;
    staff(&app, "north@council.example", "officer").await;

    // A tenant's token at the staff endpoint: 401, and the tenant's sign-in carries on.
    let tenant = tenant_refresh(&app).await;
    let (s, p) = refresh(&app, "/officer/v1/token", &tenant).await;
    assert_eq!(s, 401, "{p}");
    assert_eq!(
        p["type"].as_str().map(|t| t.ends_with("session-ended")),
        Some(true),
        "{p}"
    );
    let (s, next) = refresh(&app, "/tenant/v1/token", &tenant).await;
    assert_eq!(s, 200, "the tenant's token still works: {next}");
    let tenant = next["refresh_token"].as_str().unwrap().to_owned();
    // Shown twice more to the wrong endpoint it is still no "replay".
    assert_eq!(refresh(&app, "/officer/v1/token", &tenant).await.0, 401);
    assert_eq!(refresh(&app, "/officer/v1/token", &tenant).await.0, 401);
    assert_eq!(refresh(&app, "/tenant/v1/token", &tenant).await.0, 200);

    // And the reverse: a staff token at the tenant endpoint.
    let officer = staff_refresh(&app, "north@council.example").await;
    let (s, p) = refresh(&app, "/tenant/v1/token", &officer).await;
    assert_eq!(s, 401, "{p}");
    assert_eq!(refresh(&app, "/tenant/v1/token", &officer).await.0, 401);
    let (s, next) = refresh(&app, "/officer/v1/token", &officer).await;
    assert_eq!(s, 200, "the officer's token still works: {next}");
    assert_eq!(
        refresh(
            &app,
            "/officer/v1/token",
            next["refresh_token"].as_str().unwrap()
        )
        .await
        .0,
        200
    );
    app.stop().await;
}
