//! The closed vocabularies of the API as `enum`s (style.md §10): each is a poem-openapi `Enum`,
//! so the document lists every value (`enum: [...]`) for generated clients, the contract check
//! refuses any other value with a 422 naming the field before a handler runs, and the handlers
//! match on variants the compiler knows. The wire spelling is the stored one (`as_str`).
//! Where the domain has the same vocabulary, `From` goes both ways and a test checks that the
//! two lists are the same.

use poem_openapi::Enum;

/// An `Enum` with its wire spelling, `ALL`, `as_str`, `parse`, and, given a domain type whose
/// variants have the same names, conversions both ways.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident <=> $domain:path { $($variant:ident = $text:literal),+ $(,)? }) => {
        vocabulary!($(#[$meta])* $name { $($variant = $text),+ });
        impl From<$name> for $domain {
            fn from(v: $name) -> $domain {
                match v { $($name::$variant => <$domain>::$variant),+ }
            }
        }
        impl From<$domain> for $name {
            fn from(v: $domain) -> $name {
                match v { $(<$domain>::$variant => $name::$variant),+ }
            }
        }
    };
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $(#[oai(rename = $text)] $variant),+
        }
        impl $name {
            #[allow(dead_code)]
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            #[allow(dead_code)]
            pub const NAMES: &'static [&'static str] = &[$($text),+];
            /// The wire and stored spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            /// The value for a stored or wire spelling, `None` for anything else.
            #[allow(dead_code)]
            pub fn parse(s: &str) -> Option<$name> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary!(
    /// How often a plan's or an order's instalments fall due.
    Frequency <=> rentdesk_domain::tenancy::Frequency {
        Weekly = "weekly",
        Fortnightly = "fortnightly",
        FourWeekly = "four_weekly",
        Monthly = "monthly",
    }
);

vocabulary!(
    /// What an officer records in the diary.
    ActionKind {
        Call = "call",
        Visit = "visit",
        Note = "note",
        Letter = "letter",
        Referral = "referral",
    }
);

vocabulary!(
    /// What came of a call or a visit. Calls: answered, no_answer, voicemail, wrong_number;
    /// visits: contact_made, no_access, card_left; both: promise_to_pay, arrangement_agreed,
    /// refused.
    ActionOutcome {
        Answered = "answered",
        NoAnswer = "no_answer",
        Voicemail = "voicemail",
        WrongNumber = "wrong_number",
        ContactMade = "contact_made",
        NoAccess = "no_access",
        CardLeft = "card_left",
        PromiseToPay = "promise_to_pay",
        ArrangementAgreed = "arrangement_agreed",
        Refused = "refused",
    }
);

impl ActionOutcome {
    /// Whether the outcome can follow an action of this kind (calls and visits only).
    pub fn fits(self, kind: ActionKind) -> bool {
        use ActionOutcome::*;
        match kind {
            ActionKind::Call => matches!(
                self,
                Answered
                    | NoAnswer
                    | Voicemail
                    | WrongNumber
                    | PromiseToPay
                    | ArrangementAgreed
                    | Refused
            ),
            ActionKind::Visit => VisitOutcome::parse(self.as_str()).is_some(),
            _ => false,
        }
    }
}

vocabulary!(
    /// What came of a visit.
    VisitOutcome {
        ContactMade = "contact_made",
        NoAccess = "no_access",
        CardLeft = "card_left",
        PromiseToPay = "promise_to_pay",
        ArrangementAgreed = "arrangement_agreed",
        Refused = "refused",
    }
);

vocabulary!(
    /// Where a tenant was referred.
    Referral {
        DebtAdvice = "debt_advice",
        WelfareBenefits = "welfare_benefits",
        SocialCare = "social_care",
        TenancySustainment = "tenancy_sustainment",
        HbTeam = "hb_team",
    }
);

vocabulary!(
    /// Why a visit was made, when it was more than a rent visit.
    VisitPurpose {
        TenancyAudit = "tenancy_audit",
    }
);

vocabulary!(
    /// A planned visit: a home visit about the rent, or the periodic tenancy audit.
    VisitKind {
        HomeVisit = "home_visit",
        TenancyAudit = "tenancy_audit",
    }
);

vocabulary!(
    /// The flags an officer can set.
    FlagKind {
        Vulnerability = "vulnerability",
        BreathingSpaceStandard = "breathing_space_standard",
        BreathingSpaceMentalHealth = "breathing_space_mental_health",
        Safeguarding = "safeguarding",
    }
);

vocabulary!(
    /// Why a flag ended.
    FlagEndReason <=> rentdesk_domain::flags::EndReason {
        Ended = "ended",
        Cancelled = "cancelled",
        EnteredInError = "entered_in_error",
    }
);

vocabulary!(
    /// A change in the tenant's circumstances they report in the app.
    ChangeKind {
        IncomeDrop = "income_drop",
        NewJob = "new_job",
        JobLoss = "job_loss",
        HouseholdChange = "household_change",
        BenefitChange = "benefit_change",
        Health = "health",
        Other = "other",
    }
);

vocabulary!(
    /// The kind of device a push token belongs to.
    Platform {
        Android = "android",
        Ios = "ios",
        Web = "web",
    }
);

vocabulary!(
    /// A member of staff's role.
    StaffRole <=> rentdesk_store::staff::Role {
        Officer = "officer",
        TeamLeader = "team_leader",
        Admin = "admin",
    }
);

vocabulary!(
    /// The channels a tenant can prefer.
    PreferredChannel {
        Sms = "sms",
        Email = "email",
        Push = "push",
    }
);

vocabulary!(
    /// The languages every message exists in.
    Language <=> rentdesk_domain::templates::Language {
        English = "en",
        Welsh = "cy",
    }
);

vocabulary!(
    /// An account's arrangement, as the caseload filters it.
    ArrangementFilter {
        None = "none",
        Active = "active",
        Broken = "broken",
        PendingReview = "pending_review",
    }
);

vocabulary!(
    /// Where a case stands on the way from arrears to possession.
    Stage <=> rentdesk_domain::escalation::Stage {
        None = "none",
        EarlyIntervention = "early_intervention",
        FirstLetter = "first_letter",
        SecondLetter = "second_letter",
        ProtocolStepsComplete = "protocol_steps_complete",
        NoticeServed = "notice_served",
        CourtApplication = "court_application",
        Hearing = "hearing",
        Order = "order",
        Warrant = "warrant",
        Eviction = "eviction",
        Closed = "closed",
        FormerTenantRecovery = "former_tenant_recovery",
    }
);

vocabulary!(
    /// Whether an account owes: nothing, only what benefit already on its way will clear
    /// (technical arrears), or real arrears.
    ArrearsStatus <=> rentdesk_domain::arrears::ArrearsStatus {
        Clear = "clear",
        TechnicalOnly = "technical_only",
        InArrears = "in_arrears",
    }
);

vocabulary!(
    /// What a ledger row is: debits (rent, service charge, ground rent, court costs, a refund
    /// paid out, a returned Direct Debit, Housing Benefit recovered as overpaid) and credits (a
    /// payment, Housing Benefit, a Discretionary Housing Payment, Universal Credit, a DWP
    /// deduction, a write-off); an adjustment either way.
    TransactionKind <=> rentdesk_domain::ledger::TransactionKind {
        RentDebit = "rent_debit",
        ServiceCharge = "service_charge",
        GroundRent = "ground_rent",
        Payment = "payment",
        ReturnedDirectDebit = "returned_direct_debit",
        HousingBenefit = "housing_benefit",
        DiscretionaryHousingPayment = "discretionary_housing_payment",
        HbOverpaymentRecovery = "hb_overpayment_recovery",
        UniversalCredit = "universal_credit",
        ThirdPartyDeduction = "third_party_deduction",
        CourtCosts = "court_costs",
        Adjustment = "adjustment",
        Refund = "refund",
        WriteOff = "write_off",
    }
);

vocabulary!(
    /// What a weekly trend chart plots.
    TrendMetric <=> rentdesk_domain::kpi::TrendMetric {
        CollectionRate = "collection_rate",
        RentDue = "rent_due",
        RentCollected = "rent_collected",
        CurrentArrears = "current_arrears",
        RealArrears = "real_arrears",
        ArrearsPercent = "arrears_percent",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabularies_shared_with_the_domain_have_the_same_values() {
        let names = |all: &[&str]| all.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            names(Frequency::NAMES),
            rentdesk_domain::tenancy::Frequency::ALL
                .iter()
                .map(|f| f.as_str().to_owned())
                .collect::<Vec<_>>()
        );
        assert_eq!(
            names(Language::NAMES),
            names(rentdesk_domain::templates::Language::CODES)
        );
        assert_eq!(names(FlagKind::NAMES), names(rentdesk_domain::flags::KINDS));
        assert_eq!(
            names(VisitKind::NAMES),
            names(&rentdesk_store::visits::KINDS)
        );
        assert_eq!(
            VisitPurpose::TenancyAudit.as_str(),
            rentdesk_domain::tenancy_audit::TENANCY_AUDIT
        );
        for v in TransactionKind::ALL {
            let d: rentdesk_domain::ledger::TransactionKind = (*v).into();
            assert_eq!(d.as_str(), v.as_str());
        }
        assert_eq!(
            TransactionKind::ALL.len(),
            rentdesk_domain::ledger::TransactionKind::ALL.len()
        );
        for v in TrendMetric::ALL {
            let d: rentdesk_domain::kpi::TrendMetric = (*v).into();
            assert_eq!(d.as_str(), v.as_str());
        }
        for v in Stage::ALL {
            let d: rentdesk_domain::escalation::Stage = (*v).into();
            assert_eq!(d.as_str(), v.as_str());
        }
        assert_eq!(
            Stage::ALL.len(),
            rentdesk_domain::escalation::Stage::ALL.len()
        );
        for v in Frequency::ALL {
            let d: rentdesk_domain::tenancy::Frequency = (*v).into();
            assert_eq!(d.as_str(), v.as_str());
        }
        for v in Language::ALL {
            let d: rentdesk_domain::templates::Language = (*v).into();
            assert_eq!(d.code(), v.as_str());
        }
    }

    #[test]
    fn an_outcome_fits_only_its_kind() {
        assert!(ActionOutcome::ContactMade.fits(ActionKind::Visit));
        assert!(!ActionOutcome::ContactMade.fits(ActionKind::Call));
        assert!(ActionOutcome::Voicemail.fits(ActionKind::Call));
        assert!(!ActionOutcome::Voicemail.fits(ActionKind::Visit));
        assert!(ActionOutcome::PromiseToPay.fits(ActionKind::Call));
        assert!(ActionOutcome::PromiseToPay.fits(ActionKind::Visit));
        assert!(!ActionOutcome::Refused.fits(ActionKind::Note));
    }
}
