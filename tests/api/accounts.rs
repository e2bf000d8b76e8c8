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

/// docs/payments-and-technical-arrears.md#managed-payments-uc-apa-and-housing-benefit-pay-dates: DWP pays a managed payment (UC APA) to the landlord on its own schedule,
/// about two weeks after the tenant's UC date. Between the two the account owes nothing real;
/// the same account with UC paid to the tenant is in real arrears then (the tenant's date has
/// passed), which is what an APA account showed before.
#[tokio::test]
async fn an_apa_account_paid_two_weeks_after_the_uc_date_shows_no_real_arrears_in_between() {
    let app = spawn_app().await;
    app.import_examples().await;
    let t = tenancy::Entity::find()
        .filter(tenancy::Column::Reference.eq("HD1002"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    // Claim made 20 Oct: the tenant's first UC payment is due 26 Nov; DWP's managed payment
    // of it comes with its landlord run on 10 Dec.
    let claim = uc_claim::ActiveModel {
        tenancy_id: Set(t.id),
        claim_start: Set(chrono::NaiveDate::from_ymd_opt(2026, 10, 20).unwrap()),
        housing_costs_claimed: Set(true),
        monthly_housing_pence: Set(Some(47_970)),
        apa_status: Set("in_place".into()),
        paid_to_landlord: Set(true),
        reported_by: Set("officer".into()),
        ended_on: Set(None),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    // Rent charged on Mondays 23 and 30 Nov and 7 Dec (£110.70), unpaid: more than the second
    // assessment period has earned by early December, so the first one's money matters.
    for (day, r) in [(23, "R-23"), (30, "R-30")] {
        post(&app, t.id, (11, day), "rent_debit", 11_070, r).await;
    }
    post(&app, t.id, (12, 7), "rent_debit", 11_070, "R-07").await;
    let summary = |as_of: &'static str| {
        let app = &app;
        async move {
            let a: serde_json::Value = app.account("HD1002", as_of).await.json().await.unwrap();
            a
        }
    };
    for as_of in ["2026-11-30", "2026-12-03", "2026-12-09"] {
        let a = summary(as_of).await;
        assert_eq!(a["real_arrears_pence"], 0, "{as_of}: {a}");
        assert_eq!(a["arrears_status"], "technical_only", "{as_of}: {a}");
        assert!(
            a["technical_reason"]
                .as_str()
                .unwrap()
                .contains("managed payment"),
            "{a}"
        );
        assert_eq!(a["next_benefit_due"]["date"], "2026-12-10", "{as_of}: {a}");
    }
    // The payment arrives on 10 Dec: nothing real after it either.
    post(&app, t.id, (12, 10), "universal_credit", -47_970, "APA-1").await;
    let a = summary("2026-12-14").await;
    assert_eq!(a["real_arrears_pence"], 0, "{a}");
    // Learned from it: DWP's next runs are 7 Jan, 4 Feb…
    assert_eq!(a["next_benefit_due"]["date"], "2027-01-07", "{a}");
    // The same claim paid to the tenant: their date was 26 Nov, so 3 Dec shows real arrears.
    let mut to_tenant: uc_claim::ActiveModel = claim.into();
    to_tenant.paid_to_landlord = Set(false);
    to_tenant.update(&app.db).await.unwrap();
    let a = summary("2026-12-03").await;
    assert!(a["real_arrears_pence"].as_i64().unwrap() > 0, "{a}");
    app.stop().await;
}

/// A ledger row written directly (the import refuses dates after today; these scenarios'
/// dates are fixed in 2026).
async fn post(
    app: &crate::helpers::TestApp,
    tenancy_id: i64,
    (m, d): (u32, u32),
    kind: &str,
    pence: i64,
    external_ref: &str,
) {
    rentdesk_store::entities::transaction::ActiveModel {
        tenancy_id: Set(tenancy_id),
        posted_on: Set(chrono::NaiveDate::from_ymd_opt(2026, m, d).unwrap()),
        kind: Set(kind.into()),
        amount_pence: Set(pence),
        method: Set(None),
        external_ref: Set(external_ref.into()),
        description: Set(None),
        import_batch_id: Set(None),
        reverses_id: Set(None),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
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
    let report = rentdesk_store::evaluation::evaluate_all(&app.db, as_of, app.now())
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
    let again = rentdesk_store::evaluation::evaluate_all(&app.db, as_of, app.now())
        .await
        .unwrap();
    assert_eq!(report, again);
    app.stop().await;
}
