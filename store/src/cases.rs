//! An account's place in the escalation process, as the `domain::possession::next_step` rules see it:
//! its stage, its repayment plan's state and any Breathing Space in force.

use crate::accounts::FullAccount;
use crate::entities::{action, arrangement, case, flag};
use crate::facts::CorruptRow;
use chrono::{Duration, NaiveDate};
use rentdesk_domain::Pence;
use rentdesk_domain::arrangements;
use rentdesk_domain::arrangements::{Instalment, InstalmentStatus};
use rentdesk_domain::ledger::LedgerEntry;
use rentdesk_domain::possession::court::{self, CourtFacts};
use rentdesk_domain::possession::next_step::{CaseFacts, PlanState};
use rentdesk_domain::possession::order::{CourtOrder, Hearing};
use rentdesk_domain::possession::types::Stage;
use rentdesk_domain::tenancy::Frequency;
use rentdesk_domain::time::london_date;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::str::FromStr;

/// Days after its date an instalment may still arrive before it counts as missed: the
/// council's configured broken-arrangement grace (`OutreachConfig::broken_arrangement`,
/// docs/arrangements.md#keeping-to-an-arrangement-and-when-it-is-broken: default 7), the same figure the worker's broken-arrangement rule uses, so the
/// officer's screens, the tenant's app and the messages agree on whether a plan is broken.
pub async fn instalment_grace_days<C: ConnectionTrait>(db: &C) -> anyhow::Result<u32> {
    Ok(crate::outreach_config::current(db)
        .await?
        .0
        .broken_arrangement
        .grace_days)
}

pub fn domain_arrangement(a: &arrangement::Model) -> Result<arrangements::Arrangement, CorruptRow> {
    let frequency = Frequency::from_str(&a.frequency).map_err(|e| CorruptRow {
        table: "arrangements",
        id: a.id,
        column: "frequency",
        value: a.frequency.clone(),
        reason: e.to_string(),
    })?;
    Ok(arrangements::Arrangement {
        start_date: a.start_date,
        frequency,
        instalment: Pence(a.instalment_pence),
        end_date: a.end_date,
        includes_rent: a.includes_rent,
    })
}

/// Instalments due so far with what was paid against each.
pub fn progress(
    a: &arrangement::Model,
    account: &FullAccount,
    today: NaiveDate,
) -> Result<Vec<Instalment>, CorruptRow> {
    Ok(arrangements::adherence(
        &domain_arrangement(a)?,
        &account.entries,
        today,
        account.instalment_grace_days,
    ))
}

pub fn is_behind(instalments: &[Instalment]) -> bool {
    instalments.iter().any(|i| {
        matches!(
            i.status,
            InstalmentStatus::Missed | InstalmentStatus::PartPaid
        )
    })
}

pub fn plan_state(
    a: &arrangement::Model,
    account: &FullAccount,
    today: NaiveDate,
) -> Result<Option<PlanState>, CorruptRow> {
    plan_state_of(a, &account.entries, today, account.instalment_grace_days)
}

/// [`plan_state`] from the account's ledger alone (for accounts loaded in bulk), with the
/// configured [`instalment_grace_days`].
pub fn plan_state_of(
    a: &arrangement::Model,
    entries: &[LedgerEntry],
    today: NaiveDate,
    grace_days: u32,
) -> Result<Option<PlanState>, CorruptRow> {
    Ok(match a.status.as_str() {
        "pending_review" => Some(PlanState::PendingReview),
        "broken" => Some(PlanState::Broken),
        "active" => {
            let done = arrangements::adherence(&domain_arrangement(a)?, entries, today, grace_days);
            if is_behind(&done) {
                Some(PlanState::Broken)
            } else {
                let arrangement = domain_arrangement(a)?;
                let next_due = arrangements::schedule_dates(
                    arrangement.start_date,
                    arrangement.frequency,
                    today,
                    today + Duration::days(62),
                )
                .into_iter()
                .find(|d| a.end_date.is_none_or(|e| *d <= e));
                Some(PlanState::Kept {
                    next_due,
                    amount: Pence(a.instalment_pence),
                })
            }
        }
        _ => None,
    })
}

/// The facts `possession::next_step::next_step` needs for this account.
pub async fn case_facts<C: ConnectionTrait>(
    db: &C,
    account: &FullAccount,
    today: NaiveDate,
) -> anyhow::Result<CaseFacts> {
    let tenancy_id = account.view.tenancy.id;
    let case = case::Entity::find()
        .filter(case::Column::TenancyId.eq(tenancy_id))
        .one(db)
        .await?;
    let (stage, stage_since) = match &case {
        Some(c) => (
            Stage::from_str(&c.stage).map_err(|reason| CorruptRow {
                table: "cases",
                id: c.id,
                column: "stage",
                value: c.stage.clone(),
                reason,
            })?,
            c.stage_since,
        ),
        None => (Stage::None, today),
    };
    let current_plan = crate::plans::current(db, tenancy_id).await?;
    let plan = match &current_plan {
        Some(a) => plan_state(a, account, today)?,
        None => None,
    };
    // The day it broke (Protocol para 2.9: the warning must come after it): the first
    // instalment missed, or, for a plan marked broken, the day it ended (an imported plan's
    // `ended_on`) or else the day it was marked; never after today.
    let plan_broken_on = match (&current_plan, &plan) {
        (Some(a), Some(PlanState::Broken)) if a.status == "active" => {
            arrangements::broken_on(&progress(a, account, today)?, account.instalment_grace_days)
        }
        (Some(a), Some(PlanState::Broken)) => Some(
            a.cancelled_at
                .map_or_else(|| london_date(a.updated_at), london_date)
                .min(today),
        ),
        _ => None,
    };
    // A flag withdrawn as entered in error never counts; an ended one counts up to its last day.
    let breathing_space = flag::Entity::find()
        .filter(flag::Column::TenancyId.eq(tenancy_id))
        .filter(flag::Column::Kind.starts_with("breathing_space"))
        .filter(flag::Column::StartsOn.lte(today))
        .filter(crate::flags::not_withdrawn())
        .all(db)
        .await?
        .into_iter()
        .filter(|f| crate::flags::state(f).in_force(today))
        .map(|f| (f.starts_on, f.ends_on))
        .next();
    let breathing_space_started = breathing_space.map(|(starts, _)| starts);
    let breathing_space = breathing_space.map(|(_, ends)| ends);
    let s = &account.view.summary;
    let court = court_facts(db, account, today).await?;
    let notice = crate::steps::current_notice(db, tenancy_id).await?;
    let notice_earliest_proceedings = notice.as_ref().map(|n| n.earliest_proceedings);
    let (recorded, time_limits) = crate::steps::recorded_protocol(db, tenancy_id).await?;
    let pre_claim = rentdesk_domain::possession::protocol::pre_claim(
        &rentdesk_domain::possession::protocol::PreClaimFacts {
            recorded: &recorded,
            time_limits: &time_limits,
            notice: notice.as_ref(),
            plan_broken_on,
        },
        today,
    );
    let former_limitation = (stage == Stage::FormerTenantRecovery)
        .then(|| rentdesk_domain::limitation::rent_limitation(&account.entries, today));
    let former_debt = former_limitation.as_ref().map(|l| {
        rentdesk_domain::possession::debt_claim::debt_claim(
            &rentdesk_domain::possession::debt_claim::DebtRecord::from_recorded(&recorded),
            s.real_arrears,
            l.claimable,
            l.barred,
            today,
        )
    });
    Ok(CaseFacts {
        stage,
        stage_since,
        real_arrears: s.real_arrears,
        technical_arrears: s.technical_arrears,
        technical_reason: s.technical_reason.clone(),
        weekly_charge: s.weekly_charge,
        weeks_in_arrears_hundredths: s.weeks_in_arrears_hundredths,
        plan,
        breathing_space,
        breathing_space_started,
        // Limitation Act 1980 s19: only for a former tenancy's recovery.
        former_limitation,
        // Pre-Action Protocol for Debt Claims: where the former tenant's debt stands.
        former_debt,
        court,
        notice_earliest_proceedings,
        pre_claim,
        plan_broken_on,
    })
}

/// The hearing and the order kept with the latest hearing and order steps (their
/// details are the diary action's facts).
pub async fn recorded_court<C: ConnectionTrait>(
    db: &C,
    tenancy_id: i64,
) -> Result<(Option<Hearing>, Option<CourtOrder>), sea_orm::DbErr> {
    let latest = |stage: Stage| {
        action::Entity::find()
            .filter(action::Column::TenancyId.eq(tenancy_id))
            .filter(action::Column::Kind.eq(crate::vocab::ActionKind::Stage))
            .filter(action::Column::Outcome.eq(stage.as_str()))
            .order_by_desc(action::Column::OccurredAt)
            .order_by_desc(action::Column::Id)
            .one(db)
    };
    let hearing = latest(Stage::Hearing)
        .await?
        .and_then(|a| a.facts)
        .and_then(|f| serde_json::from_str::<Hearing>(&f).ok());
    let order = latest(Stage::Order)
        .await?
        .and_then(|a| a.facts)
        .and_then(|f| serde_json::from_str::<CourtOrder>(&f).ok());
    Ok((hearing, order))
}

/// The hearing and order recorded with the latest hearing and order steps (their details are
/// kept as the diary action's facts), the payments against the order's terms, and the latest
/// visit or contact (for the policy's "a visit before a warrant").
pub async fn court_facts<C: ConnectionTrait>(
    db: &C,
    account: &FullAccount,
    today: NaiveDate,
) -> anyhow::Result<CourtFacts> {
    let tenancy_id = account.view.tenancy.id;
    let (hearing, order) = recorded_court(db, tenancy_id).await?;
    let hearing_on = hearing.map(|h| h.hearing_on);
    let instalments = match order.as_ref().and_then(|o| o.terms.as_ref()) {
        Some(terms) => court::terms_adherence(
            terms,
            &account.entries,
            account.view.summary.technical_arrears,
            today,
            account.instalment_grace_days,
        ),
        None => vec![],
    };
    let last_contact = action::Entity::find()
        .filter(action::Column::TenancyId.eq(tenancy_id))
        .filter(action::Column::Kind.is_in([
            crate::vocab::ActionKind::Visit,
            crate::vocab::ActionKind::Call,
        ]))
        .order_by_desc(action::Column::OccurredAt)
        .all(db)
        .await?
        .into_iter()
        .filter(|a| court::is_visit_or_contact(&a.kind, a.outcome.as_deref()))
        .map(|a| london_date(a.occurred_at))
        .find(|d| *d <= today);
    let recorded = crate::steps::recorded_order_steps(db, tenancy_id, today).await?;
    Ok(CourtFacts {
        hearing_on,
        order,
        instalments,
        last_contact,
        fix_date_notice_on: recorded.fix_date_notice_on,
        fix_date_applied_on: recorded.fix_date_applied_on,
        told_of_breathing_space_on: recorded.told_of_breathing_space_on,
    })
}
