//! The team leader's console in a real browser: headless Chromium (Debian's `chromium` and
//! `chromium-driver`, installed by `scripts/ensure-browser.sh`) driven over WebDriver by
//! fantoccini, against the real app on loopback, on both backends.
//!
//! Each main page is screenshotted into `target/console-screenshots/<backend>/` for a reviewer,
//! and checked with axe-core (vendored in `tests/assets/`, injected here): no serious or
//! critical violation. Nothing sleeps for a fixed time: every wait is a bounded poll on a
//! condition.

use crate::campaigns::{
    LEAD, OTHER_LEAD, create, progress, sms_campaign, soon, team, total_sent, twilio,
};
use crate::helpers::{PASSWORD, TestApp, backend, call, staff, staff_id};
use fantoccini::{Client, ClientBuilder, Locator};
use rentdesk_worker::dispatch::dispatch_all;
use rentdesk_worker::fake_twilio;
use reqwest::Method;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const AXE: &str = include_str!("../assets/axe-4.14.1.min.js");
/// The longest any condition is waited for.
const PATIENCE: Duration = Duration::from_secs(30);

/// One chromedriver and one headless Chromium for this test (process).
struct Browser {
    client: Client,
    _driver: Driver,
    base: String,
}

impl Browser {
    async fn start(app: &TestApp) -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver_bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let mut driver = std::process::Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map(|child| Driver {
                child,
                port,
                session: None,
            })
            .unwrap_or_else(|e| {
                panic!("{driver_bin}: {e} (run scripts/ensure-browser.sh to install Chromium)")
            });
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        poll("chromedriver to answer", || async {
            http.get(format!("{url}/status")).send().await.is_ok()
        })
        .await;
        let mut caps = serde_json::Map::new();
        let mut options = json!({
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,1600", "--lang=en-GB", "--no-first-run",
                "--disable-background-networking", "--disable-extensions",
            ],
        });
        if let Ok(bin) = std::env::var("CHROMIUM") {
            options["binary"] = json!(bin);
        }
        caps.insert("goog:chromeOptions".into(), options);
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&url)
            .await
            .expect("a Chromium session through chromedriver");
        driver.session = client.session_id().await.ok().flatten();
        Browser {
            client,
            _driver: driver,
            base: app.base.clone(),
        }
    }

    async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_owned()
    }

    async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .text()
            .await
            .unwrap()
    }

    /// The element's text once it exists (bounded).
    async fn wait_text(&self, css: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Ok(e) = self.client.find(Locator::Css(css)).await
                && let Ok(t) = e.text().await
            {
                return t;
            }
            assert!(Instant::now() < deadline, "{css} did not appear");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Wait (bounded) until `css`'s text is `want`.
    async fn wait_for_text(&self, css: &str, want: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let got = match self.client.find(Locator::Css(css)).await {
                Ok(e) => e.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if got.trim() == want {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{css}: waited for {want:?}, still {got:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn fill(&self, css: &str, value: &str) {
        let e = self.client.find(Locator::Css(css)).await.unwrap();
        e.clear().await.unwrap();
        e.send_keys(value).await.unwrap();
    }

    async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap();
    }

    async fn sign_in(&self, email: &str, password: &str) {
        self.goto("/console/sign-in").await;
        self.fill("#email", email).await;
        self.fill("#password", password).await;
        self.click("button[type=submit]").await;
        // Signed in (somewhere else) or told why not.
        poll("the sign-in answer", || async {
            self.path().await != "/console/sign-in"
                || self
                    .client
                    .find(Locator::Css("#sign-in-error"))
                    .await
                    .is_ok()
        })
        .await;
    }

    /// Wait (bounded) until the browser is at `path`.
    async fn wait_path(&self, path: &str) {
        poll(path, || async { self.path().await == path }).await;
    }

    /// A PNG of the page in `target/console-screenshots/<backend>/<name>.png`.
    async fn screenshot(&self, name: &str) {
        let dir = screenshots();
        std::fs::create_dir_all(&dir).unwrap();
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    /// axe-core on the page as it is: no serious or critical violation.
    async fn accessible(&self, page: &str) {
        let script = format!(
            "{AXE}\n;return axe.run(document, {{resultTypes: ['violations']}}).then(function (r) {{\
               return r.violations.filter(function (v) {{ return v.impact === 'serious' || v.impact === 'critical'; }})\
                 .map(function (v) {{ return v.id + ': ' + v.help + ' at ' + v.nodes.map(function (n) {{ return n.target.join(' '); }}).join(', '); }});\
             }});"
        );
        let found = self.client.execute(&script, vec![]).await.unwrap();
        assert_eq!(found, json!([]), "{page}: accessibility violations");
    }
}

/// chromedriver, ended with the test. Its browser session is ended first (a plain
/// `DELETE /session/<id>`), so a test that fails half-way leaves no Chromium running.
struct Driver {
    child: std::process::Child,
    port: u16,
    session: Option<String>,
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(id) = &self.session
            && let Ok(mut conn) = std::net::TcpStream::connect(("127.0.0.1", self.port))
        {
            use std::io::{Read, Write};
            let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
            let _ = write!(
                conn,
                "DELETE /session/{id} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = conn.read(&mut [0u8; 256]);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where CI keeps the screenshots: `target/console-screenshots/<backend>/`.
fn screenshots() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/console-screenshots")
        .join(format!("{:?}", backend()).to_lowercase())
}

/// Poll `cond` until it holds (bounded by [`PATIENCE`]).
async fn poll<F, Fut>(what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + PATIENCE;
    while !cond().await {
        assert!(Instant::now() < deadline, "waited too long for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The matched count the API's preview gives for this segment (same caller).
async fn api_matched(app: &TestApp, token: &str, segment: Value) -> u64 {
    let (s, p) = call(
        app,
        Method::POST,
        "/manage/v1/campaigns/preview",
        Some(token),
        Some(sms_campaign(segment)),
    )
    .await;
    assert_eq!(s, 200, "{p}");
    p["matched"].as_u64().unwrap()
}

#[tokio::test]
async fn a_team_leader_builds_a_segment_launches_watches_it_send_and_reads_the_outcome() {
    let t = team().await;
    let app = &t.app;
    let b = Browser::start(app).await;

    // Not signed in: the console sends you to sign in.
    b.goto("/console/campaigns").await;
    assert_eq!(b.path().await, "/console/sign-in");
    b.screenshot("sign-in").await;
    b.accessible("sign-in").await;
    b.sign_in(LEAD, "not the password").await;
    assert!(
        b.text("#sign-in-error").await.contains("wrong"),
        "a wrong password is said so"
    );
    b.sign_in(LEAD, PASSWORD).await;
    assert_eq!(b.path().await, "/console/campaigns");
    b.wait_text("h1").await;
    b.accessible("campaigns (empty)").await;

    // The form: only this team's patches are offered.
    b.goto("/console/campaigns/new").await;
    let source = b.client.source().await.unwrap();
    assert!(source.contains("value=\"HD-NORTH\""), "own patch offered");
    assert!(
        !source.contains("HD-EAST"),
        "another team's patch is not even named"
    );
    // The live preview (htmx) shows the API's count for the same segment, and follows the form.
    let all = api_matched(app, &t.lead, json!({})).await;
    b.wait_for_text("#preview-matched", &all.to_string()).await;
    b.fill("#f-name", "Direct debit nudge").await;
    b.click("input[name='segment.patches'][value='HD-NORTH']")
        .await;
    let north = api_matched(app, &t.lead, json!({"patches": ["HD-NORTH"]})).await;
    assert_ne!(
        north, all,
        "the filter must change the count for this to prove anything"
    );
    b.wait_for_text("#preview-matched", &north.to_string())
        .await;
    // A bad amount is named beside its field, in words.
    b.fill("#f-segment-arrears_min_pence", "lots").await;
    b.wait_for_text(
        "#err-segment-arrears_min_pence",
        "an amount in pounds, 0 or more, e.g. 250.00",
    )
    .await;
    b.fill("#f-segment-arrears_min_pence", "0").await;
    let with_min = api_matched(
        app,
        &t.lead,
        json!({"patches": ["HD-NORTH"], "arrears_min_pence": 0}),
    )
    .await;
    b.wait_for_text("#preview-matched", &with_min.to_string())
        .await;
    b.wait_for_text("#err-segment-arrears_min_pence", "").await;
    b.screenshot("campaign-new").await;
    b.accessible("new campaign").await;

    // Save, launch, and watch the live counts reach everyone sent.
    b.click("button[value=create]").await;
    poll("the campaign page", || async {
        b.path().await.starts_with("/console/campaigns/")
            && b.path().await != "/console/campaigns/new"
    })
    .await;
    let id: i64 = b.path().await.rsplit('/').next().unwrap().parse().unwrap();
    b.wait_for_text("[data-status]", "draft").await;
    b.click("#action-launch").await;
    b.wait_text("#action-pause").await;
    let planned = launch_done(app, &t.lead, id).await;
    let (fake, url) = fake_twilio::start().await;
    let report = dispatch_all(&app.db, &twilio(&url), soon()).await.unwrap();
    let to_send = planned["matched"].as_u64().unwrap()
        - planned["suppressed"]
            .as_object()
            .unwrap()
            .values()
            .map(|n| n.as_u64().unwrap())
            .sum::<u64>();
    assert_eq!(report.sent, to_send, "{report:?}");
    assert!(to_send > 0, "something to send: {planned}");
    assert_eq!(total_sent(&fake) as u64, to_send);
    // The page was not reloaded: the count arrives over server-sent events.
    b.wait_for_text("[data-count=sent]", &to_send.to_string())
        .await;
    b.wait_for_text("[data-count=queued]", "0").await;
    b.screenshot("campaign-progress").await;
    b.accessible("campaign").await;

    // The list shows it with its live counts.
    b.goto("/console/campaigns").await;
    assert!(b.text("table").await.contains("Direct debit nudge"));
    b.screenshot("campaigns").await;
    b.accessible("campaigns").await;

    // The outcome page renders its table.
    b.goto(&format!("/console/campaigns/{id}/outcome")).await;
    let table = b.wait_text("#outcome").await;
    assert!(table.contains("Variant A"), "{table}");
    b.screenshot("campaign-outcome").await;
    b.accessible("outcome").await;

    // Another team's leader does not see it at all.
    b.click("header form button").await;
    b.wait_path("/console/sign-in").await;
    b.sign_in(OTHER_LEAD, PASSWORD).await;
    b.goto(&format!("/console/campaigns/{id}")).await;
    assert!(b.text("h1").await.contains("Not found"));
    b.goto("/console/campaigns").await;
    assert!(
        !b.client
            .source()
            .await
            .unwrap()
            .contains("Direct debit nudge")
    );
    b.client.clone().close().await.unwrap();
    t.app.stop().await;
}

/// Wait (bounded) for the worker's fan-out after a launch from the browser.
async fn launch_done(app: &TestApp, token: &str, id: i64) -> Value {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let p = progress(app, token, id).await;
        if p["planned"] == true {
            return p;
        }
        assert!(Instant::now() < deadline, "fan-out did not finish: {p}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn pausing_in_the_console_stops_sending_and_resuming_carries_on() {
    let t = team().await;
    let app = &t.app;
    let id = create(app, &t.lead, sms_campaign(json!({}))).await;
    let b = Browser::start(app).await;
    b.sign_in(LEAD, PASSWORD).await;
    b.goto(&format!("/console/campaigns/{id}")).await;
    b.click("#action-launch").await;
    b.wait_text("#action-pause").await;
    launch_done(app, &t.lead, id).await;
    b.click("#action-pause").await;
    b.wait_for_text("[data-status]", "paused").await;
    let (fake, url) = fake_twilio::start().await;
    let report = dispatch_all(&app.db, &twilio(&url), soon()).await.unwrap();
    assert_eq!(report.sent, 0, "paused: nothing goes");
    assert_eq!(total_sent(&fake), 0);
    b.click("#action-resume").await;
    b.wait_for_text("[data-status]", "running").await;
    let report = dispatch_all(&app.db, &twilio(&url), soon()).await.unwrap();
    assert!(report.sent > 0, "resumed: {report:?}");
    assert_eq!(total_sent(&fake) as u64, report.sent);
    let p = progress(app, &t.lead, id).await;
    assert_eq!(p["sent"].as_u64().unwrap(), report.sent, "{p}");
    b.client.clone().close().await.unwrap();
    t.app.stop().await;
}

/// A form POST as a browser would send it, with the cookies given.
async fn form_post(
    app: &TestApp,
    path: &str,
    cookies: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    no_redirects()
        .post(app.url(path))
        .header("cookie", cookies)
        .form(fields)
        .send()
        .await
        .unwrap()
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The `name=value` of a `Set-Cookie` header naming `name`, and the whole header.
fn set_cookie(resp: &reqwest::Response, name: &str) -> (String, String) {
    let header = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie set"));
    (header.split(';').next().unwrap().to_owned(), header)
}

/// Sign in to the console without a browser: (session cookie, its CSRF token).
async fn sign_in_over_http(app: &TestApp, email: &str) -> (String, String) {
    let page = no_redirects()
        .get(app.url("/console/sign-in"))
        .send()
        .await
        .unwrap();
    let (pre, _) = set_cookie(&page, "rentdesk_console_pre");
    let html = page.text().await.unwrap();
    let csrf = hidden_csrf(&html);
    let resp = form_post(
        app,
        "/console/sign-in",
        &pre,
        &[("_csrf", &csrf), ("email", email), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(resp.status(), 303);
    let (session, header) = set_cookie(&resp, "rentdesk_console");
    assert!(header.contains("HttpOnly"), "{header}");
    assert!(header.contains("SameSite=Lax"), "{header}");
    assert!(!header.contains("Secure"), "plain http in tests: {header}");
    let page = no_redirects()
        .get(app.url("/console/campaigns/new"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    let csrf = hidden_csrf(&page.text().await.unwrap());
    (session, csrf)
}

fn hidden_csrf(html: &str) -> String {
    let at = html
        .find("name=\"_csrf\" value=\"")
        .expect("a CSRF field in the form")
        + "name=\"_csrf\" value=\"".len();
    html[at..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn the_console_refuses_forged_posts_officers_and_deactivated_staff() {
    let t = team().await;
    let app = &t.app;
    staff(app, "officer@council.example", "officer").await;

    // A POST without the session's CSRF token is refused, and does nothing.
    let (session, csrf) = sign_in_over_http(app, LEAD).await;
    let create = [
        ("action", "create"),
        ("name", "Forged"),
        ("channels", "sms"),
        ("templates.sms[0]", "Hi {first_name}"),
    ];
    let resp = form_post(app, "/console/campaigns/new", &session, &create).await;
    assert_eq!(resp.status(), 403);
    let mut forged = create.to_vec();
    forged.push(("_csrf", "not-the-token"));
    let resp = form_post(app, "/console/campaigns/new", &session, &forged).await;
    assert_eq!(resp.status(), 403);
    let (_, list) = call(
        app,
        Method::GET,
        "/manage/v1/campaigns",
        Some(&t.lead),
        None,
    )
    .await;
    assert_eq!(list["campaigns"], json!([]), "nothing was created");
    // With it, the same form is accepted.
    let mut good = create.to_vec();
    good.push(("_csrf", &csrf));
    let resp = form_post(app, "/console/campaigns/new", &session, &good).await;
    assert_eq!(resp.status(), 303);
    // A sign-in form without its token is refused too.
    let resp = form_post(
        app,
        "/console/sign-in",
        "",
        &[("email", LEAD), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(resp.status(), 403);

    // Assets are served from here with cache headers; a conditional GET is answered 304.
    let js = reqwest::get(app.url("/console/assets/htmx.min.js"))
        .await
        .unwrap();
    assert_eq!(js.status(), 200);
    assert_eq!(js.headers()["cache-control"], "public, max-age=86400");
    let etag = js.headers()["etag"].to_str().unwrap().to_owned();
    let again = app
        .client
        .get(app.url("/console/assets/htmx.min.js"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);

    // Deactivating the team leader ends their console session at once.
    let admin = app.admin_token().await;
    let lead_id = staff_id(app, LEAD).await;
    let (s, body) = call(
        app,
        Method::POST,
        &format!("/manage/v1/officers/{lead_id}/deactivate"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let resp = no_redirects()
        .get(app.url("/console/campaigns"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/console/sign-in");

    // An officer is told the console is for team leaders, in the browser.
    let b = Browser::start(app).await;
    b.sign_in("officer@council.example", PASSWORD).await;
    assert_eq!(b.text("h1").await, "Team leaders only");
    b.goto("/console/campaigns/new").await;
    assert_eq!(b.text("h1").await, "Team leaders only");
    b.screenshot("officer-refused").await;
    b.accessible("team leaders only").await;
    b.client.clone().close().await.unwrap();
    t.app.stop().await;
}
