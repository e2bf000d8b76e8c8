//! The closed vocabularies of the API as `enum`s (style.md §10): each is a poem-openapi `Enum`,
//! so the document lists every value (`enum: [...]`) for generated clients, the contract check
//! refuses any other value with a 422 naming the field before a handler runs, and the handlers
//! match on variants the compiler knows. The wire spelling is the stored one (`as_str`).
//! Where the domain has the same vocabulary, `From` goes both ways and a test checks that the
//! two lists are the same.
//!
//! Responses carry the same enums, read from stored text (the columns stay text). Every value
//! in those columns is written by our own code from these lists, or by an import that refused
//! any value outside them (store/src/imports validates each vocabulary column it writes), so a
//! stored value outside its list is a bug or a hand edit, never a caller's mistake. Reading
//! one never panics: `from_stored` answers an [`UnknownValue`] naming the vocabulary, the value
//! and the row, and the reader logs it. A list, page or report leaves that one row out
//! ([`readable`]): one bad row must not take down a list or a report (issue 15). A read of a
//! single item answers 500 problem+json with the cause logged ([`one`]).

use poem_openapi::Enum;

use crate::problem::Problem;

/// A stored value outside its vocabulary, and the row it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    pub vocabulary: &'static str,
    pub value: String,
    /// Table and id of the row, when the reader knows them.
    pub row: Option<(&'static str, i64)>,
}

impl std::fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "stored {:?} is not a {}", self.value, self.vocabulary)?;
        if let Some((table, id)) = self.row {
            write!(f, " ({table} row {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for UnknownValue {}

/// The rows that read; each that does not is logged with its id and left out, so one bad row
/// cannot take down the list.
pub fn readable<M, T>(rows: impl IntoIterator<Item = M>) -> Vec<T>
where
    T: TryFrom<M, Error = UnknownValue>,
{
    kept(rows.into_iter().map(T::try_from))
}

/// The items that read, as [`readable`], for rows read some other way than `TryFrom`.
pub fn kept<T>(items: impl IntoIterator<Item = Result<T, UnknownValue>>) -> Vec<T> {
    items
        .into_iter()
        .filter_map(|r| {
            r.inspect_err(|e| tracing::error!("row left out of a list: {e}"))
                .ok()
        })
        .collect()
}

/// A single item read from its row; a stored value outside its vocabulary is our failure, a
/// 500 problem+json with the cause logged.
pub fn one<M, T>(row: M) -> Result<T, Problem>
where
    T: TryFrom<M, Error = UnknownValue>,
{
    T::try_from(row).map_err(|e| Problem::internal(&e))
}

/// An `Enum` with its wire spelling, `ALL`, `NAMES`, `as_str`, `parse`, `from_stored` and,
/// given a domain type whose variants have the same names, conversions both ways.
///
/// `from_stored` reads a text column. It never panics: a value outside the vocabulary is an
/// [`UnknownValue`] naming the vocabulary, the value, the table and the row. Only our code and
/// imports that validate the vocabulary write these columns, so such a value is our fault: a
/// list, page or report leaves that row out and logs it ([`readable`], [`kept`]), because one
/// bad row must not take down a list or a report (issue 15); a single item answers 500
/// problem+json with the cause logged ([`one`]). Nothing is guessed or defaulted.
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
            /// The value of a stored column of row `id` of `table`; anything outside the
            /// vocabulary is an [`UnknownValue`] naming both (module docs say what a reader
            /// does with it).
            #[allow(dead_code)]
            pub fn from_stored(
                s: &str,
                table: &'static str,
                id: i64,
            ) -> Result<$name, UnknownValue> {
                $name::parse(s).ok_or_else(|| UnknownValue {
                    vocabulary: stringify!($name),
                    value: s.to_owned(),
                    row: Some((table, id)),
                })
            }
            /// As [`Self::from_stored`], for a column that may be empty.
            #[allow(dead_code)]
            pub fn from_stored_opt(
                s: Option<&str>,
                table: &'static str,
                id: i64,
            ) -> Result<Option<$name>, UnknownValue> {
                s.map(|s| $name::from_stored(s, table, id)).transpose()
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// The stages of a case (`rentdesk_domain::possession::types::Stage`), written once: the
/// vocabularies that carry them (`Stage` itself, and the unions `StepName`, `CaseStep` and
/// `CountKey`) say `@stages` where they come, and each union also gets `From` the domain's
/// stage. A test checks the list against the domain's.
macro_rules! with_stages {
    (@list $(#[$meta:meta])* $name:ident $(<=> $domain:path)? { $($pre:ident = $pt:literal,)* } { $($post:ident = $ppt:literal),* }) => {
        vocabulary!($(#[$meta])* $name $(<=> $domain)? {
            $($pre = $pt,)*
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
            $($post = $ppt,)*
        });
    };
    ($(#[$meta:meta])* $name:ident <=> $domain:path { @stages }) => {
        with_stages!(@list $(#[$meta])* $name <=> $domain {} {});
    };
    ($(#[$meta:meta])* $name:ident { $($pre:ident = $pt:literal,)* @stages $(, $post:ident = $ppt:literal)* $(,)? }) => {
        with_stages!(@list $(#[$meta])* $name { $($pre = $pt,)* } { $($post = $ppt),* });
        impl From<rentdesk_domain::possession::types::Stage> for $name {
            fn from(s: rentdesk_domain::possession::types::Stage) -> $name {
                use rentdesk_domain::possession::types::Stage as S;
                match s {
                    S::None => $name::None,
                    S::EarlyIntervention => $name::EarlyIntervention,
                    S::FirstLetter => $name::FirstLetter,
                    S::SecondLetter => $name::SecondLetter,
                    S::ProtocolStepsComplete => $name::ProtocolStepsComplete,
                    S::NoticeServed => $name::NoticeServed,
                    S::CourtApplication => $name::CourtApplication,
                    S::Hearing => $name::Hearing,
                    S::Order => $name::Order,
                    S::Warrant => $name::Warrant,
                    S::Eviction => $name::Eviction,
                    S::Closed => $name::Closed,
                    S::FormerTenantRecovery => $name::FormerTenantRecovery,
                }
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
    /// How often rent is payable under the tenancy (issue 16).
    RentPeriod <=> rentdesk_domain::rent::RentPeriod {
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
    /// What a diary entry records: what an officer records (call, visit, note, letter,
    /// referral); a text or email from the landlord's old system (sms, email); the tenant's
    /// texts and choices (reply, sms_help, opt_in, opt_out); a message planned or suppressed
    /// (message) or a rule's task for an officer (task); a task done (task_done); a flag; a
    /// plan (arrangement, plan_proposed); a Universal Credit claim or a change of
    /// circumstances the tenant reported; the possession case (protocol, stage, notice,
    /// order_step).
    DiaryKind <=> rentdesk_store::vocab::ActionKind {
        Call = "call",
        Visit = "visit",
        Note = "note",
        Letter = "letter",
        Referral = "referral",
        Sms = "sms",
        Email = "email",
        Reply = "reply",
        SmsHelp = "sms_help",
        OptIn = "opt_in",
        OptOut = "opt_out",
        Message = "message",
        Task = "task",
        TaskDone = "task_done",
        Flag = "flag",
        Arrangement = "arrangement",
        PlanProposed = "plan_proposed",
        UcClaim = "uc_claim",
        ChangeOfCircumstances = "change_of_circumstances",
        Protocol = "protocol",
        Stage = "stage",
        Notice = "notice",
        OrderStep = "order_step",
    }
);

impl From<ActionKind> for rentdesk_store::vocab::ActionKind {
    fn from(k: ActionKind) -> rentdesk_store::vocab::ActionKind {
        DiaryKind::from(k).into()
    }
}

impl From<ActionKind> for DiaryKind {
    fn from(k: ActionKind) -> DiaryKind {
        match k {
            ActionKind::Call => DiaryKind::Call,
            ActionKind::Visit => DiaryKind::Visit,
            ActionKind::Note => DiaryKind::Note,
            ActionKind::Letter => DiaryKind::Letter,
            ActionKind::Referral => DiaryKind::Referral,
        }
    }
}

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

with_stages!(
    /// Where a case stands on the way from arrears to possession.
    Stage <=> rentdesk_domain::possession::types::Stage { @stages }
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

vocabulary!(
    /// Where a payment plan (an arrangement) stands. Current: active, pending_review (a
    /// tenant's proposal an officer must review), broken. Ended: cancelled, replaced (by a new
    /// plan), completed, declined (a proposal refused on review).
    PlanStatus {
        Active = "active",
        PendingReview = "pending_review",
        Broken = "broken",
        Cancelled = "cancelled",
        Replaced = "replaced",
        Completed = "completed",
        Declined = "declined",
    }
);

vocabulary!(
    /// Where a campaign stands.
    CampaignStatus {
        Draft = "draft",
        Scheduled = "scheduled",
        Running = "running",
        Paused = "paused",
        Cancelled = "cancelled",
        Finished = "finished",
    }
);

vocabulary!(
    /// Where a data export (a subject access request) stands.
    ExportStatus {
        Queued = "queued",
        Running = "running",
        Done = "done",
        Failed = "failed",
    }
);

vocabulary!(
    /// Where an import batch stands: `rejected` when validation refused the file (nothing
    /// written), `failed` when writing it failed.
    ImportBatchStatus {
        Queued = "queued",
        Running = "running",
        Succeeded = "succeeded",
        Rejected = "rejected",
        Failed = "failed",
    }
);

vocabulary!(
    /// Where a message stands. Outgoing: queued, sending, sent, delivered, failed, unknown
    /// (the provider never said), suppressed (not sent, with a reason), cancelled (its
    /// campaign was). `received`: a tenant's reply. `officer_task`: a rule's task for an
    /// officer, in the officer's message history only.
    MessageStatus {
        Queued = "queued",
        Sending = "sending",
        Sent = "sent",
        Delivered = "delivered",
        Failed = "failed",
        Unknown = "unknown",
        Suppressed = "suppressed",
        Cancelled = "cancelled",
        Received = "received",
        OfficerTask = "officer_task",
    }
);

vocabulary!(
    /// A channel messages go out on.
    Channel <=> rentdesk_domain::contact_policy::Channel {
        Sms = "sms",
        Email = "email",
        Push = "push",
    }
);

vocabulary!(
    /// What a message row in an officer's history went out on: a channel, or `task` for a
    /// rule's task for an officer.
    MessageChannel {
        Sms = "sms",
        Email = "email",
        Push = "push",
        Task = "task",
    }
);

vocabulary!(
    /// Whether an officer's task is open or done.
    TaskStatus {
        Open = "open",
        Done = "done",
    }
);

vocabulary!(
    /// Where a planned visit stands.
    VisitStatus {
        Planned = "planned",
        Cancelled = "cancelled",
        Done = "done",
    }
);

vocabulary!(
    /// How a plan instalment went: paid in full, part paid, missed (due and not paid), or
    /// pending (not yet due).
    InstalmentStatus <=> rentdesk_domain::arrangements::InstalmentStatus {
        Paid = "paid",
        PartPaid = "part_paid",
        Missed = "missed",
        Pending = "pending",
    }
);

vocabulary!(
    /// Whether a tenancy is current, a former tenancy (the tenant left owing or owed), or
    /// closed.
    TenancyStatus {
        Active = "active",
        Former = "former",
        Closed = "closed",
    }
);

vocabulary!(
    /// A Universal Credit claim's Alternative Payment Arrangement (managed payment to the
    /// landlord): none, wanted (the tenant asked), requested (we asked the DWP), in_place.
    ApaStatus {
        None = "none",
        Wanted = "wanted",
        Requested = "requested",
        InPlace = "in_place",
    }
);

vocabulary!(
    /// How a tenant's plan is going.
    PlanProgress {
        OnTrack = "on_track",
        Behind = "behind",
        WaitingForReview = "waiting_for_review",
    }
);

vocabulary!(
    /// A benefit that pays rent.
    BenefitKind {
        HousingBenefit = "housing_benefit",
        UniversalCredit = "universal_credit",
    }
);

vocabulary!(
    /// Who a benefit is paid to: the landlord (straight onto the rent account) or the tenant.
    PaidTo {
        Landlord = "landlord",
        Tenant = "tenant",
    }
);

vocabulary!(
    /// What kind of export a data-protection export is.
    ExportKind {
        SubjectAccess = "subject_access",
    }
);

vocabulary!(
    /// Who did what an audit entry records: a member of staff, a tenant, the software itself,
    /// or someone not signed in.
    ActorKind {
        Staff = "staff",
        Tenant = "tenant",
        System = "system",
        Anonymous = "anonymous",
    }
);

vocabulary!(
    /// A tenancy's tenure.
    Tenure <=> rentdesk_domain::tenancy::Tenure {
        Secure = "secure",
        Assured = "assured",
        Starter = "starter",
        Leasehold = "leasehold",
        SharedOwnership = "shared_ownership",
    }
);

vocabulary!(
    /// What an import file holds.
    ImportKind <=> rentdesk_store::imports::ImportKind {
        Tenancies = "tenancies",
        Transactions = "transactions",
        Flags = "flags",
        History = "history",
        Arrangements = "arrangements",
        UcClaims = "uc_claims",
        RentChanges = "rent_changes",
        Stages = "stages",
    }
);

vocabulary!(
    /// A notice before possession proceedings: a NOSP (secure tenancy, HA 1985 s83), a
    /// section 8 notice (assured, HA 1988), or a council introductory tenancy's notice of
    /// proceedings (HA 1996 s128).
    NoticeKind <=> rentdesk_domain::possession::types::NoticeKind {
        Nosp = "nosp",
        Section8 = "section8",
        Introductory = "introductory",
    }
);

vocabulary!(
    /// The rules a notice was served under: current, or the Renters' Rights Act 2025.
    NoticeRegime <=> rentdesk_domain::possession::protocol::NoticeRegime {
        Current = "current",
        RentersRights = "renters_rights",
    }
);

vocabulary!(
    /// How a notice was served (CPR 6.26): by hand (handed to the tenant, or delivered to or
    /// left at the address), or by first-class post.
    ServiceMethod <=> rentdesk_domain::possession::protocol::ServiceMethod {
        Hand = "hand",
        FirstClassPost = "first_class_post",
    }
);

vocabulary!(
    /// What the court ordered on a possession claim.
    OrderKind <=> rentdesk_domain::possession::order::OrderKind {
        Outright = "outright",
        Suspended = "suspended",
        Postponed = "postponed",
        Adjourned = "adjourned",
        Dismissed = "dismissed",
    }
);

vocabulary!(
    /// An entry in a case's history: a pre-action protocol step, a stage change, a notice.
    CaseEventKind {
        Protocol = "protocol",
        Stage = "stage",
        Notice = "notice",
    }
);

vocabulary!(
    /// Whether the service, or what it depends on, answers.
    Availability {
        Ok = "ok",
        Unavailable = "unavailable",
    }
);

vocabulary!(
    /// How to present an access token: `Authorization: Bearer <token>`.
    TokenType {
        Bearer = "Bearer",
    }
);

vocabulary!(
    /// A GeoJSON geometry type (RFC 7946 §3.1) the route uses.
    GeometryType {
        Point = "Point",
        LineString = "LineString",
    }
);

vocabulary!(
    /// A GeoJSON Feature's type (RFC 7946 §3.2).
    FeatureType {
        Feature = "Feature",
    }
);

vocabulary!(
    /// A GeoJSON FeatureCollection's type (RFC 7946 §3.3).
    FeatureCollectionType {
        FeatureCollection = "FeatureCollection",
    }
);

vocabulary!(
    /// What a feature of a route's GeoJSON is: the route line, the base, where a re-planned
    /// route sets off (when not the base), a stop.
    RouteFeature {
        Route = "route",
        Base = "base",
        Start = "start",
        Stop = "stop",
    }
);

vocabulary!(
    /// Something the officer does within the current stage, or must also do now (the
    /// recommendation's `action` and `also`): monitor_order_terms, visit, give_fix_date_notice
    /// and apply_to_fix_date after an order; tell_court_of_breathing_space; and what the
    /// Pre-Action Protocol asks between the notice and the claim.
    StepAction <=> rentdesk_domain::possession::types::ActionKind {
        MonitorOrderTerms = "monitor_order_terms",
        Visit = "visit",
        GiveFixDateNotice = "give_fix_date_notice",
        ApplyToFixDate = "apply_to_fix_date",
        TellCourtOfBreathingSpace = "tell_court_of_breathing_space",
        ContactAfterNotice = "contact_after_notice",
        WarnBeforeProceedings = "warn_before_proceedings",
        ExplainWhyPossessionIsSought = "explain_why_possession_is_sought",
        ConsiderProportionality = "consider_proportionality",
        DecideIntroductoryReview = "decide_introductory_review",
    }
);

vocabulary!(
    /// A pre-action protocol step (and the introductory-tenancy steps recorded the same way).
    ProtocolStep <=> rentdesk_domain::possession::protocol::ProtocolStep {
        ContactMade = "contact_made",
        AffordablePaymentsOffered = "affordable_payments_offered",
        RentStatementSent = "rent_statement_sent",
        BenefitHelpOffered = "benefit_help_offered",
        VulnerabilityConsidered = "vulnerability_considered",
        ProtocolCopySent = "protocol_copy_sent",
        PostNoticeContact = "post_notice_contact",
        ArrangementBreachWarning = "arrangement_breach_warning",
        PossessionReasonsExplained = "possession_reasons_explained",
        ProportionalityConsidered = "proportionality_considered",
        IntroductoryReviewRequested = "introductory_review_requested",
        IntroductoryReviewDecided = "introductory_review_decided",
        IntroductoryTrialExtended = "introductory_trial_extended",
        DebtLetterOfClaimSent = "debt_letter_of_claim_sent",
        DebtReplyReceived = "debt_reply_received",
        DebtAdviceSought = "debt_advice_sought",
        DebtClaimIssued = "debt_claim_issued",
        WriteOffApproved = "write_off_approved",
    }
);

with_stages!(
    /// A step an officer records: `protocol` (with `protocol_step`), a stage, or a step after a
    /// postponed order is breached (fix_date_notice, apply_to_fix_date), or
    /// court_told_of_breathing_space. Which of them fits the case now is checked when it is
    /// recorded (422 naming `step`, or 409 naming what stops it).
    StepName {
        Protocol = "protocol",
        @stages,
        FixDateNotice = "fix_date_notice",
        ApplyToFixDate = "apply_to_fix_date",
        CourtToldOfBreathingSpace = "court_told_of_breathing_space",
    }
);

with_stages!(
    /// What a case history entry records: a protocol step (kind `protocol`) or the stage the
    /// case moved to (kinds `stage` and `notice`).
    CaseStep {
        ContactMade = "contact_made",
        AffordablePaymentsOffered = "affordable_payments_offered",
        RentStatementSent = "rent_statement_sent",
        BenefitHelpOffered = "benefit_help_offered",
        VulnerabilityConsidered = "vulnerability_considered",
        ProtocolCopySent = "protocol_copy_sent",
        PostNoticeContact = "post_notice_contact",
        ArrangementBreachWarning = "arrangement_breach_warning",
        PossessionReasonsExplained = "possession_reasons_explained",
        ProportionalityConsidered = "proportionality_considered",
        IntroductoryReviewRequested = "introductory_review_requested",
        IntroductoryReviewDecided = "introductory_review_decided",
        IntroductoryTrialExtended = "introductory_trial_extended",
        DebtLetterOfClaimSent = "debt_letter_of_claim_sent",
        DebtReplyReceived = "debt_reply_received",
        DebtAdviceSought = "debt_advice_sought",
        DebtClaimIssued = "debt_claim_issued",
        WriteOffApproved = "write_off_approved",
        @stages
    }
);

vocabulary!(
    /// What an officer records on completing a task. Any task: done, not_needed; and by the
    /// task's kind (`rentdesk_domain::tasks::outcomes`): apa_requested, tenant_objected (an
    /// APA request); claim_restored, new_claim_made, not_entitled (Housing Benefit stopped or
    /// reduced); mandate_set_up, declined (a direct-debit offer); called_back, replied (a
    /// reply); approved, declined (a plan to review); visit_booked, no_access (a tenancy
    /// audit); no_contact (most).
    TaskOutcome {
        Done = "done",
        NotNeeded = "not_needed",
        NoContact = "no_contact",
        ApaRequested = "apa_requested",
        TenantObjected = "tenant_objected",
        ClaimRestored = "claim_restored",
        NewClaimMade = "new_claim_made",
        NotEntitled = "not_entitled",
        MandateSetUp = "mandate_set_up",
        Declined = "declined",
        CalledBack = "called_back",
        Replied = "replied",
        Approved = "approved",
        VisitBooked = "visit_booked",
        NoAccess = "no_access",
    }
);

vocabulary!(
    /// Why a message was not sent (the contact policy's reason).
    SuppressReason <=> rentdesk_domain::contact_policy::SuppressReason {
        AccountClosed = "account_closed",
        BreathingSpace = "breathing_space",
        NoAutomatedContact = "no_automated_contact",
        ChannelOptedOut = "channel_opted_out",
        NoContactDetail = "no_contact_detail",
        ContactDetailInvalid = "contact_detail_invalid",
        WeeklyCapReached = "weekly_cap_reached",
    }
);

with_stages!(
    /// What a count in a report is of: an arrears band (real arrears in weeks' rent) in
    /// `arrears_bands`, a stage in `stages`.
    CountKey {
        Clear = "clear",
        UnderOneWeek = "under_1_week",
        OneToFourWeeks = "1_to_4_weeks",
        FourToEightWeeks = "4_to_8_weeks",
        EightToThirteenWeeks = "8_to_13_weeks",
        ThirteenWeeksOrMore = "13_weeks_or_more",
        NoWeeklyCharge = "no_weekly_charge",
        @stages
    }
);

impl From<rentdesk_domain::kpi::ArrearsBand> for CountKey {
    fn from(b: rentdesk_domain::kpi::ArrearsBand) -> CountKey {
        use rentdesk_domain::kpi::ArrearsBand as B;
        match b {
            B::Clear => CountKey::Clear,
            B::UnderOneWeek => CountKey::UnderOneWeek,
            B::OneToFourWeeks => CountKey::OneToFourWeeks,
            B::FourToEightWeeks => CountKey::FourToEightWeeks,
            B::EightToThirteenWeeks => CountKey::EightToThirteenWeeks,
            B::ThirteenWeeksOrMore => CountKey::ThirteenWeeksOrMore,
            B::NoWeeklyCharge => CountKey::NoWeeklyCharge,
        }
    }
}

vocabulary!(
    /// Why accounts were left out of the caseload (`rentdesk_domain::priority::Exclusion`).
    LeftOutKey {
        NoArrears = "no_arrears",
        TechnicalOnly = "technical_only",
        BreathingSpace = "breathing_space",
        ArrangementKept = "arrangement_kept",
        ContactedRecently = "contacted_recently",
        SmallAndStable = "small_and_stable",
        Closed = "closed",
    }
);

impl From<&rentdesk_domain::priority::Exclusion> for LeftOutKey {
    fn from(e: &rentdesk_domain::priority::Exclusion) -> LeftOutKey {
        use rentdesk_domain::priority::Exclusion as E;
        match e {
            E::NoArrears => LeftOutKey::NoArrears,
            E::TechnicalOnly { .. } => LeftOutKey::TechnicalOnly,
            E::BreathingSpace { .. } => LeftOutKey::BreathingSpace,
            E::ArrangementKept { .. } => LeftOutKey::ArrangementKept,
            E::ContactedRecently { .. } => LeftOutKey::ContactedRecently,
            E::SmallAndStable => LeftOutKey::SmallAndStable,
            E::Closed => LeftOutKey::Closed,
        }
    }
}

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
            names(RentPeriod::NAMES),
            rentdesk_domain::rent::RentPeriod::ALL
                .iter()
                .map(|p| p.as_str().to_owned())
                .collect::<Vec<_>>()
        );
        assert_eq!(
            names(VisitKind::NAMES),
            names(&rentdesk_store::visits::KINDS)
        );
        assert_eq!(
            VisitPurpose::TenancyAudit.as_str(),
            rentdesk_domain::outreach::tenancy_audit::TENANCY_AUDIT
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
            let d: rentdesk_domain::possession::types::Stage = (*v).into();
            assert_eq!(d.as_str(), v.as_str());
        }
        assert_eq!(
            Stage::ALL.len(),
            rentdesk_domain::possession::types::Stage::ALL.len()
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

    /// Each response vocabulary read from a store column lists exactly what the store writes:
    /// a status added in the store without the API fails here.
    #[test]
    fn vocabularies_read_from_the_store_list_what_it_writes() {
        use rentdesk_store as store;
        let cases: [(&str, &[&str], &[&str]); 12] = [
            ("PlanStatus", PlanStatus::NAMES, &store::plans::STATUSES),
            (
                "CampaignStatus",
                CampaignStatus::NAMES,
                &store::campaigns::STATUSES,
            ),
            (
                "ExportStatus",
                ExportStatus::NAMES,
                &store::subject_access::STATUSES,
            ),
            (
                "ImportBatchStatus",
                ImportBatchStatus::NAMES,
                &store::imports::BATCH_STATUSES,
            ),
            (
                "MessageStatus",
                MessageStatus::NAMES,
                &store::outbox::MESSAGE_STATUSES,
            ),
            (
                "MessageChannel",
                MessageChannel::NAMES,
                &store::outbox::MESSAGE_CHANNELS,
            ),
            ("TaskStatus", TaskStatus::NAMES, &store::tasks::STATUSES),
            ("VisitStatus", VisitStatus::NAMES, &store::visits::STATUSES),
            (
                "TenancyStatus",
                TenancyStatus::NAMES,
                store::imports::TENANCY_STATUSES,
            ),
            ("ApaStatus", ApaStatus::NAMES, &store::facts::APA_STATUSES),
            ("ActorKind", ActorKind::NAMES, &store::audit::ACTOR_KINDS),
            (
                "ExportKind",
                ExportKind::NAMES,
                &[store::subject_access::KIND],
            ),
        ];
        for (name, api, stored) in cases {
            assert_eq!(api, stored, "{name}");
        }
        // The store's ActiveEnums of the typed status columns list the same values.
        use store::vocab::names;
        assert_eq!(TaskStatus::NAMES, names::<store::vocab::TaskStatus>());
        assert_eq!(VisitStatus::NAMES, names::<store::vocab::VisitStatus>());
        assert_eq!(ExportStatus::NAMES, names::<store::vocab::ExportStatus>());
        assert_eq!(
            ImportBatchStatus::NAMES,
            names::<store::vocab::ImportBatchStatus>()
        );
        assert_eq!(DiaryKind::NAMES, names::<store::vocab::ActionKind>());
        for k in ActionKind::ALL {
            assert_eq!(DiaryKind::from(*k).as_str(), k.as_str());
        }
        // The plans the store calls current are plan statuses.
        for s in store::plans::CURRENT {
            assert!(PlanStatus::parse(s).is_some(), "{s}");
        }
        for s in ["officer", "team_leader", "admin"] {
            let role = store::staff::Role::parse(s).unwrap();
            assert_eq!(StaffRole::from(role).as_str(), role.as_str());
        }
        assert_eq!(StaffRole::NAMES, ["officer", "team_leader", "admin"]);
        assert_eq!(
            ImportKind::NAMES.to_vec(),
            store::imports::ImportKind::ALL
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
        );
        for k in ImportKind::ALL {
            assert_eq!(store::imports::ImportKind::from(*k).as_str(), k.as_str());
        }
        let domain = |all: &[rentdesk_domain::contact_policy::Channel]| {
            all.iter().map(|c| c.as_str()).collect::<Vec<_>>()
        };
        assert_eq!(
            Channel::NAMES.to_vec(),
            domain(rentdesk_domain::contact_policy::Channel::ALL)
        );
        assert_eq!(&MessageChannel::NAMES[..3], Channel::NAMES);
        assert_eq!(
            Tenure::NAMES.to_vec(),
            rentdesk_domain::tenancy::Tenure::ALL
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
        );
        for v in InstalmentStatus::ALL {
            let d: rentdesk_domain::arrangements::InstalmentStatus = (*v).into();
            assert_eq!(serde_json::to_value(d).unwrap(), v.as_str());
        }
        for v in FlagEndReason::ALL {
            let d: rentdesk_domain::flags::EndReason = (*v).into();
            assert_eq!(d.as_str(), v.as_str());
        }
    }

    /// The unions: each lists exactly the values of the vocabularies it joins, so a step,
    /// stage, band or task outcome added in the domain without the API fails here.
    #[test]
    fn union_vocabularies_list_exactly_what_they_join() {
        use rentdesk_domain::kpi::ArrearsBand;
        use rentdesk_domain::possession::court::OrderStep;
        use rentdesk_domain::possession::protocol::ProtocolStep as P;
        use rentdesk_domain::possession::types::Stage as S;
        let steps: Vec<&str> = P::ALL.iter().map(|p| p.as_str()).collect();
        let stages: Vec<&str> = S::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(CaseStep::NAMES, [steps.clone(), stages.clone()].concat());
        let orders: Vec<&str> = OrderStep::ALL.iter().map(|o| o.as_str()).collect();
        assert_eq!(
            StepName::NAMES,
            [vec!["protocol"], stages.clone(), orders].concat()
        );
        assert_eq!(ProtocolStep::NAMES, steps);
        for p in P::ALL {
            assert_eq!(ProtocolStep::from(*p).as_str(), p.as_str());
        }
        for b in ArrearsBand::ALL {
            assert_eq!(CountKey::from(*b).as_str(), b.as_str());
        }
        for s in S::ALL {
            assert_eq!(CountKey::from(*s).as_str(), s.as_str());
            assert_eq!(StepName::from(*s).as_str(), s.as_str());
            assert_eq!(CaseStep::from(*s).as_str(), s.as_str());
        }
        assert_eq!(CountKey::ALL.len(), ArrearsBand::ALL.len() + S::ALL.len());
        // Every outcome any task kind can take, and nothing else.
        use rentdesk_domain::outreach::{tenancy_audit, types as o};
        let kinds = [
            o::MISSED_PAYMENT,
            o::BROKEN_ARRANGEMENT,
            o::ARREARS_THRESHOLD,
            o::UC_NEW_CLAIM,
            o::HB_STOPPED,
            o::HB_REDUCED,
            o::UC_APA_REQUEST,
            o::DIRECT_DEBIT_OFFER,
            tenancy_audit::TENANCY_AUDIT_DUE,
            tenancy_audit::TENANCY_AUDIT,
            "reply",
            "review_plan",
            "anything_else",
        ];
        let mut outcomes: Vec<&str> = kinds
            .iter()
            .flat_map(|k| rentdesk_domain::tasks::outcomes(k).iter().copied())
            .collect();
        outcomes.sort_unstable();
        outcomes.dedup();
        let mut listed = TaskOutcome::NAMES.to_vec();
        listed.sort_unstable();
        assert_eq!(listed, outcomes);
        for s in rentdesk_domain::contact_policy::SuppressReason::ALL {
            assert_eq!(SuppressReason::from(*s).as_str(), s.as_str());
        }
        for a in StepAction::ALL {
            let d: rentdesk_domain::possession::types::ActionKind = (*a).into();
            assert_eq!(d.as_str(), a.as_str());
        }
        use rentdesk_domain::priority::Exclusion as E;
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let all = [
            E::NoArrears,
            E::TechnicalOnly { reason: None },
            E::BreathingSpace {
                until: None,
                review_by: None,
            },
            E::ArrangementKept { agreed: day },
            E::ContactedRecently { on: day },
            E::SmallAndStable,
            E::Closed,
        ];
        for e in &all {
            assert_eq!(LeftOutKey::from(e).as_str(), e.key());
        }
        assert_eq!(LeftOutKey::ALL.len(), all.len());
    }

    #[test]
    fn a_stored_value_outside_its_vocabulary_names_itself_and_its_row() {
        assert_eq!(
            PlanStatus::from_stored("declined", "arrangements", 7),
            Ok(PlanStatus::Declined)
        );
        let e = PlanStatus::from_stored("paused", "arrangements", 7).unwrap_err();
        assert_eq!(
            e.to_string(),
            "stored \"paused\" is not a PlanStatus (arrangements row 7)"
        );
        assert_eq!(FlagEndReason::from_stored_opt(None, "flags", 1), Ok(None));
        // A list keeps the rows that read and leaves the other out.
        let rows = [("active", 1), ("bogus", 2), ("broken", 3)];
        let read: Vec<PlanStatus> = kept(
            rows.iter()
                .map(|(s, id)| PlanStatus::from_stored(s, "arrangements", *id)),
        );
        assert_eq!(read, [PlanStatus::Active, PlanStatus::Broken]);
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
