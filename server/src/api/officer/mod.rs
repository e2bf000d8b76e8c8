//! `/officer/v1`: the income officer's app (and team leaders on a tablet). Every request is a
//! member of staff with a valid access token; every read of a tenant's record and every write
//! goes to the audit log; accounts outside the caller's patches (and cover) do not exist for
//! them (404, never 403, so ids can't be probed).

pub mod accounts;
pub mod arrangements;
pub mod caseload;
pub mod history;
pub mod routes;
pub mod signin;
pub mod steps;
pub mod sync;

use crate::auth::Keys;
use crate::problem::Problem;
use crate::state::AppState;
use poem::Request;
use poem::http::StatusCode;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;
use rentdesk_store::entities::staff_user;

pub const STAFF_AUDIENCE: &str = "rentdesk-staff";

#[derive(Debug, Clone)]
pub struct StaffPrincipal {
    pub staff_id: i64,
    pub family: String,
}

/// A staff access token from `POST /officer/v1/sign-in`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "JWT", checker = "check_staff")]
pub struct StaffAuth(pub StaffPrincipal);

async fn check_staff(req: &Request, bearer: Bearer) -> poem::Result<StaffPrincipal> {
    let refused = || poem::Error::from(poem_openapi::error::AuthorizationError);
    let state = req
        .data::<AppState>()
        .ok_or_else(|| poem::Error::from(Problem::internal(&"no app state")))?;
    let claims = Keys::new(state.settings.auth.token_signing_key.expose())
        .verify(&bearer.token, STAFF_AUDIENCE)
        .ok_or_else(refused)?;
    let staff_id = claims.subject_id("staff").ok_or_else(refused)?;
    let active = rentdesk_store::auth::family_active(
        &state.db,
        "staff",
        staff_id,
        &claims.sid,
        chrono::Utc::now(),
    )
    .await
    // A database that does not answer is our failure (5xx, try again), never a 401 that
    // would tell the app its session is over and sign the person out.
    .map_err(|e| poem::Error::from(Problem::internal(&e)))?;
    active
        .then_some(StaffPrincipal {
            staff_id,
            family: claims.sid,
        })
        .ok_or_else(refused)
}

/// The caller's staff row; a deactivated account is refused even with a live token.
pub async fn me(
    state: &AppState,
    p: &StaffPrincipal,
) -> poem::Result<Result<staff_user::Model, Problem>> {
    use sea_orm::EntityTrait;
    let row = staff_user::Entity::find_by_id(p.staff_id)
        .one(&state.db)
        .await
        .map_err(|e| Problem::internal(&e))?;
    Ok(match row {
        Some(s) if s.active => Ok(s),
        _ => Err(Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Sign in again",
        )),
    })
}

/// The caller, if they are a team leader or an administrator (`/manage/v1` endpoints that
/// staff use: campaigns, reports, patches and people, data protection). An officer gets 403;
/// what a team leader may see is still limited by `rentdesk_store::staff::visible_patches`
/// (their team's patches and cover; admins see everything).
pub async fn manager(
    state: &AppState,
    p: &StaffPrincipal,
) -> poem::Result<Result<staff_user::Model, Problem>> {
    Ok(me(state, p)
        .await?
        .and_then(|s| match rentdesk_store::staff::Role::parse(&s.role) {
            Some(rentdesk_store::staff::Role::TeamLeader | rentdesk_store::staff::Role::Admin) => {
                Ok(s)
            }
            _ => Err(Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Only team leaders and administrators may do this",
            )),
        }))
}

/// The caller, if they are an administrator (imports, retention, the outreach configuration,
/// any account by reference). Anyone else signed in gets 403 naming what only admins may do.
pub async fn admin(
    state: &AppState,
    p: &StaffPrincipal,
    what: &str,
) -> poem::Result<Result<staff_user::Model, Problem>> {
    Ok(me(state, p).await?.and_then(|s| {
        if rentdesk_store::staff::Role::parse(&s.role) == Some(rentdesk_store::staff::Role::Admin) {
            Ok(s)
        } else {
            Err(Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                &format!("Only administrators may {what}"),
            ))
        }
    }))
}

/// Audit the read of one tenant's record: who, what, when (the entry's time), from where.
pub(crate) async fn audit_read(
    state: &AppState,
    staff_id: i64,
    what: &str,
    tenancy_id: i64,
    addr: Option<&str>,
) -> poem::Result<()> {
    audit_reads(state, staff_id, what, [tenancy_id], addr).await
}

/// Audit a read that shows several tenants' records (a list, a page): one entry naming them.
/// Nothing is written for an empty answer.
pub(crate) async fn audit_reads(
    state: &AppState,
    staff_id: i64,
    what: &str,
    tenancy_ids: impl IntoIterator<Item = i64>,
    addr: Option<&str>,
) -> poem::Result<()> {
    use rentdesk_store::audit::{self, Actor};
    let ids: Vec<String> = tenancy_ids.into_iter().map(|id| id.to_string()).collect();
    let (subject_id, detail) = match &ids[..] {
        [] => return Ok(()),
        [one] => (Some(one.clone()), None),
        many => (None, Some(format!("tenancies {}", many.join(",")))),
    };
    audit::record(
        &state.db,
        audit::Entry {
            actor: Actor::Staff(staff_id),
            action: what,
            subject_kind: if ids.len() == 1 {
                "tenancy"
            } else {
                "tenancies"
            },
            subject_id,
            detail,
            client_addr: addr,
        },
    )
    .await
    .map_err(|e| Problem::internal(&e))?;
    Ok(())
}
