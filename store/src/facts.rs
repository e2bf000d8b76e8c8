//! Turning stored rows into the plain facts the `domain` rules take. The one place that knows
//! how a tenancy row maps onto `domain::arrears::AccountFacts`.

use crate::entities::{rent_change, tenancy, uc_claim};
use chrono::NaiveDate;
use rentdesk_domain::Pence;
use rentdesk_domain::arrears::AccountFacts;
use rentdesk_domain::benefits::{BenefitIncome, BenefitTiming};
use rentdesk_domain::ledger::PaymentMethod;
use rentdesk_domain::ledger::{LedgerEntry, TransactionKind};
use rentdesk_domain::rent::{RentChange, RentPeriod};
use rentdesk_domain::tenancy::{ChargeSchedule, Frequency, ServiceChargeFrequency};
use std::str::FromStr;

/// A stored value that the domain does not recognise: the row was written by something other
/// than Rentdesk's validated paths.
#[derive(Debug, thiserror::Error)]
#[error("stored {column} {value:?} on {table} {id} is not valid: {reason}")]
pub struct CorruptRow {
    pub table: &'static str,
    pub id: i64,
    pub column: &'static str,
    pub value: String,
    pub reason: String,
}

fn parse<T: FromStr>(
    table: &'static str,
    id: i64,
    column: &'static str,
    value: &str,
) -> Result<T, CorruptRow>
where
    T::Err: std::fmt::Display,
{
    T::from_str(value).map_err(|e| CorruptRow {
        table,
        id,
        column,
        value: value.to_owned(),
        reason: e.to_string(),
    })
}

/// "1,39,40,52" → [1, 39, 40, 52]. Empty means none.
pub fn parse_week_list(value: &str) -> Result<Vec<u32>, String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| match s.parse::<u32>() {
            Ok(w) if (1..=53).contains(&w) => Ok(w),
            _ => Err(format!("{s:?} is not a rent week number from 1 to 53")),
        })
        .collect()
}

pub fn format_week_list(weeks: &[u32]) -> String {
    weeks
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

pub fn schedule_of(t: &tenancy::Model) -> Result<ChargeSchedule, CorruptRow> {
    let periodic = match (
        t.periodic_service_charge_pence,
        &t.periodic_service_charge_frequency,
    ) {
        (Some(amount), Some(freq)) => Some((
            Pence(amount),
            parse::<ServiceChargeFrequency>(
                "tenancies",
                t.id,
                "periodic_service_charge_frequency",
                freq,
            )?,
        )),
        _ => None,
    };
    Ok(ChargeSchedule {
        start_date: t.start_date,
        end_date: t.end_date,
        weekly_rent: Pence(t.weekly_rent_pence),
        weekly_service_charge: Pence(t.weekly_service_charge_pence),
        rent_free_weeks: parse_week_list(&t.rent_free_weeks).map_err(|reason| CorruptRow {
            table: "tenancies",
            id: t.id,
            column: "rent_free_weeks",
            value: t.rent_free_weeks.clone(),
            reason,
        })?,
        rent_free_only_when_clear: t.rent_free_only_when_clear,
        periodic_service_charge: periodic,
        rent_period: parse::<RentPeriod>("tenancies", t.id, "rent_period", &t.rent_period)?,
        rent_changes: vec![],
    })
}

/// A tenancy's stored rent history as the domain sees it.
pub fn rent_changes_of(rows: &[rent_change::Model]) -> Result<Vec<RentChange>, CorruptRow> {
    rows.iter()
        .map(|r| {
            Ok(RentChange {
                effective_from: r.effective_from,
                period: parse::<RentPeriod>("rent_changes", r.id, "rent_period", &r.rent_period)?,
                rent: Pence(r.rent_pence),
                service_charge: Pence(r.service_charge_pence),
            })
        })
        .collect()
}

/// Every `apa_status` a UC claim row holds: none, wanted (the tenant asked in the app),
/// requested (an officer asked DWP), in_place.
pub const APA_STATUSES: [&str; 4] = ["none", "wanted", "requested", "in_place"];

/// How a claim's managed payment stands on `today`, as the app records it: `apa_status` and
/// whether UC housing costs are paid to the landlord.
pub fn managed_payment_on(
    apa_from: Option<NaiveDate>,
    apa_to: Option<NaiveDate>,
    today: NaiveDate,
) -> (&'static str, bool) {
    match (apa_from, apa_to) {
        (Some(from), to) if from <= today && to.is_none_or(|t| t >= today) => ("in_place", true),
        // Agreed by DWP, not yet started.
        (Some(from), _) if from > today => ("requested", false),
        // None, or ended: paid to the tenant.
        _ => ("none", false),
    }
}

/// The benefit income the account expects on `today`: the tenancy's UC claim with a known
/// housing amount takes precedence (UC replaces HB), else Housing Benefit if the tenancy has it.
/// An ended claim still pays the assessment period its last day falls in (issue 16: that money
/// is technical arrears until it is late, and nothing is expected after it). A claim
/// with the managed payment's dates (an imported one) is paid to the landlord on the days they
/// cover and to the tenant on others ([`managed_payment_on`]); one without (reported in the
/// app) as its `paid_to_landlord` says.
pub fn benefit_of(
    t: &tenancy::Model,
    uc: Option<&uc_claim::Model>,
    today: NaiveDate,
) -> Option<BenefitIncome> {
    if let Some(claim) = uc
        && claim.housing_costs_claimed
        && let Some(monthly) = claim.monthly_housing_pence
    {
        return Some(BenefitIncome::UniversalCredit {
            monthly_housing: Pence(monthly),
            claim_start: claim.claim_start,
            ends_on: claim.ended_on,
            paid_to_landlord: if claim.apa_from.is_some() {
                managed_payment_on(claim.apa_from, claim.apa_to, today).1
            } else {
                claim.paid_to_landlord
            },
        });
    }
    match (t.hb_weekly_pence, t.hb_first_pay_date) {
        (Some(weekly), Some(first)) if weekly > 0 => Some(BenefitIncome::HousingBenefit {
            weekly_amount: Pence(weekly),
            first_pay_date: first,
            ends_on: t.hb_end_date,
        }),
        _ => None,
    }
}

/// The Housing Benefit that runs on into the UC claim the figures use (issue 16): the
/// tenancy's HB (`hb_weekly`, `hb_first_pay_date`) ending on the claim's `hb_run_on_until` (or
/// on `hb_end_date`, when that is earlier). None without a run-on, without HB on the tenancy,
/// or when the figures do not use the claim.
pub fn hb_run_on_of(
    t: &tenancy::Model,
    uc: Option<&uc_claim::Model>,
    benefit: Option<&BenefitIncome>,
) -> Option<BenefitIncome> {
    if !matches!(benefit, Some(BenefitIncome::UniversalCredit { .. })) {
        return None;
    }
    let until = uc?.hb_run_on_until?;
    match (t.hb_weekly_pence, t.hb_first_pay_date) {
        (Some(weekly), Some(first)) if weekly > 0 => Some(BenefitIncome::HousingBenefit {
            weekly_amount: Pence(weekly),
            first_pay_date: first,
            ends_on: Some(t.hb_end_date.map_or(until, |e| e.min(until))),
        }),
        _ => None,
    }
}

/// When managed payments and HB reach the account (settings `APA_LAG_DAYS`, `APA_CYCLE_DAYS`,
/// `HB_PAY_LAG_DAYS`), set once at start-up by the server and the worker from their validated
/// settings ([`set_benefit_timing`]); the domain defaults until then.
static BENEFIT_TIMING: std::sync::RwLock<Option<BenefitTiming>> = std::sync::RwLock::new(None);

/// Set the benefit timing every account is evaluated with (at start-up, from the settings).
pub fn set_benefit_timing(timing: BenefitTiming) {
    match BENEFIT_TIMING.write() {
        Ok(mut t) => *t = Some(timing),
        Err(poisoned) => *poisoned.into_inner() = Some(timing),
    }
}

/// The benefit timing in force: the configured one, else the domain's defaults.
pub fn benefit_timing() -> BenefitTiming {
    match BENEFIT_TIMING.read() {
        Ok(t) => t.unwrap_or_default(),
        Err(poisoned) => poisoned.into_inner().unwrap_or_default(),
    }
}

/// The facts of one account. `rents`: the tenancy's rent history rows (any order; none when
/// the housing system gave none).
pub fn account_facts(
    t: &tenancy::Model,
    uc: Option<&uc_claim::Model>,
    rents: &[rent_change::Model],
    today: NaiveDate,
) -> Result<AccountFacts, CorruptRow> {
    let self_pay = match (t.self_pay_pence, &t.self_pay_frequency, t.self_pay_anchor) {
        (Some(amount), Some(freq), Some(anchor)) => Some((
            Pence(amount),
            parse::<Frequency>("tenancies", t.id, "self_pay_frequency", freq)?,
            anchor,
        )),
        _ => None,
    };
    // Validated here so a corrupt method is reported, even though the summary doesn't use it.
    parse::<PaymentMethod>("tenancies", t.id, "payment_method", &t.payment_method)?;
    let mut schedule = schedule_of(t)?;
    schedule.rent_changes = rent_changes_of(rents)?;
    let benefit = benefit_of(t, uc, today);
    Ok(AccountFacts {
        hb_run_on: hb_run_on_of(t, uc, benefit.as_ref()),
        schedule,
        benefit,
        self_pay,
        benefit_grace_days: rentdesk_domain::benefits::BENEFIT_GRACE_DAYS,
        timing: benefit_timing(),
    })
}

/// One ledger row as the domain sees it.
pub fn ledger_entry(
    id: i64,
    posted_on: chrono::NaiveDate,
    kind: &str,
    amount_pence: i64,
    method: Option<&str>,
) -> Result<LedgerEntry, CorruptRow> {
    Ok(LedgerEntry {
        posted_on,
        kind: parse::<TransactionKind>("transactions", id, "kind", kind)?,
        amount: Pence(amount_pence),
        method: method
            .map(|m| parse::<PaymentMethod>("transactions", id, "method", m))
            .transpose()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_managed_payment_is_in_place_between_its_dates_only() {
        let today = d(2026, 12, 7);
        assert_eq!(managed_payment_on(None, None, today), ("none", false));
        assert_eq!(
            managed_payment_on(Some(d(2026, 11, 1)), None, today),
            ("in_place", true)
        );
        assert_eq!(
            managed_payment_on(Some(d(2026, 11, 1)), Some(today), today),
            ("in_place", true)
        );
        assert_eq!(
            managed_payment_on(Some(d(2026, 11, 1)), Some(d(2026, 12, 6)), today),
            ("none", false)
        );
        assert_eq!(
            managed_payment_on(Some(d(2026, 12, 8)), None, today),
            ("requested", false)
        );
    }
}
