//! Sign-in without passwords: tenancy reference + date of birth (+ postcode) → a six-digit
//! code by SMS → an access token and a rotating refresh token.

use super::super::common::{
    Refresh, SignedOut, Subject, Tokens, issue, rotate_refresh, session_ended,
};
use super::{Answer, TenantAuth, client_addr};
use crate::api::ApiTags;
use crate::api::common::statuses::*;
use crate::api::sign_in_limits;
use crate::auth::{self, Keys};
use crate::or_answer;
use crate::problem::Problem;
use crate::state::AppState;
use chrono::{NaiveDate, Utc};
use poem::http::StatusCode;
use poem::web::{Data, RemoteAddr};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use rentdesk_store::audit::{self, Actor};
use sea_orm::{ActiveModelTrait, Set};

#[derive(Debug, Object)]
#[oai(example)]
pub struct SignInStart {
    /// The tenancy reference on the tenant's rent card or letters, e.g. `T000042`.
    #[oai(validator(min_length = 1, max_length = 32))]
    pub reference: String,
    pub date_of_birth: NaiveDate,
    /// Optional extra check: the home's postcode.
    #[oai(validator(max_length = 10))]
    pub postcode: Option<String>,
}

impl poem_openapi::types::Example for SignInStart {
    fn example() -> SignInStart {
        SignInStart {
            reference: "T000042".into(),
            date_of_birth: NaiveDate::from_ymd_opt(1984, 3, 9).unwrap_or_default(),
            postcode: Some("HD1 2AB".into()),
        }
    }
}

#[derive(Debug, Object)]
pub struct SignInChallenge {
    /// Send this back with the code.
    pub challenge: String,
    pub expires_in_seconds: i64,
    pub message: String,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct SignInVerify {
    #[oai(validator(min_length = 1, max_length = 64))]
    pub challenge: String,
    /// The six-digit code from the text message.
    #[oai(validator(pattern = r"^[0-9]{6}$"))]
    pub code: String,
}

impl poem_openapi::types::Example for SignInVerify {
    fn example() -> SignInVerify {
        SignInVerify {
            challenge: "3q2-7wEjQ0WvG6mYtKkQ_g".into(),
            code: "482913".into(),
        }
    }
}

fn refused() -> Problem {
    Problem::new(
        StatusCode::UNAUTHORIZED,
        "sign-in-failed",
        "The code is wrong or has expired",
    )
    .detail("ask for a new code if this one has expired or was tried too many times")
}

pub struct TenantSignInApi;

#[OpenApi(prefix_path = "/tenant/v1", tag = "ApiTags::Tenant")]
impl TenantSignInApi {
    /// Ask for a sign-in code
    ///
    /// If the reference and date of birth (and postcode, when given) match a tenant with a
    /// mobile number, a six-digit code is sent to it by SMS, valid for 10 minutes. The answer
    /// is the same whether or not they matched. Limited per reference and address (a few
    /// tries, then waits that double) and per address, so tries from elsewhere never use up
    /// the tenant's own.
    #[oai(path = "/sign-in", method = "post")]
    async fn start(
        &self,
        state: Data<&AppState>,
        req: &poem::Request,
        body: Json<SignInStart>,
    ) -> poem::Result<Answer<SignInChallenge, { ACCEPTED | TOO_MANY }>> {
        let addr = sign_in_limits::client_addr(req, &state.settings.http.trusted_proxies);
        let now = Utc::now();
        let reference = rentdesk_store::auth::normalise_reference(&body.reference);
        if let Some(refused) = sign_in_limits::refuse(
            &state,
            &reference,
            addr.as_deref(),
            state.settings.auth.sign_in_limit_per_reference,
            now,
            (
                "sign_in.rate_limited",
                "tenancy_reference",
                reference.clone(),
            ),
        )
        .await
        .map_err(|e| Problem::internal(&e))?
        {
            return Ok(Answer::problem(refused));
        }
        let keys = Keys::new(state.settings.auth.token_signing_key.expose());
        let challenge = auth::random_token(16);
        let txn = rentdesk_store::db::begin_write(&state.db)
            .await
            .map_err(|e| Problem::internal(&e))?;
        rentdesk_store::auth::record_start(&txn, &reference, addr.as_deref(), now)
            .await
            .map_err(|e| Problem::internal(&e))?;
        let candidate = rentdesk_store::auth::sign_in_candidate(
            &txn,
            &reference,
            body.date_of_birth,
            body.postcode.as_deref(),
        )
        .await
        .map_err(|e| Problem::internal(&e))?;
        let matched = candidate.is_some();
        if let Some((t, person)) = candidate {
            let code = auth::six_digit_code();
            rentdesk_store::auth::store_code(
                &txn,
                person.id,
                &challenge,
                &keys.code_hash(&challenge, &code),
                now + auth::CODE_TTL,
                addr.as_deref(),
            )
            .await
            .map_err(|e| Problem::internal(&e))?;
            // A code the tenant asked for is not a debt contact: no quiet hours, no weekly cap.
            rentdesk_store::entities::message::ActiveModel {
                idempotency_key: Set(format!("sign_in:{challenge}")),
                tenancy_id: Set(t.id),
                tenant_id: Set(Some(person.id)),
                channel: Set("sms".into()),
                template: Set(SIGN_IN_TEMPLATE.into()),
                rule_id: Set(None),
                campaign_id: Set(None),
                body: Set(format!(
                    "Your Rentdesk sign-in code is {code}. It expires in 10 minutes. Never share it."
                )),
                status: Set("queued".into()),
                scheduled_for: Set(Some(now)),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await
            .map_err(|e| Problem::internal(&e))?;
        }
        audit::record(
            &txn,
            audit::Entry {
                actor: Actor::Anonymous,
                action: if matched {
                    "sign_in.code_sent"
                } else {
                    "sign_in.no_match"
                },
                subject_kind: "tenancy_reference",
                subject_id: Some(reference),
                detail: None,
                client_addr: addr.as_deref(),
            },
        )
        .await
        .map_err(|e| Problem::internal(&e))?;
        txn.commit().await.map_err(|e| Problem::internal(&e))?;
        Ok(Answer::Accepted(Json(SignInChallenge {
            challenge,
            expires_in_seconds: auth::CODE_TTL.num_seconds(),
            message: "If those details match our records, we have sent a code by text message \
                      to the mobile number we hold."
                .into(),
        })))
    }

    /// Exchange the code for tokens
    ///
    /// Five tries per code; codes expire after 10 minutes and work once.
    #[oai(path = "/sign-in/verify", method = "post")]
    async fn verify(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        body: Json<SignInVerify>,
    ) -> poem::Result<Answer<Tokens, { OK | UNAUTHORIZED }>> {
        let addr = client_addr(remote);
        let now = Utc::now();
        let keys = Keys::new(state.settings.auth.token_signing_key.expose());
        let attempt = rentdesk_store::auth::attempt_code(&state.db, &body.challenge, now)
            .await
            .map_err(|e| Problem::internal(&e))?;
        let ok = match &attempt {
            Some(row) => {
                crate::api::manage::constant_time_eq(
                    keys.code_hash(&body.challenge, &body.code).as_bytes(),
                    row.code_hash.as_bytes(),
                ) && rentdesk_store::auth::consume_code(&state.db, row.id, now)
                    .await
                    .map_err(|e| Problem::internal(&e))?
            }
            None => false,
        };
        let tenant_id = attempt.as_ref().map(|a| a.tenant_id);
        audit::record(
            &state.db,
            audit::Entry {
                actor: tenant_id.map_or(Actor::Anonymous, Actor::Tenant),
                action: if ok {
                    "sign_in.succeeded"
                } else {
                    "sign_in.failed"
                },
                subject_kind: "tenant",
                subject_id: tenant_id.map(|t| t.to_string()),
                detail: None,
                client_addr: addr.as_deref(),
            },
        )
        .await
        .map_err(|e| Problem::internal(&e))?;
        let (true, Some(tenant_id)) = (ok, tenant_id) else {
            return Ok(Answer::problem(refused()));
        };
        redact_code_message(&state, &body.challenge).await?;
        let tenancy_id = or_answer!(
            rentdesk_store::tenant_app::tenant_and_tenancy(&state.db, tenant_id)
                .await
                .map_err(|e| Problem::internal(&e))?
                .map(|(_, t)| t.id)
                .ok_or_else(refused)
        );
        let family = auth::random_token(16);
        let tokens = issue(
            &state,
            &keys,
            Subject::Tenant {
                tenant_id,
                tenancy_id,
            },
            &family,
            addr.as_deref(),
        )
        .await?;
        Ok(Answer::Ok(Json(tokens)))
    }

    /// Swap a refresh token for a new pair
    ///
    /// Each refresh token works once. Using one twice signs that session out everywhere.
    #[oai(path = "/token", method = "post")]
    async fn refresh(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        body: Json<Refresh>,
    ) -> poem::Result<Answer<Tokens, { OK | UNAUTHORIZED }>> {
        let addr = client_addr(remote);
        let keys = Keys::new(state.settings.auth.token_signing_key.expose());
        let session = or_answer!(
            rotate_refresh(&state, addr.as_deref(), &body.refresh_token, "tenant").await?
        );
        let Some((_, t)) =
            rentdesk_store::tenant_app::tenant_and_tenancy(&state.db, session.subject_id)
                .await
                .map_err(|e| Problem::internal(&e))?
        else {
            return Ok(Answer::problem(session_ended()));
        };
        let tokens = issue(
            &state,
            &keys,
            Subject::Tenant {
                tenant_id: session.subject_id,
                tenancy_id: t.id,
            },
            &session.family,
            addr.as_deref(),
        )
        .await?;
        Ok(Answer::Ok(Json(tokens)))
    }

    /// Sign out
    ///
    /// Revokes this sign-in: its access and refresh tokens stop working at once.
    #[oai(path = "/sign-out", method = "post")]
    async fn sign_out(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: TenantAuth,
    ) -> poem::Result<Answer<SignedOut, { OK }>> {
        let p = auth.0;
        super::super::common::sign_out(
            &state,
            &p.family,
            Actor::Tenant(p.tenant_id),
            "sign_out",
            "tenant",
            p.tenant_id,
            client_addr(remote).as_deref(),
        )
        .await
    }
}

pub const SIGN_IN_TEMPLATE: &str = rentdesk_domain::contact_policy::SIGN_IN_CODE_TEMPLATE;

/// A used code has no business staying readable in the message log.
async fn redact_code_message(state: &AppState, challenge: &str) -> poem::Result<()> {
    use rentdesk_store::entities::message;
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    message::Entity::update_many()
        .col_expr(
            message::Column::Body,
            Expr::value("Your Rentdesk sign-in code (used)."),
        )
        .filter(message::Column::IdempotencyKey.eq(format!("sign_in:{challenge}")))
        .filter(message::Column::Status.is_in(["sent", "delivered", "failed"]))
        .exec(&state.db)
        .await
        .map_err(|e| Problem::internal(&e))?;
    Ok(())
}
