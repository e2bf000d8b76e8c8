//! Income and expenditure in Standard Financial Statement categories, and the council's
//! repayment-plan policy (docs/arrangements.md): what a tenant can afford, the instalment range the
//! policy accepts, and the schedule that results.
//!
//! All amounts in a statement are **monthly** pence, as the SFS is. A weekly figure is
//! monthly × 12 ÷ 52. Arrears instalments are *on top of* the rent the tenant pays themselves;
//! the SFS lists rent among fixed costs, so the disposable surplus is what is left after it.
//!
//! **Priority debts first.** The SFS (and the debt advice sector's practice it records) pays
//! priority debts — rent and mortgage arrears, council tax, energy, TV licence, fines, child
//! maintenance, HMRC, hire purchase of essentials — out of the surplus before non-priority ones
//! (cards, loans, catalogues, overdrafts, water arrears), which share only what is left. Rent
//! arrears are a priority debt (docs/arrangements.md#standard-financial-statement-priority-debts-first), so the surplus for them is income less
//! essential spending less the other priority debts' payments; payments the tenant makes to
//! non-priority creditors are **not** taken off first ([`Statement::disposable_monthly`]). What
//! is left after the rent arrears instalment is what the non-priority creditors can be offered
//! ([`Quote::left_for_non_priority`]).

use crate::Pence;
use crate::calendar::add_months_clamped;
use crate::tenancy::Frequency;
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// SFS monthly income categories.
pub const INCOME: &[&str] = &["earnings", "benefits", "pensions", "other"];
/// SFS fixed (essential) costs.
pub const FIXED_COSTS: &[&str] = &[
    "rent",
    "mortgage",
    "council_tax",
    "service_charges",
    "gas",
    "electricity",
    "water",
    "other_utilities",
    "care_and_health",
    "transport_and_travel",
    "school",
    "pensions_and_insurance",
    "professional",
    "other_essential",
];
/// SFS flexible costs, the ones the spending guidelines cover.
pub const FLEXIBLE_COSTS: &[&str] = &[
    "communications_and_leisure",
    "food_and_housekeeping",
    "personal_costs",
];

/// Who lives in the household (the SFS guidelines depend on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Household {
    pub adults: u32,
    pub children: u32,
    pub non_dependants: u32,
    pub vehicles: u32,
}

/// An income and expenditure statement as the tenant gave it, category → monthly pence.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Statement {
    pub household: Household,
    pub income: BTreeMap<String, i64>,
    pub fixed_costs: BTreeMap<String, i64>,
    pub flexible_costs: BTreeMap<String, i64>,
    pub savings_contribution: i64,
    /// Monthly payments to other priority debts (council tax arrears, energy, fines…).
    pub priority_debt_payments: i64,
    /// Monthly payments to non-priority debts (cards, loans, catalogues…).
    pub non_priority_debt_payments: i64,
}

/// A field of the request that is wrong, and why (becomes a problem+json field error).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl Statement {
    /// Every problem with the statement: unknown categories, negative amounts or ones above
    /// `max_amount` (a month's figure no household has; it would overflow the totals), no adult.
    pub fn validate(&self, max_amount: Pence) -> Vec<FieldError> {
        let too_large = || format!("must be at most {max_amount} a month");
        let mut errors = Vec::new();
        let sections: [(&str, &BTreeMap<String, i64>, &[&str]); 3] = [
            ("income", &self.income, INCOME),
            ("fixed_costs", &self.fixed_costs, FIXED_COSTS),
            ("flexible_costs", &self.flexible_costs, FLEXIBLE_COSTS),
        ];
        for (section, items, known) in sections {
            for (category, amount) in items {
                let field = format!("statement.{section}.{category}");
                if !known.contains(&category.as_str()) {
                    errors.push(FieldError::new(
                        field,
                        format!(
                            "not a Standard Financial Statement category; expected one of {}",
                            known.join(", ")
                        ),
                    ));
                } else if *amount < 0 {
                    errors.push(FieldError::new(field, "must not be negative"));
                } else if !Pence(*amount).within(max_amount) {
                    errors.push(FieldError::new(field, too_large()));
                }
            }
        }
        for (field, amount) in [
            ("savings_contribution", self.savings_contribution),
            ("priority_debt_payments", self.priority_debt_payments),
            (
                "non_priority_debt_payments",
                self.non_priority_debt_payments,
            ),
        ] {
            if amount < 0 {
                errors.push(FieldError::new(
                    format!("statement.{field}"),
                    "must not be negative",
                ));
            } else if !Pence(amount).within(max_amount) {
                errors.push(FieldError::new(format!("statement.{field}"), too_large()));
            }
        }
        if self.household.adults == 0 {
            errors.push(FieldError::new(
                "statement.household.adults",
                "at least one adult lives in the household",
            ));
        }
        errors
    }

    fn incomings(&self) -> impl Iterator<Item = Pence> + '_ {
        self.income.values().copied().map(Pence)
    }

    /// What is paid before the rent arrears: essential costs (fixed and flexible), the savings
    /// contribution and the other priority debts. Not the non-priority debts: they come after
    /// every priority debt, rent arrears included (SFS order; see the module doc).
    fn outgoings(&self) -> impl Iterator<Item = Pence> + '_ {
        self.fixed_costs
            .values()
            .chain(self.flexible_costs.values())
            .chain([&self.savings_contribution, &self.priority_debt_payments])
            .copied()
            .map(Pence)
    }

    /// Saturating (see `Pence`); a validated statement's totals are exact.
    pub fn total_income(&self) -> Pence {
        self.incomings().sum()
    }

    /// Monthly spending that comes before the rent arrears: essential costs, savings and the
    /// other priority debts (non-priority debt payments are not in it).
    pub fn total_expenditure(&self) -> Pence {
        self.outgoings().sum()
    }

    /// Monthly income less the spending that comes first ([`Statement::total_expenditure`]):
    /// what could go towards the rent arrears, a priority debt. Non-priority debt payments are
    /// not taken off first: those creditors share what is left after the priority debts.
    pub fn disposable_monthly(&self) -> Pence {
        self.total_income() - self.total_expenditure()
    }

    /// `disposable_monthly`, or `None` when a total does not fit in an `i64` (a statement that
    /// skipped `validate`).
    pub fn checked_disposable_monthly(&self) -> Option<Pence> {
        Pence::checked_sum(self.incomings())?.checked_sub(Pence::checked_sum(self.outgoings())?)
    }
}

/// SFS spending guidelines for flexible costs, monthly pence: a base for the first adult plus
/// an amount for each further adult and each child. Flexible costs at or below them are not
/// questioned. The council sets them from the published table each April (`PlanPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guideline {
    pub first_adult: i64,
    pub each_other_adult: i64,
    pub each_child: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanPolicy {
    /// Below this (per week, pro rata for other frequencies) an offer is refused outright.
    pub min_weekly_instalment: Pence,
    /// A plan that takes longer than this to clear the arrears needs an officer's approval.
    pub max_weeks_to_clear: u32,
    /// Flexible-cost guidelines by SFS category.
    pub guidelines: BTreeMap<String, Guideline>,
}

impl Default for PlanPolicy {
    /// docs/arrangements.md#the-plan-policy-a-floor-and-a-target-to-clear-the-arrears defaults: at least £1 a week, clear within 104 weeks. Guideline figures are
    /// the council's to keep current; these defaults are of the published table's order.
    fn default() -> PlanPolicy {
        let g = |first_adult, each_other_adult, each_child| Guideline {
            first_adult,
            each_other_adult,
            each_child,
        };
        PlanPolicy {
            min_weekly_instalment: Pence(100),
            max_weeks_to_clear: 104,
            guidelines: [
                ("communications_and_leisure", g(15_000, 5_000, 4_000)),
                ("food_and_housekeeping", g(40_000, 25_000, 15_000)),
                ("personal_costs", g(10_000, 5_000, 7_000)),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        }
    }
}

/// A weekly amount expressed per period, rounded up (`up`) or down.
pub fn weekly_to_period(weekly: Pence, frequency: Frequency, up: bool) -> Pence {
    let (num, den) = match frequency {
        Frequency::Weekly => (1, 1),
        Frequency::Fortnightly => (2, 1),
        Frequency::FourWeekly => (4, 1),
        Frequency::Monthly => (52, 12),
    };
    Pence::saturate(div_round(i128::from(weekly.0) * num, den, up))
}

/// A monthly amount expressed per period, rounded up (`up`) or down.
pub fn monthly_to_period(monthly: Pence, frequency: Frequency, up: bool) -> Pence {
    let (num, den) = match frequency {
        Frequency::Weekly => (12, 52),
        Frequency::Fortnightly => (24, 52),
        Frequency::FourWeekly => (48, 52),
        Frequency::Monthly => (1, 1),
    };
    Pence::saturate(div_round(i128::from(monthly.0) * num, den, up))
}

/// n ÷ d rounded up or down, in 128 bits so the multiplication before it cannot overflow.
fn div_round(n: i128, d: i128, up: bool) -> i128 {
    if up {
        n.div_euclid(d) + i128::from(n.rem_euclid(d) != 0)
    } else {
        n.div_euclid(d)
    }
}

/// Whole periods of `frequency` in `weeks` weeks.
fn periods_in_weeks(weeks: u32, frequency: Frequency) -> i64 {
    let weeks = i64::from(weeks);
    match frequency {
        Frequency::Weekly => weeks,
        Frequency::Fortnightly => weeks / 2,
        Frequency::FourWeekly => weeks / 4,
        Frequency::Monthly => weeks * 12 / 52,
    }
}

/// The date of instalment `k` (0-based) from the first.
pub fn instalment_date(first: NaiveDate, frequency: Frequency, k: u32) -> NaiveDate {
    match frequency {
        Frequency::Weekly => first + Duration::weeks(i64::from(k)),
        Frequency::Fortnightly => first + Duration::weeks(2 * i64::from(k)),
        Frequency::FourWeekly => first + Duration::weeks(4 * i64::from(k)),
        Frequency::Monthly => add_months_clamped(first, k),
    }
}

/// What the plan is quoted on: the account and the statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRequest<'a> {
    /// Real arrears (technical arrears clear themselves and are not repaid by a plan).
    pub arrears: Pence,
    /// The weekly rent the tenant pays themselves (charge less benefit paid to us directly).
    pub tenant_weekly_rent: Pence,
    pub statement: &'a Statement,
    pub frequency: Frequency,
    pub first_date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledPayment {
    pub due: NaiveDate,
    /// Towards the arrears.
    pub instalment: Pence,
    /// The rent for the period, paid alongside.
    pub rent: Pence,
    /// Arrears left after this instalment.
    pub arrears_after: Pence,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub frequency: Frequency,
    pub monthly_income: Pence,
    pub monthly_expenditure: Pence,
    pub disposable_monthly: Pence,
    /// The surplus per period: the most the policy will ask for.
    pub disposable_per_period: Pence,
    /// The least the policy accepts per period without an officer's review (clears the arrears
    /// within `max_weeks_to_clear`, never under the minimum).
    pub min_instalment: Pence,
    /// The most the policy accepts per period: the disposable surplus.
    pub max_instalment: Pence,
    /// The absolute floor per period: below it an offer is refused.
    pub floor_instalment: Pence,
    /// The rent per period that is paid alongside each instalment.
    pub rent_per_period: Pence,
    /// An instalment inside the range, if the range is not empty (the minimum: the tenant can
    /// always pay more).
    pub suggested_instalment: Option<Pence>,
    /// Why no instalment is inside policy, or what an officer would have to accept.
    pub concerns: Vec<String>,
    /// Monthly: what is left for the non-priority debts after the priority ones, the suggested
    /// rent arrears instalment included (the surplus when none is suggested). Never negative.
    pub left_for_non_priority: Pence,
}

/// The affordability answer for a statement: the accepted instalment range per period.
pub fn quote(req: &PlanRequest<'_>, policy: &PlanPolicy) -> Quote {
    let f = req.frequency;
    let s = req.statement;
    let disposable_monthly = s.disposable_monthly();
    let disposable_per_period = monthly_to_period(disposable_monthly, f, false);
    let floor = weekly_to_period(policy.min_weekly_instalment, f, true);
    let periods = periods_in_weeks(policy.max_weeks_to_clear, f).max(1);
    let to_clear = Pence::saturate(div_round(
        i128::from(req.arrears.0.max(0)),
        i128::from(periods),
        true,
    ));
    let min_instalment = floor.max(to_clear);
    let max_instalment = disposable_per_period.max(Pence::ZERO);
    let mut concerns = flexible_cost_concerns(s, policy);
    if disposable_monthly.0 <= 0 {
        concerns.push(format!(
            "spending ({}) is at or above income ({}) each month",
            s.total_expenditure(),
            s.total_income()
        ));
    } else if min_instalment > max_instalment {
        concerns.push(format!(
            "clearing {} within {} weeks needs at least {} per payment, more than the {} left over",
            req.arrears, policy.max_weeks_to_clear, min_instalment, max_instalment
        ));
    }
    let suggested = (min_instalment <= max_instalment).then_some(min_instalment);
    // The rent arrears instalment (a priority debt) comes first; the non-priority creditors
    // share what is left (SFS order).
    let instalment_monthly = suggested.map_or(Pence::ZERO, |i| period_to_monthly(i, f));
    let left_for_non_priority = (disposable_monthly - instalment_monthly).max(Pence::ZERO);
    if s.non_priority_debt_payments > left_for_non_priority.0 {
        concerns.push(format!(
            "the non-priority debt payments ({} a month) are more than the {} left after the \
             priority debts, rent arrears included: they should be reduced (free debt advice \
             can ask those creditors to accept less), not the rent arrears instalment",
            Pence(s.non_priority_debt_payments),
            left_for_non_priority
        ));
    }
    Quote {
        frequency: f,
        monthly_income: s.total_income(),
        monthly_expenditure: s.total_expenditure(),
        disposable_monthly,
        disposable_per_period,
        min_instalment,
        max_instalment,
        floor_instalment: floor,
        rent_per_period: weekly_to_period(req.tenant_weekly_rent, f, true),
        suggested_instalment: suggested,
        concerns,
        left_for_non_priority,
    }
}

/// An amount per period of `frequency` as a monthly amount, rounded up (so what is left for
/// the non-priority debts is never overstated).
fn period_to_monthly(amount: Pence, frequency: Frequency) -> Pence {
    let (num, den) = match frequency {
        Frequency::Weekly => (52, 12),
        Frequency::Fortnightly => (26, 12),
        Frequency::FourWeekly => (13, 12),
        Frequency::Monthly => (1, 1),
    };
    Pence::saturate(div_round(i128::from(amount.0) * num, den, true))
}

/// Flexible costs above the SFS guideline for this household are questioned by an officer.
fn flexible_cost_concerns(s: &Statement, policy: &PlanPolicy) -> Vec<String> {
    let h = s.household;
    s.flexible_costs
        .iter()
        .filter_map(|(category, amount)| {
            let g = policy.guidelines.get(category)?;
            let others = i64::from(h.adults.saturating_sub(1)) + i64::from(h.non_dependants);
            let limit = (Pence(g.first_adult)
                + Pence(g.each_other_adult) * others
                + Pence(g.each_child) * i64::from(h.children))
            .0;
            (*amount > limit).then(|| {
                format!(
                    "{} of {} a month is above the guideline of {} for this household",
                    category.replace('_', " "),
                    Pence(*amount),
                    Pence(limit)
                )
            })
        })
        .collect()
}

/// The most instalments a schedule lists (ten years of weekly payments).
pub const MAX_INSTALMENTS: u32 = 520;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Inside policy: the plan starts at once.
    WithinPolicy,
    /// Outside policy but not refused: an officer reviews it, with these reasons.
    NeedsReview(Vec<String>),
}

/// Check an offered instalment against the quote. `Err` when it must be refused outright
/// (below the floor, or so small the schedule would never end).
pub fn decide(
    offered: Pence,
    req: &PlanRequest<'_>,
    quote: &Quote,
) -> Result<Decision, FieldError> {
    if offered < quote.floor_instalment {
        return Err(FieldError::new(
            "instalment_pence",
            format!(
                "below the minimum of {} per {} payment",
                quote.floor_instalment,
                req.frequency.as_str().replace('_', "-")
            ),
        ));
    }
    if instalments_needed(req.arrears, offered) > i64::from(MAX_INSTALMENTS) {
        return Err(FieldError::new(
            "instalment_pence",
            format!("would take more than {MAX_INSTALMENTS} payments to clear the arrears"),
        ));
    }
    let mut reasons = quote.concerns.clone();
    if offered < quote.min_instalment {
        reasons.push(format!(
            "{} per payment takes longer than the policy's limit to clear {}",
            offered, req.arrears
        ));
    }
    if offered > quote.max_instalment {
        reasons.push(format!(
            "{} per payment is more than the {} the statement leaves over",
            offered, quote.max_instalment
        ));
    }
    reasons.dedup();
    Ok(if reasons.is_empty() {
        Decision::WithinPolicy
    } else {
        Decision::NeedsReview(reasons)
    })
}

fn instalments_needed(arrears: Pence, instalment: Pence) -> i64 {
    if instalment.0 <= 0 {
        return i64::MAX;
    }
    // At most the arrears in pence (an instalment of 1p), so it fits.
    div_round(i128::from(arrears.0.max(0)), i128::from(instalment.0), true) as i64
}

/// An offered instalment the plan can be made of: more than zero, within the bound on any one
/// amount (`MAX_ROW_AMOUNT_PENCE`), and no more than the arrears plus the charge for one period
/// (weekly charge converted to the plan's frequency, rounded up). Above that it is a slip of the
/// keyboard, not an offer: issue 15's plan agreed to pay £10,000,000,000,000 against £421.
pub fn check_instalment(
    instalment: Pence,
    arrears: Pence,
    weekly_charge: Pence,
    frequency: Frequency,
    max_amount: Pence,
) -> Result<(), FieldError> {
    let refuse = |reason: String| Err(FieldError::new("instalment_pence", reason));
    if instalment.0 <= 0 {
        return refuse("must be more than zero".into());
    }
    if !instalment.within(max_amount) {
        return refuse(format!("must be at most {max_amount}"));
    }
    let period_charge = weekly_to_period(weekly_charge.max(Pence::ZERO), frequency, true);
    let most = arrears.max(Pence::ZERO) + period_charge;
    if instalment > most {
        return refuse(format!(
            "{instalment} is more than the arrears of {} plus one {} charge of {period_charge} \
             (at most {most})",
            arrears.max(Pence::ZERO),
            frequency.as_str().replace('_', "-")
        ));
    }
    Ok(())
}

/// The payments that clear `arrears` at `instalment` per period (the last one the remainder).
pub fn schedule(
    arrears: Pence,
    instalment: Pence,
    rent_per_period: Pence,
    frequency: Frequency,
    first: NaiveDate,
) -> Vec<ScheduledPayment> {
    let n = instalments_needed(arrears, instalment).min(i64::from(MAX_INSTALMENTS));
    let mut left = arrears;
    (0..n as u32)
        .map(|k| {
            let amount = instalment.min(left);
            left -= amount;
            ScheduledPayment {
                due: instalment_date(first, frequency, k),
                instalment: amount,
                rent: rent_per_period,
                arrears_after: left,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn statement(income: i64, fixed: i64, food: i64) -> Statement {
        Statement {
            household: Household {
                adults: 1,
                children: 1,
                ..Household::default()
            },
            income: [("earnings".to_owned(), income)].into(),
            fixed_costs: [("rent".to_owned(), fixed)].into(),
            flexible_costs: [("food_and_housekeeping".to_owned(), food)].into(),
            ..Statement::default()
        }
    }

    fn req(s: &Statement, arrears: i64, f: Frequency) -> PlanRequest<'_> {
        PlanRequest {
            arrears: Pence(arrears),
            tenant_weekly_rent: Pence(10_000),
            statement: s,
            frequency: f,
            first_date: d(2026, 12, 7),
        }
    }

    #[test]
    fn unknown_categories_and_negative_amounts_name_their_field() {
        let mut s = statement(100_000, 40_000, 20_000);
        s.income.insert("lottery".into(), 5);
        s.fixed_costs.insert("gas".into(), -1);
        s.savings_contribution = -3;
        s.household.adults = 0;
        let fields: Vec<String> = s
            .validate(Pence::DEFAULT_MAX_ROW_AMOUNT)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "statement.income.lottery",
                "statement.fixed_costs.gas",
                "statement.savings_contribution",
                "statement.household.adults"
            ]
        );
        assert!(
            statement(1, 1, 1)
                .validate(Pence::DEFAULT_MAX_ROW_AMOUNT)
                .is_empty()
        );
    }

    #[test]
    fn amounts_no_household_has_are_refused_before_they_are_added_up() {
        let mut s = statement(i64::MAX, 40_000, 20_000);
        s.fixed_costs.insert("water".into(), i64::MAX);
        s.flexible_costs.insert("personal_costs".into(), i64::MAX);
        s.savings_contribution = i64::MAX;
        s.priority_debt_payments = 1_000_000_001;
        s.non_priority_debt_payments = 1_000_000_000;
        let errors = s.validate(Pence::DEFAULT_MAX_ROW_AMOUNT);
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "statement.income.earnings",
                "statement.fixed_costs.water",
                "statement.flexible_costs.personal_costs",
                "statement.savings_contribution",
                "statement.priority_debt_payments",
            ]
        );
        assert_eq!(errors[0].reason, "must be at most £10,000,000.00 a month");
    }

    #[test]
    fn totals_of_an_unvalidated_statement_saturate_and_the_checked_one_says_so() {
        let mut s = statement(i64::MAX, 40_000, 20_000);
        s.income.insert("benefits".into(), i64::MAX);
        assert_eq!(s.total_income(), Pence(i64::MAX));
        assert_eq!(s.checked_disposable_monthly(), None);
        s.fixed_costs.insert("water".into(), i64::MAX);
        s.savings_contribution = i64::MAX;
        // Spending saturates too; nothing panics, and the quote still comes back.
        assert_eq!(s.total_expenditure(), Pence(i64::MAX));
        let q = quote(&req(&s, 10_000, Frequency::Monthly), &PlanPolicy::default());
        assert_eq!(q.monthly_income, Pence(i64::MAX));
        assert_eq!(
            statement(100_000, 40_000, 20_000).checked_disposable_monthly(),
            Some(Pence(40_000))
        );
    }

    #[test]
    fn period_conversions_of_huge_amounts_saturate() {
        let max = Pence(i64::MAX);
        assert_eq!(weekly_to_period(max, Frequency::Monthly, true), max);
        assert_eq!(weekly_to_period(max, Frequency::FourWeekly, false), max);
        assert_eq!(
            monthly_to_period(max, Frequency::Weekly, false),
            Pence((i128::from(i64::MAX) * 12 / 52) as i64)
        );
        // An instalment of a penny against the largest arrears: no overflow in the count.
        assert_eq!(instalments_needed(max, Pence(1)), i64::MAX);
        assert_eq!(
            schedule(max, Pence(1), Pence(0), Frequency::Weekly, d(2026, 12, 7)).len(),
            520
        );
    }

    #[test]
    fn an_instalment_above_the_arrears_and_the_periods_charge_is_refused() {
        let max = Pence::DEFAULT_MAX_ROW_AMOUNT;
        let weekly = Pence(10_000);
        // £421 of arrears, £100 a week: at most £521 a week, £621 a fortnight, £854.34 a month.
        let arrears = Pence(42_100);
        let ok = |i: i64, f| check_instalment(Pence(i), arrears, weekly, f, max);
        assert_eq!(ok(52_100, Frequency::Weekly), Ok(()));
        assert_eq!(ok(62_100, Frequency::Fortnightly), Ok(()));
        assert_eq!(ok(85_434, Frequency::Monthly), Ok(()));
        for (i, f, most) in [
            (52_101, Frequency::Weekly, "£521.00"),
            (62_101, Frequency::Fortnightly, "£621.00"),
            (82_101, Frequency::FourWeekly, "£821.00"),
            (85_435, Frequency::Monthly, "£854.34"),
        ] {
            let e = ok(i, f).unwrap_err();
            assert_eq!(e.field, "instalment_pence");
            assert!(e.reason.contains(most), "{f:?}: {}", e.reason);
        }
        // The case: 10^15 pence against £421.
        let e = ok(1_000_000_000_000_000, Frequency::Weekly).unwrap_err();
        assert_eq!(e.field, "instalment_pence");
        assert!(e.reason.contains("£10,000,000.00"), "{}", e.reason);
        assert!(ok(i64::MAX, Frequency::Monthly).is_err());
        // Even on an account whose figures are nonsense: refused, no overflow.
        assert!(
            check_instalment(
                Pence(i64::MAX),
                Pence(i64::MAX),
                Pence(i64::MAX),
                Frequency::Monthly,
                max
            )
            .is_err()
        );
        assert_eq!(
            check_instalment(Pence(0), arrears, weekly, Frequency::Weekly, max)
                .unwrap_err()
                .reason,
            "must be more than zero"
        );
    }

    #[test]
    fn conversions_between_weeks_months_and_periods() {
        // £100/week is £433.34 a month rounded up, £433.33 down.
        assert_eq!(
            weekly_to_period(Pence(10_000), Frequency::Monthly, true),
            Pence(43_334)
        );
        assert_eq!(
            weekly_to_period(Pence(10_000), Frequency::Monthly, false),
            Pence(43_333)
        );
        assert_eq!(
            weekly_to_period(Pence(10_000), Frequency::FourWeekly, true),
            Pence(40_000)
        );
        // £520 a month is £120 a week, £240 a fortnight.
        assert_eq!(
            monthly_to_period(Pence(52_000), Frequency::Weekly, false),
            Pence(12_000)
        );
        assert_eq!(
            monthly_to_period(Pence(52_000), Frequency::Fortnightly, false),
            Pence(24_000)
        );
    }

    #[test]
    fn quote_ranges_from_clearing_in_104_weeks_up_to_the_surplus() {
        // £1,200 in, £700 rent, £300 food: £200/month left = £46.15/week.
        let s = statement(120_000, 70_000, 30_000);
        let q = quote(&req(&s, 52_000, Frequency::Weekly), &PlanPolicy::default());
        assert_eq!(q.disposable_monthly, Pence(20_000));
        assert_eq!(q.max_instalment, Pence(4_615));
        // £520 over 104 weeks is £5/week.
        assert_eq!(q.min_instalment, Pence(500));
        assert_eq!(q.floor_instalment, Pence(100));
        assert_eq!(q.suggested_instalment, Some(Pence(500)));
        assert_eq!(q.rent_per_period, Pence(10_000));
        assert!(q.concerns.is_empty(), "{:?}", q.concerns);
        // Small arrears: the £1/week floor is the minimum.
        let q = quote(&req(&s, 5_000, Frequency::Weekly), &PlanPolicy::default());
        assert_eq!(q.min_instalment, Pence(100));
        // Monthly: 24 months in 104 weeks; £520 → £21.67.
        let q = quote(&req(&s, 52_000, Frequency::Monthly), &PlanPolicy::default());
        assert_eq!(q.min_instalment, Pence(2_167));
        assert_eq!(q.max_instalment, Pence(20_000));
    }

    /// Standard Financial Statement order: rent arrears are a priority debt, so the surplus for
    /// them is taken before any non-priority debt payment; other priority debts (council tax,
    /// energy arrears…) come before them too; non-priority creditors share what is left. The
    /// same table is in docs/arrangements.md#standard-financial-statement-priority-debts-first ("Standard Financial Statement: priority debts first").
    #[test]
    fn sfs_priority_debts_before_non_priority_rent_arrears_surplus() {
        // £1,200 income, £700 rent, £300 food: £200 a month before any debt payment.
        // (other priority payments, non-priority payments, surplus for rent arrears, weekly
        //  maximum instalment, left for non-priority after the suggested £5 a week (£21.67 a
        //  month), a concern about the non-priority payments)
        let cases = [
            (0, 0, 20_000, 4_615, 17_833, false),
            // £150 to cards and loans: not taken off first (before the fix: £50 surplus).
            (0, 15_000, 20_000, 4_615, 17_833, false),
            // £190 to cards: more than the £178.33 left after the rent arrears: a concern.
            (0, 19_000, 20_000, 4_615, 17_833, true),
            // £50 council tax arrears (priority) comes off before the rent arrears.
            (5_000, 0, 15_000, 3_461, 12_833, false),
            // Both: priority £50 first, then rent arrears, then £150 non-priority > £128.33 left.
            (5_000, 15_000, 15_000, 3_461, 12_833, true),
        ];
        for (priority, non_priority, surplus, max_weekly, left, concern) in cases {
            let mut s = statement(120_000, 70_000, 30_000);
            s.priority_debt_payments = priority;
            s.non_priority_debt_payments = non_priority;
            let q = quote(&req(&s, 52_000, Frequency::Weekly), &PlanPolicy::default());
            let case = format!("priority {priority}, non-priority {non_priority}");
            assert_eq!(q.disposable_monthly, Pence(surplus), "{case}");
            assert_eq!(q.max_instalment, Pence(max_weekly), "{case}");
            assert_eq!(q.suggested_instalment, Some(Pence(500)), "{case}");
            assert_eq!(q.left_for_non_priority, Pence(left), "{case}");
            assert_eq!(
                q.concerns.iter().any(|c| c.contains("non-priority")),
                concern,
                "{case}: {:?}",
                q.concerns
            );
        }
    }

    #[test]
    fn decisions_refuse_below_the_floor_and_review_outside_policy() {
        let s = statement(120_000, 70_000, 30_000);
        let r = req(&s, 52_000, Frequency::Weekly);
        let q = quote(&r, &PlanPolicy::default());
        assert_eq!(decide(Pence(500), &r, &q), Ok(Decision::WithinPolicy));
        assert_eq!(decide(Pence(4_615), &r, &q), Ok(Decision::WithinPolicy));
        let err = decide(Pence(99), &r, &q).unwrap_err();
        assert_eq!(err.field, "instalment_pence");
        assert!(err.reason.contains("£1.00"), "{}", err.reason);
        match decide(Pence(300), &r, &q) {
            Ok(Decision::NeedsReview(reasons)) => {
                assert!(reasons[0].contains("longer than"), "{reasons:?}")
            }
            other => panic!("{other:?}"),
        }
        match decide(Pence(5_000), &r, &q) {
            Ok(Decision::NeedsReview(reasons)) => {
                assert!(reasons[0].contains("more than"), "{reasons:?}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn no_surplus_and_spending_over_guidelines_need_an_officer() {
        let s = statement(100_000, 90_000, 30_000);
        let r = req(&s, 10_000, Frequency::Weekly);
        let q = quote(&r, &PlanPolicy::default());
        assert_eq!(q.suggested_instalment, None);
        assert!(q.concerns.iter().any(|c| c.contains("at or above income")));
        // One adult and one child: food guideline £400 + £150 = £550.
        let s = statement(300_000, 70_000, 60_000);
        let q = quote(&req(&s, 10_000, Frequency::Weekly), &PlanPolicy::default());
        assert_eq!(q.concerns.len(), 1, "{:?}", q.concerns);
        assert!(q.concerns[0].contains("£550.00"), "{:?}", q.concerns);
        assert!(matches!(
            decide(Pence(500), &req(&s, 10_000, Frequency::Weekly), &q),
            Ok(Decision::NeedsReview(_))
        ));
    }

    #[test]
    fn schedule_clears_exactly_with_a_smaller_last_payment() {
        let plan = schedule(
            Pence(1_050),
            Pence(500),
            Pence(10_000),
            Frequency::Monthly,
            d(2026, 1, 31),
        );
        let dues: Vec<_> = plan.iter().map(|p| p.due).collect();
        assert_eq!(dues, [d(2026, 1, 31), d(2026, 2, 28), d(2026, 3, 31)]);
        let amounts: Vec<_> = plan.iter().map(|p| p.instalment.0).collect();
        assert_eq!(amounts, [500, 500, 50]);
        assert_eq!(plan.last().unwrap().arrears_after, Pence::ZERO);
        assert!(
            schedule(
                Pence(0),
                Pence(500),
                Pence(0),
                Frequency::Weekly,
                d(2026, 1, 5)
            )
            .is_empty()
        );
    }

    #[test]
    fn an_offer_that_would_never_finish_is_refused() {
        let s = statement(10_000_000, 0, 0);
        let r = req(&s, 10_000_000, Frequency::Weekly);
        let q = quote(&r, &PlanPolicy::default());
        let err = decide(Pence(100), &r, &q).unwrap_err();
        assert!(err.reason.contains("520"), "{}", err.reason);
    }
}
