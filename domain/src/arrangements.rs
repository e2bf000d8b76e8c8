//! Repayment arrangements (docs/arrangements.md): the instalments an arrangement asks for, how the
//! tenant's payments are allocated to them (oldest first), and which are paid, part-paid,
//! missed or still pending. Used by the broken-arrangement trigger and by a court order's terms.

use crate::Pence;
use crate::calendar::add_months_clamped;
use crate::ledger::{LedgerEntry, TransactionKind};
use crate::tenancy::Frequency;
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Dates of a repeating payment from `anchor`, every `frequency`, in [from, to].
pub fn schedule_dates(
    anchor: NaiveDate,
    frequency: Frequency,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut k: u32 = 0;
    loop {
        let date = match frequency {
            Frequency::Weekly => anchor + Duration::weeks(i64::from(k)),
            Frequency::Fortnightly => anchor + Duration::weeks(2 * i64::from(k)),
            Frequency::FourWeekly => anchor + Duration::weeks(4 * i64::from(k)),
            Frequency::Monthly => add_months_clamped(anchor, k),
        };
        if date > to {
            return out;
        }
        if date >= from {
            out.push(date);
        }
        k += 1;
    }
}

pub(crate) fn tenant_paid(entries: &[LedgerEntry], from: NaiveDate, to: NaiveDate) -> Pence {
    -entries
        .iter()
        .filter(|e| e.kind.is_tenant_payment() && e.posted_on >= from && e.posted_on <= to)
        .map(|e| e.amount)
        .sum::<Pence>()
}

/// A repayment arrangement as agreed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arrangement {
    pub start_date: NaiveDate,
    pub frequency: Frequency,
    /// What is due each time (rent plus the instalment when `includes_rent`).
    pub instalment: Pence,
    pub end_date: Option<NaiveDate>,
    /// `instalment` includes the week's rent and charges: in a week the landlord charges
    /// nothing (a rent-free week, docs/accounts-and-rent.md#rent-free-weeks) only the part towards the arrears is due.
    pub includes_rent: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstalmentStatus {
    Paid,
    PartPaid,
    Missed,
    /// Not yet due, or inside its grace days.
    Pending,
}

impl InstalmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InstalmentStatus::Paid => "paid",
            InstalmentStatus::PartPaid => "part_paid",
            InstalmentStatus::Missed => "missed",
            InstalmentStatus::Pending => "pending",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instalment {
    pub due: NaiveDate,
    pub amount: Pence,
    /// Paid towards it, oldest instalment first.
    pub paid: Pence,
    pub status: InstalmentStatus,
}

/// The landlord's weekly charges (rent and service charges) by the date they were posted.
pub(crate) fn weekly_charges(entries: &[LedgerEntry]) -> BTreeMap<NaiveDate, Pence> {
    let mut out = BTreeMap::new();
    for e in entries.iter().filter(|e| {
        matches!(
            e.kind,
            TransactionKind::RentDebit
                | TransactionKind::ServiceCharge
                | TransactionKind::GroundRent
        ) && e.amount.0 > 0
    }) {
        *out.entry(e.posted_on).or_insert(Pence::ZERO) += e.amount;
    }
    out
}

/// What was not charged in [from, to) that a plan including rent expected: for every rent week
/// starting in it (7 days from a week's start on the charging weekday) with no charge posted,
/// while the landlord was charging (a charge posted before), the last week's charge.
fn uncharged_weeks(charges: &BTreeMap<NaiveDate, Pence>, from: NaiveDate, to: NaiveDate) -> Pence {
    let Some((&first, _)) = charges.iter().next() else {
        return Pence::ZERO;
    };
    let mut missing = Pence::ZERO;
    // Rent weeks start on the weekday charges are posted (Mondays, docs/accounts-and-rent.md#rent-is-charged-weekly-in-advance-on-mondays).
    let offset = (from - first).num_days().rem_euclid(7);
    let mut week = from + Duration::days((7 - offset) % 7);
    while week < to {
        let charged = charges
            .range(week..week + Duration::days(7))
            .next()
            .is_some();
        if !charged && let Some((_, &last)) = charges.range(..week).next_back() {
            missing += last;
        }
        week += Duration::weeks(1);
    }
    missing
}

/// Adherence per instalment: tenant payments since the start are allocated to instalments
/// oldest first; an instalment not fully covered `grace_days` after its date is missed (docs/arrangements.md#keeping-to-an-arrangement-and-when-it-is-broken:
/// "an instalment not paid within N days (default 7) of its due date"). The officer app, the
/// tenant app and the broken-arrangement rule all read this one function.
pub fn adherence(
    arrangement: &Arrangement,
    entries: &[LedgerEntry],
    today: NaiveDate,
    grace_days: u32,
) -> Vec<Instalment> {
    let last = arrangement.end_date.map_or(today, |e| e.min(today));
    let mut pool = tenant_paid(entries, arrangement.start_date - Duration::days(3), today);
    // One schedule, running a little past the last due date so every instalment knows the
    // date of the next (the weeks it covers, for a plan that includes rent).
    let dates = schedule_dates(
        arrangement.start_date,
        arrangement.frequency,
        arrangement.start_date,
        last + Duration::days(62),
    );
    let charges = weekly_charges(entries);
    let due_now = dates.iter().take_while(|d| **d <= last).count();
    dates
        .iter()
        .enumerate()
        .take(due_now)
        .map(|(i, &due)| {
            let amount = if arrangement.includes_rent {
                let next = dates.get(i + 1).copied().unwrap_or(due + Duration::days(7));
                let uncharged = uncharged_weeks(&charges, due, next.min(today + Duration::days(1)));
                (arrangement.instalment - uncharged).max(Pence::ZERO)
            } else {
                arrangement.instalment
            };
            (due, amount)
        })
        .map(|(due, amount)| allocate(&mut pool, due, amount, today, grace_days))
        .collect()
}

/// The day an arrangement broke: the day after the grace days of its first instalment missed
/// or part paid ([`allocate`]'s rule), `None` while none is (docs/arrangements.md).
pub fn broken_on(instalments: &[Instalment], grace_days: u32) -> Option<NaiveDate> {
    instalments
        .iter()
        .find(|i| {
            matches!(
                i.status,
                InstalmentStatus::Missed | InstalmentStatus::PartPaid
            )
        })
        .map(|i| i.due + Duration::days(i64::from(grace_days) + 1))
}

/// One instalment's share of what was paid (`pool`, taken oldest instalment first) and its
/// status: not fully covered `grace_days` after its date = missed. Shared by arrangements and
/// the terms of a court order (`possession::court::terms_adherence`).
pub(crate) fn allocate(
    pool: &mut Pence,
    due: NaiveDate,
    amount: Pence,
    today: NaiveDate,
    grace_days: u32,
) -> Instalment {
    let paid = (*pool).min(amount).max(Pence::ZERO);
    *pool -= paid;
    let lapsed = due + Duration::days(i64::from(grace_days)) < today;
    let status = if paid >= amount {
        InstalmentStatus::Paid
    } else if !lapsed {
        InstalmentStatus::Pending
    } else if paid.0 > 0 {
        InstalmentStatus::PartPaid
    } else {
        InstalmentStatus::Missed
    };
    Instalment {
        due,
        amount,
        paid,
        status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn paid(date: NaiveDate, kind: TransactionKind, pence: i64) -> LedgerEntry {
        LedgerEntry::credit(date, kind, Pence(pence))
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
    fn in_a_rent_free_week_a_plan_including_rent_asks_only_for_the_arrears_part() {
        // £100 rent charged on Mondays, none in the week of 28 Dec (rent-free); the plan is
        // £110 a week (rent + £10) due on Mondays.
        let mut l: Vec<LedgerEntry> = [
            ymd(2026, 12, 7),
            ymd(2026, 12, 14),
            ymd(2026, 12, 21),
            ymd(2027, 1, 4),
            ymd(2027, 1, 11),
            ymd(2027, 1, 18),
        ]
        .into_iter()
        .map(|d| LedgerEntry {
            posted_on: d,
            kind: TransactionKind::RentDebit,
            amount: Pence(10_000),
            method: None,
        })
        .collect();
        for (d, p) in [
            (ymd(2026, 12, 7), 11_000),
            (ymd(2026, 12, 14), 11_000),
            (ymd(2026, 12, 21), 11_000),
            (ymd(2026, 12, 28), 1_000),
            (ymd(2027, 1, 4), 11_000),
        ] {
            l.push(paid(d, TransactionKind::Payment, p));
        }
        let with_rent = Arrangement {
            start_date: ymd(2026, 12, 7),
            includes_rent: true,
            ..plan()
        };
        let a = adherence(&with_rent, &l, ymd(2027, 1, 20), 7);
        assert_eq!(a.len(), 7);
        assert_eq!(a[3].amount, Pence(1_000), "{a:?}");
        assert!(
            a[..5].iter().all(|i| i.status == InstalmentStatus::Paid),
            "{a:?}"
        );
        assert_eq!(a[5].status, InstalmentStatus::Missed);
        assert_eq!(
            a[5].amount,
            Pence(11_000),
            "weeks not yet charged are still expected"
        );
        // The same payments against a plan of £110 of arrears alone: the £10 week is a miss.
        let a = adherence(
            &Arrangement {
                start_date: ymd(2026, 12, 7),
                ..plan()
            },
            &l,
            ymd(2027, 1, 20),
            7,
        );
        assert!(
            a[..5].iter().any(|i| i.status != InstalmentStatus::Paid),
            "{a:?}"
        );
    }

    #[test]
    fn adherence_allocates_payments_to_the_oldest_instalment_first() {
        let l = vec![
            paid(ymd(2026, 10, 5), TransactionKind::Payment, 11_000),
            paid(ymd(2026, 10, 13), TransactionKind::Payment, 16_000),
            paid(ymd(2026, 10, 26), TransactionKind::Payment, 11_000),
        ];
        let a = adherence(&plan(), &l, ymd(2026, 10, 28), 7);
        let got: Vec<_> = a
            .iter()
            .map(|i| (i.due.to_string(), i.paid.0, i.status))
            .collect();
        assert_eq!(
            got,
            [
                ("2026-10-05".into(), 11_000, InstalmentStatus::Paid),
                ("2026-10-12".into(), 11_000, InstalmentStatus::Paid),
                ("2026-10-19".into(), 11_000, InstalmentStatus::Paid),
                ("2026-10-26".into(), 5_000, InstalmentStatus::Pending),
            ]
        );
    }
}
