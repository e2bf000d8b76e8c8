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
/// zero. "Weeks in arrears" = arrears ÷ weekly charge (domain.md §1).
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
    Some(rounded as i64)
}

impl std::ops::Add for Pence {
    type Output = Pence;
    fn add(self, rhs: Pence) -> Pence {
        Pence(self.0 + rhs.0)
    }
}

impl std::ops::Sub for Pence {
    type Output = Pence;
    fn sub(self, rhs: Pence) -> Pence {
        Pence(self.0 - rhs.0)
    }
}

impl std::ops::Neg for Pence {
    type Output = Pence;
    fn neg(self) -> Pence {
        Pence(-self.0)
    }
}

impl std::ops::Mul<i64> for Pence {
    type Output = Pence;
    fn mul(self, rhs: i64) -> Pence {
        Pence(self.0 * rhs)
    }
}

impl std::ops::AddAssign for Pence {
    fn add_assign(&mut self, rhs: Pence) {
        self.0 += rhs.0;
    }
}

impl std::ops::SubAssign for Pence {
    fn sub_assign(&mut self, rhs: Pence) {
        self.0 -= rhs.0;
    }
}

impl std::iter::Sum for Pence {
    fn sum<I: Iterator<Item = Pence>>(iter: I) -> Pence {
        Pence(iter.map(|p| p.0).sum())
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
}
