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
    create_campaign_saying(app, lead, name, "please call us about your rent.").await
}

/// As [`create_campaign`], its text ending `text` (so each campaign's texts can be told apart).
async fn create_campaign_saying(app: &TestApp, lead: &str, name: &str, text: &str) -> i64 {
    let (s, c) = call(
        app,
        Method::POST,
        "/manage/v1/campaigns",
        Some(lead),
        Some(json!({
            "name": name,
            "segment": {"has_mobile": true},
            "channels": ["sms"],
            "templates": {"sms": [format!("Hi {{first_name}}, {text}")]},
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

/// A private `redis-server` on its own port, so a test can flush and stop it without touching
/// any other test's queue. Stopped when dropped.
struct PrivateRedis {
    port: u16,
    child: Option<std::process::Child>,
}

impl PrivateRedis {
    async fn start() -> PrivateRedis {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut r = PrivateRedis { port, child: None };
        r.restart().await;
        r
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn cli(&self, args: &[&str]) -> Option<String> {
        let out = std::process::Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(args)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// Start it (again, on the same port, empty: no persistence, as after a restart that lost
    /// its data) and wait until it answers.
    async fn restart(&mut self) {
        let child = std::process::Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server (scripts/ensure-services.sh installs it)");
        self.child = Some(child);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while self.cli(&["PING"]).as_deref() != Some("PONG") {
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server did not start"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Gone at once, as a crashed server is (SIGKILL).
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().ok();
            c.wait().ok();
        }
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

fn fake_sms(fake_url: &str) -> rentdesk_worker::dispatch::Providers {
    use rentdesk_worker::sms::{Sender, TwilioClient, TwilioConfig};
    rentdesk_worker::dispatch::Providers {
        sms: Some(
            TwilioClient::new(TwilioConfig {
                base_url: fake_url.to_owned(),
                account_sid: rentdesk_worker::fake_twilio::SID.into(),
                auth_token: rentdesk_worker::fake_twilio::TOKEN.into(),
                sender: Sender::From("+447700900000".into()),
                timeout: std::time::Duration::from_secs(5),
            })
            .unwrap(),
        ),
        email: None,
        push: None,
        status_callback: None,
        policy: rentdesk_domain::contact_policy::ContactPolicy::any_time(),
        rate_per_minute: None,
        send_concurrency: 0,
    }
}

/// Issue 21's Redis faults, against a real `redis-server`: its data flushed right after a
/// launch (whether or not the worker had taken the fan-out job yet), and the server killed,
/// a campaign launched while it is down, and the server started again empty. The database
/// keeps what is pending; the sweep queues it again; every recipient is texted exactly once.
#[tokio::test]
async fn redis_flushed_or_killed_and_restarted_loses_and_duplicates_nothing() {
    let mut redis = PrivateRedis::start().await;
    let url = redis.url();
    let mut vars = ANY_TIME.to_vec();
    vars.push(("REDIS_URL", &url));
    let app = spawn_app_with(&vars).await;
    rentdesk_store::seed::seed(&app.db, 40, 7, crate::helpers::real_today())
        .await
        .unwrap();
    staff(&app, "lead@council.example", "team_leader").await;
    let lead = staff_sign_in(&app, "lead@council.example").await;
    let queues = Queues::connect(&app.settings().queue_backend())
        .await
        .unwrap();
    let launch = |id: i64| {
        let (app, lead) = (&app, &lead);
        async move {
            call(
                app,
                Method::POST,
                &format!("/manage/v1/campaigns/{id}/launch"),
                Some(lead),
                Some(json!({})),
            )
            .await
        }
    };

    // 1. Flushed right after the launch.
    let flushed = create_campaign_saying(&app, &lead, "Flushed", "your rent is due.").await;
    let (s, v) = launch(flushed).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(redis.cli(&["FLUSHALL"]).as_deref(), Some("OK"));

    // 2. Killed; a launch while it is down is kept by the database, and health says why.
    redis.kill();
    let (s, h) = {
        let r = app.client.get(app.url("/health")).send().await.unwrap();
        (r.status().as_u16(), r.json::<Value>().await.unwrap())
    };
    assert_eq!(s, 503, "{h}");
    let down = create_campaign_saying(&app, &lead, "Down", "we can help with rent.").await;
    let asked = std::time::Instant::now();
    let (s, v) = launch(down).await;
    assert_eq!(
        s, 200,
        "launched: the database keeps it; the sweep plans it later: {v}"
    );
    assert!(
        asked.elapsed() < std::time::Duration::from_secs(5),
        "the request does not wait for Redis's reconnects: {:?}",
        asked.elapsed()
    );
    // An import uploaded and a subject-access export asked for while it is down: both stored,
    // both answered at once.
    let tenancy = rentdesk_store::entities::tenancy::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let csv = format!(
        "external_ref,tenancy_reference,posted_on,kind,amount,method,description\n\
         DOWN-1,{},{},adjustment,1.00,,Posted while Redis was down\n",
        tenancy.reference,
        crate::helpers::real_today()
    );
    let r = app
        .upload("transactions", "down.csv", csv.into_bytes())
        .await;
    assert_eq!(r.status(), 202);
    let import_path = r.headers()["location"].to_str().unwrap().to_owned();
    let (s, e) = call(
        &app,
        Method::POST,
        &format!("/manage/v1/tenancies/{}/subject-access", tenancy.reference),
        Some(&lead),
        None,
    )
    .await;
    assert_eq!(s, 202, "{e}");
    let export_path = format!("/manage/v1/exports/{}", e["id"]);
    redis.restart().await;

    // The sweep, past STRANDED_AFTER, queues again whatever the queue lost; the worker
    // reconnects to the restarted server and does it.
    app.clock.advance(STRANDED_AFTER + Duration::seconds(30));
    let later = app.now();
    // Ticks, as the worker's would come: while the queue is still reconnecting a tick claims
    // nothing (or gives its claims back), so a later one still finds the work.
    let mut swept = Stranded::default();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        match sweep_stranded(&app.db, &queues, later).await {
            Ok(s) if !s.is_empty() => {
                swept = s;
                break;
            }
            Ok(_) => {}
            Err(e) => assert!(std::time::Instant::now() < deadline, "{e:#}"),
        }
        if std::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let ids = [flushed, down];
    for id in &ids {
        until(
            &app,
            &lead,
            &format!("/manage/v1/campaigns/{id}/progress"),
            |p| p["planned"] == true,
        )
        .await;
    }
    assert!(
        swept.campaigns.len() <= 2,
        "each stranded campaign queued once: {swept:?}"
    );
    let admin = app.admin_token().await;
    let b = until(&app, &admin, &import_path, |b| {
        b["status"] != "queued" && b["status"] != "running"
    })
    .await;
    assert_eq!(b["status"], "succeeded", "{b}");
    let e = until(&app, &lead, &export_path, |e| {
        e["status"] != "queued" && e["status"] != "running"
    })
    .await;
    assert_eq!(e["status"], "done", "{e}");

    // Every recipient of each campaign is texted exactly once, through the real client.
    let (fake, fake_url) = rentdesk_worker::fake_twilio::start().await;
    let providers = fake_sms(&fake_url);
    // Three ticks, on the app's clock (moved on past the sweep): the first sends everything.
    for _ in 0..3 {
        rentdesk_worker::dispatch::dispatch_all(&app.db, &providers, app.now())
            .await
            .unwrap();
    }
    for id in &ids {
        let recipients = campaign_recipient::Entity::find()
            .filter(campaign_recipient::Column::CampaignId.eq(*id))
            .count(&app.db)
            .await
            .unwrap();
        let sent = message::Entity::find()
            .filter(message::Column::IdempotencyKey.like(format!("campaign:{id}:%")))
            .filter(message::Column::Status.eq("sent"))
            .count(&app.db)
            .await
            .unwrap();
        assert!(recipients > 0, "campaign {id} planned recipients");
        let (_, p) = call(
            &app,
            Method::GET,
            &format!("/manage/v1/campaigns/{id}/progress"),
            Some(&lead),
            None,
        )
        .await;
        assert_eq!(p["sent"].as_u64().unwrap(), sent, "campaign {id}: {p}");
        assert_eq!(p["queued"], 0, "campaign {id}: nothing stranded: {p}");
    }
    // What reached Twilio is exactly what the database says was sent: per number and text,
    // as many as there are sent rows (two tenancies may share a number), none twice, none lost.
    let at_fake = fake.0.lock().unwrap().sent.clone();
    let mut reached: std::collections::BTreeMap<(String, String), usize> = Default::default();
    for m in &at_fake {
        *reached
            .entry((m["To"].clone(), m["Body"].clone()))
            .or_default() += 1;
    }
    let mut recorded: std::collections::BTreeMap<(String, String), usize> = Default::default();
    let tenants: std::collections::HashMap<i64, String> =
        rentdesk_store::entities::tenant::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|t| Some((t.id, t.mobile?)))
            .collect();
    for m in message::Entity::find()
        .filter(message::Column::Status.eq("sent"))
        .all(&app.db)
        .await
        .unwrap()
    {
        let to = tenants[&m.tenant_id.unwrap()].clone();
        *recorded.entry((to, m.body)).or_default() += 1;
    }
    assert_eq!(reached, recorded, "sent once each, none lost");
    assert!(!reached.is_empty());
    assert_eq!(
        pending(&app).await["campaigns"],
        json!(0),
        "nothing left pending"
    );
    app.stop().await;
}

/// Issue 21's PostgreSQL fault: every connection of the database terminated
/// (`pg_terminate_backend`) again and again while a campaign fans out and its texts are sent.
/// The pools reconnect, the jobs retry, and a send cut off between Twilio's answer and the
/// row's update is settled from Twilio's own list: each recipient is texted exactly once.
/// PostgreSQL only (SQLite has no connections to terminate).
#[tokio::test]
async fn postgres_connections_terminated_mid_fan_out_and_dispatch_lose_and_duplicate_nothing() {
    if crate::helpers::backend() != crate::helpers::Backend::Postgres {
        return;
    }
    let app = spawn_app_with(ANY_TIME).await;
    rentdesk_store::seed::seed(&app.db, 60, 7, crate::helpers::real_today())
        .await
        .unwrap();
    staff(&app, "lead@council.example", "team_leader").await;
    let lead = staff_sign_in(&app, "lead@council.example").await;
    let queues = Queues::connect(&app.settings().queue_backend())
        .await
        .unwrap();
    let (fake, fake_url) = rentdesk_worker::fake_twilio::start().await;
    let providers = fake_sms(&fake_url);

    let id = create_campaign(&app, &lead, "Under fire").await;

    // The terminator: its own connection, killing every other one of this database.
    let admin = std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let killer = sea_orm::Database::connect(admin.as_str()).await.unwrap();
    let database = {
        use sea_orm::{ConnectionTrait, Statement};
        let row = app
            .db
            .query_one_raw(Statement::from_string(
                app.db.get_database_backend(),
                "SELECT current_database() AS name",
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<String>("", "name").unwrap()
    };
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let kills = {
        let stop = stop.clone();
        tokio::spawn(async move {
            use sea_orm::ConnectionTrait;
            let mut terminated = 0_u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let sql = format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE datname = '{database}' AND pid <> pg_backend_pid()"
                );
                if let Ok(r) = killer.execute_unprepared(&sql).await {
                    terminated += r.rows_affected();
                }
                tokio::time::sleep(std::time::Duration::from_millis(40)).await;
            }
            terminated
        })
    };

    // Requests may fail while their connection is killed (a 5xx the client retries); the
    // launch is retried until it answers.
    let mut launched = false;
    for _ in 0..50 {
        let r = app
            .client
            .post(app.url(&format!("/manage/v1/campaigns/{id}/launch")))
            .bearer_auth(&lead)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        match r.status().as_u16() {
            200 => {
                launched = true;
                break;
            }
            409 => {
                // An earlier attempt's launch was stored before its answer was lost.
                launched = true;
                break;
            }
            s => assert!(s >= 500, "{s}"),
        }
    }
    assert!(launched);
    // A request whose connection dies gets a 5xx to retry, never a 401 (which would tell the
    // app the session is over and sign its user out).
    for _ in 0..20 {
        let (s, v) = call(
            &app,
            Method::GET,
            &format!("/manage/v1/campaigns/{id}/progress"),
            Some(&lead),
            None,
        )
        .await;
        assert!(s == 200 || s >= 500, "{s} {v}");
    }
    // Dispatch ticks while the connections keep dying.
    for _ in 0..8 {
        let _ = dispatch_all_ignoring_errors(&app, &providers).await;
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let terminated = kills.await.unwrap();
    assert!(terminated > 0, "connections were terminated");

    // Calm again: ticks, the sweep after STRANDED_AFTER, and reconciliation after
    // SENDING_TIMEOUT, on the app's clock, until nothing is pending.
    app.clock
        .advance(rentdesk_store::outbox::SENDING_TIMEOUT + Duration::minutes(1));
    sweep_stranded(&app.db, &queues, app.now()).await.unwrap();
    until(
        &app,
        &lead,
        &format!("/manage/v1/campaigns/{id}/progress"),
        |p| p["planned"] == true,
    )
    .await;
    for _ in 0..3 {
        rentdesk_worker::dispatch::dispatch_all(&app.db, &providers, app.now())
            .await
            .unwrap();
    }
    app.clock
        .advance(rentdesk_store::outbox::SENDING_TIMEOUT + Duration::minutes(31));
    for _ in 0..3 {
        rentdesk_worker::dispatch::dispatch_all(&app.db, &providers, app.now())
            .await
            .unwrap();
    }

    let (_, p) = call(
        &app,
        Method::GET,
        &format!("/manage/v1/campaigns/{id}/progress"),
        Some(&lead),
        None,
    )
    .await;
    let recipients = campaign_recipient::Entity::find()
        .filter(campaign_recipient::Column::CampaignId.eq(id))
        .count(&app.db)
        .await
        .unwrap();
    assert!(recipients > 0);
    assert_eq!(p["queued"], 0, "nothing stranded: {p}");
    let at_fake = fake.0.lock().unwrap().sent.len() as u64;
    let sent = p["sent"].as_u64().unwrap();
    assert_eq!(at_fake, sent, "each send reached Twilio once: {p}");
    let mut numbers: Vec<String> = fake
        .0
        .lock()
        .unwrap()
        .sent
        .iter()
        .map(|m| m["To"].clone())
        .collect();
    let all = numbers.len();
    numbers.sort();
    numbers.dedup();
    let tenants_sharing = all - numbers.len();
    let shared: u64 = {
        // Numbers two recipients share (the seed's joint tenancies) are texted once per
        // recipient; anything beyond that is a duplicate.
        let rows = message::Entity::find()
            .filter(message::Column::CampaignId.eq(id))
            .filter(message::Column::Status.eq("sent"))
            .all(&app.db)
            .await
            .unwrap();
        let tenants: std::collections::HashMap<i64, String> =
            rentdesk_store::entities::tenant::Entity::find()
                .all(&app.db)
                .await
                .unwrap()
                .into_iter()
                .filter_map(|t| Some((t.id, t.mobile?)))
                .collect();
        let mut to: Vec<&String> = rows
            .iter()
            .map(|m| &tenants[&m.tenant_id.unwrap()])
            .collect();
        let n = to.len();
        to.sort();
        to.dedup();
        (n - to.len()) as u64
    };
    assert_eq!(
        tenants_sharing as u64, shared,
        "no number texted twice for one recipient"
    );
    app.stop().await;
}

/// One dispatch tick whose database connection may be killed under it.
async fn dispatch_all_ignoring_errors(
    app: &TestApp,
    providers: &rentdesk_worker::dispatch::Providers,
) -> Option<rentdesk_worker::dispatch::DispatchReport> {
    rentdesk_worker::dispatch::dispatch_all(&app.db, providers, app.now())
        .await
        .ok()
}

/// Issue 21's SMTP fault: the mail server refuses connections for minutes while an email
/// campaign is sent. Every email waits (`retrying`, backing off), none is given up or sent
/// twice, and once the server is back each recipient gets exactly one.
#[tokio::test]
async fn smtp_down_for_minutes_delays_email_and_loses_and_duplicates_nothing() {
    use rentdesk_worker::email::{EmailConfig, Mailer, SmtpUrl};
    let app = spawn_app_with(ANY_TIME).await;
    rentdesk_store::seed::seed(&app.db, 30, 7, crate::helpers::real_today())
        .await
        .unwrap();
    staff(&app, "lead@council.example", "team_leader").await;
    let lead = staff_sign_in(&app, "lead@council.example").await;
    let (s, c) = call(
        &app,
        Method::POST,
        "/manage/v1/campaigns",
        Some(&lead),
        Some(json!({
            "name": "Email while the mail server is down",
            "segment": {"has_email": true},
            "channels": ["email"],
            "templates": {"email": ["Hi {first_name}, please call us about your rent."]},
        })),
    )
    .await;
    assert_eq!(s, 201, "{c}");
    let id = c["id"].as_i64().unwrap();
    let progress = format!("/manage/v1/campaigns/{id}/progress");
    let (s, v) = call(
        &app,
        Method::POST,
        &format!("/manage/v1/campaigns/{id}/launch"),
        Some(&lead),
        Some(json!({})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let planned = until(&app, &lead, &progress, |p| p["planned"] == true).await;
    let to_send = planned["queued"].as_u64().unwrap();
    assert!(to_send > 0, "{planned}");

    let mailer = |url: &str| {
        let mut p = fake_sms("http://127.0.0.1:9");
        p.sms = None;
        p.email = Some(
            Mailer::new(EmailConfig {
                smtp: SmtpUrl::parse(url).unwrap(),
                from: "Rent team <rent@landlord.example>".parse().unwrap(),
                public_url: "https://rent.landlord.example".into(),
                link_key: rentdesk_config::Secret::new(crate::helpers::TOKEN_SIGNING_KEY),
                timeout: std::time::Duration::from_secs(2),
            })
            .unwrap(),
        );
        p
    };
    // Down: a port nothing listens on (connection refused).
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = mailer(&format!("smtp://127.0.0.1:{closed}"));
    let t0 = app.now();
    let mut attempts_seen = vec![];
    for minutes in [0, 2, 5, 10] {
        let r = rentdesk_worker::dispatch::dispatch_all(
            &app.db,
            &down,
            t0 + Duration::minutes(minutes),
        )
        .await
        .unwrap();
        assert_eq!((r.sent, r.failed), (0, 0), "{r:?}");
        attempts_seen.push(r.retrying);
    }
    assert_eq!(
        attempts_seen[0], to_send,
        "every email waits: {attempts_seen:?}"
    );
    let (_, p) = call(&app, Method::GET, &progress, Some(&lead), None).await;
    assert_eq!((&p["sent"], &p["failed"]), (&json!(0), &json!(0)), "{p}");

    // Back (the mail server restarted): each recipient gets exactly one email.
    let (sink, sink_url) = rentdesk_worker::fake_smtp::start().await;
    let up = mailer(&sink_url);
    for minutes in [60, 90, 120] {
        rentdesk_worker::dispatch::dispatch_all(&app.db, &up, t0 + Duration::minutes(minutes))
            .await
            .unwrap();
    }
    let (_, p) = call(&app, Method::GET, &progress, Some(&lead), None).await;
    assert_eq!(p["sent"].as_u64().unwrap(), to_send, "{p}");
    assert_eq!((&p["queued"], &p["failed"]), (&json!(0), &json!(0)), "{p}");
    let delivered = sink.0.lock().unwrap().messages.clone();
    assert_eq!(delivered.len() as u64, to_send);
    // Exactly what the database says was sent, address by address (two recipients of a
    // joint tenancy may share one): none twice, none lost.
    let mut reached: Vec<String> = delivered.iter().flat_map(|m| m.rcpt_to.clone()).collect();
    reached.sort();
    let emails: std::collections::HashMap<i64, String> =
        rentdesk_store::entities::tenant::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|t| Some((t.id, t.email?)))
            .collect();
    let mut recorded: Vec<String> = message::Entity::find()
        .filter(message::Column::CampaignId.eq(id))
        .filter(message::Column::Status.eq("sent"))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| emails[&m.tenant_id.unwrap()].clone())
        .collect();
    recorded.sort();
    assert_eq!(reached, recorded);
    app.stop().await;
}
