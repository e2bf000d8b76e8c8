//! Targeted campaigns: preview counts that hold, a control group that gets nothing, pause that
//! really stops, relaunch that never resends, and team scope — through the API, the fan-out
//! job in the running worker, and dispatch to the fake Twilio on loopback.

use crate::helpers::{TestApp, call, spawn_app_with, staff, staff_sign_in, tenancy_id};
use chrono::{DateTime, Duration, Utc};
use rentdesk_domain::contact_policy::ContactPolicy;
use rentdesk_store::entities::{campaign_recipient, flag, message, patch, staff_user, transaction};
use rentdesk_worker::dispatch::{Providers, dispatch_all};
use rentdesk_worker::fake_twilio;
use rentdesk_worker::sms::{Sender, TwilioClient, TwilioConfig};
use reqwest::Method;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{Value, json};

/// Any hour, any day: these tests run on the real clock, and when they run is not what they
/// are about. The weekly cap stays at its default.
pub(crate) const ANY_TIME: &[(&str, &str)] = &[
    ("CONTACT_HOURS", "00:00-00:00"),
    ("CONTACT_ON_SUNDAYS", "true"),
    ("CONTACT_ON_BANK_HOLIDAYS", "true"),
    ("LANDLORD_NAME", "Kirklees Homes"),
];

pub(crate) const LEAD: &str = "lead@council.example";
pub(crate) const OTHER_LEAD: &str = "other-lead@council.example";
const KAREN: &str = "+447700900123";

pub(crate) struct Team {
    pub app: TestApp,
    /// Team "income"'s leader: HD-NORTH (HD1001, HD1002) and HD-CENTRAL (HD1003).
    pub lead: String,
    /// Team "east"'s leader: HD-EAST (HD1004).
    pub other: String,
}

/// The examples, with HD-NORTH and HD-CENTRAL run by team "income" and HD-EAST by team "east".
pub(crate) async fn team() -> Team {
    let app = spawn_app_with(ANY_TIME).await;
    app.import_examples().await;
    let north = staff(&app, "north@council.example", "officer").await;
    let central = staff(&app, "central@council.example", "officer").await;
    let east = staff(&app, "east@council.example", "officer").await;
    staff(&app, LEAD, "team_leader").await;
    let other = staff(&app, OTHER_LEAD, "team_leader").await;
    staff_user::Entity::update_many()
        .col_expr(staff_user::Column::Team, Expr::value("east"))
        .filter(staff_user::Column::Id.is_in([east, other]))
        .exec(&app.db)
        .await
        .unwrap();
    for (code, officer) in [
        ("HD-NORTH", north),
        ("HD-CENTRAL", central),
        ("HD-EAST", east),
    ] {
        patch::Entity::update_many()
            .col_expr(patch::Column::OfficerId, Expr::value(officer))
            .filter(patch::Column::Code.eq(code))
            .exec(&app.db)
            .await
            .unwrap();
    }
    let lead = staff_sign_in(&app, LEAD).await;
    let other = staff_sign_in(&app, OTHER_LEAD).await;
    Team { app, lead, other }
}

/// `count` seeded accounts (all in team "income"'s patches) and that team's leader's token.
async fn seeded(count: u64) -> (TestApp, String) {
    let app = spawn_app_with(ANY_TIME).await;
    rentdesk_store::seed::seed(&app.db, count, 7, crate::helpers::real_today())
        .await
        .unwrap();
    staff(&app, LEAD, "team_leader").await;
    let token = staff_sign_in(&app, LEAD).await;
    (app, token)
}

pub(crate) fn twilio(fake_url: &str) -> Providers {
    Providers {
        sms: Some(
            TwilioClient::new(TwilioConfig {
                base_url: fake_url.to_owned(),
                account_sid: fake_twilio::SID.into(),
                auth_token: fake_twilio::TOKEN.into(),
                sender: Sender::From("+447700900000".into()),
                timeout: std::time::Duration::from_secs(5),
            })
            .unwrap(),
        ),
        email: None,
        push: None,
        status_callback: None,
        policy: ContactPolicy::any_time(),
        rate_per_minute: None,
        send_concurrency: 0,
    }
}

pub(crate) fn total_sent(fake: &fake_twilio::Fake) -> usize {
    fake.0.lock().unwrap().sent.len()
}

pub(crate) fn sms_campaign(segment: Value) -> Value {
    json!({
        "name": "Direct debit nudge",
        "segment": segment,
        "channels": ["sms"],
        "templates": {"sms": ["Hi {first_name}, {landlord} here. Set up a direct debit in the app: {app_link}"]},
    })
}

pub(crate) async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    call(app, Method::POST, path, Some(token), Some(body)).await
}

async fn get(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    call(app, Method::GET, path, Some(token), None).await
}

pub(crate) async fn create(app: &TestApp, token: &str, body: Value) -> i64 {
    let (s, c) = post(app, "/manage/v1/campaigns", token, body).await;
    assert_eq!(s, 201, "{c}");
    assert_eq!(c["status"], "draft");
    c["id"].as_i64().unwrap()
}

/// Launch (or relaunch) and wait, bounded, for the worker's fan-out to plan everyone.
pub(crate) async fn launch(app: &TestApp, token: &str, id: i64) -> Value {
    let (s, c) = post(
        app,
        &format!("/manage/v1/campaigns/{id}/launch"),
        token,
        json!({}),
    )
    .await;
    assert_eq!(s, 200, "{c}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let (s, p) = get(app, &format!("/manage/v1/campaigns/{id}/progress"), token).await;
        assert_eq!(s, 200, "{p}");
        if p["planned"] == true {
            return p;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "fan-out did not finish: {p}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

pub(crate) async fn progress(app: &TestApp, token: &str, id: i64) -> Value {
    let (s, p) = get(app, &format!("/manage/v1/campaigns/{id}/progress"), token).await;
    assert_eq!(s, 200, "{p}");
    p
}

fn sum(v: &Value) -> u64 {
    v.as_object()
        .map(|o| o.values().map(|n| n.as_u64().unwrap()).sum())
        .unwrap_or(0)
}

async fn breathing_space(app: &TestApp, tenancy_id: i64) {
    let today = crate::helpers::real_today();
    flag::ActiveModel {
        tenancy_id: Set(tenancy_id),
        tenant_id: Set(None),
        kind: Set("breathing_space_standard".into()),
        no_automated_contact: Set(false),
        starts_on: Set(today - Duration::days(3)),
        ends_on: Set(Some(today + Duration::days(50))),
        detail: Set("notified by a debt adviser".into()),
        set_by_staff_id: Set(None),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
}

/// A dispatch tick a moment after everything planned so far is due.
pub(crate) fn soon() -> DateTime<Utc> {
    Utc::now() + Duration::seconds(1)
}

#[tokio::test]
async fn campaign_preview_counts_equal_the_messages_then_sent_plus_those_suppressed() {
    let t = team().await;
    let app = &t.app;
    // HD1002 is in Breathing Space; HD1003 has no mobile; HD1001 (Karen) can be texted.
    breathing_space(app, tenancy_id(app, "HD1002").await).await;
    let body = sms_campaign(json!({}));
    let (s, preview) = post(app, "/manage/v1/campaigns/preview", &t.lead, body.clone()).await;
    assert_eq!(s, 200, "{preview}");
    assert_eq!(
        preview["matched"], 3,
        "HD-EAST is another team's: {preview}"
    );
    assert_eq!(
        preview["suppressed"],
        json!({"breathing_space": 1, "no_contact_detail": 1})
    );
    assert_eq!(preview["to_message"], 1);
    let sample = preview["samples"][0]["body"].as_str().unwrap();
    assert!(
        sample.starts_with("Hi Karen, Kirklees Homes here.")
            && sample.ends_with("Reply STOP to opt out."),
        "{sample}"
    );
    // Nothing was stored or sent by the preview.
    assert_eq!(message::Entity::find().count(&app.db).await.unwrap(), 0);

    let id = create(app, &t.lead, body).await;
    let planned = launch(app, &t.lead, id).await;
    assert_eq!(planned["matched"], 3);
    let (fake, url) = fake_twilio::start().await;
    let report = dispatch_all(&app.db, &twilio(&url), soon()).await.unwrap();
    assert_eq!(report.sent, 1, "{report:?}");
    assert_eq!(fake.sent_to(KAREN), 1);
    let p = progress(app, &t.lead, id).await;
    assert_eq!(p["sent"], preview["to_message"], "{p}");
    assert_eq!(p["suppressed"], preview["suppressed"], "{p}");
    assert_eq!(
        p["sent"].as_u64().unwrap() + sum(&p["suppressed"]),
        preview["matched"].as_u64().unwrap()
    );
    assert_eq!(p["queued"], 0);
    // The campaign's message went through the contact policy like any automated contact.
    let m = message::Entity::find()
        .filter(message::Column::CampaignId.eq(id))
        .filter(message::Column::Status.eq("sent"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.rule_id, None);
    assert!(
        m.idempotency_key
            .starts_with(&format!("campaign:{id}:tenancy:"))
    );
    t.app.stop().await;
}

#[tokio::test]
async fn a_held_back_control_group_gets_nothing_and_the_outcome_compares_with_it() {
    let (app, token) = seeded(120).await;
    let mut body = sms_campaign(json!({"has_mobile": true}));
    body["control_percent"] = json!(40);
    body["templates"]["sms"] = json!(["Variant A {app_link}", "Variant B {app_link}"]);
    let id = create(&app, &token, body).await;
    let planned = launch(&app, &token, id).await;
    let held_back = planned["held_back"].as_u64().unwrap();
    let matched = planned["matched"].as_u64().unwrap();
    assert!(held_back > 10 && held_back < matched / 2 + 10, "{planned}");
    let (fake, url) = fake_twilio::start().await;
    dispatch_all(&app.db, &twilio(&url), soon()).await.unwrap();

    let recipients = campaign_recipient::Entity::find()
        .filter(campaign_recipient::Column::CampaignId.eq(id))
        .all(&app.db)
        .await
        .unwrap();
    let control: Vec<i64> = recipients
        .iter()
        .filter(|r| r.control)
        .map(|r| r.tenancy_id)
        .collect();
    assert_eq!(control.len() as u64, held_back);
    // Nobody held back has a message of this campaign, queued, sent or otherwise.
    let theirs = message::Entity::find()
        .filter(message::Column::CampaignId.eq(id))
        .filter(message::Column::TenancyId.is_in(control.clone()))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(theirs, 0);
    let p = progress(&app, &token, id).await;
    let sent = p["sent"].as_u64().unwrap();
    assert_eq!(sent as usize, total_sent(&fake), "{p}");
    assert_eq!(sent + sum(&p["suppressed"]) + held_back, matched, "{p}");
    // Both variants were used and each message says its recipient's recorded variant.
    let sent_rows = message::Entity::find()
        .filter(message::Column::CampaignId.eq(id))
        .filter(message::Column::Status.eq("sent"))
        .all(&app.db)
        .await
        .unwrap();
    let mut by_variant = [0, 0];
    for m in &sent_rows {
        let r = recipients
            .iter()
            .find(|r| r.tenancy_id == m.tenancy_id)
            .unwrap();
        let expected = ["Variant A", "Variant B"][r.variant as usize];
        assert!(m.body.starts_with(expected), "{} / {}", m.body, r.variant);
        by_variant[r.variant as usize] += 1;
    }
    assert!(by_variant[0] > 0 && by_variant[1] > 0, "{by_variant:?}");

    // Payments after launch: one held-back tenant pays £10, two texted tenants £50 each.
    let today = crate::helpers::real_today();
    let texted: Vec<i64> = sent_rows.iter().map(|m| m.tenancy_id).take(2).collect();
    for (i, (tenancy_id, pence)) in [(control[0], 1_000), (texted[0], 5_000), (texted[1], 5_000)]
        .into_iter()
        .enumerate()
    {
        transaction::ActiveModel {
            tenancy_id: Set(tenancy_id),
            posted_on: Set(today),
            kind: Set("payment".into()),
            amount_pence: Set(-pence),
            method: Set(Some("card".into())),
            external_ref: Set(format!("campaign-test-{i}")),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    let (s, outcome) = get(&app, &format!("/manage/v1/campaigns/{id}/outcome"), &token).await;
    assert_eq!(s, 200, "{outcome}");
    assert_eq!(outcome["window_starts_on"], json!(today.to_string()));
    let groups = outcome["groups"].as_array().unwrap();
    let control_group = groups.iter().find(|g| g["group"] == "control").unwrap();
    assert_eq!(control_group["recipients"].as_u64().unwrap(), held_back);
    // Seeded payments dated today may add to these; ours are at least counted.
    assert!(
        control_group["within_7_days"]["paid_pence"]
            .as_i64()
            .unwrap()
            >= 1_000
    );
    assert!(control_group["within_7_days"]["versus_control"].is_null());
    let treated_paid: i64 = groups
        .iter()
        .filter(|g| g["group"] != "control")
        .map(|g| g["within_14_days"]["paid_pence"].as_i64().unwrap())
        .sum();
    assert!(treated_paid >= 10_000, "{outcome}");
    for g in groups.iter().filter(|g| g["group"] != "control") {
        let vs = &g["within_7_days"]["versus_control"];
        assert!(
            vs["paid_rate_ci_low"].as_f64().unwrap()
                <= vs["paid_rate_difference"].as_f64().unwrap()
                && vs["paid_rate_difference"].as_f64().unwrap()
                    <= vs["paid_rate_ci_high"].as_f64().unwrap(),
            "{g}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn pause_stops_sending_within_one_throttle_interval_and_resume_carries_on() {
    let (app, token) = seeded(60).await;
    let mut body = sms_campaign(json!({"has_mobile": true}));
    body["throttle_per_minute"] = json!(5);
    let id = create(&app, &token, body).await;
    let planned = launch(&app, &token, id).await;
    assert!(planned["queued"].as_u64().unwrap() > 12, "{planned}");
    let (fake, url) = fake_twilio::start().await;
    let providers = twilio(&url);
    let t0 = soon();
    dispatch_all(&app.db, &providers, t0).await.unwrap();
    assert_eq!(total_sent(&fake), 5, "the throttle: 5 in the first minute");
    dispatch_all(&app.db, &providers, t0 + Duration::seconds(30))
        .await
        .unwrap();
    assert_eq!(total_sent(&fake), 5, "still the first minute");

    let (s, c) = post(
        &app,
        &format!("/manage/v1/campaigns/{id}/pause"),
        &token,
        json!({}),
    )
    .await;
    assert_eq!((s, c["status"].as_str()), (200, Some("paused")), "{c}");
    // A whole throttle interval later, and later still: nothing more goes.
    for minutes in [1, 2, 10] {
        dispatch_all(
            &app.db,
            &providers,
            t0 + Duration::seconds(60 * minutes + 1),
        )
        .await
        .unwrap();
        assert_eq!(total_sent(&fake), 5, "paused, minute {minutes}");
    }
    let (s, _) = post(
        &app,
        &format!("/manage/v1/campaigns/{id}/pause"),
        &token,
        json!({}),
    )
    .await;
    assert_eq!(s, 409, "already paused");

    let (s, c) = post(
        &app,
        &format!("/manage/v1/campaigns/{id}/resume"),
        &token,
        json!({}),
    )
    .await;
    assert_eq!((s, c["status"].as_str()), (200, Some("running")), "{c}");
    dispatch_all(&app.db, &providers, t0 + Duration::seconds(60 * 11 + 1))
        .await
        .unwrap();
    assert_eq!(total_sent(&fake), 10, "the next minute's five");
    let p = progress(&app, &token, id).await;
    assert_eq!(p["sent"], 10, "{p}");
    app.stop().await;
}

#[tokio::test]
async fn a_relaunch_sends_nothing_twice() {
    let (app, token) = seeded(40).await;
    let mut body = sms_campaign(json!({"has_mobile": true}));
    body["throttle_per_minute"] = json!(4);
    let id = create(&app, &token, body).await;
    let planned = launch(&app, &token, id).await;
    let to_send = planned["queued"].as_u64().unwrap();
    assert!(to_send > 8, "{planned}");
    let (fake, url) = fake_twilio::start().await;
    let providers = twilio(&url);
    let t0 = soon();
    dispatch_all(&app.db, &providers, t0).await.unwrap();
    assert_eq!(total_sent(&fake), 4);

    // Cancel mid-run: the rest is not sent…
    let (s, c) = post(
        &app,
        &format!("/manage/v1/campaigns/{id}/cancel"),
        &token,
        json!({}),
    )
    .await;
    assert_eq!((s, c["status"].as_str()), (200, Some("cancelled")), "{c}");
    assert_eq!(
        c["progress"]["cancelled"].as_u64().unwrap(),
        to_send - 4,
        "{c}"
    );
    dispatch_all(&app.db, &providers, t0 + Duration::seconds(61))
        .await
        .unwrap();
    assert_eq!(total_sent(&fake), 4);

    // …and a relaunch sends it, but never again to the four already sent to.
    let again = launch(&app, &token, id).await;
    assert_eq!(again["matched"], planned["matched"], "{again}");
    for minute in 2..=20 {
        dispatch_all(&app.db, &providers, t0 + Duration::seconds(60 * minute + 1))
            .await
            .unwrap();
    }
    assert_eq!(total_sent(&fake) as u64, to_send);
    let p = progress(&app, &token, id).await;
    assert_eq!(
        (p["sent"].as_u64(), p["queued"].as_u64()),
        (Some(to_send), Some(0)),
        "{p}"
    );
    // Each recipient has one message row, whatever was run twice.
    let rows = message::Entity::find()
        .filter(message::Column::CampaignId.eq(id))
        .all(&app.db)
        .await
        .unwrap();
    let mut tenancies: Vec<i64> = rows.iter().map(|m| m.tenancy_id).collect();
    tenancies.sort_unstable();
    tenancies.dedup();
    assert_eq!(tenancies.len(), rows.len());
    // The fan-out run once more (a retried job) plans nobody anew.
    let r = rentdesk_store::campaigns::fan_out(
        &app.db,
        id,
        crate::helpers::real_today(),
        Utc::now(),
        &ContactPolicy::any_time(),
    )
    .await
    .unwrap();
    assert_eq!((r.queued, r.suppressed, r.held_back), (0, 0, 0), "{r:?}");
    assert_eq!(r.already_planned, r.matched);
    app.stop().await;
}

#[tokio::test]
async fn a_team_leader_of_another_team_cannot_see_or_launch_this_teams_campaign() {
    let t = team().await;
    let app = &t.app;
    let body = sms_campaign(json!({"patches": ["HD-NORTH"]}));
    let id = create(app, &t.lead, body.clone()).await;
    for path in [
        format!("/manage/v1/campaigns/{id}"),
        format!("/manage/v1/campaigns/{id}/progress"),
        format!("/manage/v1/campaigns/{id}/outcome"),
    ] {
        let (s, _) = get(app, &path, &t.other).await;
        assert_eq!(s, 404, "{path}");
    }
    for action in ["launch", "pause", "resume", "cancel"] {
        let (s, _) = post(
            app,
            &format!("/manage/v1/campaigns/{id}/{action}"),
            &t.other,
            json!({}),
        )
        .await;
        assert_eq!(s, 404, "{action}");
    }
    let (s, list) = get(app, "/manage/v1/campaigns", &t.other).await;
    assert_eq!((s, list["campaigns"].as_array().unwrap().len()), (200, 0));
    let (_, list) = get(app, "/manage/v1/campaigns", &t.lead).await;
    assert_eq!(list["campaigns"].as_array().unwrap().len(), 1);
    // Nor can they target this team's patches, in a preview or a campaign of their own.
    for path in ["/manage/v1/campaigns/preview", "/manage/v1/campaigns"] {
        let (s, p) = post(app, path, &t.other, body.clone()).await;
        assert_eq!(s, 422, "{p}");
        assert_eq!(p["errors"][0]["field"], "segment.patches", "{p}");
    }
    // An everyone-segment of theirs reaches only their own patch (HD1004).
    let (_, preview) = post(
        app,
        "/manage/v1/campaigns/preview",
        &t.other,
        sms_campaign(json!({})),
    )
    .await;
    assert_eq!(preview["matched"], 1, "{preview}");
    // Officers may not run campaigns at all.
    let officer = staff_sign_in(app, "north@council.example").await;
    let (s, _) = post(
        app,
        "/manage/v1/campaigns/preview",
        &officer,
        sms_campaign(json!({})),
    )
    .await;
    assert_eq!(s, 403);
    // And nothing of this team's went anywhere.
    assert_eq!(message::Entity::find().count(&app.db).await.unwrap(), 0);
    t.app.stop().await;
}

#[tokio::test]
async fn unknown_segment_fields_impossible_ranges_and_bad_templates_are_each_named() {
    let t = team().await;
    let body = json!({
        "name": "  ",
        "segment": {"arrears_over": 1, "arrears_min_pence": 5000, "arrears_max_pence": 100, "tenures": ["castle"]},
        "channels": ["sms", "sms"],
        "templates": {"sms": ["You owe {arrears}", "Hi {name}"], "push": ["Hello"]},
        "throttle_per_minute": 0,
        "control_percent": 80,
        "ends_on": "2020-01-01",
    });
    let (s, p) = post(&t.app, "/manage/v1/campaigns", &t.lead, body).await;
    assert_eq!(s, 422, "{p}");
    let mut fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "channels[1]",
            "control_percent",
            "ends_on",
            "name",
            "segment.arrears_max_pence",
            "segment.arrears_over",
            "segment.tenures[0]",
            "templates.push",
            "templates.sms[0]",
            "templates.sms[1]",
            "throttle_per_minute",
        ],
        "{p}"
    );
    let twice = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == "channels[1]")
        .unwrap();
    assert_eq!(twice["reason"], "listed twice", "{p}");
    // A channel outside the vocabulary is refused by the contract, before any other check.
    let body = json!({
        "name": "Fax campaign",
        "segment": {},
        "channels": ["sms", "fax"],
        "templates": {"sms": ["Hello"]},
    });
    let (s, p) = post(&t.app, "/manage/v1/campaigns", &t.lead, body).await;
    assert_eq!(s, 422, "{p}");
    assert_eq!(p["errors"][0]["field"], "channels[1]", "{p}");
    assert_eq!(
        p["errors"][0]["reason"], "must be one of: sms, email, push",
        "{p}"
    );
    t.app.stop().await;
}

#[tokio::test]
async fn progress_streams_as_server_sent_events() {
    let t = team().await;
    let app = &t.app;
    let id = create(app, &t.lead, sms_campaign(json!({}))).await;
    launch(app, &t.lead, id).await;
    let (s, _) = post(
        app,
        &format!("/manage/v1/campaigns/{id}/cancel"),
        &t.lead,
        json!({}),
    )
    .await;
    assert_eq!(s, 200);
    // A cancelled campaign's stream gives its counts once and ends.
    let resp = app
        .client
        .get(app.url(&format!("/manage/v1/campaigns/{id}/progress/stream")))
        .bearer_auth(&t.lead)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let text = resp.text().await.unwrap();
    let events: Vec<Value> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    assert_eq!(events.len(), 1, "{text}");
    assert_eq!(events[0]["status"], "cancelled");
    assert_eq!(events[0]["matched"], 3);
    let (s, _) = get(
        app,
        &format!("/manage/v1/campaigns/{id}/progress/stream"),
        &t.other,
    )
    .await;
    assert_eq!(s, 404);
    t.app.stop().await;
}

/// Sends are recorded in groups (one statement per group, not per message): each row must
/// still get the id Twilio gave for its own message, and its own time.
#[tokio::test]
async fn every_sms_of_a_group_is_recorded_with_its_own_twilio_id() {
    let (app, token) = seeded(40).await;
    let id = create(&app, &token, sms_campaign(json!({"has_mobile": true}))).await;
    let planned = launch(&app, &token, id).await;
    let to_send = planned["queued"].as_u64().unwrap();
    // More than a group of the default concurrency, and not a multiple of it.
    assert!(to_send > 9, "{planned}");
    let (fake, url) = fake_twilio::start().await;
    let t0 = soon();
    let report = dispatch_all(&app.db, &twilio(&url), t0).await.unwrap();
    assert_eq!(report.sent, to_send);
    let rows = message::Entity::find()
        .filter(message::Column::CampaignId.eq(id))
        .filter(message::Column::Status.ne("suppressed"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(rows.len() as u64, to_send);
    let mobiles: std::collections::HashMap<i64, Option<String>> =
        rentdesk_store::entities::tenant::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .map(|t| (t.id, t.mobile))
            .collect();
    let mut sids: Vec<&str> = rows
        .iter()
        .filter_map(|m| m.provider_id.as_deref())
        .collect();
    sids.sort_unstable();
    sids.dedup();
    assert_eq!(sids.len(), rows.len());
    {
        let state = fake.0.lock().unwrap();
        assert_eq!(state.sent.len() as u64, to_send);
        for m in &rows {
            assert_eq!(m.status, "sent", "{m:?}");
            // The fake numbers its SIDs in the order it accepted the messages.
            let sid = m.provider_id.as_deref().unwrap();
            let n = usize::from_str_radix(sid.trim_start_matches("SM"), 16).unwrap();
            let form = &state.sent[n - 1];
            assert_eq!(form.get("Body"), Some(&m.body), "{sid}");
            assert_eq!(
                form.get("To"),
                mobiles[&m.tenant_id.unwrap()].as_ref(),
                "{sid}"
            );
            let sent_at = m.sent_at.unwrap();
            assert!(
                sent_at >= t0 && sent_at <= state.created[n - 1].max(t0) + Duration::seconds(30),
                "{sent_at}"
            );
        }
    }
    app.stop().await;
}

/// A campaign lived at a past time (the demo's, launched weeks ago) sees each account's stage
/// as it was then: a stage reached since is not yet reached at the launch, and the same
/// segment run today finds it.
#[tokio::test]
async fn a_back_dated_fan_out_reads_each_accounts_stage_as_it_was_then() {
    use rentdesk_store::entities::case;
    let (app, token) = seeded(20).await;
    let now = Utc::now();
    let today = crate::helpers::real_today();
    let id = rentdesk_store::entities::tenancy::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    // The first letter went out today: the case and its diary line say so.
    case::ActiveModel {
        tenancy_id: Set(id),
        stage: Set("first_letter".into()),
        priority: Set(0),
        reasons: Set("[]".into()),
        owner_id: Set(None),
        stage_since: Set(today),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    rentdesk_store::diary::write(
        &app.db,
        rentdesk_store::diary::Entry {
            tenancy_id: id,
            kind: rentdesk_store::vocab::ActionKind::Stage,
            outcome: Some("first_letter"),
            body: "Stage: first letter.",
            author_staff_id: None,
            rule_id: None,
            facts: None,
            client_id: None,
            occurred_at: None,
            purpose: None,
        },
        now,
    )
    .await
    .unwrap();
    let campaign = create(
        &app,
        &token,
        sms_campaign(json!({"stages": ["first_letter"]})),
    )
    .await;
    let c = rentdesk_store::entities::campaign::Entity::find_by_id(campaign)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let back = now - Duration::days(10);
    let policy = ContactPolicy::any_time();
    rentdesk_store::campaigns::launch(&app.db, &c, back)
        .await
        .unwrap()
        .unwrap();
    let then = rentdesk_store::campaigns::fan_out(
        &app.db,
        campaign,
        today - Duration::days(10),
        back,
        &policy,
    )
    .await
    .unwrap();
    assert_eq!(
        then.matched, 0,
        "ten days ago nobody had a first letter: {then:?}"
    );
    let now_run = rentdesk_store::campaigns::fan_out(&app.db, campaign, today, now, &policy)
        .await
        .unwrap();
    assert_eq!(now_run.matched, 1, "today the account has it: {now_run:?}");
    app.stop().await;
}

/// A back-dated fan-out (the demo's campaigns, lived at their launch weeks ago) sees only the
/// repayment plans there were then: a plan a tenant proposed after the launch is not yet there,
/// and the same segment run today finds it.
#[tokio::test]
async fn a_back_dated_fan_out_does_not_see_a_plan_made_after_the_launch() {
    use rentdesk_store::entities::{arrangement, tenancy};
    let (app, token) = seeded(20).await;
    let now = Utc::now();
    let today = crate::helpers::real_today();
    let with_plan: Vec<i64> = arrangement::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.tenancy_id)
        .collect();
    let id = tenancy::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .find(|id| !with_plan.contains(id))
        .expect("a tenancy with no plan");
    // Proposed in the app an hour ago, first payment today.
    arrangement::ActiveModel {
        tenancy_id: Set(id),
        status: Set("active".into()),
        frequency: Set("weekly".into()),
        instalment_pence: Set(1_000),
        includes_rent: Set(false),
        start_date: Set(today),
        arrears_at_start_pence: Set(10_000),
        proposed_by_tenant: Set(true),
        created_at: Set(now - Duration::hours(1)),
        updated_at: Set(now - Duration::hours(1)),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let campaign = create(&app, &token, sms_campaign(json!({"arrangement": "active"}))).await;
    let c = rentdesk_store::entities::campaign::Entity::find_by_id(campaign)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let back = now - Duration::days(10);
    let policy = ContactPolicy::any_time();
    rentdesk_store::campaigns::launch(&app.db, &c, back)
        .await
        .unwrap()
        .unwrap();
    let recipient = || async {
        campaign_recipient::Entity::find()
            .filter(campaign_recipient::Column::CampaignId.eq(campaign))
            .filter(campaign_recipient::Column::TenancyId.eq(id))
            .count(&app.db)
            .await
            .unwrap()
    };
    rentdesk_store::campaigns::fan_out(
        &app.db,
        campaign,
        today - Duration::days(10),
        back,
        &policy,
    )
    .await
    .unwrap();
    assert_eq!(recipient().await, 0, "ten days ago the plan was not there");
    rentdesk_store::campaigns::fan_out(&app.db, campaign, today, now, &policy)
        .await
        .unwrap();
    assert_eq!(recipient().await, 1, "today it is");
    app.stop().await;
}

/// A back-dated fan-out does not count, under the weekly cap, a message planned after the
/// launch: it goes at the launch instead of being deferred by a contact that had not happened.
#[tokio::test]
async fn a_back_dated_fan_out_does_not_count_messages_planned_after_the_launch() {
    use chrono::SubsecRound as _;
    let (app, token) = seeded(20).await;
    let now = Utc::now();
    let today = crate::helpers::real_today();
    // Whole seconds: PostgreSQL keeps microseconds, and the check below is exact.
    let back = (now - Duration::days(10)).trunc_subsecs(0);
    let ids: Vec<i64> = rentdesk_store::entities::tenancy::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    // The nightly run planned a reminder for every account the day after the launch.
    for id in &ids {
        message::ActiveModel {
            idempotency_key: Set(format!("later:{id}")),
            tenancy_id: Set(*id),
            channel: Set("sms".into()),
            template: Set("reminder".into()),
            rule_id: Set(Some("later".into())),
            body: Set("A reminder planned after the launch.".into()),
            status: Set("queued".into()),
            scheduled_for: Set(Some(back + Duration::days(1))),
            attempts: Set(0),
            language: Set("en".into()),
            created_at: Set(back + Duration::hours(20)),
            updated_at: Set(back + Duration::hours(20)),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    let campaign = create(&app, &token, sms_campaign(json!({"has_mobile": true}))).await;
    let c = rentdesk_store::entities::campaign::Entity::find_by_id(campaign)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    rentdesk_store::campaigns::launch(&app.db, &c, back)
        .await
        .unwrap()
        .unwrap();
    let policy = ContactPolicy {
        max_automated_per_7_days: 1,
        ..ContactPolicy::any_time()
    };
    rentdesk_store::campaigns::fan_out(
        &app.db,
        campaign,
        today - Duration::days(10),
        back,
        &policy,
    )
    .await
    .unwrap();
    let sent: Vec<message::Model> = message::Entity::find()
        .filter(message::Column::CampaignId.eq(campaign))
        .all(&app.db)
        .await
        .unwrap();
    let queued: Vec<&message::Model> = sent.iter().filter(|m| m.status == "queued").collect();
    assert!(!queued.is_empty(), "{sent:?}");
    for m in &queued {
        assert_eq!(
            m.scheduled_for,
            Some(back),
            "at the launch nothing had been sent in the week: {m:?}"
        );
    }
    assert!(
        sent.iter()
            .all(|m| m.suppression_reason.as_deref() != Some("weekly_cap_reached")),
        "{sent:?}"
    );
    app.stop().await;
}
