//! Retention (UK GDPR Art. 5(1)(e), storage limitation): which tenancies' personal data may be
//! anonymised. A tenancy qualifies when it is closed (not a former tenancy with a debt still
//! being recovered), its balance is exactly zero, and it closed longer ago than the configured
//! period (default 72 months: six years, the Limitation Act 1980 s19 period for recovering
//! arrears of rent — "no action shall be brought … to recover arrears of rent … after the
//! expiration of six years from the date on which the arrears became due" — so nothing is
//! erased while a claim could still be brought; see [`LIMITATION_SOURCE`]).
//!
//! This decides only *whether*; what anonymising removes and keeps is the store's job.

use crate::Pence;
use chrono::{Months, NaiveDate};

/// The limitation period the default retention rests on. Rent arrears are recovered under the
/// Limitation Act 1980 s19 (arrears of rent, 6 years from when each sum fell due), not s5
/// (simple contract debts): the period is the same length, but s19 is the one a court applies
/// to rent, and with s29–30 (a written acknowledgment or part payment restarts it) it decides
/// what a former tenant can still be asked for.
pub const LIMITATION_SOURCE: &str =
    "Limitation Act 1980 s19 (arrears of rent: 6 years from the date each sum fell due)";

/// The years of the Limitation Act 1980 s19 period.
pub const LIMITATION_YEARS: u32 = 6;

/// How long personal data is kept after a tenancy closes with nothing owed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    pub months: u32,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        // Limitation Act 1980 s19: six years.
        RetentionPolicy {
            months: LIMITATION_YEARS * 12,
        }
    }
}

/// The facts about one tenancy the rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionFacts<'a> {
    /// active | former | closed
    pub status: &'a str,
    pub end_date: Option<NaiveDate>,
    /// Ledger sum, debit positive.
    pub balance: Pence,
    pub already_anonymised: bool,
}

/// The outcome for one tenancy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retention {
    /// Keep the personal data, for this reason.
    Keep(KeepReason),
    /// Anonymise: it closed on `closed_on` and the period ended on `due_since`.
    Anonymise {
        closed_on: NaiveDate,
        due_since: NaiveDate,
    },
    /// Nothing left to do.
    AlreadyAnonymised,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepReason {
    NotClosed,
    /// Closed without an end date: how long ago cannot be known, so an officer must set it.
    NoEndDate,
    BalanceNotZero,
    WithinPeriod {
        until: NaiveDate,
    },
}

impl KeepReason {
    pub fn as_str(self) -> &'static str {
        match self {
            KeepReason::NotClosed => "not_closed",
            KeepReason::NoEndDate => "no_end_date",
            KeepReason::BalanceNotZero => "balance_not_zero",
            KeepReason::WithinPeriod { .. } => "within_period",
        }
    }
}

impl RetentionPolicy {
    /// What to do with one tenancy's personal data as of `today`.
    pub fn decide(&self, facts: RetentionFacts<'_>, today: NaiveDate) -> Retention {
        if facts.already_anonymised {
            return Retention::AlreadyAnonymised;
        }
        if facts.status != "closed" {
            return Retention::Keep(KeepReason::NotClosed);
        }
        let Some(closed_on) = facts.end_date else {
            return Retention::Keep(KeepReason::NoEndDate);
        };
        if facts.balance != Pence(0) {
            return Retention::Keep(KeepReason::BalanceNotZero);
        }
        // "Longer than the period": the day after the anniversary at the earliest. A month
        // end clamps (closed 31 August + 6 months = 28/29 February).
        let until = closed_on
            .checked_add_months(Months::new(self.months))
            .unwrap_or(NaiveDate::MAX);
        if today <= until {
            return Retention::Keep(KeepReason::WithinPeriod { until });
        }
        Retention::Anonymise {
            closed_on,
            due_since: until,
        }
    }
}

/// UK GDPR Art 12(3): a subject access request is answered "without undue delay and in any
/// event within one month of receipt", extendable "by two further months where necessary,
/// taking into account the complexity and number of the requests" (the data subject told of
/// the extension and why within the first month). ICO guidance on counting the month: from
/// the day the request is received (that day counts, working day or not) to the corresponding
/// calendar date in the next month; when the next month has no such date, its last day; when
/// that day is a weekend or a public holiday, the next working day.
pub fn subject_access_due_on(received_on: NaiveDate) -> NaiveDate {
    next_working_day(crate::calendar::add_months_clamped(received_on, 1))
}

/// The latest day a subject access request is answered when the month is extended by two
/// further months (Art 12(3)), counted the same way: three calendar months from receipt.
/// Rentdesk does not record whether an extension was made; this is shown as the outer limit.
pub fn subject_access_extended_due_on(received_on: NaiveDate) -> NaiveDate {
    next_working_day(crate::calendar::add_months_clamped(received_on, 3))
}

/// The day itself, or the next day that is not a Saturday, Sunday or bank holiday (England
/// and Wales).
fn next_working_day(mut d: NaiveDate) -> NaiveDate {
    use chrono::{Datelike, Weekday};
    while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) || crate::calendar::is_bank_holiday(d)
    {
        d = d.succ_opt().unwrap_or(d);
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn closed(end: &str, balance: i64) -> RetentionFacts<'static> {
        RetentionFacts {
            status: "closed",
            end_date: Some(d(end)),
            balance: Pence(balance),
            already_anonymised: false,
        }
    }

    /// Limitation Act 1980 s19 (arrears of rent: 6 years), not s5: the default period and the
    /// source it cites. The same table is in docs/data-protection.md#retention-of-a-closed-account ("Retention of a closed account").
    #[test]
    fn limitation_act_1980_s19_six_years_for_rent_arrears() {
        assert!(LIMITATION_SOURCE.contains("s19"), "{LIMITATION_SOURCE}");
        assert!(!LIMITATION_SOURCE.contains("s5"), "{LIMITATION_SOURCE}");
        let p = RetentionPolicy::default();
        assert_eq!(p.months, 72);
        // (closed with a zero balance, last day kept, first day it may be anonymised)
        let cases = [
            ("2020-11-29", "2026-11-29", "2026-11-30"),
            // Leap day: 29 Feb 2024 + 6 years = 28 Feb 2030.
            ("2024-02-29", "2030-02-28", "2030-03-01"),
            ("2021-12-31", "2027-12-31", "2028-01-01"),
        ];
        for (closed_on, kept_until, from) in cases {
            let f = closed(closed_on, 0);
            assert_eq!(
                p.decide(f, d(kept_until)),
                Retention::Keep(KeepReason::WithinPeriod {
                    until: d(kept_until)
                }),
                "{closed_on}"
            );
            assert!(
                matches!(p.decide(f, d(from)), Retention::Anonymise { .. }),
                "{closed_on}"
            );
        }
    }

    #[test]
    fn six_years_by_default_and_only_after_the_anniversary() {
        let p = RetentionPolicy::default();
        assert_eq!(p.months, 72);
        let f = closed("2020-11-29", 0);
        assert_eq!(
            p.decide(f, d("2026-11-29")),
            Retention::Keep(KeepReason::WithinPeriod {
                until: d("2026-11-29")
            })
        );
        assert_eq!(
            p.decide(f, d("2026-11-30")),
            Retention::Anonymise {
                closed_on: d("2020-11-29"),
                due_since: d("2026-11-29")
            }
        );
    }

    #[test]
    fn a_balance_either_way_keeps_the_data() {
        let p = RetentionPolicy { months: 12 };
        for balance in [1, -1, 9_850] {
            assert_eq!(
                p.decide(closed("2020-01-01", balance), d("2026-01-01")),
                Retention::Keep(KeepReason::BalanceNotZero)
            );
        }
    }

    #[test]
    fn only_closed_tenancies_with_an_end_date_qualify() {
        let p = RetentionPolicy { months: 1 };
        let today = d("2026-11-29");
        for status in ["active", "former"] {
            let f = RetentionFacts {
                status,
                ..closed("2010-01-01", 0)
            };
            assert_eq!(p.decide(f, today), Retention::Keep(KeepReason::NotClosed));
        }
        let f = RetentionFacts {
            end_date: None,
            ..closed("2010-01-01", 0)
        };
        assert_eq!(p.decide(f, today), Retention::Keep(KeepReason::NoEndDate));
        let f = RetentionFacts {
            already_anonymised: true,
            ..closed("2010-01-01", 0)
        };
        assert_eq!(p.decide(f, today), Retention::AlreadyAnonymised);
    }

    #[test]
    fn month_ends_clamp() {
        let p = RetentionPolicy { months: 6 };
        let f = closed("2025-08-31", 0);
        assert!(matches!(
            p.decide(f, d("2026-02-28")),
            Retention::Keep(KeepReason::WithinPeriod { .. })
        ));
        assert!(matches!(
            p.decide(f, d("2026-03-01")),
            Retention::Anonymise { .. }
        ));
    }

    #[test]
    fn uk_gdpr_art_12_3_a_subject_access_request_is_answered_within_one_month_of_receipt() {
        // (received, due, due if extended by two further months)
        let table = [
            // ICO: received 3 September, due 3 October.
            (d("2025-09-03"), d("2025-10-03"), d("2025-12-03")),
            // ICO: received 31 January, due 28 February (29 in a leap year).
            (d("2025-01-31"), d("2025-02-28"), d("2025-04-30")),
            // Extended: 30 Apr 2028 is a Sunday and 1 May 2028 a bank holiday.
            (d("2028-01-31"), d("2028-02-29"), d("2028-05-02")),
            // 28 Feb 2027 is a Sunday: the next working day.
            (d("2027-01-31"), d("2027-03-01"), d("2027-04-30")),
            // ICO: received 1 April; 1 May 2027 is a Saturday and 3 May a bank holiday.
            (d("2027-04-01"), d("2027-05-04"), d("2027-07-01")),
            (d("2027-03-30"), d("2027-04-30"), d("2027-06-30")),
            // 25 Dec 2026 Christmas, then a weekend and the 28 Dec substitute bank holiday.
            (d("2026-11-25"), d("2026-12-29"), d("2027-02-25")),
        ];
        for (received, due, extended) in table {
            assert_eq!(subject_access_due_on(received), due, "{received}");
            assert_eq!(
                subject_access_extended_due_on(received),
                extended,
                "{received}"
            );
        }
    }
}
