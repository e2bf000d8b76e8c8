//! The tenant's own account: balance and arrears (real and technical apart, with the reason),
//! the statement, and what happens next.

use super::{Answer, TenantAuth, me};
use crate::api::common::statuses::*;
use crate::api::{ApiTags, vocab};
use crate::or_answer;
use crate::problem::Problem;
use crate::state::AppState;
use chrono::NaiveDate;
use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use rentdesk_domain::benefits::BenefitIncome;
use rentdesk_domain::possession::next_step::{self, EscalationPolicy};
use rentdesk_store::accounts::FullAccount;
use rentdesk_store::statement::Cursor;

#[derive(Debug, Object)]
pub struct Payment {
    pub date: NaiveDate,
    pub amount_pence: i64,
    pub kind: vocab::TransactionKind,
}

#[derive(Debug, Object)]
pub struct ExpectedBenefit {
    pub kind: vocab::BenefitKind,
    /// Who it is paid to: `landlord` (straight onto the rent account) or `tenant`.
    pub paid_to: vocab::PaidTo,
    pub next_date: Option<NaiveDate>,
    pub next_amount_pence: Option<i64>,
}

#[derive(Debug, Object)]
pub struct PlanBrief {
    pub id: i64,
    pub status: vocab::PlanStatus,
    pub frequency: vocab::Frequency,
    /// Due each time (rent plus the instalment towards arrears).
    pub amount_pence: i64,
    pub start_date: NaiveDate,
    pub progress: vocab::PlanProgress,
}

/// The tenant's rent account today.
#[derive(Debug, Object)]
pub struct TenantAccount {
    pub reference: String,
    pub address: String,
    pub as_of: NaiveDate,
    /// What is owed (negative = in credit).
    pub balance_pence: i64,
    /// Arrears that only exist because a benefit payment is due but has not arrived yet.
    pub technical_arrears_pence: i64,
    /// Why there are technical arrears, e.g. "Universal Credit housing payment of £495.00 due 28 Nov 2026".
    pub technical_reason: Option<String>,
    /// Arrears that need paying.
    pub real_arrears_pence: i64,
    /// clear | technical_only | in_arrears
    pub arrears_status: vocab::ArrearsStatus,
    /// Rent plus weekly service charge (the weekly equivalent of a fortnightly, four-weekly or
    /// monthly rent), in force today.
    pub weekly_rent_pence: i64,
    /// How often your rent is payable.
    pub rent_period: vocab::RentPeriod,
    /// Rent plus service charge for one rent period as charged (a month's for a monthly rent),
    /// in force today.
    pub rent_per_period_pence: i64,
    pub next_charge_date: Option<NaiveDate>,
    pub last_payment: Option<Payment>,
    pub expected_benefit: Option<ExpectedBenefit>,
    pub plan: Option<PlanBrief>,
}

#[derive(Debug, Object)]
pub struct StatementLine {
    pub id: i64,
    pub date: NaiveDate,
    pub kind: vocab::TransactionKind,
    pub description: Option<String>,
    /// Positive: charged to the account; negative: paid in.
    pub amount_pence: i64,
    /// The balance after this line.
    pub balance_after_pence: i64,
}

impl TryFrom<rentdesk_store::statement::Line> for StatementLine {
    type Error = vocab::UnknownValue;
    fn try_from(l: rentdesk_store::statement::Line) -> Result<StatementLine, Self::Error> {
        Ok(StatementLine {
            kind: vocab::TransactionKind::from_stored(&l.kind, "transactions", l.id)?,
            id: l.id,
            date: l.posted_on,
            description: l.description,
            amount_pence: l.amount.0,
            balance_after_pence: l.balance_after.0,
        })
    }
}

#[derive(Debug, Object)]
pub struct RentYearSummary {
    /// e.g. "2026/27"
    pub label: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub opening_balance_pence: i64,
    pub charged_pence: i64,
    pub paid_by_you_pence: i64,
    pub housing_benefit_pence: i64,
    pub universal_credit_pence: i64,
    /// Adjustments, refunds, deductions and write-offs (positive = charged).
    pub other_pence: i64,
    pub balance_now_pence: i64,
}

#[derive(Debug, Object)]
pub struct Statement {
    /// Newest first.
    pub lines: Vec<StatementLine>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
    /// The rent year containing `to` (default today), up to that date.
    pub rent_year: RentYearSummary,
}

#[derive(Debug, Object)]
pub struct NextAction {
    /// The stage the case would move to.
    pub stage: vocab::Stage,
    /// The earliest date it could happen if nothing changes.
    pub earliest: NaiveDate,
    pub description: String,
}

#[derive(Debug, Object)]
pub struct Advice {
    pub name: String,
    pub url: String,
}

/// The tenant's case in plain English, from the same rules the officers' recommendations use.
#[derive(Debug, Object)]
pub struct WhatHappensNext {
    pub stage: vocab::Stage,
    pub stage_description: String,
    pub summary: String,
    pub next: Option<NextAction>,
    pub paused_because: Option<String>,
    pub what_stops_it: Vec<String>,
    /// Free, independent advice.
    pub free_advice: Vec<Advice>,
    /// Decisions are made by a named officer, not by the software; the tenant can ask for one.
    pub human_review: String,
}

pub struct TenantAccountApi;

/// The caller's account from the tenancy row `me` already loaded (not read again by id).
async fn load(
    state: &AppState,
    tenancy: rentdesk_store::entities::tenancy::Model,
) -> poem::Result<FullAccount> {
    Ok(
        rentdesk_store::accounts::full_account_of(&state.db, tenancy, state.today())
            .await
            .map_err(|e| Problem::internal(&e))?,
    )
}

pub fn plan_brief(
    a: &rentdesk_store::entities::arrangement::Model,
    account: &FullAccount,
    today: NaiveDate,
) -> poem::Result<PlanBrief> {
    let done =
        rentdesk_store::cases::progress(a, account, today).map_err(|e| Problem::internal(&e))?;
    Ok(PlanBrief {
        id: a.id,
        status: vocab::PlanStatus::from_stored(&a.status, "arrangements", a.id)
            .map_err(|e| Problem::internal(&e))?,
        frequency: vocab::Frequency::from_stored(&a.frequency, "arrangements", a.id)
            .map_err(|e| Problem::internal(&e))?,
        amount_pence: a.instalment_pence,
        start_date: a.start_date,
        progress: if a.status == "pending_review" {
            vocab::PlanProgress::WaitingForReview
        } else if a.status == "broken" || rentdesk_store::cases::is_behind(&done) {
            vocab::PlanProgress::Behind
        } else {
            vocab::PlanProgress::OnTrack
        },
    })
}

#[OpenApi(prefix_path = "/tenant/v1", tag = "ApiTags::Tenant")]
impl TenantAccountApi {
    /// My rent account
    ///
    /// Balance, real and technical arrears apart (with the reason), weekly rent, next charge,
    /// last payment, expected Housing Benefit or Universal Credit, and the current plan.
    #[oai(path = "/account", method = "get")]
    async fn account(
        &self,
        state: Data<&AppState>,
        auth: TenantAuth,
    ) -> poem::Result<Answer<TenantAccount, { OK | NOT_FOUND }>> {
        let (_, tenancy) = or_answer!(me(&state, &auth.0).await?);
        let account = load(&state, tenancy).await?;
        let today = state.today();
        let plan = match rentdesk_store::plans::current(&state.db, auth.0.tenancy_id)
            .await
            .map_err(|e| Problem::internal(&e))?
        {
            Some(a) => Some(plan_brief(&a, &account, today)?),
            None => None,
        };
        let s = &account.view.summary;
        let t = &account.view.tenancy;
        let expected_benefit = account.facts.benefit.map(|b| {
            let (kind, paid_to) = match b {
                BenefitIncome::HousingBenefit { .. } => {
                    (vocab::BenefitKind::HousingBenefit, vocab::PaidTo::Landlord)
                }
                BenefitIncome::UniversalCredit {
                    paid_to_landlord, ..
                } => (
                    vocab::BenefitKind::UniversalCredit,
                    if paid_to_landlord {
                        vocab::PaidTo::Landlord
                    } else {
                        vocab::PaidTo::Tenant
                    },
                ),
            };
            // When it reaches the account: a managed payment on DWP's landlord schedule.
            let next = s.next_benefit_due;
            ExpectedBenefit {
                kind,
                paid_to,
                next_date: next.map(|n| n.0),
                next_amount_pence: next.map(|n| n.1.0),
            }
        });
        Ok(Answer::Ok(Json(TenantAccount {
            reference: t.reference.clone(),
            address: [
                Some(t.address_line1.as_str()),
                t.address_line2.as_deref(),
                Some(t.town.as_str()),
                Some(t.postcode.as_str()),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", "),
            as_of: s.as_of,
            balance_pence: s.balance.0,
            technical_arrears_pence: s.technical_arrears.0,
            technical_reason: s.technical_reason.clone(),
            real_arrears_pence: s.real_arrears.0,
            arrears_status: s.status.into(),
            weekly_rent_pence: s.weekly_charge.0,
            rent_period: account.view.rent.period.into(),
            rent_per_period_pence: account.view.rent.charge().0,
            next_charge_date: s.next_charge_date,
            last_payment: s.last_payment.as_ref().map(|p| Payment {
                date: p.date,
                amount_pence: p.amount.0,
                kind: p.kind.into(),
            }),
            expected_benefit,
            plan,
        })))
    }

    /// My rent statement
    ///
    /// The ledger newest first with the balance after each line, a page at a time, and the
    /// rent year's totals.
    #[oai(path = "/statement", method = "get")]
    async fn statement(
        &self,
        state: Data<&AppState>,
        auth: TenantAuth,
        /// Only lines on or after this date.
        from: Query<Option<NaiveDate>>,
        /// Only lines on or before this date.
        to: Query<Option<NaiveDate>>,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<String>>,
        /// Lines per page, 1–200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u64>>,
    ) -> poem::Result<Answer<Statement, { OK | INVALID }>> {
        or_answer!(me(&state, &auth.0).await?);
        let cursor = match cursor.0.as_deref().map(Cursor::decode) {
            None => None,
            Some(Ok(c)) => Some(c),
            Some(Err(reason)) => return Ok(Answer::problem(Problem::invalid("cursor", reason))),
        };
        if let (Some(f), Some(t)) = (from.0, to.0)
            && f > t
        {
            return Ok(Answer::problem(Problem::invalid("from", "after `to`")));
        }
        let tenancy_id = auth.0.tenancy_id;
        let page = rentdesk_store::statement::page(
            &state.db,
            tenancy_id,
            from.0,
            to.0,
            cursor,
            limit.0.unwrap_or(50),
        )
        .await
        .map_err(|e| Problem::internal(&e))?;
        let year_of = to.0.unwrap_or_else(|| state.today()).min(state.today());
        let y = rentdesk_store::statement::year_summary(&state.db, tenancy_id, year_of)
            .await
            .map_err(|e| Problem::internal(&e))?;
        Ok(Answer::Ok(Json(Statement {
            lines: vocab::readable(page.lines),
            next_cursor: page.next.map(|c| c.encode()),
            rent_year: RentYearSummary {
                label: y.year.label(),
                starts_on: y.year.start,
                ends_on: y.year.end(),
                opening_balance_pence: y.opening_balance.0,
                charged_pence: y.charged.0,
                paid_by_you_pence: y.paid_by_tenant.0,
                housing_benefit_pence: y.housing_benefit.0,
                universal_credit_pence: y.universal_credit.0,
                other_pence: y.other.0,
                balance_now_pence: y.closing_balance.0,
            },
        })))
    }

    /// What happens next
    ///
    /// The current stage of the tenant's case, what the landlord would do next and when if
    /// nothing changes, what stops it, and where to get free advice.
    #[oai(path = "/next-steps", method = "get")]
    async fn next_steps(
        &self,
        state: Data<&AppState>,
        auth: TenantAuth,
    ) -> poem::Result<Answer<WhatHappensNext, { OK | NOT_FOUND }>> {
        let (_, tenancy) = or_answer!(me(&state, &auth.0).await?);
        let account = load(&state, tenancy).await?;
        let today = state.today();
        let facts = rentdesk_store::cases::case_facts(&state.db, &account, today)
            .await
            .map_err(|e| Problem::internal(&e))?;
        let n = next_step::next_step(&facts, &EscalationPolicy::default(), today);
        Ok(Answer::Ok(Json(WhatHappensNext {
            stage: n.stage.into(),
            stage_description: n.stage_plain,
            summary: n.summary,
            next: n.next.map(|s| NextAction {
                stage: s.stage.into(),
                earliest: s.earliest,
                description: s.description,
            }),
            paused_because: n.paused_because,
            what_stops_it: n.what_stops_it,
            free_advice: next_step::FREE_ADVICE
                .iter()
                .map(|(name, url)| Advice {
                    name: (*name).into(),
                    url: (*url).into(),
                })
                .collect(),
            human_review: "Any step like this is decided by a named officer, not by a computer. \
                           You can ask for the decision to be reviewed and tell us anything we \
                           should take into account."
                .into(),
        })))
    }
}
