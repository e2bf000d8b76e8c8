//! Staff sign-in: email + password (argon2id) → the same access/refresh token pair as the
//! tenant app, for the staff audience.

use super::{StaffAuth, me};
use crate::api::ApiTags;
use crate::api::common::{
    Answer, Refresh, SignedOut, Subject, Tokens, client_addr, issue, rotate_refresh, session_ended,
};
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

/// Wrong passwords allowed per email address per hour.
const ATTEMPTS_PER_EMAIL: u64 = 10;

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
    /// officer | team_leader | admin
    pub role: String,
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
    /// Email and password. Limited per email and per address; every attempt is audited.
    #[oai(path = "/sign-in", method = "post")]
    async fn sign_in(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        body: Json<StaffSignIn>,
    ) -> poem::Result<Answer<Tokens>> {
        let addr = client_addr(remote);
        let now = Utc::now();
        let email = body.email.trim().to_lowercase();
        let key = format!("staff:{email}");
        let (by_email, by_addr) = rentdesk_store::auth::recent_starts(
            &state.db,
            &key,
            addr.as_deref(),
            now - chrono::Duration::hours(1),
        )
        .await
        .map_err(|e| Problem::internal(&e))?;
        if by_email >= ATTEMPTS_PER_EMAIL
            || by_addr >= u64::from(state.settings.sign_in_limit_per_address)
        {
            return Ok(Answer::problem(
                Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too-many-sign-ins",
                    "Too many sign-in attempts",
                )
                .detail("try again in an hour"),
            ));
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
        let password = body.password.clone();
        let ok = tokio::task::spawn_blocking(move || {
            rentdesk_store::staff::verify_password(&password, &stored)
        })
        .await
        .map_err(|e| Problem::internal(&e))?;
        let staff = staff.filter(|s| ok && s.active && s.password_hash.is_some());
        if staff.is_none() {
            rentdesk_store::auth::record_start(&state.db, &key, addr.as_deref(), now)
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
                client_addr: addr.as_deref(),
            },
        )
        .await
        .map_err(|e| Problem::internal(&e))?;
        let Some(staff) = staff else {
            return Ok(Answer::problem(refused()));
        };
        let keys = Keys::new(state.settings.token_signing_key.expose());
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
    ) -> poem::Result<Answer<Tokens>> {
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
        let keys = Keys::new(state.settings.token_signing_key.expose());
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
    ) -> poem::Result<Answer<SignedOut>> {
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
    async fn me(&self, state: Data<&AppState>, auth: StaffAuth) -> poem::Result<Answer<Me>> {
        let staff = or_answer!(me(&state, &auth.0).await?);
        let patches = rentdesk_store::staff::visible_patch_codes(&state.db, &staff, state.today())
            .await
            .map_err(|e| Problem::internal(&e))?;
        Ok(Answer::Ok(Json(Me {
            id: staff.id,
            name: staff.name,
            email: staff.email,
            role: staff.role,
            team: staff.team,
            patches,
        })))
    }
}

/// An argon2id hash of a random string nobody knows: verified against when the email is
/// unknown or has no password, so the answer takes as long as a real check.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| rentdesk_store::staff::hash_password(&auth::random_token(24)));
