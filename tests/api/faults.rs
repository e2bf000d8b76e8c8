//! Issue 21: the database, not the queue, says what work is pending. When the queue loses a
//! job (Redis restarted without persistence, a failover, an eviction), the worker's sweep finds
//! the row still pending and queues its job again; a job queued twice does its work once.
//! "Lost" here is what the API's handler writes without the enqueue that would follow it.

use crate::helpers::{TestApp, call, spawn_app_with, staff, staff_sign_in};
use chrono::{Duration, Utc};
use rentdesk_store::entities::{campaign, campaign_recipient, message};
use rentdesk_store::sweep::{STRANDED_AFTER, Stranded};
use rentdesk_worker::Queues;
use rentdesk_worker::dispatch::sweep_stranded;
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

const ANY_TIME: &[(&str, &str)] = &[
    ("CONTACT_HOURS", "00:00-00:00"),
    ("CONTACT_ON_SUNDAYS", "true"),
    ("CONTACT_ON_BANK_HOLIDAYS", "true"),
    // The test calls the sweep itself, at the times it chooses.
    ("DISPATCH_CRON", "off"),
];

async fn until(app: &TestApp, token: &str, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let (s, v) = call(app, Method::GET, path, Some(token), None).await;
        assert_eq!(s, 200, "{path}: {v}");
        if done(&v) {
            return v;
        }
        assert!(std::time::Instant::now() < deadline, "{path}: {v}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A draft SMS campaign to every tenancy with a mobile; its id.
async fn create_campaign(app: &TestApp, lead: &str, name: &str) -> i64 {
    let (s, c) = call(
        app,
        Method::POST,
        "/manage/v1/campaigns",
        Some(lead),
        Some(json!({
            "name": name,
            "segment": {"has_mobile": true},
            "channels": ["sms"],
            "templates": {"sms": ["Hi {first_name}, please call us about your rent."]},
        })),
    )
    .await;
    assert_eq!(s, 201, "{c}");
    c["id"].as_i64().unwrap()
}

/// `/health`'s pending work.
async fn pending(app: &TestApp) -> Value {
    let health: Value = app
        .client
        .get(app.url("/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    health["pending"].clone()
}

#[tokio::test]
async fn work_whose_job_the_queue_lost_is_queued_again_and_done_once() {
    let app = spawn_app_with(ANY_TIME).await;
    let today = crate::helpers::real_today();
    rentdesk_store::seed::seed(&app.db, 30, 7, today)
        .await
        .unwrap();
    let lead_id = staff(&app, "lead@council.example", "team_leader").await;
    let lead = staff_sign_in(&app, "lead@council.example").await;
    let admin = app.admin_token().await;
    let queues = Queues::connect(&app.settings().queue_backend())
        .await
        .unwrap();

    // A campaign launched (the handler's write) whose fan-out job was lost.
    let id = create_campaign(&app, &lead, "Lost fan-out").await;
    let model = campaign::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    rentdesk_store::campaigns::launch(&app.db, &model, Utc::now())
        .await
        .unwrap()
        .unwrap();
    // An import batch and a subject-access export stored, their jobs lost.
    let tenancy = rentdesk_store::entities::tenancy::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let csv = format!(
        "external_ref,tenancy_reference,posted_on,kind,amount,method,description\n\
         LOST-1,{},{today},adjustment,1.00,,Posted by a job the queue lost\n",
        tenancy.reference
    );
    let batch = rentdesk_store::imports::queue_upload(
        &app.db,
        rentdesk_store::imports::ImportKind::Transactions,
        "lost.csv",
        csv.into_bytes(),
        app.now(),
    )
    .await
    .unwrap();
    let export =
        rentdesk_store::subject_access::queue(&app.db, tenancy.id, lead_id, None, app.now())
            .await
            .unwrap();

    // Monitoring sees the pending work although the queue holds none of it.
    let p = pending(&app).await;
    assert_eq!(
        (&p["campaigns"], &p["imports"], &p["exports"]),
        (&json!(1), &json!(1), &json!(1)),
        "{p}"
    );
    assert!(p["oldest_seconds"].as_i64().unwrap() >= 0, "{p}");

    // Nothing moves, and within STRANDED_AFTER nothing is stranded: a healthy queue may be busy.
    let progress = format!("/manage/v1/campaigns/{id}/progress");
    let (_, p) = call(&app, Method::GET, &progress, Some(&lead), None).await;
    assert_eq!(p["planned"], false, "{p}");
    assert!(p["planning_since"].is_string(), "{p}");
    assert_eq!(
        (&p["last_progress_at"], &p["stuck"]),
        (&Value::Null, &json!(false)),
        "{p}"
    );
    // Its progress says it is stuck once 5 minutes pass with nothing planned.
    let model = campaign::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let later = Utc::now() + STRANDED_AFTER + Duration::seconds(1);
    let seen = rentdesk_store::campaigns::progress(&app.db, &model, later)
        .await
        .unwrap();
    assert!(seen.stuck && !seen.planned, "{seen:?}");
    let soon = Utc::now() + STRANDED_AFTER - Duration::seconds(30);
    assert_eq!(
        sweep_stranded(&app.db, &queues, soon).await.unwrap(),
        Stranded::default()
    );
    // The import and the export say so too: pending since they were stored, not stuck yet…
    let import_path = format!("/manage/v1/imports/{batch}");
    let export_path = format!("/manage/v1/exports/{}", export.id);
    let (_, b) = call(&app, Method::GET, &import_path, Some(&admin), None).await;
    let (_, e) = call(&app, Method::GET, &export_path, Some(&lead), None).await;
    for v in [&b, &e] {
        assert!(v["queued_since"].is_string(), "{v}");
        assert_eq!(v["stuck"], false, "{v}");
    }
    // …and stuck once 5 minutes pass with nothing moving (the API reads the app's clock).
    app.clock.advance(STRANDED_AFTER + Duration::seconds(30));
    let (_, b) = call(&app, Method::GET, &import_path, Some(&admin), None).await;
    let (_, e) = call(&app, Method::GET, &export_path, Some(&lead), None).await;
    assert_eq!(
        (&b["stuck"], &e["stuck"]),
        (&json!(true), &json!(true)),
        "{b} {e}"
    );

    // Past it, each is queued again, once however many workers sweep.
    let later = Utc::now() + STRANDED_AFTER + Duration::seconds(1);
    let (a, b) = tokio::join!(
        sweep_stranded(&app.db, &queues, later),
        sweep_stranded(&app.db, &queues, later)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut campaigns = [a.campaigns.clone(), b.campaigns.clone()].concat();
    let mut imports = [a.imports.clone(), b.imports.clone()].concat();
    let mut exports = [a.exports.clone(), b.exports.clone()].concat();
    campaigns.sort();
    imports.sort();
    exports.sort();
    assert_eq!(
        (campaigns, imports, exports),
        (vec![id], vec![batch], vec![export.id])
    );
    assert!(
        sweep_stranded(&app.db, &queues, later)
            .await
            .unwrap()
            .is_empty(),
        "claimed: not queued again until another STRANDED_AFTER passes"
    );
    // Queued again just now: no longer stuck.
    let (_, b) = call(&app, Method::GET, &import_path, Some(&admin), None).await;
    assert_eq!(b["stuck"], false, "{b}");

    // The running worker does the work.
    let planned = until(&app, &lead, &progress, |p| p["planned"] == true).await;
    let matched = planned["matched"].as_u64().unwrap();
    assert!(matched > 0, "{planned}");
    assert_eq!(
        (&planned["planning_since"], &planned["stuck"]),
        (&Value::Null, &json!(false)),
        "{planned}"
    );
    assert!(planned["last_progress_at"].is_string(), "{planned}");
    until(&app, &admin, &import_path, |b| b["status"] == "succeeded").await;
    let e = until(&app, &lead, &export_path, |e| {
        e["status"] != "queued" && e["status"] != "running"
    })
    .await;
    assert_eq!(e["status"], "done", "{e}");
    let (_, b) = call(&app, Method::GET, &import_path, Some(&admin), None).await;
    for v in [&b, &e] {
        assert_eq!(
            (&v["queued_since"], &v["stuck"]),
            (&Value::Null, &json!(false)),
            "{v}"
        );
    }

    assert_eq!(
        pending(&app).await,
        json!({"campaigns": 0, "imports": 0, "exports": 0, "oldest_seconds": null}),
        "nothing pending"
    );

    // A job that was only slow, not lost, arrives after all: it changes nothing.
    let recipients = campaign_recipient::Entity::find()
        .filter(campaign_recipient::Column::CampaignId.eq(id))
        .count(&app.db)
        .await
        .unwrap();
    let messages = message::Entity::find().count(&app.db).await.unwrap();
    queues.enqueue_campaign_fan_out(id).await.unwrap();
    queues.enqueue_import(batch).await.unwrap();
    queues
        .enqueue_subject_access_export(export.id)
        .await
        .unwrap();
    // The fan-out queue runs one job at a time: a marker campaign launched after the repeat
    // is planned only once the repeat has run.
    let marker = create_campaign(&app, &lead, "Marker").await;
    let (s, _) = call(
        &app,
        Method::POST,
        &format!("/manage/v1/campaigns/{marker}/launch"),
        Some(&lead),
        Some(json!({})),
    )
    .await;
    assert_eq!(s, 200);
    until(
        &app,
        &lead,
        &format!("/manage/v1/campaigns/{marker}/progress"),
        |p| p["planned"] == true,
    )
    .await;
    assert_eq!(
        campaign_recipient::Entity::find()
            .filter(campaign_recipient::Column::CampaignId.eq(id))
            .count(&app.db)
            .await
            .unwrap(),
        recipients
    );
    let marker_messages = message::Entity::find()
        .filter(message::Column::IdempotencyKey.like(format!("campaign:{marker}:%")))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(
        message::Entity::find().count(&app.db).await.unwrap(),
        messages + marker_messages,
        "the repeated fan-out planned no message twice"
    );
    let (_, p) = call(&app, Method::GET, &progress, Some(&lead), None).await;
    assert_eq!(p["matched"].as_u64().unwrap(), matched, "{p}");
    app.stop().await;
}

/// A worker that dies while building a subject-access export leaves the row `running` (the
/// job is gone with the worker). The sweep queues it again once the run is `STRANDED_AFTER`
/// old, not before, and the export then finishes once.
#[tokio::test]
async fn an_export_whose_worker_died_mid_run_is_run_again() {
    let app = spawn_app_with(ANY_TIME).await;
    rentdesk_store::seed::seed(&app.db, 3, 11, crate::helpers::real_today())
        .await
        .unwrap();
    let lead_id = staff(&app, "lead@council.example", "team_leader").await;
    let lead = staff_sign_in(&app, "lead@council.example").await;
    let queues = Queues::connect(&app.settings().queue_backend())
        .await
        .unwrap();
    let tenancy = rentdesk_store::entities::tenancy::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let export =
        rentdesk_store::subject_access::queue(&app.db, tenancy.id, lead_id, None, app.now())
            .await
            .unwrap();
    // What `subject_access::run` writes as it starts, and then nothing: the worker died.
    let started = Utc::now();
    rentdesk_store::entities::export::Entity::update_many()
        .col_expr(
            rentdesk_store::entities::export::Column::Status,
            sea_orm::sea_query::Expr::value("running"),
        )
        .col_expr(
            rentdesk_store::entities::export::Column::QueuedAt,
            sea_orm::sea_query::Expr::value(started),
        )
        .filter(rentdesk_store::entities::export::Column::Id.eq(export.id))
        .exec(&app.db)
        .await
        .unwrap();
    assert_eq!(pending(&app).await["exports"], 1);

    // Still within STRANDED_AFTER of the start: a healthy run may take a while.
    let soon = started + STRANDED_AFTER - Duration::seconds(30);
    assert_eq!(
        sweep_stranded(&app.db, &queues, soon).await.unwrap(),
        Stranded::default()
    );
    // Past it, queued again once, however many workers sweep.
    let later = started + STRANDED_AFTER + Duration::seconds(1);
    let (a, b) = tokio::join!(
        sweep_stranded(&app.db, &queues, later),
        sweep_stranded(&app.db, &queues, later)
    );
    let swept = [a.unwrap().exports, b.unwrap().exports].concat();
    assert_eq!(swept, vec![export.id]);

    let path = format!("/manage/v1/exports/{}", export.id);
    let e = until(&app, &lead, &path, |e| e["status"] == "done").await;
    assert!(e["finished_at"].is_string(), "{e}");
    assert_eq!(pending(&app).await["exports"], 0);
    // Done: never swept again.
    let much_later = later + STRANDED_AFTER * 3;
    assert!(
        sweep_stranded(&app.db, &queues, much_later)
            .await
            .unwrap()
            .exports
            .is_empty()
    );
    app.stop().await;
}

/// A stop signal under a load balancer: `/health` turns 503 (`draining: true`) at once while
/// the API still answers, for `SHUTDOWN_DRAIN_SECS`; only then does the listener close.
#[tokio::test]
async fn on_stop_health_turns_unready_first_and_requests_are_still_answered() {
    let app = spawn_app_with(&[("SHUTDOWN_DRAIN_SECS", "2")]).await;
    let health = app.url("/health");
    let me = app.url("/officer/v1/me");
    // A fresh connection per request: what a load balancer's probes look like.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let before = client.get(&health).send().await.unwrap();
    assert_eq!(before.status(), 200);
    let body: Value = before.json().await.unwrap();
    assert_eq!(body["draining"], false, "{body}");

    let signalled = std::time::Instant::now();
    let stopping = tokio::spawn(app.stop());
    let body: Value = loop {
        let r = client.get(&health).send().await.expect("still answering");
        if r.status() == 503 {
            break r.json().await.unwrap();
        }
        assert!(
            signalled.elapsed() < std::time::Duration::from_secs(2),
            "health never turned unready"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(
        (&body["status"], &body["draining"], &body["database"]),
        (&json!("unavailable"), &json!(true), &json!("ok")),
        "{body}"
    );
    // Still serving the API while the balancer catches up (no token: a 401, answered).
    let r = client.get(&me).send().await.expect("still answering");
    assert_eq!(r.status(), 401);
    assert!(
        signalled.elapsed() < std::time::Duration::from_secs(2),
        "these answers came within the drain"
    );

    stopping.await.unwrap();
    assert!(
        signalled.elapsed() >= std::time::Duration::from_secs(2),
        "the listener stayed open for the whole drain"
    );
    assert!(
        client.get(&health).send().await.is_err(),
        "the listener is closed after the drain"
    );
}
