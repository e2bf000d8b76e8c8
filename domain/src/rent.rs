//! The rent a tenancy is charged, over time and by period (issues 16 and 20;
//! docs/accounts-and-rent.md#rent-history-and-rent-periods).
//!
//! A tenancy's rent is a history of changes, each in force from its own date (social rents
//! change every April, service charges at other times), with the period the rent is payable
//! for (weekly, fortnightly, four-weekly or monthly). Every figure about a day — weeks in
//! arrears on a past day, the ground 8 threshold at a notice's deemed service date or at the
//! hearing — takes the rent in force that day ([`rent_on`]), never today's.
//!
//! Amounts are integer pence per rent period. The weekly equivalent of a non-weekly rent
//! ([`RentPeriod::weekly_equivalent`]) is rounded half up to the penny once, on the whole
//! period's charge: monthly × 12 ÷ 52, four-weekly ÷ 4, fortnightly ÷ 2.

use crate::Pence;
use crate::calendar::add_months_clamped;
use crate::money::ratio_hundredths;
use crate::vocabulary::named_enum;
use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// How often rent is payable under the tenancy (HA 1988 Sch 2 ground 8 and the notice periods
/// turn on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RentPeriod {
    #[default]
    Weekly,
    Fortnightly,
    FourWeekly,
    Monthly,
}

named_enum!(RentPeriod {
    Weekly => "weekly",
    Fortnightly => "fortnightly",
    FourWeekly => "four_weekly",
    Monthly => "monthly",
});

/// `amount × num ÷ den`, rounded half up (amounts are never negative here; a negative one is
/// rounded half away from zero).
fn scale(amount: Pence, num: i128, den: i128) -> Pence {
    let n = i128::from(amount.0) * num;
    let q = (n.abs() * 2 + den) / (den * 2);
    Pence::saturate(if n < 0 { -q } else { q })
}

/// `amount × num ÷ den`, rounded up: a threshold that is "at least" a part of a penny is met
/// only by the whole penny.
fn scale_up(amount: Pence, num: i128, den: i128) -> Pence {
    let n = i128::from(amount.0) * num;
    Pence::saturate(n.div_euclid(den) + i128::from(n.rem_euclid(den) != 0))
}

impl RentPeriod {
    /// A rent for this period as a weekly rent: monthly × 12 ÷ 52, four-weekly ÷ 4,
    /// fortnightly ÷ 2, rounded half up to the penny (docs/accounts-and-rent.md).
    pub fn weekly_equivalent(self, amount: Pence) -> Pence {
        match self {
            RentPeriod::Weekly => amount,
            RentPeriod::Fortnightly => scale(amount, 1, 2),
            RentPeriod::FourWeekly => scale(amount, 1, 4),
            RentPeriod::Monthly => scale(amount, 12, 52),
        }
    }

    /// A weekly rent as a rent for this period (the inverse, rounded half up): how a tenancy
    /// imported with only a weekly figure is carried onto its period.
    pub fn from_weekly(self, weekly: Pence) -> Pence {
        match self {
            RentPeriod::Weekly => weekly,
            RentPeriod::Fortnightly => weekly * 2,
            RentPeriod::FourWeekly => weekly * 4,
            RentPeriod::Monthly => scale(weekly, 52, 12),
        }
    }

    /// Days in one period, for the periods of whole weeks.
    fn days(self) -> Option<i64> {
        match self {
            RentPeriod::Weekly => Some(7),
            RentPeriod::Fortnightly => Some(14),
            RentPeriod::FourWeekly => Some(28),
            RentPeriod::Monthly => None,
        }
    }
}

/// The rent from one date on: what the housing system's rent history holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RentChange {
    /// The first day this rent is payable; also the first day of a rent period (a weekly
    /// tenancy's periods start on Mondays whatever this says).
    pub effective_from: NaiveDate,
    pub period: RentPeriod,
    /// Rent per period.
    pub rent: Pence,
    /// Service charges reserved as rent, per period.
    pub service_charge: Pence,
}

impl RentChange {
    /// Rent and service charge for one period.
    pub fn charge(&self) -> Pence {
        self.rent + self.service_charge
    }

    /// The whole charge as a weekly figure ([`RentPeriod::weekly_equivalent`]).
    pub fn weekly_charge(&self) -> Pence {
        self.period.weekly_equivalent(self.charge())
    }

    pub fn weekly_rent(&self) -> Pence {
        self.period.weekly_equivalent(self.rent)
    }

    /// The weekly charge less the weekly rent, so the two always add up to the weekly charge.
    pub fn weekly_service_charge(&self) -> Pence {
        self.weekly_charge() - self.weekly_rent()
    }

    /// A day on which one of this rent's periods starts: Monday for a weekly rent (the rent
    /// week), else `effective_from`.
    fn anchor(&self) -> NaiveDate {
        match self.period {
            RentPeriod::Weekly => {
                let back = i64::from(self.effective_from.weekday().num_days_from_monday());
                self.effective_from - Duration::days(back)
            }
            _ => self.effective_from,
        }
    }

    /// Is `d` the first day of one of this rent's periods?
    pub fn is_period_start(&self, d: NaiveDate) -> bool {
        let anchor = self.anchor();
        match self.period.days() {
            Some(step) => (d - anchor).num_days().rem_euclid(step) == 0,
            // Monthly on the anchor's day of the month, clamped at a short month's end.
            None => month_day_matches(anchor, d),
        }
    }

    /// Is `d` the last day of one of this rent's periods?
    pub fn is_period_end(&self, d: NaiveDate) -> bool {
        self.is_period_start(d + Duration::days(1))
    }

    /// The first day of the first period that begins strictly after `d`.
    pub fn next_period_start_after(&self, d: NaiveDate) -> NaiveDate {
        let mut n = d + Duration::days(1);
        // A month holds at most 31 days: the loop ends within one period.
        while !self.is_period_start(n) {
            n += Duration::days(1);
        }
        n
    }
}

/// Does `d` fall on the monthly anchor's day, clamped at month end (the 31st's periods start on
/// the 30th in a 30-day month)?
fn month_day_matches(anchor: NaiveDate, d: NaiveDate) -> bool {
    let last = last_day_of_month(d);
    d.day() == anchor.day().min(last)
}

fn last_day_of_month(d: NaiveDate) -> u32 {
    let first = d.with_day(1).unwrap_or(d);
    (add_months_clamped(first, 1) - Duration::days(1)).day()
}

/// The rent in force on `on`: the latest change effective on or before it. Before the first
/// change the history knows, the first change (the earliest rent known is the best figure
/// there is). `None` only for an empty history. The changes need not be sorted.
pub fn rent_on(changes: &[RentChange], on: NaiveDate) -> Option<&RentChange> {
    changes
        .iter()
        .filter(|c| c.effective_from <= on)
        .max_by_key(|c| c.effective_from)
        .or_else(|| changes.iter().min_by_key(|c| c.effective_from))
}

/// Weeks in arrears (in hundredths, rounded half up) on a day: real arrears ÷ the weekly
/// charge of the rent in force that day ([`RentChange::weekly_charge`]; a monthly rent on its
/// weekly equivalent). `None` when there is no charge to measure against.
pub fn weeks_in_arrears_hundredths(real_arrears: Pence, rent: &RentChange) -> Option<i64> {
    let weekly = rent.weekly_charge();
    (weekly.0 > 0)
        .then(|| ratio_hundredths(real_arrears, weekly))
        .flatten()
}

/// Ground 8's threshold (HA 1988 Sch 2 ground 8) for the rent in force on the day measured:
/// "weeks' rent" when rent is payable weekly or fortnightly (8 weeks, 13 under the Renters'
/// Rights Act), "months' rent" when payable monthly (2 months, 3 under the Renters' Rights Act).
/// Four-weekly rent is not named by the ground; it is measured in weeks here (8 weeks = two
/// four-week periods), which a lawyer should confirm (docs/possession.md#ground-8-and-notice-dates-by-rent-period).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ground8Threshold {
    /// The threshold in money.
    pub amount: Pence,
    /// How many of `unit`: 8 or 13 weeks, 2 or 3 months.
    pub count: i64,
    pub unit: ThresholdUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdUnit {
    Weeks,
    Months,
}

impl Ground8Threshold {
    /// "8 weeks' rent", "2 months' rent".
    pub fn words(&self) -> String {
        let unit = match self.unit {
            ThresholdUnit::Weeks => "weeks",
            ThresholdUnit::Months => "months",
        };
        format!("{} {unit}' rent", self.count)
    }
}

impl std::fmt::Display for Ground8Threshold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.words(), self.amount)
    }
}

/// [`Ground8Threshold`] for `weeks` (8 under the current regime, 13 under the Renters' Rights
/// Act) and the rent in force: a weekly or fortnightly rent exactly `weeks` weeks of it; a
/// four-weekly one the same in weeks; a monthly one `weeks` ÷ 4 months (8 → 2, 13 → 3).
/// A part penny is rounded up (the arrears must be at least the threshold).
pub fn ground_8_threshold(weeks: i64, rent: &RentChange) -> Ground8Threshold {
    let charge = rent.charge();
    let (amount, count, unit) = match rent.period {
        RentPeriod::Weekly => (charge * weeks, weeks, ThresholdUnit::Weeks),
        RentPeriod::Fortnightly => (
            scale_up(charge, i128::from(weeks), 2),
            weeks,
            ThresholdUnit::Weeks,
        ),
        RentPeriod::FourWeekly => (
            scale_up(charge, i128::from(weeks), 4),
            weeks,
            ThresholdUnit::Weeks,
        ),
        RentPeriod::Monthly => {
            let months = if weeks >= 13 { 3 } else { 2 };
            (charge * months, months, ThresholdUnit::Months)
        }
    };
    Ground8Threshold {
        amount,
        count,
        unit,
    }
}

/// The date specified in a notice that must not end before a notice to quit could (a secure
/// tenancy's NOSP, HA 1985 s83(5)): at least `min_days` after service (4 weeks, Protection from
/// Eviction Act 1977 s5) and at least one full rent period — the whole of a period beginning
/// after the day of service — and on the last or first day of a rent period, whichever comes
/// first. For a weekly Monday tenancy this is the first Sunday or Monday at least 4 weeks on.
pub fn notice_to_quit_date(served_on: NaiveDate, min_days: i64, rent: &RentChange) -> NaiveDate {
    let full_period_ends =
        rent.next_period_start_after(rent.next_period_start_after(served_on)) - Duration::days(1);
    let mut d = (served_on + Duration::days(min_days)).max(full_period_ends);
    while !(rent.is_period_start(d) || rent.is_period_end(d)) {
        d += Duration::days(1);
    }
    d
}

/// A weekly rent on Mondays: what every tenancy was before rent periods (the default period).
pub fn weekly_from(effective_from: NaiveDate, rent: Pence, service_charge: Pence) -> RentChange {
    RentChange {
        effective_from,
        period: RentPeriod::Weekly,
        rent,
        service_charge,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn change(from: NaiveDate, period: RentPeriod, rent: i64, sc: i64) -> RentChange {
        RentChange {
            effective_from: from,
            period,
            rent: Pence(rent),
            service_charge: Pence(sc),
        }
    }

    /// A weekly tenancy whose rent rose on Monday 6 April 2026 and again on Monday 5 April
    /// 2027, and whose service charge changed on Monday 5 October 2026.
    fn history() -> Vec<RentChange> {
        use RentPeriod::Weekly;
        vec![
            // Deliberately out of order: the history need not be sorted.
            change(d(2026, 10, 5), Weekly, 10_500, 1_000),
            change(d(2025, 4, 7), Weekly, 10_000, 800),
            change(d(2026, 4, 6), Weekly, 10_500, 800),
            change(d(2027, 4, 5), Weekly, 11_000, 1_000),
        ]
    }

    #[test]
    fn the_rent_in_force_on_a_day_is_the_latest_change_on_or_before_it() {
        let h = history();
        // (day, rent, service charge) a lawyer can check against the history above.
        let cases = [
            (d(2025, 1, 1), 10_000, 800), // before the first change known: the earliest
            (d(2025, 4, 7), 10_000, 800), // the day it takes effect
            (d(2026, 4, 5), 10_000, 800), // the Sunday before the April 2026 rise
            (d(2026, 4, 6), 10_500, 800), // the Monday of the rise
            (d(2026, 10, 4), 10_500, 800),
            (d(2026, 10, 5), 10_500, 1_000), // the service charge changes
            (d(2027, 4, 4), 10_500, 1_000),
            (d(2027, 4, 5), 11_000, 1_000),
            (d(2030, 1, 1), 11_000, 1_000), // no later change: the last stays in force
        ];
        for (day, rent, sc) in cases {
            let r = rent_on(&h, day).unwrap();
            assert_eq!((r.rent.0, r.service_charge.0), (rent, sc), "on {day}");
        }
        assert_eq!(rent_on(&[], d(2026, 1, 1)), None);
    }

    #[test]
    fn the_weekly_equivalent_of_a_rent_is_rounded_half_up_once() {
        use RentPeriod::*;
        // (period, rent per period, weekly equivalent)
        let cases = [
            (Weekly, 10_175, 10_175),
            (Fortnightly, 20_350, 10_175),
            (Fortnightly, 20_351, 10_176), // £203.51 ÷ 2 = £101.755 → £101.76
            (FourWeekly, 40_700, 10_175),
            (FourWeekly, 40_702, 10_176), // £407.02 ÷ 4 = £101.755 → £101.76
            (Monthly, 45_000, 10_385),    // £450 × 12 ÷ 52 = £103.846… → £103.85
            (Monthly, 52_000, 12_000),    // £520 × 12 ÷ 52 = £120 exactly
            (Monthly, 44_092, 10_175),    // £440.92 × 12 ÷ 52 = £101.750… → £101.75
            (Monthly, 0, 0),
        ];
        for (period, amount, weekly) in cases {
            assert_eq!(
                period.weekly_equivalent(Pence(amount)),
                Pence(weekly),
                "{period} {amount}"
            );
        }
        // And back: £101.75 a week is £440.92 a month (× 52 ÷ 12 = 440.916…).
        assert_eq!(Monthly.from_weekly(Pence(10_175)), Pence(44_092));
        assert_eq!(FourWeekly.from_weekly(Pence(10_175)), Pence(40_700));
    }

    #[test]
    fn weeks_in_arrears_on_a_day_use_the_rent_in_force_that_day() {
        use RentPeriod::*;
        let h = history();
        // (day, real arrears, weeks in arrears × 100)
        let cases = [
            (d(2026, 3, 30), 108_000, 1_000), // £1,080 ÷ £108.00 (2025–26 rent) = 10.00
            (d(2026, 4, 6), 108_000, 956),    // ÷ £113.00 after the April rise = 9.557 → 9.56
            (d(2026, 10, 5), 115_000, 1_000), // ÷ £115.00 after the service charge change
            (d(2027, 4, 5), 60_000, 500),     // ÷ £120.00 from April 2027 = 5.00
        ];
        for (day, arrears, want) in cases {
            let r = rent_on(&h, day).unwrap();
            assert_eq!(
                weeks_in_arrears_hundredths(Pence(arrears), r),
                Some(want),
                "on {day}"
            );
        }
        // A monthly rent of £450 is £103.85 a week: £830.80 owed is 8.00 weeks.
        let m = change(d(2026, 4, 1), Monthly, 45_000, 0);
        assert_eq!(weeks_in_arrears_hundredths(Pence(83_080), &m), Some(800));
        // No charge (a rent-free history): nothing to measure against.
        let free = change(d(2026, 4, 1), Weekly, 0, 0);
        assert_eq!(weeks_in_arrears_hundredths(Pence(100), &free), None);
    }

    #[test]
    fn ground_8_threshold_follows_the_rent_period() {
        use RentPeriod::*;
        use ThresholdUnit::*;
        // (period, rent + service charge per period, weeks under the regime,
        //  threshold, count, unit) — HA 1988 Sch 2 ground 8.
        let cases = [
            // Weekly £108: 8 weeks' rent £864; 13 weeks' £1,404.
            (Weekly, 10_800, 8, 86_400, 8, Weeks),
            (Weekly, 10_800, 13, 140_400, 13, Weeks),
            // Fortnightly £216: 8 weeks = 4 fortnights £864; 13 weeks = 6½ fortnights £1,404.
            (Fortnightly, 21_600, 8, 86_400, 8, Weeks),
            (Fortnightly, 21_600, 13, 140_400, 13, Weeks),
            // Fortnightly £216.01: 13 weeks is £1,404.065 → at least £1,404.07.
            (Fortnightly, 21_601, 13, 140_407, 13, Weeks),
            // Four-weekly £432 (not named by the ground; measured in weeks): 2 periods £864.
            (FourWeekly, 43_200, 8, 86_400, 8, Weeks),
            (FourWeekly, 43_200, 13, 140_400, 13, Weeks),
            // Monthly £468: 2 months' rent £936 (current), 3 months' £1,404 (Renters' Rights).
            (Monthly, 46_800, 8, 93_600, 2, Months),
            (Monthly, 46_800, 13, 140_400, 3, Months),
        ];
        for (period, charge, weeks, amount, count, unit) in cases {
            let r = change(d(2026, 4, 6), period, charge, 0);
            assert_eq!(
                ground_8_threshold(weeks, &r),
                Ground8Threshold {
                    amount: Pence(amount),
                    count,
                    unit
                },
                "{period} {charge} {weeks}"
            );
        }
        // Service charges reserved as rent count in the threshold too.
        let r = change(d(2026, 4, 6), Monthly, 40_000, 6_800);
        assert_eq!(ground_8_threshold(8, &r).amount, Pence(93_600));
    }

    #[test]
    fn rent_period_boundaries() {
        use RentPeriod::*;
        // Monthly from the 31st: periods start on the last day of shorter months.
        let m31 = change(d(2026, 1, 31), Monthly, 45_000, 0);
        for (day, start) in [
            (d(2026, 1, 31), true),
            (d(2026, 2, 28), true),
            (d(2026, 3, 1), false),
            (d(2026, 3, 31), true),
            (d(2026, 4, 30), true),
            (d(2025, 12, 31), true), // before the anchor too
            (d(2025, 11, 30), true),
            (d(2025, 11, 29), false),
        ] {
            assert_eq!(m31.is_period_start(day), start, "{day}");
        }
        // Monthly from the 1st: periods end on the last day of each month.
        let m1 = change(d(2026, 4, 1), Monthly, 45_000, 0);
        assert!(m1.is_period_end(d(2026, 4, 30)));
        assert!(m1.is_period_end(d(2027, 2, 28)));
        assert!(!m1.is_period_end(d(2026, 4, 29)));
        // Fortnightly from Monday 6 April 2026: periods start 6 and 20 April, 4 May.
        let f = change(d(2026, 4, 6), Fortnightly, 21_600, 0);
        assert!(f.is_period_start(d(2026, 4, 20)));
        assert!(!f.is_period_start(d(2026, 4, 13)));
        assert!(f.is_period_start(d(2026, 3, 23)));
        // Weekly: every Monday, whatever day the change is dated.
        let w = change(d(2026, 4, 8), Weekly, 10_800, 0);
        assert!(w.is_period_start(d(2026, 4, 13)));
        assert!(w.is_period_end(d(2026, 4, 12)));
    }

    #[test]
    fn a_notice_to_quit_date_is_four_weeks_and_a_full_period_on_a_period_boundary() {
        use RentPeriod::*;
        // (rent period and first period day, deemed served, date specified)
        let cases = [
            // Weekly Monday rent, served Wednesday 25 Nov 2026: 4 weeks is Wed 23 Dec → the
            // next Sunday, 27 Dec (as before rent periods).
            (
                change(d(2026, 4, 6), Weekly, 10_800, 0),
                d(2026, 11, 25),
                d(2026, 12, 27),
            ),
            // Served on a Monday: 4 weeks on is a Monday, the first day of a period.
            (
                change(d(2026, 4, 6), Weekly, 10_800, 0),
                d(2026, 11, 23),
                d(2026, 12, 21),
            ),
            // Monthly from the 1st, served 25 Nov: a full month begins 1 Dec and ends 31 Dec,
            // later than 4 weeks (23 Dec): 31 Dec.
            (
                change(d(2026, 4, 1), Monthly, 45_000, 0),
                d(2026, 11, 25),
                d(2026, 12, 31),
            ),
            // Served on 1 Dec, the first day of a period: the full period is January's, so
            // 31 Jan (the conservative reading: a period beginning after service).
            (
                change(d(2026, 4, 1), Monthly, 45_000, 0),
                d(2026, 12, 1),
                d(2027, 1, 31),
            ),
            // Monthly from the 15th, served 2 Feb 2027: the full period is 15 Feb – 14 Mar.
            (
                change(d(2026, 4, 15), Monthly, 45_000, 0),
                d(2027, 2, 2),
                d(2027, 3, 14),
            ),
            // Fortnightly from Monday 6 Apr 2026, served Tue 24 Nov 2026: 4 weeks is Tue
            // 22 Dec; periods start Mon 14 and 28 Dec: the first boundary on or after 22 Dec
            // is Sunday 27 Dec (last day of the 14 Dec period).
            (
                change(d(2026, 4, 6), Fortnightly, 21_600, 0),
                d(2026, 11, 24),
                d(2026, 12, 27),
            ),
            // Four-weekly from Monday 6 Apr 2026 (periods start 16 Nov, 14 Dec, 11 Jan), served
            // Tue 24 Nov: the first full period is 14 Dec – 10 Jan, so Sunday 10 Jan 2027.
            (
                change(d(2026, 4, 6), FourWeekly, 43_200, 0),
                d(2026, 11, 24),
                d(2027, 1, 10),
            ),
        ];
        for (rent, served, want) in cases {
            assert_eq!(
                notice_to_quit_date(served, 28, &rent),
                want,
                "{} served {served}",
                rent.period
            );
        }
    }
}
