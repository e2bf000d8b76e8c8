//! Former tenants' arrears and the Limitation Act 1980: no action to recover arrears of rent
//! after six years from the date each sum fell due (s19); a part payment by the person liable
//! restarts the period for the debt then owed (s29(5)(b)); a debt already barred is not revived
//! by a later payment (s29(7)). What is barred is shown apart and left out of what a letter of
//! claim asks for.

use crate::Pence;
use crate::ledger::LedgerEntry;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Limitation Act 1980 s19: six years, in months.
pub const RENT_LIMITATION_MONTHS: u32 = 72;

/// The outstanding balance split into what may still be claimed and what is statute-barred.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limitation {
    /// Outstanding sums that fell due (or were last restarted) more than six years ago.
    pub barred: Pence,
    /// The rest of the outstanding debits.
    pub claimable: Pence,
    /// The latest part payment by the tenant that restarted the period (s29(5)(b)).
    pub restarted_on: Option<NaiveDate>,
}

/// The last day an action may be brought for a sum whose period runs from `from`: the sixth
/// anniversary (an action on the day after is out of time).
pub fn last_day_to_claim(from: NaiveDate) -> NaiveDate {
    crate::calendar::add_months_clamped(from, RENT_LIMITATION_MONTHS)
}

/// Split what is owed on `today`. Each debit's period runs from the day it was posted (fell
/// due). Credits pay the oldest debits first. A payment by the tenant (not a benefit credit or
/// an adjustment) restarts the period, from its date, for every debit then outstanding that
/// was not already barred. Written acknowledgments (s29(5)(a), s30) are not in the ledger and
/// are not taken into account.
pub fn rent_limitation(entries: &[LedgerEntry], today: NaiveDate) -> Limitation {
    let mut sorted: Vec<&LedgerEntry> = entries.iter().filter(|e| e.posted_on <= today).collect();
    sorted.sort_by_key(|e| e.posted_on);
    // (period runs from, still owed)
    let mut debits: Vec<(NaiveDate, Pence)> = vec![];
    let mut unallocated = Pence::ZERO;
    let mut restarted_on = None;
    for e in sorted {
        if e.amount.0 > 0 {
            let paid = unallocated.min(e.amount);
            unallocated -= paid;
            debits.push((e.posted_on, e.amount - paid));
            continue;
        }
        if e.kind.is_tenant_payment() && e.amount.0 < 0 {
            let mut restarted = false;
            for (from, owed) in debits.iter_mut() {
                if owed.0 > 0 && e.posted_on <= last_day_to_claim(*from) {
                    *from = e.posted_on;
                    restarted = true;
                }
            }
            if restarted {
                restarted_on = Some(e.posted_on);
            }
        }
        let mut credit = Pence(-e.amount.0);
        for (_, owed) in debits.iter_mut() {
            if credit.0 <= 0 {
                break;
            }
            let paid = credit.min(*owed);
            *owed -= paid;
            credit -= paid;
        }
        unallocated += credit;
    }
    let (mut barred, mut claimable) = (Pence::ZERO, Pence::ZERO);
    for (from, owed) in debits {
        if today > last_day_to_claim(from) {
            barred += owed;
        } else {
            claimable += owed;
        }
    }
    Limitation {
        barred,
        claimable,
        restarted_on,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::TransactionKind;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn e(on: NaiveDate, kind: TransactionKind, pence: i64) -> LedgerEntry {
        LedgerEntry {
            posted_on: on,
            kind,
            amount: Pence(pence),
            method: None,
        }
    }

    #[test]
    fn limitation_act_1980_s19_six_years_from_each_sum_falling_due_restarted_by_part_payment() {
        use TransactionKind::*;
        let rent = |on| e(on, RentDebit, 10_000);
        let base = vec![
            rent(d(2020, 11, 30)),
            rent(d(2020, 12, 7)),
            rent(d(2021, 1, 4)),
        ];
        let with = |extra: Vec<LedgerEntry>| {
            let mut v = base.clone();
            v.extend(extra);
            v
        };
        // (ledger, day checked, barred, claimable)
        let table = [
            // Each £100 is claimable up to its sixth anniversary, barred the day after.
            (base.clone(), d(2026, 11, 30), 0, 30_000),
            (base.clone(), d(2026, 12, 1), 10_000, 20_000),
            (base.clone(), d(2026, 12, 7), 10_000, 20_000),
            (base.clone(), d(2026, 12, 8), 20_000, 10_000),
            (base.clone(), d(2027, 1, 5), 30_000, 0),
            // A £10 part payment on 1 Jun 2022 restarts all three (s29(5)): paid to the oldest,
            // £290 claimable until 1 Jun 2028.
            (
                with(vec![e(d(2022, 6, 1), Payment, -1_000)]),
                d(2028, 6, 1),
                0,
                29_000,
            ),
            (
                with(vec![e(d(2022, 6, 1), Payment, -1_000)]),
                d(2028, 6, 2),
                29_000,
                0,
            ),
            // A payment on 2 Jan 2027 comes after two sums were barred: it does not revive them
            // (s29(7)); it pays the oldest and restarts only the one from 4 Jan 2021.
            (
                with(vec![e(d(2027, 1, 2), Payment, -1_000)]),
                d(2027, 6, 1),
                19_000,
                10_000,
            ),
            // Housing Benefit reduces the debt but is not the tenant's part payment.
            (
                with(vec![e(d(2022, 6, 1), HousingBenefit, -1_000)]),
                d(2026, 12, 8),
                19_000,
                10_000,
            ),
        ];
        for (ledger, today, barred, claimable) in table {
            let l = rent_limitation(&ledger, today);
            assert_eq!(
                (l.barred, l.claimable),
                (Pence(barred), Pence(claimable)),
                "on {today}: {ledger:?}"
            );
        }
        assert_eq!(last_day_to_claim(d(2020, 2, 29)), d(2026, 2, 28));
    }
}
