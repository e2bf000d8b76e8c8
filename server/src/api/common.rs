//! What every audience's endpoints share: the answer type (success or problem+json), field
//! errors, the client address.

use crate::auth::{self, Keys};
use crate::problem::Problem;
use crate::state::AppState;
use chrono::Utc;
use poem::http::StatusCode;
use poem_openapi::ApiResponse;
use poem_openapi::Object;
use poem_openapi::payload::Json;
use poem_openapi::registry::{MetaResponses, Registry};
use poem_openapi::types::{ParseFromJSON, ToJSON};

/// The statuses an operation declares, as bits of the `S` in [`Answer<T, S>`]: a handler says
/// `-> poem::Result<Answer<Me, { OK }>>` or `Answer<PlanAnswer, { CREATED | CONFLICT | INVALID }>`,
/// and the document lists exactly those (plus the refusals every operation can give before its
/// handler runs, [`crate::spec`]). A status the handler answers but did not declare is caught by
/// [`crate::contract::Contract::undeclared`] (a 500 in debug builds, so tests and the fuzzer fail).
pub mod statuses {
    pub const OK: u16 = 1;
    pub const CREATED: u16 = 1 << 1;
    pub const ACCEPTED: u16 = 1 << 2;
    pub const UNAUTHORIZED: u16 = 1 << 3;
    pub const FORBIDDEN: u16 = 1 << 4;
    pub const NOT_FOUND: u16 = 1 << 5;
    pub const CONFLICT: u16 = 1 << 6;
    pub const INVALID: u16 = 1 << 7;
    pub const TOO_MANY: u16 = 1 << 8;
    /// Every status an [`Answer`](super::Answer) has a variant for.
    pub const ALL: u16 = (1 << 9) - 1;

    /// The bit of an HTTP status, 0 for one no [`Answer`](super::Answer) variant has.
    pub const fn bit(status: u16) -> u16 {
        match status {
            200 => OK,
            201 => CREATED,
            202 => ACCEPTED,
            401 => UNAUTHORIZED,
            403 => FORBIDDEN,
            404 => NOT_FOUND,
            409 => CONFLICT,
            422 => INVALID,
            429 => TOO_MANY,
            _ => 0,
        }
    }
}

/// Every app endpoint's answer: the success body, or a problem+json. `S` is the set of
/// statuses the operation declares ([`statuses`]); the document lists only those.
pub enum Answer<T: ParseFromJSON + ToJSON + Send + Sync, const S: u16 = { statuses::ALL }> {
    Ok(Json<T>),
    Created(Json<T>),
    Accepted(Json<T>),
    Unauthorized(Json<Problem>),
    Forbidden(Json<Problem>),
    NotFound(Json<Problem>),
    Conflict(Json<Problem>),
    Invalid(Json<Problem>),
    TooMany(Json<Problem>),
}

/// What every status of an [`Answer`] means and carries, as poem-openapi documents it; an
/// `Answer<T, S>` documents the part of it that `S` names.
#[derive(ApiResponse)]
enum Every<T: ParseFromJSON + ToJSON + Send + Sync> {
    #[oai(status = 200)]
    Ok(Json<T>),
    /// Created.
    #[oai(status = 201)]
    Created(Json<T>),
    /// Accepted: something will happen (e.g. a code is on its way if the details matched).
    #[oai(status = 202)]
    Accepted(Json<T>),
    /// Missing, invalid, expired or revoked credentials.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>),
    /// Signed in, but this role may not do that.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// The request conflicts with the account's state (e.g. nothing to repay).
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// Invalid fields, each named with the reason.
    #[oai(status = 422, content_type = "application/problem+json")]
    Invalid(Json<Problem>),
    /// Too many attempts; try again later.
    #[oai(status = 429, content_type = "application/problem+json")]
    TooMany(Json<Problem>),
}

impl<T: ParseFromJSON + ToJSON + Send + Sync, const S: u16> ApiResponse for Answer<T, S> {
    fn meta() -> MetaResponses {
        let mut meta = Every::<T>::meta();
        meta.responses
            .retain(|r| r.status.is_some_and(|s| statuses::bit(s) & S != 0));
        meta
    }

    fn register(registry: &mut Registry) {
        Every::<T>::register(registry);
    }
}

impl<T: ParseFromJSON + ToJSON + Send + Sync, const S: u16> poem::IntoResponse for Answer<T, S> {
    fn into_response(self) -> poem::Response {
        match self {
            Answer::Ok(b) => Every::Ok(b),
            Answer::Created(b) => Every::Created(b),
            Answer::Accepted(b) => Every::Accepted(b),
            Answer::Unauthorized(p) => Every::Unauthorized(p),
            Answer::Forbidden(p) => Every::Forbidden(p),
            Answer::NotFound(p) => Every::NotFound(p),
            Answer::Conflict(p) => Every::Conflict(p),
            Answer::Invalid(p) => Every::Invalid(p),
            Answer::TooMany(p) => Every::TooMany(p),
        }
        .into_response()
    }
}

impl<T: ParseFromJSON + ToJSON + Send + Sync, const S: u16> Answer<T, S> {
    /// The problem as the answer variant of its status.
    pub fn problem(p: Problem) -> Answer<T, S> {
        match p.status_code() {
            StatusCode::UNAUTHORIZED => Answer::Unauthorized(Json(p)),
            StatusCode::FORBIDDEN => Answer::Forbidden(Json(p)),
            StatusCode::NOT_FOUND => Answer::NotFound(Json(p)),
            StatusCode::CONFLICT => Answer::Conflict(Json(p)),
            StatusCode::TOO_MANY_REQUESTS => Answer::TooMany(Json(p)),
            _ => Answer::Invalid(Json(p)),
        }
    }

    /// The same answer for an operation that declares the statuses `E`.
    pub fn exact<const E: u16>(self) -> Answer<T, E> {
        match self {
            Answer::Ok(b) => Answer::Ok(b),
            Answer::Created(b) => Answer::Created(b),
            Answer::Accepted(b) => Answer::Accepted(b),
            Answer::Unauthorized(p) => Answer::Unauthorized(p),
            Answer::Forbidden(p) => Answer::Forbidden(p),
            Answer::NotFound(p) => Answer::NotFound(p),
            Answer::Conflict(p) => Answer::Conflict(p),
            Answer::Invalid(p) => Answer::Invalid(p),
            Answer::TooMany(p) => Answer::TooMany(p),
        }
    }
}

impl<T: ParseFromJSON + ToJSON + Send + Sync, const S: u16> From<Problem> for Answer<T, S> {
    fn from(p: Problem) -> Answer<T, S> {
        Answer::problem(p)
    }
}

/// Field errors → one 422 problem naming every field.
pub fn invalid_fields(errors: impl IntoIterator<Item = (String, String)>) -> Option<Problem> {
    let mut problem: Option<Problem> = None;
    for (field, reason) in errors {
        problem = Some(match problem {
            None => Problem::invalid(field, reason),
            Some(p) => p.field(field, reason),
        });
    }
    problem
}

/// The client's IP address, for rate limits and the audit log.
pub fn client_addr(remote: &poem::web::RemoteAddr) -> Option<String> {
    remote.as_socket_addr().map(|a| a.ip().to_string())
}

/// Unwrap a `Result<_, Problem>` into the handler's early return.
#[macro_export]
macro_rules! or_answer {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(p) => return Ok($crate::api::common::Answer::problem(p)),
        }
    };
}

#[derive(Debug, Object)]
pub struct Refresh {
    #[oai(validator(min_length = 1, max_length = 128))]
    pub refresh_token: String,
}

#[derive(Debug, Object)]
pub struct Tokens {
    pub access_token: String,
    pub token_type: crate::api::vocab::TokenType,
    pub expires_in_seconds: i64,
    /// Use once for a new pair; a replayed one signs that session out everywhere.
    pub refresh_token: String,
    pub refresh_expires_in_seconds: i64,
}

#[derive(Debug, Object)]
pub struct SignedOut {
    pub signed_out: bool,
}

/// Whose tokens: a tenant (signed in to one tenancy) or a member of staff.
pub enum Subject {
    Tenant { tenant_id: i64, tenancy_id: i64 },
    Staff { staff_id: i64 },
}

pub fn session_ended() -> Problem {
    Problem::new(
        StatusCode::UNAUTHORIZED,
        "session-ended",
        "This sign-in has ended",
    )
    .detail("sign in again")
}

/// Use a refresh token of `kind` once: the rotated session, or the problem to answer with.
/// A replayed token revokes its whole sign-in and is audited.
pub async fn rotate_refresh(
    state: &AppState,
    addr: Option<&str>,
    refresh_token: &str,
    kind: &str,
) -> poem::Result<Result<rentdesk_store::entities::session::Model, Problem>> {
    use rentdesk_store::audit::{self, Actor};
    use rentdesk_store::auth::Rotation;
    let rotation = rentdesk_store::auth::rotate(
        &state.db,
        kind,
        &auth::sha256_hex(refresh_token),
        Utc::now(),
    )
    .await
    .map_err(|e| Problem::internal(&e))?;
    match rotation {
        Rotation::Rotated(s) => Ok(Ok(s)),
        Rotation::Replayed { family, subject_id } => {
            audit::record(
                &state.db,
                audit::Entry {
                    actor: if kind == "staff" {
                        Actor::Staff(subject_id)
                    } else {
                        Actor::Tenant(subject_id)
                    },
                    action: "sign_in.refresh_replayed",
                    subject_kind: "session",
                    subject_id: Some(family),
                    detail: Some("family revoked".into()),
                    client_addr: addr,
                },
            )
            .await
            .map_err(|e| Problem::internal(&e))?;
            Ok(Err(session_ended()))
        }
        Rotation::Refused => Ok(Err(session_ended())),
    }
}

/// A new refresh session in `family` and an access token for `subject`.
pub async fn issue(
    state: &AppState,
    keys: &Keys,
    subject: Subject,
    family: &str,
    addr: Option<&str>,
) -> poem::Result<Tokens> {
    let now = Utc::now();
    let refresh = auth::random_token(32);
    let (kind, id, tenancy, audience) = match subject {
        Subject::Tenant {
            tenant_id,
            tenancy_id,
        } => ("tenant", tenant_id, Some(tenancy_id), auth::TENANT_AUDIENCE),
        Subject::Staff { staff_id } => {
            ("staff", staff_id, None, crate::api::officer::STAFF_AUDIENCE)
        }
    };
    rentdesk_store::auth::create_session(
        &state.db,
        rentdesk_store::auth::NewSession {
            subject_kind: kind,
            subject_id: id,
            family,
            token_hash: &auth::sha256_hex(&refresh),
            expires_at: now + auth::REFRESH_TTL,
            client_addr: addr,
        },
    )
    .await
    .map_err(|e| Problem::internal(&e))?;
    Ok(Tokens {
        access_token: keys.access_token(kind, id, tenancy, family, audience, now),
        token_type: crate::api::vocab::TokenType::Bearer,
        expires_in_seconds: auth::ACCESS_TTL.num_seconds(),
        refresh_token: refresh,
        refresh_expires_in_seconds: auth::REFRESH_TTL.num_seconds(),
    })
}

/// End a sign-in: its family revoked (access and refresh tokens stop at once) and audited.
pub async fn sign_out<const S: u16>(
    state: &AppState,
    family: &str,
    actor: rentdesk_store::audit::Actor,
    action: &str,
    subject_kind: &str,
    subject_id: i64,
    addr: Option<&str>,
) -> poem::Result<Answer<SignedOut, S>> {
    use rentdesk_store::audit;
    rentdesk_store::auth::revoke_family(&state.db, family, Utc::now())
        .await
        .map_err(|e| Problem::internal(&e))?;
    audit::record(
        &state.db,
        audit::Entry {
            actor,
            action,
            subject_kind,
            subject_id: Some(subject_id.to_string()),
            detail: None,
            client_addr: addr,
        },
    )
    .await
    .map_err(|e| Problem::internal(&e))?;
    Ok(Answer::Ok(Json(SignedOut { signed_out: true })))
}

#[cfg(test)]
mod tests {
    use super::statuses::*;
    use super::*;

    #[test]
    fn an_answer_documents_exactly_its_statuses() {
        let statuses = |meta: MetaResponses| -> Vec<u16> {
            meta.responses.iter().filter_map(|r| r.status).collect()
        };
        assert_eq!(
            statuses(Answer::<SignedOut, { OK }>::meta()),
            vec![200],
            "a read that cannot fail in its handler"
        );
        assert_eq!(
            statuses(Answer::<SignedOut, { CREATED | NOT_FOUND | CONFLICT }>::meta()),
            vec![201, 404, 409]
        );
        assert_eq!(
            statuses(Answer::<SignedOut>::meta()),
            vec![200, 201, 202, 401, 403, 404, 409, 422, 429],
            "an unconverted answer still lists all nine"
        );
    }
}
