//! Repayment arrangements an officer sets up with a tenant (the same affordability rules as
//! the tenant app), reviews (a tenant's plan outside policy), ends, and monitors instalment by
//! instalment (the same adherence the broken-arrangement rule reads).

use super::{StaffAuth, audit_read, me};
use crate::api::ApiTags;
use crate::api::common::statuses::*;
use crate::api::common::{Answer, client_addr};
use crate::api::tenant::plans::{PlanAnswer, PlanRequestIn, account_of, plan_answer, proposal};
use crate::or_answer;
use crate::problem::Problem;
use crate::state::AppState;
use poem::web::{Data, RemoteAddr};
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use rentdesk_store::entities::{arrangement, staff_user};
use rentdesk_store::plans::By;
use sea_orm::EntityTrait;

#[derive(Debug, Object)]
pub struct Review {
    pub approve: bool,
    #[oai(validator(min_length = 1, max_length = 2000))]
    pub reason: String,
}

#[derive(Debug, Object)]
pub struct EndIn {
    #[oai(validator(min_length = 1, max_length = 2000))]
    pub reason: String,
}

#[derive(Debug, Object)]
pub struct Ended {
    pub id: i64,
    pub status: crate::api::vocab::PlanStatus,
}

async fn visible_arrangement(
    state: &AppState,
    staff: &staff_user::Model,
    id: i64,
) -> poem::Result<Result<arrangement::Model, Problem>> {
    let row = arrangement::Entity::find_by_id(id)
        .one(&state.db)
        .await
        .map_err(|e| Problem::internal(&e))?;
    let not_found = || Problem::not_found(&format!("arrangement {id}"));
    let Some(row) = row else {
        return Ok(Err(not_found()));
    };
    let visible =
        rentdesk_store::staff::visible_tenancy(&state.db, staff, row.tenancy_id, state.today())
            .await
            .map_err(|e| Problem::internal(&e))?;
    Ok(visible.map(|_| row).ok_or_else(not_found))
}

pub struct OfficerArrangementsApi;

#[OpenApi(prefix_path = "/officer/v1", tag = "ApiTags::Officer")]
impl OfficerArrangementsApi {
    /// Set up an arrangement with the tenant
    ///
    /// From the tenant's income and expenditure, with the same policy as the app. The officer
    /// decides: a plan outside policy is active at once, its concerns recorded in the diary.
    /// `accept_agreement` records that the tenant agreed. Replaces any current plan.
    #[oai(path = "/accounts/:id/arrangements", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<PlanRequestIn>,
    ) -> poem::Result<Answer<PlanAnswer, { CREATED | NOT_FOUND | CONFLICT | INVALID }>> {
        let staff = or_answer!(me(&state, &auth.0).await?);
        let today = state.today();
        if rentdesk_store::staff::visible_tenancy(&state.db, &staff, id.0, today)
            .await
            .map_err(|e| Problem::internal(&e))?
            .is_none()
        {
            return Ok(Answer::problem(Problem::not_found(&format!(
                "account {}",
                id.0
            ))));
        }
        let account = or_answer!(account_of(&state, id.0).await?);
        let proposal = or_answer!(proposal(
            &state.settings,
            &account,
            body.0,
            today,
            "the tenant must agree to the arrangement"
        ));
        let plan = rentdesk_store::plans::propose(
            &state.db,
            By::Officer {
                staff_id: staff.id,
                tenancy_id: id.0,
            },
            proposal,
            client_addr(remote).as_deref(),
            state.now(),
        )
        .await
        .map_err(|e| Problem::internal(&e))?;
        Ok(Answer::Created(Json(plan_answer(&plan, &account, today)?)))
    }

    /// An arrangement with its adherence
    ///
    /// Instalments due so far with what was paid against each, on track or behind.
    #[oai(path = "/arrangements/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        id: Path<i64>,
    ) -> poem::Result<Answer<PlanAnswer, { OK | NOT_FOUND }>> {
        let staff = or_answer!(me(&state, &auth.0).await?);
        let plan = or_answer!(visible_arrangement(&state, &staff, id.0).await?);
        // It shows the tenant's income and spending.
        audit_read(
            &state,
            staff.id,
            "arrangement.read",
            plan.tenancy_id,
            client_addr(remote).as_deref(),
        )
        .await?;
        let account = or_answer!(account_of(&state, plan.tenancy_id).await?);
        Ok(Answer::Ok(Json(plan_answer(
            &plan,
            &account,
            state.today(),
        )?)))
    }

    /// Approve or decline a tenant's plan waiting for review
    #[oai(path = "/arrangements/:id/review", method = "post")]
    async fn review(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<Review>,
    ) -> poem::Result<Answer<PlanAnswer, { OK | NOT_FOUND | CONFLICT }>> {
        let staff = or_answer!(me(&state, &auth.0).await?);
        or_answer!(visible_arrangement(&state, &staff, id.0).await?);
        let reviewed = rentdesk_store::plans::review(
            &state.db,
            staff.id,
            id.0,
            body.approve,
            body.reason.trim(),
            client_addr(remote).as_deref(),
            state.now(),
        )
        .await
        .map_err(|e| Problem::internal(&e))?;
        let Some(plan) = reviewed else {
            return Ok(Answer::problem(Problem::new(
                poem::http::StatusCode::CONFLICT,
                "not-pending",
                "This arrangement is not waiting for review",
            )));
        };
        let account = or_answer!(account_of(&state, plan.tenancy_id).await?);
        Ok(Answer::Ok(Json(plan_answer(
            &plan,
            &account,
            state.today(),
        )?)))
    }

    /// End an arrangement
    ///
    /// Recorded with the reason; the arrears process resumes.
    #[oai(path = "/arrangements/:id/end", method = "post")]
    async fn end(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<EndIn>,
    ) -> poem::Result<Answer<Ended, { OK | NOT_FOUND | CONFLICT }>> {
        let staff = or_answer!(me(&state, &auth.0).await?);
        or_answer!(visible_arrangement(&state, &staff, id.0).await?);
        match rentdesk_store::plans::end_by_officer(
            &state.db,
            staff.id,
            id.0,
            body.reason.trim(),
            client_addr(remote).as_deref(),
            state.now(),
        )
        .await
        .map_err(|e| Problem::internal(&e))?
        {
            Some(_) => Ok(Answer::Ok(Json(Ended {
                id: id.0,
                status: crate::api::vocab::PlanStatus::Cancelled,
            }))),
            None => Ok(Answer::problem(Problem::new(
                poem::http::StatusCode::CONFLICT,
                "not-current",
                "This arrangement has already ended",
            ))),
        }
    }
}
