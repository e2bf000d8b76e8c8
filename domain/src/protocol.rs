//! The Pre-Action Protocol for Possession Claims by Social Landlords as gates (domain.md §4),
//! and notice dates. A notice or a court application is refused until every required protocol
//! step is recorded, and refused outright while Breathing Space lasts (§5).

use crate::calendar::{add_months_clamped, is_bank_holiday};
use crate::escalation::Stage;
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// Protocol steps an officer records (as diary actions of kind `protocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProtocolStep {
    /// 1. Contacted the tenant and discussed the cause, finances, benefits and repayment.
    ContactMade,
    /// 2. Tried to agree affordable payments from an I&E, time limits in writing, signposted
    ///    free debt advice.
    AffordablePaymentsOffered,
    /// 3. A rent statement sent (at least quarterly: within the last 3 months).
    RentStatementSent,
    /// 4. Offered help with HB/UC/DHP claims; applied for deductions where the tenant qualifies.
    BenefitHelpOffered,
    /// 6. Considered vulnerability, capacity and under-18s.
    VulnerabilityConsidered,
    /// 7. After the notice, sent a copy of the Protocol before issuing.
    ProtocolCopySent,
}

impl ProtocolStep {
    pub const ALL: &'static [ProtocolStep] = &[
        ProtocolStep::ContactMade,
        ProtocolStep::AffordablePaymentsOffered,
        ProtocolStep::RentStatementSent,
        ProtocolStep::BenefitHelpOffered,
        ProtocolStep::VulnerabilityConsidered,
        ProtocolStep::ProtocolCopySent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProtocolStep::ContactMade => "contact_made",
            ProtocolStep::AffordablePaymentsOffered => "affordable_payments_offered",
            ProtocolStep::RentStatementSent => "rent_statement_sent",
            ProtocolStep::BenefitHelpOffered => "benefit_help_offered",
            ProtocolStep::VulnerabilityConsidered => "vulnerability_considered",
            ProtocolStep::ProtocolCopySent => "protocol_copy_sent",
        }
    }

    pub fn parse(s: &str) -> Option<ProtocolStep> {
        ProtocolStep::ALL.iter().copied().find(|p| p.as_str() == s)
    }

    pub fn describe(self) -> &'static str {
        match self {
            ProtocolStep::ContactMade => {
                "contact the tenant and discuss the cause of the arrears, their finances, benefits and repayment"
            }
            ProtocolStep::AffordablePaymentsOffered => {
                "try to agree affordable payments from an income and expenditure statement, with time limits in writing and free debt advice signposted"
            }
            ProtocolStep::RentStatementSent => "send a rent statement (one in the last 3 months)",
            ProtocolStep::BenefitHelpOffered => {
                "offer help with Housing Benefit, Universal Credit or DHP claims"
            }
            ProtocolStep::VulnerabilityConsidered => {
                "consider vulnerability, capacity and any under-18s in the household"
            }
            ProtocolStep::ProtocolCopySent => "send the tenant a copy of the Protocol",
        }
    }
}

/// What has been recorded on the account, for the gates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GateFacts {
    /// Each protocol step with the date it was last recorded.
    pub recorded: Vec<(ProtocolStep, NaiveDate)>,
    /// A Breathing Space in force today.
    pub breathing_space: bool,
    /// An active arrangement being kept (the protocol: postpone while it is).
    pub arrangement_kept: bool,
    /// A benefit claim the tenant has evidenced and is waiting for (protocol step 5).
    pub benefit_claim_pending: bool,
    /// The notice in force, if any: its dates.
    pub notice: Option<NoticeDates>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Missing {
    /// A protocol step id, or a condition id (`breathing_space`, `arrangement_kept`, …).
    pub id: String,
    pub reason: String,
}

/// Statement-recency the protocol asks for: at least quarterly.
pub const RENT_STATEMENT_MAX_AGE_DAYS: i64 = 92;

/// Everything that stands between the account and `target` today. Empty = allowed. A kept
/// arrangement or a pending benefit claim can be overridden by the officer with a recorded
/// reason (`override_reason`); Breathing Space and missing protocol steps cannot.
pub fn gates(
    target: Stage,
    facts: &GateFacts,
    today: NaiveDate,
    override_reason: Option<&str>,
) -> Vec<Missing> {
    let enforcement = matches!(
        target,
        Stage::NoticeServed
            | Stage::CourtApplication
            | Stage::Hearing
            | Stage::Warrant
            | Stage::Eviction
    );
    let mut out = vec![];
    if !enforcement {
        return out;
    }
    if facts.breathing_space {
        out.push(Missing {
            id: "breathing_space".into(),
            reason: "the tenant is in Breathing Space: no enforcement step while it lasts".into(),
        });
    }
    let required: &[ProtocolStep] = match target {
        Stage::NoticeServed => &[
            ProtocolStep::ContactMade,
            ProtocolStep::AffordablePaymentsOffered,
            ProtocolStep::RentStatementSent,
            ProtocolStep::BenefitHelpOffered,
            ProtocolStep::VulnerabilityConsidered,
        ],
        Stage::CourtApplication => ProtocolStep::ALL,
        _ => &[],
    };
    for step in required {
        let when = facts
            .recorded
            .iter()
            .filter(|(s, _)| s == step)
            .map(|(_, d)| *d)
            .max();
        let ok = match (step, when) {
            (_, None) => false,
            (ProtocolStep::RentStatementSent, Some(d)) => {
                (today - d).num_days() <= RENT_STATEMENT_MAX_AGE_DAYS
            }
            // The copy of the protocol must follow the notice.
            (ProtocolStep::ProtocolCopySent, Some(d)) => {
                facts.notice.as_ref().is_none_or(|n| d >= n.served_on)
            }
            (_, Some(_)) => true,
        };
        if !ok {
            out.push(Missing {
                id: step.as_str().into(),
                reason: step.describe().into(),
            });
        }
    }
    if target == Stage::CourtApplication {
        match &facts.notice {
            None => out.push(Missing {
                id: "notice".into(),
                reason: "no notice has been served".into(),
            }),
            Some(n) if today < n.earliest_proceedings => out.push(Missing {
                id: "notice_period".into(),
                reason: format!(
                    "proceedings may not begin before {}",
                    n.earliest_proceedings.format("%-d %B %Y")
                ),
            }),
            Some(n) if today > n.expires => out.push(Missing {
                id: "notice_expired".into(),
                reason: format!(
                    "the notice lapsed on {}; serve a new one",
                    n.expires.format("%-d %B %Y")
                ),
            }),
            Some(_) => {}
        }
    }
    if matches!(target, Stage::NoticeServed | Stage::CourtApplication) && override_reason.is_none()
    {
        if facts.arrangement_kept {
            out.push(Missing {
                id: "arrangement_kept".into(),
                reason: "the tenant is keeping to an arrangement: postpone, or record why not"
                    .into(),
            });
        }
        if facts.benefit_claim_pending {
            out.push(Missing {
                id: "benefit_claim_pending".into(),
                reason:
                    "a benefit claim the tenant has evidenced is pending: wait, or record why not"
                        .into(),
            });
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceMethod {
    /// Handed to the tenant or left at the property: served that day.
    Hand,
    /// First-class post: deemed served on the second business day after posting.
    FirstClassPost,
}

impl ServiceMethod {
    pub fn parse(s: &str) -> Option<ServiceMethod> {
        match s {
            "hand" => Some(ServiceMethod::Hand),
            "first_class_post" => Some(ServiceMethod::FirstClassPost),
            _ => None,
        }
    }
}

/// Which notice: secure tenancies get a NOSP (HA 1985 s83), assured ones a section 8 notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    Nosp,
    Section8,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeDates {
    pub kind: NoticeKind,
    pub served_on: NaiveDate,
    /// The earliest date proceedings may begin (the date to specify in the notice).
    pub earliest_proceedings: NaiveDate,
    /// After this the notice can no longer be relied on.
    pub expires: NaiveDate,
}

fn is_business_day(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !is_bank_holiday(d)
}

/// When a document sent on `sent` by `method` is deemed served (CPR 6.26).
pub fn deemed_service(sent: NaiveDate, method: ServiceMethod) -> NaiveDate {
    match method {
        ServiceMethod::Hand => sent,
        ServiceMethod::FirstClassPost => {
            let mut d = sent + Duration::days(2);
            while !is_business_day(d) {
                d += Duration::days(1);
            }
            d
        }
    }
}

/// Notice dates for a weekly tenancy whose rent week starts on Monday.
/// - NOSP: the later of 4 weeks after service and one full rent period, moved forward to the
///   first or last day of a rent period (a Monday or a Sunday); it lapses 12 months after that
///   date.
/// - Section 8 (grounds 8, 10, 11): 2 weeks after service; proceedings within 12 months of
///   service.
pub fn notice_dates(kind: NoticeKind, sent: NaiveDate, method: ServiceMethod) -> NoticeDates {
    let served_on = deemed_service(sent, method);
    match kind {
        NoticeKind::Nosp => {
            let mut d = served_on + Duration::days(28);
            while !matches!(d.weekday(), Weekday::Mon | Weekday::Sun) {
                d += Duration::days(1);
            }
            NoticeDates {
                kind,
                served_on,
                earliest_proceedings: d,
                expires: add_months_clamped(d, 12),
            }
        }
        NoticeKind::Section8 => NoticeDates {
            kind,
            served_on,
            earliest_proceedings: served_on + Duration::days(14),
            expires: add_months_clamped(served_on, 12),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn all_recorded(on: NaiveDate) -> Vec<(ProtocolStep, NaiveDate)> {
        ProtocolStep::ALL.iter().map(|s| (*s, on)).collect()
    }

    #[test]
    fn a_notice_lists_every_missing_protocol_step() {
        let missing = gates(
            Stage::NoticeServed,
            &GateFacts::default(),
            d(2026, 11, 25),
            None,
        );
        let ids: Vec<&str> = missing.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "contact_made",
                "affordable_payments_offered",
                "rent_statement_sent",
                "benefit_help_offered",
                "vulnerability_considered"
            ]
        );
        let facts = GateFacts {
            recorded: all_recorded(d(2026, 11, 1)),
            ..GateFacts::default()
        };
        assert!(gates(Stage::NoticeServed, &facts, d(2026, 11, 25), None).is_empty());
        // Letters need no gate.
        assert!(
            gates(
                Stage::FirstLetter,
                &GateFacts::default(),
                d(2026, 11, 25),
                None
            )
            .is_empty()
        );
    }

    #[test]
    fn an_old_rent_statement_does_not_count() {
        let mut facts = GateFacts {
            recorded: all_recorded(d(2026, 11, 1)),
            ..GateFacts::default()
        };
        facts
            .recorded
            .retain(|(s, _)| *s != ProtocolStep::RentStatementSent);
        facts
            .recorded
            .push((ProtocolStep::RentStatementSent, d(2026, 7, 1)));
        let missing = gates(Stage::NoticeServed, &facts, d(2026, 11, 25), None);
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].id, "rent_statement_sent");
    }

    #[test]
    fn breathing_space_blocks_every_enforcement_step_even_with_an_override() {
        let facts = GateFacts {
            recorded: all_recorded(d(2026, 11, 1)),
            breathing_space: true,
            ..GateFacts::default()
        };
        for stage in [Stage::NoticeServed, Stage::Warrant, Stage::Eviction] {
            let missing = gates(stage, &facts, d(2026, 11, 25), Some("officer decided"));
            assert_eq!(missing[0].id, "breathing_space", "{stage:?}");
        }
    }

    #[test]
    fn a_kept_arrangement_postpones_unless_overridden_with_a_reason() {
        let facts = GateFacts {
            recorded: all_recorded(d(2026, 11, 1)),
            arrangement_kept: true,
            ..GateFacts::default()
        };
        assert_eq!(
            gates(Stage::NoticeServed, &facts, d(2026, 11, 25), None)[0].id,
            "arrangement_kept"
        );
        assert!(
            gates(
                Stage::NoticeServed,
                &facts,
                d(2026, 11, 25),
                Some("payments are token only")
            )
            .is_empty()
        );
    }

    #[test]
    fn court_needs_a_notice_whose_period_has_run_and_the_protocol_copy_after_it() {
        let notice = notice_dates(NoticeKind::Nosp, d(2026, 10, 1), ServiceMethod::Hand);
        let mut facts = GateFacts {
            recorded: all_recorded(d(2026, 9, 20)),
            notice: Some(notice.clone()),
            ..GateFacts::default()
        };
        let ids = |f: &GateFacts, today| {
            gates(Stage::CourtApplication, f, today, None)
                .into_iter()
                .map(|m| m.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ids(&facts, d(2026, 10, 20)),
            ["protocol_copy_sent", "notice_period"]
        );
        facts
            .recorded
            .push((ProtocolStep::ProtocolCopySent, d(2026, 10, 2)));
        facts
            .recorded
            .push((ProtocolStep::RentStatementSent, d(2026, 10, 2)));
        assert!(ids(&facts, notice.earliest_proceedings).is_empty());
        assert_eq!(ids(&facts, d(2028, 1, 1))[0], "rent_statement_sent");
    }

    #[test]
    fn nosp_dates_fall_on_a_rent_period_boundary_and_posted_notices_are_served_later() {
        // Handed over on Wednesday 25 Nov 2026: 4 weeks on is Wed 23 Dec → Sunday 27 Dec.
        let n = notice_dates(NoticeKind::Nosp, d(2026, 11, 25), ServiceMethod::Hand);
        assert_eq!(n.served_on, d(2026, 11, 25));
        assert_eq!(n.earliest_proceedings, d(2026, 12, 27));
        assert_eq!(n.expires, d(2027, 12, 27));
        // Posted on Thursday 24 Dec 2026: the 26th is a Saturday (and Boxing Day), the 28th the
        // substitute bank holiday: deemed served Tuesday 29 Dec.
        let n = notice_dates(
            NoticeKind::Nosp,
            d(2026, 12, 24),
            ServiceMethod::FirstClassPost,
        );
        assert_eq!(n.served_on, d(2026, 12, 29));
        assert_eq!(n.earliest_proceedings, d(2027, 1, 31));
        // Section 8: two weeks, valid 12 months from service.
        let n = notice_dates(NoticeKind::Section8, d(2026, 11, 25), ServiceMethod::Hand);
        assert_eq!(n.earliest_proceedings, d(2026, 12, 9));
        assert_eq!(n.expires, d(2027, 11, 25));
    }
}
