//! The computed account summary: balance, arrears in pounds and weeks, and technical arrears
//! kept apart from real arrears (docs/payments-and-technical-arrears.md).
//!
//! Technical arrears are the part of the arrears that a benefit payment already earned but not
//! yet received will clear: UC or HB accrued for days already charged, whose payment date is in
//! the future or at most `benefit_grace_days` past. A payment that is later than that is not
//! "on its way" any more: those arrears are real. For UC paid to the tenant, the same accrual
//! counts (the tenant cannot pay rent from UC that has not arrived).

use crate::Pence;
use crate::benefits::{
    BenefitIncome, BenefitTiming, ExpectedPayment, Outstanding, accrue, apa_expected_between,
    apa_grace_days, expected_between_with, outstanding_with, summarise_outstanding,
};
use crate::calendar::add_months_clamped;
use crate::ledger::{LastPayment, LedgerEntry, TransactionKind, balance, last_payment};
use crate::money::ratio_hundredths;
use crate::tenancy::{ChargeSchedule, Frequency};
use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountFacts {
    pub schedule: ChargeSchedule,
    pub benefit: Option<BenefitIncome>,
    /// The tenant's own payments: amount, how often, and one date on which one falls due.
    pub self_pay: Option<(Pence, Frequency, NaiveDate)>,
    /// How late a benefit payment may be and still count as "due, not yet received". Default 3.
    pub benefit_grace_days: u32,
    /// When managed payments and HB reach the account (settings; docs/payments-and-technical-arrears.md#managed-payments-uc-apa-and-housing-benefit-pay-dates).
    #[serde(default)]
    pub timing: BenefitTiming,
    /// The Housing Benefit that runs on for two weeks into a Universal Credit claim (issue 16):
    /// a `HousingBenefit` ending on the run-on's last day, whose payments not yet received are
    /// technical arrears beside the UC ones (docs/payments-and-technical-arrears.md#housing-benefit-run-on).
    #[serde(default)]
    pub hb_run_on: Option<BenefitIncome>,
}

/// The dates of the managed payments (UC credits) received on the account up to `today`.
fn apa_received(entries: &[LedgerEntry], today: NaiveDate) -> Vec<NaiveDate> {
    entries
        .iter()
        .filter(|e| {
            e.kind == TransactionKind::UniversalCredit && e.amount.0 < 0 && e.posted_on <= today
        })
        .map(|e| e.posted_on)
        .collect()
}

/// The benefit payments the account expects in [from, to], by the date they reach it: a
/// managed payment on DWP's landlord schedule ([`apa_expected_between`]), anything else on its
/// own pay date.
pub fn benefit_payments(
    facts: &AccountFacts,
    entries: &[LedgerEntry],
    today: NaiveDate,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<ExpectedPayment> {
    match facts.benefit {
        Some(BenefitIncome::UniversalCredit {
            monthly_housing,
            claim_start,
            paid_to_landlord: true,
            ends_on,
        }) => apa_expected_between(
            monthly_housing,
            claim_start,
            ends_on,
            &facts.timing,
            &apa_received(entries, today),
            from,
            to,
        ),
        Some(income) => expected_between_with(&income, &facts.timing, from, to),
        None => vec![],
    }
}

/// Managed payments expected and not yet received: those on DWP's schedule whose run is at most
/// a cycle and the grace days past once the schedule is known (a skipped cycle is paid in the
/// next run), each with what it has earned. Money received is matched to them in date order: a
/// managed payment of at least half a period's amount pays one period, a doubled one two.
fn apa_outstanding(
    monthly: Pence,
    claim_start: NaiveDate,
    ends_on: Option<NaiveDate>,
    facts: &AccountFacts,
    entries: &[LedgerEntry],
    today: NaiveDate,
) -> Vec<Outstanding> {
    let received = apa_received(entries, today);
    let known = received.iter().any(|d| *d >= claim_start);
    let grace = apa_grace_days(&facts.timing, known, facts.benefit_grace_days);
    let payments = apa_expected_between(
        monthly,
        claim_start,
        ends_on,
        &facts.timing,
        &received,
        today - Duration::days(i64::from(grace)),
        today + Duration::days(62),
    );
    let mut items = accrue(payments, today);
    items.sort_by_key(|o| o.payment.due);
    let Some(first) = items.first().map(|o| o.payment.due) else {
        return items;
    };
    let mut credits: Vec<&LedgerEntry> = entries
        .iter()
        .filter(|e| {
            e.kind == TransactionKind::UniversalCredit
                && e.amount.0 < 0
                && e.posted_on >= first - Duration::days(7)
                && e.posted_on <= today
        })
        .collect();
    credits.sort_by_key(|e| e.posted_on);
    let mut paid = vec![false; items.len()];
    for c in credits {
        let mut left = -c.amount;
        for (i, o) in items.iter().enumerate() {
            if paid[i] || o.payment.due - Duration::days(7) > c.posted_on {
                continue;
            }
            if left * 2 < o.payment.amount {
                break;
            }
            paid[i] = true;
            left = (left - o.payment.amount).max(Pence::ZERO);
        }
    }
    items
        .into_iter()
        .zip(paid)
        .filter(|(_, p)| !p)
        .map(|(o, _)| o)
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArrearsStatus {
    Clear,
    TechnicalOnly,
    InArrears,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSummary {
    pub as_of: NaiveDate,
    pub balance: Pence,
    pub arrears: Pence,
    pub credit: Pence,
    pub technical_arrears: Pence,
    pub real_arrears: Pence,
    pub technical_reason: Option<String>,
    pub weekly_charge: Pence,
    pub weeks_in_arrears_hundredths: Option<i64>,
    pub status: ArrearsStatus,
    pub last_payment: Option<LastPayment>,
    pub next_charge_date: Option<NaiveDate>,
    pub expected_last_28_days: Pence,
    pub received_last_28_days: Pence,
    pub next_benefit_due: Option<(NaiveDate, Pence)>,
}

/// The most weeks (in hundredths) a summary reports: the account limit over a penny a week.
pub const MAX_WEEKS_HUNDREDTHS: i64 = Pence::ACCOUNT_LIMIT.0 * 100;

impl AccountSummary {
    /// Every money figure is one a rent account can hold (`Pence::ACCOUNT_LIMIT`). When not,
    /// the ledger or the tenancy holds corrupt data: show the account, but leave it out of
    /// lists and totals, and say so.
    pub fn in_range(&self) -> bool {
        let limit = Pence::ACCOUNT_LIMIT;
        [
            self.balance,
            self.arrears,
            self.credit,
            self.technical_arrears,
            self.real_arrears,
            self.weekly_charge,
            self.expected_last_28_days,
            self.received_last_28_days,
        ]
        .into_iter()
        .chain(self.last_payment.map(|p| p.amount))
        .chain(self.next_benefit_due.map(|(_, p)| p))
        .all(|p| p.within(limit))
    }

    /// Why `in_range` is false, for the log and the officer's task.
    pub fn out_of_range_reason(&self) -> Option<String> {
        (!self.in_range()).then(|| {
            format!(
                "the account's figures are beyond what a rent account can hold (balance {}, \
                 weekly charge {}; limit ±{}): a stored transaction or charge is corrupt",
                self.balance,
                self.weekly_charge,
                Pence::ACCOUNT_LIMIT
            )
        })
    }
}

/// The days of the "last 28 days" window: today and the 27 before it.
pub const WINDOW_DAYS: i64 = 28;

/// Has the expected benefit payment already arrived? A credit of the right kind, of at least
/// half the expected amount, posted from a week before its due date up to today.
fn received(
    income: &BenefitIncome,
    o: &Outstanding,
    entries: &[LedgerEntry],
    today: NaiveDate,
) -> bool {
    let qualifies = |kind: TransactionKind| match income {
        BenefitIncome::HousingBenefit { .. } => kind == TransactionKind::HousingBenefit,
        BenefitIncome::UniversalCredit {
            paid_to_landlord: true,
            ..
        } => kind == TransactionKind::UniversalCredit,
        BenefitIncome::UniversalCredit {
            paid_to_landlord: false,
            ..
        } => kind == TransactionKind::Payment || kind == TransactionKind::UniversalCredit,
    };
    let from = o.payment.due - Duration::days(7);
    entries.iter().any(|e| {
        qualifies(e.kind)
            && e.posted_on >= from
            && e.posted_on <= today
            && (-e.amount) * 2 >= o.payment.amount
    })
}

/// The tenant's own payments due in [from, to]: anchor ± whole periods.
fn self_pay_due(
    amount: Pence,
    frequency: Frequency,
    anchor: NaiveDate,
    from: NaiveDate,
    to: NaiveDate,
) -> Pence {
    let mut total = Pence::ZERO;
    match frequency {
        Frequency::Monthly => {
            // Monthly on the anchor's day of the month (clamped at month end), either side of it.
            let months = |d: NaiveDate| d.year() * 12 + d.month0() as i32;
            let mut k = months(from) - months(anchor) - 1;
            loop {
                let date = month_offset(anchor, k);
                if date > to {
                    break;
                }
                if date >= from {
                    total += amount;
                }
                k += 1;
            }
        }
        _ => {
            let step = match frequency {
                Frequency::Weekly => 7,
                Frequency::Fortnightly => 14,
                _ => 28,
            };
            let offset = (from - anchor).num_days().div_euclid(step);
            let mut date = anchor + Duration::days(offset * step);
            while date <= to {
                if date >= from {
                    total += amount;
                }
                date += Duration::days(step);
            }
        }
    }
    total
}

/// The anchor's day of the month, `k` months away (negative: before), clamped at month end.
fn month_offset(anchor: NaiveDate, k: i32) -> NaiveDate {
    if k >= 0 {
        return add_months_clamped(anchor, k as u32);
    }
    let total = anchor.year() * 12 + anchor.month0() as i32 + k;
    let first = NaiveDate::from_ymd_opt(total.div_euclid(12), total.rem_euclid(12) as u32 + 1, 1)
        .unwrap_or(anchor);
    let mut day = anchor.day();
    loop {
        if let Some(d) = first.with_day(day) {
            return d;
        }
        day -= 1;
    }
}

pub fn summarise(
    facts: &AccountFacts,
    entries: &[LedgerEntry],
    today: NaiveDate,
) -> AccountSummary {
    let entries: Vec<LedgerEntry> = entries
        .iter()
        .filter(|e| e.posted_on <= today)
        .cloned()
        .collect();
    let balance = balance(&entries);
    let arrears = balance.max(Pence::ZERO);
    let credit = (-balance).max(Pence::ZERO);

    let pending = facts.benefit.map(|income| {
        let mut items: Vec<Outstanding> = match income {
            BenefitIncome::UniversalCredit {
                monthly_housing,
                claim_start,
                paid_to_landlord: true,
                ends_on,
            } => apa_outstanding(
                monthly_housing,
                claim_start,
                ends_on,
                facts,
                &entries,
                today,
            ),
            _ => outstanding_with(&income, &facts.timing, today, facts.benefit_grace_days)
                .into_iter()
                .filter(|o| !received(&income, o, &entries, today))
                .collect(),
        };
        // The HB run-on's last payments, on HB's own dates and rules, beside the UC ones.
        let run_on: Vec<Outstanding> = facts
            .hb_run_on
            .iter()
            .flat_map(|hb| {
                outstanding_with(hb, &facts.timing, today, facts.benefit_grace_days)
                    .into_iter()
                    .filter(|o| !received(hb, o, &entries, today))
            })
            .collect();
        let run_on_first = run_on.iter().map(|o| o.payment.due).min();
        items.extend(run_on);
        summarise_outstanding(&items).map(|a| (a, run_on_first == Some(a.next_due)))
    });
    let run_on_next = pending.flatten().is_some_and(|(_, r)| r);
    let accrued = pending.flatten().map(|(a, _)| a);
    let technical_arrears = accrued.map(|a| a.amount.min(arrears)).unwrap_or_default();
    let real_arrears = arrears - technical_arrears;
    let technical_reason = accrued.filter(|_| technical_arrears.0 > 0).map(|a| {
        let what = match facts.benefit {
            _ if run_on_next => "Housing Benefit run-on payment",
            Some(BenefitIncome::HousingBenefit { .. }) => "Housing Benefit payment",
            Some(BenefitIncome::UniversalCredit {
                paid_to_landlord: true,
                ..
            }) => "Universal Credit managed payment (DWP's landlord schedule)",
            _ => "Universal Credit housing payment",
        };
        format!(
            "{what} of {} due {}",
            a.next_amount,
            a.next_due.format("%-d %b %Y")
        )
    });

    // The rent in force on the day summarised, not today's (docs/accounts-and-rent.md).
    let weekly_charge = facts.schedule.weekly_charge_on(today);
    let status = if arrears.0 <= 0 {
        ArrearsStatus::Clear
    } else if real_arrears.0 <= 0 {
        ArrearsStatus::TechnicalOnly
    } else {
        ArrearsStatus::InArrears
    };

    let window_from = today - Duration::days(WINDOW_DAYS - 1);
    let mut expected: Pence = benefit_payments(facts, &entries, today, window_from, today)
        .iter()
        .map(|p| p.amount)
        .sum();
    if let Some((amount, frequency, anchor)) = facts.self_pay {
        expected += self_pay_due(
            amount,
            frequency,
            anchor,
            window_from.max(facts.schedule.start_date),
            today,
        );
    }
    let received_28: Pence = -entries
        .iter()
        .filter(|e| {
            e.posted_on >= window_from && (e.kind.is_tenant_payment() || e.kind.is_benefit_credit())
        })
        .map(|e| e.amount)
        .sum::<Pence>();

    AccountSummary {
        as_of: today,
        balance,
        arrears,
        credit,
        technical_arrears,
        real_arrears,
        technical_reason,
        weekly_charge,
        weeks_in_arrears_hundredths: if weekly_charge.0 > 0 {
            // Bounded so the priority rules can add and scale it without overflow even when
            // the ledger holds nonsense (such an account is out of range and listed nowhere).
            ratio_hundredths(real_arrears, weekly_charge)
                .map(|w| w.clamp(-MAX_WEEKS_HUNDREDTHS, MAX_WEEKS_HUNDREDTHS))
        } else {
            None
        },
        status,
        last_payment: last_payment(&entries),
        next_charge_date: facts.schedule.next_charge_date(today),
        expected_last_28_days: expected,
        received_last_28_days: received_28,
        next_benefit_due: benefit_payments(
            facts,
            &entries,
            today,
            today + Duration::days(1),
            today + Duration::days(62),
        )
        .first()
        .map(|p| (p.due, p.amount)),
    }
}

/// The arrears HA 1988 Sch 2 ground 8 counts on one day: "rent lawfully due" and unpaid.
/// Rent and service charges reserved as rent are rent; court costs, and debits whose nature the
/// ledger does not record (an adjustment that adds to the debt, e.g. a rechargeable repair), are
/// not. Money received is taken as paying rent before anything else, so the figure is never
/// more than the rent actually unpaid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RentArrears {
    /// The day measured (the notice's deemed service date, or the hearing date).
    pub on: NaiveDate,
    /// Rent (with service charges) lawfully due and unpaid that day.
    pub rent_unpaid: Pence,
    /// Other debits left out: court costs and adjustments that add to the debt.
    pub sundry: Pence,
    /// Of `rent_unpaid`, what is owed only because a Universal Credit housing payment already
    /// earned has not arrived yet (the Renters' Rights Act regime disregards this; Housing
    /// Benefit timing it does not).
    pub uc_not_yet_received: Pence,
}

/// [`RentArrears`] on `on`, from the ledger as it stood at the end of that day.
pub fn rent_arrears(facts: &AccountFacts, entries: &[LedgerEntry], on: NaiveDate) -> RentArrears {
    let upto: Vec<&LedgerEntry> = entries.iter().filter(|e| e.posted_on <= on).collect();
    let balance: Pence = upto.iter().map(|e| e.amount).sum();
    // Debits that are not rent: court costs always; an adjustment only when it adds to the
    // debt (one that takes off is a credit like any other).
    let sundry: Pence = upto
        .iter()
        .filter(|e| match e.kind {
            TransactionKind::CourtCosts => true,
            TransactionKind::Adjustment => e.amount.0 > 0,
            _ => false,
        })
        .map(|e| e.amount)
        .sum();
    let rent_unpaid = (balance - sundry).max(Pence::ZERO);
    let uc_not_yet_received = match facts.benefit {
        Some(BenefitIncome::UniversalCredit { .. }) => summarise(facts, entries, on)
            .technical_arrears
            .min(rent_unpaid),
        _ => Pence::ZERO,
    };
    RentArrears {
        on,
        rent_unpaid,
        sundry,
        uc_not_yet_received,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenancy::ChargeSchedule;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn schedule(weekly: i64) -> ChargeSchedule {
        ChargeSchedule {
            start_date: ymd(2020, 4, 6),
            end_date: None,
            weekly_rent: Pence(weekly),
            weekly_service_charge: Pence(0),
            rent_free_weeks: vec![],
            rent_free_only_when_clear: false,
            periodic_service_charge: None,
            rent_period: Default::default(),
            rent_changes: vec![],
        }
    }

    fn facts(
        benefit: Option<BenefitIncome>,
        self_pay: Option<(Pence, Frequency, NaiveDate)>,
    ) -> AccountFacts {
        AccountFacts {
            schedule: schedule(10_800),
            benefit,
            self_pay,
            benefit_grace_days: crate::benefits::BENEFIT_GRACE_DAYS,
            timing: BenefitTiming::default(),
            hb_run_on: None,
        }
    }

    /// Weekly rent debits from `from` to `to` inclusive, as the housing system posts them.
    fn rents(from: NaiveDate, to: NaiveDate) -> Vec<LedgerEntry> {
        schedule(10_800)
            .charges_between(from, to, Pence::ZERO)
            .into_iter()
            .map(LedgerEntry::from)
            .collect()
    }

    fn pay(date: NaiveDate, kind: TransactionKind, pence: i64) -> LedgerEntry {
        LedgerEntry::credit(date, kind, Pence(pence))
    }

    fn uc(claim: NaiveDate, to_landlord: bool) -> Option<BenefitIncome> {
        Some(BenefitIncome::UniversalCredit {
            monthly_housing: Pence(46_800),
            claim_start: claim,
            paid_to_landlord: to_landlord,
            ends_on: None,
        })
    }

    /// Issue 16: a figure about a past day uses the rent in force that day. Rent £100 a week
    /// to Sunday 5 April 2026, £120 from Monday 6 April; nothing paid since Monday 2 March
    /// 2026 (5 weeks at £100 = £500, then 4 weeks at £120 = £480).
    #[test]
    fn weeks_in_arrears_on_a_past_day_use_the_rent_then() {
        use crate::rent::{RentChange, RentPeriod};
        let mut f = facts(None, None);
        f.schedule.weekly_rent = Pence(12_000); // today's row
        f.schedule.rent_changes = vec![
            RentChange {
                effective_from: ymd(2025, 4, 7),
                period: RentPeriod::Weekly,
                rent: Pence(10_000),
                service_charge: Pence::ZERO,
            },
            RentChange {
                effective_from: ymd(2026, 4, 6),
                period: RentPeriod::Weekly,
                rent: Pence(12_000),
                service_charge: Pence::ZERO,
            },
        ];
        let ledger: Vec<LedgerEntry> = f
            .schedule
            .charges_between(ymd(2026, 3, 2), ymd(2026, 4, 27), Pence::ZERO)
            .into_iter()
            .map(LedgerEntry::from)
            .collect();
        // The debits follow the history: £100 to 30 March, £120 from 6 April.
        assert_eq!(ledger[4].amount, Pence(10_000));
        assert_eq!(ledger[5].amount, Pence(12_000));
        // (day, arrears, weekly charge then, weeks × 100)
        let cases = [
            (ymd(2026, 4, 5), 50_000, 10_000, 500), // £500 ÷ £100: 5.00, not 4.17 at today's rent
            (ymd(2026, 4, 6), 62_000, 12_000, 517), // £620 ÷ £120 = 5.1666 → 5.17
            (ymd(2026, 4, 27), 98_000, 12_000, 817),
        ];
        for (day, arrears, weekly, weeks) in cases {
            let s = summarise(&f, &ledger, day);
            assert_eq!(s.real_arrears, Pence(arrears), "{day}");
            assert_eq!(s.weekly_charge, Pence(weekly), "{day}");
            assert_eq!(s.weeks_in_arrears_hundredths, Some(weeks), "{day}");
        }
        // A monthly rent of £520 (£120 a week): £960 owed is 8.00 weeks.
        f.schedule.rent_changes = vec![RentChange {
            effective_from: ymd(2026, 4, 1),
            period: RentPeriod::Monthly,
            rent: Pence(52_000),
            service_charge: Pence::ZERO,
        }];
        let owed = [LedgerEntry {
            posted_on: ymd(2026, 4, 1),
            kind: TransactionKind::RentDebit,
            amount: Pence(96_000),
            method: None,
        }];
        let s = summarise(&f, &owed, ymd(2026, 4, 2));
        assert_eq!(s.weekly_charge, Pence(12_000));
        assert_eq!(s.weeks_in_arrears_hundredths, Some(800));
    }

    #[test]
    fn a_new_uc_claimant_owing_only_what_uc_will_pay_is_in_technical_arrears_only() {
        // Claim 20 Oct; rent from 26 Oct unpaid; first UC payment due 26 Nov.
        let ledger = rents(ymd(2026, 10, 26), ymd(2026, 11, 16));
        let s = summarise(
            &facts(uc(ymd(2026, 10, 20), false), None),
            &ledger,
            ymd(2026, 11, 20),
        );
        assert_eq!(s.arrears, Pence(43_200));
        // Accrued by 20 Nov: the whole first period (468) + 1 day of the second.
        assert_eq!(s.technical_arrears, Pence(43_200));
        assert_eq!(s.real_arrears, Pence::ZERO);
        assert_eq!(s.status, ArrearsStatus::TechnicalOnly);
        assert_eq!(s.weeks_in_arrears_hundredths, Some(0));
        assert_eq!(
            s.technical_reason.as_deref(),
            Some("Universal Credit housing payment of £468.00 due 26 Nov 2026")
        );
        assert_eq!(s.next_benefit_due, Some((ymd(2026, 11, 26), Pence(46_800))));
    }

    /// Issue 16: an ended UC claim pays the assessment period its last day falls in and no
    /// later one. Claim 20 Oct 2026 (£468 a month, paid to the tenant), ended Thu 10 Dec 2026,
    /// in the period 20 Nov – 19 Dec paid on 26 Dec; rent £108 a week from 26 Oct; the tenant
    /// paid the first UC (due 26 Nov) on 27 Nov.
    #[test]
    fn an_ended_uc_claim_is_technical_only_for_the_periods_it_still_pays() {
        let claim = ymd(2026, 10, 20);
        let ended = |on| {
            Some(BenefitIncome::UniversalCredit {
                monthly_housing: Pence(46_800),
                claim_start: claim,
                paid_to_landlord: false,
                ends_on: on,
            })
        };
        let mut ledger = rents(ymd(2026, 10, 26), ymd(2027, 1, 4));
        ledger.push(pay(ymd(2026, 11, 27), TransactionKind::Payment, 46_800));
        // (day, claim end, arrears, technical)
        let cases = [
            // Mon 21 Dec: 9 weeks (£972) less £468. The last period's £468 is on its way; open,
            // the next period's 8 days to Sunday 27 Dec would be too (£120.77 more, capped).
            (ymd(2026, 12, 21), Some(ymd(2026, 12, 10)), 50_400, 46_800),
            (ymd(2026, 12, 21), None, 50_400, 50_400),
            // Tue 29 Dec, the last day of grace for the 26 Dec payment.
            (ymd(2026, 12, 29), Some(ymd(2026, 12, 10)), 61_200, 46_800),
            // Wed 30 Dec: the last payment is late and nothing more will come: all real.
            (ymd(2026, 12, 30), Some(ymd(2026, 12, 10)), 61_200, 0),
            // Open, the next period (20 Dec – 19 Jan, due 26 Jan) is accruing: its 15 days to
            // Sunday 3 Jan are £226.45 (468 × 15 ÷ 31, rounded down).
            (ymd(2026, 12, 30), None, 61_200, 22_645),
            // Ended on the last day of a period (19 Dec): the same as 10 Dec.
            (ymd(2026, 12, 21), Some(ymd(2026, 12, 19)), 50_400, 46_800),
            // Ended the day the next period starts (20 Dec): that period is paid too.
            (ymd(2026, 12, 21), Some(ymd(2026, 12, 20)), 50_400, 50_400),
        ];
        for (day, on, arrears, technical) in cases {
            let s = summarise(&facts(ended(on), None), &ledger, day);
            assert_eq!(
                (s.arrears, s.technical_arrears, s.real_arrears),
                (Pence(arrears), Pence(technical), Pence(arrears - technical)),
                "{day} ended {on:?}"
            );
        }
        // Paid to the landlord (APA, no managed payment received yet: 26 Dec + 14 days).
        let apa = Some(BenefitIncome::UniversalCredit {
            monthly_housing: Pence(46_800),
            claim_start: claim,
            paid_to_landlord: true,
            ends_on: Some(ymd(2026, 12, 10)),
        });
        let s = summarise(&facts(apa, None), &ledger, ymd(2027, 1, 4));
        assert_eq!(s.next_benefit_due, Some((ymd(2027, 1, 9), Pence(46_800))));
        let s = summarise(&facts(apa, None), &ledger, ymd(2027, 1, 13));
        assert_eq!(
            s.technical_arrears,
            Pence::ZERO,
            "nothing after the last run"
        );
    }

    /// Issue 16: the Housing Benefit run-on. HB £100 a week, paid four-weekly in arrears (pay
    /// dates 19 Oct, 16 Nov 2026); UC claimed Mon 2 Nov (£468 a month, paid to the tenant,
    /// first due 8 Dec); HB runs on to Sun 15 Nov, so the 16 Nov HB payment (19 Oct – 15 Nov,
    /// £400) still comes. Rent £108 a week from 19 Oct unpaid.
    #[test]
    fn the_hb_run_on_is_technical_beside_the_first_uc_payment_until_it_is_late() {
        let mut f = facts(uc(ymd(2026, 11, 2), false), None);
        let ledger = rents(ymd(2026, 10, 19), ymd(2026, 11, 23));
        let run_on = BenefitIncome::HousingBenefit {
            weekly_amount: Pence(10_000),
            first_pay_date: ymd(2026, 10, 19),
            ends_on: Some(ymd(2026, 11, 15)),
        };
        // (day, run-on, arrears, technical)
        let cases = [
            // Mon 16 Nov: £540 owed. UC earned to Sunday 22 Nov: 21 of 30 days, £327.60; the
            // run-on's £400 is due today: all of it technical.
            (ymd(2026, 11, 16), true, 54_000, 54_000),
            (ymd(2026, 11, 16), false, 54_000, 32_760),
            // Thu 19 Nov, the last day of grace for the HB payment.
            (ymd(2026, 11, 19), true, 54_000, 54_000),
            // Fri 20 Nov: it is late, only the UC part is on its way.
            (ymd(2026, 11, 20), true, 54_000, 32_760),
        ];
        for (day, with, arrears, technical) in cases {
            f.hb_run_on = with.then_some(run_on);
            let s = summarise(&f, &ledger, day);
            assert_eq!(
                (s.arrears, s.technical_arrears),
                (Pence(arrears), Pence(technical)),
                "{day} run-on {with}"
            );
        }
        f.hb_run_on = Some(run_on);
        let s = summarise(&f, &ledger, ymd(2026, 11, 16));
        assert_eq!(
            s.technical_reason.as_deref(),
            Some("Housing Benefit run-on payment of £400.00 due 16 Nov 2026")
        );
        // Received on 16 Nov: £140 owed, all of it the UC on its way.
        let mut paid = ledger.clone();
        paid.push(pay(
            ymd(2026, 11, 16),
            TransactionKind::HousingBenefit,
            40_000,
        ));
        let s = summarise(&f, &paid, ymd(2026, 11, 20));
        assert_eq!((s.arrears, s.real_arrears), (Pence(14_000), Pence::ZERO));
    }

    #[test]
    fn old_debt_stays_real_beside_the_technical_part() {
        let mut ledger = vec![LedgerEntry {
            posted_on: ymd(2026, 9, 1),
            kind: TransactionKind::CourtCosts,
            amount: Pence(35_500),
            method: None,
        }];
        ledger.extend(rents(ymd(2026, 11, 2), ymd(2026, 11, 16)));
        // Rent charged to Sunday 22 Nov: the first period all earned (468) and 3 days of the
        // second (46.80); arrears 355 + 324 = 679.
        let s = summarise(
            &facts(uc(ymd(2026, 10, 20), true), None),
            &ledger,
            ymd(2026, 11, 16),
        );
        assert_eq!(s.arrears, Pence(67_900));
        assert_eq!(s.technical_arrears, Pence(51_480));
        assert_eq!(s.real_arrears, Pence(16_420));
        assert_eq!(s.status, ArrearsStatus::InArrears);
        assert_eq!(s.weeks_in_arrears_hundredths, Some(152)); // 164.20 / 108 = 1.520
    }

    /// [`crate::benefits::BENEFIT_GRACE_DAYS`]: a UC payment due 26 Nov is still on its way
    /// three days later (its arrears technical) and no longer on the fourth (real arrears).
    #[test]
    fn a_benefit_payment_is_on_its_way_for_three_days_after_its_due_date() {
        assert_eq!(crate::benefits::BENEFIT_GRACE_DAYS, 3);
        let ledger = rents(ymd(2026, 10, 26), ymd(2026, 11, 30));
        let on = |day| summarise(&facts(uc(ymd(2026, 10, 20), false), None), &ledger, day);
        let (third, fourth) = (on(ymd(2026, 11, 29)), on(ymd(2026, 11, 30)));
        assert_eq!(third.status, ArrearsStatus::TechnicalOnly);
        assert_eq!(third.real_arrears, Pence::ZERO);
        assert_eq!(fourth.status, ArrearsStatus::InArrears);
        // Only the next period's days charged so far are still on their way.
        assert_eq!(fourth.technical_arrears, Pence(46_800 * 17 / 30));
    }

    /// UC paid to the tenant: due on the tenant's payment date (a managed payment is not: see
    /// `uc_apa_managed_payments_follow_dwps_landlord_schedule`).
    #[test]
    fn a_uc_payment_more_than_three_days_late_is_real_arrears_but_a_received_one_clears() {
        let ledger = rents(ymd(2026, 10, 26), ymd(2026, 11, 30));
        // 1 Dec: due 26 Nov + 3 days' grace has passed, nothing arrived.
        let late = summarise(
            &facts(uc(ymd(2026, 10, 20), false), None),
            &ledger,
            ymd(2026, 12, 1),
        );
        assert_eq!(late.arrears, Pence(64_800));
        // Only the second period's days charged so far (20 Nov – Sun 6 Dec, 17) are on their way.
        assert_eq!(late.technical_arrears, Pence(46_800 * 17 / 30));
        assert_eq!(late.real_arrears, Pence(64_800 - 26_520));
        // Had it arrived on the 26th it would have been taken off the balance instead.
        let mut paid = ledger.clone();
        paid.push(pay(
            ymd(2026, 11, 26),
            TransactionKind::UniversalCredit,
            46_800,
        ));
        let on_time = summarise(
            &facts(uc(ymd(2026, 10, 20), false), None),
            &paid,
            ymd(2026, 11, 27),
        );
        assert_eq!(on_time.arrears, Pence(54_000 - 46_800));
        assert_eq!(
            on_time.technical_arrears,
            Pence(46_800 * 8 / 30).min(on_time.arrears)
        );
        assert_eq!(on_time.status, ArrearsStatus::TechnicalOnly);
    }

    #[test]
    fn housing_benefit_four_weekly_in_arrears_is_technical_mid_cycle() {
        let hb = Some(BenefitIncome::HousingBenefit {
            weekly_amount: Pence(10_800),
            first_pay_date: ymd(2026, 10, 5),
            ends_on: None,
        });
        let mut ledger = rents(ymd(2026, 10, 5), ymd(2026, 11, 23));
        ledger.push(pay(
            ymd(2026, 11, 2),
            TransactionKind::HousingBenefit,
            43_200,
        ));
        // 25 Nov: rent 2, 9, 16, 23 Nov unpaid (432); the HB of 30 Nov covers exactly those
        // four weeks (charged to Sunday 29th), so it is all technical.
        let s = summarise(&facts(hb, None), &ledger, ymd(2026, 11, 25));
        assert_eq!(s.arrears, Pence(43_200));
        assert_eq!(s.technical_arrears, Pence(43_200));
        assert_eq!(s.real_arrears, Pence::ZERO);
        assert_eq!(s.status, ArrearsStatus::TechnicalOnly);
        assert_eq!(
            s.technical_reason.as_deref(),
            Some("Housing Benefit payment of £432.00 due 30 Nov 2026")
        );
        assert_eq!(
            s.last_payment.unwrap().kind,
            TransactionKind::HousingBenefit
        );
    }

    #[test]
    fn a_new_uc_claimant_charged_in_advance_on_the_claim_monday_owes_nothing_real() {
        // Found by review: rent is debited for the week ahead, so UC for that week is on its
        // way too. Claim on Monday 26 Oct, the day of the first unpaid debit.
        let uc = uc(ymd(2026, 10, 26), true);
        for (today, weeks) in [
            (ymd(2026, 10, 26), 1),
            (ymd(2026, 11, 2), 2),
            (ymd(2026, 11, 23), 5),
        ] {
            let ledger = rents(ymd(2026, 10, 26), today);
            let s = summarise(&facts(uc, None), &ledger, today);
            assert_eq!(s.arrears, Pence(10_800 * weeks), "{today}");
            // UC of £468 a month is £108 × 52 ÷ 12: in a 31-day period it earns ~33p a day less
            // than the rent, which is genuinely owed (before this fix: £93–£102 "real").
            assert!(s.real_arrears < Pence(1_500), "{today}: {s:?}");
            assert_eq!(s.status == ArrearsStatus::InArrears, s.real_arrears.0 > 0);
        }
    }

    #[test]
    fn an_i64_max_row_is_summarised_without_panicking_and_marked_out_of_range() {
        // Issue 15: `Z1,T000007,2026-12-01,adjustment,92233720368547758.07`.
        let today = ymd(2026, 12, 7);
        let mut ledger = rents(ymd(2026, 10, 26), today);
        ledger.push(LedgerEntry {
            posted_on: ymd(2026, 12, 1),
            kind: TransactionKind::Adjustment,
            amount: Pence(i64::MAX),
            method: None,
        });
        ledger.push(pay(ymd(2026, 12, 2), TransactionKind::Payment, i64::MAX));
        ledger.push(pay(
            ymd(2026, 12, 3),
            TransactionKind::HousingBenefit,
            i64::MAX,
        ));
        let s = summarise(&facts(uc(ymd(2026, 10, 26), true), None), &ledger, today);
        assert!(!s.in_range());
        assert!(s.out_of_range_reason().unwrap().contains("corrupt"));
        assert!(
            s.weeks_in_arrears_hundredths
                .is_none_or(|w| w.abs() <= MAX_WEEKS_HUNDREDTHS)
        );
        let ordinary = summarise(&facts(None, None), &rents(ymd(2026, 10, 26), today), today);
        assert!(ordinary.in_range());
        assert_eq!(ordinary.out_of_range_reason(), None);
    }

    #[test]
    fn a_direct_debit_payer_in_credit_is_clear_and_expected_matches_received() {
        let mut ledger = rents(ymd(2026, 10, 26), ymd(2026, 11, 23));
        for d in [27, 3, 10, 17, 24] {
            let month = if d == 27 { 10 } else { 11 };
            ledger.push(pay(ymd(2026, month, d), TransactionKind::Payment, 10_800));
        }
        ledger.push(pay(ymd(2026, 11, 24), TransactionKind::Payment, 500));
        let f = facts(
            None,
            Some((Pence(10_800), Frequency::Weekly, ymd(2024, 4, 2))),
        );
        let s = summarise(&f, &ledger, ymd(2026, 11, 25));
        assert_eq!(s.balance, Pence(-500));
        assert_eq!(s.credit, Pence(500));
        assert_eq!(s.status, ArrearsStatus::Clear);
        assert_eq!(s.weeks_in_arrears_hundredths, Some(0));
        // Window 29 Oct – 25 Nov: DD due on Tuesdays 3, 10, 17, 24 Nov.
        assert_eq!(s.expected_last_28_days, Pence(43_200));
        assert_eq!(s.received_last_28_days, Pence(43_700));
        assert_eq!(s.next_charge_date, Some(ymd(2026, 11, 30)));
        assert_eq!(s.last_payment.unwrap().date, ymd(2026, 11, 24));
    }

    #[test]
    fn monthly_self_payers_are_expected_on_their_day_each_month() {
        let f = facts(
            None,
            Some((Pence(46_800), Frequency::Monthly, ymd(2026, 1, 31))),
        );
        let s = summarise(&f, &[], ymd(2026, 12, 10));
        // Window 13 Nov – 10 Dec holds 30 Nov (31st clamped) only.
        assert_eq!(s.expected_last_28_days, Pence(46_800));
        let before_anchor = facts(
            None,
            Some((Pence(46_800), Frequency::Monthly, ymd(2027, 6, 15))),
        );
        assert_eq!(
            summarise(&before_anchor, &[], ymd(2026, 12, 20)).expected_last_28_days,
            Pence(46_800)
        );
    }

    /// docs/payments-and-technical-arrears.md#managed-payments-uc-apa-and-housing-benefit-pay-dates (DWP: managed payments to landlords are paid on DWP's own four-weekly
    /// schedule, about two weeks after the tenant's UC payment date, now and then skipping a
    /// cycle and paying two in the next). The cases of docs/payments-and-technical-arrears.md#managed-payments-uc-apa-and-housing-benefit-pay-dates "Managed payments".
    /// Claim 20 Oct 2026, £468 a month; the tenant's UC dates are the 26th of each month.
    #[test]
    fn uc_apa_managed_payments_follow_dwps_landlord_schedule() {
        let apa = uc(ymd(2026, 10, 20), true);
        let f = facts(apa, None);
        let d = |m: u32, day: u32| {
            if m >= 10 {
                ymd(2026, m, day)
            } else {
                ymd(2027, m, day)
            }
        };
        type Case = (
            &'static str,
            &'static [((u32, u32), i64)],
            (u32, u32),
            bool,
            Option<(u32, u32)>,
        );
        let cases: &[Case] = &[
            (
                "no APA yet: 5 days after the tenant's date (26 Nov) it is still on its way",
                &[],
                (12, 1),
                false,
                Some((12, 10)),
            ),
            (
                "no APA yet: expected 26 Nov + 14 = 10 Dec; 13 Dec is within grace (next: 9 Jan)",
                &[],
                (12, 13),
                false,
                Some((1, 9)),
            ),
            (
                "no APA yet: 14 Dec, 4 days after 10 Dec, nothing came: real arrears",
                &[],
                (12, 14),
                true,
                None,
            ),
            (
                "the 10 Dec APA arrived: nothing real on 14 Dec",
                &[((12, 10), 46_800)],
                (12, 14),
                false,
                Some((1, 7)),
            ),
            (
                "schedule learned from 10 Dec (runs 7 Jan, 4 Feb, 4 Mar): 5 Jan, after the tenant's 26 Dec",
                &[((12, 10), 46_800)],
                (1, 5),
                false,
                Some((1, 7)),
            ),
            (
                "7 Jan run skipped: 12 Jan is not arrears (the next run may pay two)",
                &[((12, 10), 46_800)],
                (1, 12),
                false,
                Some((2, 4)),
            ),
            (
                "7 Jan skipped and 4 Feb paid one: the other is clearly late on 8 Feb",
                &[((12, 10), 46_800), ((2, 4), 46_800)],
                (2, 8),
                true,
                Some((3, 4)),
            ),
            (
                "7 Jan skipped, 4 Feb doubled (£936): it clears two periods",
                &[((12, 10), 46_800), ((2, 4), 93_600)],
                (2, 8),
                false,
                Some((3, 4)),
            ),
            (
                "every run paid: 10 Dec, 7 Jan, 4 Feb: nothing real on 8 Feb",
                &[((12, 10), 46_800), ((1, 7), 46_800), ((2, 4), 46_800)],
                (2, 8),
                false,
                Some((3, 4)),
            ),
        ];
        for (why, paid, (tm, td), real, next) in cases {
            let today = d(*tm, *td);
            let mut ledger = rents(ymd(2026, 10, 26), today);
            for ((m, day), pence) in *paid {
                ledger.push(pay(d(*m, *day), TransactionKind::UniversalCredit, *pence));
            }
            let s = summarise(&f, &ledger, today);
            assert_eq!(s.real_arrears.0 > 1_500, *real, "{why}: {s:?}");
            if !real {
                // At most the few pence a day a 31-day month's UC falls short of weekly rent.
                assert!(s.real_arrears.0 <= 1_500, "{why}: {s:?}");
            }
            if let Some((m, day)) = next {
                assert_eq!(s.next_benefit_due.map(|n| n.0), Some(d(*m, *day)), "{why}");
            }
        }
        // The same account paid to the tenant is due on the tenant's date: real on 1 Dec.
        let tenant = facts(uc(ymd(2026, 10, 20), false), None);
        let s = summarise(&tenant, &rents(ymd(2026, 10, 26), d(12, 1)), d(12, 1));
        assert!(s.real_arrears.0 > 1_500, "{s:?}");
        // The default lag and cycle are settings.
        let slow = AccountFacts {
            timing: BenefitTiming {
                apa_lag_days: 21,
                ..BenefitTiming::default()
            },
            ..facts(apa, None)
        };
        let s = summarise(&slow, &rents(ymd(2026, 10, 26), d(12, 14)), d(12, 14));
        assert_eq!(s.next_benefit_due.map(|n| n.0), Some(d(12, 17)), "{s:?}");
        assert!(s.real_arrears.0 <= 1_500, "{s:?}");
    }

    /// HB four-weekly in arrears with a pay-date lag (setting `HB_PAY_LAG_DAYS`): a payment on
    /// 30 Nov 2026 with a 7-day lag covers 26 Oct – 22 Nov, not 2–29 Nov.
    #[test]
    fn hb_pay_lag_moves_the_four_weeks_a_payment_covers() {
        let hb = BenefitIncome::HousingBenefit {
            weekly_amount: Pence(10_800),
            first_pay_date: ymd(2026, 10, 5),
            ends_on: None,
        };
        let lagged = BenefitTiming {
            hb_pay_lag_days: 7,
            ..BenefitTiming::default()
        };
        let p = crate::benefits::expected_between_with(
            &hb,
            &lagged,
            ymd(2026, 11, 30),
            ymd(2026, 11, 30),
        );
        assert_eq!(
            (p[0].covers_from, p[0].covers_to),
            (ymd(2026, 10, 26), ymd(2026, 11, 22))
        );
        let p = crate::benefits::expected_between(&hb, ymd(2026, 11, 30), ymd(2026, 11, 30));
        assert_eq!(
            (p[0].covers_from, p[0].covers_to),
            (ymd(2026, 11, 2), ymd(2026, 11, 29))
        );
    }

    #[test]
    fn later_entries_are_ignored() {
        let ledger = rents(ymd(2026, 11, 2), ymd(2026, 11, 30));
        let s = summarise(&facts(None, None), &ledger, ymd(2026, 11, 10));
        assert_eq!(s.balance, Pence(21_600));
        assert_eq!(s.weeks_in_arrears_hundredths, Some(200));
    }
}
