//! A fake Twilio for tests: the Messages API on loopback speaking Twilio's wire format —
//! HTTP basic auth, form-encoded bodies, Twilio's JSON answers and error codes (20003, 21211,
//! 21603, 21604) — with failures on demand. Only built with the `test-fakes` feature.

use poem::http::StatusCode;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::{Data, Form, Path, Query};
use poem::{EndpointExt, IntoResponse, Response, Route, Server, get, handler};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

pub const SID: &str = "AC00000000000000000000000000000001";
pub const TOKEN: &str = "test-auth-token";

#[derive(Default)]
pub struct FakeState {
    /// Every accepted message's form fields, in order.
    pub sent: Vec<HashMap<String, String>>,
    /// Answer the next requests with these HTTP statuses (500, 429, …).
    pub fail_next: VecDeque<u16>,
    /// Numbers answered with Twilio error 21211.
    pub invalid_numbers: Vec<String>,
    /// When each message in `sent` was accepted (Twilio's `date_created`).
    pub created: Vec<chrono::DateTime<chrono::Utc>>,
    /// Hold every create this long before answering (a slow provider, for kill tests).
    pub delay: Option<std::time::Duration>,
    /// Sent as `Retry-After` with every injected failure (`"120"` or an HTTP-date).
    pub retry_after: Option<String>,
}

#[derive(Clone, Default)]
pub struct Fake(pub Arc<Mutex<FakeState>>);

fn twilio_error(status: StatusCode, code: Option<i64>, message: &str) -> Response {
    let body = serde_json::json!({"code": code, "message": message, "status": status.as_u16(), "more_info": "https://www.twilio.com/docs/errors"});
    (status, poem::web::Json(body)).into_response()
}

fn authorised(req: &poem::Request) -> bool {
    use base64::Engine as _;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{SID}:{TOKEN}"))
    );
    req.headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        == Some(expected.as_str())
}

#[handler]
async fn create(
    req: &poem::Request,
    Path(account): Path<String>,
    Form(form): Form<HashMap<String, String>>,
    fake: Data<&Fake>,
) -> Response {
    if !authorised(req) || account != SID {
        return twilio_error(StatusCode::UNAUTHORIZED, Some(20003), "Authenticate");
    }
    let delay = fake.0.0.lock().unwrap().delay;
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let mut state = fake.0.0.lock().unwrap();
    if let Some(status) = state.fail_next.pop_front() {
        let status = StatusCode::from_u16(status).unwrap();
        let code = (status == StatusCode::TOO_MANY_REQUESTS).then_some(20429);
        let mut answer = twilio_error(status, code, "injected failure");
        if let Some(wait) = state.retry_after.as_deref() {
            answer
                .headers_mut()
                .insert("retry-after", wait.parse().expect("a header value"));
        }
        return answer;
    }
    let (Some(to), Some(body)) = (form.get("To"), form.get("Body")) else {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            Some(21604),
            "A 'To' phone number and a 'Body' are required.",
        );
    };
    if !form.contains_key("From") && !form.contains_key("MessagingServiceSid") {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            Some(21603),
            "A 'From' or 'MessagingServiceSid' parameter is required",
        );
    }
    if state.invalid_numbers.contains(to) {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            Some(21211),
            &format!("The 'To' number {to} is not a valid phone number."),
        );
    }
    let sid = format!("SM{:032x}", state.sent.len() + 1);
    let created = chrono::Utc::now();
    let answer = serde_json::json!({"sid": sid, "status": "queued", "to": to, "body": body, "date_created": created.to_rfc2822()});
    state.sent.push(form);
    state.created.push(created);
    (StatusCode::CREATED, poem::web::Json(answer)).into_response()
}

#[handler]
fn list(
    req: &poem::Request,
    Query(q): Query<HashMap<String, String>>,
    fake: Data<&Fake>,
) -> Response {
    if !authorised(req) {
        return twilio_error(StatusCode::UNAUTHORIZED, Some(20003), "Authenticate");
    }
    let state = fake.0.0.lock().unwrap();
    // `DateSent>=YYYY-MM-DD` arrives as the parameter `DateSent>`.
    let since = q
        .get("DateSent>")
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let messages: Vec<_> = state
        .sent
        .iter()
        .zip(&state.created)
        .enumerate()
        .filter(|(_, (m, _))| q.get("To").is_none_or(|to| m.get("To") == Some(to)))
        .filter(|(_, (_, at))| since.is_none_or(|d| at.date_naive() >= d))
        .rev()
        .map(|(i, (m, at))| serde_json::json!({"sid": format!("SM{:032x}", i + 1), "to": m["To"], "body": m["Body"], "status": "sent", "date_created": at.to_rfc2822()}))
        .collect();
    poem::web::Json(serde_json::json!({"messages": messages})).into_response()
}

/// Start the fake on a free loopback port; returns it and its base URL.
pub async fn start() -> (Fake, String) {
    let fake = Fake::default();
    let acceptor = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .unwrap();
    let addr = acceptor.local_addr()[0].as_socket_addr().copied().unwrap();
    let app = Route::new()
        .at(
            "/2010-04-01/Accounts/:account/Messages.json",
            get(list).post(create),
        )
        .data(fake.clone());
    tokio::spawn(Server::new_with_acceptor(acceptor).run(app));
    (fake, format!("http://{addr}"))
}

impl Fake {
    pub fn sent_to(&self, to: &str) -> usize {
        self.0
            .lock()
            .expect("fake state")
            .sent
            .iter()
            .filter(|m| m.get("To").map(String::as_str) == Some(to))
            .count()
    }
}
