//! The console's sign-in page, sign-out, and `/console` itself.

use super::session::{self, CSRF_FIELD, PRE_COOKIE};
use super::{field, form_fields, internal, render, see_other};
use crate::api::officer::signin::authenticate;
use crate::api::sign_in_limits;
use crate::state::AppState;
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Body, Request, Response, handler};
use rentdesk_store::audit::{self, Actor};

/// `/console`: the campaigns for someone signed in, the sign-in page for anyone else.
#[handler]
pub async fn home(req: &Request, state: Data<&AppState>) -> Response {
    match session::signed_in(&state, req).await {
        Ok(Some(_)) => see_other("/console/campaigns"),
        Ok(None) => see_other("/console/sign-in"),
        Err(e) => internal(e),
    }
}

/// The sign-in form, with a fresh pre-sign-in cookie its CSRF token is bound to.
#[handler]
pub async fn form(req: &Request, state: Data<&AppState>) -> Response {
    if let Ok(Some(_)) = session::signed_in(&state, req).await {
        return see_other("/console/campaigns");
    }
    page(&state, StatusCode::OK, "", None)
}

fn page(state: &AppState, status: StatusCode, email: &str, error: Option<&str>) -> Response {
    let pre = crate::auth::random_token(16);
    let mut resp = render(
        status,
        "sign_in.html",
        serde_json::json!({
            "csrf": session::sign_in_csrf(state, &pre),
            "email": email,
            "error": error,
        }),
    );
    if let Ok(v) = session::set_cookie(state, PRE_COOKIE, &pre, 3600).parse() {
        resp.headers_mut().append("set-cookie", v);
    }
    resp
}

/// Email and password checked by the same code as the app's staff sign-in (limits, audit),
/// then a console session.
#[handler]
pub async fn sign_in(req: &Request, state: Data<&AppState>, body: Body) -> Response {
    let Ok(fields) = form_fields(body).await else {
        return page(
            &state,
            StatusCode::BAD_REQUEST,
            "",
            Some("The form did not arrive whole."),
        );
    };
    let given = field(&fields, CSRF_FIELD).unwrap_or_default();
    let expected = session::cookie(req, PRE_COOKIE).map(|pre| session::sign_in_csrf(&state, &pre));
    if !expected.is_some_and(|e| session::same(&e, given)) {
        return session::csrf_refused(None);
    }
    let email = field(&fields, "email").unwrap_or_default().trim();
    let password = field(&fields, "password").unwrap_or_default();
    if email.is_empty() || password.is_empty() {
        return page(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            email,
            Some("Enter your work email address and your password."),
        );
    }
    let addr = sign_in_limits::client_addr(req, &state.settings.http.trusted_proxies);
    let staff = match authenticate(&state, email, password, addr.as_deref()).await {
        Err(e) => return internal(e),
        Ok(Err(p)) => {
            let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::UNAUTHORIZED);
            let text = match (&p.detail, status) {
                (_, StatusCode::UNAUTHORIZED) => "The email address or password is wrong.".into(),
                (Some(d), _) => format!("{}: {d}", p.title),
                (None, _) => p.title.clone(),
            };
            return page(&state, status, email, Some(&text));
        }
        Ok(Ok(s)) => s,
    };
    let cookie = match session::start(&state, &staff, addr.as_deref(), chrono::Utc::now()).await {
        Ok(c) => c,
        Err(e) => return internal(e),
    };
    let mut resp = see_other("/console/campaigns");
    for c in [cookie, session::set_cookie(&state, PRE_COOKIE, "", 0)] {
        if let Ok(v) = c.parse() {
            resp.headers_mut().append("set-cookie", v);
        }
    }
    resp
}

/// Sign out: the session is revoked (not just the cookie cleared).
#[handler]
pub async fn sign_out(req: &Request, state: Data<&AppState>, body: Body) -> Response {
    let Ok(fields) = form_fields(body).await else {
        return session::csrf_refused(None);
    };
    let who = match session::signed_in(&state, req).await {
        Err(e) => return internal(e),
        Ok(None) => return see_other("/console/sign-in"),
        Ok(Some((who, staff))) => (who, staff),
    };
    if !session::csrf_ok(req, &who.0, &fields) {
        return session::csrf_refused(Some(&who.0));
    }
    let now = chrono::Utc::now();
    if let Err(e) = rentdesk_store::auth::revoke_family(&state.db, &who.0.family, now).await {
        return internal(e);
    }
    let addr = sign_in_limits::client_addr(req, &state.settings.http.trusted_proxies);
    if let Err(e) = audit::record(
        &state.db,
        audit::Entry {
            actor: Actor::Staff(who.1.id),
            action: "staff.sign_out",
            subject_kind: "staff",
            subject_id: Some(who.1.id.to_string()),
            detail: Some("console".into()),
            client_addr: addr.as_deref(),
        },
    )
    .await
    {
        return internal(e);
    }
    let mut resp = see_other("/console/sign-in");
    if let Ok(v) = session::set_cookie(&state, session::SESSION_COOKIE, "", 0).parse() {
        resp.headers_mut().append("set-cookie", v);
    }
    resp
}
