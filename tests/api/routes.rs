//! Visits and the day's route (issue 7): planning visits with client ids, the route that keeps
//! every appointment window, re-planning when a visit is added or cancelled, visits that cannot
//! fit listed with the reason, patch scope, GeoJSON for the map, done visits in the diary and
//! visits in the officer's sync.

use crate::helpers::{
    TestApp, call, spawn_app, staff, staff_id, staff_sign_in as sign_in, tenancy_id,
};
use chrono::{Duration, NaiveDate, NaiveTime};
use rentdesk_store::entities::{action, audit_entry, patch, tenancy, visit};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{Value, json};

pub(crate) struct Team {
    pub(crate) app: TestApp,
    pub(crate) north: String,
    pub(crate) central: String,
    pub(crate) day: NaiveDate,
}

/// The examples, an officer for HD-NORTH and one for HD-CENTRAL, and a day to plan: tomorrow.
pub(crate) async fn team() -> Team {
    let app = spawn_app().await;
    app.import_examples().await;
    let north = staff(&app, "north@council.example", "officer").await;
    let central = staff(&app, "central@council.example", "officer").await;
    for (code, officer) in [("HD-NORTH", north), ("HD-CENTRAL", central)] {
        patch::Entity::update_many()
            .col_expr(patch::Column::OfficerId, Expr::value(officer))
            .filter(patch::Column::Code.eq(code))
            .exec(&app.db)
            .await
            .unwrap();
    }
    let north = sign_in(&app, "north@council.example").await;
    let central = sign_in(&app, "central@council.example").await;
    let day = rentdesk_domain::time::london_date(chrono::Utc::now()) + Duration::days(1);
    Team {
        app,
        north,
        central,
        day,
    }
}

/// Another tenancy in `patch_code` at (lat, lon) (`None`: no coordinates known).
pub(crate) async fn tenancy_at(
    app: &TestApp,
    reference: &str,
    patch_code: &str,
    at: Option<(f64, f64)>,
) -> i64 {
    let patch_id = patch::Entity::find()
        .filter(patch::Column::Code.eq(patch_code))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let now = chrono::Utc::now();
    tenancy::ActiveModel {
        reference: Set(reference.into()),
        tenure: Set("secure".into()),
        status: Set("active".into()),
        address_line1: Set(format!("{} Test Street", &reference[2..])),
        address_line2: Set(None),
        town: Set("Huddersfield".into()),
        postcode: Set("HD1 1AA".into()),
        latitude: Set(at.map(|a| a.0)),
        longitude: Set(at.map(|a| a.1)),
        patch_id: Set(Some(patch_id)),
        start_date: Set(NaiveDate::from_ymd_opt(2020, 4, 6).unwrap()),
        end_date: Set(None),
        weekly_rent_pence: Set(9_850),
        weekly_service_charge_pence: Set(0),
        rent_period: Set("weekly".into()),
        rent_free_weeks: Set(String::new()),
        rent_free_only_when_clear: Set(false),
        periodic_service_charge_pence: Set(None),
        periodic_service_charge_frequency: Set(None),
        payment_method: Set("direct_debit".into()),
        self_pay_pence: Set(None),
        self_pay_frequency: Set(None),
        self_pay_anchor: Set(None),
        hb_weekly_pence: Set(None),
        hb_first_pay_date: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
    .id
}

pub(crate) async fn get(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    call(app, reqwest::Method::GET, path, Some(token), None).await
}

pub(crate) async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    call(app, reqwest::Method::POST, path, Some(token), Some(body)).await
}

/// Plan a visit; asserts 201 and returns its id.
async fn plan(t: &Team, tenancy_id: i64, window: Option<(&str, &str)>, minutes: u32) -> i64 {
    let (s, v) = post(
        &t.app,
        "/officer/v1/visits",
        &t.north,
        json!({
            "client_id": format!("visit-{tenancy_id}-{}", window.map_or("any", |w| w.0)),
            "tenancy_id": tenancy_id,
            "date": t.day,
            "window_start": window.map(|w| w.0),
            "window_end": window.map(|w| w.1),
            "duration_minutes": minutes,
            "purpose": "arrears visit",
        }),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_i64().unwrap()
}

async fn route(t: &Team, token: &str) -> Value {
    let (s, r) = get(&t.app, &format!("/officer/v1/routes/{}", t.day), token).await;
    assert_eq!(s, 200, "{r}");
    r
}

fn time(v: &Value) -> NaiveTime {
    NaiveTime::parse_from_str(v.as_str().unwrap(), "%H:%M").unwrap()
}

fn stop_ids(route: &Value) -> Vec<i64> {
    route["stops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["visit_id"].as_i64().unwrap())
        .collect()
}

pub(crate) fn fields(problem: &Value) -> Vec<String> {
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

/// Ten north-patch homes around Huddersfield: the two examples and eight more.
async fn north_homes(app: &TestApp) -> Vec<i64> {
    let mut ids = vec![
        tenancy_id(app, "HD1001").await,
        tenancy_id(app, "HD1002").await,
    ];
    for (i, at) in [
        (53.6520, -1.7700),
        (53.6600, -1.7900),
        (53.6390, -1.8010),
        (53.6350, -1.7750),
        (53.6700, -1.7650),
        (53.6480, -1.8150),
        (53.6280, -1.7900),
        (53.6550, -1.7500),
    ]
    .into_iter()
    .enumerate()
    {
        ids.push(tenancy_at(app, &format!("HD20{i:02}"), "HD-NORTH", Some(at)).await);
    }
    ids
}

#[tokio::test]
async fn the_route_keeps_every_appointment_window_and_ends_by_the_end_of_the_day() {
    let t = team().await;
    let homes = north_homes(&t.app).await;
    let windows = [
        (1, ("09:00", "09:30")),
        (4, ("11:00", "11:30")),
        (7, ("13:30", "14:00")),
        (9, ("15:00", "15:20")),
    ];
    let mut planned = vec![];
    for (i, home) in homes.iter().enumerate() {
        let w = windows.iter().find(|(k, _)| *k == i).map(|(_, w)| *w);
        planned.push((plan(&t, *home, w, 30).await, w));
    }
    let r = route(&t, &t.north).await;
    assert_eq!(r["unassigned"], json!([]), "{r}");
    let stops = r["stops"].as_array().unwrap();
    assert_eq!(stops.len(), 10, "{r}");
    let mut seen = stop_ids(&r);
    seen.sort();
    let mut want: Vec<i64> = planned.iter().map(|(id, _)| *id).collect();
    want.sort();
    assert_eq!(seen, want, "every visit once");
    let mut previous_departure = time(&r["leaves_base"]);
    for (i, stop) in stops.iter().enumerate() {
        assert_eq!(stop["order"], i + 1);
        let (eta, arrives, departs) = (
            time(&stop["eta"]),
            time(&stop["arrives"]),
            time(&stop["departs"]),
        );
        assert!(previous_departure <= arrives && arrives <= eta, "{stop}");
        assert_eq!(departs - eta, Duration::minutes(30), "{stop}");
        let (_, window) = planned
            .iter()
            .find(|(id, _)| *id == stop["visit_id"].as_i64().unwrap())
            .unwrap();
        match window {
            Some((a, b)) => {
                let (a, b) = (
                    NaiveTime::parse_from_str(a, "%H:%M").unwrap(),
                    NaiveTime::parse_from_str(b, "%H:%M").unwrap(),
                );
                assert!(a <= eta && eta <= b, "window {a}–{b} kept: {stop}");
                assert_eq!(stop["window_start"], a.format("%H:%M").to_string());
            }
            None => assert_eq!(stop["wait_minutes"], 0, "{stop}"),
        }
        previous_departure = departs;
    }
    let back = time(&r["back_at_base"]);
    assert!(previous_departure <= back);
    assert!(back <= NaiveTime::from_hms_opt(17, 0, 0).unwrap(), "{r}");
    assert_eq!(r["day_ends"], "17:00");
    assert_eq!(r["base"]["latitude"], 53.6458);
    assert!(r["total_distance_m"].as_u64().unwrap() > 10_000, "{r}");
    // Reading the route shows tenants' addresses: audited.
    let audited = audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq("route.read"))
        .count(&t.app.db)
        .await
        .unwrap();
    assert_eq!(audited, 1);
    t.app.stop().await;
}

#[tokio::test]
async fn adding_or_cancelling_a_visit_replans_the_route() {
    let t = team().await;
    let homes = north_homes(&t.app).await;
    let a = plan(&t, homes[0], None, 30).await;
    let b = plan(&t, homes[1], Some(("10:00", "10:30")), 45).await;
    let first = route(&t, &t.north).await;
    assert_eq!(first["stops"].as_array().unwrap().len(), 2, "{first}");
    let c = plan(&t, homes[5], None, 20).await;
    let second = route(&t, &t.north).await;
    let mut ids = stop_ids(&second);
    ids.sort();
    assert_eq!(
        ids,
        vec![a, b, c],
        "the new visit is on the route: {second}"
    );
    assert!(
        second["total_distance_m"].as_u64() > first["total_distance_m"].as_u64(),
        "a detour to a third home"
    );
    let (s, cancelled) = post(
        &t.app,
        &format!("/officer/v1/visits/{b}/cancel"),
        &t.north,
        json!({}),
    )
    .await;
    assert_eq!((s, cancelled["status"].as_str()), (200, Some("cancelled")));
    let third = route(&t, &t.north).await;
    let mut ids = stop_ids(&third);
    ids.sort();
    assert_eq!(ids, vec![a, c], "the cancelled visit is gone: {third}");
    // Cancelling again is harmless; a cancelled visit cannot then be done.
    let (s, _) = post(
        &t.app,
        &format!("/officer/v1/visits/{b}/cancel"),
        &t.north,
        json!({}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, p) = post(
        &t.app,
        &format!("/officer/v1/visits/{b}/done"),
        &t.north,
        json!({"outcome": "contact_made"}),
    )
    .await;
    assert_eq!(s, 409, "{p}");
    // The day's list still shows it, as cancelled.
    let (s, list) = get(
        &t.app,
        &format!("/officer/v1/visits?date={}", t.day),
        &t.north,
    )
    .await;
    assert_eq!(s, 200, "{list}");
    let shown_id = list["visits"][0]["tenancy_id"].as_i64().unwrap();
    let audited = audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq("visits.read"))
        .all(&t.app.db)
        .await
        .unwrap()
        .into_iter()
        .any(|e| {
            e.client_addr.is_some()
                && (e.subject_id == Some(shown_id.to_string())
                    || e.detail.is_some_and(|d| d.contains(&shown_id.to_string())))
        });
    assert!(audited, "the day's visits show tenants' addresses: audited");
    let statuses: Vec<(i64, &str)> = list["visits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["id"].as_i64().unwrap(), v["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        vec![(a, "planned"), (b, "cancelled"), (c, "planned")]
    );
    t.app.stop().await;
}

#[tokio::test]
async fn visits_that_cannot_fit_are_listed_with_the_reason() {
    let t = team().await;
    let hd1001 = tenancy_id(&t.app, "HD1001").await;
    // Near Leeds: 30-odd minutes' drive from the base, too far for an 08:30–08:40 appointment.
    let far = tenancy_at(&t.app, "HD3001", "HD-NORTH", Some((53.7800, -1.6200))).await;
    let unknown = tenancy_at(&t.app, "HD3002", "HD-NORTH", None).await;
    let ok = plan(&t, hd1001, None, 30).await;
    let early = plan(&t, far, Some(("08:30", "08:40")), 30).await;
    let nowhere = plan(&t, unknown, None, 30).await;
    let r = route(&t, &t.north).await;
    assert_eq!(stop_ids(&r), vec![ok], "{r}");
    let unassigned = r["unassigned"].as_array().unwrap();
    assert_eq!(unassigned.len(), 2, "{r}");
    let reason = |id: i64| {
        unassigned
            .iter()
            .find(|u| u["visit_id"] == id)
            .map(|u| u["reason"].as_str().unwrap().to_owned())
            .unwrap()
    };
    assert!(
        reason(early)
            .starts_with("window 08:30–08:40 cannot be reached from the base before it closes"),
        "{}",
        reason(early)
    );
    assert_eq!(reason(nowhere), "no coordinates for this address");
    assert_eq!(unassigned[0]["reference"], "HD3001");
    t.app.stop().await;
}

#[tokio::test]
async fn an_account_in_another_patch_cannot_be_visited() {
    let t = team().await;
    let hd1001 = tenancy_id(&t.app, "HD1001").await;
    let hd1003 = tenancy_id(&t.app, "HD1003").await;
    let (s, p) = post(
        &t.app,
        "/officer/v1/visits",
        &t.north,
        json!({"client_id": "visit-other-patch", "tenancy_id": hd1003, "date": t.day}),
    )
    .await;
    assert_eq!(s, 404, "{p}");
    let mine = plan(&t, hd1001, None, 30).await;
    // The central officer can neither cancel nor complete the north officer's visit, and their
    // route does not include it.
    for action in ["cancel", "done"] {
        let (s, p) = post(
            &t.app,
            &format!("/officer/v1/visits/{mine}/{action}"),
            &t.central,
            json!({"outcome": "contact_made"}),
        )
        .await;
        assert_eq!(s, 404, "{action}: {p}");
    }
    let theirs = route(&t, &t.central).await;
    assert_eq!(theirs["stops"], json!([]), "{theirs}");
    assert_eq!(theirs["unassigned"], json!([]), "{theirs}");
    let stored = visit::Entity::find_by_id(mine)
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, "planned");
    // No token, no route.
    let (s, _) = call(
        &t.app,
        reqwest::Method::GET,
        &format!("/officer/v1/routes/{}", t.day),
        None,
        None,
    )
    .await;
    assert_eq!(s, 401);
    t.app.stop().await;
}

#[tokio::test]
async fn a_resent_visit_is_stored_once() {
    let t = team().await;
    let hd1001 = tenancy_id(&t.app, "HD1001").await;
    let hd1002 = tenancy_id(&t.app, "HD1002").await;
    let body = json!({
        "client_id": "3f1c8a2e-offline-visit",
        "tenancy_id": hd1001,
        "date": t.day,
        "window_start": "10:00",
        "window_end": "10:30",
    });
    let (s, first) = post(&t.app, "/officer/v1/visits", &t.north, body.clone()).await;
    assert_eq!(s, 201, "{first}");
    assert_eq!(first["duration_minutes"], 30, "VISIT_MINUTES by default");
    assert_eq!(first["reference"], "HD1001");
    let (s, again) = post(&t.app, "/officer/v1/visits", &t.north, body).await;
    assert_eq!(s, 200, "{again}");
    assert_eq!(again["id"], first["id"]);
    let (s, p) = post(
        &t.app,
        "/officer/v1/visits",
        &t.north,
        json!({"client_id": "3f1c8a2e-offline-visit", "tenancy_id": hd1002, "date": t.day}),
    )
    .await;
    assert_eq!(s, 409, "{p}");
    let stored = visit::Entity::find().count(&t.app.db).await.unwrap();
    assert_eq!(stored, 1);
    t.app.stop().await;
}

#[tokio::test]
async fn bad_visits_are_refused_naming_each_field() {
    let t = team().await;
    let hd1001 = tenancy_id(&t.app, "HD1001").await;
    let yesterday = t.day - Duration::days(2);
    for (body, want) in [
        (
            json!({"client_id": "bad-visit-1", "tenancy_id": hd1001, "date": yesterday,
                   "window_start": "10:00", "duration_minutes": 2}),
            vec!["date", "duration_minutes", "window_end"],
        ),
        (
            json!({"client_id": "bad-visit-2", "tenancy_id": hd1001, "date": t.day,
                   "window_start": "10.00", "window_end": "25:00"}),
            vec!["window_end", "window_start"],
        ),
        (
            json!({"client_id": "bad-visit-3", "tenancy_id": hd1001, "date": t.day,
                   "window_start": "11:00", "window_end": "10:00"}),
            vec!["window_end"],
        ),
    ] {
        let (s, p) = post(&t.app, "/officer/v1/visits", &t.north, body).await;
        assert_eq!(
            (s, fields(&p)),
            (422, want.iter().map(|f| f.to_string()).collect()),
            "{p}"
        );
    }
    t.app.stop().await;
}

#[tokio::test]
async fn the_route_as_geojson_draws_the_line_from_the_base_and_a_point_per_stop() {
    let t = team().await;
    let homes = north_homes(&t.app).await;
    for home in &homes[..4] {
        plan(&t, *home, None, 30).await;
    }
    let resp = t
        .app
        .client
        .get(t.app.url(&format!("/officer/v1/routes/{}/geojson", t.day)))
        .bearer_auth(&t.north)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let content_type = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("application/geo+json"),
        "{content_type}"
    );
    let g: Value = resp.json().await.unwrap();
    assert_eq!(g["type"], "FeatureCollection");
    let features = g["features"].as_array().unwrap();
    assert_eq!(features.len(), 1 + 1 + 4, "line, base, 4 stops: {g}");
    let line = &features[0];
    assert_eq!(line["type"], "Feature");
    assert_eq!(line["geometry"]["type"], "LineString");
    let coords = line["geometry"]["coordinates"].as_array().unwrap();
    assert_eq!(coords.len(), 6, "base, 4 stops, base");
    // RFC 7946: [longitude, latitude].
    assert_eq!(coords[0], json!([-1.785, 53.6458]));
    assert_eq!(coords[5], coords[0]);
    assert_eq!(features[1]["properties"]["kind"], "base");
    let r = route(&t, &t.north).await;
    for (i, stop) in features[2..].iter().enumerate() {
        assert_eq!(stop["geometry"]["type"], "Point");
        let p = &stop["properties"];
        assert_eq!(p["kind"], "stop");
        assert_eq!(p["order"], i + 1);
        assert_eq!(stop["geometry"]["coordinates"], coords[i + 1]);
        assert!(p["eta"].is_string(), "{p}");
        assert!(p.get("window").is_none(), "no window, no key: {p}");
    }
    // The same visits as the JSON route. Not necessarily in the same order: vrp-core's search is
    // seeded but reacts to time, so two requests may find different equally good routes.
    let refs = |stops: &[Value], key: &str| {
        let mut v: Vec<String> = stops
            .iter()
            .map(|s| {
                s[key]["reference"]
                    .as_str()
                    .or(s["reference"].as_str())
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        refs(&features[2..], "properties"),
        refs(r["stops"].as_array().unwrap(), "none"),
        "{g}"
    );
    t.app.stop().await;
}

#[tokio::test]
async fn a_done_visit_is_written_to_the_diary_and_synced() {
    let t = team().await;
    let hd1001 = tenancy_id(&t.app, "HD1001").await;
    let (_, first) = get(&t.app, "/officer/v1/sync", &t.north).await;
    let since = first["next_since"].as_str().unwrap().to_owned();
    // A cursor is the caller's own: central's comes from central's sync.
    let (_, theirs) = get(&t.app, "/officer/v1/sync", &t.central).await;
    let their_since = theirs["next_since"].as_str().unwrap().to_owned();
    let id = plan(&t, hd1001, Some(("09:00", "09:30")), 30).await;
    // A first sync brings the planned visits from today on.
    let (s, fresh) = get(&t.app, "/officer/v1/sync", &t.north).await;
    assert_eq!(s, 200, "{fresh}");
    assert_eq!(fresh["visits"][0]["id"], id, "{fresh}");
    let (s, done) = post(
        &t.app,
        &format!("/officer/v1/visits/{id}/done"),
        &t.north,
        json!({"outcome": "promise_to_pay", "body": "Will pay £40 on Friday."}),
    )
    .await;
    assert_eq!(s, 200, "{done}");
    assert_eq!(done["status"], "done");
    let action_id = done["action_id"].as_i64().unwrap();
    let entry = action::Entity::find_by_id(action_id)
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            entry.kind.as_str(),
            entry.outcome.as_deref(),
            entry.tenancy_id
        ),
        ("visit", Some("promise_to_pay"), hd1001)
    );
    assert!(entry.facts.unwrap().contains("09:00–09:30"));
    // Done twice: still one diary entry.
    let (s, _) = post(
        &t.app,
        &format!("/officer/v1/visits/{id}/done"),
        &t.north,
        json!({"outcome": "promise_to_pay"}),
    )
    .await;
    assert_eq!(s, 200);
    let visits_in_diary = action::Entity::find()
        .filter(action::Column::Kind.eq("visit"))
        .count(&t.app.db)
        .await
        .unwrap();
    assert_eq!(visits_in_diary, 1);
    // A done visit is off the route; sync since the cursor brings it and its diary entry, and
    // the central officer's sync brings neither.
    let r = route(&t, &t.north).await;
    assert_eq!(r["stops"], json!([]));
    let q = format!("/officer/v1/sync?since={}", since.replace('+', "%2B"));
    let (s, next) = get(&t.app, &q, &t.north).await;
    assert_eq!(s, 200, "{next}");
    let synced = next["visits"].as_array().unwrap();
    assert_eq!(synced.len(), 1, "{next}");
    assert_eq!(synced[0]["status"], "done");
    assert!(
        next["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == action_id)
    );
    let (s, other) = get(
        &t.app,
        &format!("/officer/v1/sync?since={their_since}"),
        &t.central,
    )
    .await;
    assert_eq!(s, 200, "{other}");
    assert_eq!(other["visits"], json!([]), "{other}");
    t.app.stop().await;
}

/// A team leader of the officers' team ("income", as every `staff` helper member is) and one
/// of another team.
async fn leaders(t: &Team) -> (String, String) {
    staff(&t.app, "lead@council.example", "team_leader").await;
    let other = staff(&t.app, "other-lead@council.example", "team_leader").await;
    rentdesk_store::entities::staff_user::Entity::update_many()
        .col_expr(
            rentdesk_store::entities::staff_user::Column::Team,
            Expr::value("rents"),
        )
        .filter(rentdesk_store::entities::staff_user::Column::Id.eq(other))
        .exec(&t.app.db)
        .await
        .unwrap();
    (
        sign_in(&t.app, "lead@council.example").await,
        sign_in(&t.app, "other-lead@council.example").await,
    )
}

#[tokio::test]
async fn a_team_leader_sees_and_plans_an_officers_route_but_officer_a_cannot_see_bs() {
    let t = team().await;
    let (lead, other_lead) = leaders(&t).await;
    let north_id = staff_id(&t.app, "north@council.example").await;
    let central_id = staff_id(&t.app, "central@council.example").await;
    let hd1001 = tenancy_id(&t.app, "HD1001").await;
    let central_home = tenancy_at(&t.app, "HD4001", "HD-CENTRAL", Some((53.6440, -1.7800))).await;
    let mine = plan(&t, hd1001, Some(("10:00", "10:30")), 30).await;

    // Officer A (north) asking for officer B's (central's) route or visits: 403, both forms.
    for path in [
        format!("/officer/v1/routes/{}?officer={central_id}", t.day),
        format!("/officer/v1/visits?date={}&officer={central_id}", t.day),
    ] {
        let (s, p) = get(&t.app, &path, &t.north).await;
        assert_eq!(s, 403, "{path}: {p}");
        assert_eq!(p["type"], "https://rentdesk.dev/problems/not-your-route");
    }
    let resp = t
        .app
        .client
        .get(t.app.url(&format!(
            "/officer/v1/routes/{}/geojson?officer={central_id}",
            t.day
        )))
        .bearer_auth(&t.north)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/problem+json")
    );
    // Asking for their own by id is just their route.
    let (s, own) = get(
        &t.app,
        &format!("/officer/v1/routes/{}?officer={north_id}", t.day),
        &t.north,
    )
    .await;
    assert_eq!((s, stop_ids(&own)), (200, vec![mine]), "{own}");
    // Nor may A put a visit on B's route.
    let (s, p) = post(
        &t.app,
        "/officer/v1/visits",
        &t.north,
        json!({"client_id": "north-for-central-1", "tenancy_id": hd1001, "date": t.day,
               "officer_id": central_id}),
    )
    .await;
    assert_eq!(s, 403, "{p}");

    // The team leader sees north's route, as JSON and GeoJSON.
    let (s, seen) = get(
        &t.app,
        &format!("/officer/v1/routes/{}?officer={north_id}", t.day),
        &lead,
    )
    .await;
    assert_eq!(s, 200, "{seen}");
    assert_eq!(seen["officer_id"], north_id);
    assert_eq!(stop_ids(&seen), vec![mine]);
    let (s, geo) = get(
        &t.app,
        &format!("/officer/v1/routes/{}/geojson?officer={north_id}", t.day),
        &lead,
    )
    .await;
    assert_eq!(s, 200, "{geo}");
    assert_eq!(geo["features"][2]["properties"]["visit_id"], mine);
    // … and plans a visit on it: north's route now has both.
    let hd1002 = tenancy_id(&t.app, "HD1002").await;
    let (s, v) = post(
        &t.app,
        "/officer/v1/visits",
        &lead,
        json!({"client_id": "lead-for-north-1", "tenancy_id": hd1002, "date": t.day,
               "officer_id": north_id, "purpose": "joint visit"}),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["officer_id"], north_id);
    let planned_by_lead = v["id"].as_i64().unwrap();
    let mut ids = stop_ids(&route(&t, &t.north).await);
    ids.sort();
    assert_eq!(ids, vec![mine, planned_by_lead]);
    // Not on an account outside that officer's patches (central's home, which the lead sees).
    let (s, p) = post(
        &t.app,
        "/officer/v1/visits",
        &lead,
        json!({"client_id": "lead-for-north-2", "tenancy_id": central_home, "date": t.day,
               "officer_id": north_id}),
    )
    .await;
    assert_eq!((s, fields(&p)), (422, vec!["officer_id".to_owned()]), "{p}");

    // A team leader of another team finds no such officer, and cannot plan for them.
    let (s, p) = get(
        &t.app,
        &format!("/officer/v1/routes/{}?officer={north_id}", t.day),
        &other_lead,
    )
    .await;
    assert_eq!(s, 404, "{p}");
    let (s, _) = post(
        &t.app,
        "/officer/v1/visits",
        &other_lead,
        json!({"client_id": "other-lead-1", "tenancy_id": hd1001, "date": t.day,
               "officer_id": north_id}),
    )
    .await;
    assert_eq!(s, 404);
    t.app.stop().await;
}

#[tokio::test]
async fn todays_route_is_replanned_from_the_start_given_without_the_visits_done() {
    let t = team().await;
    let today = rentdesk_domain::time::london_date(chrono::Utc::now());
    let homes = north_homes(&t.app).await;
    let visit = |tenancy_id: i64, window: Option<(&'static str, &'static str)>, n: u32| {
        let t = &t;
        async move {
            let (s, v) = post(
                &t.app,
                "/officer/v1/visits",
                &t.north,
                json!({"client_id": format!("today-visit-{n}"), "tenancy_id": tenancy_id,
                       "date": today, "window_start": window.map(|w| w.0),
                       "window_end": window.map(|w| w.1), "duration_minutes": 30}),
            )
            .await;
            assert_eq!(s, 201, "{v}");
            v["id"].as_i64().unwrap()
        }
    };
    let morning = visit(homes[0], Some(("09:00", "09:30")), 1).await;
    let afternoon = visit(homes[2], Some(("14:00", "15:00")), 2).await;
    let any_time = visit(homes[3], None, 3).await;
    let done = visit(homes[4], None, 4).await;
    let (s, _) = post(
        &t.app,
        &format!("/officer/v1/visits/{done}/done"),
        &t.north,
        json!({"outcome": "contact_made"}),
    )
    .await;
    assert_eq!(s, 200);

    let (s, r) = get(
        &t.app,
        &format!("/officer/v1/routes/{today}?start=11:00"),
        &t.north,
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["replanned_from"], "11:00");
    assert_eq!(r["leaves_base"], "11:00");
    assert_eq!(r["done_visit_ids"], json!([done]));
    let mut ids = stop_ids(&r);
    ids.sort();
    assert_eq!(ids, vec![afternoon, any_time], "{r}");
    for stop in r["stops"].as_array().unwrap() {
        assert!(time(&stop["arrives"]) > NaiveTime::from_hms_opt(11, 0, 0).unwrap());
    }
    assert_eq!(
        r["unassigned"],
        json!([{
            "visit_id": morning, "tenancy_id": homes[0], "reference": "HD1001",
            "address": r["unassigned"][0]["address"], "window_start": "09:00",
            "window_end": "09:30",
            "reason": "window 09:00–09:30 closed before the re-plan from 11:00"
        }]),
        "{r}"
    );
    // From 18:00 nothing fits; a start before the working day plans the whole day.
    let (_, late) = get(
        &t.app,
        &format!("/officer/v1/routes/{today}?start=18:00"),
        &t.north,
    )
    .await;
    assert_eq!(late["stops"], json!([]));
    assert_eq!(late["unassigned"].as_array().unwrap().len(), 3, "{late}");
    assert_eq!(
        late["unassigned"][0]["reason"],
        "the working day ended at 17:00 (re-planned from 18:00)"
    );
    let (_, whole) = get(
        &t.app,
        &format!("/officer/v1/routes/{today}?start=07:00"),
        &t.north,
    )
    .await;
    assert_eq!(whole["replanned_from"], Value::Null);
    assert_eq!(whole["leaves_base"], "08:30");
    assert_eq!(whole["stops"].as_array().unwrap().len(), 3, "{whole}");
    // A bad start is named.
    let (s, p) = get(
        &t.app,
        &format!("/officer/v1/routes/{today}/geojson?start=25:99"),
        &t.north,
    )
    .await;
    assert_eq!((s, fields(&p)), (422, vec!["start".to_owned()]), "{p}");
    t.app.stop().await;
}

/// Plan a visit for today on the north officer's route; asserts 201 and returns its id.
async fn plan_today(t: &Team, tenancy_id: i64, window: Option<(&str, &str)>) -> i64 {
    let (s, v) = post(
        &t.app,
        "/officer/v1/visits",
        &t.north,
        json!({"client_id": format!("route-today-{tenancy_id}"), "tenancy_id": tenancy_id,
               "date": rentdesk_domain::time::london_date(chrono::Utc::now()),
               "window_start": window.map(|w| w.0), "window_end": window.map(|w| w.1),
               "duration_minutes": 30}),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_i64().unwrap()
}

/// Record a visit done, as having taken place `ago` before now.
async fn done_ago(t: &Team, visit_id: i64, ago: Duration) {
    let (s, v) = post(
        &t.app,
        &format!("/officer/v1/visits/{visit_id}/done"),
        &t.north,
        json!({"outcome": "contact_made", "occurred_at": chrono::Utc::now() - ago}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
}

#[tokio::test]
async fn todays_replanned_route_sets_off_from_the_visit_done_last_not_the_base() {
    use rentdesk_routing::{LatLon, RouteSettings};
    let t = team().await;
    let today = rentdesk_domain::time::london_date(chrono::Utc::now());
    let settings = RouteSettings::default();
    let at = |lat: f64, lon: f64| LatLon { lat, lon };
    // About 11 km north of the base, one on the way back, and three near the base.
    let (far_at, on_the_way_at) = (at(53.7450, -1.7850), at(53.7350, -1.7850));
    let (near_at, appointment_at) = (at(53.6500, -1.7850), at(53.6420, -1.7800));
    let place = |reference: &'static str, p: LatLon| {
        let t = &t;
        async move { tenancy_at(&t.app, reference, "HD-NORTH", Some((p.lat, p.lon))).await }
    };
    let far = plan_today(&t, place("HD3001", far_at).await, None).await;
    let earlier = plan_today(&t, place("HD3002", at(53.6400, -1.7900)).await, None).await;
    let on_the_way = plan_today(&t, place("HD3003", on_the_way_at).await, None).await;
    let near = plan_today(&t, place("HD3004", near_at).await, None).await;
    let appointment = place("HD3005", appointment_at).await;
    let appointment = plan_today(&t, appointment, Some(("12:00", "12:10"))).await;
    // The far visit was made last, though recorded first: the officer is there now.
    done_ago(&t, far, Duration::minutes(10)).await;
    done_ago(&t, earlier, Duration::hours(3)).await;

    let (s, r) = get(
        &t.app,
        &format!("/officer/v1/routes/{today}?start=11:50"),
        &t.north,
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        r["base"],
        json!({"latitude": settings.base.lat, "longitude": settings.base.lon})
    );
    assert_eq!(
        r["starts_from"],
        json!({"latitude": far_at.lat, "longitude": far_at.lon,
               "label": "after the visit to HD3001", "visit_id": far}),
        "{r}"
    );
    assert_eq!(r["leaves_base"], "11:50");
    // On the way back from the far visit: the one beside it first, timed from there.
    assert_eq!(stop_ids(&r), vec![on_the_way, near], "{r}");
    let minutes = |seconds: f64| (seconds / 60.0).round() as i64;
    let clock = |m: i64| format!("{:02}:{:02}", m / 60, m % 60);
    let (metres, seconds) = settings.travel(far_at, on_the_way_at);
    let first = &r["stops"][0];
    assert_eq!(first["travel_minutes"], minutes(seconds), "{first}");
    assert_eq!(first["distance_m"], metres.round() as i64, "{first}");
    assert_eq!(
        first["arrives"],
        clock(minutes(f64::from(11 * 3600 + 50 * 60) + seconds))
    );
    // The appointment near the base is minutes from it but half an hour from where the
    // officer is: it cannot be kept.
    assert!(settings.travel(settings.base, appointment_at).1 < 300.0);
    let unassigned = r["unassigned"].as_array().unwrap();
    assert_eq!(unassigned.len(), 1, "{r}");
    assert_eq!(unassigned[0]["visit_id"], appointment);
    let reason = unassigned[0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(
            "window 12:00–12:10 cannot be reached from the visit to HD3001 before it closes"
        ),
        "{reason}"
    );
    // The route still ends at the base.
    let (metres, seconds) = settings.travel(near_at, settings.base);
    assert_eq!(r["return_travel_minutes"], minutes(seconds));
    assert_eq!(r["return_distance_m"], metres.round() as i64);

    // The map: the line from the far visit, through the stops, to the base.
    let (s, g) = get(
        &t.app,
        &format!("/officer/v1/routes/{today}/geojson?start=11:50"),
        &t.north,
    )
    .await;
    assert_eq!(s, 200, "{g}");
    let features = g["features"].as_array().unwrap();
    let coords = features[0]["geometry"]["coordinates"].as_array().unwrap();
    let far_point = json!([far_at.lon, far_at.lat]);
    assert_eq!(coords.first(), Some(&far_point), "{g}");
    assert_eq!(
        coords.last(),
        Some(&json!([settings.base.lon, settings.base.lat]))
    );
    let start = features
        .iter()
        .find(|f| f["properties"]["kind"] == "start")
        .unwrap_or_else(|| panic!("no start point: {g}"));
    assert_eq!(start["geometry"]["coordinates"], far_point);
    assert_eq!(start["properties"]["label"], "after the visit to HD3001");

    // Last done at an address without coordinates: where the officer is is unknown, so the
    // route sets off from the base.
    let nowhere = tenancy_at(&t.app, "HD3006", "HD-NORTH", None).await;
    let nowhere = plan_today(&t, nowhere, None).await;
    done_ago(&t, nowhere, Duration::minutes(1)).await;
    let (_, r) = get(
        &t.app,
        &format!("/officer/v1/routes/{today}?start=11:50"),
        &t.north,
    )
    .await;
    assert_eq!(r["starts_from"]["label"], "base", "{r}");
    assert_eq!(r["starts_from"]["visit_id"], Value::Null);
    let first = &r["stops"][0];
    let first_at = if first["visit_id"] == near {
        near_at
    } else {
        appointment_at
    };
    let (_, seconds) = settings.travel(settings.base, first_at);
    assert_eq!(first["travel_minutes"], minutes(seconds), "{r}");
    t.app.stop().await;
}
