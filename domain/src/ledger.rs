//! The rent account ledger: signed integer pence, debit +, credit −. Append-only: corrections
//! are reversing entries, and balances are derived from it (architecture principle 2).

use crate::Pence;
use crate::vocabulary::named_enum;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransactionKind {
    RentDebit,
    ServiceCharge,
    /// A leaseholder's ground rent: rent, debited as the lease says (issue 16).
    GroundRent,
    Payment,
    /// A tenant's Direct Debit payment returned unpaid by the bank: a debit that undoes the
    /// payment it reverses (the rent it was for is unpaid again).
    ReturnedDirectDebit,
    HousingBenefit,
    /// Discretionary Housing Payment: the council's award towards the rent, paid to the
    /// landlord (money from the benefit system, not the tenant's own).
    DiscretionaryHousingPayment,
    /// Housing Benefit overpaid and recovered from the landlord: the council takes back HB it
    /// paid, so the rent it was for is unpaid again (rent arrears, not a sundry debt).
    HbOverpaymentRecovery,
    UniversalCredit,
    ThirdPartyDeduction,
    CourtCosts,
    Adjustment,
    Refund,
    WriteOff,
}

named_enum!(TransactionKind {
    RentDebit => "rent_debit",
    ServiceCharge => "service_charge",
    GroundRent => "ground_rent",
    Payment => "payment",
    ReturnedDirectDebit => "returned_direct_debit",
    HousingBenefit => "housing_benefit",
    DiscretionaryHousingPayment => "discretionary_housing_payment",
    HbOverpaymentRecovery => "hb_overpayment_recovery",
    UniversalCredit => "universal_credit",
    ThirdPartyDeduction => "third_party_deduction",
    CourtCosts => "court_costs",
    Adjustment => "adjustment",
    Refund => "refund",
    WriteOff => "write_off",
});

/// How the tenant (or the benefit system for them) pays the rent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    DirectDebit,
    StandingOrder,
    Card,
    Cash,
    BankTransfer,
    Cheque,
    HousingBenefit,
    UniversalCredit,
}

named_enum!(PaymentMethod {
    DirectDebit => "direct_debit",
    StandingOrder => "standing_order",
    Card => "card",
    Cash => "cash",
    BankTransfer => "bank_transfer",
    Cheque => "cheque",
    HousingBenefit => "housing_benefit",
    UniversalCredit => "universal_credit",
});

impl TransactionKind {
    /// +1 for debits (rent, service, ground rent, court costs, a refund paid out, a returned
    /// Direct Debit, HB recovered), −1 for credits, 0 for an adjustment, which may go either
    /// way.
    pub fn expected_sign(self) -> i8 {
        use TransactionKind::*;
        match self {
            RentDebit
            | ServiceCharge
            | GroundRent
            | CourtCosts
            | Refund
            | ReturnedDirectDebit
            | HbOverpaymentRecovery => 1,
            Payment
            | HousingBenefit
            | DiscretionaryHousingPayment
            | UniversalCredit
            | ThirdPartyDeduction
            | WriteOff => -1,
            Adjustment => 0,
        }
    }

    pub fn is_debit_kind(self) -> bool {
        self.expected_sign() > 0
    }

    pub fn is_credit_kind(self) -> bool {
        self.expected_sign() < 0
    }

    /// Money the tenant paid themselves (any method), and a returned Direct Debit, which takes
    /// one back: summed, the two leave nothing paid.
    pub fn is_tenant_payment(self) -> bool {
        matches!(
            self,
            TransactionKind::Payment | TransactionKind::ReturnedDirectDebit
        )
    }

    /// Money from the benefit system: HB, UC paid to the landlord, DWP third-party deductions,
    /// Discretionary Housing Payments; and HB recovered as overpaid, which takes some back.
    pub fn is_benefit_credit(self) -> bool {
        matches!(
            self,
            TransactionKind::HousingBenefit
                | TransactionKind::UniversalCredit
                | TransactionKind::ThirdPartyDeduction
                | TransactionKind::DiscretionaryHousingPayment
                | TransactionKind::HbOverpaymentRecovery
        )
    }

    /// A ledger row's amount must carry its kind's sign (debit +, credit −).
    pub fn check_sign(self, amount: Pence) -> Result<(), String> {
        match self.expected_sign() {
            1 if amount.0 <= 0 => Err(format!(
                "a {} must be positive (a debit)",
                self.as_str().replace('_', " ")
            )),
            -1 if amount.0 >= 0 => Err(format!(
                "a {} must be negative (a credit)",
                self.as_str().replace('_', " ")
            )),
            0 if amount.0 == 0 => Err("an adjustment must not be zero".to_owned()),
            _ => Ok(()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub posted_on: NaiveDate,
    pub kind: TransactionKind,
    /// Debit +, credit −.
    pub amount: Pence,
    pub method: Option<PaymentMethod>,
}

impl LedgerEntry {
    /// Money received: `amount` is positive, stored as a credit (negative).
    pub fn credit(posted_on: NaiveDate, kind: TransactionKind, amount: Pence) -> LedgerEntry {
        LedgerEntry {
            posted_on,
            kind,
            amount: -amount,
            method: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastPayment {
    pub date: NaiveDate,
    /// Positive.
    pub amount: Pence,
    pub kind: TransactionKind,
}

pub fn balance(entries: &[LedgerEntry]) -> Pence {
    entries.iter().map(|e| e.amount).sum()
}

/// The latest money received (tenant payment or benefit), not an adjustment or write-off.
/// Several on the same day: the last one in ledger order.
pub fn last_payment(entries: &[LedgerEntry]) -> Option<LastPayment> {
    entries
        .iter()
        .filter(|e| (e.kind.is_tenant_payment() || e.kind.is_benefit_credit()) && e.amount.0 < 0)
        .max_by_key(|e| e.posted_on)
        .map(|e| LastPayment {
            date: e.posted_on,
            amount: -e.amount,
            kind: e.kind,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 16's kinds carry their sign: ground rent, a returned Direct Debit and HB
    /// recovered are debits; a DHP is a credit; cheque is a payment method.
    #[test]
    fn the_housing_system_kinds_carry_their_sign_and_spelling() {
        use TransactionKind::*;
        for (kind, text, sign) in [
            (GroundRent, "ground_rent", 1),
            (ReturnedDirectDebit, "returned_direct_debit", 1),
            (HbOverpaymentRecovery, "hb_overpayment_recovery", 1),
            (
                DiscretionaryHousingPayment,
                "discretionary_housing_payment",
                -1,
            ),
        ] {
            assert_eq!(kind.as_str(), text);
            assert_eq!(text.parse::<TransactionKind>(), Ok(kind));
            assert_eq!(kind.expected_sign(), sign, "{text}");
            assert!(
                kind.check_sign(Pence(-100 * i64::from(sign))).is_err(),
                "{text}"
            );
        }
        assert!(ReturnedDirectDebit.is_tenant_payment());
        assert!(DiscretionaryHousingPayment.is_benefit_credit());
        assert_eq!("cheque".parse::<PaymentMethod>(), Ok(PaymentMethod::Cheque));
        for m in PaymentMethod::ALL {
            assert_eq!(m.as_str().parse::<PaymentMethod>(), Ok(*m));
        }
    }

    fn entry(d: u32, kind: TransactionKind, amount: i64) -> LedgerEntry {
        LedgerEntry {
            posted_on: NaiveDate::from_ymd_opt(2026, 11, d).unwrap(),
            kind,
            amount: Pence(amount),
            method: None,
        }
    }

    #[test]
    fn balance_is_the_sum_of_debits_and_credits() {
        let l = [
            entry(2, TransactionKind::RentDebit, 9850),
            entry(3, TransactionKind::Payment, -9850),
            entry(9, TransactionKind::RentDebit, 9850),
        ];
        assert_eq!(balance(&l), Pence(9850));
    }

    #[test]
    fn last_payment_ignores_adjustments_and_write_offs() {
        let l = [
            entry(3, TransactionKind::Payment, -5000),
            entry(5, TransactionKind::HousingBenefit, -33600),
            entry(9, TransactionKind::WriteOff, -1000),
            entry(10, TransactionKind::Adjustment, -200),
        ];
        let p = last_payment(&l).unwrap();
        assert_eq!(
            (p.date.day0() + 1, p.amount, p.kind),
            (5, Pence(33600), TransactionKind::HousingBenefit)
        );
        assert_eq!(
            last_payment(&[entry(2, TransactionKind::RentDebit, 100)]),
            None
        );
    }

    #[test]
    fn amounts_must_carry_their_kinds_sign() {
        assert!(TransactionKind::Payment.check_sign(Pence(-100)).is_ok());
        assert_eq!(
            TransactionKind::Payment.check_sign(Pence(100)),
            Err("a payment must be negative (a credit)".into())
        );
        assert!(TransactionKind::RentDebit.check_sign(Pence(-1)).is_err());
        assert!(TransactionKind::Adjustment.check_sign(Pence(-1)).is_ok());
        assert!(TransactionKind::Adjustment.check_sign(Pence(0)).is_err());
        for k in TransactionKind::ALL {
            assert_eq!(k.as_str().parse::<TransactionKind>(), Ok(*k));
        }
    }

    use chrono::Datelike;
}
