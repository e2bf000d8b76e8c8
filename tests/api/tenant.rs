//! The tenant app API end to end: sign-in by text code, tokens, the account, statement and
//! next steps, self-service plans, reports, preferences, devices, the inbox — and that one
//! tenant's token reaches nothing of another's.

use crate::helpers::{TOKEN_SIGNING_KEY, TestApp, spawn_app, spawn_app_with};
use chrono::{Duration, NaiveDate};
use rentdesk_domain::calendar::monday_on_or_before;
use rentdesk_store::entities::{
    arrangement, audit_entry, message, patch, sign_in_code, staff_user, task, tenancy, uc_claim,
};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::{Value, json};

const AMY: (&str, &str) = ("HD2001", "1985-02-03");
const BEN: (&str, &str) = ("HD2002", "1979-08-21");

fn today() -> NaiveDate {
    crate::helpers::real_today()
}

/// Two tenancies on patch HD-NORTH: Amy (£100/week, 8 weeks charged, 3 paid: £500 real
/// arrears) and Ben (£90/week, 4 weeks charged, all paid).
async fn fixture() -> TestApp {
    let app = spawn_app().await;
    load(&app).await;
    app
}

async fn load(app: &TestApp) {
    let header = "reference,tenure,status,address_line1,address_line2,town,postcode,latitude,longitude,patch,start_date,end_date,weekly_rent,weekly_service_charge,rent_free_weeks,rent_free_only_when_clear,periodic_service_charge,periodic_service_charge_frequency,payment_method,self_pay_amount,self_pay_frequency,self_pay_anchor,hb_weekly,hb_first_pay_date,lead_tenant_name,lead_tenant_dob,lead_tenant_mobile,lead_tenant_email,joint_tenant_name,joint_tenant_dob";
    let tenancies = format!(
        "{header}\n\
         HD2001,secure,active,1 Test Street,,Huddersfield,HD1 1AA,,,HD-NORTH,2020-01-06,,100.00,0.00,,no,,,bank_transfer,,,,,,Amy Ash,{},07700 900201,amy@example.org,,\n\
         HD2002,secure,active,2 Test Street,,Huddersfield,HD1 1AB,,,HD-NORTH,2020-01-06,,90.00,0.00,,no,,,bank_transfer,,,,,,Ben Birch,{},07700 900202,,,\n",
        AMY.1, BEN.1
    );
    let batch = app.import("tenancies", tenancies.into_bytes()).await;
    assert_eq!(batch["status"], "succeeded", "{batch}");
    let monday = monday_on_or_before(today());
    let mut tx =
        String::from("external_ref,tenancy_reference,posted_on,kind,amount,method,description\n");
    for k in 0..8 {
        let d = monday - Duration::weeks(k);
        tx += &format!("R-A-{k},HD2001,{d},rent_debit,100.00,,Rent w/c {d}\n");
        if k >= 5 {
            tx += &format!("P-A-{k},HD2001,{d},payment,-100.00,card,Card payment\n");
        }
        if k < 4 {
            tx += &format!("R-B-{k},HD2002,{d},rent_debit,90.00,,Rent\n");
            tx += &format!("P-B-{k},HD2002,{d},payment,-90.00,card,Card payment\n");
        }
    }
    let batch = app.import("transactions", tx.into_bytes()).await;
    assert_eq!(batch["status"], "succeeded", "{batch}");
}

async fn post(app: &TestApp, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut req = app.client.post(app.url(path)).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    answer(req.send().await.unwrap()).await
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    answer(req.send().await.unwrap()).await
}

async fn get(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    send(app, reqwest::Method::GET, path, token, None).await
}

async fn answer(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let problem = resp.headers().get("content-type").is_some_and(|c| {
        c.to_str()
            .unwrap_or("")
            .starts_with("application/problem+json")
    });
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    if status >= 400 {
        assert!(problem, "errors are problem+json: {status} {body}");
    }
    (status, body)
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

/// The code in the queued sign-in text (what the tenant reads on their phone).
async fn code_for(app: &TestApp, challenge: &str) -> Option<String> {
    let m = message::Entity::find()
        .filter(message::Column::IdempotencyKey.eq(format!("sign_in:{challenge}")))
        .one(&app.db)
        .await
        .unwrap()?;
    m.body
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .map(str::to_owned)
}

async fn start(app: &TestApp, who: (&str, &str)) -> (u16, Value) {
    post(
        app,
        "/tenant/v1/sign-in",
        None,
        json!({"reference": who.0, "date_of_birth": who.1}),
    )
    .await
}

struct Tokens {
    access: String,
    refresh: String,
}

async fn sign_in(app: &TestApp, who: (&str, &str)) -> Tokens {
    let (status, body) = start(app, who).await;
    assert_eq!(status, 202, "{body}");
    let challenge = body["challenge"].as_str().unwrap().to_owned();
    let code = code_for(app, &challenge).await.expect("a code was sent");
    let (status, body) = post(
        app,
        "/tenant/v1/sign-in/verify",
        None,
        json!({"challenge": challenge, "code": code}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    Tokens {
        access: body["access_token"].as_str().unwrap().to_owned(),
        refresh: body["refresh_token"].as_str().unwrap().to_owned(),
    }
}

async fn audit_actions(app: &TestApp) -> Vec<String> {
    audit_entry::Entity::find()
        .order_by_asc(audit_entry::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect()
}

fn statement_in() -> Value {
    json!({
        "household": {"adults": 1, "children": 1},
        "income": {"earnings": 150000},
        "fixed_costs": {"rent": 43334, "council_tax": 9000, "gas": 5000, "electricity": 5000},
        "flexible_costs": {"food_and_housekeeping": 40000, "communications_and_leisure": 5000},
    })
}

#[tokio::test]
async fn sign_in_answers_the_same_whether_or_not_the_details_match_and_sends_a_code_only_on_a_match()
 {
    let app = fixture().await;
    let (s1, matched) = start(&app, AMY).await;
    let (s2, unmatched) = start(&app, ("HD2001", "1999-01-01")).await;
    let (s3, unknown) = start(&app, ("NOPE99", AMY.1)).await;
    assert_eq!((s1, s2, s3), (202, 202, 202));
    for b in [&matched, &unmatched, &unknown] {
        assert_eq!(b["message"], matched["message"]);
        assert_eq!(b["expires_in_seconds"], 600);
        assert_eq!(
            b["challenge"].as_str().unwrap().len(),
            matched["challenge"].as_str().unwrap().len()
        );
    }
    assert!(
        code_for(&app, matched["challenge"].as_str().unwrap())
            .await
            .is_some()
    );
    assert!(
        code_for(&app, unmatched["challenge"].as_str().unwrap())
            .await
            .is_none()
    );
    let sent = message::Entity::find()
        .filter(message::Column::Template.eq("sign_in_code"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].channel.as_str(), sent[0].status.as_str()),
        ("sms", "queued")
    );
    // The code itself is stored only as a keyed hash.
    let row = sign_in_code::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let code = code_for(&app, matched["challenge"].as_str().unwrap())
        .await
        .unwrap();
    assert!(!row.code_hash.contains(&code));
    // A wrong postcode is no match either.
    let (_, b) = post(
        &app,
        "/tenant/v1/sign-in",
        None,
        json!({"reference": "hd2001", "date_of_birth": AMY.1, "postcode": "LS1 1AA"}),
    )
    .await;
    assert!(
        code_for(&app, b["challenge"].as_str().unwrap())
            .await
            .is_none()
    );
    let actions = audit_actions(&app).await;
    assert_eq!(
        actions.iter().filter(|a| *a == "sign_in.code_sent").count(),
        1
    );
    assert_eq!(
        actions.iter().filter(|a| *a == "sign_in.no_match").count(),
        3
    );
    app.stop().await;
}

#[tokio::test]
async fn a_code_works_once_within_ten_minutes_and_five_tries() {
    let app = fixture().await;
    // Five wrong tries use the code up: the right one is refused after.
    let (_, b) = start(&app, AMY).await;
    let challenge = b["challenge"].as_str().unwrap().to_owned();
    let code = code_for(&app, &challenge).await.unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let (s, p) = post(
            &app,
            "/tenant/v1/sign-in/verify",
            None,
            json!({"challenge": challenge, "code": wrong}),
        )
        .await;
        assert_eq!(s, 401, "{p}");
    }
    let (s, _) = post(
        &app,
        "/tenant/v1/sign-in/verify",
        None,
        json!({"challenge": challenge, "code": code}),
    )
    .await;
    assert_eq!(s, 401, "a sixth try fails even with the right code");

    // An expired code is refused.
    let (_, b) = start(&app, AMY).await;
    let challenge = b["challenge"].as_str().unwrap().to_owned();
    let code = code_for(&app, &challenge).await.unwrap();
    sign_in_code::Entity::update_many()
        .col_expr(
            sign_in_code::Column::ExpiresAt,
            Expr::value(chrono::Utc::now() - Duration::seconds(1)),
        )
        .filter(sign_in_code::Column::Challenge.eq(challenge.as_str()))
        .exec(&app.db)
        .await
        .unwrap();
    let (s, _) = post(
        &app,
        "/tenant/v1/sign-in/verify",
        None,
        json!({"challenge": challenge, "code": code}),
    )
    .await;
    assert_eq!(s, 401);

    // A good code works once.
    let (_, b) = start(&app, AMY).await;
    let challenge = b["challenge"].as_str().unwrap().to_owned();
    let code = code_for(&app, &challenge).await.unwrap();
    let (s, _) = post(
        &app,
        "/tenant/v1/sign-in/verify",
        None,
        json!({"challenge": challenge, "code": code}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, _) = post(
        &app,
        "/tenant/v1/sign-in/verify",
        None,
        json!({"challenge": challenge, "code": code}),
    )
    .await;
    assert_eq!(s, 401, "a used code is refused");
    // Malformed input is refused naming what is wrong.
    let (s, p) = post(
        &app,
        "/tenant/v1/sign-in/verify",
        None,
        json!({"challenge": challenge, "code": "12ab"}),
    )
    .await;
    // Not a six-digit code: refused by the document's pattern, naming the field.
    assert_eq!((s, fields(&p)), (422, vec!["code".to_owned()]), "{p}");
    let actions = audit_actions(&app).await;
    assert!(
        actions.iter().filter(|a| *a == "sign_in.failed").count() >= 7,
        "{actions:?}"
    );
    assert_eq!(
        actions.iter().filter(|a| *a == "sign_in.succeeded").count(),
        1
    );
    app.stop().await;
}

#[tokio::test]
async fn sign_in_starts_are_limited_per_reference_and_per_address() {
    let app = spawn_app_with(&[("SIGN_IN_LIMIT_PER_ADDRESS", "8")]).await;
    load(&app).await;
    for _ in 0..5 {
        assert_eq!(start(&app, AMY).await.0, 202);
    }
    let (s, p) = start(&app, AMY).await;
    assert_eq!(s, 429, "{p}");
    assert_eq!(p["status"], 429);
    // Case and spaces don't get round it.
    let (s, _) = post(
        &app,
        "/tenant/v1/sign-in",
        None,
        json!({"reference": " hd2001", "date_of_birth": AMY.1}),
    )
    .await;
    assert_eq!(s, 429);
    // Another reference still works from here, until the address limit.
    for _ in 0..3 {
        assert_eq!(start(&app, BEN).await.0, 202);
    }
    assert_eq!(
        start(&app, ("HD9999", BEN.1)).await.0,
        429,
        "address limit reached"
    );
    assert!(
        audit_actions(&app)
            .await
            .iter()
            .any(|a| a == "sign_in.rate_limited")
    );
    app.stop().await;
}

#[tokio::test]
async fn refresh_tokens_rotate_a_replay_ends_the_session_and_sign_out_revokes_at_once() {
    let app = fixture().await;
    let t = sign_in(&app, AMY).await;
    assert_eq!(get(&app, "/tenant/v1/account", &t.access).await.0, 200);
    let (s, next) = post(
        &app,
        "/tenant/v1/token",
        None,
        json!({"refresh_token": t.refresh}),
    )
    .await;
    assert_eq!(s, 200, "{next}");
    let next_refresh = next["refresh_token"].as_str().unwrap().to_owned();
    let next_access = next["access_token"].as_str().unwrap().to_owned();
    assert_ne!(next_refresh, t.refresh);
    // Replaying the used refresh token ends the whole sign-in: the new pair stops too.
    assert_eq!(
        post(
            &app,
            "/tenant/v1/token",
            None,
            json!({"refresh_token": t.refresh})
        )
        .await
        .0,
        401
    );
    assert_eq!(
        post(
            &app,
            "/tenant/v1/token",
            None,
            json!({"refresh_token": next_refresh})
        )
        .await
        .0,
        401
    );
    assert_eq!(get(&app, "/tenant/v1/account", &next_access).await.0, 401);
    assert_eq!(get(&app, "/tenant/v1/account", &t.access).await.0, 401);
    assert!(
        audit_actions(&app)
            .await
            .iter()
            .any(|a| a == "sign_in.refresh_replayed")
    );

    // Signing out revokes the access token immediately and its refresh token.
    let t = sign_in(&app, AMY).await;
    let (s, _) = send(
        &app,
        reqwest::Method::POST,
        "/tenant/v1/sign-out",
        &t.access,
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(get(&app, "/tenant/v1/account", &t.access).await.0, 401);
    assert_eq!(
        post(
            &app,
            "/tenant/v1/token",
            None,
            json!({"refresh_token": t.refresh})
        )
        .await
        .0,
        401
    );
    app.stop().await;
}

#[tokio::test]
async fn expired_forged_and_foreign_tokens_are_refused_everywhere() {
    use rentdesk_server::auth::{ACCESS_TTL, Keys, TENANT_AUDIENCE};
    let app = fixture().await;
    let t = sign_in(&app, AMY).await;
    let claims = Keys::new(TOKEN_SIGNING_KEY)
        .verify(&t.access, TENANT_AUDIENCE)
        .unwrap();
    let tenant_id = claims.subject_id("tenant").unwrap();
    let past = chrono::Utc::now() - ACCESS_TTL - Duration::seconds(5);
    let expired = Keys::new(TOKEN_SIGNING_KEY).access_token(
        "tenant",
        tenant_id,
        claims.tenancy,
        &claims.sid,
        TENANT_AUDIENCE,
        past,
    );
    let forged = Keys::new(&"f".repeat(40)).access_token(
        "tenant",
        tenant_id,
        claims.tenancy,
        &claims.sid,
        TENANT_AUDIENCE,
        chrono::Utc::now(),
    );
    let staff = Keys::new(TOKEN_SIGNING_KEY).access_token(
        "tenant",
        tenant_id,
        claims.tenancy,
        &claims.sid,
        "rentdesk-staff",
        chrono::Utc::now(),
    );
    // A valid signature over a family that was never signed in.
    let made_up = Keys::new(TOKEN_SIGNING_KEY).access_token(
        "tenant",
        tenant_id,
        claims.tenancy,
        "no-such-family",
        TENANT_AUDIENCE,
        chrono::Utc::now(),
    );
    let endpoints = [
        (reqwest::Method::GET, "/tenant/v1/account"),
        (reqwest::Method::GET, "/tenant/v1/statement"),
        (reqwest::Method::GET, "/tenant/v1/next-steps"),
        (reqwest::Method::POST, "/tenant/v1/plans/quote"),
        (reqwest::Method::POST, "/tenant/v1/plans"),
        (reqwest::Method::GET, "/tenant/v1/plans/current"),
        (reqwest::Method::POST, "/tenant/v1/plans/current/cancel"),
        (reqwest::Method::POST, "/tenant/v1/universal-credit"),
        (reqwest::Method::POST, "/tenant/v1/changes"),
        (reqwest::Method::GET, "/tenant/v1/preferences"),
        (reqwest::Method::PATCH, "/tenant/v1/preferences"),
        (reqwest::Method::GET, "/tenant/v1/devices"),
        (reqwest::Method::POST, "/tenant/v1/devices"),
        (reqwest::Method::DELETE, "/tenant/v1/devices/1"),
        (reqwest::Method::GET, "/tenant/v1/messages"),
        (reqwest::Method::POST, "/tenant/v1/sign-out"),
    ];
    for (method, path) in endpoints {
        for bad in [
            expired.as_str(),
            forged.as_str(),
            staff.as_str(),
            made_up.as_str(),
            "not-a-jwt",
        ] {
            let (s, p) = send(&app, method.clone(), path, bad, Some(json!({}))).await;
            assert_eq!(s, 401, "{method} {path}: {p}");
        }
        let resp = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401, "{method} {path} without a token");
    }
    // A tenant token is no admin token, and an administrator's staff token is no tenant token.
    let resp = app
        .client
        .get(app.url("/manage/v1/tenancies/HD2001/account"))
        .bearer_auth(&t.access)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let admin = app.admin_token().await;
    assert_eq!(get(&app, "/tenant/v1/account", &admin).await.0, 401);
    app.stop().await;
}

#[tokio::test]
async fn the_account_statement_and_next_steps_show_the_tenants_own_figures() {
    let app = fixture().await;
    let t = sign_in(&app, AMY).await;
    let (s, a) = get(&app, "/tenant/v1/account", &t.access).await;
    assert_eq!(s, 200, "{a}");
    assert_eq!(a["reference"], "HD2001");
    assert_eq!(a["balance_pence"], 50_000);
    assert_eq!(a["real_arrears_pence"], 50_000);
    assert_eq!(a["technical_arrears_pence"], 0);
    assert_eq!(a["arrears_status"], "in_arrears");
    assert_eq!(a["weekly_rent_pence"], 10_000);
    assert_eq!(a["last_payment"]["amount_pence"], 10_000);

    // The statement, three lines a page, newest first, with consistent running balances.
    let mut lines: Vec<Value> = vec![];
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/tenant/v1/statement?limit=3&cursor={c}"),
            None => "/tenant/v1/statement?limit=3".into(),
        };
        let (s, page) = get(&app, &path, &t.access).await;
        assert_eq!(s, 200, "{page}");
        lines.extend(page["lines"].as_array().unwrap().iter().cloned());
        assert_eq!(page["rent_year"]["balance_now_pence"], 50_000);
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(lines.len(), 11, "8 rent debits and 3 payments");
    assert_eq!(lines[0]["balance_after_pence"], 50_000);
    for w in lines.windows(2) {
        assert_eq!(
            w[0]["balance_after_pence"].as_i64().unwrap() - w[0]["amount_pence"].as_i64().unwrap(),
            w[1]["balance_after_pence"].as_i64().unwrap(),
        );
        assert!(w[0]["date"].as_str() >= w[1]["date"].as_str());
    }
    assert_eq!(lines.last().unwrap()["balance_after_pence"], 10_000);
    let (s, p) = get(&app, "/tenant/v1/statement?cursor=garbage", &t.access).await;
    assert_eq!((s, fields(&p)), (422, vec!["cursor".to_owned()]));
    let (s, _) = get(&app, "/tenant/v1/statement?limit=0", &t.access).await;
    assert!(s == 400 || s == 422, "{s}");

    let (s, n) = get(&app, "/tenant/v1/next-steps", &t.access).await;
    assert_eq!(s, 200, "{n}");
    assert_eq!(n["stage"], "none");
    assert_eq!(n["next"]["stage"], "first_letter");
    assert!(
        n["what_stops_it"][0].as_str().unwrap().contains("£500.00"),
        "{n}"
    );
    assert!(!n["free_advice"].as_array().unwrap().is_empty());
    app.stop().await;
}

async fn officer_for_north(app: &TestApp) -> i64 {
    let officer = staff_user::ActiveModel {
        email: Set("olivia@council.example".into()),
        name: Set("Olivia Officer".into()),
        role: Set("officer".into()),
        active: Set(true),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    patch::Entity::update_many()
        .col_expr(patch::Column::OfficerId, Expr::value(officer.id))
        .filter(patch::Column::Code.eq("HD-NORTH"))
        .exec(&app.db)
        .await
        .unwrap();
    officer.id
}

#[tokio::test]
async fn a_plan_inside_policy_is_active_at_once_and_pauses_escalation_until_cancelled() {
    let app = fixture().await;
    let t = sign_in(&app, AMY).await;
    // £1,500 in; £1,073.34 out → £426.66 a month left (£98.46 a week).
    let (s, q) = post(
        &app,
        "/tenant/v1/plans/quote",
        Some(&t.access),
        json!({"statement": statement_in(), "frequency": "weekly"}),
    )
    .await;
    assert_eq!(s, 200, "{q}");
    assert_eq!(q["arrears_pence"], 50_000);
    assert_eq!(q["disposable_monthly_pence"], 42_666);
    assert_eq!(q["max_instalment_pence"], 9_846);
    // £500 over 104 weeks is £4.81; the £1 floor is lower.
    assert_eq!(q["min_instalment_pence"], 481);
    assert_eq!(q["suggested_instalment_pence"], 481);
    assert_eq!(q["rent_per_payment_pence"], 10_000);
    let schedule = q["schedule"].as_array().unwrap();
    assert_eq!(schedule.len(), 104);
    assert_eq!(schedule.last().unwrap()["arrears_after_pence"], 0);
    assert!(q["agreement_text"].as_str().unwrap().contains("£500.00"));

    let first = monday_on_or_before(today()) + Duration::weeks(1);
    let (s, plan) = post(
        &app,
        "/tenant/v1/plans",
        Some(&t.access),
        json!({"statement": statement_in(), "frequency": "weekly", "instalment_pence": 2_500, "first_payment_date": first, "accept_agreement": true}),
    )
    .await;
    assert_eq!(s, 201, "{plan}");
    assert_eq!(plan["status"], "active");
    assert_eq!(plan["amount_pence"], 12_500);
    assert_eq!(plan["end_date"], json!(first + Duration::weeks(19)));
    assert_eq!(plan["upcoming"][0]["due"], json!(first));
    let (s, current) = get(&app, "/tenant/v1/plans/current", &t.access).await;
    assert_eq!((s, current["id"].clone()), (200, plan["id"].clone()));
    assert_eq!(current["progress"], "on_track");
    let (_, n) = get(&app, "/tenant/v1/next-steps", &t.access).await;
    assert_eq!(n["next"], Value::Null, "{n}");
    assert!(
        n["paused_because"]
            .as_str()
            .unwrap()
            .contains("keeping to your repayment plan")
    );
    let (_, a) = get(&app, "/tenant/v1/account", &t.access).await;
    assert_eq!(a["plan"]["status"], "active");

    // Cancelled: recorded, and escalation resumes.
    let (s, c) = post(
        &app,
        "/tenant/v1/plans/current/cancel",
        Some(&t.access),
        json!({"reason": "lost my job"}),
    )
    .await;
    assert_eq!(s, 200, "{c}");
    let row = arrangement::Entity::find_by_id(plan["id"].as_i64().unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (row.status.as_str(), row.cancel_reason.as_deref()),
        ("cancelled", Some("lost my job"))
    );
    assert!(row.proposed_by_tenant && row.agreement_text.is_some());
    let (_, n) = get(&app, "/tenant/v1/next-steps", &t.access).await;
    assert_eq!(n["next"]["stage"], "first_letter", "{n}");
    assert_eq!(
        get(&app, "/tenant/v1/plans/current", &t.access).await.0,
        404
    );
    assert_eq!(
        post(
            &app,
            "/tenant/v1/plans/current/cancel",
            Some(&t.access),
            json!({"reason": "again"})
        )
        .await
        .0,
        404
    );
    let actions = audit_actions(&app).await;
    assert!(
        actions.contains(&"plan.proposed".to_owned())
            && actions.contains(&"plan.cancelled".to_owned())
    );
    app.stop().await;
}

#[tokio::test]
async fn a_plan_outside_policy_waits_for_the_patch_officer_and_bad_plans_name_every_field() {
    let app = fixture().await;
    let officer = officer_for_north(&app).await;
    let t = sign_in(&app, AMY).await;
    // More than the statement leaves over: allowed, but an officer reviews it.
    let (s, plan) = post(
        &app,
        "/tenant/v1/plans",
        Some(&t.access),
        json!({"statement": statement_in(), "frequency": "weekly", "instalment_pence": 20_000, "accept_agreement": true}),
    )
    .await;
    assert_eq!(s, 201, "{plan}");
    assert_eq!(plan["status"], "pending_review");
    assert_eq!(plan["progress"], "waiting_for_review");
    assert!(
        plan["review_reason"]
            .as_str()
            .unwrap()
            .contains("more than"),
        "{plan}"
    );
    let tasks = task::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(tasks.len(), 1);
    assert_eq!(
        (
            tasks[0].kind.as_str(),
            tasks[0].assigned_staff_id,
            tasks[0].rule_id.as_deref()
        ),
        ("review_plan", Some(officer), Some("plan_outside_policy")),
        "every task names the rule that created it"
    );
    let (_, n) = get(&app, "/tenant/v1/next-steps", &t.access).await;
    assert!(
        n["paused_because"].as_str().unwrap().contains("reviewing"),
        "{n}"
    );

    // A new proposal replaces it.
    let (s, again) = post(
        &app,
        "/tenant/v1/plans",
        Some(&t.access),
        json!({"statement": statement_in(), "frequency": "monthly", "instalment_pence": 5_000, "accept_agreement": true}),
    )
    .await;
    assert_eq!(
        (s, again["status"].as_str()),
        (201, Some("active")),
        "{again}"
    );
    let old = arrangement::Entity::find_by_id(plan["id"].as_i64().unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.status, "replaced");

    // A frequency outside the vocabulary fails the contract first, named with the values.
    let (s, p) = post(
        &app,
        "/tenant/v1/plans",
        Some(&t.access),
        json!({"statement": statement_in(), "frequency": "yearly", "instalment_pence": 500, "accept_agreement": true}),
    )
    .await;
    assert_eq!((s, fields(&p)), (422, vec!["frequency".to_owned()]), "{p}");
    assert!(p.to_string().contains("four_weekly"), "{p}");
    // Every other bad field at once.
    let mut bad = statement_in();
    bad["income"]["lottery"] = json!(100);
    bad["fixed_costs"]["gas"] = json!(-5);
    let (s, p) = post(
        &app,
        "/tenant/v1/plans",
        Some(&t.access),
        json!({"statement": bad, "frequency": "weekly", "instalment_pence": -1, "first_payment_date": today() - Duration::days(1), "accept_agreement": false}),
    )
    .await;
    assert_eq!(s, 422, "{p}");
    let mut f = fields(&p);
    f.sort();
    assert_eq!(
        f,
        [
            "accept_agreement",
            "first_payment_date",
            "instalment_pence",
            "statement.fixed_costs.gas",
            "statement.income.lottery"
        ]
    );
    // Below the £1 a week floor.
    let (s, p) = post(
        &app,
        "/tenant/v1/plans",
        Some(&t.access),
        json!({"statement": statement_in(), "frequency": "weekly", "instalment_pence": 50, "accept_agreement": true}),
    )
    .await;
    assert_eq!(
        (s, fields(&p)),
        (422, vec!["instalment_pence".to_owned()]),
        "{p}"
    );
    // Not on UC: can't align to it.
    let (s, p) = post(&app, "/tenant/v1/plans/quote", Some(&t.access), json!({"statement": statement_in(), "frequency": "monthly", "align_to_universal_credit": true})).await;
    assert_eq!(
        (s, fields(&p)),
        (422, vec!["align_to_universal_credit".to_owned()]),
        "{p}"
    );
    // Nothing stored by the refused requests: still the one active plan.
    let current = arrangement::Entity::find()
        .filter(arrangement::Column::Status.eq("active"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(current.len(), 1);

    // Ben owes nothing: no plan to make.
    let ben = sign_in(&app, BEN).await;
    let (s, p) = post(
        &app,
        "/tenant/v1/plans/quote",
        Some(&ben.access),
        json!({"statement": statement_in(), "frequency": "weekly"}),
    )
    .await;
    assert_eq!(s, 409, "{p}");
    app.stop().await;
}

#[tokio::test]
async fn a_reported_uc_claim_reaches_the_officer_and_starts_the_new_claim_sequence_now() {
    let app = fixture().await;
    let officer = officer_for_north(&app).await;
    let t = sign_in(&app, AMY).await;
    let start_date = today() - Duration::days(1);
    let body = json!({"claim_start": start_date, "housing_costs_claimed": true, "managed_payment_wanted": true});
    let (s, r) = post(
        &app,
        "/tenant/v1/universal-credit",
        Some(&t.access),
        body.clone(),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["new"], true);
    let claims = uc_claim::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(claims.len(), 1);
    assert_eq!(
        (
            claims[0].reported_by.as_str(),
            claims[0].apa_status.as_str()
        ),
        ("tenant", "wanted")
    );
    // The report's own task. (The worker re-evaluates the account at the same time, and its
    // rules may give the officer other tasks meanwhile, e.g. offering Amy a direct debit: CI
    // once saw that task land between the two reports.)
    let of_report = async || {
        task::Entity::find()
            .filter(task::Column::Kind.eq("uc_claim"))
            .all(&app.db)
            .await
            .unwrap()
    };
    let tasks = of_report().await;
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].assigned_staff_id, Some(officer));
    assert!(
        tasks[0].detail.contains("Managed Payment"),
        "{}",
        tasks[0].detail
    );
    // Reporting it again changes nothing.
    let (s, r) = post(&app, "/tenant/v1/universal-credit", Some(&t.access), body).await;
    assert_eq!((s, r["new"].clone()), (200, json!(false)));
    assert_eq!(of_report().await.len(), 1);

    // The worker re-evaluates the account and plans the day-0 message now, not tonight.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let planned = message::Entity::find()
            .filter(message::Column::RuleId.eq("uc_new_claim"))
            .all(&app.db)
            .await
            .unwrap();
        if !planned.is_empty() {
            assert!(planned.iter().all(|m| m.tenancy_id == claims[0].tenancy_id));
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no new-claim message planned"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (s, p) = post(&app, "/tenant/v1/universal-credit", Some(&t.access), json!({"claim_start": today() + Duration::days(3), "housing_costs_claimed": true, "managed_payment_wanted": false})).await;
    assert_eq!((s, fields(&p)), (422, vec!["claim_start".to_owned()]));

    let (s, c) = post(
        &app,
        "/tenant/v1/changes",
        Some(&t.access),
        json!({"kind": "income_drop", "effective_date": today(), "detail": "hours cut"}),
    )
    .await;
    assert_eq!(s, 201, "{c}");
    let task = task::Entity::find_by_id(c["task_id"].as_i64().unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(task.kind, "change_of_circumstances");
    let (s, p) = post(
        &app,
        "/tenant/v1/changes",
        Some(&t.access),
        json!({"kind": "lottery_win", "effective_date": "2001-01-01"}),
    )
    .await;
    assert_eq!((s, fields(&p)), (422, vec!["kind".to_owned()]), "{p}");
    let (s, p) = post(
        &app,
        "/tenant/v1/changes",
        Some(&t.access),
        json!({"kind": "job_loss", "effective_date": "2001-01-01"}),
    )
    .await;
    assert_eq!(
        (s, fields(&p)),
        (422, vec!["effective_date".to_owned()]),
        "{p}"
    );
    app.stop().await;
}

#[tokio::test]
async fn preferences_devices_and_the_inbox_are_the_tenants_own() {
    let app = fixture().await;
    let amy = sign_in(&app, AMY).await;
    let ben = sign_in(&app, BEN).await;

    let (s, p) = send(
        &app,
        reqwest::Method::PATCH,
        "/tenant/v1/preferences",
        &amy.access,
        Some(json!({"sms_enabled": false, "preferred_channel": "email", "language": "cy"})),
    )
    .await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(
        (
            p["sms_enabled"].clone(),
            p["preferred_channel"].clone(),
            p["language"].clone()
        ),
        (json!(false), json!("email"), json!("cy"))
    );
    let (_, p) = send(
        &app,
        reqwest::Method::PATCH,
        "/tenant/v1/preferences",
        &amy.access,
        Some(json!({"preferred_channel": null})),
    )
    .await;
    assert_eq!(
        (p["preferred_channel"].clone(), p["sms_enabled"].clone()),
        (Value::Null, json!(false))
    );
    let (s, p) = send(
        &app,
        reqwest::Method::PATCH,
        "/tenant/v1/preferences",
        &amy.access,
        Some(json!({"preferred_channel": "pigeon", "language": "xx"})),
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(fields(&p), ["language", "preferred_channel"]);
    let (_, p) = get(&app, "/tenant/v1/preferences", &ben.access).await;
    assert_eq!(p["sms_enabled"], true, "Ben's preferences are his own");

    let token = "fcm-token-abcdefghijklmnopqrstuvwxyz-0123456789";
    let (s, d) = post(
        &app,
        "/tenant/v1/devices",
        Some(&ben.access),
        json!({"platform": "android", "token": token}),
    )
    .await;
    assert_eq!(s, 201, "{d}");
    let ben_device = d["id"].as_i64().unwrap();
    let (s, p) = post(
        &app,
        "/tenant/v1/devices",
        Some(&amy.access),
        json!({"platform": "nokia", "token": token}),
    )
    .await;
    assert_eq!((s, fields(&p)), (422, vec!["platform".to_owned()]), "{p}");
    let (s, p) = post(
        &app,
        "/tenant/v1/devices",
        Some(&amy.access),
        json!({"platform": "ios", "token": "short"}),
    )
    .await;
    assert_eq!(
        (s, fields(&p)),
        (422, vec!["token".to_owned()]),
        "a token too short to be FCM's is refused: {p}"
    );
    // Amy can neither see nor remove Ben's device.
    let (_, list) = get(&app, "/tenant/v1/devices", &amy.access).await;
    assert_eq!(list["devices"], json!([]));
    let path = format!("/tenant/v1/devices/{ben_device}");
    assert_eq!(
        send(&app, reqwest::Method::DELETE, &path, &amy.access, None)
            .await
            .0,
        404
    );
    let (_, list) = get(&app, "/tenant/v1/devices", &ben.access).await;
    assert_eq!(list["devices"].as_array().unwrap().len(), 1);
    assert_eq!(
        send(&app, reqwest::Method::DELETE, &path, &ben.access, None)
            .await
            .0,
        200
    );

    // Each inbox holds only its owner's messages (here: the sign-in texts), codes hidden.
    let (_, a) = get(&app, "/tenant/v1/messages", &amy.access).await;
    let (_, b) = get(&app, "/tenant/v1/messages", &ben.access).await;
    let amy_ids: Vec<i64> = a["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    let ben_ids: Vec<i64> = b["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    assert_eq!((amy_ids.len(), ben_ids.len()), (1, 1));
    assert!(amy_ids.iter().all(|i| !ben_ids.contains(i)));
    assert!(
        !a["messages"][0]["body"]
            .as_str()
            .unwrap()
            .chars()
            .any(|c| c.is_ascii_digit())
    );
    // Ben's cursor gives Amy nothing of Ben's.
    let (_, page) = get(
        &app,
        &format!("/tenant/v1/messages?cursor={}", ben_ids[0] + 1),
        &amy.access,
    )
    .await;
    assert!(
        page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| !ben_ids.contains(&m["id"].as_i64().unwrap()))
    );
    // Amy's statement with a cursor pointing into Ben's ledger lists only Amy's lines.
    let ben_tx = rentdesk_store::entities::transaction::Entity::find()
        .filter(rentdesk_store::entities::transaction::Column::ExternalRef.eq("R-B-0"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let amy_tenancy = tenancy::Entity::find()
        .filter(tenancy::Column::Reference.eq("HD2001"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let (_, st) = get(
        &app,
        &format!(
            "/tenant/v1/statement?cursor={}.{}",
            ben_tx.posted_on + Duration::days(1),
            ben_tx.id + 1
        ),
        &amy.access,
    )
    .await;
    for line in st["lines"].as_array().unwrap() {
        let tx =
            rentdesk_store::entities::transaction::Entity::find_by_id(line["id"].as_i64().unwrap())
                .one(&app.db)
                .await
                .unwrap()
                .unwrap();
        assert_eq!(tx.tenancy_id, amy_tenancy.id);
    }
    let (_, acct) = get(&app, "/tenant/v1/account", &ben.access).await;
    assert_eq!(acct["reference"], "HD2002");
    app.stop().await;
}

#[tokio::test]
async fn the_channel_and_language_a_tenant_chooses_in_the_app_are_what_the_worker_uses() {
    use chrono::TimeZone;
    use rentdesk_domain::contact_policy::ContactPolicy;
    let app = spawn_app().await;
    app.import_examples().await;
    let karen = sign_in(&app, ("HD1001", "1971-03-14")).await;
    let (s, p) = send(
        &app,
        reqwest::Method::PATCH,
        "/tenant/v1/preferences",
        &karen.access,
        Some(json!({"preferred_channel": "email", "language": "cy"})),
    )
    .await;
    assert_eq!(s, 200, "{p}");
    let (s, p) = send(
        &app,
        reqwest::Method::PATCH,
        "/tenant/v1/preferences",
        &karen.access,
        Some(json!({"language": "pl"})),
    )
    .await;
    assert_eq!(
        (s, fields(&p)),
        (422, vec!["language".to_owned()]),
        "only languages every message exists in"
    );
    // Her direct debit of 10 Nov did not arrive; found at noon on Thursday 12 Nov.
    let noon = chrono::Utc
        .with_ymd_and_hms(2026, 11, 12, 12, 0, 0)
        .unwrap();
    let thursday = NaiveDate::from_ymd_opt(2026, 11, 12).unwrap();
    rentdesk_store::outreach::plan_all(&app.db, thursday, noon, &ContactPolicy::default())
        .await
        .unwrap();
    let planned = message::Entity::find()
        .filter(message::Column::RuleId.eq("missed_payment"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(planned.len(), 1);
    assert_eq!(
        (planned[0].channel.as_str(), planned[0].status.as_str()),
        ("email", "queued"),
        "SMS is on, but she asked for email"
    );
    assert_eq!(planned[0].language, "cy");
    assert!(
        planned[0].body.starts_with("Helo Karen"),
        "in Welsh: {}",
        planned[0].body
    );
    assert!(
        planned[0].body.contains("10 Tachwedd"),
        "{}",
        planned[0].body
    );
    app.stop().await;
}
