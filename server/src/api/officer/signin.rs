//! Staff sign-in: email + password (argon2id) → the same access/refresh token pair as the
//! tenant app, for the staff audience.

use super::{StaffAuth, me};
use crate::api::ApiTags;
use crate::api::common::statuses::*;
use crate::api::common::{
    Answer, Refresh, SignedOut, Subject, Tokens, client_addr, issue, rotate_refresh, session_ended,
};
use crate::api::sign_in_limits;
use crate::auth::{self, Keys};
use crate::or_answer;
use crate::problem::Problem;
use crate::state::AppState;
use chrono::Utc;
use poem::http::StatusCode;
use poem::web::{Data, RemoteAddr};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use rentdesk_store::audit::{self, Actor};

/// Wrong passwords allowed per email and client address before each further try must wait
/// (1 minute, then doubling: `rentdesk_domain::sign_in`). Counted per address so that someone
/// guessing elsewhere cannot lock the member of staff out.
const ATTEMPTS_PER_EMAIL: u32 = 10;

#[derive(Debug, Object)]
#[oai(example)]
pub struct StaffSignIn {
    #[oai(validator(min_length = 3, max_length = 254))]
    pub email: String,
    #[oai(validator(min_length = 1, max_length = 1024))]
    pub password: String,
}

impl poem_openapi::types::Example for StaffSignIn {
    fn example() -> StaffSignIn {
        StaffSignIn {
            email: "officer1@rentdesk.example".into(),
            password: "rentdesk-demo".into(),
        }
    }
}

#[derive(Debug, Object)]
pub struct Me {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: crate::api::vocab::StaffRole,
    pub team: Option<String>,
    /// Codes of the patches visible today (own and covered); absent for admins (all).
    pub patches: Option<Vec<String>>,
}

fn refused() -> Problem {
    Problem::new(
        StatusCode::UNAUTHORIZED,
        "sign-in-failed",
        "Email or password is wrong",
    )
}

pub struct OfficerSignInApi;

#[OpenApi(prefix_path = "/officer/v1", tag = "ApiTags::Officer")]
impl OfficerSignInApi {
    /// Staff sign-in
    ///
    /// Email and password. Limited per email and address (ten wrong passwords, then waits that
    /// double) and per address; every attempt is audited, and a lock-out raises an alert.
    #[oai(path = "/sign-in", method = "post")]
    async fn sign_in(
        &self,
        state: Data<&AppState>,
        req: &poem::Request,
        body: Json<StaffSignIn>,
    ) -> poem::Result<Answer<Tokens, { OK | UNAUTHORIZED | TOO_MANY }>> {
        let addr = sign_in_limits::client_addr(req, &state.settings.http.trusted_proxies);
        let staff =
            or_answer!(authenticate(&state, &body.email, &body.password, addr.as_deref()).await?);
        let keys = Keys::new(state.settings.auth.token_signing_key.expose());
        let tokens = issue(
            &state,
            &keys,
            Subject::Staff { staff_id: staff.id },
            &auth::random_token(16),
            addr.as_deref(),
        )
        .await?;
        Ok(Answer::Ok(Json(tokens)))
    }

    /// Swap a staff refresh token for a new pair
    #[oai(path = "/token", method = "post")]
    async fn refresh(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        body: Json<Refresh>,
    ) -> poem::Result<Answer<Tokens, { OK | UNAUTHORIZED }>> {
        let addr = client_addr(remote);
        let session = or_answer!(
            rotate_refresh(&state, addr.as_deref(), &body.refresh_token, "staff").await?
        );
        let active = rentdesk_store::staff::by_id(&state.db, session.subject_id)
            .await
            .map_err(|e| Problem::internal(&e))?
            .is_some_and(|s| s.active);
        if !active {
            return Ok(Answer::problem(session_ended()));
        }
        let keys = Keys::new(state.settings.auth.token_signing_key.expose());
        let tokens = issue(
            &state,
            &keys,
            Subject::Staff {
                staff_id: session.subject_id,
            },
            &session.family,
            addr.as_deref(),
        )
        .await?;
        Ok(Answer::Ok(Json(tokens)))
    }

    /// Sign out
    #[oai(path = "/sign-out", method = "post")]
    async fn sign_out(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
    ) -> poem::Result<Answer<SignedOut, { OK }>> {
        crate::api::common::sign_out(
            &state,
            &auth.0.family,
            Actor::Staff(auth.0.staff_id),
            "staff.sign_out",
            "staff",
            auth.0.staff_id,
            client_addr(remote).as_deref(),
        )
        .await
    }

    /// Who am I
    ///
    /// The signed-in member of staff and the patches they can see today.
    #[oai(path = "/me", method = "get")]
    async fn me(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
    ) -> poem::Result<Answer<Me, { OK }>> {
        let staff = or_answer!(me(&state, &auth.0).await?);
        let patches = rentdesk_store::staff::visible_patch_codes(&state.db, &staff, state.today())
            .await
            .map_err(|e| Problem::internal(&e))?;
        let role = crate::api::vocab::StaffRole::from_stored(&staff.role, "staff_users", staff.id)
            .map_err(|e| Problem::internal(&e))?;
        Ok(Answer::Ok(Json(Me {
            id: staff.id,
            name: staff.name,
            email: staff.email,
            role,
            team: staff.team,
            patches,
        })))
    }
}

/// The one staff password check, for the app's sign-in and the console's: limited per email
/// and address (then waits that double) and per address, hashing even for an unknown email so
/// timing does not tell who works here, every attempt audited. The member of staff, if the
/// password is theirs and they are active; otherwise the problem to answer (401 or 429).
pub(crate) async fn authenticate(
    state: &AppState,
    email: &str,
    password: &str,
    addr: Option<&str>,
) -> poem::Result<Result<rentdesk_store::entities::staff_user::Model, Problem>> {
    let now = Utc::now();
    let email = email.trim().to_lowercase();
    let key = format!("staff:{email}");
    if let Some(refused) = sign_in_limits::refuse(
        state,
        &key,
        addr,
        ATTEMPTS_PER_EMAIL,
        now,
        ("staff.sign_in.rate_limited", "staff", email.clone()),
    )
    .await
    .map_err(|e| Problem::internal(&e))?
    {
        return Ok(Err(refused));
    }
    let staff = rentdesk_store::staff::by_email(&state.db, &email)
        .await
        .map_err(|e| Problem::internal(&e))?;
    // Hash even when there is no such user, so timing does not tell who works here.
    let stored = staff
        .as_ref()
        .filter(|s| s.active)
        .and_then(|s| s.password_hash.clone())
        .unwrap_or_else(|| DUMMY_HASH.clone());
    let password = password.to_owned();
    let ok = tokio::task::spawn_blocking(move || {
        rentdesk_store::staff::verify_password(&password, &stored)
    })
    .await
    .map_err(|e| Problem::internal(&e))?;
    let staff = staff.filter(|s| ok && s.active && s.password_hash.is_some());
    if staff.is_none() {
        wrong_password(state, &key, &email, addr, now).await?;
    } else {
        // Their own mistakes from this address are forgiven once they are in.
        rentdesk_store::auth::forget_tries(&state.db, &key, addr)
            .await
            .map_err(|e| Problem::internal(&e))?;
    }
    audit::record(
        &state.db,
        audit::Entry {
            actor: staff
                .as_ref()
                .map_or(Actor::Anonymous, |s| Actor::Staff(s.id)),
            action: if staff.is_some() {
                "staff.sign_in.succeeded"
            } else {
                "staff.sign_in.failed"
            },
            subject_kind: "staff",
            subject_id: Some(email),
            detail: None,
            client_addr: addr,
        },
    )
    .await
    .map_err(|e| Problem::internal(&e))?;
    let Some(staff) = staff else {
        return Ok(Err(refused()));
    };
    Ok(Ok(staff))
}

/// Count a wrong password for `email` from `addr`; when that uses up the free tries, the
/// email is locked out from this address (only): audited as `staff.sign_in.locked` and logged
/// as a warning for whoever watches the logs, since it may be someone guessing passwords.
async fn wrong_password(
    state: &AppState,
    key: &str,
    email: &str,
    addr: Option<&str>,
    now: chrono::DateTime<Utc>,
) -> poem::Result<()> {
    use rentdesk_domain::sign_in;
    let db = &state.db;
    rentdesk_store::auth::record_start(db, key, addr, now)
        .await
        .map_err(|e| Problem::internal(&e))?;
    let (failures, _) = rentdesk_store::auth::recent_tries(db, key, addr, now - sign_in::WINDOW)
        .await
        .map_err(|e| Problem::internal(&e))?;
    let Some(wait) = sign_in::wait_after(failures, ATTEMPTS_PER_EMAIL) else {
        return Ok(());
    };
    tracing::warn!(
        email,
        client_addr = addr,
        failures,
        wait_seconds = wait.num_seconds(),
        "staff sign-in locked out from one address after wrong passwords"
    );
    audit::record(
        db,
        audit::Entry {
            actor: Actor::Anonymous,
            action: "staff.sign_in.locked",
            subject_kind: "staff",
            subject_id: Some(email.to_owned()),
            detail: Some(
                serde_json::json!({"failures": failures, "wait_seconds": wait.num_seconds()})
                    .to_string(),
            ),
            client_addr: addr,
        },
    )
    .await
    .map_err(|e| Problem::internal(&e))?;
    Ok(())
}

/// An argon2id hash of a random string nobody knows: verified against when the email is
/// unknown or has no password, so the answer takes as long as a real check.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| rentdesk_store::staff::hash_password(&auth::random_token(24)));
