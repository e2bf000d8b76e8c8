//! Money is integer pence, signed. Never floats: a rent account must balance to the penny
//! after any number of weekly debits and part-payments.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Pence(pub i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("not an amount in pounds and pence (e.g. 12.50 or -3.00): {0:?}")]
    Format(String),
    #[error("more than two decimal places: {0:?}")]
    TooPrecise(String),
    #[error("amount too large: {0:?}")]
    Overflow(String),
    #[error("{} is beyond the limit of ±{} for one amount", Pence(*amount), Pence(*limit as i64))]
    OutOfRange { amount: i64, limit: u64 },
}

impl Pence {
    pub const ZERO: Pence = Pence(0);

    /// The one way in from text (imports, forms): pounds with at most two decimals, an optional
    /// sign before or after an optional `£`: "12", "12.5", "-12.50", "£12.50", "-£3", "+3.00".
    pub fn parse_pounds(input: &str) -> Result<Pence, MoneyError> {
        let format = || MoneyError::Format(input.to_owned());
        let s = input.trim();
        let (negative, s) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let s = s.strip_prefix('£').unwrap_or(s);
        let (whole, frac) = match s.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (s, None),
        };
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format());
        }
        let frac_pence = match frac {
            None => 0,
            Some(f) if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) => {
                return Err(format());
            }
            Some(f) if f.len() > 2 => return Err(MoneyError::TooPrecise(input.to_owned())),
            Some(f) if f.len() == 1 => f.parse::<i64>().map_err(|_| format())? * 10,
            Some(f) => f.parse::<i64>().map_err(|_| format())?,
        };
        let overflow = || MoneyError::Overflow(input.to_owned());
        let pounds: i64 = whole.parse().map_err(|_| overflow())?;
        let pence = pounds
            .checked_mul(100)
            .and_then(|p| p.checked_add(frac_pence))
            .ok_or_else(overflow)?;
        Ok(Pence(if negative { -pence } else { pence }))
    }

    /// "12.34" / "-12.34": the CSV form, no symbol or separators.
    pub fn pounds_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }

    pub fn max(self, other: Pence) -> Pence {
        if self >= other { self } else { other }
    }

    pub fn min(self, other: Pence) -> Pence {
        if self <= other { self } else { other }
    }

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// The most a rent account can plausibly show in any figure (balance, arrears, a period's
    /// charge): £100,000,000,000. Anything beyond it is corrupt data, not a debt; readers that
    /// list many accounts skip such an account and report it rather than rank or total it.
    pub const ACCOUNT_LIMIT: Pence = Pence(10_000_000_000_000);

    /// The default bound on one amount arriving from outside (an import row, an API field):
    /// ±£10,000,000 (`MAX_ROW_AMOUNT_PENCE`).
    pub const DEFAULT_MAX_ROW_AMOUNT: Pence = Pence(1_000_000_000);

    /// |self| ≤ |limit|.
    pub fn within(self, limit: Pence) -> bool {
        self.0.unsigned_abs() <= limit.0.unsigned_abs()
    }

    /// The one way in for an amount from outside: refused beyond ±`limit` with a reason that
    /// names the limit.
    pub fn bounded(self, limit: Pence) -> Result<Pence, MoneyError> {
        if self.within(limit) {
            Ok(self)
        } else {
            Err(MoneyError::OutOfRange {
                amount: self.0,
                limit: limit.0.unsigned_abs(),
            })
        }
    }

    pub fn checked_add(self, rhs: Pence) -> Option<Pence> {
        self.0.checked_add(rhs.0).map(Pence)
    }

    pub fn checked_sub(self, rhs: Pence) -> Option<Pence> {
        self.0.checked_sub(rhs.0).map(Pence)
    }

    pub fn checked_mul(self, rhs: i64) -> Option<Pence> {
        self.0.checked_mul(rhs).map(Pence)
    }

    pub fn checked_neg(self) -> Option<Pence> {
        self.0.checked_neg().map(Pence)
    }

    /// The exact total, or `None` when it does not fit in an `i64`.
    pub fn checked_sum(iter: impl IntoIterator<Item = Pence>) -> Option<Pence> {
        let total: i128 = iter.into_iter().map(|p| i128::from(p.0)).sum();
        i64::try_from(total).ok().map(Pence)
    }

    /// self × num ÷ den, truncated toward zero like `i64` division, worked in 128 bits and
    /// saturated (pro-rata amounts: weekly × days ÷ 7). `den` must not be zero.
    pub fn mul_div(self, num: i64, den: i64) -> Pence {
        Pence::saturate(i128::from(self.0) * i128::from(num) / i128::from(den))
    }

    /// A 128-bit intermediate result stuck at the nearest end of `i64`.
    pub fn saturate(wide: i128) -> Pence {
        Pence(wide.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
    }
}

/// "£1,234.56", "-£12.34", "£0.00".
impl fmt::Display for Pence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let pounds = (abs / 100).to_string();
        let mut grouped = String::new();
        for (i, c) in pounds.chars().enumerate() {
            if i > 0 && (pounds.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        write!(f, "{sign}£{grouped}.{:02}", abs % 100)
    }
}

/// numerator ÷ denominator in hundredths, rounded half away from zero; `None` when dividing by
/// zero. "Weeks in arrears" = arrears ÷ weekly charge (docs/accounts-and-rent.md#weeks-in-arrears-and-months-of-rent).
pub fn ratio_hundredths(numerator: Pence, denominator: Pence) -> Option<i64> {
    if denominator.0 == 0 {
        return None;
    }
    let n = numerator.0 as i128 * 100;
    let d = denominator.0 as i128;
    let q = n / d;
    let r = n % d;
    let rounded = if 2 * r.abs() >= d.abs() {
        q + if (n < 0) != (d < 0) { -1 } else { 1 }
    } else {
        q
    };
    // Beyond i64 only when the figures are corrupt; stick at the end rather than wrap.
    Some(rounded.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
}

// The operators never panic and never wrap: past the ends of `i64` they stick at the end
// (saturate). A figure that large is already nonsense, but a reader that meets one must still
// answer (one corrupt account must not take down a caseload or a report); `within` and the
// `checked_*` methods are for callers that must notice.

impl std::ops::Add for Pence {
    type Output = Pence;
    fn add(self, rhs: Pence) -> Pence {
        Pence(self.0.saturating_add(rhs.0))
    }
}

impl std::ops::Sub for Pence {
    type Output = Pence;
    fn sub(self, rhs: Pence) -> Pence {
        Pence(self.0.saturating_sub(rhs.0))
    }
}

impl std::ops::Neg for Pence {
    type Output = Pence;
    fn neg(self) -> Pence {
        Pence(self.0.saturating_neg())
    }
}

impl std::ops::Mul<i64> for Pence {
    type Output = Pence;
    fn mul(self, rhs: i64) -> Pence {
        Pence(self.0.saturating_mul(rhs))
    }
}

impl std::ops::AddAssign for Pence {
    fn add_assign(&mut self, rhs: Pence) {
        *self = *self + rhs;
    }
}

impl std::ops::SubAssign for Pence {
    fn sub_assign(&mut self, rhs: Pence) {
        *self = *self - rhs;
    }
}

/// Summed exactly in 128 bits and saturated once at the end, so the total does not depend on
/// the order of the terms (a saturating fold would).
impl std::iter::Sum for Pence {
    fn sum<I: Iterator<Item = Pence>>(iter: I) -> Pence {
        Pence::saturate(iter.map(|p| i128::from(p.0)).sum())
    }
}

impl<'a> std::iter::Sum<&'a Pence> for Pence {
    fn sum<I: Iterator<Item = &'a Pence>>(iter: I) -> Pence {
        iter.copied().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pounds_in_every_usual_spelling_parse_to_pence() {
        for (input, pence) in [
            ("12", 1200),
            ("12.5", 1250),
            ("12.50", 1250),
            ("-12.50", -1250),
            ("£12.50", 1250),
            ("-£12.50", -1250),
            ("-£3", -300),
            ("+3.00", 300),
            ("  98.50 ", 9850),
            ("0.01", 1),
            ("0", 0),
        ] {
            assert_eq!(Pence::parse_pounds(input), Ok(Pence(pence)), "{input}");
        }
    }

    #[test]
    fn anything_else_is_refused_with_a_reason() {
        for input in [
            "", "abc", "£", "1e3", "12,50", "--1", "1.2.3", "12.", ".5", "- 1", "£-1",
        ] {
            assert!(
                matches!(Pence::parse_pounds(input), Err(MoneyError::Format(_))),
                "{input}"
            );
        }
        assert!(matches!(
            Pence::parse_pounds("12.345"),
            Err(MoneyError::TooPrecise(_))
        ));
        assert!(matches!(
            Pence::parse_pounds("99999999999999999999"),
            Err(MoneyError::Overflow(_))
        ));
    }

    #[test]
    fn display_has_a_pound_sign_and_thousands_separators() {
        assert_eq!(Pence(1234).to_string(), "£12.34");
        assert_eq!(Pence(-1234).to_string(), "-£12.34");
        assert_eq!(Pence(0).to_string(), "£0.00");
        assert_eq!(Pence(123_456).to_string(), "£1,234.56");
        assert_eq!(Pence(100_000_000).to_string(), "£1,000,000.00");
        assert_eq!(Pence(-5).pounds_string(), "-0.05");
        assert_eq!(Pence(9850).pounds_string(), "98.50");
    }

    #[test]
    fn ratios_round_half_away_from_zero() {
        assert_eq!(ratio_hundredths(Pence(17140), Pence(11070)), Some(155));
        assert_eq!(ratio_hundredths(Pence(9850), Pence(9850)), Some(100));
        assert_eq!(ratio_hundredths(Pence(1), Pence(200)), Some(1)); // 0.005 → 0.01
        assert_eq!(ratio_hundredths(Pence(-1), Pence(200)), Some(-1));
        assert_eq!(ratio_hundredths(Pence(1), Pence(0)), None);
    }

    #[test]
    fn arithmetic_stays_in_pence() {
        let mut p = Pence(100) + Pence(250) - Pence(50);
        p += Pence(1);
        p -= Pence(2);
        assert_eq!(p, Pence(299));
        assert_eq!(Pence(9850) * 3, Pence(29550));
        assert_eq!([Pence(1), Pence(2)].into_iter().sum::<Pence>(), Pence(3));
        assert_eq!(-Pence(5), Pence(-5));
    }

    #[test]
    fn operators_stick_at_the_ends_instead_of_panicking_or_wrapping() {
        let max = Pence(i64::MAX);
        let min = Pence(i64::MIN);
        assert_eq!(max + Pence(1), max);
        assert_eq!(min - Pence(1), min);
        assert_eq!(min + max, Pence(-1));
        assert_eq!(-min, max);
        assert_eq!(max * 52, max);
        assert_eq!(max * -2, min);
        let mut p = max;
        p += max;
        assert_eq!(p, max);
        p -= min;
        assert_eq!(p, max);
        let mut q = min;
        q -= max;
        assert_eq!(q, min);
        // The i64::MAX row of issue 15 among ordinary rows: no panic, stuck at the top.
        assert_eq!(
            [Pence(9_850), max, Pence(-5_000)]
                .into_iter()
                .sum::<Pence>(),
            max
        );
        // Summed exactly, so a huge debit and its reversal cancel whatever the order.
        assert_eq!([max, max, min, min].into_iter().sum::<Pence>(), Pence(-2));
        assert_eq!([max, min, max, min].into_iter().sum::<Pence>(), Pence(-2));
        assert_eq!(ratio_hundredths(max, Pence(1)), Some(i64::MAX));
        assert_eq!(ratio_hundredths(min, Pence(1)), Some(i64::MIN));
    }

    #[test]
    fn checked_arithmetic_says_when_it_does_not_fit() {
        let max = Pence(i64::MAX);
        assert_eq!(Pence(1).checked_add(Pence(2)), Some(Pence(3)));
        assert_eq!(max.checked_add(Pence(1)), None);
        assert_eq!(Pence(i64::MIN).checked_sub(Pence(1)), None);
        assert_eq!(Pence(9_850).checked_mul(3), Some(Pence(29_550)));
        assert_eq!(max.checked_mul(2), None);
        assert_eq!(Pence(i64::MIN).checked_neg(), None);
        assert_eq!(Pence::checked_sum([Pence(1), Pence(2)]), Some(Pence(3)));
        assert_eq!(Pence::checked_sum([max, Pence(1)]), None);
        assert_eq!(Pence::checked_sum([max, Pence(1), Pence(-1)]), Some(max));
    }

    #[test]
    fn amounts_from_outside_are_bounded() {
        let limit = Pence::DEFAULT_MAX_ROW_AMOUNT;
        assert_eq!(
            Pence(1_000_000_000).bounded(limit),
            Ok(Pence(1_000_000_000))
        );
        assert_eq!(
            Pence(-1_000_000_000).bounded(limit),
            Ok(Pence(-1_000_000_000))
        );
        let err = Pence(i64::MAX).bounded(limit).unwrap_err();
        assert_eq!(
            err.to_string(),
            "£92,233,720,368,547,758.07 is beyond the limit of ±£10,000,000.00 for one amount"
        );
        assert!(Pence(i64::MIN).bounded(limit).is_err());
        assert!(Pence(i64::MIN).within(Pence(i64::MIN)));
        assert!(!Pence(1_000_000_001).within(limit));
    }
}
