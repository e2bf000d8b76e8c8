//! `/tenant/v1`: the tenant app. Every endpoint except sign-in takes the tenant from the
//! verified access token; no path or query names a tenancy, so one tenant cannot address
//! another's account.

pub mod account;
pub mod plans;
pub mod profile;
pub mod signin;

pub use super::common::{Answer, client_addr, invalid_fields};

use crate::auth::{Keys, TENANT_AUDIENCE};
use crate::problem::Problem;
use crate::state::AppState;
use poem::Request;
use poem::http::StatusCode;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;
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

async fn check_tenant(req: &Request, bearer: Bearer) -> poem::Result<TenantPrincipal> {
    let refused = || poem::Error::from(poem_openapi::error::AuthorizationError);
    let state = req
        .data::<AppState>()
        .ok_or_else(|| poem::Error::from(Problem::internal(&"no app state")))?;
    let claims = Keys::new(state.settings.auth.token_signing_key.expose())
        .verify(&bearer.token, TENANT_AUDIENCE)
        .ok_or_else(refused)?;
    let tenant_id = claims.subject_id("tenant").ok_or_else(refused)?;
    let tenancy_id = claims.tenancy.ok_or_else(refused)?;
    let active = rentdesk_store::auth::family_active(
        &state.db,
        "tenant",
        tenant_id,
        &claims.sid,
        chrono::Utc::now(),
    )
    .await
    // A database that does not answer is our failure (5xx, try again), never a 401 that
    // would tell the app its session is over and sign the person out.
    .map_err(|e| poem::Error::from(Problem::internal(&e)))?;
    active
        .then_some(TenantPrincipal {
            tenant_id,
            tenancy_id,
            family: claims.sid,
        })
        .ok_or_else(refused)
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
