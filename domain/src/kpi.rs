//! Performance figures (docs/performance.md) from plain per-account inputs: rent collected as a share
//! of rent due (with and without arrears brought forward), arrears as a share of the rent roll,
//! accounts by arrears band and by stage, UC claimants, direct-debit take-up.
//!
//! Money stays in pence; a percentage is an integer number of basis points (hundredths of a
//! percent, 9725 = 97.25%), rounded half away from zero, and shown with [`percent_string`].
//! What an account's arrears are (real versus technical, weeks in arrears) is decided by
//! `arrears::summarise`; this module only adds them up. It does no IO.

use crate::Pence;
use crate::ledger::{LedgerEntry, TransactionKind};
use crate::money::ratio_hundredths;
use crate::possession::types::Stage;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Real arrears in weeks' rent (docs/accounts-and-rent.md#weeks-in-arrears-and-months-of-rent), banded. Technical-only arrears are `Clear`: no
/// recovery work is due on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArrearsBand {
    Clear,
    UnderOneWeek,
    OneToFourWeeks,
    FourToEightWeeks,
    EightToThirteenWeeks,
    ThirteenWeeksOrMore,
    /// In arrears with no weekly charge to measure them by (leaseholders' periodic charges).
    NoWeeklyCharge,
}

impl ArrearsBand {
    pub const ALL: &'static [ArrearsBand] = &[
        ArrearsBand::Clear,
        ArrearsBand::UnderOneWeek,
        ArrearsBand::OneToFourWeeks,
        ArrearsBand::FourToEightWeeks,
        ArrearsBand::EightToThirteenWeeks,
        ArrearsBand::ThirteenWeeksOrMore,
        ArrearsBand::NoWeeklyCharge,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ArrearsBand::Clear => "clear",
            ArrearsBand::UnderOneWeek => "under_1_week",
            ArrearsBand::OneToFourWeeks => "1_to_4_weeks",
            ArrearsBand::FourToEightWeeks => "4_to_8_weeks",
            ArrearsBand::EightToThirteenWeeks => "8_to_13_weeks",
            ArrearsBand::ThirteenWeeksOrMore => "13_weeks_or_more",
            ArrearsBand::NoWeeklyCharge => "no_weekly_charge",
        }
    }

    /// Lower bounds are inclusive: exactly 4.00 weeks is "4 to 8", exactly 13.00 is "13 or more"
    /// (Ground 8's "at least 13 weeks" under the Renters' Rights Act regime).
    pub fn of(real_arrears: Pence, weeks_in_arrears_hundredths: Option<i64>) -> ArrearsBand {
        if real_arrears.0 <= 0 {
            return ArrearsBand::Clear;
        }
        match weeks_in_arrears_hundredths {
            None => ArrearsBand::NoWeeklyCharge,
            Some(w) if w < 100 => ArrearsBand::UnderOneWeek,
            Some(w) if w < 400 => ArrearsBand::OneToFourWeeks,
            Some(w) if w < 800 => ArrearsBand::FourToEightWeeks,
            Some(w) if w < 1300 => ArrearsBand::EightToThirteenWeeks,
            Some(_) => ArrearsBand::ThirteenWeeksOrMore,
        }
    }
}

/// part ÷ whole in basis points (1 = 0.01%), rounded half away from zero; `None` if whole is 0.
pub fn basis_points(part: Pence, whole: Pence) -> Option<i64> {
    let scaled = part.0.checked_mul(100)?;
    ratio_hundredths(Pence(scaled), whole)
}

/// A count's share of a count in basis points; `None` if whole is 0.
pub fn count_basis_points(part: u64, whole: u64) -> Option<i64> {
    basis_points(Pence(part as i64), Pence(whole as i64))
}

/// 9725 → "97.25", -5 → "-0.05".
pub fn percent_string(bp: i64) -> String {
    let sign = if bp < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", bp.abs() / 100, bp.abs() % 100)
}

/// Is a ledger row rent due (rent, ground rent, and weekly or periodic service charges)? Court
/// costs and refunds are debits but not rent.
pub fn is_rent_due(kind: TransactionKind) -> bool {
    matches!(
        kind,
        TransactionKind::RentDebit | TransactionKind::ServiceCharge | TransactionKind::GroundRent
    )
}

/// Is a ledger row money collected (the tenant's payments, HB, UC, DWP deductions, DHP; a
/// returned Direct Debit or recovered HB counts against it)? Write-offs and adjustments clear
/// arrears but collect nothing.
pub fn is_collection(kind: TransactionKind) -> bool {
    kind.is_tenant_payment() || kind.is_benefit_credit()
}

/// Money moved in [from, to] by one account's ledger, as the figures count it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodMoney {
    /// Rent and service charges debited (net of reversals).
    pub rent_due: Pence,
    /// Positive: payments and benefit credits received (net of reversals).
    pub collected: Pence,
    /// Positive: written off.
    pub written_off: Pence,
    /// Arrears on the day before `from` (the balance, if owing).
    pub arrears_brought_forward: Pence,
}

pub fn period_money(entries: &[LedgerEntry], from: NaiveDate, to: NaiveDate) -> PeriodMoney {
    let mut m = PeriodMoney::default();
    let mut before = Pence::ZERO;
    for e in entries {
        if e.posted_on < from {
            before += e.amount;
        } else if e.posted_on <= to {
            if is_rent_due(e.kind) {
                m.rent_due += e.amount;
            } else if is_collection(e.kind) {
                m.collected += -e.amount;
            } else if e.kind == TransactionKind::WriteOff {
                m.written_off += -e.amount;
            }
        }
    }
    m.arrears_brought_forward = before.max(Pence::ZERO);
    m
}

/// Whether the tenancy was running at the period's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    Current,
    Former,
}

/// Everything the figures need about one account, for one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInputs {
    pub standing: Standing,
    pub money: PeriodMoney,
    /// At the period's end, from `arrears::summarise`.
    pub arrears: Pence,
    pub real_arrears: Pence,
    pub technical_arrears: Pence,
    pub weeks_in_arrears_hundredths: Option<i64>,
    /// The rent year's full debit (`ChargeSchedule::annual_debit`) for the year containing the
    /// period's end.
    pub annual_rent_debit: Pence,
    /// The escalation stage at the period's end.
    pub stage: Stage,
    /// An open UC claim at the period's end.
    pub uc_claimant: bool,
    /// A Managed Payment to Landlord (APA) in place.
    pub apa: bool,
    pub direct_debit: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    pub count: u64,
    /// Real arrears.
    pub value: Pence,
}

impl Bucket {
    const EMPTY: Bucket = Bucket {
        count: 0,
        value: Pence::ZERO,
    };
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Performance {
    pub accounts: u64,
    pub rent_due: Pence,
    pub collected: Pence,
    pub arrears_brought_forward: Pence,
    /// collected ÷ rent due.
    pub collection_rate_bp: Option<i64>,
    /// collected ÷ (rent due + arrears brought forward).
    pub collection_rate_with_arrears_bp: Option<i64>,
    pub written_off: Pence,
    /// written off ÷ rent due.
    pub write_off_rate_bp: Option<i64>,
    pub current_tenancies: u64,
    /// The annual rent debit of the current tenancies.
    pub rent_roll: Pence,
    pub current_arrears: Pence,
    pub current_real_arrears: Pence,
    pub current_technical_arrears: Pence,
    /// current arrears ÷ rent roll.
    pub current_arrears_bp: Option<i64>,
    pub current_real_arrears_bp: Option<i64>,
    pub former_tenancies_in_arrears: u64,
    pub former_arrears: Pence,
    /// former tenant arrears ÷ rent roll.
    pub former_arrears_bp: Option<i64>,
    /// Current tenants owing more than 7 weeks' rent (real arrears).
    pub owing_over_7_weeks: u64,
    pub owing_over_7_weeks_bp: Option<i64>,
    /// Current tenancies, every band (in `ArrearsBand::ALL` order).
    pub bands: Vec<(ArrearsBand, Bucket)>,
    /// All accounts, every stage (in `Stage::ALL` order).
    pub stages: Vec<(Stage, Bucket)>,
    pub uc_claimants: u64,
    pub uc_arrears: Pence,
    pub uc_real_arrears: Pence,
    pub uc_technical_arrears: Pence,
    pub apas: u64,
    pub direct_debits: u64,
    /// Current tenancies paying by direct debit ÷ current tenancies.
    pub direct_debit_bp: Option<i64>,
}

pub fn performance(accounts: &[AccountInputs]) -> Performance {
    let mut bands: Vec<(ArrearsBand, Bucket)> = ArrearsBand::ALL
        .iter()
        .map(|b| (*b, Bucket::EMPTY))
        .collect();
    let mut stages: Vec<(Stage, Bucket)> = Stage::ALL.iter().map(|s| (*s, Bucket::EMPTY)).collect();
    let mut p = Performance {
        accounts: accounts.len() as u64,
        rent_due: Pence::ZERO,
        collected: Pence::ZERO,
        arrears_brought_forward: Pence::ZERO,
        collection_rate_bp: None,
        collection_rate_with_arrears_bp: None,
        written_off: Pence::ZERO,
        write_off_rate_bp: None,
        current_tenancies: 0,
        rent_roll: Pence::ZERO,
        current_arrears: Pence::ZERO,
        current_real_arrears: Pence::ZERO,
        current_technical_arrears: Pence::ZERO,
        current_arrears_bp: None,
        current_real_arrears_bp: None,
        former_tenancies_in_arrears: 0,
        former_arrears: Pence::ZERO,
        former_arrears_bp: None,
        owing_over_7_weeks: 0,
        owing_over_7_weeks_bp: None,
        bands: vec![],
        stages: vec![],
        uc_claimants: 0,
        uc_arrears: Pence::ZERO,
        uc_real_arrears: Pence::ZERO,
        uc_technical_arrears: Pence::ZERO,
        apas: 0,
        direct_debits: 0,
        direct_debit_bp: None,
    };
    for a in accounts {
        p.rent_due += a.money.rent_due;
        p.collected += a.money.collected;
        p.written_off += a.money.written_off;
        p.arrears_brought_forward += a.money.arrears_brought_forward;
        if let Some((_, b)) = stages.iter_mut().find(|(s, _)| *s == a.stage) {
            b.count += 1;
            b.value += a.real_arrears;
        }
        match a.standing {
            Standing::Former => {
                if a.arrears.0 > 0 {
                    p.former_tenancies_in_arrears += 1;
                    p.former_arrears += a.arrears;
                }
            }
            Standing::Current => {
                p.current_tenancies += 1;
                p.rent_roll += a.annual_rent_debit;
                p.current_arrears += a.arrears;
                p.current_real_arrears += a.real_arrears;
                p.current_technical_arrears += a.technical_arrears;
                let band = ArrearsBand::of(a.real_arrears, a.weeks_in_arrears_hundredths);
                if let Some((_, b)) = bands.iter_mut().find(|(x, _)| *x == band) {
                    b.count += 1;
                    b.value += a.real_arrears;
                }
                if a.real_arrears.0 > 0 && a.weeks_in_arrears_hundredths.is_some_and(|w| w > 700) {
                    p.owing_over_7_weeks += 1;
                }
                if a.uc_claimant {
                    p.uc_claimants += 1;
                    p.uc_arrears += a.arrears;
                    p.uc_real_arrears += a.real_arrears;
                    p.uc_technical_arrears += a.technical_arrears;
                    if a.apa {
                        p.apas += 1;
                    }
                }
                if a.direct_debit {
                    p.direct_debits += 1;
                }
            }
        }
    }
    p.collection_rate_bp = basis_points(p.collected, p.rent_due);
    p.collection_rate_with_arrears_bp =
        basis_points(p.collected, p.rent_due + p.arrears_brought_forward);
    p.write_off_rate_bp = basis_points(p.written_off, p.rent_due);
    p.current_arrears_bp = basis_points(p.current_arrears, p.rent_roll);
    p.current_real_arrears_bp = basis_points(p.current_real_arrears, p.rent_roll);
    p.former_arrears_bp = basis_points(p.former_arrears, p.rent_roll);
    p.owing_over_7_weeks_bp = count_basis_points(p.owing_over_7_weeks, p.current_tenancies);
    p.direct_debit_bp = count_basis_points(p.direct_debits, p.current_tenancies);
    p.bands = bands;
    p.stages = stages;
    p
}

/// One rent week (Monday..Sunday) of the trend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekFigures {
    pub week_start: NaiveDate,
    pub rent_due: Pence,
    pub collected: Pence,
    pub collection_rate_bp: Option<i64>,
    /// Current tenants' arrears at the week's end (Sunday).
    pub current_arrears: Pence,
    pub current_real_arrears: Pence,
    pub rent_roll: Pence,
    pub current_arrears_bp: Option<i64>,
}

impl WeekFigures {
    pub fn new(
        week_start: NaiveDate,
        rent_due: Pence,
        collected: Pence,
        current_arrears: Pence,
        current_real_arrears: Pence,
        rent_roll: Pence,
    ) -> WeekFigures {
        WeekFigures {
            week_start,
            rent_due,
            collected,
            collection_rate_bp: basis_points(collected, rent_due),
            current_arrears,
            current_real_arrears,
            rent_roll,
            current_arrears_bp: basis_points(current_arrears, rent_roll),
        }
    }
}

/// What a weekly trend chart can plot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrendMetric {
    CollectionRate,
    RentDue,
    RentCollected,
    CurrentArrears,
    RealArrears,
    ArrearsPercent,
}

impl TrendMetric {
    pub const ALL: &'static [TrendMetric] = &[
        TrendMetric::CollectionRate,
        TrendMetric::RentDue,
        TrendMetric::RentCollected,
        TrendMetric::CurrentArrears,
        TrendMetric::RealArrears,
        TrendMetric::ArrearsPercent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TrendMetric::CollectionRate => "collection_rate",
            TrendMetric::RentDue => "rent_due",
            TrendMetric::RentCollected => "rent_collected",
            TrendMetric::CurrentArrears => "current_arrears",
            TrendMetric::RealArrears => "real_arrears",
            TrendMetric::ArrearsPercent => "arrears_percent",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            TrendMetric::CollectionRate => "Rent collected as % of rent due",
            TrendMetric::RentDue => "Rent due (£)",
            TrendMetric::RentCollected => "Rent collected (£)",
            TrendMetric::CurrentArrears => "Current tenant arrears (£)",
            TrendMetric::RealArrears => "Current tenant real arrears (£)",
            TrendMetric::ArrearsPercent => "Current tenant arrears as % of rent roll",
        }
    }

    /// Percent metrics are in basis points, money in pence; `None` where a ratio has no
    /// denominator (a week with nothing due).
    pub fn value(self, w: &WeekFigures) -> Option<i64> {
        match self {
            TrendMetric::CollectionRate => w.collection_rate_bp,
            TrendMetric::RentDue => Some(w.rent_due.0),
            TrendMetric::RentCollected => Some(w.collected.0),
            TrendMetric::CurrentArrears => Some(w.current_arrears.0),
            TrendMetric::RealArrears => Some(w.current_real_arrears.0),
            TrendMetric::ArrearsPercent => w.current_arrears_bp,
        }
    }
}

impl std::str::FromStr for TrendMetric {
    type Err = String;
    fn from_str(s: &str) -> Result<TrendMetric, String> {
        TrendMetric::ALL
            .iter()
            .copied()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown metric {s:?}; expected one of {}",
                    TrendMetric::ALL
                        .iter()
                        .map(|m| m.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn entry(d: u32, kind: TransactionKind, amount: i64) -> LedgerEntry {
        LedgerEntry {
            posted_on: ymd(2026, 11, d),
            kind,
            amount: Pence(amount),
            method: None,
        }
    }

    fn account(real: i64, weekly: i64) -> AccountInputs {
        AccountInputs {
            standing: Standing::Current,
            money: PeriodMoney::default(),
            arrears: Pence(real),
            real_arrears: Pence(real),
            technical_arrears: Pence::ZERO,
            weeks_in_arrears_hundredths: ratio_hundredths(Pence(real), Pence(weekly)),
            annual_rent_debit: Pence(weekly * 52),
            stage: Stage::None,
            uc_claimant: false,
            apa: false,
            direct_debit: false,
        }
    }

    #[test]
    fn bands_include_their_lower_bound() {
        use ArrearsBand::*;
        let cases = [
            (0, Some(0), Clear),
            (-500, Some(-5), Clear),
            (1, Some(0), UnderOneWeek),
            (9_999, Some(99), UnderOneWeek),
            (10_000, Some(100), OneToFourWeeks),
            (39_999, Some(399), OneToFourWeeks),
            (40_000, Some(400), FourToEightWeeks),
            (80_000, Some(800), EightToThirteenWeeks),
            (129_999, Some(1299), EightToThirteenWeeks),
            (130_000, Some(1300), ThirteenWeeksOrMore),
            (50_000, None, NoWeeklyCharge),
        ];
        for (real, weeks, band) in cases {
            assert_eq!(
                ArrearsBand::of(Pence(real), weeks),
                band,
                "{real} {weeks:?}"
            );
        }
    }

    #[test]
    fn basis_points_round_half_away_from_zero() {
        // 2/3 = 66.666…% → 66.67%
        assert_eq!(basis_points(Pence(2), Pence(3)), Some(6667));
        // 1/8 = 12.5% exactly
        assert_eq!(basis_points(Pence(1), Pence(8)), Some(1250));
        // 1/20000 = 0.005% → 0.01%
        assert_eq!(basis_points(Pence(1), Pence(20_000)), Some(1));
        assert_eq!(basis_points(Pence(5), Pence(0)), None);
        assert_eq!(count_basis_points(1, 3), Some(3333));
        assert_eq!(percent_string(9725), "97.25");
        assert_eq!(percent_string(5), "0.05");
        assert_eq!(percent_string(-5), "-0.05");
        assert_eq!(percent_string(12_000), "120.00");
    }

    /// Issue 16's ledger kinds: ground rent is rent due; a DHP is collected; a returned Direct
    /// Debit and HB recovered as overpaid take collection back.
    #[test]
    fn period_money_counts_ground_rent_dhp_returned_direct_debits_and_hb_recovered() {
        use TransactionKind::*;
        let l = [
            entry(2, RentDebit, 10_000),
            entry(2, GroundRent, 12_500),
            entry(3, Payment, -10_000),
            entry(4, ReturnedDirectDebit, 10_000),
            entry(5, DiscretionaryHousingPayment, -4_000),
            entry(6, HousingBenefit, -6_000),
            entry(7, HbOverpaymentRecovery, 1_500),
        ];
        let m = period_money(&l, ymd(2026, 11, 1), ymd(2026, 11, 8));
        assert_eq!(m.rent_due, Pence(22_500));
        assert_eq!(m.collected, Pence(4_000 + 6_000 - 1_500));
    }

    #[test]
    fn period_money_splits_due_collected_written_off_and_brought_forward() {
        use TransactionKind::*;
        let l = [
            entry(1, RentDebit, 10_000), // before the period: b/f
            entry(2, RentDebit, 10_000),
            entry(2, ServiceCharge, 500),
            entry(3, Payment, -8_000),
            entry(4, UniversalCredit, -6_000),
            entry(5, CourtCosts, 30_000), // a debit, not rent
            entry(6, WriteOff, -1_000),   // clears, collects nothing
            entry(7, Adjustment, -200),   // neither
            entry(9, RentDebit, 10_000),  // after the period
        ];
        let m = period_money(&l, ymd(2026, 11, 2), ymd(2026, 11, 8));
        assert_eq!(
            m,
            PeriodMoney {
                rent_due: Pence(10_500),
                collected: Pence(14_000),
                written_off: Pence(1_000),
                arrears_brought_forward: Pence(10_000),
            }
        );
        // A credit balance brought forward is not negative arrears.
        let credit = [entry(1, Payment, -5_000)];
        assert_eq!(
            period_money(&credit, ymd(2026, 11, 2), ymd(2026, 11, 8)).arrears_brought_forward,
            Pence::ZERO
        );
    }

    #[test]
    fn figures_add_up_by_hand() {
        // Three current tenancies at £100/week (rent roll 3 × £5,200 = £15,600) and one former.
        let mut a = account(0, 10_000);
        a.money = PeriodMoney {
            rent_due: Pence(20_000),
            collected: Pence(20_000),
            written_off: Pence::ZERO,
            arrears_brought_forward: Pence::ZERO,
        };
        a.direct_debit = true;
        let mut b = account(75_000, 10_000); // 7.50 weeks
        b.money = PeriodMoney {
            rent_due: Pence(20_000),
            collected: Pence(5_000),
            written_off: Pence::ZERO,
            arrears_brought_forward: Pence(60_000),
        };
        b.stage = Stage::NoticeServed;
        let mut c = account(15_000, 10_000); // 1.50 weeks real, £50 technical
        c.arrears = Pence(20_000);
        c.technical_arrears = Pence(5_000);
        c.money = PeriodMoney {
            rent_due: Pence(20_000),
            collected: Pence(10_000),
            written_off: Pence(1_000),
            arrears_brought_forward: Pence(6_000),
        };
        c.uc_claimant = true;
        c.apa = true;
        c.stage = Stage::FirstLetter;
        let mut d = account(40_000, 0);
        d.standing = Standing::Former;
        d.weeks_in_arrears_hundredths = None;
        d.money.collected = Pence(2_500);
        d.money.arrears_brought_forward = Pence(42_500);
        d.stage = Stage::FormerTenantRecovery;
        let p = performance(&[a, b, c, d]);
        assert_eq!(p.accounts, 4);
        assert_eq!(p.rent_due, Pence(60_000));
        // 20,000 + 5,000 + 10,000 + 2,500
        assert_eq!(p.collected, Pence(37_500));
        // 37,500 / 60,000 = 62.50%
        assert_eq!(p.collection_rate_bp, Some(6250));
        // b/f 60,000 + 6,000 + 42,500 = 108,500; 37,500 / 168,500 = 22.255…% → 22.26%
        assert_eq!(p.arrears_brought_forward, Pence(108_500));
        assert_eq!(p.collection_rate_with_arrears_bp, Some(2226));
        // 1,000 / 60,000 = 1.666…% → 1.67%
        assert_eq!(p.write_off_rate_bp, Some(167));
        assert_eq!(p.current_tenancies, 3);
        assert_eq!(p.rent_roll, Pence(1_560_000));
        // 0 + 75,000 + 20,000 = 95,000 / 1,560,000 = 6.0897…% → 6.09%
        assert_eq!(p.current_arrears, Pence(95_000));
        assert_eq!(p.current_arrears_bp, Some(609));
        // real 90,000 / 1,560,000 = 5.769…% → 5.77%
        assert_eq!(p.current_real_arrears_bp, Some(577));
        assert_eq!(p.current_technical_arrears, Pence(5_000));
        // 40,000 / 1,560,000 = 2.564…% → 2.56%
        assert_eq!(
            (p.former_tenancies_in_arrears, p.former_arrears),
            (1, Pence(40_000))
        );
        assert_eq!(p.former_arrears_bp, Some(256));
        // Only b owes more than 7 weeks: 1 of 3 = 33.33%
        assert_eq!(
            (p.owing_over_7_weeks, p.owing_over_7_weeks_bp),
            (1, Some(3333))
        );
        let band = |x: ArrearsBand| p.bands.iter().find(|(b, _)| *b == x).unwrap().1;
        assert_eq!(band(ArrearsBand::Clear).count, 1);
        assert_eq!(
            band(ArrearsBand::OneToFourWeeks),
            Bucket {
                count: 1,
                value: Pence(15_000)
            }
        );
        assert_eq!(band(ArrearsBand::FourToEightWeeks).value, Pence(75_000));
        assert_eq!(p.bands.len(), ArrearsBand::ALL.len());
        let stage = |x: Stage| p.stages.iter().find(|(s, _)| *s == x).unwrap().1;
        assert_eq!(stage(Stage::None).count, 1);
        assert_eq!(stage(Stage::FormerTenantRecovery).value, Pence(40_000));
        assert_eq!(
            (p.uc_claimants, p.uc_arrears, p.uc_real_arrears, p.apas),
            (1, Pence(20_000), Pence(15_000), 1)
        );
        // 1 of 3 current tenancies pays by direct debit.
        assert_eq!((p.direct_debits, p.direct_debit_bp), (1, Some(3333)));
    }

    #[test]
    fn nothing_due_gives_no_rate_rather_than_a_division_by_zero() {
        let p = performance(&[]);
        assert_eq!(p.collection_rate_bp, None);
        assert_eq!(p.current_arrears_bp, None);
        assert_eq!(p.direct_debit_bp, None);
        let w = WeekFigures::new(
            ymd(2026, 11, 2),
            Pence(0),
            Pence(100),
            Pence(0),
            Pence(0),
            Pence(0),
        );
        assert_eq!(TrendMetric::CollectionRate.value(&w), None);
        assert_eq!(TrendMetric::RentCollected.value(&w), Some(100));
    }

    #[test]
    fn metrics_parse_by_name() {
        for m in TrendMetric::ALL {
            assert_eq!(m.as_str().parse::<TrendMetric>(), Ok(*m));
        }
        assert!(
            "speed"
                .parse::<TrendMetric>()
                .unwrap_err()
                .contains("collection_rate")
        );
    }
}
