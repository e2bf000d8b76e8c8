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
fn create(
    req: &poem::Request,
    Path(account): Path<String>,
    Form(form): Form<HashMap<String, String>>,
    fake: Data<&Fake>,
) -> Response {
    if !authorised(req) || account != SID {
        return twilio_error(StatusCode::UNAUTHORIZED, Some(20003), "Authenticate");
    }
    let mut state = fake.0.0.lock().unwrap();
    if let Some(status) = state.fail_next.pop_front() {
        let status = StatusCode::from_u16(status).unwrap();
        let code = (status == StatusCode::TOO_MANY_REQUESTS).then_some(20429);
        return twilio_error(status, code, "injected failure");
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
    let answer = serde_json::json!({"sid": sid, "status": "queued", "to": to, "body": body, "date_created": "Wed, 25 Nov 2026 08:00:00 +0000"});
    state.sent.push(form);
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
    let messages: Vec<_> = state
        .sent
        .iter()
        .enumerate()
        .filter(|(_, m)| q.get("To").is_none_or(|to| m.get("To") == Some(to)))
        .map(|(i, m)| serde_json::json!({"sid": format!("SM{:032x}", i + 1), "to": m["To"], "body": m["Body"], "status": "sent", "date_created": "Wed, 25 Nov 2026 08:00:00 +0000"}))
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
