//! Sign-in abuse end to end: a token shown to the other app's endpoint changes nothing, and
//! one caller hammering a tenancy reference or a staff email cannot lock out the real person
//! signing in from somewhere else.

use crate::helpers::{PASSWORD, TestApp, call, spawn_app, spawn_app_with, staff};
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

/// A client whose requests come from `ip` (any 127.x.y.z reaches the app on loopback): how
/// the tests put the attacker and the real person at different addresses.
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(Some(ip.parse().unwrap()))
        .build()
        .unwrap()
}

const ATTACKER: &str = "127.0.0.2";

async fn post_from(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let resp = client.post(app.url(path)).json(&body).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Audit entries with this action: (subject, client address).
async fn audited(app: &TestApp, action: &str) -> Vec<(Option<String>, Option<String>)> {
    use rentdesk_store::entities::audit_entry;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq(action))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.subject_id, a.client_addr))
        .collect()
}

#[tokio::test]
async fn someone_guessing_a_tenants_date_of_birth_elsewhere_does_not_stop_the_tenant_signing_in() {
    use rentdesk_store::entities::sign_in_start;
    use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
    let app = spawn_app().await;
    app.import_examples().await;
    let attacker = client_from(ATTACKER);
    let guess = |dob: &str| json!({"reference": HD1001.0, "date_of_birth": dob});
    for day in 1..=5 {
        let (s, _) = post_from(
            &attacker,
            &app,
            "/tenant/v1/sign-in",
            guess(&format!("1980-01-0{day}")),
        )
        .await;
        assert_eq!(s, 202);
    }
    // The attacker is held back, whatever they try, even the right date of birth, and a
    // forwarded-for header naming another address changes nothing (no proxy is trusted).
    let (s, p) = post_from(&attacker, &app, "/tenant/v1/sign-in", guess("1980-01-06")).await;
    assert_eq!(s, 429, "{p}");
    assert_eq!(p["detail"], "try again in 1 minute");
    let (s, _) = post_from(&attacker, &app, "/tenant/v1/sign-in", guess(HD1001.1)).await;
    assert_eq!(s, 429);
    let spoofed = attacker
        .post(app.url("/tenant/v1/sign-in"))
        .header("X-Forwarded-For", "198.51.100.7")
        .json(&guess("1980-01-07"))
        .send()
        .await
        .unwrap();
    assert_eq!(spoofed.status(), 429);

    // The tenant, at home, signs in as if nothing had happened.
    tenant_refresh(&app).await;

    // The attacker's wait doubles with each try they are let through.
    for row in sign_in_start::Entity::find()
        .filter(sign_in_start::Column::ClientAddr.eq(ATTACKER))
        .all(&app.db)
        .await
        .unwrap()
    {
        let at = row.at - chrono::Duration::seconds(90);
        let mut row: sign_in_start::ActiveModel = row.into();
        row.at = Set(at);
        row.update(&app.db).await.unwrap();
    }
    let (s, _) = post_from(&attacker, &app, "/tenant/v1/sign-in", guess("1980-01-08")).await;
    assert_eq!(s, 202, "a minute has passed");
    let (s, p) = post_from(&attacker, &app, "/tenant/v1/sign-in", guess("1980-01-09")).await;
    assert_eq!(
        (s, p["detail"].as_str()),
        (429, Some("try again in 2 minutes"))
    );
    let limited = audited(&app, "sign_in.rate_limited").await;
    assert!(!limited.is_empty());
    assert!(
        limited
            .iter()
            .all(|(r, a)| r.as_deref() == Some("HD1001") && a.as_deref() == Some(ATTACKER)),
        "{limited:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn someone_guessing_a_staff_password_elsewhere_is_locked_out_alone_and_it_is_audited() {
    let app = spawn_app().await;
    staff(&app, "north@council.example", "officer").await;
    let attacker = client_from(ATTACKER);
    let guess = |password: &str| json!({"email": "north@council.example", "password": password});
    for n in 0..10 {
        let (s, _) = post_from(
            &attacker,
            &app,
            "/officer/v1/sign-in",
            guess(&format!("guess {n}")),
        )
        .await;
        assert_eq!(s, 401);
    }
    // Locked out from there, even with the right password...
    let (s, p) = post_from(&attacker, &app, "/officer/v1/sign-in", guess(PASSWORD)).await;
    assert_eq!(s, 429, "{p}");
    let locked = audited(&app, "staff.sign_in.locked").await;
    assert_eq!(
        locked,
        vec![(
            Some("north@council.example".to_owned()),
            Some(ATTACKER.to_owned())
        )]
    );
    // ...while the officer signs in from their own address, and their refresh works.
    let refresh_token = staff_refresh(&app, "north@council.example").await;
    assert_eq!(
        refresh(&app, "/officer/v1/token", &refresh_token).await.0,
        200
    );
    // The attacker is still held back.
    let (s, _) = post_from(&attacker, &app, "/officer/v1/sign-in", guess("another")).await;
    assert_eq!(s, 429);
    assert_eq!(
        audited(&app, "staff.sign_in.rate_limited").await.len(),
        2,
        "each refused try is audited"
    );
    app.stop().await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_address_is_what_is_limited() {
    let app = spawn_app_with(&[("TRUSTED_PROXIES", "127.0.0.1, 10.0.0.9")]).await;
    app.import_examples().await;
    let start = |forwarded_for: &'static str, dob: &str| {
        app.client
            .post(app.url("/tenant/v1/sign-in"))
            .header("X-Forwarded-For", forwarded_for)
            .json(&json!({"reference": HD1001.0, "date_of_birth": dob}))
            .send()
    };
    // The client wrote the leftmost entry itself; the trusted proxy 10.0.0.9 saw 203.0.113.9.
    for day in 1..=5 {
        let r = start(
            "198.51.100.1, 203.0.113.9, 10.0.0.9",
            &format!("1980-01-0{day}"),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 202);
    }
    let r = start("192.0.2.55, 203.0.113.9", "1980-01-06")
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        429,
        "a made-up leftmost entry does not get round it"
    );
    let r = start("198.51.100.20", HD1001.1).await.unwrap();
    assert_eq!(
        r.status(),
        202,
        "the tenant behind the same proxy gets a code"
    );
    assert_eq!(
        audited(&app, "sign_in.rate_limited").await,
        vec![(Some("HD1001".to_owned()), Some("203.0.113.9".to_owned()))]
    );
    app.stop().await;
}
