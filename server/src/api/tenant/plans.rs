//! Self-service repayment plans: an affordability quote from an income and expenditure
//! statement (Standard Financial Statement categories), then a plan inside the council's policy
//! (active at once) or outside it (an officer reviews it).

use super::{Answer, TenantAuth, client_addr, invalid_fields, me};
use crate::api::common::statuses::*;
use crate::api::{ApiTags, vocab};
use crate::or_answer;
use crate::problem::Problem;
use crate::state::AppState;
use chrono::NaiveDate;
use poem::http::StatusCode;
use poem::web::{Data, RemoteAddr};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use rentdesk_domain::Pence;
use rentdesk_domain::affordability::{
    self, Decision, Household, PlanRequest, ScheduledPayment, Statement,
};
use rentdesk_domain::benefits::BenefitIncome;
use rentdesk_domain::tenancy::Frequency;
use rentdesk_store::accounts::FullAccount;
use rentdesk_store::plans::{PlanDetails, Proposal};
use std::collections::BTreeMap;
use std::str::FromStr;

/// Household for the SFS spending guidelines.
#[derive(Debug, Clone, Object)]
pub struct HouseholdIn {
    #[oai(validator(minimum(value = "0"), maximum(value = "20")))]
    pub adults: u32,
    #[oai(default, validator(maximum(value = "20")))]
    pub children: u32,
    #[oai(default, validator(maximum(value = "20")))]
    pub non_dependants: u32,
    #[oai(default, validator(maximum(value = "20")))]
    pub vehicles: u32,
}

/// An income and expenditure statement in Standard Financial Statement categories. Every
/// amount is **monthly pence**.
#[derive(Debug, Clone, Object)]
#[oai(example)]
pub struct StatementIn {
    pub household: HouseholdIn,
    /// earnings | benefits | pensions | other
    pub income: BTreeMap<String, i64>,
    /// rent | mortgage | council_tax | service_charges | gas | electricity | water |
    /// other_utilities | care_and_health | transport_and_travel | school |
    /// pensions_and_insurance | professional | other_essential
    #[oai(default)]
    pub fixed_costs: BTreeMap<String, i64>,
    /// communications_and_leisure | food_and_housekeeping | personal_costs
    #[oai(default)]
    pub flexible_costs: BTreeMap<String, i64>,
    #[oai(default)]
    pub savings_contribution: i64,
    #[oai(default)]
    pub priority_debt_payments: i64,
    #[oai(default)]
    pub non_priority_debt_payments: i64,
}

impl poem_openapi::types::Example for StatementIn {
    fn example() -> StatementIn {
        StatementIn::typical()
    }
}

impl StatementIn {
    /// A one-adult, two-child household's month (the documentation's example; the demo's
    /// tenants start from it).
    pub fn typical() -> StatementIn {
        StatementIn {
            household: HouseholdIn {
                adults: 1,
                children: 2,
                non_dependants: 0,
                vehicles: 0,
            },
            income: [("earnings".into(), 98_000), ("benefits".into(), 61_000)].into(),
            fixed_costs: [
                ("rent".into(), 47_000),
                ("council_tax".into(), 9_800),
                ("gas".into(), 6_000),
                ("electricity".into(), 7_000),
                ("water".into(), 3_500),
            ]
            .into(),
            flexible_costs: [
                ("food_and_housekeeping".into(), 55_000),
                ("communications_and_leisure".into(), 8_000),
                ("personal_costs".into(), 6_000),
            ]
            .into(),
            savings_contribution: 0,
            priority_debt_payments: 2_000,
            non_priority_debt_payments: 3_000,
        }
    }
}

impl From<StatementIn> for Statement {
    fn from(s: StatementIn) -> Statement {
        Statement {
            household: Household {
                adults: s.household.adults,
                children: s.household.children,
                non_dependants: s.household.non_dependants,
                vehicles: s.household.vehicles,
            },
            income: s.income,
            fixed_costs: s.fixed_costs,
            flexible_costs: s.flexible_costs,
            savings_contribution: s.savings_contribution,
            priority_debt_payments: s.priority_debt_payments,
            non_priority_debt_payments: s.non_priority_debt_payments,
        }
    }
}

#[derive(Debug, Object)]
pub struct QuoteRequest {
    pub statement: StatementIn,
    pub frequency: vocab::Frequency,
    /// The first payment; default the next Monday. Not in the past, at most 31 days ahead.
    pub first_payment_date: Option<NaiveDate>,
    /// Pay on the Universal Credit payment date (monthly plans, a UC claim on record).
    #[oai(default)]
    pub align_to_universal_credit: bool,
}

#[derive(Debug, Object)]
pub struct PlanRequestIn {
    pub statement: StatementIn,
    pub frequency: vocab::Frequency,
    /// Towards the arrears, per payment (the rent is paid as well).
    pub instalment_pence: i64,
    pub first_payment_date: Option<NaiveDate>,
    #[oai(default)]
    pub align_to_universal_credit: bool,
    /// The tenant has read and accepts the agreement text the quote showed.
    pub accept_agreement: bool,
}

#[derive(Debug, Object)]
pub struct PlanPayment {
    pub due: NaiveDate,
    pub instalment_pence: i64,
    pub rent_pence: i64,
    pub total_pence: i64,
    pub arrears_after_pence: i64,
}

fn payments(s: Vec<ScheduledPayment>) -> Vec<PlanPayment> {
    s.into_iter()
        .map(|p| PlanPayment {
            due: p.due,
            instalment_pence: p.instalment.0,
            rent_pence: p.rent.0,
            total_pence: (p.instalment + p.rent).0,
            arrears_after_pence: p.arrears_after.0,
        })
        .collect()
}

#[derive(Debug, Object)]
pub struct QuoteAnswer {
    pub arrears_pence: i64,
    pub frequency: vocab::Frequency,
    pub first_payment_date: NaiveDate,
    pub monthly_income_pence: i64,
    pub monthly_spending_pence: i64,
    pub disposable_monthly_pence: i64,
    /// The rent paid with each instalment (your share, after benefit paid to us directly).
    pub rent_per_payment_pence: i64,
    /// The least per payment the policy accepts without an officer's review.
    pub min_instalment_pence: i64,
    /// The most per payment the policy asks: what the statement leaves over.
    pub max_instalment_pence: i64,
    /// Below this an offer is refused.
    pub floor_instalment_pence: i64,
    pub suggested_instalment_pence: Option<i64>,
    /// The schedule at the suggested instalment.
    pub schedule: Vec<PlanPayment>,
    pub end_date: Option<NaiveDate>,
    /// What an officer would need to look at, if anything.
    pub concerns: Vec<String>,
    /// The agreement text for the suggested plan.
    pub agreement_text: Option<String>,
}

#[derive(Debug, Object)]
pub struct Instalment {
    pub due: NaiveDate,
    pub amount_pence: i64,
    pub paid_pence: i64,
    pub status: vocab::InstalmentStatus,
}

#[derive(Debug, Object)]
pub struct PlanAnswer {
    pub id: i64,
    pub status: vocab::PlanStatus,
    pub frequency: vocab::Frequency,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    /// Due each payment: rent plus instalment.
    pub amount_pence: i64,
    pub instalment_pence: i64,
    pub rent_per_payment_pence: i64,
    pub arrears_at_start_pence: i64,
    pub progress: vocab::PlanProgress,
    /// Why an officer is reviewing it.
    pub review_reason: Option<String>,
    pub agreement_text: Option<String>,
    /// Instalments due so far, with what was paid against each (oldest first).
    pub instalments: Vec<Instalment>,
    /// The next payments due.
    pub upcoming: Vec<PlanPayment>,
}

#[derive(Debug, Object)]
pub struct CancelRequest {
    #[oai(validator(min_length = 1, max_length = 1000))]
    pub reason: String,
}

#[derive(Debug, Object)]
pub struct Cancelled {
    pub id: i64,
    pub status: vocab::PlanStatus,
    pub message: String,
}

/// Everything a quote or a plan is computed from, validated.
pub(crate) struct Basis {
    pub(crate) statement: Statement,
    pub(crate) frequency: Frequency,
    pub(crate) first_date: NaiveDate,
    pub(crate) arrears: Pence,
    pub(crate) tenant_weekly_rent: Pence,
}

/// `max_amount`: the bound on any one money field (`MAX_ROW_AMOUNT_PENCE`).
pub(crate) fn basis(
    account: &FullAccount,
    statement: StatementIn,
    frequency: Frequency,
    first: Option<NaiveDate>,
    align_uc: bool,
    today: NaiveDate,
    max_amount: Pence,
) -> Result<Basis, Problem> {
    let statement: Statement = statement.into();
    let mut errors: Vec<(String, String)> = statement
        .validate(max_amount)
        .into_iter()
        .map(|e| (e.field, e.reason))
        .collect();
    let mut first_date = first.unwrap_or_else(|| {
        rentdesk_domain::calendar::monday_on_or_after(today + chrono::Duration::days(1))
    });
    if let Some(d) = first {
        if d < today {
            errors.push(("first_payment_date".into(), "is in the past".into()));
        } else if d > today + chrono::Duration::days(31) {
            errors.push(("first_payment_date".into(), "must be within 31 days".into()));
        }
    }
    if align_uc {
        match account.facts.benefit {
            Some(b @ BenefitIncome::UniversalCredit { .. }) => {
                if frequency != Frequency::Monthly {
                    errors.push((
                        "frequency".into(),
                        "Universal Credit is paid monthly: choose monthly to align with it".into(),
                    ));
                }
                match rentdesk_domain::benefits::next_due_after(
                    &b,
                    today - chrono::Duration::days(1),
                ) {
                    Some(next) => first_date = next.due,
                    None => errors.push((
                        "align_to_universal_credit".into(),
                        "no Universal Credit payment date is due".into(),
                    )),
                }
            }
            _ => errors.push((
                "align_to_universal_credit".into(),
                "there is no Universal Credit claim on your account".into(),
            )),
        }
    }
    if let Some(p) = invalid_fields(errors) {
        return Err(p);
    }
    let s = &account.view.summary;
    if s.real_arrears.0 <= 0 {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "nothing-to-repay",
            "There are no arrears to repay",
        )
        .detail(match &s.technical_reason {
            Some(r) if s.technical_arrears.0 > 0 => {
                format!("your account is only behind until a benefit payment arrives: {r}")
            }
            _ => "your rent account is up to date".into(),
        }));
    }
    Ok(Basis {
        statement,
        frequency,
        first_date,
        arrears: s.real_arrears,
        tenant_weekly_rent: tenant_weekly_rent(account),
    })
}

/// The part of the weekly charge the tenant pays themselves (what benefit paid to the landlord
/// does not cover): the rent a plan that includes rent collects alongside the instalment.
fn tenant_weekly_rent(account: &FullAccount) -> Pence {
    let direct_benefit_weekly = match account.facts.benefit {
        Some(BenefitIncome::HousingBenefit { weekly_amount, .. }) => weekly_amount,
        Some(BenefitIncome::UniversalCredit {
            monthly_housing,
            paid_to_landlord: true,
            ..
        }) => monthly_housing.mul_div(12, 52),
        _ => Pence::ZERO,
    };
    (account.view.summary.weekly_charge - direct_benefit_weekly).max(Pence::ZERO)
}

pub(crate) fn request(b: &Basis) -> PlanRequest<'_> {
    PlanRequest {
        arrears: b.arrears,
        tenant_weekly_rent: b.tenant_weekly_rent,
        statement: &b.statement,
        frequency: b.frequency,
        first_date: b.first_date,
    }
}

pub(crate) fn agreement_text(
    b: &Basis,
    instalment: Pence,
    rent: Pence,
    end: Option<NaiveDate>,
) -> String {
    let every = match b.frequency {
        Frequency::Weekly => "every week",
        Frequency::Fortnightly => "every two weeks",
        Frequency::FourWeekly => "every four weeks",
        Frequency::Monthly => "every month",
    };
    format!(
        "I agree to pay {} {every} starting on {}: my rent of {rent} and {instalment} towards my \
         rent arrears of {}{}. If I cannot keep to this plan I will contact my housing officer \
         straight away. I understand that if I do not keep to it and do not contact them, my \
         landlord may take further steps to recover the arrears, and that I can get free, \
         independent advice at any time.",
        instalment + rent,
        b.first_date.format("%-d %B %Y"),
        b.arrears,
        end.map(|e| format!(
            ", until they are cleared (expected {})",
            e.format("%-d %B %Y")
        ))
        .unwrap_or_default(),
    )
}

pub(crate) async fn account_of(
    state: &AppState,
    tenancy_id: i64,
) -> poem::Result<Result<FullAccount, Problem>> {
    Ok(
        rentdesk_store::accounts::full_account(&state.db, tenancy_id, state.today())
            .await
            .map_err(|e| Problem::internal(&e))?
            .ok_or_else(|| Problem::not_found("your account")),
    )
}

/// A plan request checked against the account and the policy, ready to store: every bad field
/// in one problem, an offer below the floor refused, outside policy marked for review.
pub(crate) fn proposal(
    settings: &rentdesk_config::Settings,
    account: &FullAccount,
    body: PlanRequestIn,
    today: NaiveDate,
    must_accept: &str,
) -> Result<Proposal, Problem> {
    let mut early: Vec<(String, String)> = vec![];
    let offered = Pence(body.instalment_pence);
    let s = &account.view.summary;
    let frequency = Frequency::from(body.frequency);
    if let Err(e) = affordability::check_instalment(
        offered,
        s.arrears,
        s.weekly_charge,
        frequency,
        settings.policy.max_row_amount,
    ) {
        early.push((e.field, e.reason));
    }
    if !body.accept_agreement {
        early.push(("accept_agreement".into(), must_accept.into()));
    }
    let b = match basis(
        account,
        body.statement,
        body.frequency.into(),
        body.first_payment_date,
        body.align_to_universal_credit,
        today,
        settings.policy.max_row_amount,
    ) {
        Ok(b) => b,
        Err(mut p) => {
            for (f, r) in early {
                p = p.field(f, r);
            }
            return Err(p);
        }
    };
    if let Some(p) = invalid_fields(early) {
        return Err(p);
    }
    let req = request(&b);
    let q = affordability::quote(&req, &settings.plan_policy());
    let decision = affordability::decide(offered, &req, &q)
        .map_err(|e| Problem::invalid(e.field, e.reason))?;
    let schedule = affordability::schedule(
        b.arrears,
        offered,
        q.rent_per_period,
        b.frequency,
        b.first_date,
    );
    let end = schedule.last().map(|p| p.due);
    Ok(Proposal {
        frequency: b.frequency,
        first_date: b.first_date,
        end_date: end,
        agreement_text: agreement_text(&b, offered, q.rent_per_period, end),
        details: PlanDetails {
            statement: b.statement,
            instalment_pence: offered.0,
            rent_per_period_pence: q.rent_per_period.0,
            arrears_pence: b.arrears.0,
        },
        review: match decision {
            Decision::WithinPolicy => None,
            Decision::NeedsReview(r) => Some(r),
        },
    })
}

/// `POST /tenant/v1/plans` after sign-in: the tenant's plan request checked against their
/// account and the policy, and stored (active within policy, else pending the patch officer's
/// review). Public so that the demo landlord's tenants propose theirs through the same path.
pub async fn propose_as_tenant(
    db: &sea_orm::DatabaseConnection,
    settings: &rentdesk_config::Settings,
    person: &rentdesk_store::entities::tenant::Model,
    account: &FullAccount,
    body: PlanRequestIn,
    client_addr: Option<&str>,
    (today, now): (NaiveDate, chrono::DateTime<chrono::Utc>),
) -> poem::Result<Result<rentdesk_store::entities::arrangement::Model, Problem>> {
    let proposal = match proposal(
        settings,
        account,
        body,
        today,
        "the agreement must be accepted to set up a plan",
    ) {
        Ok(p) => p,
        Err(p) => return Ok(Err(p)),
    };
    let plan = rentdesk_store::plans::propose(
        db,
        rentdesk_store::plans::By::Tenant(person),
        proposal,
        client_addr,
        now,
    )
    .await
    .map_err(|e| Problem::internal(&e))?;
    Ok(Ok(plan))
}

pub struct TenantPlansApi;

#[OpenApi(prefix_path = "/tenant/v1", tag = "ApiTags::Tenant")]
impl TenantPlansApi {
    /// What plan can I afford?
    ///
    /// From an income and expenditure statement: the disposable income, the instalment range
    /// the council's policy accepts, a suggested instalment with its schedule and end date.
    #[oai(path = "/plans/quote", method = "post")]
    async fn quote(
        &self,
        state: Data<&AppState>,
        auth: TenantAuth,
        body: Json<QuoteRequest>,
    ) -> poem::Result<Answer<QuoteAnswer, { OK | NOT_FOUND | CONFLICT | INVALID }>> {
        or_answer!(me(&state, &auth.0).await?);
        let today = state.today();
        let account = or_answer!(account_of(&state, auth.0.tenancy_id).await?);
        let body = body.0;
        let b = or_answer!(basis(
            &account,
            body.statement,
            body.frequency.into(),
            body.first_payment_date,
            body.align_to_universal_credit,
            today,
            state.settings.policy.max_row_amount
        ));
        let q = affordability::quote(&request(&b), &state.settings.plan_policy());
        let schedule = q.suggested_instalment.map(|i| {
            affordability::schedule(b.arrears, i, q.rent_per_period, b.frequency, b.first_date)
        });
        let end_date = schedule.as_ref().and_then(|s| s.last()).map(|p| p.due);
        Ok(Answer::Ok(Json(QuoteAnswer {
            arrears_pence: b.arrears.0,
            frequency: b.frequency.into(),
            first_payment_date: b.first_date,
            monthly_income_pence: q.monthly_income.0,
            monthly_spending_pence: q.monthly_expenditure.0,
            disposable_monthly_pence: q.disposable_monthly.0,
            rent_per_payment_pence: q.rent_per_period.0,
            min_instalment_pence: q.min_instalment.0,
            max_instalment_pence: q.max_instalment.0,
            floor_instalment_pence: q.floor_instalment.0,
            suggested_instalment_pence: q.suggested_instalment.map(|p| p.0),
            agreement_text: q
                .suggested_instalment
                .map(|i| agreement_text(&b, i, q.rent_per_period, end_date)),
            schedule: payments(schedule.unwrap_or_default()),
            end_date,
            concerns: q.concerns,
        })))
    }

    /// Propose a repayment plan
    ///
    /// Within policy the plan is active at once and the agreement is recorded as accepted;
    /// outside policy it waits for the patch officer's review. Replaces any current plan.
    #[oai(path = "/plans", method = "post")]
    async fn propose(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: TenantAuth,
        body: Json<PlanRequestIn>,
    ) -> poem::Result<Answer<PlanAnswer, { CREATED | NOT_FOUND | CONFLICT | INVALID }>> {
        let (person, _) = or_answer!(me(&state, &auth.0).await?);
        let today = state.today();
        let account = or_answer!(account_of(&state, auth.0.tenancy_id).await?);
        let plan = or_answer!(
            propose_as_tenant(
                &state.db,
                &state.settings,
                &person,
                &account,
                body.0,
                client_addr(remote).as_deref(),
                (today, state.now()),
            )
            .await?
        );
        let answer = plan_answer(&plan, &account, today)?;
        Ok(Answer::Created(Json(answer)))
    }

    /// My current plan
    ///
    /// The schedule, what has been paid against each instalment, and whether it is on track.
    #[oai(path = "/plans/current", method = "get")]
    async fn current(
        &self,
        state: Data<&AppState>,
        auth: TenantAuth,
    ) -> poem::Result<Answer<PlanAnswer, { OK | NOT_FOUND }>> {
        or_answer!(me(&state, &auth.0).await?);
        let today = state.today();
        let account = or_answer!(account_of(&state, auth.0.tenancy_id).await?);
        match rentdesk_store::plans::current(&state.db, auth.0.tenancy_id)
            .await
            .map_err(|e| Problem::internal(&e))?
        {
            Some(plan) => Ok(Answer::Ok(Json(plan_answer(&plan, &account, today)?))),
            None => Ok(Answer::problem(Problem::not_found(
                "a current repayment plan",
            ))),
        }
    }

    /// Cancel my plan
    ///
    /// Recorded with the reason. A cancelled plan no longer pauses the arrears process.
    #[oai(path = "/plans/current/cancel", method = "post")]
    async fn cancel(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: TenantAuth,
        body: Json<CancelRequest>,
    ) -> poem::Result<Answer<Cancelled, { OK | NOT_FOUND }>> {
        let (person, _) = or_answer!(me(&state, &auth.0).await?);
        match rentdesk_store::plans::cancel(
            &state.db,
            &person,
            body.reason.trim(),
            client_addr(remote).as_deref(),
            state.now(),
        )
        .await
        .map_err(|e| Problem::internal(&e))?
        {
            Some(id) => Ok(Answer::Ok(Json(Cancelled {
                id,
                status: vocab::PlanStatus::Cancelled,
                message: "Your plan is cancelled. Your arrears still need to be paid; if nothing \
                          changes the arrears process continues."
                    .into(),
            }))),
            None => Ok(Answer::problem(Problem::not_found(
                "a current repayment plan",
            ))),
        }
    }
}

pub(crate) fn plan_answer(
    plan: &rentdesk_store::entities::arrangement::Model,
    account: &FullAccount,
    today: NaiveDate,
) -> poem::Result<PlanAnswer> {
    let details: Option<PlanDetails> = plan
        .income_expenditure
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok());
    let frequency = Frequency::from_str(&plan.frequency).map_err(|e| Problem::internal(&e))?;
    // A plan made in Rentdesk keeps its quote's split of each payment; one imported from an
    // old system (or seeded) that includes rent collects the tenant's rent for the period as
    // a quote would, the rest going to the arrears.
    let (rent, instalment) = match &details {
        Some(d) => (d.rent_per_period_pence, d.instalment_pence),
        None if plan.includes_rent => {
            let rent =
                affordability::weekly_to_period(tenant_weekly_rent(account), frequency, true)
                    .0
                    .clamp(0, plan.instalment_pence.max(0));
            (rent, plan.instalment_pence - rent)
        }
        None => (0, plan.instalment_pence),
    };
    let done =
        rentdesk_store::cases::progress(plan, account, today).map_err(|e| Problem::internal(&e))?;
    let brief = super::account::plan_brief(plan, account, today)?;
    let upcoming = {
        let paid_so_far: Pence = done.iter().map(|i| i.paid).sum();
        let towards_arrears = (paid_so_far - Pence(rent) * done.len() as i64).max(Pence::ZERO);
        let left = (Pence(plan.arrears_at_start_pence) - towards_arrears).max(Pence::ZERO);
        let mut k = done.len() as u32;
        let mut out = vec![];
        let mut remaining = left;
        while remaining.0 > 0 && out.len() < 6 {
            let due = affordability::instalment_date(plan.start_date, frequency, k);
            let amount = Pence(instalment).min(remaining);
            remaining -= amount;
            out.push(ScheduledPayment {
                due,
                instalment: amount,
                rent: Pence(rent),
                arrears_after: remaining,
            });
            k += 1;
        }
        out
    };
    Ok(PlanAnswer {
        id: plan.id,
        status: vocab::PlanStatus::from_stored(&plan.status, "arrangements", plan.id)
            .map_err(|e| Problem::internal(&e))?,
        frequency: frequency.into(),
        start_date: plan.start_date,
        end_date: plan.end_date,
        amount_pence: plan.instalment_pence,
        instalment_pence: instalment,
        rent_per_payment_pence: rent,
        arrears_at_start_pence: plan.arrears_at_start_pence,
        progress: brief.progress,
        review_reason: plan.review_reason.clone(),
        agreement_text: plan.agreement_text.clone(),
        instalments: done
            .into_iter()
            .map(|i| Instalment {
                due: i.due,
                amount_pence: i.amount.0,
                paid_pence: i.paid.0,
                status: i.status.into(),
            })
            .collect(),
        upcoming: payments(upcoming),
    })
}
