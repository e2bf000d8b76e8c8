//! Tasks: the rules that raise work for a person, and what that person records when it is done
//! (issue 7: every task names the rule that created it and is completed with an outcome).
//!
//! The worker's triggers name their own rules (`outreach::types::UC_APA_REQUEST`, …); these are the
//! rules behind tasks raised by what tenants and messages do.

use chrono::{Duration, NaiveDate};

/// A tenant replied to an SMS: an officer follows it up.
pub const SMS_REPLY_FOLLOW_UP: &str = "sms_reply_follow_up";
/// A tenant proposed a plan outside the affordability policy: an officer reviews it.
pub const PLAN_OUTSIDE_POLICY: &str = "plan_outside_policy";
/// A tenant reported a Universal Credit claim in the app.
pub const UC_CLAIM_REPORTED: &str = "uc_claim_reported";
/// A tenant reported a change of circumstances in the app.
pub const CHANGE_OF_CIRCUMSTANCES_REPORTED: &str = "change_of_circumstances_reported";
/// An email or push whose delivery cannot be known (the provider cannot be asked again).
pub const MESSAGE_OUTCOME_UNKNOWN: &str = "message_outcome_unknown";
/// A rule's or an officer's message that could not be sent for good (refused by the provider,
/// given up after its retries, or no channel left): the contact it stood for did not happen,
/// so the patch officer makes it another way.
pub const MESSAGE_NOT_SENT: &str = "message_not_sent";

/// An account whose figures no rent account can hold (a corrupt stored amount): an officer
/// finds the bad ledger line and has it corrected at source. Lists and reports leave the
/// account out meanwhile.
pub const ACCOUNT_OUT_OF_RANGE: &str = "account_out_of_range";
/// Did what the task asked.
pub const DONE: &str = "done";
/// The APA (Managed Payment to Landlord) was requested from DWP: the claim's APA status
/// becomes `requested`.
pub const APA_REQUESTED: &str = "apa_requested";
/// The task a Universal Credit claim the tenant reported raises: verify the housing costs,
/// and request the APA when the tenant wants one.
pub const UC_CLAIM_TASK: &str = "uc_claim";

/// Whether completing a task of `kind` with `outcome` records the APA as requested: the APA
/// rule's task, or the task of a claim the tenant reported (whose to-do may be the APA).
pub fn requests_apa(kind: &str, outcome: &str) -> bool {
    outcome == APA_REQUESTED
        && (kind == crate::outreach::types::UC_APA_REQUEST || kind == UC_CLAIM_TASK)
}

/// How long after it is raised a task is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueIn {
    /// The council's own figure (`OutreachConfig::task_due_days`): follow-ups of the outreach
    /// triggers and tenancy audits.
    Configured(u32),
    /// [`SMS_REPLY_FOLLOW_UP`]: the next day.
    SmsReply,
    /// [`PLAN_OUTSIDE_POLICY`]: two days.
    PlanOutsidePolicy,
    /// [`UC_CLAIM_REPORTED`]: two days.
    UcClaimReported,
    /// [`CHANGE_OF_CIRCUMSTANCES_REPORTED`]: three days.
    ChangeOfCircumstances,
    /// [`MESSAGE_OUTCOME_UNKNOWN`]: the next day.
    MessageOutcomeUnknown,
    /// [`ACCOUNT_OUT_OF_RANGE`]: the next day.
    AccountOutOfRange,
    /// [`MESSAGE_NOT_SENT`]: the next day.
    MessageNotSent,
}

impl DueIn {
    pub fn days(self) -> u32 {
        match self {
            DueIn::Configured(days) => days,
            DueIn::SmsReply
            | DueIn::MessageOutcomeUnknown
            | DueIn::AccountOutOfRange
            | DueIn::MessageNotSent => 1,
            DueIn::PlanOutsidePolicy | DueIn::UcClaimReported => 2,
            DueIn::ChangeOfCircumstances => 3,
        }
    }
}

/// The day a task raised on `raised_on` (London) is due.
pub fn due_on(raised_on: NaiveDate, due_in: DueIn) -> NaiveDate {
    raised_on + Duration::days(i64::from(due_in.days()))
}

/// What a person may record on completing a task of `kind`: [`DONE`] and "not needed" for
/// any task, and the outcomes particular to its kind.
pub fn outcomes(kind: &str) -> &'static [&'static str] {
    match kind {
        crate::outreach::types::UC_APA_REQUEST => {
            &[APA_REQUESTED, "tenant_objected", DONE, "not_needed"]
        }
        UC_CLAIM_TASK => &[APA_REQUESTED, DONE, "not_needed", "no_contact"],
        crate::outreach::types::HB_STOPPED | crate::outreach::types::HB_REDUCED => &[
            "claim_restored",
            "new_claim_made",
            "not_entitled",
            "no_contact",
            DONE,
            "not_needed",
        ],
        crate::outreach::types::DIRECT_DEBIT_OFFER => &[
            "mandate_set_up",
            "declined",
            "no_contact",
            DONE,
            "not_needed",
        ],
        "reply" => &["called_back", "replied", "no_contact", DONE, "not_needed"],
        "review_plan" => &["approved", "declined", DONE, "not_needed"],
        "tenancy_audit" => &["visit_booked", "no_access", DONE, "not_needed"],
        _ => &[DONE, "not_needed", "no_contact"],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_is_due_its_days_after_the_day_it_is_raised() {
        let d = |day| NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
        assert_eq!(due_on(d(27), DueIn::SmsReply), d(28));
        assert_eq!(due_on(d(27), DueIn::PlanOutsidePolicy), d(29));
        assert_eq!(due_on(d(27), DueIn::ChangeOfCircumstances), d(30));
        assert_eq!(
            due_on(d(27), DueIn::Configured(7)),
            d(27) + Duration::days(7)
        );
    }

    #[test]
    fn every_kind_can_be_done_or_not_needed_and_the_apa_task_can_record_the_request() {
        for kind in [
            crate::outreach::types::UC_APA_REQUEST,
            crate::outreach::types::HB_STOPPED,
            crate::outreach::types::DIRECT_DEBIT_OFFER,
            "reply",
            "review_plan",
            "tenancy_audit",
            "anything_else",
        ] {
            assert!(outcomes(kind).contains(&DONE), "{kind}");
            assert!(outcomes(kind).contains(&"not_needed"), "{kind}");
        }
        assert!(outcomes(crate::outreach::types::UC_APA_REQUEST).contains(&APA_REQUESTED));
        assert!(!outcomes("reply").contains(&APA_REQUESTED));
        // A claim the tenant reported wanting a managed payment: its task records the request.
        assert!(outcomes(UC_CLAIM_TASK).contains(&APA_REQUESTED));
        assert!(requests_apa(UC_CLAIM_TASK, APA_REQUESTED));
        assert!(requests_apa(
            crate::outreach::types::UC_APA_REQUEST,
            APA_REQUESTED
        ));
        assert!(!requests_apa(UC_CLAIM_TASK, DONE));
        assert!(!requests_apa("reply", APA_REQUESTED));
    }
}
