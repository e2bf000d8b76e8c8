//! Early-intervention sequences as data (issue 4): which rules run, their grace periods and
//! thresholds, which template goes by which channels at each step, and the council's own wording.
//! The council edits this document (`GET`/`PUT /manage/v1/outreach/config`) without a release;
//! [`OutreachConfig::default`] is what ships. `validate` names every bad field, so a bad edit is
//! refused whole and the running configuration is never half-changed.
//!
//! The rules themselves (`triggers`) decide *whether* something happened; this data decides what
//! each occurrence turns into: a message (template + channel order) or work for the officer.

use crate::contact_policy::Channel;
use crate::outreach::tenancy_audit::TenancyAuditRule;
use crate::outreach::types::{self, MessageStep, SequenceStep, StepTime, ThresholdLevel, Trigger};
use crate::templates::{self, Language, TemplateText};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MissedPaymentRule {
    pub enabled: bool,
    /// Days after the due date before a payment counts as missed.
    pub grace_days: u32,
    pub message: MessageStep,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrokenArrangementRule {
    pub enabled: bool,
    /// Days after an instalment's date before it counts as missed (docs/arrangements.md: 7).
    pub grace_days: u32,
    /// The first break: a warning to the tenant.
    pub warning: MessageStep,
    /// From this many missed instalments the officer gets a task (default 2).
    pub officer_task_after: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdRule {
    pub enabled: bool,
    /// An arrangement in place pauses these messages (docs/possession.md#default-local-policy).
    pub pause_while_arrangement: bool,
    pub levels: Vec<ThresholdLevel>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UcRule {
    pub enabled: bool,
    pub steps: Vec<SequenceStep>,
    /// A UC claimant whose real arrears reach this many months of rent: the officer requests a
    /// Managed Payment to Landlord (docs/payments-and-technical-arrears.md#managed-payments-uc-apa-and-housing-benefit-pay-dates: 2 months). 0 = off.
    pub apa_request_months: u32,
    /// …or one month's rent once the tenant has underpaid continually (docs/payments-and-technical-arrears.md): paid
    /// less than was charged in each of this many consecutive months up to today. 0 = only the
    /// `apa_request_months` level.
    #[serde(default = "default_apa_underpaid_months")]
    pub apa_underpaid_months: u32,
}

fn default_apa_underpaid_months() -> u32 {
    2
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HbRule {
    pub enabled: bool,
    /// Days after an expected HB payment before it counts as stopped.
    pub grace_days: u32,
}

/// Asking the officer to offer a direct-debit mandate to someone who pays irregularly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectDebitOfferRule {
    pub enabled: bool,
    /// Irregular: at least this many of the last 8 rent weeks with no payment from the tenant
    /// while they are in real arrears.
    pub weeks_without_payment: u32,
}

/// Fields left out of a saved document take the shipped default (so a document saved before a
/// new rule existed still loads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutreachConfig {
    pub missed_payment: MissedPaymentRule,
    pub broken_arrangement: BrokenArrangementRule,
    pub arrears_threshold: ThresholdRule,
    pub uc_new_claim: UcRule,
    pub hb_change: HbRule,
    pub direct_debit_offer: DirectDebitOfferRule,
    /// When an active tenancy is due its next tenancy audit visit (a task for the patch
    /// officer). A document saved before this rule existed loads with the defaults.
    #[serde(default)]
    pub tenancy_audit: TenancyAuditRule,
    /// A step this many days late is not sent any more (a claim imported weeks late does not
    /// get its welcome).
    pub stale_days: u32,
    /// Days the officer has for a task the rules create.
    pub task_due_days: u32,
    /// The council's own wording: replaces (or adds) a template's subject and sentence in one
    /// language. The greeting, the link and the SMS opt-out line are always added around it.
    #[serde(default)]
    pub templates: Vec<TemplateText>,
}

impl Default for OutreachConfig {
    fn default() -> OutreachConfig {
        OutreachConfig {
            missed_payment: MissedPaymentRule {
                enabled: true,
                grace_days: 2,
                message: MessageStep::new("missed_payment"),
            },
            broken_arrangement: BrokenArrangementRule {
                enabled: true,
                grace_days: 7,
                warning: MessageStep::new("arrangement_warning"),
                officer_task_after: 2,
            },
            arrears_threshold: ThresholdRule {
                enabled: true,
                pause_while_arrangement: true,
                levels: ThresholdLevel::defaults(),
            },
            uc_new_claim: UcRule {
                enabled: true,
                steps: types::default_uc_sequence(),
                apa_request_months: 2,
                apa_underpaid_months: default_apa_underpaid_months(),
            },
            hb_change: HbRule {
                enabled: true,
                grace_days: 3,
            },
            direct_debit_offer: DirectDebitOfferRule {
                enabled: true,
                weeks_without_payment: 3,
            },
            tenancy_audit: TenancyAuditRule::default(),
            stale_days: 7,
            task_due_days: 2,
            templates: Vec::new(),
        }
    }
}

/// What a trigger turns into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Message {
        template: String,
        channels: Vec<Channel>,
    },
    OfficerTask,
}

impl OutreachConfig {
    /// The message (or officer task) for a trigger this configuration produced.
    pub fn outcome(&self, t: &Trigger) -> Outcome {
        let message = |m: &MessageStep| Outcome::Message {
            template: m.template.clone(),
            channels: m.channels.clone(),
        };
        match (t.rule, t.step.as_str()) {
            (types::MISSED_PAYMENT, _) => message(&self.missed_payment.message),
            (types::BROKEN_ARRANGEMENT, "warning") => message(&self.broken_arrangement.warning),
            (types::ARREARS_THRESHOLD, step) => self
                .arrears_threshold
                .levels
                .iter()
                .find(|l| l.id == step)
                .and_then(|l| l.message.as_ref())
                .map_or(Outcome::OfficerTask, message),
            (types::UC_NEW_CLAIM, step) => self
                .uc_new_claim
                .steps
                .iter()
                .find(|s| s.id == step)
                .map_or(Outcome::OfficerTask, |s| Outcome::Message {
                    template: s.template.clone(),
                    channels: s.channels.iter().filter_map(|c| c.parse().ok()).collect(),
                }),
            _ => Outcome::OfficerTask,
        }
    }

    /// Every bad field as (path, reason); empty when the document may be used.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut errors = Vec::new();
        let mut bad = |field: String, reason: &str| errors.push((field, reason.to_owned()));
        let custom: BTreeSet<&str> = self
            .templates
            .iter()
            .filter(|t| t.language == "en")
            .map(|t| t.template.as_str())
            .collect();
        let known = |t: &str| templates::TEMPLATES.contains(&t) || custom.contains(t);
        let step = |field: &str, m: &MessageStep, bad: &mut dyn FnMut(String, &str)| {
            if !known(&m.template) {
                bad(
                    format!("{field}.template"),
                    "unknown template: use a built-in one or add its English text under templates",
                );
            }
            channels(field, &m.channels, bad);
        };
        if self.missed_payment.grace_days > 28 {
            bad("missed_payment.grace_days".into(), "at most 28 days");
        }
        step(
            "missed_payment.message",
            &self.missed_payment.message,
            &mut bad,
        );
        let b = &self.broken_arrangement;
        if b.grace_days > 28 {
            bad("broken_arrangement.grace_days".into(), "at most 28 days");
        }
        if b.officer_task_after < 1 || b.officer_task_after > 6 {
            bad(
                "broken_arrangement.officer_task_after".into(),
                "between 1 and 6 missed instalments",
            );
        }
        step("broken_arrangement.warning", &b.warning, &mut bad);
        let mut ids = BTreeSet::new();
        for (i, l) in self.arrears_threshold.levels.iter().enumerate() {
            let f = format!("arrears_threshold.levels[{i}]");
            if !is_id(&l.id) {
                bad(format!("{f}.id"), "1–40 lowercase letters, digits or _");
            } else if !ids.insert(l.id.as_str()) {
                bad(format!("{f}.id"), "used by another level");
            }
            match (l.weeks, l.months) {
                (Some(w), None) if (1..=52).contains(&w) => {}
                (None, Some(m)) if (1..=12).contains(&m) => {}
                (Some(_), None) => bad(format!("{f}.weeks"), "between 1 and 52"),
                (None, Some(_)) => bad(format!("{f}.months"), "between 1 and 12"),
                _ => bad(f.clone(), "give exactly one of weeks or months"),
            }
            if let Some(m) = &l.message {
                step(&format!("{f}.message"), m, &mut bad);
            }
        }
        let mut ids = BTreeSet::new();
        for (i, s) in self.uc_new_claim.steps.iter().enumerate() {
            let f = format!("uc_new_claim.steps[{i}]");
            if !is_id(&s.id) {
                bad(format!("{f}.id"), "1–40 lowercase letters, digits or _");
            } else if !ids.insert(s.id.as_str()) {
                bad(format!("{f}.id"), "used by another step");
            }
            match s.at {
                StepTime::AfterClaim(d) if !(0..=90).contains(&d) => {
                    bad(format!("{f}.at.days"), "0 to 90 days after the claim")
                }
                StepTime::AfterFirstPayment(d) if !(-30..=60).contains(&d) => bad(
                    format!("{f}.at.days"),
                    "30 days before to 60 days after the first payment",
                ),
                _ => {}
            }
            if !known(&s.template) {
                bad(
                    format!("{f}.template"),
                    "unknown template: use a built-in one or add its English text under templates",
                );
            }
            let parsed: Vec<Channel> = s.channels.iter().filter_map(|c| c.parse().ok()).collect();
            if parsed.len() != s.channels.len() {
                bad(format!("{f}.channels"), "each one of sms, email, push");
            } else {
                channels(&f, &parsed, &mut bad);
            }
        }
        if self.uc_new_claim.apa_underpaid_months > 12 {
            bad(
                "uc_new_claim.apa_underpaid_months".into(),
                "0 (off) to 12 months",
            );
        }
        if self.uc_new_claim.apa_request_months > 12 {
            bad(
                "uc_new_claim.apa_request_months".into(),
                "0 (off) to 12 months",
            );
        }
        if self.hb_change.grace_days > 28 {
            bad("hb_change.grace_days".into(), "at most 28 days");
        }
        if !(1..=8).contains(&self.direct_debit_offer.weeks_without_payment) {
            bad(
                "direct_debit_offer.weeks_without_payment".into(),
                "between 1 and 8 of the last 8 weeks",
            );
        }
        for (field, reason) in self.tenancy_audit.validate("tenancy_audit") {
            bad(field, &reason);
        }
        if !(1..=60).contains(&self.stale_days) {
            bad("stale_days".into(), "between 1 and 60 days");
        }
        if !(0..=28).contains(&self.task_due_days) {
            bad("task_due_days".into(), "between 0 and 28 days");
        }
        let mut seen = BTreeSet::new();
        for (i, t) in self.templates.iter().enumerate() {
            let f = format!("templates[{i}]");
            if !is_id(&t.template) {
                bad(
                    format!("{f}.template"),
                    "1–40 lowercase letters, digits or _",
                );
            }
            if !Language::CODES.contains(&t.language.as_str()) {
                bad(format!("{f}.language"), "one of en, cy");
            }
            if !seen.insert((t.template.as_str(), t.language.as_str())) {
                bad(f.clone(), "this template already has text in this language");
            }
            for (field, reason) in t.problems() {
                bad(format!("{f}.{field}"), reason);
            }
        }
        errors
    }
}

fn channels(field: &str, channels: &[Channel], bad: &mut dyn FnMut(String, &str)) {
    let unique: BTreeSet<&str> = channels.iter().map(|c| c.as_str()).collect();
    if channels.is_empty() {
        bad(format!("{field}.channels"), "at least one channel");
    } else if unique.len() != channels.len() {
        bad(format!("{field}.channels"), "each channel at most once");
    }
}

fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The channels to try for a step, the tenant's preferred one first when the step allows it.
pub fn order_channels(step: &[Channel], preferred: Option<Channel>) -> Vec<Channel> {
    let mut out = step.to_vec();
    if let Some(p) = preferred
        && let Some(i) = out.iter().position(|c| *c == p)
    {
        let c = out.remove(i);
        out.insert(0, c);
    }
    out
}

/// Is a message of this rule and step about the debt (so Breathing Space and the debt-contact
/// rules apply)? A UC welcome or "first payment due" is information; anything else — a campaign,
/// an unknown rule — counts as about the debt (docs/breathing-space.md: when unsure).
pub fn about_debt(rule: Option<&str>, step: &str) -> bool {
    !(rule == Some(types::UC_NEW_CLAIM) && step != "first_payment_check")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(c: &OutreachConfig) -> Vec<String> {
        c.validate().into_iter().map(|(f, _)| f).collect()
    }

    #[test]
    fn the_shipped_default_is_valid_and_survives_a_json_round_trip() {
        let c = OutreachConfig::default();
        assert!(c.validate().is_empty(), "{:?}", c.validate());
        let json = serde_json::to_string(&c).unwrap();
        let back: OutreachConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
        assert!(
            json.contains(r#""channels":["sms","email","push"]"#),
            "{json}"
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut c = OutreachConfig::default();
        c.missed_payment.grace_days = 40;
        c.missed_payment.message.template = "bailiffs".into();
        c.broken_arrangement.warning.channels = vec![];
        c.arrears_threshold.levels[1].id = "2_weeks".into();
        c.arrears_threshold.levels[2].months = Some(3);
        c.arrears_threshold.levels[3].months = Some(30);
        c.uc_new_claim.steps[0].channels = vec!["fax".into()];
        c.uc_new_claim.steps[1].at = StepTime::AfterFirstPayment(-90);
        c.tenancy_audit.interval_months = 0;
        c.stale_days = 0;
        c.templates.push(TemplateText {
            template: "Rent Day".into(),
            language: "fr".into(),
            subject: String::new(),
            body: "pay {amount_now}".into(),
        });
        assert_eq!(
            fields(&c),
            vec![
                "missed_payment.grace_days",
                "missed_payment.message.template",
                "broken_arrangement.warning.channels",
                "arrears_threshold.levels[1].id",
                "arrears_threshold.levels[2]",
                "arrears_threshold.levels[3].months",
                "uc_new_claim.steps[0].channels",
                "uc_new_claim.steps[1].at.days",
                "tenancy_audit.interval_months",
                "stale_days",
                "templates[0].template",
                "templates[0].language",
                "templates[0].subject",
                "templates[0].body",
            ]
        );
    }

    #[test]
    fn a_document_saved_before_tenancy_audits_loads_with_their_defaults() {
        let mut json = serde_json::to_value(OutreachConfig::default()).unwrap();
        json.as_object_mut().unwrap().remove("tenancy_audit");
        let back: OutreachConfig = serde_json::from_value(json).unwrap();
        assert_eq!(back.tenancy_audit, TenancyAuditRule::default());
        assert_eq!(back.tenancy_audit.interval_months, 36);
        assert_eq!(back.tenancy_audit.first_audit_months, 12);
    }

    #[test]
    fn a_council_template_can_be_used_once_it_has_english_text() {
        let mut c = OutreachConfig::default();
        c.missed_payment.message.template = "rent_day_nudge".into();
        assert_eq!(fields(&c), vec!["missed_payment.message.template"]);
        c.templates.push(TemplateText {
            template: "rent_day_nudge".into(),
            language: "en".into(),
            subject: "Rent day".into(),
            body: "your rent{of_amount} was due on {date}".into(),
        });
        assert!(c.validate().is_empty(), "{:?}", c.validate());
    }

    #[test]
    fn triggers_map_to_their_configured_message_or_to_the_officer() {
        let c = OutreachConfig::default();
        let t = |rule, step: &str| Trigger {
            rule,
            step: step.into(),
            period: String::new(),
            reason: String::new(),
            facts: Default::default(),
        };
        assert_eq!(
            c.outcome(&t(types::MISSED_PAYMENT, "reminder")),
            Outcome::Message {
                template: "missed_payment".into(),
                channels: vec![Channel::Sms, Channel::Email, Channel::Push]
            }
        );
        assert_eq!(
            c.outcome(&t(types::BROKEN_ARRANGEMENT, "officer_task")),
            Outcome::OfficerTask
        );
        assert!(matches!(
            c.outcome(&t(types::UC_NEW_CLAIM, "day_0")),
            Outcome::Message { template, .. } if template == "uc_claim_welcome"
        ));
        let mut quiet = c.clone();
        quiet.arrears_threshold.levels[2].message = None;
        assert_eq!(
            quiet.outcome(&t(types::ARREARS_THRESHOLD, "8_weeks")),
            Outcome::OfficerTask
        );
        assert_eq!(
            c.outcome(&t(types::HB_STOPPED, "officer_task")),
            Outcome::OfficerTask
        );
    }

    #[test]
    fn the_preferred_channel_goes_first_only_when_the_step_uses_it() {
        use Channel::*;
        assert_eq!(
            order_channels(&[Sms, Email, Push], Some(Push)),
            vec![Push, Sms, Email]
        );
        assert_eq!(order_channels(&[Sms, Email], Some(Push)), vec![Sms, Email]);
        assert_eq!(order_channels(&[Email, Sms], None), vec![Email, Sms]);
    }

    #[test]
    fn only_uc_information_is_not_about_the_debt() {
        assert!(!about_debt(Some(types::UC_NEW_CLAIM), "day_0"));
        assert!(about_debt(Some(types::UC_NEW_CLAIM), "first_payment_check"));
        assert!(about_debt(Some(types::MISSED_PAYMENT), "reminder"));
        assert!(about_debt(None, "campaign"));
    }
}
