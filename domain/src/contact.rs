//! Contact details parsed at the edge: a UK mobile number in E.164, an email address, a UK
//! postcode. Parse, don't validate: once a value has one of these types it is known good.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactError {
    #[error("not a UK mobile number (07… or +447…)")]
    Mobile,
    #[error("not an email address")]
    Email,
    #[error("not a UK postcode")]
    Postcode,
}

/// A UK mobile number in E.164 form, `+447…` (12 digits after the plus).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MobileNumber(String);

impl MobileNumber {
    /// Accepts `07700 900123`, `+44 7700 900123`, `447700900123`, `(07700) 900-123`.
    pub fn parse(input: &str) -> Result<MobileNumber, ContactError> {
        let digits: String = input
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
            .collect();
        let national = if let Some(rest) = digits.strip_prefix("+44") {
            rest.to_owned()
        } else if let Some(rest) = digits.strip_prefix("44") {
            rest.to_owned()
        } else if let Some(rest) = digits.strip_prefix('0') {
            rest.to_owned()
        } else {
            return Err(ContactError::Mobile);
        };
        // UK mobiles are 07xxx xxxxxx: national significant number 7 + 9 digits.
        if national.len() == 10
            && national.starts_with('7')
            && national.bytes().all(|b| b.is_ascii_digit())
        {
            Ok(MobileNumber(format!("+44{national}")))
        } else {
            Err(ContactError::Mobile)
        }
    }
}

impl AsRef<str> for MobileNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MobileNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An email address: one `@`, a non-empty local part, a dotted domain, no spaces. Deliverability
/// is learnt from bounces, not guessed here.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(input: &str) -> Result<EmailAddress, ContactError> {
        let s = input.trim();
        let (local, domain) = s.split_once('@').ok_or(ContactError::Email)?;
        let ok = !local.is_empty()
            && local.len() <= 64
            && s.len() <= 254
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !s.chars().any(|c| c.is_whitespace() || c.is_control());
        if ok {
            Ok(EmailAddress(s.to_owned()))
        } else {
            Err(ContactError::Email)
        }
    }
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A UK postcode, normalised to upper case with one space before the inward code ("LS1 4DY").
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Postcode(String);

impl Postcode {
    pub fn parse(input: &str) -> Result<Postcode, ContactError> {
        let compact: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let n = compact.len();
        if !(5..=7).contains(&n) {
            return Err(ContactError::Postcode);
        }
        let (outward, inward) = compact.split_at(n - 3);
        let inward_ok = {
            let b = inward.as_bytes();
            b[0].is_ascii_digit() && b[1].is_ascii_alphabetic() && b[2].is_ascii_alphabetic()
        };
        let outward_ok = outward.as_bytes()[0].is_ascii_alphabetic()
            && outward.bytes().all(|b| b.is_ascii_alphanumeric())
            && outward.bytes().any(|b| b.is_ascii_digit());
        if inward_ok && outward_ok {
            Ok(Postcode(format!("{outward} {inward}")))
        } else {
            Err(ContactError::Postcode)
        }
    }
}

impl AsRef<str> for Postcode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uk_mobiles_in_every_usual_spelling_become_e164() {
        for input in [
            "07700 900123",
            "+44 7700 900123",
            "447700900123",
            "(07700) 900-123",
        ] {
            assert_eq!(
                MobileNumber::parse(input).unwrap().as_ref(),
                "+447700900123"
            );
        }
    }

    #[test]
    fn landlines_and_junk_are_not_mobiles() {
        for input in ["0113 496 0000", "07700", "+1 202 555 0100", "phone me", ""] {
            assert_eq!(
                MobileNumber::parse(input),
                Err(ContactError::Mobile),
                "{input}"
            );
        }
    }

    #[test]
    fn email_needs_an_at_and_a_dotted_domain() {
        assert!(EmailAddress::parse("a.tenant@example.org").is_ok());
        for input in [
            "",
            "no-at.example.org",
            "a@b",
            "a@@b.org",
            "a b@c.org",
            "@c.org",
            "a@.org",
        ] {
            assert!(EmailAddress::parse(input).is_err(), "{input}");
        }
    }

    #[test]
    fn postcodes_are_normalised() {
        assert_eq!(Postcode::parse("ls14dy").unwrap().as_ref(), "LS1 4DY");
        assert_eq!(Postcode::parse("SW1A 1AA").unwrap().as_ref(), "SW1A 1AA");
        assert_eq!(Postcode::parse(" m1 1ae ").unwrap().as_ref(), "M1 1AE");
        for input in ["", "12345", "LS1", "LS1 4D", "LS1 A4D", "!!1 4DY"] {
            assert!(Postcode::parse(input).is_err(), "{input}");
        }
    }
}
