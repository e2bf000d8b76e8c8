//! `spawn_app()`: the real application (HTTP server + worker) on a free loopback port with a
//! fresh database — a temp SQLite file, or a new PostgreSQL database with Redis for the queue
//! when `RENTDESK_TEST_BACKEND=postgres`.

use rentdesk::startup;
use rentdesk_config::{Mode, Settings};
use rentdesk_store::entities::staff_user;
use rentdesk_store::staff::hash_password;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, Set};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// The administrator every test app can sign in as ([`TestApp::admin_token`]).
pub const ADMIN_EMAIL: &str = "test.admin@rentdesk.test";
pub const TOKEN_SIGNING_KEY: &str = "test-token-signing-key-0123456789abcdef";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn backend() -> Backend {
    match std::env::var("RENTDESK_TEST_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        Ok("sqlite") | Err(_) => Backend::Sqlite,
        Ok(other) => panic!("RENTDESK_TEST_BACKEND={other}: expected sqlite or postgres"),
    }
}

/// Today in Europe/London on the real clock (what the app's clock reads unless a test moves it:
/// use [`TestApp::today`] in a test that does).
pub fn real_today() -> chrono::NaiveDate {
    rentdesk_store::Clock::system().today()
}

pub fn unique_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "rentdesk_t_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos % 1_000_000_000
    )
}

/// A fresh, empty database; returns its URL and what to delete afterwards.
pub async fn fresh_database() -> (String, Option<PathBuf>) {
    match backend() {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("{}.sqlite", unique_name()));
            (format!("sqlite://{}?mode=rwc", path.display()), Some(path))
        }
        Backend::Postgres => {
            let admin = std::env::var("TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
            let name = unique_name();
            let db = sea_orm::Database::connect(admin.as_str())
                .await
                .expect("connect to TEST_POSTGRES_URL");
            db.execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            db.close().await.ok();
            let base = admin
                .rsplit_once('/')
                .map(|(b, _)| b.to_owned())
                .unwrap_or(admin);
            (format!("{base}/{name}"), None)
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub db: DatabaseConnection,
    pub client: reqwest::Client,
    /// The clock the app's rules run on (server and worker): a test moves time with it
    /// ([`TestApp::travel_to`], [`TestApp::advance`]) instead of rewriting rows.
    pub clock: rentdesk_store::Clock,
    running: Option<startup::Running>,
    vars: HashMap<&'static str, String>,
    sqlite_file: Option<PathBuf>,
    admin_token: tokio::sync::OnceCell<String>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// `spawn_app` with some settings overridden (e.g. a tighter rate limit).
pub async fn spawn_app_with(overrides: &[(&'static str, &str)]) -> TestApp {
    let (database_url, sqlite_file) = fresh_database().await;
    let mut vars = app_vars(database_url, &sqlite_file);
    for (k, v) in overrides {
        vars.insert(k, (*v).to_owned());
    }
    spawn_with(vars, sqlite_file, rentdesk_store::Clock::system()).await
}

/// Sign a tenant in through the app's two steps (the code read from the queued text message);
/// the access token.
pub async fn tenant_token(app: &TestApp, reference: &str, date_of_birth: &str) -> String {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let started: serde_json::Value = app
        .client
        .post(app.url("/tenant/v1/sign-in"))
        .json(&serde_json::json!({"reference": reference, "date_of_birth": date_of_birth}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let challenge = started["challenge"].as_str().unwrap();
    let sms = rentdesk_store::entities::message::Entity::find()
        .filter(
            rentdesk_store::entities::message::Column::IdempotencyKey
                .eq(format!("sign_in:{challenge}")),
        )
        .one(&app.db)
        .await
        .unwrap()
        .expect("a sign-in code was queued");
    let code: String = sms
        .body
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap()
        .into();
    let tokens: serde_json::Value = app
        .client
        .post(app.url("/tenant/v1/sign-in/verify"))
        .json(&serde_json::json!({"challenge": challenge, "code": code}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    tokens["access_token"].as_str().unwrap().to_owned()
}

/// A second server + worker on the same database and job queue as `app` (what a production
/// deployment with several of each looks like).
pub async fn spawn_sibling(app: &TestApp) -> TestApp {
    spawn_with(app.vars.clone(), None, app.clock.clone()).await
}

fn app_vars(database_url: String, sqlite_file: &Option<PathBuf>) -> HashMap<&'static str, String> {
    let mut vars: HashMap<&'static str, String> = HashMap::from([
        ("DATABASE_URL", database_url),
        ("BIND_ADDR", "127.0.0.1:0".to_owned()),
        ("TOKEN_SIGNING_KEY", TOKEN_SIGNING_KEY.to_owned()),
        ("LOG_FORMAT", "pretty".to_owned()),
        ("DB_MAX_CONNECTIONS", "5".to_owned()),
        // Tests drive dispatch themselves, at the instants they choose; a background tick on
        // the real clock would race them.
        ("DISPATCH_CRON", "off".to_owned()),
        // Nothing balances load in front of a test server: stop at once (the drain has its
        // own test).
        ("SHUTDOWN_DRAIN_SECS", "0".to_owned()),
    ]);
    if let Some(file) = &sqlite_file {
        vars.insert(
            "QUEUE_URL",
            format!("sqlite://{}-queue?mode=rwc", file.display()),
        );
    }
    if backend() == Backend::Postgres {
        vars.insert(
            "REDIS_URL",
            std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into()),
        );
        vars.insert("QUEUE_NAMESPACE", unique_name());
    }
    vars
}

async fn spawn_with(
    vars: HashMap<&'static str, String>,
    sqlite_file: Option<PathBuf>,
    clock: rentdesk_store::Clock,
) -> TestApp {
    let settings =
        Settings::from_lookup(Mode::Production, |k| vars.get(k).cloned()).expect("test settings");
    startup::init_tracing(settings.log_format);
    let mut state = startup::connect(&settings).await.expect("connect app");
    state.clock = clock.clone();
    let db = state.db.clone();
    let running = startup::start_all(state).await.expect("start app");
    let base = format!("http://{}", running.addr);
    // reqwest is built without a bundled crypto provider; the app uses ring (as sqlx does).
    let _ = rustls::crypto::ring::default_provider().install_default();
    TestApp {
        base,
        db,
        client: reqwest::Client::new(),
        clock,
        running: Some(running),
        sqlite_file,
        vars,
        admin_token: tokio::sync::OnceCell::new(),
    }
}

impl TestApp {
    /// The settings this app was started with (for calling the CLI's functions on its database).
    pub fn settings(&self) -> Settings {
        Settings::from_lookup(Mode::Production, |k| self.vars.get(k).cloned()).expect("settings")
    }

    /// Today (Europe/London) on the app's clock.
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.today()
    }

    /// Now on the app's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Move the app's clock (server and worker) so that it reads `at` now; it keeps running.
    pub fn travel_to(&self, at: chrono::DateTime<chrono::Utc>) {
        self.clock.set(at);
    }

    /// Move the app's clock on by `days` (back, when negative).
    pub fn advance_days(&self, days: i64) {
        self.clock.advance(chrono::Duration::days(days));
    }

    /// Back to the real time.
    pub fn back_to_now(&self) {
        self.clock.reset();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// An administrator's access token: made the way the first administrator is made
    /// (`rentdesk staff create --role admin`, on first use), then signed in over HTTP.
    pub async fn admin_token(&self) -> String {
        self.admin_token
            .get_or_init(|| async {
                if rentdesk_store::staff::by_email(&self.db, ADMIN_EMAIL)
                    .await
                    .unwrap()
                    .is_none()
                {
                    rentdesk::cli::create_staff(
                        &self.db,
                        rentdesk_store::staff::Role::Admin,
                        ADMIN_EMAIL,
                        "Test Administrator",
                        None,
                        Some(PASSWORD.to_owned()),
                    )
                    .await
                    .expect("create the test administrator");
                }
                staff_sign_in(self, ADMIN_EMAIL).await
            })
            .await
            .clone()
    }

    /// GET as the administrator.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        let token = self.admin_token().await;
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    pub async fn account(&self, reference: &str, as_of: &str) -> reqwest::Response {
        self.get(&format!(
            "/manage/v1/tenancies/{reference}/account?as_of={as_of}"
        ))
        .await
    }

    pub async fn upload(&self, kind: &str, filename: &str, content: Vec<u8>) -> reqwest::Response {
        let form = reqwest::multipart::Form::new()
            .text("kind", kind.to_owned())
            .part(
                "file",
                reqwest::multipart::Part::bytes(content).file_name(filename.to_owned()),
            );
        let token = self.admin_token().await;
        self.client
            .post(self.url("/manage/v1/imports"))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .expect("upload")
    }

    /// Upload a file and wait (bounded) for the worker to finish it; returns the batch JSON.
    pub async fn import(&self, kind: &str, content: Vec<u8>) -> serde_json::Value {
        let resp = self.upload(kind, &format!("{kind}.csv"), content).await;
        assert_eq!(resp.status(), 202, "upload accepted");
        let location = resp.headers()["location"].to_str().unwrap().to_owned();
        self.wait_for_batch(&location).await
    }

    /// Import `examples/tenancies.csv` and `examples/transactions.csv`, asserting both succeed.
    pub async fn import_examples(&self) {
        for kind in ["tenancies", "transactions"] {
            let batch = self.import(kind, example(&format!("{kind}.csv"))).await;
            assert_eq!(batch["status"], "succeeded", "{batch}");
        }
    }

    pub async fn wait_for_batch(&self, location: &str) -> serde_json::Value {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let batch: serde_json::Value = self.get(location).await.json().await.unwrap();
            let status = batch["status"].as_str().unwrap_or_default().to_owned();
            if !matches!(status.as_str(), "queued" | "running") {
                return batch;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "import did not finish: {batch}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stop server and worker gracefully; both must end cleanly.
    pub async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await.expect("graceful shutdown");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(path) = &self.sqlite_file {
            for suffix in ["", "-wal", "-shm", "-queue", "-queue-wal", "-queue-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
    }
}

pub fn example(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every test staff member's password.
pub const PASSWORD: &str = "a long enough password";

/// A staff member of team "income" with `role` (officer | team_leader | admin); their id.
pub async fn staff(app: &TestApp, email: &str, role: &str) -> i64 {
    staff_user::ActiveModel {
        email: Set(email.into()),
        name: Set(email.split('@').next().unwrap().into()),
        role: Set(role.into()),
        team: Set(Some("income".into())),
        password_hash: Set(Some(hash_password(PASSWORD))),
        active: Set(true),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
    .id
}

/// One JSON request; asserts that any error is problem+json. (status, body)
pub async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app.client.request(method, app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|c| c.to_str().unwrap_or("").to_owned())
        .unwrap_or_default();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    if status >= 400 {
        assert!(
            ct.starts_with("application/problem+json"),
            "errors are problem+json: {status} {body}"
        );
    }
    (status, body)
}

/// Staff sign-in with [`PASSWORD`]; the access token.
pub async fn staff_sign_in(app: &TestApp, email: &str) -> String {
    let (s, t) = call(
        app,
        reqwest::Method::POST,
        "/officer/v1/sign-in",
        None,
        Some(json!({"email": email, "password": PASSWORD})),
    )
    .await;
    assert_eq!(s, 200, "{t}");
    t["access_token"].as_str().unwrap().to_owned()
}

/// The id of the tenancy with this reference (the examples use HD1001…).
pub async fn tenancy_id(app: &TestApp, reference: &str) -> i64 {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    rentdesk_store::entities::tenancy::Entity::find()
        .filter(rentdesk_store::entities::tenancy::Column::Reference.eq(reference))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no tenancy {reference}"))
        .id
}

/// The id of the staff member with this email.
pub async fn staff_id(app: &TestApp, email: &str) -> i64 {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    staff_user::Entity::find()
        .filter(staff_user::Column::Email.eq(email))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no staff member {email}"))
        .id
}

/// What the CLI's imports run with (`rentdesk import`), with `max` as `MAX_ROW_AMOUNT_PENCE`
/// and the default notice rules and letters.
pub fn import_policy(max: rentdesk_domain::Pence) -> rentdesk_store::imports::StepPolicy<'static> {
    let rules: &'static rentdesk_domain::possession::protocol::NoticeRules =
        Box::leak(Box::default());
    rentdesk_store::imports::StepPolicy {
        notice_rules: rules,
        max_row_amount: max,
        landlord: "Test Homes",
        templates: rentdesk_domain::letters::templates::LetterTemplates::builtin(),
    }
}

/// The diary kind spelt `kind` (a test's table of entries names them as text).
pub fn diary_kind(kind: &str) -> rentdesk_store::vocab::ActionKind {
    <rentdesk_store::vocab::ActionKind as sea_orm::ActiveEnum>::try_from_value(&kind.to_owned())
        .unwrap_or_else(|_| panic!("{kind} is not a diary kind"))
}
