//! The outreach vocabulary shared by the trigger rules, the sequences (the council's data) and
//! the tenancy audits: a [`Trigger`] and its rule ids, a sequence step and when it falls due, a
//! message step and an arrears threshold level.

use crate::contact_policy::Channel;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const MISSED_PAYMENT: &str = "missed_payment";

pub const BROKEN_ARRANGEMENT: &str = "broken_arrangement";

pub const ARREARS_THRESHOLD: &str = "arrears_threshold";

pub const UC_NEW_CLAIM: &str = "uc_new_claim";

pub const HB_STOPPED: &str = "hb_stopped";

pub const HB_REDUCED: &str = "hb_reduced";

pub const UC_APA_REQUEST: &str = "uc_apa_request";

pub const UC_DEDUCTION_REQUEST: &str = "uc_deduction_request";

pub const DIRECT_DEBIT_OFFER: &str = "direct_debit_offer";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    /// Stable rule id, recorded on every message and action it causes.
    pub rule: &'static str,
    /// The step within the rule (e.g. "warning", "officer_task", "day_0").
    pub step: String,
    /// What makes this occurrence unique: goes into the idempotency key.
    pub period: String,
    /// Plain-English reason for officers and tenants.
    pub reason: String,
    /// The facts that fired it, for the action diary.
    pub facts: BTreeMap<String, String>,
}

/// When a step of the new-UC-claim sequence falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "from", content = "days")]
pub enum StepTime {
    /// Days after the claim date.
    AfterClaim(i64),
    /// Days after the first UC payment date (negative: before it).
    AfterFirstPayment(i64),
}

/// One step of a sequence: data the council can change without a release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SequenceStep {
    pub id: String,
    pub at: StepTime,
    /// Preferred channels in order (sms, email, push).
    pub channels: Vec<String>,
    pub template: String,
    /// Only when the first payment has not reached the account (the "check" step).
    #[serde(default)]
    pub only_if_unpaid: bool,
}

/// The shipped default for a new UC claim (issue 4): day 0, around the first payment, and a
/// check after it.
pub fn default_uc_sequence() -> Vec<SequenceStep> {
    let step = |id: &str, at, template: &str, only_if_unpaid| SequenceStep {
        id: id.into(),
        at,
        channels: vec!["sms".into(), "email".into(), "push".into()],
        template: template.into(),
        only_if_unpaid,
    };
    vec![
        step("day_0", StepTime::AfterClaim(0), "uc_claim_welcome", false),
        step(
            "first_payment_due",
            StepTime::AfterFirstPayment(-2),
            "uc_first_payment_due",
            false,
        ),
        step(
            "first_payment_check",
            StepTime::AfterFirstPayment(3),
            "uc_first_payment_check",
            true,
        ),
    ]
}

/// A message step: the template and the channels to try, in order (the tenant's preferred
/// channel, when it is one of them, goes first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageStep {
    pub template: String,
    pub channels: Vec<Channel>,
}

impl MessageStep {
    pub(crate) fn new(template: &str) -> MessageStep {
        MessageStep {
            template: template.into(),
            channels: vec![Channel::Sms, Channel::Email, Channel::Push],
        }
    }
}

/// One arrears level: `weeks` of the weekly charge or `months` of rent (weekly × 52 ÷ 12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdLevel {
    /// Goes into the message's step and idempotency key: never reuse one for another level.
    pub id: String,
    #[serde(default)]
    pub weeks: Option<u32>,
    #[serde(default)]
    pub months: Option<u32>,
    /// `None`: the officer acts (a task), no message.
    #[serde(default)]
    pub message: Option<MessageStep>,
}

impl ThresholdLevel {
    /// The shipped levels (`OutreachConfig::default`): 2, 4 and 8 weeks' charge and 2 months'
    /// rent, each a message.
    pub fn defaults() -> Vec<ThresholdLevel> {
        let level = |id: &str, weeks, months| ThresholdLevel {
            id: id.into(),
            weeks,
            months,
            message: Some(MessageStep::new("arrears_threshold")),
        };
        vec![
            level("2_weeks", Some(2), None),
            level("4_weeks", Some(4), None),
            level("8_weeks", Some(8), None),
            level("2_months", None, Some(2)),
        ]
    }
}
