//! Tenancy audits (issue 7): officers "carry out regular tenancy audits to capture resident
//! information, record vulnerabilities and identify cases of tenancy fraud" (the officers' job
//! descriptions). This module decides when an active tenancy is due its next audit, and which
//! recorded visit outcomes count as an audit done. It does not decide who does it (the patch
//! officer, by the store) nor when the task is due (`OutreachConfig::task_due_days`).

use crate::calendar::add_months_clamped;
use crate::outreach::types::Trigger;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The rule id recorded on every task and diary entry this rule causes.
pub const TENANCY_AUDIT_DUE: &str = "tenancy_audit_due";

/// The purpose that marks a visit (and the diary entry it writes) as a tenancy audit.
pub const TENANCY_AUDIT: &str = "tenancy_audit";

/// How often tenancies are audited (local policy: config).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TenancyAuditRule {
    pub enabled: bool,
    /// Months from one completed audit to the next (default 36).
    pub interval_months: u32,
    /// Months from the start of a tenancy to its first audit (default 12).
    pub first_audit_months: u32,
}

impl Default for TenancyAuditRule {
    fn default() -> TenancyAuditRule {
        TenancyAuditRule {
            enabled: true,
            interval_months: 36,
            first_audit_months: 12,
        }
    }
}

impl TenancyAuditRule {
    /// Every bad field as (path under `prefix`, reason).
    pub fn validate(&self, prefix: &str) -> Vec<(String, String)> {
        let mut errors = vec![];
        if !(1..=120).contains(&self.interval_months) {
            errors.push((
                format!("{prefix}.interval_months"),
                "between 1 and 120 months".to_owned(),
            ));
        }
        if !(1..=60).contains(&self.first_audit_months) {
            errors.push((
                format!("{prefix}.first_audit_months"),
                "between 1 and 60 months".to_owned(),
            ));
        }
        errors
    }
}

/// The visit outcomes that complete an audit: the officer met the household. A card through
/// the door, no answer or a refusal leaves the audit still to do.
pub const COMPLETING_OUTCOMES: [&str; 3] = ["contact_made", "promise_to_pay", "arrangement_agreed"];

/// Does a visit with this outcome complete an audit?
pub fn completes_audit(visit_outcome: &str) -> bool {
    COMPLETING_OUTCOMES.contains(&visit_outcome)
}

/// What the rule needs to know about one tenancy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditFacts {
    /// Only active tenancies are audited (not former tenants, not closed accounts).
    pub active: bool,
    pub start_date: NaiveDate,
    /// The London date of the latest completed audit, if any.
    pub last_audit: Option<NaiveDate>,
}

/// The date the next audit falls due: `interval_months` after the last completed one, or
/// `first_audit_months` after the start of a tenancy never audited.
pub fn next_audit_due(facts: &AuditFacts, rule: &TenancyAuditRule) -> NaiveDate {
    match facts.last_audit {
        Some(last) => add_months_clamped(last, rule.interval_months),
        None => add_months_clamped(facts.start_date, rule.first_audit_months),
    }
}

/// **Tenancy audit due** (an officer task): an active tenancy whose next audit date
/// ([`next_audit_due`]) is `today` or past. The period is that due date, so one due audit makes
/// one task however often the nightly run asks, and a completed audit moves the date on.
pub fn tenancy_audit_due(
    facts: &AuditFacts,
    rule: &TenancyAuditRule,
    today: NaiveDate,
) -> Option<Trigger> {
    if !rule.enabled || !facts.active {
        return None;
    }
    let due = next_audit_due(facts, rule);
    if due > today {
        return None;
    }
    let reason = match facts.last_audit {
        Some(last) => format!(
            "last tenancy audit on {}, over {} months ago: visit to audit the tenancy",
            last.format("%-d %b %Y"),
            rule.interval_months
        ),
        None => format!(
            "no tenancy audit since the tenancy started on {} ({} months on): visit to audit \
             the tenancy",
            facts.start_date.format("%-d %b %Y"),
            rule.first_audit_months
        ),
    };
    let mut facts_map = std::collections::BTreeMap::new();
    facts_map.insert("audit_due_on".to_owned(), due.to_string());
    facts_map.insert("start_date".to_owned(), facts.start_date.to_string());
    if let Some(last) = facts.last_audit {
        facts_map.insert("last_audit_on".to_owned(), last.to_string());
    }
    facts_map.insert(
        "interval_months".to_owned(),
        rule.interval_months.to_string(),
    );
    Some(Trigger {
        rule: TENANCY_AUDIT_DUE,
        step: "officer_task".into(),
        period: due.to_string(),
        reason,
        facts: facts_map,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn facts(start: NaiveDate, last: Option<NaiveDate>) -> AuditFacts {
        AuditFacts {
            active: true,
            start_date: start,
            last_audit: last,
        }
    }

    #[test]
    fn a_new_tenancy_is_first_audited_twelve_months_after_it_starts() {
        let rule = TenancyAuditRule::default();
        let f = facts(d(2025, 12, 1), None);
        assert_eq!(tenancy_audit_due(&f, &rule, d(2026, 11, 30)), None);
        let t = tenancy_audit_due(&f, &rule, d(2026, 12, 1)).unwrap();
        assert_eq!(t.rule, TENANCY_AUDIT_DUE);
        assert_eq!(t.step, "officer_task");
        assert_eq!(t.period, "2026-12-01");
        assert_eq!(t.facts["audit_due_on"], "2026-12-01");
        assert!(t.reason.contains("no tenancy audit since"), "{}", t.reason);
    }

    #[test]
    fn an_audited_tenancy_is_due_again_after_the_interval() {
        let rule = TenancyAuditRule::default();
        let f = facts(d(2010, 4, 5), Some(d(2023, 11, 30)));
        assert_eq!(tenancy_audit_due(&f, &rule, d(2026, 11, 29)), None);
        let t = tenancy_audit_due(&f, &rule, d(2026, 11, 30)).unwrap();
        assert_eq!(t.period, "2026-11-30");
        assert_eq!(t.facts["last_audit_on"], "2023-11-30");
        // Still due (same period: the same task) a month later if nobody went.
        assert_eq!(
            tenancy_audit_due(&f, &rule, d(2026, 12, 30))
                .unwrap()
                .period,
            "2026-11-30"
        );
    }

    #[test]
    fn completing_the_audit_moves_the_next_one_on_by_the_interval() {
        let rule = TenancyAuditRule::default();
        let before = facts(d(2010, 4, 5), None);
        assert!(tenancy_audit_due(&before, &rule, d(2026, 11, 30)).is_some());
        let after = facts(d(2010, 4, 5), Some(d(2026, 11, 30)));
        assert_eq!(tenancy_audit_due(&after, &rule, d(2029, 11, 29)), None);
        assert_eq!(
            tenancy_audit_due(&after, &rule, d(2029, 11, 30))
                .unwrap()
                .period,
            "2029-11-30"
        );
    }

    #[test]
    fn former_tenancies_and_a_switched_off_rule_are_never_due() {
        let mut f = facts(d(2010, 4, 5), None);
        f.active = false;
        assert_eq!(
            tenancy_audit_due(&f, &TenancyAuditRule::default(), d(2026, 11, 30)),
            None
        );
        let off = TenancyAuditRule {
            enabled: false,
            ..TenancyAuditRule::default()
        };
        assert_eq!(
            tenancy_audit_due(&facts(d(2010, 4, 5), None), &off, d(2026, 11, 30)),
            None
        );
    }

    #[test]
    fn a_short_month_end_is_clamped() {
        let rule = TenancyAuditRule::default();
        // 29 Feb 2024 + 36 months: 28 Feb 2027.
        let f = facts(d(2020, 1, 1), Some(d(2024, 2, 29)));
        assert_eq!(next_audit_due(&f, &rule), d(2027, 2, 28));
    }

    #[test]
    fn only_meeting_the_household_completes_an_audit() {
        assert!(completes_audit("contact_made"));
        assert!(completes_audit("arrangement_agreed"));
        assert!(!completes_audit("no_access"));
        assert!(!completes_audit("card_left"));
        assert!(!completes_audit("refused"));
    }

    #[test]
    fn bad_intervals_are_named() {
        let rule = TenancyAuditRule {
            enabled: true,
            interval_months: 0,
            first_audit_months: 61,
        };
        let fields: Vec<String> = rule
            .validate("tenancy_audit")
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(
            fields,
            vec![
                "tenancy_audit.interval_months",
                "tenancy_audit.first_audit_months"
            ]
        );
        assert!(TenancyAuditRule::default().validate("x").is_empty());
    }

    #[test]
    fn a_stored_document_without_some_fields_takes_the_defaults() {
        let r: TenancyAuditRule = serde_json::from_str(r#"{"interval_months": 24}"#).unwrap();
        assert_eq!(r.interval_months, 24);
        assert_eq!(r.first_audit_months, 12);
        assert!(r.enabled);
    }
}
