use crate::helpers::{ADMIN_EMAIL, call, example, spawn_app, staff, staff_id, staff_sign_in};
use rentdesk_store::entities::{tenancy, uc_claim};
use reqwest::Method;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

#[tokio::test]
async fn the_account_summary_is_computed_from_the_imported_ledger() {
    let app = spawn_app().await;
    app.import_examples().await;

    // HD1001 pays £98.50 by direct debit; the debit of 9 Nov has not been paid by 16 Nov.
    let resp = app.account("HD1001", "2026-11-16").await;
    assert_eq!(resp.status(), 200);
    let a: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(a["balance_pence"], 9850);
    assert_eq!(a["arrears_pence"], 9850);
    assert_eq!(a["real_arrears_pence"], 9850);
    assert_eq!(a["technical_arrears_pence"], 0);
    assert_eq!(a["arrears_status"], "in_arrears");
    assert_eq!(a["weeks_in_arrears"], "1.00");
    assert_eq!(a["last_payment"]["date"], "2026-11-03");
    assert_eq!(a["last_payment"]["amount_pence"], 9850);
    assert_eq!(a["received_last_28_days_pence"], 9850);
    assert_eq!(a["patch"], "HD-NORTH");
    assert_eq!(a["lead_tenant"], "Karen Haigh");

    // HD1002: rent £104.20 + service £6.50 twice, £50 paid: £171.40 owed = 1.55 weeks.
    let b: serde_json::Value = app
        .account("HD1002", "2026-11-16")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(b["balance_pence"], 17140);
    assert_eq!(b["weekly_charge_pence"], 11070);
    assert_eq!(b["weeks_in_arrears"], "1.55");

    // The same account as of before any of it: nothing owed.
    let early: serde_json::Value = app
        .account("HD1001", "2026-10-01")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(early["balance_pence"], 0);
    assert_eq!(early["arrears_status"], "clear");
    app.stop().await;
}

#[tokio::test]
async fn a_new_universal_credit_claimant_waiting_for_the_first_payment_is_in_technical_arrears_only()
 {
    let app = spawn_app().await;
    app.import_examples().await;
    let t = tenancy::Entity::find()
        .filter(tenancy::Column::Reference.eq("HD1002"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    // Claim made 20 Oct: the first assessment period ends 19 Nov, paid 7 days later.
    uc_claim::ActiveModel {
        tenancy_id: Set(t.id),
        claim_start: Set(chrono::NaiveDate::from_ymd_opt(2026, 10, 20).unwrap()),
        housing_costs_claimed: Set(true),
        monthly_housing_pence: Set(Some(47_970)),
        apa_status: Set("none".into()),
        paid_to_landlord: Set(false),
        reported_by: Set("officer".into()),
        ended_on: Set(None),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();

    let a: serde_json::Value = app
        .account("HD1002", "2026-11-16")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(a["arrears_pence"], 17140, "{a}");
    assert_eq!(a["technical_arrears_pence"], 17140);
    assert_eq!(a["real_arrears_pence"], 0);
    assert_eq!(a["arrears_status"], "technical_only");
    let reason = a["technical_reason"].as_str().unwrap();
    assert!(reason.contains("26 Nov 2026"), "{reason}");
    assert_eq!(a["next_benefit_due"]["date"], "2026-11-26");
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_tenancy_is_a_problem_json_404() {
    let app = spawn_app().await;
    let resp = app.account("NOPE", "2026-11-16").await;
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["status"], 404);
    assert!(body["detail"].as_str().unwrap().contains("NOPE"));
    app.stop().await;
}

#[tokio::test]
async fn a_bad_as_of_date_names_the_field() {
    let app = spawn_app().await;
    app.import("tenancies", example("tenancies.csv")).await;
    let resp = app.account("HD1001", "16/13/2026").await;
    assert_eq!(resp.status(), 422);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "as_of");
    app.stop().await;
}

#[tokio::test]
async fn the_manage_api_refuses_a_missing_or_wrong_token() {
    let app = spawn_app().await;
    let url = app.url("/manage/v1/tenancies/HD1001/account");
    let none = app.client.get(&url).send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert_eq!(none.headers()["content-type"], "application/problem+json");
    let admin = app.admin_token().await;
    let wrong = app
        .client
        .get(&url)
        .bearer_auth(format!("{admin}x"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    // The retired shared token opens nothing.
    let (s, _) = call(
        &app,
        Method::GET,
        "/manage/v1/imports/1",
        Some("dev-admin-token"),
        None,
    )
    .await;
    assert_eq!(s, 401);
    app.stop().await;
}

#[tokio::test]
async fn accounts_by_reference_and_imports_are_for_administrators_only() {
    let app = spawn_app().await;
    app.import_examples().await;
    let batch = "/manage/v1/imports/1";
    let account = "/manage/v1/tenancies/HD1001/account";
    for role in ["officer", "team_leader"] {
        let email = format!("{role}@rentdesk.test");
        staff(&app, &email, role).await;
        let token = staff_sign_in(&app, &email).await;
        for path in [account, batch] {
            let (s, p) = call(&app, Method::GET, path, Some(&token), None).await;
            assert_eq!(s, 403, "{role} {path}: {p}");
            assert_eq!(p["status"], 403);
            assert!(
                p["title"].as_str().unwrap().contains("administrators"),
                "{p}"
            );
        }
        let form = reqwest::multipart::Form::new()
            .text("kind", "tenancies")
            .part(
                "file",
                reqwest::multipart::Part::bytes(example("tenancies.csv")).file_name("t.csv"),
            );
        let resp = app
            .client
            .post(app.url("/manage/v1/imports"))
            .bearer_auth(&token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 403, "{role} upload");
        assert_eq!(resp.headers()["content-type"], "application/problem+json");
    }
    // The administrator reads both; once deactivated, their live token stops working.
    assert_eq!(app.get(account).await.status(), 200);
    assert_eq!(app.get(batch).await.status(), 200);
    let admin = app.admin_token().await;
    let id = staff_id(&app, ADMIN_EMAIL).await;
    staff(&app, "second.admin@rentdesk.test", "admin").await;
    let second = staff_sign_in(&app, "second.admin@rentdesk.test").await;
    let (s, p) = call(
        &app,
        Method::POST,
        &format!("/manage/v1/officers/{id}/deactivate"),
        Some(&second),
        None,
    )
    .await;
    assert_eq!(s, 200, "{p}");
    let (s, _) = call(&app, Method::GET, account, Some(&admin), None).await;
    assert_eq!(s, 401);
    app.stop().await;
}

#[tokio::test]
async fn nightly_evaluation_stores_the_same_figures_the_api_computes() {
    use rentdesk_store::entities::account_summary;
    let app = spawn_app().await;
    app.import_examples().await;
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
    let report = rentdesk_store::evaluation::evaluate_all(&app.db, as_of)
        .await
        .unwrap();
    assert_eq!(report.accounts, 4);
    let t = tenancy::Entity::find()
        .filter(tenancy::Column::Reference.eq("HD1002"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let stored = account_summary::Entity::find_by_id(t.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let api: serde_json::Value = app
        .account("HD1002", "2026-11-16")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored.balance_pence, api["balance_pence"].as_i64().unwrap());
    assert_eq!(
        stored.real_arrears_pence,
        api["real_arrears_pence"].as_i64().unwrap()
    );
    assert_eq!(stored.status, api["arrears_status"].as_str().unwrap());
    // Running it again changes nothing but the timestamp.
    let again = rentdesk_store::evaluation::evaluate_all(&app.db, as_of)
        .await
        .unwrap();
    assert_eq!(report, again);
    app.stop().await;
}
