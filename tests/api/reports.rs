//! Performance figures: a small patch imported from CSV (plus diary entries, arrangements, a UC
//! claim and messages written directly), every figure computed by hand below and compared with
//! the JSON, the CSV and the chart; and who may see what.

use crate::helpers::{TestApp, call, spawn_app, staff, staff_sign_in, tenancy_id};
use chrono::{NaiveDate, TimeZone, Utc};
use rentdesk_store::entities::{action, arrangement, message, patch, staff_user, uc_claim};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

const TENANCIES: &str = "\
reference,tenure,status,address_line1,address_line2,town,postcode,latitude,longitude,patch,start_date,end_date,weekly_rent,weekly_service_charge,rent_free_weeks,rent_free_only_when_clear,periodic_service_charge,periodic_service_charge_frequency,payment_method,self_pay_amount,self_pay_frequency,self_pay_anchor,hb_weekly,hb_first_pay_date,lead_tenant_name,lead_tenant_dob,lead_tenant_mobile,lead_tenant_email,joint_tenant_name,joint_tenant_dob
RP0001,secure,active,1 Report Street,,Huddersfield,HD1 1AA,,,RP-TEST,2020-04-06,,100.00,0.00,,no,,,direct_debit,,,,,,Ann One,1970-01-01,,,,
RP0002,assured,active,2 Report Street,,Huddersfield,HD1 1AA,,,RP-TEST,2020-04-06,,80.00,10.00,,no,,,card,,,,,,Bob Two,1970-01-02,,,,
RP0003,secure,active,3 Report Street,,Huddersfield,HD1 1AA,,,RP-TEST,2020-04-06,,120.00,0.00,,no,,,universal_credit,,,,,,Cat Three,1970-01-03,,,,
RP0004,secure,former,4 Report Street,,Huddersfield,HD1 1AA,,,RP-TEST,2018-04-02,2026-09-27,95.00,0.00,,no,,,card,,,,,,Dan Four,1970-01-04,,,,
RP0005,secure,active,5 Report Street,,Huddersfield,HD1 1AA,,,RP-OTHER,2020-04-06,,50.00,0.00,,no,,,card,,,,,,Eve Five,1970-01-05,,,,
";

const TRANSACTIONS: &str = "\
external_ref,tenancy_reference,posted_on,kind,amount,method,description
A1,RP0001,2026-10-26,rent_debit,100.00,,Rent w/c 26 Oct
A2,RP0001,2026-11-02,rent_debit,100.00,,Rent
A3,RP0001,2026-11-03,payment,-100.00,direct_debit,DD
A4,RP0001,2026-11-09,rent_debit,100.00,,Rent
A5,RP0001,2026-11-10,payment,-150.00,direct_debit,DD
A6,RP0001,2026-11-16,rent_debit,100.00,,Rent after the period
B1,RP0002,2026-10-26,adjustment,450.00,,Balance brought forward
B2,RP0002,2026-11-02,rent_debit,80.00,,Rent
B3,RP0002,2026-11-02,service_charge,10.00,,Service
B4,RP0002,2026-11-09,rent_debit,80.00,,Rent
B5,RP0002,2026-11-09,service_charge,10.00,,Service
B6,RP0002,2026-11-12,payment,-30.00,card,Card
B7,RP0002,2026-11-13,write_off,-20.00,,Write-off
C1,RP0003,2026-10-26,adjustment,1200.00,,Balance brought forward
C2,RP0003,2026-11-02,rent_debit,120.00,,Rent
C3,RP0003,2026-11-09,rent_debit,120.00,,Rent
C4,RP0003,2026-11-11,universal_credit,-240.00,universal_credit,UC housing costs
D1,RP0004,2026-09-21,adjustment,300.00,,Former tenant arrears
D2,RP0004,2026-11-06,payment,-25.00,card,Card
E1,RP0005,2026-11-02,rent_debit,50.00,,Rent
";

fn ymd(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

async fn diary(app: &TestApp, reference: &str, kind: &str, outcome: &str, on: NaiveDate) {
    action::ActiveModel {
        tenancy_id: Set(tenancy_id(app, reference).await),
        kind: Set(crate::helpers::diary_kind(kind).into()),
        outcome: Set(Some(outcome.into())),
        body: Set("test".into()),
        author_staff_id: Set(None),
        rule_id: Set(None),
        facts: Set(None),
        client_id: Set(None),
        occurred_at: Set(Utc.from_utc_datetime(&on.and_hms_opt(11, 0, 0).unwrap())),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
}

async fn plan(app: &TestApp, reference: &str, status: &str, weekly_pence: i64, start: NaiveDate) {
    arrangement::ActiveModel {
        tenancy_id: Set(tenancy_id(app, reference).await),
        status: Set(status.into()),
        frequency: Set("weekly".into()),
        instalment_pence: Set(weekly_pence),
        includes_rent: Set(false),
        start_date: Set(start),
        end_date: Set(None),
        arrears_at_start_pence: Set(0),
        created_by_staff_id: Set(None),
        proposed_by_tenant: Set(false),
        agreement_text: Set(None),
        created_at: Set(Utc::now()),
        updated_at: Set(Utc::now()),
        income_expenditure: Set(None),
        review_reason: Set(None),
        cancel_reason: Set(None),
        cancelled_at: Set(None),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
}

async fn sent(
    app: &TestApp,
    reference: &str,
    key: &str,
    channel: &str,
    status: &str,
    on: NaiveDate,
) {
    message::ActiveModel {
        idempotency_key: Set(format!("report-test-{key}")),
        tenancy_id: Set(tenancy_id(app, reference).await),
        tenant_id: Set(None),
        channel: Set(channel.into()),
        template: Set("t".into()),
        rule_id: Set(None),
        campaign_id: Set(None),
        body: Set("hello".into()),
        status: Set(status.into()),
        suppression_reason: Set(None),
        provider_id: Set(None),
        error: Set(None),
        scheduled_for: Set(None),
        sent_at: Set(Some(
            Utc.from_utc_datetime(&on.and_hms_opt(10, 0, 0).unwrap()),
        )),
        attempts: Set(1),
        language: Set("en".into()),
        created_at: Set(Utc::now()),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
}

struct Patch {
    app: TestApp,
    officer: i64,
    other_officer: i64,
}

/// RP-TEST (officer@) holds RP0001..RP0004; RP-OTHER (other@, same team) RP0005.
async fn patch_with_history() -> Patch {
    let app = spawn_app().await;
    for (kind, csv) in [("tenancies", TENANCIES), ("transactions", TRANSACTIONS)] {
        let batch = app.import(kind, csv.as_bytes().to_vec()).await;
        assert_eq!(batch["status"], "succeeded", "{batch}");
    }
    let officer = staff(&app, "officer@council.example", "officer").await;
    let other_officer = staff(&app, "other@council.example", "officer").await;
    staff(&app, "lead@council.example", "team_leader").await;
    let elsewhere = staff(&app, "elsewhere@council.example", "team_leader").await;
    staff_user::Entity::update_many()
        .col_expr(staff_user::Column::Team, Expr::value("another team"))
        .filter(staff_user::Column::Id.eq(elsewhere))
        .exec(&app.db)
        .await
        .unwrap();
    for (code, id) in [("RP-TEST", officer), ("RP-OTHER", other_officer)] {
        patch::Entity::update_many()
            .col_expr(patch::Column::OfficerId, Expr::value(id))
            .filter(patch::Column::Code.eq(code))
            .exec(&app.db)
            .await
            .unwrap();
    }
    // Stages: RP0002 served a notice in the period; RP0003 had one before it and an
    // application to court in it; RP0004 is in former-tenant recovery.
    diary(&app, "RP0002", "notice", "notice_served", ymd(11, 5)).await;
    diary(&app, "RP0003", "notice", "notice_served", ymd(9, 1)).await;
    diary(&app, "RP0003", "stage", "court_application", ymd(11, 10)).await;
    diary(
        &app,
        "RP0004",
        "stage",
        "former_tenant_recovery",
        ymd(10, 1),
    )
    .await;
    // Contacts in the diary: one in the period each, one after it.
    diary(&app, "RP0002", "call", "answered", ymd(11, 6)).await;
    diary(&app, "RP0003", "visit", "no_access", ymd(11, 7)).await;
    diary(&app, "RP0003", "call", "no_answer", ymd(11, 20)).await;
    // Messages: two in the period, one before it.
    sent(&app, "RP0001", "a", "sms", "delivered", ymd(11, 4)).await;
    sent(&app, "RP0002", "b", "email", "sent", ymd(11, 5)).await;
    sent(&app, "RP0001", "c", "sms", "delivered", ymd(10, 20)).await;
    // Arrangements: RP0001 £10/week from 2 Nov (paid £250 since: kept); RP0002 £40/week from
    // 2 Nov (paid £30: the 2 Nov instalment part paid past its 7 days: broken); RP0003 a
    // proposal still waiting for review (not made); RP0001 an old cancelled one.
    plan(&app, "RP0001", "active", 1_000, ymd(11, 2)).await;
    plan(&app, "RP0002", "active", 4_000, ymd(11, 2)).await;
    plan(&app, "RP0003", "pending_review", 2_000, ymd(11, 4)).await;
    plan(&app, "RP0001", "cancelled", 500, ymd(6, 1)).await;
    // RP0003 claims UC (housing costs, amount not yet known) with a managed payment.
    uc_claim::ActiveModel {
        tenancy_id: Set(tenancy_id(&app, "RP0003").await),
        claim_start: Set(ymd(6, 1)),
        housing_costs_claimed: Set(true),
        monthly_housing_pence: Set(None),
        apa_status: Set("in_place".into()),
        paid_to_landlord: Set(true),
        reported_by: Set("test".into()),
        ended_on: Set(None),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    Patch {
        app,
        officer,
        other_officer,
    }
}

async fn get(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    call(app, reqwest::Method::GET, path, Some(token), None).await
}

async fn get_text(app: &TestApp, path: &str, token: &str) -> (u16, String, String) {
    let resp = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let ct = resp.headers()["content-type"].to_str().unwrap().to_owned();
    (status, ct, resp.text().await.unwrap())
}

const PERIOD: &str = "from=2026-11-02&to=2026-11-15";

#[tokio::test]
async fn report_figures_match_a_hand_computed_patch() {
    let p = patch_with_history().await;
    let app = &p.app;
    let lead = staff_sign_in(app, "lead@council.example").await;
    let (s, r) = get(
        app,
        &format!("/manage/v1/reports/performance?{PERIOD}&patch=RP-TEST"),
        &lead,
    )
    .await;
    assert_eq!(s, 200, "{r}");
    // RP0005 is in RP-OTHER: not counted.
    assert_eq!(r["accounts"], 4);
    // Rent due 2–15 Nov: RP0001 2 × £100 + RP0002 2 × (£80 + £10) + RP0003 2 × £120
    // + RP0004 (ended) £0 = £200 + £180 + £240 = £620.00. The 16 Nov debit is after the period.
    assert_eq!(r["rent"]["due_pence"], 62_000);
    // Collected: RP0001 £100 + £150, RP0002 £30, RP0003 UC £240, RP0004 £25 = £545.00.
    // The write-off and the adjustments collect nothing.
    assert_eq!(r["rent"]["collected_pence"], 54_500);
    // 545 / 620 = 87.903…% → 87.90
    assert_eq!(r["rent"]["collected_percent"], "87.90");
    // Brought forward (balance on 1 Nov): £100 + £450 + £1,200 + £300 = £2,050.00;
    // 545 / (620 + 2,050) = 20.411…% → 20.41
    assert_eq!(r["rent"]["arrears_brought_forward_pence"], 205_000);
    assert_eq!(r["rent"]["collected_percent_with_arrears"], "20.41");
    // Written off £20: 20 / 620 = 3.225…% → 3.23
    assert_eq!(r["rent"]["written_off_pence"], 2_000);
    assert_eq!(r["rent"]["written_off_percent"], "3.23");

    let a = &r["arrears"];
    // Current: RP0001..RP0003. Rent year 2026/27 has 52 weeks, none rent-free:
    // (£100 + £90 + £120) × 52 = £16,120.00.
    assert_eq!(a["current_tenancies"], 3);
    assert_eq!(a["rent_roll_pence"], 1_612_000);
    // Balances on 15 Nov: RP0001 100+100−100+100−150 = £50; RP0002 450+180−30−20 = £580;
    // RP0003 1200+240−240 = £1,200. Total £1,830.00; no technical arrears (the UC claim has
    // no housing amount yet, so no payment is expected).
    assert_eq!(a["current_arrears_pence"], 183_000);
    assert_eq!(a["current_real_arrears_pence"], 183_000);
    assert_eq!(a["current_technical_arrears_pence"], 0);
    // 1,830 / 16,120 = 11.352…% → 11.35
    assert_eq!(a["current_arrears_percent_of_rent_roll"], "11.35");
    assert_eq!(a["current_real_arrears_percent_of_rent_roll"], "11.35");
    // Former: RP0004 300 − 25 = £275; 275 / 16,120 = 1.7059…% → 1.71
    assert_eq!(a["former_tenancies_in_arrears"], 1);
    assert_eq!(a["former_arrears_pence"], 27_500);
    assert_eq!(a["former_arrears_percent_of_rent_roll"], "1.71");
    // Weeks: RP0001 50/100 = 0.50; RP0002 580/90 = 6.44; RP0003 1200/120 = 10.00.
    // More than 7 weeks: RP0003 only, 1 of 3 = 33.33%.
    assert_eq!(a["owing_over_7_weeks"], 1);
    assert_eq!(a["owing_over_7_weeks_percent"], "33.33");

    let bands: Vec<(String, u64, i64)> = r["arrears_bands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["key"].as_str().unwrap().to_owned(),
                b["accounts"].as_u64().unwrap(),
                b["value_pence"].as_i64().unwrap(),
            )
        })
        .collect();
    let band = |k: &str| bands.iter().find(|b| b.0 == k).map(|b| (b.1, b.2)).unwrap();
    assert_eq!(band("clear"), (0, 0));
    assert_eq!(band("under_1_week"), (1, 5_000));
    assert_eq!(band("1_to_4_weeks"), (0, 0));
    assert_eq!(band("4_to_8_weeks"), (1, 58_000));
    assert_eq!(band("8_to_13_weeks"), (1, 120_000));
    assert_eq!(band("13_weeks_or_more"), (0, 0));
    assert_eq!(band("no_weekly_charge"), (0, 0));

    // Stage on 15 Nov: RP0001 none; RP0002 notice served; RP0003 court application (its
    // notice came first); RP0004 former-tenant recovery. Values are real arrears.
    let stage = |k: &str| {
        let s = r["stages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == k)
            .unwrap();
        (
            s["accounts"].as_u64().unwrap(),
            s["value_pence"].as_i64().unwrap(),
        )
    };
    assert_eq!(stage("none"), (1, 5_000));
    assert_eq!(stage("notice_served"), (1, 58_000));
    assert_eq!(stage("court_application"), (1, 120_000));
    assert_eq!(stage("former_tenant_recovery"), (1, 27_500));
    assert_eq!(stage("first_letter"), (0, 0));

    // In the period: RP0002's notice (RP0003's was in September) and RP0003's application.
    assert_eq!(
        r["enforcement"],
        json!({"notices_served": 1, "court_applications": 1, "orders": 0, "warrants": 0,
               "evictions": 0})
    );
    assert_eq!(
        r["arrangements"],
        json!({"made": 2, "kept": 1, "broken": 1})
    );
    // RP0003: £1,200 arrears, an APA in place.
    assert_eq!(
        r["universal_credit"],
        json!({"claimants": 1, "arrears_pence": 120_000, "real_arrears_pence": 120_000,
               "technical_arrears_pence": 0, "managed_payments": 1})
    );
    // RP0001 of the three current tenancies pays by direct debit.
    assert_eq!(
        r["direct_debit"],
        json!({"accounts": 1, "percent": "33.33"})
    );
    // The 20 Oct text and the 20 Nov call are outside the period.
    assert_eq!(
        r["contacts"],
        json!([
            {"channel": "call", "outcome": "answered", "count": 1},
            {"channel": "email", "outcome": "sent", "count": 1},
            {"channel": "sms", "outcome": "delivered", "count": 1},
            {"channel": "visit", "outcome": "no_access", "count": 1},
        ])
    );
    // Week of 2 Nov: due 100 + 90 + 120 = £310; collected RP0001 £100 + RP0004 £25 = £125
    // (40.32%); arrears on Sunday 8 Nov: RP0001 £100 + RP0002 £540 + RP0003 £1,320 = £1,960
    // (1,960 / 16,120 = 12.158…% → 12.16).
    // Week of 9 Nov: due £310; collected 150 + 30 + 240 = £420 (135.48%); arrears £1,830.
    assert_eq!(
        r["weeks"],
        json!([
            {"week_start": "2026-11-02", "rent_due_pence": 31_000, "collected_pence": 12_500,
             "collected_percent": "40.32", "current_arrears_pence": 196_000,
             "current_real_arrears_pence": 196_000,
             "current_arrears_percent_of_rent_roll": "12.16"},
            {"week_start": "2026-11-09", "rent_due_pence": 31_000, "collected_pence": 42_000,
             "collected_percent": "135.48", "current_arrears_pence": 183_000,
             "current_real_arrears_pence": 183_000,
             "current_arrears_percent_of_rent_roll": "11.35"},
        ])
    );

    // The CSV carries the same numbers.
    let (s, ct, csv) = get_text(
        app,
        &format!("/manage/v1/reports/performance.csv?{PERIOD}&patch=RP-TEST"),
        &lead,
    )
    .await;
    assert_eq!(s, 200, "{csv}");
    assert!(ct.starts_with("text/csv"), "{ct}");
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("section,item,figure,value"));
    let rows: Vec<&str> = lines.collect();
    for expected in [
        "period,,accounts,4",
        "rent,,due,620.00",
        "rent,,collected,545.00",
        "rent,,collected_percent,87.90",
        "rent,,collected_percent_with_arrears,20.41",
        "rent,,written_off_percent,3.23",
        "arrears,,rent_roll,16120.00",
        "arrears,,current_arrears,1830.00",
        "arrears,,current_arrears_percent_of_rent_roll,11.35",
        "arrears,,former_arrears,275.00",
        "arrears,,former_arrears_percent_of_rent_roll,1.71",
        "arrears,,owing_over_7_weeks,1",
        "arrears_bands,4_to_8_weeks,accounts,1",
        "arrears_bands,4_to_8_weeks,value,580.00",
        "arrears_bands,8_to_13_weeks,value,1200.00",
        "stages,court_application,accounts,1",
        "enforcement,,notices_served,1",
        "arrangements,,kept,1",
        "arrangements,,broken,1",
        "universal_credit,,claimants,1",
        "universal_credit,,arrears,1200.00",
        "direct_debit,,percent,33.33",
        "contacts,sms:delivered,count,1",
        "weeks,2026-11-02,collected,125.00",
        "weeks,2026-11-09,collected_percent,135.48",
    ] {
        assert!(rows.contains(&expected), "{expected} missing from\n{csv}");
    }

    // The chart: well-formed SVG with one line of two points (one per week).
    let (s, ct, svg) = get_text(
        app,
        &format!(
            "/manage/v1/reports/performance/chart.svg?{PERIOD}&patch=RP-TEST&metric=current_arrears"
        ),
        &lead,
    )
    .await;
    assert_eq!(s, 200, "{svg}");
    assert_eq!(ct, "image/svg+xml");
    assert_well_formed(&svg);
    assert!(svg.contains("Current tenant arrears"), "{svg}");
    let line = svg
        .split("<polyline")
        .find(|l| l.contains("#0000FF"))
        .expect("the series")
        .split("/>")
        .next()
        .unwrap();
    let points = line
        .split("points=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert_eq!(points.split_whitespace().count(), 2, "{line}");
    // Arrears fell from week one to week two: the second point is lower (larger y).
    let ys: Vec<f64> = points
        .split_whitespace()
        .map(|p| p.split(',').nth(1).unwrap().parse().unwrap())
        .collect();
    assert!(ys[1] > ys[0], "{points}");
    p.app.stop().await;
}

/// Every opened element is closed, in order (no XML parser in the dependency tree).
fn assert_well_formed(svg: &str) {
    assert!(svg.trim_start().starts_with("<svg"), "{svg}");
    assert!(svg.trim_end().ends_with("</svg>"), "{svg}");
    let mut stack: Vec<String> = vec![];
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').expect("tag closes") + start;
        let tag = &rest[start + 1..end];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name.trim()), "{svg}");
        } else if !tag.ends_with('/') && !tag.starts_with('?') && !tag.starts_with('!') {
            stack.push(tag.split_whitespace().next().unwrap().to_owned());
        }
        rest = &rest[end + 1..];
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
}

#[tokio::test]
async fn report_scope_follows_team_patch_and_officer() {
    let p = patch_with_history().await;
    let app = &p.app;
    let lead = staff_sign_in(app, "lead@council.example").await;
    // The whole team: all five accounts.
    let (s, r) = get(
        app,
        &format!("/manage/v1/reports/performance?{PERIOD}"),
        &lead,
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["accounts"], 5);
    // One officer's patches: RP-OTHER has RP0005 only (£50 due, nothing collected).
    let (s, r) = get(
        app,
        &format!(
            "/manage/v1/reports/performance?{PERIOD}&officer={}",
            p.other_officer
        ),
        &lead,
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["accounts"], 1);
    assert_eq!(r["rent"]["due_pence"], 5_000);
    assert_eq!(r["rent"]["collected_percent"], "0.00");
    // The officer and a patch together: RP-OTHER is not theirs.
    let (_, r) = get(
        app,
        &format!(
            "/manage/v1/reports/performance?{PERIOD}&officer={}&patch=RP-OTHER",
            p.officer
        ),
        &lead,
    )
    .await;
    assert_eq!(r["accounts"], 0);

    // An officer may not see reports.
    let officer = staff_sign_in(app, "officer@council.example").await;
    let (s, body) = get(
        app,
        &format!("/manage/v1/reports/performance?{PERIOD}"),
        &officer,
    )
    .await;
    assert_eq!(s, 403, "{body}");
    let (s, _, _) = get_text(
        app,
        &format!("/manage/v1/reports/performance.csv?{PERIOD}"),
        &officer,
    )
    .await;
    assert_eq!(s, 403);

    // Another team's leader: this team's patch and officer do not exist for them, and their
    // own report is empty.
    let elsewhere = staff_sign_in(app, "elsewhere@council.example").await;
    let (s, body) = get(
        app,
        &format!(
            "/manage/v1/reports/performance?{PERIOD}&patch=RP-TEST&officer={}",
            p.officer
        ),
        &elsewhere,
    )
    .await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(fields(&body), ["officer", "patch"]);
    let (s, r) = get(
        app,
        &format!("/manage/v1/reports/performance?{PERIOD}"),
        &elsewhere,
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["accounts"], 0);
    assert_eq!(r["rent"]["due_pence"], 0);
    assert_eq!(r["rent"]["collected_percent"], Value::Null);
    p.app.stop().await;
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
async fn report_parameters_are_checked_and_named() {
    let app = spawn_app().await;
    staff(&app, "lead@council.example", "team_leader").await;
    let lead = staff_sign_in(&app, "lead@council.example").await;
    for (query, expected) in [
        ("", vec!["from", "to"]),
        ("from=2026-11-15&to=2026-11-01", vec!["to"]),
        ("from=2026-13-01&to=2026-11-01", vec!["from"]),
        ("from=2020-01-01&to=2026-11-01", vec!["to"]),
        ("from=2026-11-01&to=2026-11-15&patch=NOPE", vec!["patch"]),
        (
            "from=2026-11-01&to=2026-11-15&officer=999999",
            vec!["officer"],
        ),
        ("from=2026-11-01&to=2026-11-15&format=xml", vec!["format"]),
    ] {
        let (s, body) = get(
            &app,
            &format!("/manage/v1/reports/performance?{query}"),
            &lead,
        )
        .await;
        assert_eq!(s, 422, "{query}: {body}");
        assert_eq!(fields(&body), expected, "{query}");
    }
    let (s, _, body) = get_text(
        &app,
        "/manage/v1/reports/performance/chart.svg?from=2026-11-01&to=2026-11-15&metric=speed",
        &lead,
    )
    .await;
    // A parameter outside its vocabulary: 400 naming it (the contract's rule for parameters).
    assert_eq!(s, 400, "{body}");
    assert!(body.contains("\"metric\""), "{body}");
    // Without a token: 401 problem+json.
    let (s, _) = call(
        &app,
        reqwest::Method::GET,
        "/manage/v1/reports/performance?from=2026-11-01&to=2026-11-15",
        None,
        None,
    )
    .await;
    assert_eq!(s, 401);
    app.stop().await;
}

/// Issue 22: the report from stored week figures (`account_weeks`) equals the one recomputed
/// from every ledger — on the demo data, cold and warm, for a quarter, the rent year to date and
/// a period that starts and ends mid-week; then again after a back-dated payment is imported
/// (the stored weeks from its day on must be forgotten) and after a rent change in the middle
/// of the period (the account's facts no longer match the stored rows).
#[tokio::test]
async fn stored_week_figures_give_the_same_report_as_the_ledgers() {
    use rentdesk_domain::calendar::{RentYear, monday_on_or_before};
    use rentdesk_store::entities::{account_week, rent_change, tenancy, transaction};
    use rentdesk_store::reports::{performance_report, performance_report_reference};
    use sea_orm::{PaginatorTrait, QueryOrder, QuerySelect};

    let app = crate::helpers::spawn_app().await;
    let today = app.today();
    rentdesk_store::seed::seed(&app.db, 60, 7, today)
        .await
        .unwrap();
    let ids: Vec<i64> = tenancy::Entity::find()
        .select_only()
        .column(tenancy::Column::Id)
        .order_by_asc(tenancy::Column::Id)
        .into_tuple()
        .all(&app.db)
        .await
        .unwrap();
    // The last full rent week before today, and periods ending at it or mid-week.
    let to = monday_on_or_before(today) - chrono::Duration::days(1);
    let periods = [
        (to - chrono::Duration::days(7 * 13 - 1), to),
        (RentYear::containing(to).start, to),
        (
            to - chrono::Duration::days(7 * 9 + 3),
            to - chrono::Duration::days(4),
        ),
    ];
    let check = |label: &'static str| {
        let db = app.db.clone();
        let ids = ids.clone();
        async move {
            let mut out = vec![];
            for (from, to) in periods {
                let expected = performance_report_reference(&db, &ids, from, to)
                    .await
                    .unwrap();
                for round in ["cold or refreshed", "warm"] {
                    let got = performance_report(&db, &ids, from, to, today)
                        .await
                        .unwrap();
                    assert_eq!(got, expected, "{label}, {from}..{to}, {round}");
                }
                out.push(expected);
            }
            out
        }
    };
    let before = check("demo data").await;
    assert!(before[0].figures.accounts > 0 && before[0].figures.rent_due.0 > 0);
    let stored = account_week::Entity::find().count(&app.db).await.unwrap();
    assert!(stored > 0, "the week figures were stored");

    // A payment posted five weeks back, imported now: every period's figures change.
    let t = tenancy::Entity::find_by_id(ids[0])
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let back = to - chrono::Duration::days(7 * 5 + 2);
    let csv = format!(
        "external_ref,tenancy_reference,posted_on,kind,amount,method,description\n\
         LATE-1,{},{back},payment,-123.45,card,Found in suspense\n",
        t.reference
    );
    let batch = app.import("transactions", csv.into_bytes()).await;
    assert_eq!(batch["status"], "succeeded", "{batch}");
    assert_eq!(
        transaction::Entity::find()
            .filter(transaction::Column::ExternalRef.eq("LATE-1"))
            .count(&app.db)
            .await
            .unwrap(),
        1
    );
    let after = check("after a back-dated payment").await;
    assert_eq!(
        after[0].figures.collected.0 - before[0].figures.collected.0,
        12_345,
        "the quarter counts the late payment"
    );

    // A rent change in the middle of the periods for another account.
    let other = ids[ids.len() / 2];
    rent_change::ActiveModel {
        tenancy_id: Set(other),
        effective_from: Set(to - chrono::Duration::days(7 * 6)),
        rent_period: Set("weekly".into()),
        rent_pence: Set(31_000),
        service_charge_pence: Set(1_500),
        import_batch_id: Set(None),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    check("after a rent change mid-period").await;
}

/// Issue 22: a report that read an account's ledger just before a back-dated import committed,
/// and stores its week figures just after the import forgot the old ones, must not keep figures
/// without the import's rows (they would be used by every later report).
#[tokio::test]
async fn week_figures_computed_before_a_back_dated_import_are_not_kept() {
    use rentdesk_domain::calendar::monday_on_or_before;
    use rentdesk_store::entities::{account_week, tenancy};
    use rentdesk_store::evaluation::{Scope, load_accounts};
    use rentdesk_store::snapshots;
    use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
    use std::collections::HashMap;

    let app = crate::helpers::spawn_app().await;
    let today = app.today();
    rentdesk_store::seed::seed(&app.db, 5, 7, today)
        .await
        .unwrap();
    let t = tenancy::Entity::find().one(&app.db).await.unwrap().unwrap();
    let ids = [t.id];
    let to = monday_on_or_before(today) - chrono::Duration::days(1);
    let days = [
        to - chrono::Duration::days(14),
        to - chrono::Duration::days(7),
        to,
    ];
    let stored_rows = || async {
        account_week::Entity::find()
            .filter(account_week::Column::TenancyId.eq(t.id))
            .count(&app.db)
            .await
            .unwrap()
    };

    // The report's read of the ledger…
    let read = load_accounts(&app.db, &Scope::new(&ids), to).await.unwrap();
    let acc = &read[0];
    let rows = snapshots::compute(t.id, &acc.facts, &acc.entries, &days);
    let counts = HashMap::from([(t.id, acc.entries.len() as u64)]);
    // …then a payment ten days back is imported and committed…
    let back = to - chrono::Duration::days(10);
    let csv = format!(
        "external_ref,tenancy_reference,posted_on,kind,amount,method\n\
         LATE-1,{},{back},payment,-45.00,card\n",
        t.reference
    );
    let outcome = app.import("transactions", csv.into_bytes()).await;
    assert_eq!(outcome["status"], "succeeded", "{outcome}");
    // …and only then does the report store what it computed: nothing is kept.
    let kept = snapshots::store(&app.db, &rows, today, to, &counts)
        .await
        .unwrap();
    assert_eq!((kept, stored_rows().await), (0, 0));

    // Computed again from the ledger as it is now, the figures are kept.
    let read = load_accounts(&app.db, &Scope::new(&ids), to).await.unwrap();
    let acc = &read[0];
    let rows = snapshots::compute(t.id, &acc.facts, &acc.entries, &days);
    let counts = HashMap::from([(t.id, acc.entries.len() as u64)]);
    let kept = snapshots::store(&app.db, &rows, today, to, &counts)
        .await
        .unwrap();
    assert_eq!((kept, stored_rows().await), (3, 3));
    app.stop().await;
}
