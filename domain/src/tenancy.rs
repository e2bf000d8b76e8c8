//! What a rent account is: tenure, how rent is charged, how the tenant pays — and the debits
//! that follow from it (docs/accounts-and-rent.md#rent-free-weeks): weekly in advance on Mondays, rent-free weeks by rent-week
//! number, a pro-rata first and last week, and leaseholders' periodic service charges.

use crate::Pence;
use crate::calendar::{RentYear, monday_on_or_after};
use crate::ledger::{LedgerEntry, TransactionKind};
use crate::rent::{RentChange, RentPeriod};
use crate::vocabulary::named_enum;
use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tenure {
    Secure,
    Assured,
    Starter,
    Leasehold,
    SharedOwnership,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    Weekly,
    Fortnightly,
    FourWeekly,
    Monthly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceChargeFrequency {
    Annual,
    HalfYearly,
    Quarterly,
}

named_enum!(Tenure {
    Secure => "secure",
    Assured => "assured",
    Starter => "starter",
    Leasehold => "leasehold",
    SharedOwnership => "shared_ownership",
});

named_enum!(Frequency {
    Weekly => "weekly",
    Fortnightly => "fortnightly",
    FourWeekly => "four_weekly",
    Monthly => "monthly",
});

named_enum!(ServiceChargeFrequency {
    Annual => "annual",
    HalfYearly => "half_yearly",
    Quarterly => "quarterly",
});

impl ServiceChargeFrequency {
    /// Week offsets within the rent year on which the charge is debited.
    fn week_offsets(self) -> &'static [i64] {
        match self {
            ServiceChargeFrequency::Annual => &[0],
            ServiceChargeFrequency::HalfYearly => &[0, 26],
            ServiceChargeFrequency::Quarterly => &[0, 13, 26, 39],
        }
    }
}

/// weekly × days ÷ 7, rounded half up to the penny (pro-rata part weeks).
fn pro_rata(weekly: Pence, days: i64) -> Pence {
    Pence::saturate((i128::from(weekly.0) * i128::from(days) * 2 + 7) / 14)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargeSchedule {
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub weekly_rent: Pence,
    pub weekly_service_charge: Pence,
    /// 1-based rent-week numbers with no debit.
    pub rent_free_weeks: Vec<u32>,
    pub rent_free_only_when_clear: bool,
    pub periodic_service_charge: Option<(Pence, ServiceChargeFrequency)>,
    /// How often rent is payable (weekly unless the tenancy says otherwise).
    #[serde(default)]
    pub rent_period: RentPeriod,
    /// The rent by effective date ([`crate::rent`]); empty when the housing system gave no
    /// history, and then `weekly_rent` and `weekly_service_charge` are the rent throughout.
    #[serde(default)]
    pub rent_changes: Vec<RentChange>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    pub date: NaiveDate,
    pub kind: TransactionKind,
    pub amount: Pence,
}

/// A charge the schedule generates, posted as the housing system would post it.
impl From<Charge> for LedgerEntry {
    fn from(c: Charge) -> LedgerEntry {
        LedgerEntry {
            posted_on: c.date,
            kind: c.kind,
            amount: c.amount,
            method: None,
        }
    }
}

impl ChargeSchedule {
    /// Today's weekly charge as the tenancy row holds it. A figure about a day uses
    /// [`ChargeSchedule::weekly_charge_on`].
    pub fn weekly_charge(&self) -> Pence {
        self.weekly_rent + self.weekly_service_charge
    }

    /// The rent in force on `on` ([`crate::rent::rent_on`]); without a history, the current
    /// weekly figures carried onto the tenancy's rent period.
    pub fn rent_on(&self, on: NaiveDate) -> RentChange {
        match crate::rent::rent_on(&self.rent_changes, on) {
            Some(r) => *r,
            None => RentChange {
                effective_from: self.start_date,
                period: self.rent_period,
                rent: self.rent_period.from_weekly(self.weekly_rent),
                service_charge: self.rent_period.from_weekly(self.weekly_service_charge),
            },
        }
    }

    /// The weekly charge (weekly equivalent for a non-weekly rent) in force on `on`.
    pub fn weekly_charge_on(&self, on: NaiveDate) -> Pence {
        match crate::rent::rent_on(&self.rent_changes, on) {
            Some(r) => r.weekly_charge(),
            None => self.weekly_charge(),
        }
    }

    /// Weekly rent and service charge in force on `on`.
    fn weekly_parts_on(&self, on: NaiveDate) -> (Pence, Pence) {
        match crate::rent::rent_on(&self.rent_changes, on) {
            Some(r) => (r.weekly_rent(), r.weekly_service_charge()),
            None => (self.weekly_rent, self.weekly_service_charge),
        }
    }

    fn is_rent_free(&self, monday: NaiveDate) -> bool {
        let year = RentYear::containing(monday);
        let week = year.week_of(monday);
        self.rent_free_weeks.contains(&week)
    }

    fn active_on(&self, date: NaiveDate) -> bool {
        date >= self.start_date && self.end_date.is_none_or(|end| date <= end)
    }

    /// Every debit posted in [from, to], in date order (rent before service charge on a day).
    /// `balance_before` is the balance at `from`; it decides rent-free weeks that apply only
    /// when the account is clear (credits in the period are not known here).
    pub fn charges_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        balance_before: Pence,
    ) -> Vec<Charge> {
        let mut out = Vec::new();
        if to < from {
            return out;
        }
        let mut running = balance_before;
        let push = |out: &mut Vec<Charge>,
                    running: &mut Pence,
                    date: NaiveDate,
                    weekly_days: Option<i64>| {
            let (rent, service) = self.weekly_parts_on(date);
            for (kind, weekly) in [
                (TransactionKind::RentDebit, rent),
                (TransactionKind::ServiceCharge, service),
            ] {
                let amount = match weekly_days {
                    Some(days) => pro_rata(weekly, days),
                    None => weekly,
                };
                if amount.0 != 0 {
                    *running += amount;
                    out.push(Charge { date, kind, amount });
                }
            }
        };
        // A tenancy starting mid-week pays for the days to the next Monday on its first day.
        let start_weekday = i64::from(self.start_date.weekday().num_days_from_monday());
        if start_weekday != 0 && self.start_date >= from && self.start_date <= to {
            let mut days = 7 - start_weekday;
            if let Some(end) = self.end_date {
                days = days.min((end - self.start_date).num_days() + 1).max(0);
            }
            push(&mut out, &mut running, self.start_date, Some(days));
        }
        let mut monday = monday_on_or_after(from.max(self.start_date));
        while monday <= to && self.active_on(monday) {
            let clear = running.0 <= 0;
            let charged = !self.is_rent_free(monday) || (self.rent_free_only_when_clear && !clear);
            if charged {
                let days = self
                    .end_date
                    .map(|end| (end - monday).num_days() + 1)
                    .filter(|&d| d < 7);
                push(&mut out, &mut running, monday, days);
            }
            monday += Duration::weeks(1);
        }
        if let Some((amount, freq)) = self.periodic_service_charge {
            let mut year = RentYear::containing(from);
            while year.start <= to {
                for &offset in freq.week_offsets() {
                    let date = year.start + Duration::weeks(offset);
                    if date >= from && date <= to && self.active_on(date) && amount.0 != 0 {
                        out.push(Charge {
                            date,
                            kind: TransactionKind::ServiceCharge,
                            amount,
                        });
                    }
                }
                year = year.next();
            }
        }
        out.sort_by_key(|c| (c.date, c.kind != TransactionKind::RentDebit));
        out
    }

    /// The year's full debit ("rent roll" contribution): the weekly charge in force in each
    /// charged week ([`ChargeSchedule::weekly_charge_on`]: an April rise or a service charge
    /// change part-way through counts from its own week) plus periodic service charges. A
    /// week-53 rent-free entry only counts in 53-week years.
    pub fn annual_debit(&self, year: RentYear) -> Pence {
        let weeks = year.weeks();
        let periodic = self
            .periodic_service_charge
            .map(|(amount, freq)| amount * freq.week_offsets().len() as i64)
            .unwrap_or_default();
        let charged = (1..=weeks).filter(|w| !self.rent_free_weeks.contains(w));
        if self.rent_changes.is_empty() {
            return self.weekly_charge() * charged.count() as i64 + periodic;
        }
        charged
            .map(|w| self.weekly_charge_on(year.monday_of_week(w)))
            .sum::<Pence>()
            + periodic
    }

    /// Next day strictly after `today` on which a debit will be posted (skipping rent-free
    /// weeks), or None if the tenancy has ended by then.
    pub fn next_charge_date(&self, today: NaiveDate) -> Option<NaiveDate> {
        let horizon = today + Duration::days(400);
        let from = (today + Duration::days(1)).max(self.start_date);
        self.charges_between(from, horizon, Pence::ZERO)
            .first()
            .map(|c| c.date)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn weekly(rent: i64) -> ChargeSchedule {
        ChargeSchedule {
            start_date: ymd(2020, 4, 6),
            end_date: None,
            weekly_rent: Pence(rent),
            weekly_service_charge: Pence(0),
            rent_free_weeks: vec![],
            rent_free_only_when_clear: false,
            periodic_service_charge: None,
            rent_period: Default::default(),
            rent_changes: vec![],
        }
    }

    #[test]
    fn rent_is_debited_every_monday() {
        let c = weekly(9850).charges_between(ymd(2026, 11, 2), ymd(2026, 11, 22), Pence::ZERO);
        let dates: Vec<_> = c.iter().map(|c| c.date).collect();
        assert_eq!(
            dates,
            [ymd(2026, 11, 2), ymd(2026, 11, 9), ymd(2026, 11, 16)]
        );
        assert!(
            c.iter()
                .all(|c| c.amount == Pence(9850) && c.kind == TransactionKind::RentDebit)
        );
    }

    #[test]
    fn service_charge_is_a_separate_debit_after_rent() {
        let mut s = weekly(10420);
        s.weekly_service_charge = Pence(650);
        let c = s.charges_between(ymd(2026, 11, 2), ymd(2026, 11, 2), Pence::ZERO);
        assert_eq!(c.len(), 2);
        assert_eq!(
            (c[0].kind, c[0].amount),
            (TransactionKind::RentDebit, Pence(10420))
        );
        assert_eq!(
            (c[1].kind, c[1].amount),
            (TransactionKind::ServiceCharge, Pence(650))
        );
        assert_eq!(s.weekly_charge(), Pence(11070));
    }

    #[test]
    fn rent_free_weeks_have_no_debit() {
        let mut s = weekly(10000);
        s.rent_free_weeks = vec![38, 39];
        // 2026/27 starts 6 Apr 2026: week 38 is w/c 21 Dec, week 39 w/c 28 Dec.
        let c = s.charges_between(ymd(2026, 12, 14), ymd(2027, 1, 10), Pence::ZERO);
        let dates: Vec<_> = c.iter().map(|c| c.date).collect();
        assert_eq!(dates, [ymd(2026, 12, 14), ymd(2027, 1, 4)]);
    }

    #[test]
    fn a_clear_only_rent_free_week_is_charged_to_an_account_in_arrears() {
        let mut s = weekly(10000);
        s.rent_free_weeks = vec![38];
        s.rent_free_only_when_clear = true;
        let in_arrears = s.charges_between(ymd(2026, 12, 21), ymd(2026, 12, 27), Pence(500));
        assert_eq!(in_arrears.len(), 1);
        let clear = s.charges_between(ymd(2026, 12, 21), ymd(2026, 12, 27), Pence(0));
        assert!(clear.is_empty());
        let in_credit = s.charges_between(ymd(2026, 12, 21), ymd(2026, 12, 27), Pence(-100));
        assert!(in_credit.is_empty());
    }

    #[test]
    fn week_53_rent_free_only_exists_in_53_week_years() {
        let mut s = weekly(10000);
        s.rent_free_weeks = vec![1, 38, 39, 52, 53];
        // 2024/25 has 53 weeks: 48 charged; 2025/26 has 52: 48 charged too.
        assert_eq!(s.annual_debit(RentYear::starting_in(2024)), Pence(480_000));
        assert_eq!(s.annual_debit(RentYear::starting_in(2025)), Pence(480_000));
        // Without week 53 free, the long year charges 49 weeks.
        s.rent_free_weeks = vec![1, 38, 39, 52];
        assert_eq!(s.annual_debit(RentYear::starting_in(2024)), Pence(490_000));
        assert_eq!(s.annual_debit(RentYear::starting_in(2025)), Pence(480_000));
        let year = RentYear::starting_in(2024);
        let c = s.charges_between(year.start, year.end(), Pence::ZERO);
        assert_eq!(c.iter().map(|c| c.amount).sum::<Pence>(), Pence(490_000));
        assert_eq!(
            c.last().unwrap().date,
            ymd(2025, 3, 31),
            "week 53 is charged"
        );
    }

    /// Issue 16: the rent roll of a year is the rent in force in each of its charged weeks,
    /// not today's row. Rent £100 a week from April 2025, £105 from Monday 6 April 2026, and
    /// a £8 service charge from Monday 5 October 2026 (week 27 of 2026/27).
    #[test]
    fn the_annual_debit_follows_the_rent_history_week_by_week() {
        use crate::rent::{RentChange, RentPeriod};
        let mut s = weekly(99_999); // today's row: never used while a history is held
        s.rent_free_weeks = vec![1, 38, 39, 52, 53];
        let change = |from, rent, sc| RentChange {
            effective_from: from,
            period: RentPeriod::Weekly,
            rent: Pence(rent),
            service_charge: Pence(sc),
        };
        s.rent_changes = vec![
            change(ymd(2025, 4, 7), 10_000, 0),
            change(ymd(2026, 4, 6), 10_500, 0),
            change(ymd(2026, 10, 5), 10_500, 800),
        ];
        // 2025/26: 48 charged weeks at £100.
        assert_eq!(s.annual_debit(RentYear::starting_in(2025)), Pence(480_000));
        // 2026/27 (52 weeks, 4 free): weeks 2–26 at £105 (25 weeks), weeks 27–37, 40–51 at
        // £113 (23 weeks): £2,625 + £2,599 = £5,224.
        assert_eq!(RentYear::starting_in(2026).week_of(ymd(2026, 10, 5)), 27);
        assert_eq!(s.annual_debit(RentYear::starting_in(2026)), Pence(522_400));
        // The same as the debits the schedule posts over the year.
        let year = RentYear::starting_in(2026);
        let posted: Pence = s
            .charges_between(year.start, year.end(), Pence::ZERO)
            .iter()
            .map(|c| c.amount)
            .sum();
        assert_eq!(posted, Pence(522_400));
    }

    #[test]
    fn a_mid_week_start_and_end_are_charged_pro_rata() {
        let mut s = weekly(10000);
        s.start_date = ymd(2026, 11, 4); // Wednesday: 5 days to Monday
        s.end_date = Some(ymd(2026, 11, 17)); // Tuesday: 2 days of the last week
        let c = s.charges_between(ymd(2026, 11, 1), ymd(2026, 11, 30), Pence::ZERO);
        let got: Vec<_> = c.iter().map(|c| (c.date, c.amount)).collect();
        assert_eq!(
            got,
            [
                (ymd(2026, 11, 4), Pence(7143)), // 100 × 5/7 = 71.428… → 71.43
                (ymd(2026, 11, 9), Pence(10000)),
                (ymd(2026, 11, 16), Pence(2857)), // 100 × 2/7 = 28.571… → 28.57
            ]
        );
    }

    #[test]
    fn leaseholders_are_charged_service_charges_periodically() {
        let mut s = weekly(0);
        s.periodic_service_charge = Some((Pence(124_000), ServiceChargeFrequency::HalfYearly));
        let year = RentYear::starting_in(2026);
        let c = s.charges_between(year.start, year.end(), Pence::ZERO);
        let got: Vec<_> = c.iter().map(|c| (c.date, c.amount)).collect();
        assert_eq!(
            got,
            [
                (ymd(2026, 4, 6), Pence(124_000)),
                (ymd(2026, 10, 5), Pence(124_000))
            ]
        );
        assert_eq!(s.annual_debit(year), Pence(248_000));
        s.periodic_service_charge = Some((Pence(50_000), ServiceChargeFrequency::Quarterly));
        assert_eq!(
            s.charges_between(year.start, year.end(), Pence::ZERO).len(),
            4
        );
        s.periodic_service_charge = Some((Pence(50_000), ServiceChargeFrequency::Annual));
        assert_eq!(s.annual_debit(year), Pence(50_000));
        assert_eq!(s.next_charge_date(ymd(2026, 11, 25)), Some(ymd(2027, 4, 5)));
    }

    #[test]
    fn the_next_charge_skips_rent_free_weeks_and_stops_at_the_end() {
        let mut s = weekly(10000);
        s.rent_free_weeks = vec![38, 39];
        assert_eq!(
            s.next_charge_date(ymd(2026, 11, 25)),
            Some(ymd(2026, 11, 30))
        );
        assert_eq!(s.next_charge_date(ymd(2026, 12, 20)), Some(ymd(2027, 1, 4)));
        s.end_date = Some(ymd(2026, 11, 27));
        assert_eq!(s.next_charge_date(ymd(2026, 11, 25)), None);
    }

    #[test]
    fn names_round_trip_and_unknown_values_list_the_choices() {
        for t in Tenure::ALL {
            assert_eq!(t.as_str().parse::<Tenure>(), Ok(*t));
        }
        let e = "castle".parse::<Tenure>().unwrap_err();
        assert!(
            e.to_string()
                .contains("secure, assured, starter, leasehold, shared_ownership")
        );
    }
}
