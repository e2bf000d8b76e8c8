//! Early-intervention triggers (issue 4): when the software should reach out, and why.
//!
//! Each rule is a pure function of the account's facts, its ledger and `today`, and answers with
//! a [`Trigger`] carrying the rule id, the step, the facts that fired it (for the action diary:
//! every automated action is explainable) and a `period` that goes into the message's
//! idempotency key, so the same event can never produce the same message twice.
//!
//! This module decides *whether* something happened. Whether and when a tenant may be contacted
//! is `contact_policy`'s decision; which channel and template is the sequence data's.

use crate::Pence;
use crate::arrangements::{
    Arrangement, Instalment, InstalmentStatus, adherence, schedule_dates, tenant_paid,
};
use crate::arrears::{AccountSummary, ArrearsStatus};
use crate::benefits::BenefitIncome;
use crate::ledger::{LedgerEntry, TransactionKind};
use crate::outreach::types::{
    ARREARS_THRESHOLD, BROKEN_ARRANGEMENT, DIRECT_DEBIT_OFFER, HB_REDUCED, HB_STOPPED,
    MISSED_PAYMENT, SequenceStep, StepTime, ThresholdLevel, Trigger, UC_APA_REQUEST,
    UC_DEDUCTION_REQUEST, UC_NEW_CLAIM,
};
use crate::tenancy::Frequency;
use chrono::{Duration, NaiveDate};
use std::collections::BTreeMap;

fn facts<const N: usize>(pairs: [(&str, String); N]) -> BTreeMap<String, String> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn fmt_date(d: NaiveDate) -> String {
    d.format("%-d %b %Y").to_string()
}

/// **Missed payment**: the tenant's own expected payment (their pattern: amount, frequency, one
/// due date) not received by its due date plus `grace_days`. Looks at the latest due date whose
/// grace has run out, within the last fortnight (older misses were someone's business already).
/// Never fires for technical arrears: if the summary shows no real arrears, nothing is missed
/// that a due UC/HB payment won't cover.
pub fn missed_payment(
    self_pay: Option<(Pence, Frequency, NaiveDate)>,
    summary: &AccountSummary,
    entries: &[LedgerEntry],
    today: NaiveDate,
    grace_days: u32,
) -> Option<Trigger> {
    let (amount, frequency, anchor) = self_pay?;
    if summary.status != ArrearsStatus::InArrears {
        return None;
    }
    let latest_lapsed = today - Duration::days(i64::from(grace_days));
    let due =
        *schedule_dates(anchor, frequency, today - Duration::days(14), latest_lapsed).last()?;
    // A payment up to three days early counts for it (people pay before the weekend).
    let paid = tenant_paid(entries, due - Duration::days(3), today);
    // Anything under 90% of it is a miss; a few pence short is not worth a message.
    if paid * 10 >= amount * 9 {
        return None;
    }
    Some(Trigger {
        rule: MISSED_PAYMENT,
        step: "reminder".into(),
        period: due.to_string(),
        reason: format!(
            "expected payment of {amount} due {} not received",
            fmt_date(due)
        ),
        facts: facts([
            ("due", due.to_string()),
            ("expected_pence", amount.0.to_string()),
            ("received_pence", paid.0.to_string()),
            ("real_arrears_pence", summary.real_arrears.0.to_string()),
        ]),
    })
}

/// **Broken arrangement**: the earliest instalment still missed or part-paid after its grace
/// days. The first break warns the tenant (the protocol requires a warning with clear time limits
/// before proceedings); from `officer_task_after` missed instalments the officer acts.
pub fn broken_arrangement(
    arrangement: &Arrangement,
    entries: &[LedgerEntry],
    today: NaiveDate,
    grace_days: u32,
    officer_task_after: u32,
) -> Option<Trigger> {
    let plan = adherence(arrangement, entries, today, grace_days);
    let broken: Vec<&Instalment> = plan
        .iter()
        .filter(|i| {
            matches!(
                i.status,
                InstalmentStatus::Missed | InstalmentStatus::PartPaid
            )
        })
        .collect();
    let first = broken.first()?;
    let step = if broken.len() < officer_task_after.max(1) as usize {
        "warning"
    } else {
        "officer_task"
    };
    Some(Trigger {
        rule: BROKEN_ARRANGEMENT,
        step: step.into(),
        period: format!(
            "{}:{}",
            arrangement.start_date,
            broken.last().map_or(first.due, |i| i.due)
        ),
        reason: format!(
            "{} instalment{} of the plan agreed {} not paid (first due {})",
            broken.len(),
            if broken.len() == 1 { "" } else { "s" },
            fmt_date(arrangement.start_date),
            fmt_date(first.due)
        ),
        facts: facts([
            ("arrangement_start", arrangement.start_date.to_string()),
            ("instalments_missed", broken.len().to_string()),
            ("first_missed_due", first.due.to_string()),
            ("instalment_pence", arrangement.instalment.0.to_string()),
        ]),
    })
}

/// **Arrears threshold crossed**: real arrears (never technical) at or above one of `levels`
/// (weeks of the weekly charge, or months of rent: weekly × 52 ÷ 12 × n — 2 months is the UC
/// Managed Payment request threshold, docs/payments-and-technical-arrears.md#managed-payments-uc-apa-and-housing-benefit-pay-dates). Answers the highest crossed; the period is
/// the level and rent year, so each fires once a year however long the account stays above it.
pub fn arrears_threshold(summary: &AccountSummary, levels: &[ThresholdLevel]) -> Option<Trigger> {
    let weekly = summary.weekly_charge;
    if weekly.0 <= 0 || summary.real_arrears.0 <= 0 {
        return None;
    }
    let (l, level) = levels
        .iter()
        .filter_map(|l| Some((l, threshold_level(weekly, l.weeks, l.months)?)))
        .filter(|(_, level)| summary.real_arrears >= *level)
        .max_by_key(|(_, level)| *level)?;
    let name = l.id.as_str();
    let year = crate::calendar::RentYear::containing(summary.as_of);
    Some(Trigger {
        rule: ARREARS_THRESHOLD,
        step: name.into(),
        period: format!("{name}:{}", year.label()),
        reason: format!(
            "arrears of {} reached {} ({level})",
            summary.real_arrears,
            name.replace('_', " ")
        ),
        facts: facts([
            ("threshold", name.to_owned()),
            ("threshold_pence", level.0.to_string()),
            ("real_arrears_pence", summary.real_arrears.0.to_string()),
        ]),
    })
}

/// `weeks` of the weekly charge, or `months` of it (× 52 ÷ 12).
fn threshold_level(weekly: Pence, weeks: Option<u32>, months: Option<u32>) -> Option<Pence> {
    match (weeks, months) {
        (Some(w), _) => Some(weekly * i64::from(w)),
        (None, Some(m)) => Some(weekly.mul_div(52 * i64::from(m), 12)),
        (None, None) => None,
    }
}

/// When an officer should request a Managed Payment to Landlord (docs/payments-and-technical-arrears.md#managed-payments-uc-apa-and-housing-benefit-pay-dates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApaLevels {
    /// Real arrears of this many months' rent (2). 0 = the rule is off.
    pub months: u32,
    /// Or one month's rent after continual underpayment: less paid than charged in each of
    /// this many consecutive months up to today (0: not this way).
    pub underpaid_months: u32,
}

/// Paid less than was charged in each of the `months` consecutive months ending `today`.
fn underpaid_each_month(entries: &[LedgerEntry], today: NaiveDate, months: u32) -> bool {
    let start = |k: u32| {
        // The day after the same date `k` months back (or that month's last day).
        today
            .checked_sub_months(chrono::Months::new(k))
            .unwrap_or(today)
            + Duration::days(1)
    };
    months > 0
        && (0..months).all(|k| {
            let (from, to) = (start(k + 1), start(k) - Duration::days(1));
            entries
                .iter()
                .filter(|e| e.posted_on >= from && e.posted_on <= to)
                .map(|e| e.amount)
                .sum::<Pence>()
                > Pence::ZERO
        })
}

/// **Request a Managed Payment to Landlord** (an officer task): a UC claimant whose real arrears
/// reach `levels.months` of rent (docs/payments-and-technical-arrears.md: 2 months), or one month's rent after continual
/// underpayment — the landlord may ask DWP for an APA. Once per claim.
pub fn uc_apa_request(
    summary: &AccountSummary,
    claim_start: NaiveDate,
    levels: ApaLevels,
    entries: &[LedgerEntry],
    today: NaiveDate,
) -> Option<Trigger> {
    let months = levels.months;
    if months == 0 || summary.weekly_charge.0 <= 0 {
        return None;
    }
    let level = threshold_level(summary.weekly_charge, None, Some(months))?;
    let one_month = threshold_level(summary.weekly_charge, None, Some(1))?;
    let (level, why) = if summary.real_arrears >= level {
        (level, format!("over {months} months' rent, {level}"))
    } else if summary.real_arrears >= one_month
        && underpaid_each_month(entries, today, levels.underpaid_months)
    {
        (
            one_month,
            format!(
                "over a month's rent, {one_month}, and less paid than charged in each of the \
                 last {} months",
                levels.underpaid_months
            ),
        )
    } else {
        return None;
    };
    Some(Trigger {
        rule: UC_APA_REQUEST,
        step: "officer_task".into(),
        period: claim_start.to_string(),
        reason: format!(
            "Universal Credit claimant with arrears of {} ({why}): request a Managed Payment to Landlord",
            summary.real_arrears
        ),
        facts: facts([
            ("claim_start", claim_start.to_string()),
            ("threshold_pence", level.0.to_string()),
            ("real_arrears_pence", summary.real_arrears.0.to_string()),
        ]),
    })
}

/// The Universal Credit standard allowance a month, by household, in pence: DWP's rates from
/// 8 April 2024 (docs/payments-and-technical-arrears.md#third-party-deductions-for-rent-arrears;
/// figures to update each April).
pub const UC_STANDARD_ALLOWANCES: [(&str, Pence); 4] = [
    ("single, under 25", Pence(31_168)),
    ("single, 25 or over", Pence(39_345)),
    ("couple, both under 25", Pence(48_923)),
    ("couple, one or both 25 or over", Pence(61_760)),
];

/// A third-party deduction for rent arrears is between 10% and 20% of the claimant's standard
/// allowance (The Universal Credit etc. (Claims and Payments) Regulations 2013 Sch 6 para 7,
/// paragraph not verified): the band a month, rounded down to the penny.
pub fn deduction_band(standard_allowance: Pence) -> (Pence, Pence) {
    (
        standard_allowance.mul_div(10, 100),
        standard_allowance.mul_div(20, 100),
    )
}

/// **Request a third-party deduction for rent arrears** (an officer task): a Universal Credit
/// claimant whose real arrears reach `months` of rent (the figure DWP's guidance gives for a
/// request, as for an APA: 2) and from whom no deduction is being received (none in the ledger
/// in the last 62 days). The task names the band for each household. Once per claim; `months`
/// 0: off.
pub fn uc_deduction_request(
    summary: &AccountSummary,
    claim_start: NaiveDate,
    months: u32,
    entries: &[LedgerEntry],
    today: NaiveDate,
) -> Option<Trigger> {
    if months == 0 || summary.weekly_charge.0 <= 0 {
        return None;
    }
    let level = threshold_level(summary.weekly_charge, None, Some(months))?;
    if summary.real_arrears < level {
        return None;
    }
    let receiving = entries.iter().any(|e| {
        e.kind == TransactionKind::ThirdPartyDeduction
            && e.posted_on > today - Duration::days(62)
            && e.posted_on <= today
    });
    if receiving {
        return None;
    }
    let bands: Vec<String> = UC_STANDARD_ALLOWANCES
        .iter()
        .map(|(who, allowance)| {
            let (low, high) = deduction_band(*allowance);
            format!("{who} {low} to {high}")
        })
        .collect();
    Some(Trigger {
        rule: UC_DEDUCTION_REQUEST,
        step: "officer_task".into(),
        period: claim_start.to_string(),
        reason: format!(
            "Universal Credit claimant with arrears of {} (over {months} months' rent, {level}) \
             and no deduction being paid: ask DWP for a third-party deduction for rent arrears. \
             DWP takes 10% to 20% of the standard allowance a month ({}); it may take less when \
             the claimant's deductions reach their overall cap. Tell the tenant: they can object.",
            summary.real_arrears,
            bands.join("; ")
        ),
        facts: facts([
            ("claim_start", claim_start.to_string()),
            ("threshold_pence", level.0.to_string()),
            ("real_arrears_pence", summary.real_arrears.0.to_string()),
        ]),
    })
}

/// **Offer a direct debit** (an officer task): a tenant in real arrears who pays by a method
/// other than direct debit, and paid nothing in at least `weeks_without_payment` of the last 8
/// rent weeks that were charged (Monday to Sunday, ending with the one before `today`'s). Once
/// per rent year.
pub fn direct_debit_offer(
    summary: &AccountSummary,
    pays_by_direct_debit: bool,
    entries: &[LedgerEntry],
    today: NaiveDate,
    weeks_without_payment: u32,
) -> Option<Trigger> {
    use chrono::Datelike;
    if pays_by_direct_debit || summary.status != ArrearsStatus::InArrears {
        return None;
    }
    let this_monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    // Only weeks the ledger covers count (a rent charge was posted): a short history is not
    // "paying nothing".
    let empty = (1..=8)
        .filter(|k| {
            let from = this_monday - Duration::weeks(*k);
            let to = from + Duration::days(6);
            let charged = entries.iter().any(|e| {
                e.kind == TransactionKind::RentDebit && e.posted_on >= from && e.posted_on <= to
            });
            charged && tenant_paid(entries, from, to).0 <= 0
        })
        .count();
    if empty < weeks_without_payment.max(1) as usize {
        return None;
    }
    let year = crate::calendar::RentYear::containing(today);
    Some(Trigger {
        rule: DIRECT_DEBIT_OFFER,
        step: "officer_task".into(),
        period: year.label(),
        reason: format!(
            "paid nothing in {empty} of the last 8 weeks and is {} behind: offer a direct debit",
            summary.real_arrears
        ),
        facts: facts([
            ("weeks_without_payment", empty.to_string()),
            ("real_arrears_pence", summary.real_arrears.0.to_string()),
        ]),
    })
}

/// **New UC claim**: the steps of `sequence` due by `today` and not more than `stale_days` late
/// (a claim imported weeks late does not get its day-0 welcome).
pub fn uc_claim_steps(
    sequence: &[SequenceStep],
    claim_start: NaiveDate,
    entries: &[LedgerEntry],
    today: NaiveDate,
    stale_days: i64,
) -> Vec<Trigger> {
    // UC pays monthly in arrears, 7 days after the first assessment period ends.
    let first_payment = crate::benefits::uc_first_payment_due(claim_start);
    sequence
        .iter()
        .filter_map(|step| {
            let at = match step.at {
                StepTime::AfterClaim(d) => claim_start + Duration::days(d),
                StepTime::AfterFirstPayment(d) => first_payment + Duration::days(d),
            };
            if at > today || (today - at).num_days() > stale_days {
                return None;
            }
            if step.only_if_unpaid {
                let paid = -entries
                    .iter()
                    .filter(|e| {
                        matches!(
                            e.kind,
                            TransactionKind::Payment
                                | TransactionKind::ReturnedDirectDebit
                                | TransactionKind::UniversalCredit
                        ) && e.posted_on >= first_payment - Duration::days(7)
                    })
                    .map(|e| e.amount)
                    .sum::<Pence>();
                if paid.0 > 0 {
                    return None;
                }
            }
            Some(Trigger {
                rule: UC_NEW_CLAIM,
                step: step.id.clone(),
                period: format!("{claim_start}:{}", step.id),
                reason: format!(
                    "new Universal Credit claim of {}, first payment due {}",
                    fmt_date(claim_start),
                    fmt_date(first_payment)
                ),
                facts: facts([
                    ("claim_start", claim_start.to_string()),
                    ("first_payment_due", first_payment.to_string()),
                    ("template", step.template.clone()),
                ]),
            })
        })
        .collect()
}

/// **Housing Benefit stopped or reduced**: the latest expected HB payment is more than
/// `grace_days` late with nothing received since the previous one (stopped), or the latest
/// received is more than 5% below the one before (reduced).
pub fn hb_change(
    income: &BenefitIncome,
    entries: &[LedgerEntry],
    today: NaiveDate,
    grace_days: u32,
) -> Option<Trigger> {
    let BenefitIncome::HousingBenefit {
        weekly_amount,
        ends_on,
        ..
    } = *income
    else {
        return None;
    };
    // The HB team's data says the claim ended: the officer finds out why and helps with a new
    // claim (or Universal Credit) before arrears build up. Old news (over 4 weeks) is not.
    if let Some(end) = ends_on
        && end < today
    {
        return ((today - end).num_days() <= 28).then(|| Trigger {
            rule: HB_STOPPED,
            step: "officer_task".into(),
            period: format!("ended:{end}"),
            reason: format!(
                "Housing Benefit of {weekly_amount} a week ended on {}: find out why and help with a new claim",
                fmt_date(end)
            ),
            facts: facts([
                ("ends_on", end.to_string()),
                ("weekly_pence", weekly_amount.0.to_string()),
            ]),
        });
    }
    let received: Vec<&LedgerEntry> = entries
        .iter()
        .filter(|e| {
            e.kind == TransactionKind::HousingBenefit && e.amount.0 < 0 && e.posted_on <= today
        })
        .collect();
    let lapsed = today - Duration::days(i64::from(grace_days));
    let expected = crate::benefits::expected_between(income, today - Duration::days(56), lapsed);
    if let Some(last_due) = expected.last()
        && !received
            .iter()
            .any(|e| e.posted_on >= last_due.due - Duration::days(7))
    {
        return Some(Trigger {
            rule: HB_STOPPED,
            step: "officer_task".into(),
            period: last_due.due.to_string(),
            reason: format!(
                "Housing Benefit of {} due {} has not arrived",
                last_due.amount,
                fmt_date(last_due.due)
            ),
            facts: facts([
                ("due", last_due.due.to_string()),
                ("expected_pence", last_due.amount.0.to_string()),
            ]),
        });
    }
    let [.., previous, latest] = received.as_slice() else {
        return None;
    };
    let (prev, last) = (-previous.amount, -latest.amount);
    (last * 100 < prev * 95).then(|| Trigger {
        rule: HB_REDUCED,
        step: "officer_task".into(),
        period: latest.posted_on.to_string(),
        reason: format!(
            "Housing Benefit fell from {prev} to {last} ({})",
            fmt_date(latest.posted_on)
        ),
        facts: facts([
            ("previous_pence", prev.0.to_string()),
            ("latest_pence", last.0.to_string()),
            ("weekly_expected_pence", weekly_amount.0.to_string()),
        ]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arrears::{AccountFacts, summarise};
    use crate::outreach::types::default_uc_sequence;
    use crate::tenancy::ChargeSchedule;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn levels() -> Vec<ThresholdLevel> {
        ThresholdLevel::defaults()
    }

    fn schedule() -> ChargeSchedule {
        ChargeSchedule {
            start_date: ymd(2020, 4, 6),
            end_date: None,
            weekly_rent: Pence(10_000),
            weekly_service_charge: Pence::ZERO,
            rent_free_weeks: vec![],
            rent_free_only_when_clear: false,
            periodic_service_charge: None,
            rent_period: Default::default(),
            rent_changes: vec![],
        }
    }

    fn rents(from: NaiveDate, to: NaiveDate) -> Vec<LedgerEntry> {
        schedule()
            .charges_between(from, to, Pence::ZERO)
            .into_iter()
            .map(LedgerEntry::from)
            .collect()
    }

    fn paid(date: NaiveDate, kind: TransactionKind, pence: i64) -> LedgerEntry {
        LedgerEntry::credit(date, kind, Pence(pence))
    }

    fn summary(
        benefit: Option<BenefitIncome>,
        entries: &[LedgerEntry],
        today: NaiveDate,
    ) -> AccountSummary {
        let f = AccountFacts {
            schedule: schedule(),
            benefit,
            self_pay: None,
            benefit_grace_days: 3,
            timing: crate::benefits::BenefitTiming::default(),
            hb_run_on: None,
        };
        summarise(&f, entries, today)
    }

    const WEEKLY_TUESDAY: Option<(Pence, Frequency, NaiveDate)> = Some((
        Pence(10_000),
        Frequency::Weekly,
        NaiveDate::from_ymd_opt(2026, 1, 6).unwrap(),
    ));

    #[test]
    fn a_weekly_payer_who_skips_a_week_has_missed_a_payment_once_grace_runs_out() {
        let mut l = rents(ymd(2026, 11, 2), ymd(2026, 11, 16));
        l.push(paid(ymd(2026, 11, 3), TransactionKind::Payment, 10_000));
        l.push(paid(ymd(2026, 11, 10), TransactionKind::Payment, 10_000));
        // Nothing on Tuesday 17 Nov. With 2 days' grace it is missed from Thursday 19th.
        let on_wed = ymd(2026, 11, 18);
        assert_eq!(
            missed_payment(WEEKLY_TUESDAY, &summary(None, &l, on_wed), &l, on_wed, 2),
            None
        );
        let on_thu = ymd(2026, 11, 19);
        let t = missed_payment(WEEKLY_TUESDAY, &summary(None, &l, on_thu), &l, on_thu, 2).unwrap();
        assert_eq!((t.rule, t.period.as_str()), (MISSED_PAYMENT, "2026-11-17"));
        assert_eq!(
            t.reason,
            "expected payment of £100.00 due 17 Nov 2026 not received"
        );
        assert_eq!(t.facts["received_pence"], "0");
        // Paid late on the Thursday morning: nothing missed any more.
        l.push(paid(on_thu, TransactionKind::Payment, 10_000));
        assert_eq!(
            missed_payment(WEEKLY_TUESDAY, &summary(None, &l, on_thu), &l, on_thu, 2),
            None
        );
    }

    #[test]
    fn a_few_pence_short_is_not_a_miss_but_half_is() {
        let mut l = rents(ymd(2026, 11, 16), ymd(2026, 11, 16));
        l.push(paid(ymd(2026, 11, 17), TransactionKind::Payment, 9_500));
        let today = ymd(2026, 11, 20);
        assert_eq!(
            missed_payment(WEEKLY_TUESDAY, &summary(None, &l, today), &l, today, 2),
            None
        );
        let mut half = rents(ymd(2026, 11, 16), ymd(2026, 11, 16));
        half.push(paid(ymd(2026, 11, 17), TransactionKind::Payment, 5_000));
        assert!(
            missed_payment(
                WEEKLY_TUESDAY,
                &summary(None, &half, today),
                &half,
                today,
                2
            )
            .is_some()
        );
    }

    #[test]
    fn technical_arrears_never_count_as_a_missed_payment() {
        // A new UC claimant whose rent is unpaid only because UC has not arrived.
        let uc = Some(BenefitIncome::UniversalCredit {
            monthly_housing: Pence(43_333),
            claim_start: ymd(2026, 11, 1),
            paid_to_landlord: false,
            ends_on: None,
        });
        let l = rents(ymd(2026, 11, 9), ymd(2026, 11, 16));
        let today = ymd(2026, 11, 20);
        let s = summary(uc, &l, today);
        assert_eq!(s.status, ArrearsStatus::TechnicalOnly);
        assert_eq!(missed_payment(WEEKLY_TUESDAY, &s, &l, today, 2), None);
        assert_eq!(arrears_threshold(&s, &levels()), None);
    }

    fn plan() -> Arrangement {
        Arrangement {
            start_date: ymd(2026, 10, 5),
            frequency: Frequency::Weekly,
            instalment: Pence(11_000),
            end_date: None,
            includes_rent: false,
        }
    }

    #[test]
    fn one_unpaid_instalment_warns_and_a_second_asks_the_officer() {
        let mut l = vec![paid(ymd(2026, 10, 5), TransactionKind::Payment, 11_000)];
        // 12 Oct unpaid: broken from 20 Oct (7 days' grace).
        assert_eq!(
            broken_arrangement(&plan(), &l, ymd(2026, 10, 19), 7, 2),
            None
        );
        let first = broken_arrangement(&plan(), &l, ymd(2026, 10, 20), 7, 2).unwrap();
        assert_eq!(
            (first.rule, first.step.as_str()),
            (BROKEN_ARRANGEMENT, "warning")
        );
        assert_eq!(
            first.reason,
            "1 instalment of the plan agreed 5 Oct 2026 not paid (first due 12 Oct 2026)"
        );
        // Catching up ends the break.
        l.push(paid(ymd(2026, 10, 21), TransactionKind::Payment, 22_000));
        assert_eq!(
            broken_arrangement(&plan(), &l, ymd(2026, 10, 22), 7, 2),
            None
        );
        // Then nothing for 26 Oct and 2 Nov: two instalments down by 10 Nov.
        let second = broken_arrangement(&plan(), &l, ymd(2026, 11, 10), 7, 2).unwrap();
        assert_eq!(second.step, "officer_task");
        assert_eq!(second.facts["instalments_missed"], "2");
        assert_ne!(first.period, second.period);
    }

    #[test]
    fn thresholds_use_real_arrears_and_name_the_highest_crossed() {
        let today = ymd(2026, 11, 23);
        let l = rents(ymd(2026, 9, 21), today); // 10 weeks unpaid
        let t = arrears_threshold(&summary(None, &l, today), &levels()).unwrap();
        // 2 months = 100 × 52 × 2 ÷ 12 = £866.66 < £1,000, and 8 weeks = £800.
        assert_eq!(
            (t.rule, t.step.as_str(), t.period.as_str()),
            (ARREARS_THRESHOLD, "2_months", "2_months:2026/27")
        );
        let three = rents(ymd(2026, 11, 9), today);
        assert_eq!(
            arrears_threshold(&summary(None, &three, today), &levels())
                .unwrap()
                .step,
            "2_weeks"
        );
        let one = rents(today, today);
        assert_eq!(
            arrears_threshold(&summary(None, &one, today), &levels()),
            None
        );
    }

    #[test]
    fn a_council_can_ask_for_the_officer_from_the_first_break_and_set_its_own_levels() {
        let l = vec![paid(ymd(2026, 10, 5), TransactionKind::Payment, 11_000)];
        let first = broken_arrangement(&plan(), &l, ymd(2026, 10, 20), 7, 1).unwrap();
        assert_eq!(first.step, "officer_task");
        let today = ymd(2026, 11, 23);
        let three = rents(ymd(2026, 11, 9), today); // 3 weeks unpaid
        let own = vec![ThresholdLevel {
            id: "3_weeks".into(),
            weeks: Some(3),
            months: None,
            message: None,
        }];
        let t = arrears_threshold(&summary(None, &three, today), &own).unwrap();
        assert_eq!(
            (t.step.as_str(), t.facts["threshold_pence"].as_str()),
            ("3_weeks", "30000")
        );
        assert_eq!(arrears_threshold(&summary(None, &three, today), &[]), None);
    }

    #[test]
    fn a_uc_claimant_two_months_behind_gets_an_apa_request_task_once_per_claim() {
        let today = ymd(2026, 11, 23);
        let claim = ymd(2026, 6, 1);
        let two = ApaLevels {
            months: 2,
            underpaid_months: 0,
        };
        // 8 weeks = £800 < 2 months (£866.66): not yet.
        let eight = rents(ymd(2026, 10, 5), today);
        let apa = |l: &[LedgerEntry], levels| {
            uc_apa_request(&summary(None, l, today), claim, levels, l, today)
        };
        assert_eq!(apa(&eight, two), None);
        let nine = rents(ymd(2026, 9, 21), today);
        let t = apa(&nine, two).unwrap();
        assert_eq!((t.rule, t.period.as_str()), (UC_APA_REQUEST, "2026-06-01"));
        assert_eq!(t.facts["threshold_pence"], "86666");
        let off = ApaLevels {
            months: 0,
            underpaid_months: 2,
        };
        assert_eq!(apa(&nine, off), None);
    }

    /// UC (Claims and Payments) Regs 2013 Sch 6 and DWP guidance: a deduction may be asked for
    /// at 2 months' rent of real arrears; 10% to 20% of the standard allowance.
    #[test]
    fn uc_claims_and_payments_sch_6_a_deduction_for_rent_arrears_is_asked_for_with_its_band() {
        // (standard allowance, 10%, 20%): DWP's April 2024 monthly rates.
        let table = [
            (31_168, 3_116, 6_233),
            (39_345, 3_934, 7_869),
            (48_923, 4_892, 9_784),
            (61_760, 6_176, 12_352),
        ];
        for (allowance, low, high) in table {
            assert_eq!(deduction_band(Pence(allowance)), (Pence(low), Pence(high)));
        }
        let today = ymd(2026, 11, 23);
        let claim = ymd(2026, 6, 1);
        let ask = |l: &[LedgerEntry], months| {
            uc_deduction_request(&summary(None, l, today), claim, months, l, today)
        };
        // (ledger, months, asked for)
        let eight = rents(ymd(2026, 10, 5), today);
        let nine = rents(ymd(2026, 9, 21), today);
        let mut receiving = rents(ymd(2026, 9, 7), today);
        receiving.push(paid(
            ymd(2026, 11, 2),
            TransactionKind::ThirdPartyDeduction,
            3_934,
        ));
        let mut stopped = rents(ymd(2026, 9, 7), today);
        stopped.push(paid(
            ymd(2026, 9, 2),
            TransactionKind::ThirdPartyDeduction,
            3_934,
        ));
        let table: [(&[LedgerEntry], u32, bool); 5] = [
            (&eight, 2, false),     // £800 < 2 months' rent (£866.66)
            (&nine, 2, true),       // £900
            (&nine, 0, false),      // the rule off
            (&receiving, 2, false), // a deduction paid 3 weeks ago
            (&stopped, 2, true),    // the last one 12 weeks ago
        ];
        for (ledger, months, asked) in table {
            let t = ask(ledger, months);
            assert_eq!(t.is_some(), asked, "{months} months: {t:?}");
            if let Some(t) = t {
                assert_eq!(
                    (t.rule, t.period.as_str()),
                    (UC_DEDUCTION_REQUEST, "2026-06-01")
                );
                assert!(
                    t.reason.contains("single, 25 or over £39.34 to £78.69"),
                    "{}",
                    t.reason
                );
                assert!(t.reason.contains("they can object"), "{}", t.reason);
            }
        }
    }

    #[test]
    fn a_month_behind_after_continual_underpayment_also_asks_for_an_apa() {
        let today = ymd(2026, 11, 23);
        let claim = ymd(2026, 6, 1);
        let levels = ApaLevels {
            months: 2,
            underpaid_months: 2,
        };
        let apa =
            |l: &[LedgerEntry]| uc_apa_request(&summary(None, l, today), claim, levels, l, today);
        // Rent £100 a week from 3 Aug; £60 a week paid every Monday: £40 short each week, so
        // about £640 (over a month's £433.33) behind and short in each of the last two months.
        let mut short = rents(ymd(2026, 8, 3), today);
        let mut d = ymd(2026, 8, 3);
        while d <= today {
            short.push(paid(d, TransactionKind::Payment, 6_000));
            d += Duration::weeks(1);
        }
        let t = apa(&short).expect("continual underpayment with a month behind");
        assert_eq!(t.facts["threshold_pence"], "43333");
        assert!(
            t.reason.contains("each of the last 2 months"),
            "{}",
            t.reason
        );
        // The same arrears, but the last month paid in full plus a bit: not continual.
        let mut caught_up = rents(ymd(2026, 8, 3), today);
        let mut d = ymd(2026, 8, 3);
        while d <= today {
            let pence = if d > ymd(2026, 10, 23) { 10_500 } else { 4_500 };
            caught_up.push(paid(d, TransactionKind::Payment, pence));
            d += Duration::weeks(1);
        }
        assert!(summary(None, &caught_up, today).real_arrears >= Pence(43_333));
        assert_eq!(apa(&caught_up), None);
        // Off: only the two-month level.
        let two_only = ApaLevels {
            months: 2,
            underpaid_months: 0,
        };
        assert_eq!(
            uc_apa_request(
                &summary(None, &short, today),
                claim,
                two_only,
                &short,
                today
            ),
            None
        );
    }

    #[test]
    fn an_irregular_payer_in_arrears_without_a_direct_debit_is_offered_one() {
        let today = ymd(2026, 11, 25); // Wednesday; last 8 weeks: 28 Sep .. 22 Nov
        let mut l = rents(ymd(2026, 9, 28), today);
        for d in [
            ymd(2026, 9, 29),
            ymd(2026, 10, 13),
            ymd(2026, 10, 27),
            ymd(2026, 11, 10),
            ymd(2026, 11, 17),
        ] {
            l.push(paid(d, TransactionKind::Payment, 10_000));
        }
        // Paid in 5 of 8 weeks: 3 empty weeks reach the default.
        let s = summary(None, &l, today);
        let t = direct_debit_offer(&s, false, &l, today, 3).unwrap();
        assert_eq!(
            (t.rule, t.facts["weeks_without_payment"].as_str()),
            (DIRECT_DEBIT_OFFER, "3")
        );
        assert_eq!(t.period, "2026/27");
        assert_eq!(direct_debit_offer(&s, false, &l, today, 4), None);
        assert_eq!(
            direct_debit_offer(&s, true, &l, today, 3),
            None,
            "already on DD"
        );
        let clear = vec![paid(ymd(2026, 9, 1), TransactionKind::Payment, 500_000)];
        assert_eq!(
            direct_debit_offer(&summary(None, &clear, today), false, &clear, today, 1),
            None,
            "not in arrears"
        );
    }

    #[test]
    fn a_new_uc_claim_gets_its_sequence_on_the_right_days() {
        let claim = ymd(2026, 10, 20); // first payment 26 Nov
        let seq = default_uc_sequence();
        let ids = |today| {
            uc_claim_steps(&seq, claim, &[], today, 7)
                .into_iter()
                .map(|t| t.step)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(ymd(2026, 10, 20)), ["day_0"]);
        assert!(
            ids(ymd(2026, 11, 10)).is_empty(),
            "day 0 is stale after a week"
        );
        assert_eq!(ids(ymd(2026, 11, 24)), ["first_payment_due"]);
        assert_eq!(
            ids(ymd(2026, 11, 29)),
            ["first_payment_due", "first_payment_check"]
        );
        // Once the tenant passed UC on, the check is not needed.
        let l = vec![paid(ymd(2026, 11, 27), TransactionKind::Payment, 43_000)];
        let after: Vec<_> = uc_claim_steps(&seq, claim, &l, ymd(2026, 11, 29), 7)
            .into_iter()
            .map(|t| t.step)
            .collect();
        assert_eq!(after, ["first_payment_due"]);
        assert_eq!(
            uc_claim_steps(&seq, claim, &[], ymd(2026, 10, 20), 7)[0].period,
            "2026-10-20:day_0"
        );
    }

    #[test]
    fn housing_benefit_that_stops_or_falls_is_noticed() {
        let hb = BenefitIncome::HousingBenefit {
            weekly_amount: Pence(8_000),
            first_pay_date: ymd(2026, 10, 5),
            ends_on: None,
        };
        let mut l = vec![
            paid(ymd(2026, 10, 5), TransactionKind::HousingBenefit, 32_000),
            paid(ymd(2026, 11, 2), TransactionKind::HousingBenefit, 32_000),
        ];
        assert_eq!(hb_change(&hb, &l, ymd(2026, 11, 20), 3), None);
        // The 30 Nov payment has not come by 4 Dec.
        let stopped = hb_change(&hb, &l, ymd(2026, 12, 4), 3).unwrap();
        assert_eq!(
            (stopped.rule, stopped.period.as_str()),
            (HB_STOPPED, "2026-11-30")
        );
        l.push(paid(
            ymd(2026, 11, 30),
            TransactionKind::HousingBenefit,
            24_000,
        ));
        let reduced = hb_change(&hb, &l, ymd(2026, 12, 4), 3).unwrap();
        assert_eq!(reduced.rule, HB_REDUCED);
        assert_eq!(
            reduced.reason,
            "Housing Benefit fell from £320.00 to £240.00 (30 Nov 2026)"
        );
    }

    #[test]
    fn an_hb_claim_the_hb_team_ended_is_an_officer_task_once_and_nothing_more_is_expected() {
        let hb = BenefitIncome::HousingBenefit {
            weekly_amount: Pence(8_000),
            first_pay_date: ymd(2026, 10, 5),
            ends_on: Some(ymd(2026, 11, 15)),
        };
        let l = vec![
            paid(ymd(2026, 10, 5), TransactionKind::HousingBenefit, 32_000),
            paid(ymd(2026, 11, 2), TransactionKind::HousingBenefit, 32_000),
        ];
        let t = hb_change(&hb, &l, ymd(2026, 11, 16), 3).unwrap();
        assert_eq!(
            (t.rule, t.period.as_str()),
            (HB_STOPPED, "ended:2026-11-15")
        );
        assert!(t.reason.contains("ended on 15 Nov 2026"), "{}", t.reason);
        // Same event, same period, however many nights it is seen; old news after 4 weeks.
        assert_eq!(
            hb_change(&hb, &l, ymd(2026, 12, 1), 3).unwrap().period,
            t.period
        );
        assert_eq!(hb_change(&hb, &l, ymd(2026, 12, 20), 3), None);
        // The last payment (30 Nov, for 2–29 Nov) is pro rata to the 15th: 14 days = 2 weeks.
        let due = crate::benefits::expected_between(&hb, ymd(2026, 11, 20), ymd(2027, 1, 31));
        assert_eq!(due.len(), 1);
        assert_eq!(
            (due[0].due, due[0].amount),
            (ymd(2026, 11, 30), Pence(16_000))
        );
    }
}
