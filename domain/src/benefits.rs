//! When Housing Benefit and Universal Credit housing costs are due to arrive (docs/payments-and-technical-arrears.md#housing-benefit-four-weekly-in-arrears).
//!
//! - Housing Benefit to a housing association is paid four-weekly **in arrears**: a payment on
//!   a pay date covers the 28 days before it.
//! - Universal Credit is assessed over monthly assessment periods from the claim date and paid
//!   7 days after each period ends, so the first payment is about five weeks after the claim.
//!
//! Money that has accrued for days already charged but is not yet due (or is due but only a few
//! days late) is what makes *technical* arrears: arrears that exist only because the payment
//! has not arrived yet.

use crate::Pence;

/// How many days late a benefit payment (UC or HB) may be and still count as "due, not yet
/// received" (docs/payments-and-technical-arrears.md#technical-and-real-arrears): until then the arrears it will clear are *technical* arrears;
/// from the day after, they are *real* arrears, because the payment is no longer on its way.
/// Three days covers a payment posted over a weekend or a bank holiday. The store passes it
/// as [`crate::arrears::AccountFacts::benefit_grace_days`], and the Housing Benefit change
/// rule ([`crate::outreach::triggers::hb_change`]) gives a missing HB payment the same days
/// on the caseload and in campaign segments.
pub const BENEFIT_GRACE_DAYS: u32 = 3;
use crate::calendar::add_months_clamped;
use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BenefitIncome {
    HousingBenefit {
        weekly_amount: Pence,
        first_pay_date: NaiveDate,
        /// The last day of entitlement, when the HB team has ended the claim: nothing is
        /// expected for days after it (the last payment is pro rata).
        ends_on: Option<NaiveDate>,
    },
    UniversalCredit {
        monthly_housing: Pence,
        claim_start: NaiveDate,
        /// Managed Payment to Landlord: paid to us (else paid to the tenant, who pays us).
        paid_to_landlord: bool,
        /// The last day of an ended claim: the assessment period containing it is the last
        /// one paid ([`uc_period_start`]); none is expected for periods starting after it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ends_on: Option<NaiveDate>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectedPayment {
    pub due: NaiveDate,
    pub amount: Pence,
    pub covers_from: NaiveDate,
    pub covers_to: NaiveDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccruedBenefit {
    /// Accrued but not yet due (or due within grace) in total.
    pub amount: Pence,
    /// The earliest outstanding payment: when and how much.
    pub next_due: NaiveDate,
    pub next_amount: Pence,
}

/// A payment not yet received, with the part of it earned by days up to `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outstanding {
    pub payment: ExpectedPayment,
    pub accrued: Pence,
}

/// The first day of UC assessment period `k` (0 = the one starting on the first date of
/// entitlement, `claim_start`). The Universal Credit Regulations 2013 (SI 2013/376) reg 21:
/// (1) an assessment period is a month beginning with the first date of entitlement, and each
/// later month; (2) each begins on the same day of each month, except (a) when the first date
/// of entitlement is the 31st, each begins on the **last day of the month** (28 or 29
/// February, 30 April, …), and (b) when it is the 29th or 30th, each begins on the 29th or 30th
/// **except in February, when it begins on the 27th, or the 28th in a leap year**. A claim on
/// the 1st to the 28th is never affected.
pub fn uc_period_start(claim_start: NaiveDate, k: u32) -> NaiveDate {
    let month_start = add_months_clamped(claim_start.with_day(1).unwrap_or(claim_start), k);
    let (y, m) = (month_start.year(), month_start.month());
    let leap = NaiveDate::from_ymd_opt(y, 2, 29).is_some();
    let last_day = add_months_clamped(month_start, 1)
        .pred_opt()
        .map_or(28, |d| d.day());
    let day = match claim_start.day() {
        // reg 21(2)(a)
        31 => last_day,
        // reg 21(2)(b)
        29 | 30 if m == 2 => {
            if leap {
                28
            } else {
                27
            }
        }
        // reg 21(2): the same day each month (the 29th and 30th exist outside February).
        d => d.min(last_day),
    };
    NaiveDate::from_ymd_opt(y, m, day).unwrap_or(month_start)
}

/// When benefit money reaches the rent account, beyond the benefit's own rules (settings
/// `APA_LAG_DAYS`, `APA_CYCLE_DAYS`, `HB_PAY_LAG_DAYS`; docs/payments-and-technical-arrears.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BenefitTiming {
    /// A managed payment (UC APA) is expected this many days after the tenant's own UC payment
    /// date while none has been received on the account to learn DWP's schedule from (default
    /// 14: "typically about two weeks after").
    pub apa_lag_days: u32,
    /// DWP's landlord payment cycle (default 28: four-weekly).
    pub apa_cycle_days: u32,
    /// Days between the last day a four-weekly HB payment covers and its pay date (default 0:
    /// the payment on a pay date covers the 28 days before it).
    pub hb_pay_lag_days: u32,
}

impl Default for BenefitTiming {
    fn default() -> BenefitTiming {
        BenefitTiming {
            apa_lag_days: 14,
            apa_cycle_days: 28,
            hb_pay_lag_days: 0,
        }
    }
}

/// Managed payments (UC APA) as DWP pays them to the landlord (docs/payments-and-technical-arrears.md#managed-payments-uc-apa-and-housing-benefit-pay-dates): on its own cycle
/// (`apa_cycle_days`), not on the tenant's payment date. The housing costs of an assessment
/// period are expected in DWP's first run on or after the tenant's payment date for it. The
/// runs are learned from the managed payments already received (`received`: the dates of UC
/// credits on the account, any order): the latest one fixes the cycle. While none has arrived,
/// each is expected `apa_lag_days` after the tenant's payment date. Payments due in [from, to].
pub fn apa_expected_between(
    monthly: Pence,
    claim_start: NaiveDate,
    ends_on: Option<NaiveDate>,
    timing: &BenefitTiming,
    received: &[NaiveDate],
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<ExpectedPayment> {
    let cycle = i64::from(timing.apa_cycle_days.max(1));
    let anchor = received
        .iter()
        .filter(|d| **d >= claim_start)
        .max()
        .copied();
    let mut out = Vec::new();
    for k in 0.. {
        let tenant = uc_payment(monthly, claim_start, k);
        // An ended claim pays the assessment period its last day falls in, and no later one.
        if tenant.due > to || ends_on.is_some_and(|e| tenant.covers_from > e) {
            break;
        }
        let due = match anchor {
            // The first run on or after the tenant's payment date.
            Some(a) => {
                let days = (tenant.due - a).num_days();
                let runs = days.div_euclid(cycle) + i64::from(days.rem_euclid(cycle) != 0);
                a + Duration::days(runs * cycle)
            }
            None => tenant.due + Duration::days(i64::from(timing.apa_lag_days)),
        };
        if due >= from && due <= to {
            out.push(ExpectedPayment { due, ..tenant });
        }
    }
    out
}

/// How late a managed payment may be and still be "on its way": one whole cycle past its run
/// once the schedule is known (DWP skips a cycle now and then and pays two in the next), plus
/// the grace days; only the grace days while it is not.
pub fn apa_grace_days(timing: &BenefitTiming, schedule_known: bool, grace_days: u32) -> u32 {
    if schedule_known {
        timing.apa_cycle_days + grace_days
    } else {
        grace_days
    }
}

/// The part of each payment earned by days charged so far: days up to and including the Sunday
/// of the rent week `today` is in (rent is charged weekly in advance), rounded down.
pub fn accrue(payments: Vec<ExpectedPayment>, today: NaiveDate) -> Vec<Outstanding> {
    let charged_through = crate::calendar::monday_on_or_before(today) + Duration::days(6);
    payments
        .into_iter()
        .filter(|p| p.covers_from <= charged_through)
        .map(|p| {
            let period_days = (p.covers_to - p.covers_from).num_days() + 1;
            let days = ((charged_through - p.covers_from).num_days() + 1).clamp(0, period_days);
            let accrued = p.amount.mul_div(days, period_days);
            Outstanding {
                payment: p,
                accrued,
            }
        })
        .collect()
}

/// UC assessment period `k` (0 = the one starting on the claim date) and its payment.
/// UC pays monthly in arrears, 7 days after the assessment period ends. Periods start as UC
/// Regs 2013 reg 21(2) says ([`uc_period_start`]); each ends the day before the next starts.
fn uc_payment(monthly: Pence, claim_start: NaiveDate, k: u32) -> ExpectedPayment {
    let start = uc_period_start(claim_start, k);
    let end = uc_period_start(claim_start, k + 1) - Duration::days(1);
    ExpectedPayment {
        due: end + Duration::days(7),
        amount: monthly,
        covers_from: start,
        covers_to: end,
    }
}

/// When the first Universal Credit payment of a claim made on `claim_start` is due: 7 days
/// after the first monthly assessment period ends (about five weeks after claiming).
pub fn uc_first_payment_due(claim_start: NaiveDate) -> NaiveDate {
    uc_payment(Pence::ZERO, claim_start, 0).due
}

/// HB payment on `pay_date` covers the four weeks ending `lag_days` + 1 days before it.
/// Housing Benefit to a landlord is paid four-weekly in arrears: each payment covers the
/// [`HB_PERIOD_DAYS`] days before its pay date (less the configured lag), and pay dates are that
/// many days apart.
pub const HB_PERIOD_DAYS: i64 = 28;

/// Whether an HB entitlement that ends on `ends_on` ended before the period the payment on
/// `first_pay_date` pays for (the [`HB_PERIOD_DAYS`] days before it): such a first pay date
/// pays for nothing, so an import refuses the pair.
pub fn hb_ends_before_first_period(first_pay_date: NaiveDate, ends_on: NaiveDate) -> bool {
    ends_on < first_pay_date - Duration::days(HB_PERIOD_DAYS)
}

fn hb_payment(weekly: Pence, pay_date: NaiveDate, lag_days: u32) -> ExpectedPayment {
    let end = pay_date - Duration::days(1 + i64::from(lag_days));
    ExpectedPayment {
        due: pay_date,
        amount: weekly * 4,
        covers_from: end - Duration::days(HB_PERIOD_DAYS - 1),
        covers_to: end,
    }
}

/// Payments due in [from, to], in date order (default timing: HB covers the 28 days before its
/// pay date).
pub fn expected_between(
    income: &BenefitIncome,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<ExpectedPayment> {
    expected_between_with(income, &BenefitTiming::default(), from, to)
}

/// [`expected_between`] with the HB pay-date lag of `timing`. UC here is the tenant's payment
/// date; a managed payment's date to the landlord is [`apa_expected_between`].
pub fn expected_between_with(
    income: &BenefitIncome,
    timing: &BenefitTiming,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<ExpectedPayment> {
    let mut out = Vec::new();
    match *income {
        BenefitIncome::HousingBenefit {
            weekly_amount,
            first_pay_date,
            ends_on,
        } => {
            // Pay dates run every 28 days either side of the one we know.
            let offset = (from - first_pay_date)
                .num_days()
                .div_euclid(HB_PERIOD_DAYS);
            let mut pay = first_pay_date + Duration::days(offset * HB_PERIOD_DAYS);
            while pay <= to {
                let mut p = hb_payment(weekly_amount, pay, timing.hb_pay_lag_days);
                if let Some(end) = ends_on {
                    if p.covers_from > end {
                        break;
                    }
                    if p.covers_to > end {
                        // Pro rata for the days up to the end of entitlement.
                        let days = (end - p.covers_from).num_days() + 1;
                        p.amount = weekly_amount.mul_div(days, 7);
                        p.covers_to = end;
                    }
                }
                if pay >= from {
                    out.push(p);
                }
                pay += Duration::days(HB_PERIOD_DAYS);
            }
        }
        BenefitIncome::UniversalCredit {
            monthly_housing,
            claim_start,
            ends_on,
            ..
        } => {
            for k in 0.. {
                let p = uc_payment(monthly_housing, claim_start, k);
                if p.due > to || ends_on.is_some_and(|e| p.covers_from > e) {
                    break;
                }
                if p.due >= from {
                    out.push(p);
                }
            }
        }
    }
    out
}

/// The first payment due strictly after `today`.
pub fn next_due_after(income: &BenefitIncome, today: NaiveDate) -> Option<ExpectedPayment> {
    expected_between(
        income,
        today + Duration::days(1),
        today + Duration::days(62),
    )
    .into_iter()
    .next()
}

/// Payments due after `today − grace_days` whose period has begun by the end of the rent week
/// already charged, each with the amount accrued pro rata by days up to and including that
/// Sunday (rounded down to the penny). Rent is debited weekly *in advance* on Mondays, so the
/// benefit for the rest of this week is as much "on its way" as the days already past: counting
/// only to today would show a new UC claimant's timing gap as real arrears.
pub fn outstanding(income: &BenefitIncome, today: NaiveDate, grace_days: u32) -> Vec<Outstanding> {
    outstanding_with(income, &BenefitTiming::default(), today, grace_days)
}

/// [`outstanding`] with the HB pay-date lag of `timing`.
pub fn outstanding_with(
    income: &BenefitIncome,
    timing: &BenefitTiming,
    today: NaiveDate,
    grace_days: u32,
) -> Vec<Outstanding> {
    let from = today - Duration::days(i64::from(grace_days));
    accrue(
        expected_between_with(income, timing, from, today + Duration::days(62)),
        today,
    )
}

pub fn accrued_not_yet_due(
    income: &BenefitIncome,
    today: NaiveDate,
    grace_days: u32,
) -> Option<AccruedBenefit> {
    summarise_outstanding(&outstanding(income, today, grace_days))
}

/// Total accrued and the earliest payment among `items`; None when nothing has accrued.
pub fn summarise_outstanding(items: &[Outstanding]) -> Option<AccruedBenefit> {
    let first = items.iter().min_by_key(|o| o.payment.due)?;
    let amount: Pence = items.iter().map(|o| o.accrued).sum();
    (amount.0 > 0).then_some(AccruedBenefit {
        amount,
        next_due: first.payment.due,
        next_amount: first.payment.amount,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_hb_end_before_the_28_days_the_first_payment_covers_is_refused() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        // Paid on 30 Nov for 2 – 29 Nov.
        assert!(!hb_ends_before_first_period(d(11, 30), d(11, 2)));
        assert!(hb_ends_before_first_period(d(11, 30), d(11, 1)));
    }

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn uc(claim: NaiveDate) -> BenefitIncome {
        BenefitIncome::UniversalCredit {
            monthly_housing: Pence(46_800),
            claim_start: claim,
            paid_to_landlord: false,
            ends_on: None,
        }
    }

    #[test]
    fn the_first_uc_payment_comes_a_month_and_seven_days_after_the_claim() {
        let p = expected_between(&uc(ymd(2026, 10, 20)), ymd(2026, 10, 1), ymd(2027, 1, 31));
        let dues: Vec<_> = p.iter().map(|p| p.due).collect();
        assert_eq!(
            dues,
            [ymd(2026, 11, 26), ymd(2026, 12, 26), ymd(2027, 1, 26)]
        );
        assert_eq!(
            (p[0].covers_from, p[0].covers_to),
            (ymd(2026, 10, 20), ymd(2026, 11, 19))
        );
    }

    /// UC Regs 2013 reg 21(2): claims whose first date of entitlement is the 29th, 30th or
    /// 31st. The same table is in docs/calendar.md#universal-credit-assessment-periods ("Universal Credit assessment periods").
    #[test]
    fn uc_regs_2013_reg_21_2_assessment_periods_for_claims_on_the_29th_to_31st() {
        // (first date of entitlement, the first day of periods 0, 1, 2, 3)
        type Ymd = (i32, u32, u32);
        let cases: [(Ymd, [Ymd; 4]); 9] = [
            // reg 21(2)(b): the 30th, February on the 27th (2027 is not a leap year).
            (
                (2027, 1, 30),
                [(2027, 1, 30), (2027, 2, 27), (2027, 3, 30), (2027, 4, 30)],
            ),
            // reg 21(2)(b): the 29th, February on the 27th.
            (
                (2027, 1, 29),
                [(2027, 1, 29), (2027, 2, 27), (2027, 3, 29), (2027, 4, 29)],
            ),
            // reg 21(2)(b) in a leap year: February on the 28th (not the 29th).
            (
                (2028, 1, 29),
                [(2028, 1, 29), (2028, 2, 28), (2028, 3, 29), (2028, 4, 29)],
            ),
            (
                (2028, 1, 30),
                [(2028, 1, 30), (2028, 2, 28), (2028, 3, 30), (2028, 4, 30)],
            ),
            // reg 21(2)(a): the 31st, each period on the last day of the month.
            (
                (2027, 1, 31),
                [(2027, 1, 31), (2027, 2, 28), (2027, 3, 31), (2027, 4, 30)],
            ),
            (
                (2028, 1, 31),
                [(2028, 1, 31), (2028, 2, 29), (2028, 3, 31), (2028, 4, 30)],
            ),
            // A claim on the 30th of November: the February period starts on the 27th.
            (
                (2026, 11, 30),
                [(2026, 11, 30), (2026, 12, 30), (2027, 1, 30), (2027, 2, 27)],
            ),
            // A claim on the 31st of August: 30 September, 31 October, 30 November.
            (
                (2026, 8, 31),
                [(2026, 8, 31), (2026, 9, 30), (2026, 10, 31), (2026, 11, 30)],
            ),
            // The 28th and earlier: the same day every month, February included.
            (
                (2027, 1, 28),
                [(2027, 1, 28), (2027, 2, 28), (2027, 3, 28), (2027, 4, 28)],
            ),
        ];
        for ((y, m, d), starts) in cases {
            for (k, (sy, sm, sd)) in starts.into_iter().enumerate() {
                assert_eq!(
                    uc_period_start(ymd(y, m, d), k as u32),
                    ymd(sy, sm, sd),
                    "claim {y}-{m}-{d}, period {k}"
                );
            }
        }
        // Each period ends the day before the next starts, and is paid 7 days after its end:
        // a claim on 30 Jan 2027 has its first period 30 Jan–26 Feb, paid 5 Mar; the second
        // 27 Feb–29 Mar, paid 5 Apr.
        let p = expected_between(&uc(ymd(2027, 1, 30)), ymd(2027, 1, 1), ymd(2027, 4, 30));
        let periods: Vec<_> = p
            .iter()
            .map(|p| (p.covers_from, p.covers_to, p.due))
            .collect();
        assert_eq!(
            periods[..2],
            [
                (ymd(2027, 1, 30), ymd(2027, 2, 26), ymd(2027, 3, 5)),
                (ymd(2027, 2, 27), ymd(2027, 3, 29), ymd(2027, 4, 5)),
            ]
        );
    }

    #[test]
    fn a_claim_on_the_31st_has_periods_clamped_to_month_end() {
        let p = expected_between(&uc(ymd(2026, 1, 31)), ymd(2026, 1, 1), ymd(2026, 5, 31));
        let periods: Vec<_> = p
            .iter()
            .map(|p| (p.covers_from, p.covers_to, p.due))
            .collect();
        assert_eq!(
            periods,
            [
                (ymd(2026, 1, 31), ymd(2026, 2, 27), ymd(2026, 3, 6)),
                (ymd(2026, 2, 28), ymd(2026, 3, 30), ymd(2026, 4, 6)),
                (ymd(2026, 3, 31), ymd(2026, 4, 29), ymd(2026, 5, 6)),
            ]
        );
    }

    #[test]
    fn housing_benefit_is_paid_four_weekly_in_arrears() {
        let hb = BenefitIncome::HousingBenefit {
            weekly_amount: Pence(8_400),
            first_pay_date: ymd(2026, 10, 5),
            ends_on: None,
        };
        let p = expected_between(&hb, ymd(2026, 9, 1), ymd(2026, 12, 31));
        let dues: Vec<_> = p.iter().map(|p| p.due).collect();
        assert_eq!(
            dues,
            [
                ymd(2026, 9, 7),
                ymd(2026, 10, 5),
                ymd(2026, 11, 2),
                ymd(2026, 11, 30),
                ymd(2026, 12, 28)
            ]
        );
        assert_eq!(p[2].amount, Pence(33_600));
        assert_eq!(
            (p[2].covers_from, p[2].covers_to),
            (ymd(2026, 10, 5), ymd(2026, 11, 1))
        );
        assert_eq!(
            next_due_after(&hb, ymd(2026, 11, 25)).unwrap().due,
            ymd(2026, 11, 30)
        );
    }

    #[test]
    fn uc_accrues_through_the_rent_week_already_charged_until_it_is_paid() {
        let income = uc(ymd(2026, 10, 20));
        // Monday 16 Nov: rent is charged to Sunday 22nd. The first period (20 Oct – 19 Nov) is
        // all earned (468) and the second has run 3 of its 30 days (20–22 Nov): 46.80.
        let a = accrued_not_yet_due(&income, ymd(2026, 11, 16), 3).unwrap();
        assert_eq!(a.amount, Pence(46_800 + 4_680));
        assert_eq!(
            (a.next_due, a.next_amount),
            (ymd(2026, 11, 26), Pence(46_800))
        );
        // Wednesday 25 Nov: charged to 29 Nov, 10 days of the second period.
        let b = accrued_not_yet_due(&income, ymd(2026, 11, 25), 3).unwrap();
        assert_eq!(b.amount, Pence(46_800 + 46_800 * 10 / 30));
        // Three days late still counts as not yet received; four days late does not.
        let c = accrued_not_yet_due(&income, ymd(2026, 11, 29), 3).unwrap();
        assert_eq!(c.next_due, ymd(2026, 11, 26));
        let d = accrued_not_yet_due(&income, ymd(2026, 11, 30), 3).unwrap();
        assert_eq!(d.next_due, ymd(2026, 12, 26));
        assert_eq!(d.amount, Pence(46_800 * 17 / 30)); // 20 Nov – 6 Dec
        // Nothing accrues for a rent week that ends before the claim.
        assert_eq!(accrued_not_yet_due(&income, ymd(2026, 10, 18), 3), None);
        // The week the claim starts in: 20–25 Oct of the week charged on Monday 19th.
        assert_eq!(
            accrued_not_yet_due(&income, ymd(2026, 10, 19), 3)
                .unwrap()
                .amount,
            Pence(46_800 * 6 / 31)
        );
    }

    #[test]
    fn hb_accrues_over_the_four_weeks_before_its_pay_date() {
        let hb = BenefitIncome::HousingBenefit {
            weekly_amount: Pence(8_400),
            first_pay_date: ymd(2026, 10, 5),
            ends_on: None,
        };
        // Wednesday 25 Nov, rent charged to Sunday 29th: the payment of 30 Nov covers 2–29 Nov,
        // all of it earned.
        let a = accrued_not_yet_due(&hb, ymd(2026, 11, 25), 3).unwrap();
        assert_eq!(a.amount, Pence(33_600));
        // Monday 2 Nov (that day's payment received is not this function's business): the
        // 30 Nov payment has earned the week charged today, 7 of 28 days.
        let b = outstanding(&hb, ymd(2026, 11, 2), 0);
        assert_eq!(
            b.iter()
                .find(|o| o.payment.due == ymd(2026, 11, 30))
                .unwrap()
                .accrued,
            Pence(8_400)
        );
        assert_eq!(a.next_due, ymd(2026, 11, 30));
    }
}
