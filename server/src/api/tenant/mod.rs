//! `/tenant/v1`: the tenant app. Every endpoint except sign-in takes the tenant from the
//! verified access token; no path or query names a tenancy, so one tenant cannot address
//! another's account.

pub mod account;
pub mod plans;
pub mod profile;
pub mod signin;

use crate::auth::{Keys, TENANT_AUDIENCE};
use crate::problem::Problem;
use crate::state::AppState;
use poem::Request;
use poem::http::StatusCode;
use poem_openapi::auth::Bearer;
use poem_openapi::payload::Json;
use poem_openapi::types::{ParseFromJSON, ToJSON};
use poem_openapi::{ApiResponse, SecurityScheme};
use rentdesk_store::entities::{tenancy, tenant};

/// Who is calling: from a valid access token whose sign-in has not been revoked.
#[derive(Debug, Clone)]
pub struct TenantPrincipal {
    pub tenant_id: i64,
    pub tenancy_id: i64,
    /// The sign-in family (signing out revokes it).
    pub family: String,
}

/// A tenant access token from `POST /tenant/v1/sign-in/verify`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "JWT", checker = "check_tenant")]
pub struct TenantAuth(pub TenantPrincipal);

async fn check_tenant(req: &Request, bearer: Bearer) -> Option<TenantPrincipal> {
    let state = req.data::<AppState>()?;
    let claims = Keys::new(state.settings.token_signing_key.expose())
        .verify(&bearer.token, TENANT_AUDIENCE)?;
    let tenant_id = claims.subject_id("tenant")?;
    let tenancy_id = claims.tenancy?;
    let active = rentdesk_store::auth::family_active(
        &state.db,
        "tenant",
        tenant_id,
        &claims.sid,
        chrono::Utc::now(),
    )
    .await
    .ok()?;
    active.then_some(TenantPrincipal {
        tenant_id,
        tenancy_id,
        family: claims.sid,
    })
}

/// Every tenant endpoint's answer: the success body, or a problem+json.
#[derive(ApiResponse)]
pub enum Answer<T: ParseFromJSON + ToJSON + Send + Sync> {
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

impl<T: ParseFromJSON + ToJSON + Send + Sync> Answer<T> {
    /// The problem as the answer variant of its status.
    pub fn problem(p: Problem) -> Answer<T> {
        match p.status_code() {
            StatusCode::UNAUTHORIZED => Answer::Unauthorized(Json(p)),
            StatusCode::NOT_FOUND => Answer::NotFound(Json(p)),
            StatusCode::CONFLICT => Answer::Conflict(Json(p)),
            StatusCode::TOO_MANY_REQUESTS => Answer::TooMany(Json(p)),
            _ => Answer::Invalid(Json(p)),
        }
    }
}

impl<T: ParseFromJSON + ToJSON + Send + Sync> From<Problem> for Answer<T> {
    fn from(p: Problem) -> Answer<T> {
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

/// The caller's own person and tenancy rows. A token for a person since removed is refused.
pub async fn me(
    state: &AppState,
    p: &TenantPrincipal,
) -> poem::Result<Result<(tenant::Model, tenancy::Model), Problem>> {
    let found = rentdesk_store::tenant_app::tenant_and_tenancy(&state.db, p.tenant_id)
        .await
        .map_err(|e| Problem::internal(&e))?;
    Ok(match found {
        Some((person, t)) if t.id == p.tenancy_id => Ok((person, t)),
        _ => Err(Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Sign in again",
        )),
    })
}

/// Unwrap a `Result<_, Problem>` into the handler's early return.
#[macro_export]
macro_rules! or_answer {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(p) => return Ok($crate::api::tenant::Answer::problem(p)),
        }
    };
}
