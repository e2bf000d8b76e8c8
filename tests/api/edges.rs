//! Hard edges tried from outside: bodies larger than any operation needs (declared, and sent
//! chunked with no length), refused before they cost the server memory, as problem+json.

use crate::helpers::{TestApp, call, spawn_app, staff, staff_sign_in};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What a raw HTTP/1.1 exchange answered: the status and the body.
async fn raw(app: &TestApp, head: &str, chunks: &[Vec<u8>]) -> (u16, String) {
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    s.write_all(head.as_bytes()).await.unwrap();
    for c in chunks {
        // The server may answer and close before reading it all: that is the point.
        if s.write_all(format!("{:x}\r\n", c.len()).as_bytes())
            .await
            .is_err()
            || s.write_all(c).await.is_err()
            || s.write_all(b"\r\n").await.is_err()
        {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        let mut buf = [0u8; 8192];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    answer.extend_from_slice(&buf[..n]);
                    if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                        let text = String::from_utf8_lossy(&answer);
                        if text.contains("}") {
                            break;
                        }
                    }
                }
            }
        }
    })
    .await;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[tokio::test]
async fn bodies_larger_than_an_operation_needs_are_refused_before_they_are_read() {
    let app = spawn_app().await;
    // Declared: a 1 MB sign-in, unauthenticated.
    let big = format!(
        r#"{{"reference":"HD1","date_of_birth":"1980-01-01","postcode":"{}"}}"#,
        "A".repeat(1_000_000)
    );
    let resp = app
        .client
        .post(app.url("/tenant/v1/sign-in"))
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    assert_eq!(
        resp.headers()["content-type"],
        "application/problem+json",
        "problem+json"
    );
    let problem: Value = resp.json().await.unwrap();
    assert_eq!(problem["status"], 413, "{problem}");

    // Chunked, with no length: refused once it passes the limit, not read to the end.
    let head = "POST /tenant/v1/sign-in HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    let chunks: Vec<Vec<u8>> = (0..64).map(|_| vec![b' '; 16 * 1024]).collect();
    let (status, text) = raw(&app, head, &chunks).await;
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("application/problem+json"), "{text}");

    // An import file's worth without a token goes nowhere near the import.
    let resp = app
        .client
        .post(app.url("/manage/v1/imports"))
        .header("content-type", "multipart/form-data; boundary=x")
        .body(vec![b'a'; 200 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);

    // …while a signed-in import of the same size is taken.
    let mut csv = String::from(
        "reference,tenure,status,address_line1,address_line2,town,postcode,latitude,longitude,patch,start_date,end_date,weekly_rent,weekly_service_charge,rent_free_weeks,rent_free_only_when_clear,periodic_service_charge,periodic_service_charge_frequency,payment_method,self_pay_amount,self_pay_frequency,self_pay_anchor,hb_weekly,hb_first_pay_date,lead_tenant_name,lead_tenant_dob,lead_tenant_mobile,lead_tenant_email,joint_tenant_name,joint_tenant_dob\n",
    );
    let mut n = 0;
    while csv.len() < 200 * 1024 {
        n += 1;
        csv += &format!(
            "BL{n:05},secure,active,{n} Long Road,,Huddersfield,HD1 1AA,,,HD-NORTH,2020-01-06,,100.00,0.00,,no,,,bank_transfer,,,,,,Tenant {n},1980-01-01,,,,\n"
        );
    }
    let batch = app.import("tenancies", csv.into_bytes()).await;
    assert_eq!(batch["status"], "succeeded", "{batch}");

    // And the server is still there.
    let health = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    app.stop().await;
}

async fn post_json(app: &TestApp, path: &str, body: &str) -> (u16, Value) {
    let resp = app
        .client
        .post(app.url(path))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    assert_eq!(
        resp.headers()["content-type"],
        "application/problem+json",
        "{status}"
    );
    (status, resp.json().await.unwrap())
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

/// Wrong types, impossible or sloppy dates and out-of-range integers are refused naming the
/// JSON path or parameter at fault, never "body" or "param0"; dates are strict ISO 8601.
#[tokio::test]
async fn bad_values_are_refused_naming_the_field_and_dates_are_strict_iso_8601() {
    let app = spawn_app().await;
    for (body, field) in [
        (
            r#"{"reference":"HD1","date_of_birth":"2026-02-30"}"#,
            "date_of_birth",
        ),
        (
            r#"{"reference":"HD1","date_of_birth":"2026-12-7"}"#,
            "date_of_birth",
        ),
        (
            r#"{"reference":5,"date_of_birth":"1980-01-01"}"#,
            "reference",
        ),
        (r#"{"date_of_birth":"1980-01-01"}"#, "reference"),
    ] {
        let (status, problem) = post_json(&app, "/tenant/v1/sign-in", body).await;
        assert_eq!(status, 422, "{body}: {problem}");
        assert_eq!(fields(&problem), [field], "{body}: {problem}");
    }
    // Not JSON at all: the body is what is at fault, and the reason says where.
    let (status, problem) = post_json(&app, "/tenant/v1/sign-in", "{\"reference\":").await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(fields(&problem), ["body"]);
    // Parameters: the name, whatever the handler calls it.
    for query in ["as_of=2026-12-7", "as_of=2026-02-30", "as_of=yesterday"] {
        let resp = app
            .get(&format!("/manage/v1/tenancies/HD1/account?{query}"))
            .await;
        assert_eq!(resp.status(), 422, "{query}");
        let problem: Value = resp.json().await.unwrap();
        assert_eq!(fields(&problem), ["as_of"], "{query}: {problem}");
    }
    // Authentication comes first: a caller who is not signed in learns nothing of the rest.
    let (status, _) = call(
        &app,
        reqwest::Method::GET,
        "/officer/v1/accounts/99999999999999999999",
        Some(&"x".repeat(40)),
        None,
    )
    .await;
    assert_eq!(status, 401);
    // Signed in: an id beyond i64 is a bad id, named, not a server error.
    staff(&app, "edge@council.example", "officer").await;
    let token = staff_sign_in(&app, "edge@council.example").await;
    let (status, problem) = call(
        &app,
        reqwest::Method::GET,
        "/officer/v1/accounts/99999999999999999999",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(fields(&problem), ["id"], "{problem}");
    // A NUL character (PostgreSQL cannot store one) is a named bad value, not a server error.
    let (status, problem) = call(
        &app,
        reqwest::Method::GET,
        "/officer/v1/accounts?reference=%00",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(fields(&problem), ["reference"], "{problem}");
    let (status, problem) = post_json(
        &app,
        "/tenant/v1/sign-in",
        r#"{"reference":"HD\u0000","date_of_birth":"1980-01-01"}"#,
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(fields(&problem), ["reference"], "{problem}");
    // A body that breaks the document, signed in: every field at fault, by its JSON path.
    let (status, problem) = call(
        &app,
        reqwest::Method::POST,
        "/officer/v1/sign-in",
        None,
        Some(serde_json::json!({"email": 7, "password": ["x"]})),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(fields(&problem), ["email", "password"], "{problem}");
    app.stop().await;
}

/// Issue 19 (ASVS 14.4): every answer — JSON, a problem, the unsubscribe page, the document —
/// tells a browser not to sniff, frame or leak a referrer; only the interactive document may
/// run script (its own page's); HSTS only where the public URL is https.
#[tokio::test]
async fn every_answer_carries_the_security_headers_and_hsts_only_over_https() {
    let app = spawn_app().await;
    let get = |path: &'static str| {
        let client = app.client.clone();
        let url = app.url(path);
        async move { client.get(url).send().await.unwrap() }
    };
    for (path, status) in [
        ("/health", 200),
        ("/officer/v1/me", 401),
        ("/no/such/path", 404),
        ("/unsubscribe/email/not-a-token", 200),
        ("/openapi.json", 200),
    ] {
        let r = get(path).await;
        let h = r.headers().clone();
        let text = r.status().as_u16();
        assert!(
            text == status || path.starts_with("/unsubscribe"),
            "{path}: {text}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.starts_with("default-src 'none'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            !h.contains_key("strict-transport-security"),
            "{path}: no HSTS over plain http"
        );
    }
    let docs = get("/docs").await;
    let csp = docs.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains('*'), "no wildcard source: {csp}");
    app.stop().await;

    let app =
        crate::helpers::spawn_app_with(&[("PUBLIC_URL", "https://rent.council.example")]).await;
    let r = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(
        r.headers()["strict-transport-security"],
        rentdesk_server::startup::HSTS
    );
    let r = app
        .client
        .get(app.url("/no/such/path"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.headers().contains_key("strict-transport-security"));
    app.stop().await;
}

/// Issue 19 (ASVS 8.2.1): every answer of the API — signed in, a sign-in with its tokens, a
/// refusal — says `Cache-Control: no-store`, so no browser or proxy cache keeps an account;
/// the console's static assets keep their own day-long public caching.
#[tokio::test]
async fn api_answers_are_not_stored_by_caches_and_console_assets_still_are() {
    let app = spawn_app().await;
    staff(&app, "cache@council.example", "team_leader").await;
    let token = staff_sign_in(&app, "cache@council.example").await;
    for (path, auth, status) in [
        ("/officer/v1/me", true, 200),
        ("/manage/v1/campaigns", true, 200),
        ("/officer/v1/me", false, 401),
    ] {
        let mut req = app.client.get(app.url(path));
        if auth {
            req = req.bearer_auth(&token);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status().as_u16(), status, "{path}");
        assert_eq!(
            r.headers()["cache-control"],
            "no-store",
            "{path} ({status})"
        );
    }
    let r = app
        .client
        .post(app.url("/officer/v1/sign-in"))
        .json(&serde_json::json!({"email": "cache@council.example", "password": "wrong"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["cache-control"], "no-store");
    let r = app
        .client
        .get(app.url("/console/assets/console.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "public, max-age=86400");
    app.stop().await;
}
