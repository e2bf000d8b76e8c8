//! The possession process's shared vocabulary: the [`Stage`] a case is at, the [`Action`]s an
//! officer takes between stages, the kinds of notice and the [`Ground`]s for possession. Every
//! other possession module builds on these; this one depends on none of them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    None,
    EarlyIntervention,
    FirstLetter,
    SecondLetter,
    ProtocolStepsComplete,
    NoticeServed,
    CourtApplication,
    Hearing,
    Order,
    Warrant,
    Eviction,
    Closed,
    FormerTenantRecovery,
}

impl Stage {
    pub const ALL: &'static [Stage] = &[
        Stage::None,
        Stage::EarlyIntervention,
        Stage::FirstLetter,
        Stage::SecondLetter,
        Stage::ProtocolStepsComplete,
        Stage::NoticeServed,
        Stage::CourtApplication,
        Stage::Hearing,
        Stage::Order,
        Stage::Warrant,
        Stage::Eviction,
        Stage::Closed,
        Stage::FormerTenantRecovery,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::None => "none",
            Stage::EarlyIntervention => "early_intervention",
            Stage::FirstLetter => "first_letter",
            Stage::SecondLetter => "second_letter",
            Stage::ProtocolStepsComplete => "protocol_steps_complete",
            Stage::NoticeServed => "notice_served",
            Stage::CourtApplication => "court_application",
            Stage::Hearing => "hearing",
            Stage::Order => "order",
            Stage::Warrant => "warrant",
            Stage::Eviction => "eviction",
            Stage::Closed => "closed",
            Stage::FormerTenantRecovery => "former_tenant_recovery",
        }
    }

    /// How the stage reads to a tenant.
    pub fn plain(self) -> &'static str {
        match self {
            Stage::None | Stage::EarlyIntervention => "no formal action has been taken",
            Stage::FirstLetter => "we have sent you a first letter about your rent arrears",
            Stage::SecondLetter => "we have sent you a second letter about your rent arrears",
            Stage::ProtocolStepsComplete => {
                "we have completed the steps required before a notice can be served"
            }
            Stage::NoticeServed => "we have served a notice that we may seek possession",
            Stage::CourtApplication => "we have applied to the court for a possession order",
            Stage::Hearing => "a court hearing has been arranged",
            Stage::Order => "the court has made an order about your tenancy",
            Stage::Warrant => "we have applied for a warrant for possession",
            Stage::Eviction => "an eviction date has been set",
            Stage::Closed => "this case is closed",
            Stage::FormerTenantRecovery => "we are recovering the arrears from a former tenancy",
        }
    }
}

impl std::str::FromStr for Stage {
    type Err = String;
    fn from_str(s: &str) -> Result<Stage, String> {
        Stage::ALL
            .iter()
            .copied()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown stage {s:?}; expected one of {}",
                    Stage::ALL
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }
}

/// Something the landlord does within the current stage (the case does not move on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Check the payments against the terms of a suspended/postponed/adjourned order.
    MonitorOrderTerms,
    /// Visit or contact the tenant about a breach of an order's terms (before any warrant).
    Visit,
    /// Give the tenant written notice of the intention to apply to fix a date for possession
    /// (a postponed order breached; PD 55A para 10.3: at least 14 days and not more than 3
    /// months before the application).
    GiveFixDateNotice,
    /// Ask the court to fix a date for possession (a postponed order breached, the written
    /// notice given and its 14 days run).
    ApplyToFixDate,
    /// Tell the court dealing with the possession claim that the tenant is in a Breathing
    /// Space (SI 2020/1311 reg 10); recorded as the step `court_told_of_breathing_space`.
    TellCourtOfBreathingSpace,
    /// Pre-Action Protocol para 2.8: after the notice, try to contact the tenant (recorded as
    /// the protocol step `post_notice_contact`).
    ContactAfterNotice,
    /// Para 2.9: an arrangement broke; warn the tenant in writing, with a time limit (the
    /// protocol step `arrangement_breach_warning`).
    WarnBeforeProceedings,
    /// Part 3 para 3.2(a): explain why possession is sought and ask for representations by a
    /// date (the protocol step `possession_reasons_explained`).
    ExplainWhyPossessionIsSought,
    /// Part 3 para 3.2(b): consider the representations and proportionality (the protocol step
    /// `proportionality_considered`).
    ConsiderProportionality,
    /// Housing Act 1996 s129(6): an introductory tenant asked for a review; carry it out and
    /// tell them the outcome before the date in the notice (the step
    /// `introductory_review_decided`).
    DecideIntroductoryReview,
}

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::MonitorOrderTerms => "monitor_order_terms",
            ActionKind::Visit => "visit",
            ActionKind::GiveFixDateNotice => "give_fix_date_notice",
            ActionKind::ApplyToFixDate => "apply_to_fix_date",
            ActionKind::TellCourtOfBreathingSpace => "tell_court_of_breathing_space",
            ActionKind::ContactAfterNotice => "contact_after_notice",
            ActionKind::WarnBeforeProceedings => "warn_before_proceedings",
            ActionKind::ExplainWhyPossessionIsSought => "explain_why_possession_is_sought",
            ActionKind::ConsiderProportionality => "consider_proportionality",
            ActionKind::DecideIntroductoryReview => "decide_introductory_review",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub kind: ActionKind,
    pub earliest: NaiveDate,
    pub description: String,
}

/// Which notice: secure tenancies get a NOSP (HA 1985 s83), assured ones a section 8 notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    Nosp,
    Section8,
    /// A council introductory tenancy's notice of proceedings (Housing Act 1996 s128), when
    /// `starter` tenancies are configured as introductory ones.
    Introductory,
}

/// A ground for possession for rent arrears (docs/possession.md#notices): ground 1 of Schedule 2 to
/// the Housing Act 1985 (secure, discretionary), grounds 8 (mandatory), 10 and 11
/// (discretionary) of Schedule 2 to the Housing Act 1988 (assured). Written as its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum Ground {
    /// HA 1985 Sch 2 ground 1: rent lawfully due has not been paid (discretionary).
    G1,
    /// HA 1988 Sch 2 ground 8: the rent arrears threshold at notice and at the hearing
    /// (mandatory).
    G8,
    /// HA 1988 Sch 2 ground 10: some rent unpaid at notice and when proceedings begin.
    G10,
    /// HA 1988 Sch 2 ground 11: persistent delay in paying rent.
    G11,
}

impl Ground {
    pub fn number(self) -> u8 {
        match self {
            Ground::G1 => 1,
            Ground::G8 => 8,
            Ground::G10 => 10,
            Ground::G11 => 11,
        }
    }

    pub fn from_number(n: u8) -> Option<Ground> {
        match n {
            1 => Some(Ground::G1),
            8 => Some(Ground::G8),
            10 => Some(Ground::G10),
            11 => Some(Ground::G11),
            _ => None,
        }
    }

    /// The grounds a notice of `kind` can give.
    pub fn for_notice(kind: NoticeKind) -> &'static [Ground] {
        match kind {
            NoticeKind::Nosp => &[Ground::G1],
            NoticeKind::Section8 => &[Ground::G8, Ground::G10, Ground::G11],
            // HA 1996 s128: an introductory tenancy is ended without a ground.
            NoticeKind::Introductory => &[],
        }
    }

    /// Whether the court must make the order once the ground is proved (ground 8).
    pub fn is_mandatory(self) -> bool {
        self == Ground::G8
    }

    /// The ground in words, for letters and the diary.
    pub fn describe(self) -> &'static str {
        match self {
            Ground::G1 => {
                "ground 1 of Schedule 2 to the Housing Act 1985 (rent lawfully due has not been paid)"
            }
            Ground::G8 => {
                "ground 8 of Schedule 2 to the Housing Act 1988 (serious rent arrears, at the notice and at the hearing)"
            }
            Ground::G10 => "ground 10 of Schedule 2 to the Housing Act 1988 (some rent unpaid)",
            Ground::G11 => {
                "ground 11 of Schedule 2 to the Housing Act 1988 (persistent delay in paying rent)"
            }
        }
    }
}

impl TryFrom<u8> for Ground {
    type Error = String;
    fn try_from(n: u8) -> Result<Ground, String> {
        Ground::from_number(n).ok_or_else(|| format!("no rent arrears ground {n}"))
    }
}

impl From<Ground> for u8 {
    fn from(g: Ground) -> u8 {
        g.number()
    }
}
