//! Who is signed in to the console, and the CSRF token bound to their session.
//!
//! The cookie holds a random token; the sessions table holds only its SHA-256 (prefixed, so the
//! cookie's token is no refresh token for the app's `/token` endpoint), under the subject kind
//! "staff" like the app's sign-ins. Each request reads the row and the member of staff: a
//! signed-out, expired or revoked session, or a deactivated member of staff, is no longer in.

use super::{message, see_other};
use crate::auth::{Keys, random_token, sha256_hex};
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use poem::http::StatusCode;
use poem::{Request, Response};
use rentdesk_store::entities::staff_user;
use rentdesk_store::staff::Role;

pub const SESSION_COOKIE: &str = "rentdesk_console";
/// Before sign-in: a random value the sign-in form's CSRF token is bound to.
pub const PRE_COOKIE: &str = "rentdesk_console_pre";
/// How long a console sign-in lasts (a working day).
pub const SESSION_TTL: Duration = Duration::hours(12);
/// The form field (and, for htmx, the header) carrying the CSRF token.
pub const CSRF_FIELD: &str = "_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The signed-in member of staff as the templates see them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Console {
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub team: Option<String>,
    /// The token every form of theirs carries.
    pub csrf: String,
    /// The session row's family (sign-out revokes it).
    #[serde(skip)]
    pub family: String,
}

/// What the sessions table stores for a console cookie's token.
pub fn token_hash(token: &str) -> String {
    sha256_hex(&format!("console:{token}"))
}

fn keys(state: &AppState) -> Keys {
    Keys::new(state.settings.auth.token_signing_key.expose())
}

/// The CSRF token of a session (HMAC of its family under the server's key).
pub fn csrf_for(state: &AppState, family: &str) -> String {
    keys(state).code_hash("console-csrf", family)
}

/// The CSRF token the sign-in form carries (HMAC of the pre-sign-in cookie).
pub fn sign_in_csrf(state: &AppState, pre: &str) -> String {
    keys(state).code_hash("console-sign-in", pre)
}

/// Whether two tokens are equal, in time that does not depend on where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A cookie's value from the request's `Cookie` header.
pub fn cookie(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get_all(poem::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` value for the console's path: `HttpOnly`, `SameSite=Lax`, `Secure` when the
/// public URL is https; `max_age` 0 clears it.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> String {
    let secure = if state.settings.http.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!("{name}={value}; Path=/console; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
}

/// Start a console session for `staff`: the cookie to set.
pub async fn start(
    state: &AppState,
    staff: &staff_user::Model,
    addr: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String, sea_orm::DbErr> {
    let token = random_token(32);
    let family = random_token(16);
    rentdesk_store::auth::create_session(
        &state.db,
        rentdesk_store::auth::NewSession {
            subject_kind: "staff",
            subject_id: staff.id,
            family: &family,
            token_hash: &token_hash(&token),
            expires_at: now + SESSION_TTL,
            client_addr: addr,
        },
    )
    .await?;
    Ok(set_cookie(
        state,
        SESSION_COOKIE,
        &token,
        SESSION_TTL.num_seconds(),
    ))
}

/// The signed-in member of staff, if the cookie names a live session of an active one.
pub async fn signed_in(
    state: &AppState,
    req: &Request,
) -> Result<Option<(Console, staff_user::Model)>, sea_orm::DbErr> {
    let Some(token) = cookie(req, SESSION_COOKIE) else {
        return Ok(None);
    };
    let now = Utc::now();
    let Some(session) =
        rentdesk_store::auth::live_session(&state.db, "staff", &token_hash(&token), now).await?
    else {
        return Ok(None);
    };
    let Some(staff) = rentdesk_store::staff::by_id(&state.db, session.subject_id).await? else {
        return Ok(None);
    };
    if !staff.active {
        // Deactivated since signing in: the session ends here, not at its expiry.
        rentdesk_store::auth::revoke_family(&state.db, &session.family, now).await?;
        return Ok(None);
    }
    let role = match Role::parse(&staff.role) {
        Some(Role::Admin) => "administrator",
        Some(Role::TeamLeader) => "team leader",
        _ => "officer",
    };
    Ok(Some((
        Console {
            name: staff.name.clone(),
            email: staff.email.clone(),
            role,
            team: staff.team.clone(),
            csrf: csrf_for(state, &session.family),
            family: session.family,
        },
        staff,
    )))
}

/// The signed-in team leader (or administrator), or the page to answer instead: the sign-in
/// page for nobody, a "team leaders only" page for an officer.
pub async fn team_leader(req: &Request) -> Result<(Console, staff_user::Model), Response> {
    let Some(state) = super::state(req) else {
        return Err(super::internal("no application state"));
    };
    match signed_in(state, req).await {
        Err(e) => Err(super::internal(e)),
        Ok(None) => Err(see_other("/console/sign-in")),
        Ok(Some((who, staff))) => match Role::parse(&staff.role) {
            Some(Role::TeamLeader | Role::Admin) => Ok((who, staff)),
            _ => Err(message(
                StatusCode::FORBIDDEN,
                Some(&who),
                "Team leaders only",
                "The console is for team leaders and administrators. Income officers use the \
                 Rentdesk app for their caseload.",
            )),
        },
    }
}

/// A team leader's form POST: who sent it and its fields, once the session's CSRF token is
/// checked; otherwise the page to answer (sign in, team leaders only, refused).
pub async fn team_leader_post(
    req: &Request,
    body: poem::Body,
) -> Result<(Console, staff_user::Model, Vec<(String, String)>), Response> {
    let (who, staff) = team_leader(req).await?;
    match super::form_fields(body).await {
        Ok(fields) if csrf_ok(req, &who, &fields) => Ok((who, staff, fields)),
        _ => Err(csrf_refused(Some(&who))),
    }
}

/// Whether a POST carries this session's CSRF token (form field or htmx header).
pub fn csrf_ok(req: &Request, who: &Console, fields: &[(String, String)]) -> bool {
    let given = super::field(fields, CSRF_FIELD)
        .map(str::to_owned)
        .or_else(|| {
            req.headers()
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        });
    given.is_some_and(|g| same(&g, &who.csrf))
}

/// The answer to a POST without a valid CSRF token.
pub fn csrf_refused(who: Option<&Console>) -> Response {
    message(
        StatusCode::FORBIDDEN,
        who,
        "This form could not be accepted",
        "It did not carry the security token this page gave it (it may be from an old page or \
         another site). Go back, reload the page and try again.",
    )
}
