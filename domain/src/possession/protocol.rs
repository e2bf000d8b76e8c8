//! The Pre-Action Protocol for Possession Claims by Social Landlords as gates (docs/possession.md#pre-action-protocol-gates),
//! and notice dates. A notice or a court application is refused until every required protocol
//! step is recorded, and refused outright while Breathing Space lasts (docs/breathing-space.md).

use crate::Pence;
use crate::calendar::{add_months_clamped, is_bank_holiday};
use crate::possession::order::{CourtOrder, OrderKind};
use crate::possession::types::{Ground, NoticeKind, Stage};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
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
    /// Para 2.8: after the notice was served, tried to contact the tenant to discuss the
    /// arrears, their cause, repayment, the tenant's finances and benefits.
    PostNoticeContact,
    /// Para 2.9: an arrangement broke; warned the tenant in writing that proceedings will be
    /// brought, with a clear time limit to comply (recorded with `time_limit_ends_on`).
    ArrangementBreachWarning,
    /// Part 3 para 3.2(a) (a mandatory ground, an introductory tenancy): wrote to the occupiers
    /// explaining why possession is sought, asking for their circumstances by a date (recorded
    /// with `time_limit_ends_on`).
    PossessionReasonsExplained,
    /// Part 3 para 3.2(b): considered what the occupiers said and whether seeking possession is
    /// proportionate, after the time for their representations ended.
    ProportionalityConsidered,
    /// Not the Protocol's but the statute's, recorded the same way: the tenant of an
    /// introductory tenancy asked for a review of the decision to seek possession (Housing Act
    /// 1996 s129(1): within 14 days of the notice of proceedings being served).
    IntroductoryReviewRequested,
    /// HA 1996 s129(6): the review carried out and the tenant told of its outcome, before the
    /// date in the notice of proceedings.
    IntroductoryReviewDecided,
    /// HA 1996 s125A: a notice extending an introductory tenancy's trial period by six months,
    /// recorded the day it was served (at least eight weeks before the first year ends).
    IntroductoryTrialExtended,
    /// Pre-Action Protocol for Debt Claims (a former tenancy): the letter of claim sent, with
    /// the information sheet, the reply form and a financial statement, dated the day it is
    /// recorded (`possession::debt_claim`).
    DebtLetterOfClaimSent,
    /// The debtor's reply form came back.
    DebtReplyReceived,
    /// The debtor said (on the reply form or otherwise) that they are getting debt advice: the
    /// claim waits a further 30 days from that day.
    DebtAdviceSought,
    /// A money claim for the former tenant's debt issued (after the time to reply).
    DebtClaimIssued,
    /// A team leader approved writing the debt off, with reasons (the note).
    WriteOffApproved,
}

impl ProtocolStep {
    pub const ALL: &'static [ProtocolStep] = &[
        ProtocolStep::ContactMade,
        ProtocolStep::AffordablePaymentsOffered,
        ProtocolStep::RentStatementSent,
        ProtocolStep::BenefitHelpOffered,
        ProtocolStep::VulnerabilityConsidered,
        ProtocolStep::ProtocolCopySent,
        ProtocolStep::PostNoticeContact,
        ProtocolStep::ArrangementBreachWarning,
        ProtocolStep::PossessionReasonsExplained,
        ProtocolStep::ProportionalityConsidered,
        ProtocolStep::IntroductoryReviewRequested,
        ProtocolStep::IntroductoryReviewDecided,
        ProtocolStep::IntroductoryTrialExtended,
        ProtocolStep::DebtLetterOfClaimSent,
        ProtocolStep::DebtReplyReceived,
        ProtocolStep::DebtAdviceSought,
        ProtocolStep::DebtClaimIssued,
        ProtocolStep::WriteOffApproved,
    ];

    /// The steps of a former tenant's debt (Pre-Action Protocol for Debt Claims, write-off).
    pub fn is_debt_claim(self) -> bool {
        matches!(
            self,
            ProtocolStep::DebtLetterOfClaimSent
                | ProtocolStep::DebtReplyReceived
                | ProtocolStep::DebtAdviceSought
                | ProtocolStep::DebtClaimIssued
                | ProtocolStep::WriteOffApproved
        )
    }

    /// What every notice needs (Part 1 and paras 2.1–2.7).
    pub const BEFORE_NOTICE: &'static [ProtocolStep] = &[
        ProtocolStep::ContactMade,
        ProtocolStep::AffordablePaymentsOffered,
        ProtocolStep::RentStatementSent,
        ProtocolStep::BenefitHelpOffered,
        ProtocolStep::VulnerabilityConsidered,
    ];

    /// The steps recorded with the time limit their letter gave the tenant
    /// (`time_limit_ends_on`).
    pub fn takes_time_limit(self) -> bool {
        matches!(
            self,
            ProtocolStep::ArrangementBreachWarning | ProtocolStep::PossessionReasonsExplained
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ProtocolStep::ContactMade => "contact_made",
            ProtocolStep::AffordablePaymentsOffered => "affordable_payments_offered",
            ProtocolStep::RentStatementSent => "rent_statement_sent",
            ProtocolStep::BenefitHelpOffered => "benefit_help_offered",
            ProtocolStep::VulnerabilityConsidered => "vulnerability_considered",
            ProtocolStep::ProtocolCopySent => "protocol_copy_sent",
            ProtocolStep::PostNoticeContact => "post_notice_contact",
            ProtocolStep::ArrangementBreachWarning => "arrangement_breach_warning",
            ProtocolStep::PossessionReasonsExplained => "possession_reasons_explained",
            ProtocolStep::ProportionalityConsidered => "proportionality_considered",
            ProtocolStep::IntroductoryReviewRequested => "introductory_review_requested",
            ProtocolStep::IntroductoryReviewDecided => "introductory_review_decided",
            ProtocolStep::IntroductoryTrialExtended => "introductory_trial_extended",
            ProtocolStep::DebtLetterOfClaimSent => "debt_letter_of_claim_sent",
            ProtocolStep::DebtReplyReceived => "debt_reply_received",
            ProtocolStep::DebtAdviceSought => "debt_advice_sought",
            ProtocolStep::DebtClaimIssued => "debt_claim_issued",
            ProtocolStep::WriteOffApproved => "write_off_approved",
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
            ProtocolStep::PostNoticeContact => {
                "after the notice was served, try to contact the tenant to discuss the arrears, \
                 their cause, repayment, the tenant's finances and benefits"
            }
            ProtocolStep::ArrangementBreachWarning => {
                "the arrangement broke: warn the tenant in writing that we intend to bring \
                 proceedings, with a clear time limit to comply"
            }
            ProtocolStep::PossessionReasonsExplained => {
                "write to the occupiers explaining why possession is sought, asking them to tell \
                 us by a date of any circumstances they want considered"
            }
            ProtocolStep::ProportionalityConsidered => {
                "after the time for representations, consider what the occupiers said and \
                 whether seeking possession is proportionate"
            }
            ProtocolStep::IntroductoryReviewRequested => {
                "the tenant asked for a review of the decision to seek possession (Housing Act \
                 1996 s129)"
            }
            ProtocolStep::IntroductoryReviewDecided => {
                "carry out the review and tell the tenant its outcome before the date in the \
                 notice (Housing Act 1996 s129(6))"
            }
            ProtocolStep::IntroductoryTrialExtended => {
                "a notice extending the introductory trial period by six months served (Housing \
                 Act 1996 s125A)"
            }
            ProtocolStep::DebtLetterOfClaimSent => {
                "send the former tenant a letter of claim with the information sheet, the reply \
                 form and a financial statement (Pre-Action Protocol for Debt Claims)"
            }
            ProtocolStep::DebtReplyReceived => "the former tenant's reply form came back",
            ProtocolStep::DebtAdviceSought => {
                "the former tenant said they are getting debt advice: wait for it"
            }
            ProtocolStep::DebtClaimIssued => "a money claim issued for the former tenant's debt",
            ProtocolStep::WriteOffApproved => {
                "a team leader approved writing the debt off, with reasons"
            }
        }
    }
}

/// What has been recorded on the account, for the gates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GateFacts {
    /// Every stage recorded on the account (a notice included), oldest first.
    pub stages: Vec<Stage>,
    /// The latest order recorded with its details (None: none, or recorded without them).
    pub order: Option<CourtOrder>,
    /// The order's terms are not being kept (`possession::court::CourtFacts::terms_breached`).
    pub order_breached: bool,
    /// The day the court gave permission to issue a warrant (CPR 83.2(3)(a): an order six years
    /// old or more), when the officer records a warrant with it.
    pub warrant_permission_on: Option<NaiveDate>,
    /// Every Breathing Space on the account, past or present: start and end (if known).
    pub breathing_spaces: Vec<(NaiveDate, Option<NaiveDate>)>,
    /// Each protocol step with the date it was last recorded.
    pub recorded: Vec<(ProtocolStep, NaiveDate)>,
    /// A Breathing Space in force today.
    pub breathing_space: bool,
    /// An active arrangement being kept (the protocol: postpone while it is).
    pub arrangement_kept: bool,
    /// A benefit claim the tenant has evidenced and is waiting for (protocol step 5).
    pub benefit_claim_pending: bool,
    /// For a pending benefit claim: what the benefit will not cover since the claim started
    /// and what the tenant paid (para 2.5(c)); `None`: not worked out (the gate then holds).
    pub benefit_shortfall: Option<BenefitShortfall>,
    /// The protocol steps recorded with a time limit (para 2.9's warning, Part 3's letter).
    pub time_limits: Vec<TimeLimit>,
    /// The day the current arrangement broke, when it is broken (para 2.9).
    pub plan_broken_on: Option<NaiveDate>,
    /// The day the tenancy started (an introductory tenancy's trial period runs from it).
    pub tenancy_start: Option<NaiveDate>,
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
    let mut out = vec![];
    // docs/breathing-space.md#a-notice-served-during-a-breathing-space-is-void: during Breathing Space no notice, no claim, no warrant, no enforcement;
    // an existing claim may still reach a hearing and an order.
    let stopped_by_breathing_space = matches!(
        target,
        Stage::NoticeServed | Stage::CourtApplication | Stage::Warrant | Stage::Eviction
    );
    if facts.breathing_space && stopped_by_breathing_space {
        out.push(Missing {
            id: "breathing_space".into(),
            reason: "the tenant is in Breathing Space: no enforcement step while it lasts".into(),
        });
    }
    let required: &[ProtocolStep] = match target {
        Stage::NoticeServed => ProtocolStep::BEFORE_NOTICE,
        Stage::CourtApplication => &[
            ProtocolStep::ContactMade,
            ProtocolStep::AffordablePaymentsOffered,
            ProtocolStep::RentStatementSent,
            ProtocolStep::BenefitHelpOffered,
            ProtocolStep::VulnerabilityConsidered,
            ProtocolStep::ProtocolCopySent,
        ],
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
        // Paras 2.8, 2.9 and Part 3: what the Protocol asks between the notice and the claim.
        out.extend(pre_claim(&facts.pre_claim_facts(), today).missing);
        match &facts.notice {
            None => out.push(Missing {
                id: "notice".into(),
                reason: "no notice has been served".into(),
            }),
            Some(n) if today < n.earliest_proceedings => out.push(Missing {
                id: "notice_period".into(),
                reason: proceedings_rule(n),
            }),
            Some(n) => {
                // docs/breathing-space.md#deadlines-move-to-8-weeks-after-it-ends: a lapse date inside a Breathing Space moves to 8 weeks after it.
                if let Some(lapsed) = n.lapses_on(&facts.breathing_spaces).filter(|l| today > *l) {
                    out.push(Missing {
                        id: "notice_expired".into(),
                        reason: format!(
                            "the notice lapsed on {}; serve a new one",
                            lapsed.format("%-d %B %Y")
                        ),
                    })
                }
            }
        }
    }
    out.extend(out_of_sequence(target, facts, today));
    if matches!(target, Stage::NoticeServed | Stage::CourtApplication) && override_reason.is_none()
    {
        if facts.arrangement_kept {
            out.push(Missing {
                id: "arrangement_kept".into(),
                reason: "the tenant is keeping to an arrangement: postpone, or record why not"
                    .into(),
            });
        }
        // Para 2.5: only a tenant who has also paid what the benefit will not cover.
        if facts.benefit_claim_pending
            && facts
                .benefit_shortfall
                .as_ref()
                .is_none_or(BenefitShortfall::paid)
        {
            out.push(Missing {
                id: "benefit_claim_pending".into(),
                reason: format!(
                    "a benefit claim the tenant has evidenced is pending{}: wait, or record why not",
                    facts
                        .benefit_shortfall
                        .as_ref()
                        .map(|s| format!(" and they have paid what it will not cover ({})", s.describe()))
                        .unwrap_or_default()
                ),
            });
        }
    }
    out
}

/// A protocol step recorded with the time limit its letter gave the tenant: the warning after
/// an arrangement broke (para 2.9), the letter explaining why possession is sought (Part 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeLimit {
    pub step: ProtocolStep,
    /// The day it was recorded (given).
    pub given_on: NaiveDate,
    /// The last day of the time limit it gave.
    pub ends_on: NaiveDate,
}

/// Para 2.5(c): since a pending benefit claim started, what the benefit will not cover (the
/// rent and service charges posted less the benefit expected for the same weeks) and what the
/// tenant paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BenefitShortfall {
    pub since: NaiveDate,
    /// What the benefit will not cover, due since `since`.
    pub due: Pence,
    /// The tenant's own payments since `since`.
    pub paid: Pence,
    /// The benefit's amount is not known: taken as covering all the rent (`due` is 0).
    pub amount_unknown: bool,
}

impl BenefitShortfall {
    /// The tenant has paid what the benefit will not cover.
    pub fn paid(&self) -> bool {
        self.paid >= self.due
    }

    pub fn describe(&self) -> String {
        if self.amount_unknown {
            return format!(
                "the benefit's amount is not recorded, so it is taken to cover all the rent; \
                 the tenant paid {} since {}",
                self.paid,
                self.since.format("%-d %B %Y")
            );
        }
        format!(
            "since {} the benefit will not cover {}; the tenant paid {}",
            self.since.format("%-d %B %Y"),
            self.due,
            self.paid
        )
    }
}

/// Para 2.5(c) for a Universal Credit claim with housing costs started on `claim_start` for
/// `monthly_housing` a month: each weekly charge (rent and service charges) posted from the
/// claim's start to `today`, less the benefit for a week (monthly × 12 ÷ 52, rounded up: UC
/// converts weekly rent to monthly as weekly × 52 ÷ 12), is what the benefit will not cover;
/// the tenant's own payments over the same days are what they paid. An unknown amount is taken
/// as covering the whole rent (nothing for the tenant to have paid): the claim then still
/// stops proceedings, as it did before this was checked.
pub fn benefit_shortfall(
    claim_start: NaiveDate,
    monthly_housing: Option<Pence>,
    entries: &[crate::ledger::LedgerEntry],
    today: NaiveDate,
) -> BenefitShortfall {
    let weekly_cover = monthly_housing.map(|m| Pence((m.0 * 12 + 51).div_euclid(52)));
    let due = match weekly_cover {
        None => Pence::ZERO,
        Some(cover) => crate::arrangements::weekly_charges(entries)
            .range(claim_start..=today)
            .map(|(_, charge)| (*charge - cover).max(Pence::ZERO))
            .sum(),
    };
    let paid = -entries
        .iter()
        .filter(|e| {
            e.kind.is_tenant_payment() && e.posted_on >= claim_start && e.posted_on <= today
        })
        .map(|e| e.amount)
        .sum::<Pence>();
    BenefitShortfall {
        since: claim_start,
        due,
        paid,
        amount_unknown: monthly_housing.is_none(),
    }
}

/// What [`pre_claim`] reads.
#[derive(Debug, Clone, Copy)]
pub struct PreClaimFacts<'a> {
    pub recorded: &'a [(ProtocolStep, NaiveDate)],
    pub time_limits: &'a [TimeLimit],
    /// The notice the claim would rest on.
    pub notice: Option<&'a NoticeDates>,
    /// The day the current arrangement broke, when it is broken.
    pub plan_broken_on: Option<NaiveDate>,
}

impl GateFacts {
    pub fn pre_claim_facts(&self) -> PreClaimFacts<'_> {
        PreClaimFacts {
            recorded: &self.recorded,
            time_limits: &self.time_limits,
            notice: self.notice.as_ref(),
            plan_broken_on: self.plan_broken_on,
        }
    }
}

/// What the Protocol asks between the notice and the claim, and when the claim may then be
/// made (docs/possession.md#between-the-notice-and-the-claim-paras-28-29-and-part-3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreClaim {
    /// Each step still to take, in order, with the first day it counts.
    pub to_do: Vec<(ProtocolStep, NaiveDate)>,
    /// What stops the claim today.
    pub missing: Vec<Missing>,
    /// The claim waits until this day: the day after the last time limit given.
    pub claim_from: Option<NaiveDate>,
}

/// The claim rests on a mandatory ground or needs no ground (Part 3): a notice giving ground 8,
/// or an introductory tenancy's notice of proceedings (HA 1996 s127(2): the court must make
/// the order if the procedure was followed).
pub fn part_3_applies(notice: &NoticeDates) -> bool {
    notice.kind == NoticeKind::Introductory
        || notice.grounds_given().iter().any(|g| g.is_mandatory())
}

/// Between the notice and the claim (Pre-Action Protocol for Possession Claims by Social
/// Landlords):
/// - para 2.8: after the notice was served, an attempt to contact the tenant (recorded on or
///   after the day it was deemed served);
/// - para 2.9: when the current arrangement is broken, a written warning given on or after the
///   day it broke, with a time limit; the claim only after that time limit;
/// - Part 3 (a notice on a mandatory ground, an introductory tenancy): a letter explaining why
///   possession is sought with a date for representations (given on or after the day the
///   notice was sent), then proportionality considered after that date; the claim only after it.
///
/// Nothing without a notice (the gate for the notice itself says so).
pub fn pre_claim(f: &PreClaimFacts<'_>, today: NaiveDate) -> PreClaim {
    let mut out = PreClaim::default();
    let Some(notice) = f.notice else {
        return out;
    };
    let fmt = |d: NaiveDate| d.format("%-d %B %Y").to_string();
    let latest = |step: ProtocolStep, since: NaiveDate| {
        f.recorded
            .iter()
            .filter(|(s, d)| *s == step && *d >= since)
            .map(|(_, d)| *d)
            .max()
    };
    let latest_limit = |step: ProtocolStep, since: NaiveDate| {
        f.time_limits
            .iter()
            .filter(|t| t.step == step && t.given_on >= since)
            .max_by_key(|t| (t.given_on, t.ends_on))
            .copied()
    };
    let mut wait_until = |d: NaiveDate| {
        out.claim_from = Some(out.claim_from.map_or(d, |c| c.max(d)));
    };
    let mut to_do = vec![];
    let mut missing = vec![];
    // Para 2.8.
    let served = notice.served_on;
    if latest(ProtocolStep::PostNoticeContact, served).is_none() {
        to_do.push((ProtocolStep::PostNoticeContact, served.max(today)));
        missing.push(Missing {
            id: ProtocolStep::PostNoticeContact.as_str().into(),
            reason: format!(
                "after the notice was served on {}, try to contact the tenant to discuss the \
                 arrears, their cause, repayment, the tenant's finances and benefits (Protocol \
                 para 2.8)",
                fmt(served)
            ),
        });
    }
    // Para 2.9.
    if let Some(broke) = f.plan_broken_on {
        match latest_limit(ProtocolStep::ArrangementBreachWarning, broke) {
            None => {
                to_do.push((ProtocolStep::ArrangementBreachWarning, today.max(broke)));
                missing.push(Missing {
                    id: ProtocolStep::ArrangementBreachWarning.as_str().into(),
                    reason: format!(
                        "the arrangement broke on {}: warn the tenant in writing that we intend \
                         to bring proceedings, with a clear time limit to comply (Protocol para \
                         2.9)",
                        fmt(broke)
                    ),
                });
            }
            Some(w) => {
                let from = w.ends_on + Duration::days(1);
                wait_until(from);
                if today < from {
                    missing.push(Missing {
                        id: "arrangement_breach_time_limit".into(),
                        reason: format!(
                            "the warning given on {} allows the tenant until {} to comply: the \
                             claim only from {} (Protocol para 2.9)",
                            fmt(w.given_on),
                            fmt(w.ends_on),
                            fmt(from)
                        ),
                    });
                }
            }
        }
    }
    // Part 3.
    if part_3_applies(notice) {
        let sent = notice.sent_on.unwrap_or(served);
        match latest_limit(ProtocolStep::PossessionReasonsExplained, sent) {
            None => {
                to_do.push((ProtocolStep::PossessionReasonsExplained, today.max(sent)));
                missing.push(Missing {
                    id: ProtocolStep::PossessionReasonsExplained.as_str().into(),
                    reason: format!(
                        "the claim rests on {}: write to the occupiers explaining why possession \
                         is sought, asking them to tell us by a date of any circumstances they \
                         want considered (Protocol para 3.2)",
                        mandatory_label(notice)
                    ),
                });
            }
            Some(x) => {
                let from = x.ends_on + Duration::days(1);
                wait_until(from);
                if latest(ProtocolStep::ProportionalityConsidered, from).is_none() {
                    to_do.push((ProtocolStep::ProportionalityConsidered, today.max(from)));
                    missing.push(Missing {
                        id: ProtocolStep::ProportionalityConsidered.as_str().into(),
                        reason: format!(
                            "the occupiers have until {} to say what they want considered: from \
                             {}, consider it and whether seeking possession is proportionate, \
                             and record it (Protocol para 3.2)",
                            fmt(x.ends_on),
                            fmt(from)
                        ),
                    });
                }
            }
        }
    }
    // Housing Act 1996 s129: an introductory tenancy's review.
    if notice.kind == NoticeKind::Introductory {
        introductory_review(f, notice, today, &mut to_do, &mut missing);
    }
    out.to_do = to_do;
    out.missing = missing;
    out
}

/// The last day of an introductory tenancy's trial period (Housing Act 1996 s125): the year
/// beginning with the day the tenancy started, so the day before its first anniversary; 18
/// months when a notice of extension (s125A) was served at least eight weeks before that year
/// ends (a later one does not extend it). A start on 29 February: the year ends on 28
/// February.
pub fn introductory_trial_ends(
    start: NaiveDate,
    extension_served_on: Option<NaiveDate>,
) -> NaiveDate {
    let year_ends = add_months_clamped(start, 12) - Duration::days(1);
    let extended =
        extension_served_on.is_some_and(|on| on >= start && on <= year_ends - Duration::weeks(8));
    if extended {
        add_months_clamped(start, 18) - Duration::days(1)
    } else {
        year_ends
    }
}

/// An introductory tenancy's notice of proceedings is refused once the trial period has ended
/// before the notice is served (the tenancy is then secure: a NOSP is needed, HA 1996 s125(2)).
/// `None` when the notice is not an introductory one or the tenancy's start is not known.
pub fn introductory_trial_ended(notice: &NoticeDates, facts: &GateFacts) -> Option<Missing> {
    let start = facts
        .tenancy_start
        .filter(|_| notice.kind == NoticeKind::Introductory)?;
    let extension = facts
        .recorded
        .iter()
        .filter(|(s, _)| *s == ProtocolStep::IntroductoryTrialExtended)
        .map(|(_, d)| *d)
        .min();
    let ends = introductory_trial_ends(start, extension);
    (notice.served_on > ends).then(|| Missing {
        id: "introductory_trial_ended".into(),
        reason: format!(
            "the introductory trial period ended on {} (Housing Act 1996 s125): the tenancy is \
             secure now, so a notice of seeking possession is needed; record the account as \
             secure",
            ends.format("%-d %B %Y")
        ),
    })
}

/// The days, counted from the day the notice of proceedings is served, within which the tenant
/// may ask for a review (Housing Act 1996 s129(1): "before the end of the period of 14 days
/// beginning with the day on which the notice of proceedings is served").
pub const INTRODUCTORY_REVIEW_REQUEST_DAYS: i64 = 14;

/// The last day an introductory tenant may ask for a review of a notice served on `served_on`:
/// the 14 days begin with that day, so served + 13.
pub fn introductory_review_request_by(served_on: NaiveDate) -> NaiveDate {
    served_on + Duration::days(INTRODUCTORY_REVIEW_REQUEST_DAYS - 1)
}

/// HA 1996 s129: a review asked for in time (from the day the notice was served to
/// [`introductory_review_request_by`]) must be carried out, and the tenant told the outcome,
/// before the date specified in the notice (s129(6)); the claim waits for it. A request out of
/// time asks nothing. Once the date specified has come without an outcome, the notice cannot
/// be relied on: a new one is needed.
fn introductory_review(
    f: &PreClaimFacts<'_>,
    notice: &NoticeDates,
    today: NaiveDate,
    to_do: &mut Vec<(ProtocolStep, NaiveDate)>,
    missing: &mut Vec<Missing>,
) {
    let fmt = |d: NaiveDate| d.format("%-d %B %Y").to_string();
    let by = introductory_review_request_by(notice.served_on);
    let Some(requested) = f
        .recorded
        .iter()
        .filter(|(s, d)| {
            *s == ProtocolStep::IntroductoryReviewRequested && *d >= notice.served_on && *d <= by
        })
        .map(|(_, d)| *d)
        .min()
    else {
        return;
    };
    let decided = f.recorded.iter().any(|(s, d)| {
        *s == ProtocolStep::IntroductoryReviewDecided
            && *d >= requested
            && *d < notice.date_specified
    });
    if decided {
        return;
    }
    if today >= notice.date_specified {
        missing.push(Missing {
            id: "introductory_review".into(),
            reason: format!(
                "the tenant asked for a review on {}, and its outcome was not given before {}, \
                 the date in the notice (Housing Act 1996 s129(6)): the notice cannot be relied \
                 on; serve a new one",
                fmt(requested),
                fmt(notice.date_specified)
            ),
        });
    } else {
        to_do.push((
            ProtocolStep::IntroductoryReviewDecided,
            today.max(requested),
        ));
        missing.push(Missing {
            id: ProtocolStep::IntroductoryReviewDecided.as_str().into(),
            reason: format!(
                "the tenant asked for a review on {}: carry it out and tell them the outcome \
                 before {}, the date in the notice (Housing Act 1996 s129(6))",
                fmt(requested),
                fmt(notice.date_specified)
            ),
        });
    }
}

fn mandatory_label(notice: &NoticeDates) -> &'static str {
    match notice.kind {
        NoticeKind::Introductory => "an introductory tenancy's notice of proceedings",
        _ => "a mandatory ground (ground 8)",
    }
}

/// The court steps in their order (docs/possession.md#stages: notice → court application → hearing → order
/// → warrant → eviction): what must already be recorded before `target`. Each step counts only
/// after the latest notice (a new notice starts a new claim), and each after the step before it.
/// A warrant needs an order that allows one: an outright order whose date has passed, a
/// suspended order whose terms are broken, a postponed order once the court has fixed a date.
pub fn out_of_sequence(target: Stage, facts: &GateFacts, today: NaiveDate) -> Vec<Missing> {
    const CHAIN: [(Stage, &str); 4] = [
        (
            Stage::CourtApplication,
            "no court application has been recorded since the latest notice",
        ),
        (
            Stage::Hearing,
            "no hearing has been recorded after the court application",
        ),
        (
            Stage::Order,
            "no possession order has been recorded after the hearing",
        ),
        (
            Stage::Warrant,
            "no warrant has been recorded after the order",
        ),
    ];
    let mut out = vec![];
    let needed = match target {
        Stage::Hearing => 1,
        Stage::Order => 2,
        Stage::Warrant => 3,
        Stage::Eviction => 4,
        // A court application needs a notice: `gates` checks the notice and its dates.
        _ => return out,
    };
    // The current claim: what was recorded since the latest notice (a new notice starts anew).
    let mut rest: &[Stage] = match facts.stages.iter().rposition(|s| *s == Stage::NoticeServed) {
        Some(i) => &facts.stages[i + 1..],
        None => &facts.stages,
    };
    let mut order_recorded = false;
    for (stage, reason) in &CHAIN[..needed] {
        // The latest one, and the next step must come after it.
        match rest.iter().rposition(|s| s == stage) {
            Some(i) => {
                rest = &rest[i + 1..];
                order_recorded |= *stage == Stage::Order;
            }
            None => out.push(Missing {
                id: stage.as_str().into(),
                reason: (*reason).into(),
            }),
        }
    }
    if target == Stage::Warrant && order_recorded {
        out.extend(order_allows_warrant(facts, today));
    }
    out
}

/// docs/possession.md#court-orders-and-warrants: an outright order once its date has passed (N325); a suspended order once its
/// terms are broken (N325A); a postponed order only after the court has fixed a date.
fn order_allows_warrant(facts: &GateFacts, today: NaiveDate) -> Vec<Missing> {
    let missing = |id: &str, reason: String| Missing {
        id: id.into(),
        reason,
    };
    let Some(o) = &facts.order else {
        return vec![missing(
            "order_type",
            "the order's type and terms are not recorded: record the order with them".into(),
        )];
    };
    let mut out = vec![];
    let passed = |d: NaiveDate| {
        (today <= d).then(|| {
            missing(
                "possession_date",
                format!(
                    "the order gives possession on {}: a warrant only after that date",
                    d.format("%-d %B %Y")
                ),
            )
        })
    };
    // CPR 83.2(3)(a): six years or more after the order, a warrant needs the court's permission.
    out.extend(
        crate::possession::order::warrant_permission_needed(o, facts.warrant_permission_on, today)
            .map(|r| missing("court_permission", r)),
    );
    match o.kind {
        OrderKind::Outright => out.extend(o.possession_date.and_then(passed)),
        OrderKind::Suspended => {
            if !facts.order_breached {
                out.push(missing(
                    "order_terms_kept",
                    "the tenant is keeping to the terms of the suspended order: a warrant needs \
                     a breach of them"
                        .into(),
                ));
            }
            out.extend(o.possession_date.and_then(passed));
        }
        OrderKind::Postponed => match o.possession_date {
            None => out.push(missing(
                "possession_date",
                "a postponed order fixes no date: after a breach, apply to the court to fix one \
                 and record it with the order before a warrant"
                    .into(),
            )),
            Some(d) => out.extend(passed(d)),
        },
        OrderKind::Adjourned | OrderKind::Dismissed => out.push(missing(
            "order",
            format!(
                "the claim was {}: there is no possession order",
                o.kind.as_str()
            ),
        )),
    }
    out
}

/// A notice served during a Breathing Space is void (docs/possession.md#notices, docs/breathing-space.md#a-notice-served-during-a-breathing-space-is-void), even if the
/// Breathing Space has ended since: refused if any day from sending to deemed service falls in
/// one. The id is the field that decides it, `sent_on`.
pub fn notice_void(notice: &NoticeDates, sent_on: NaiveDate, facts: &GateFacts) -> Option<Missing> {
    facts
        .breathing_spaces
        .iter()
        .find(|(start, end)| *start <= notice.served_on && end.is_none_or(|e| e >= sent_on))
        .map(|(start, end)| Missing {
            id: "sent_on".into(),
            reason: format!(
                "the notice was served during a Breathing Space (from {}{}): a notice served \
                 then is void; serve a new one after it ends",
                start.format("%-d %B %Y"),
                end.map(|e| format!(" to {}", e.format("%-d %B %Y")))
                    .unwrap_or_default()
            ),
        })
}

/// Breathing Space moves deadlines: one falling inside it extends to 8 weeks after it ends
/// (docs/breathing-space.md).
pub const BREATHING_SPACE_DEADLINE_WEEKS: i64 = 8;

/// `deadline` as every Breathing Space on the account moves it (docs/breathing-space.md#deadlines-move-to-8-weeks-after-it-ends: "deadlines falling
/// inside extend to 8 weeks after it ends"): a deadline on or after a Breathing Space's first
/// day and before 8 weeks after its last day becomes 8 weeks after its last day. Applied until
/// nothing moves it (an extended deadline may fall in a later Breathing Space). `None`: held open
/// by a Breathing Space with no end yet (a mental health crisis one): the deadline is 8 weeks
/// after it ends, not known until then.
pub fn breathing_space_deadline(
    deadline: NaiveDate,
    breathing_spaces: &[(NaiveDate, Option<NaiveDate>)],
) -> Option<NaiveDate> {
    let after = Duration::weeks(BREATHING_SPACE_DEADLINE_WEEKS);
    let mut d = deadline;
    // Each pass moves `d` strictly later, past one more Breathing Space's end: at most one pass
    // per Breathing Space.
    loop {
        let mut moved = false;
        for (start, end) in breathing_spaces {
            if *start > d {
                continue;
            }
            match end {
                None => return None,
                Some(e) if d < *e + after => {
                    d = *e + after;
                    moved = true;
                }
                Some(_) => {}
            }
        }
        if !moved {
            return Some(d);
        }
    }
}

impl NoticeDates {
    /// The day after which the notice can no longer be relied on (a NOSP lapses, a section 8
    /// claim is out of time), moved by Breathing Space ([`breathing_space_deadline`]). `None`:
    /// held open by a Breathing Space with no end yet.
    pub fn lapses_on(
        &self,
        breathing_spaces: &[(NaiveDate, Option<NaiveDate>)],
    ) -> Option<NaiveDate> {
        breathing_space_deadline(self.expires, breathing_spaces)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceMethod {
    /// Handed to the tenant (personal service) or delivered to / left at the property. CPR
    /// 6.26: served that day if that is a business day and it was before 4.30pm (London time);
    /// otherwise on the next business day.
    Hand,
    /// First-class post. CPR 6.26: the second day after posting if that is a business day;
    /// otherwise the next business day after it.
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

/// The rules a section 8 notice is served under (docs/possession.md#notices). A NOSP (secure
/// tenancy, HA 1985) is not changed by the Renters' Rights Act and is always `Current`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeRegime {
    /// Ground 8 at 8 weeks' rent unpaid; notice 2 weeks.
    #[default]
    Current,
    /// Renters' Rights Act 2025: ground 8 at 13 weeks' rent unpaid, disregarding arrears due
    /// only to a Universal Credit payment not yet received; notice for grounds 8, 10, 11 4 weeks.
    RentersRights,
}

impl NoticeRegime {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeRegime::Current => "current",
            NoticeRegime::RentersRights => "renters_rights",
        }
    }

    /// Weeks' rent unpaid (weekly rent) for ground 8.
    pub fn ground_8_weeks(self) -> i64 {
        match self {
            NoticeRegime::Current => 8,
            NoticeRegime::RentersRights => 13,
        }
    }

    /// Days between service and the earliest proceedings for a section 8 notice (grounds 8,
    /// 10, 11).
    pub fn section_8_notice_days(self) -> i64 {
        match self {
            NoticeRegime::Current => 14,
            NoticeRegime::RentersRights => 28,
        }
    }
}

/// Configuration of the notice rules (**config**: `RENTERS_RIGHTS_SOCIAL_FROM`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoticeRules {
    /// When the Renters' Rights Act regime starts for social assured tenancies; `None` = not
    /// commenced (docs/possession.md#notices: "2027 at the earliest"). A notice served on or after this date is
    /// under the new regime; one served before keeps the rules it was served under.
    pub renters_rights_from: Option<NaiveDate>,
    /// **config** `STARTER_TENANCIES`: `starter` accounts are council introductory tenancies
    /// (notice of proceedings, HA 1996 s128) rather than housing association starter
    /// (assured shorthold) tenancies (section 8, the default).
    pub starter_is_introductory: bool,
}

impl NoticeRules {
    /// The notice a tenure gets: secure → NOSP; assured → section 8; starter → section 8 (a
    /// housing association starter tenancy) or, when configured, an introductory tenancy's
    /// notice of proceedings; anything else (leasehold, shared ownership, former tenant) → none.
    pub fn kind_for_tenure(&self, tenure: &str) -> Option<NoticeKind> {
        match tenure {
            "secure" => Some(NoticeKind::Nosp),
            "assured" => Some(NoticeKind::Section8),
            "starter" if self.starter_is_introductory => Some(NoticeKind::Introductory),
            "starter" => Some(NoticeKind::Section8),
            _ => None,
        }
    }

    /// The regime for a notice of `kind` served on `served_on`.
    pub fn regime(&self, kind: NoticeKind, served_on: NaiveDate) -> NoticeRegime {
        match (kind, self.renters_rights_from) {
            (NoticeKind::Section8, Some(from)) if served_on >= from => NoticeRegime::RentersRights,
            _ => NoticeRegime::Current,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredNoticeDates")]
pub struct NoticeDates {
    pub kind: NoticeKind,
    /// The day it was handed over or posted (notices stored before this was kept: `None`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_on: Option<NaiveDate>,
    pub served_on: NaiveDate,
    /// The date written in the notice. A NOSP (HA 1985 s83(4)(a)) and an introductory
    /// tenancy's notice of proceedings (HA 1996 s128(4)) specify the date **after which**
    /// proceedings may be begun; a section 8 notice (HA 1988 s8(3)(b)) the date **before which**
    /// they will not begin.
    pub date_specified: NaiveDate,
    /// The first day proceedings may be begun ([`first_day_proceedings_may_begin`]): the day
    /// after `date_specified` for a NOSP or an introductory notice (HA 1985 s83A(2), HA 1996
    /// s128(5): "begun after the date specified"); `date_specified` itself for a section 8
    /// notice.
    pub earliest_proceedings: NaiveDate,
    /// After this the notice can no longer be relied on.
    pub expires: NaiveDate,
    /// The rules it was served under (notices stored before this field: `current`).
    #[serde(default)]
    pub regime: NoticeRegime,
    /// For a section 8 notice: whether ground 8 (mandatory) was available on the arrears at
    /// service, and why. `None` for a NOSP or when not computed.
    #[serde(default)]
    pub ground_8: Option<Ground8>,
    /// The grounds the notice gives, as recorded with it (`None`: stored before grounds were
    /// recorded; [`NoticeDates::grounds_given`] then reads them from the kind).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grounds: Option<Vec<Ground>>,
}

/// A notice as stored with its diary entry. Notices stored before `date_specified` was kept
/// had the date specified in `earliest_proceedings`; for a NOSP or an introductory notice that
/// is the day *before* the first day proceedings may be begun, so it is read as the date
/// specified and the first day is the day after it (HA 1985 s83A(2), HA 1996 s128(5)).
#[derive(Deserialize)]
struct StoredNoticeDates {
    kind: NoticeKind,
    #[serde(default)]
    sent_on: Option<NaiveDate>,
    served_on: NaiveDate,
    #[serde(default)]
    date_specified: Option<NaiveDate>,
    earliest_proceedings: NaiveDate,
    expires: NaiveDate,
    #[serde(default)]
    regime: NoticeRegime,
    #[serde(default)]
    ground_8: Option<Ground8>,
    #[serde(default)]
    grounds: Option<Vec<Ground>>,
}

impl From<StoredNoticeDates> for NoticeDates {
    fn from(s: StoredNoticeDates) -> NoticeDates {
        let (date_specified, earliest_proceedings) = match s.date_specified {
            Some(d) => (d, s.earliest_proceedings),
            None => (
                s.earliest_proceedings,
                first_day_proceedings_may_begin(s.kind, s.earliest_proceedings),
            ),
        };
        NoticeDates {
            kind: s.kind,
            sent_on: s.sent_on,
            served_on: s.served_on,
            date_specified,
            earliest_proceedings,
            expires: s.expires,
            regime: s.regime,
            ground_8: s.ground_8,
            grounds: s.grounds,
        }
    }
}

/// When proceedings on the notice may begin, in words (the gate's reason, the notice letter):
/// a NOSP or an introductory notice names its date and that proceedings come only after it; a
/// section 8 notice that they do not begin before its date.
pub fn proceedings_rule(n: &NoticeDates) -> String {
    let fmt = |d: NaiveDate| d.format("%-d %B %Y").to_string();
    match n.kind {
        NoticeKind::Nosp | NoticeKind::Introductory => format!(
            "the notice gives {} as its date: court proceedings can only begin after that date, \
             so not before {}",
            fmt(n.date_specified),
            fmt(n.earliest_proceedings)
        ),
        NoticeKind::Section8 => format!(
            "court proceedings cannot begin before {}, the date the notice gives",
            fmt(n.earliest_proceedings)
        ),
    }
}

/// The first day proceedings may be begun on a notice of `kind` whose specified date is
/// `date_specified`. A NOSP: HA 1985 s83A(2), "the court shall not entertain proceedings …
/// unless they are begun after the date specified in the notice"; an introductory tenancy's
/// notice of proceedings: HA 1996 s128(5), the same words. So the day after, never the date
/// itself. A section 8 notice: HA 1988 s8(3)(b), proceedings "will not begin earlier than" the
/// date specified, so the date itself.
pub fn first_day_proceedings_may_begin(kind: NoticeKind, date_specified: NaiveDate) -> NaiveDate {
    match kind {
        NoticeKind::Nosp | NoticeKind::Introductory => date_specified + Duration::days(1),
        NoticeKind::Section8 => date_specified,
    }
}

impl NoticeDates {
    /// The grounds the notice gives: those recorded with it, else what a notice of its kind
    /// gives by default ([`default_grounds`]).
    pub fn grounds_given(&self) -> Vec<Ground> {
        self.grounds
            .clone()
            .unwrap_or_else(|| default_grounds(self.kind, self.ground_8.as_ref()))
    }
}

/// "ground 8" / "grounds 10 and 11" / "grounds 8, 10 and 11".
pub fn grounds_label(grounds: &[Ground]) -> String {
    let n: Vec<String> = grounds.iter().map(|g| g.number().to_string()).collect();
    match n.as_slice() {
        [] => "no ground".into(),
        [one] => format!("ground {one}"),
        [init @ .., last] => format!("grounds {} and {last}", init.join(", ")),
    }
}

/// What a notice of `kind` gives when the officer does not say: a NOSP ground 1; a section 8
/// notice grounds 10 and 11, and ground 8 too when it was available at service; an
/// introductory tenancy's notice none.
pub fn default_grounds(kind: NoticeKind, ground_8: Option<&Ground8>) -> Vec<Ground> {
    match kind {
        NoticeKind::Section8 if ground_8.is_some_and(|g| g.available) => {
            vec![Ground::G8, Ground::G10, Ground::G11]
        }
        NoticeKind::Section8 => vec![Ground::G10, Ground::G11],
        NoticeKind::Nosp => vec![Ground::G1],
        NoticeKind::Introductory => vec![],
    }
}

/// The grounds a notice gives, from what the officer typed (`None`: the default for its kind).
/// Only grounds of its kind, each once; ground 8 only when it is available on the arrears at
/// service (`ground_8`: it must hold at notice and at the hearing). The error is the `grounds`
/// field's reason.
pub fn notice_grounds(
    kind: NoticeKind,
    given: Option<&[u8]>,
    ground_8: Option<&Ground8>,
) -> Result<Vec<Ground>, String> {
    let Some(given) = given else {
        return Ok(default_grounds(kind, ground_8));
    };
    let allowed = Ground::for_notice(kind);
    let grounds = parse_grounds(given, allowed, notice_kind_label(kind))?;
    if grounds.is_empty() && !allowed.is_empty() {
        return Err(format!(
            "a {} gives at least one of {}",
            notice_kind_label(kind),
            grounds_label(allowed)
        ));
    }
    if grounds.contains(&Ground::G8) {
        match ground_8 {
            Some(g) if g.available => {}
            Some(g) => return Err(format!("ground 8 is not available: {}", g.reason)),
            None => return Err("ground 8 is not available".into()),
        }
    }
    Ok(grounds)
}

/// The notice in words ("a NOSP", …) for reasons.
pub fn notice_kind_label(kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::Nosp => "notice of seeking possession (secure tenancy)",
        NoticeKind::Section8 => "section 8 notice (assured tenancy)",
        NoticeKind::Introductory => "notice of proceedings (introductory tenancy)",
    }
}

/// Ground numbers typed by the officer, checked against those `allowed`; sorted, each once.
pub fn parse_grounds(given: &[u8], allowed: &[Ground], what: &str) -> Result<Vec<Ground>, String> {
    let mut out = vec![];
    for n in given {
        match Ground::from_number(*n).filter(|g| allowed.contains(g)) {
            Some(g) if !out.contains(&g) => out.push(g),
            Some(_) => {}
            None if allowed.is_empty() => {
                return Err(format!("a {what} has no grounds: leave grounds out"));
            }
            None => {
                return Err(format!(
                    "ground {n} is not a ground a {what} gives: {}",
                    grounds_label(allowed)
                ));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Whether the mandatory arrears ground 8 (HA 1988 Sch 2) is available, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ground8 {
    pub available: bool,
    pub regime: NoticeRegime,
    /// Weeks' rent unpaid the ground needs (weekly, fortnightly and four-weekly rent).
    pub threshold_weeks: i64,
    /// Months' rent unpaid the ground needs when rent is payable monthly (2, or 3 under the
    /// Renters' Rights Act); `None` otherwise, and on notices stored before rent periods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold_months: Option<i64>,
    /// The arrears counted under the regime (notices stored before this field: 0).
    #[serde(default)]
    pub counted: Pence,
    /// The threshold in money: `threshold_weeks` × the weekly charge.
    #[serde(default)]
    pub threshold: Pence,
    /// The day the arrears were measured: the notice's deemed service date (or the day it was
    /// recorded, when that is earlier), or the hearing date. `None` on notices stored before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured_on: Option<NaiveDate>,
    pub reason: String,
}

impl Ground8 {
    /// The threshold in words: "8 weeks' rent", or "2 months' rent" for monthly rent.
    pub fn threshold_words(&self) -> String {
        match self.threshold_months {
            Some(m) => format!("{m} months' rent"),
            None => format!("{} weeks' rent", self.threshold_weeks),
        }
    }
}

/// Ground 8 on a weekly rent of `weekly_charge` (HA 1988 Sch 2): [`ground_8_for`] on a weekly
/// rent.
pub fn ground_8(
    regime: NoticeRegime,
    arrears: &crate::arrears::RentArrears,
    weekly_charge: Pence,
) -> Ground8 {
    ground_8_for(
        regime,
        arrears,
        &crate::rent::weekly_from(arrears.on, weekly_charge, Pence::ZERO),
    )
}

/// Ground 8 (HA 1988 Sch 2): rent lawfully due and unpaid of at least 8 weeks' rent when rent
/// is payable weekly or fortnightly, 2 months' when monthly (current regime); 13 weeks' or 3
/// months' under the Renters' Rights Act ([`crate::rent::ground_8_threshold`]), measured
/// against `rent`, the rent in force on the day measured, on `arrears` as measured on the
/// notice's deemed service date or the hearing date ([`crate::arrears::rent_arrears`]): rent
/// and service charges reserved as rent, never court costs or other sundry debits. Under the
/// current regime all rent unpaid counts, whatever benefit is on its way; under the new one
/// only arrears due to a Universal Credit payment not yet received are disregarded (Housing
/// Benefit timing is not). The ground must also hold at the hearing, which is said in the
/// reason.
pub fn ground_8_for(
    regime: NoticeRegime,
    arrears: &crate::arrears::RentArrears,
    rent: &crate::rent::RentChange,
) -> Ground8 {
    let weeks = regime.ground_8_weeks();
    let needed = crate::rent::ground_8_threshold(weeks, rent);
    let threshold_months =
        (needed.unit == crate::rent::ThresholdUnit::Months).then_some(needed.count);
    let on = arrears.on.format("%-d %B %Y");
    let left_out = if arrears.sundry.0 > 0 {
        format!(
            " (court costs and other sundry debits of {} not counted)",
            arrears.sundry
        )
    } else {
        String::new()
    };
    let (unpaid, counted) = match regime {
        NoticeRegime::Current => (
            arrears.rent_unpaid,
            format!("rent unpaid on {on}{left_out}"),
        ),
        NoticeRegime::RentersRights => (
            (arrears.rent_unpaid - arrears.uc_not_yet_received).max(Pence::ZERO),
            format!(
                "rent unpaid on {on}{left_out}, less {} due only to a Universal Credit payment \
                 not yet received (disregarded)",
                arrears.uc_not_yet_received
            ),
        ),
    };
    let rule = match regime {
        NoticeRegime::Current => "current regime",
        NoticeRegime::RentersRights => "Renters' Rights Act regime",
    };
    let rate = format!(
        "{} rent of {} in force then",
        rent.period.as_str().replace('_', "-"),
        rent.charge()
    );
    if rent.charge().0 <= 0 {
        return Ground8 {
            available: false,
            regime,
            threshold_weeks: weeks,
            threshold_months,
            counted: unpaid,
            threshold: Pence::ZERO,
            measured_on: Some(arrears.on),
            reason: format!(
                "no rent charge on {on} to measure {} against",
                needed.words()
            ),
        };
    }
    let threshold = needed.amount;
    let available = unpaid.0 >= threshold.0;
    let reason = if available {
        format!(
            "{counted}: {unpaid}, at least {needed} on the {rate} under the {rule}; it must \
             still be so at the hearing"
        )
    } else {
        format!(
            "{counted}: {unpaid}, less than {needed} on the {rate} under the {rule}: use \
             grounds 10 and 11"
        )
    };
    Ground8 {
        available,
        regime,
        threshold_weeks: weeks,
        threshold_months,
        counted: unpaid,
        threshold,
        measured_on: Some(arrears.on),
        reason,
    }
}

/// A business day (CPR 6.2(b)): not a Saturday, a Sunday or a bank holiday in England and
/// Wales (Good Friday and Christmas Day are in [`is_bank_holiday`]'s table).
pub fn is_business_day(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !is_bank_holiday(d)
}

/// The first business day strictly after `d`.
pub fn next_business_day(d: NaiveDate) -> NaiveDate {
    let mut n = d + Duration::days(1);
    while !is_business_day(n) {
        n += Duration::days(1);
    }
    n
}

/// CPR 6.26: a document delivered, left at the address or served personally before this time
/// (London local time) on a business day is served that day.
pub const CPR_6_26_CUT_OFF: NaiveTime = match NaiveTime::from_hms_opt(16, 30, 0) {
    Some(t) => t,
    None => NaiveTime::MIN,
};

/// When a document sent at `sent` (a Europe/London wall-clock date and time) by `method` is
/// deemed served, by the table in CPR 6.26:
/// - first class post: the second day after it was posted, provided that day is a business day;
///   if not, the next business day after that day (the time of posting does not matter);
/// - delivered to or left at the address, or served personally: that day if it is a business
///   day and the time is before 4.30pm; in any other case the next business day after that day.
///
/// The time is London local time as the officer's watch showed it (BST in summer): 16:45 in
/// July is after 4.30pm although it is 15:45 UTC.
pub fn deemed_service(sent: NaiveDateTime, method: ServiceMethod) -> NaiveDate {
    let day = sent.date();
    match method {
        ServiceMethod::Hand => {
            if is_business_day(day) && sent.time() < CPR_6_26_CUT_OFF {
                day
            } else {
                next_business_day(day)
            }
        }
        ServiceMethod::FirstClassPost => {
            let second = day + Duration::days(2);
            if is_business_day(second) {
                second
            } else {
                next_business_day(second)
            }
        }
    }
}

/// Notice dates for a weekly tenancy whose rent week starts on Monday.
/// - NOSP: the date specified is the later of 4 weeks after service and one full rent period,
///   moved forward to the first or last day of a rent period (a Monday or a Sunday); it lapses
///   12 months after that date. Proceedings may be begun only after it: from the next day
///   (HA 1985 s83A(2)).
/// - Introductory (HA 1996 s128 notice of proceedings): as a NOSP (docs/possession.md#notices gives no dates;
///   this is the conservative reading); proceedings from the day after the date specified
///   (HA 1996 s128(5)).
/// - Section 8 (grounds 8, 10, 11): 2 weeks after service (4 weeks under the Renters' Rights
///   Act regime, when `rules` say it has commenced by the service date); proceedings within 12
///   months of service.
///
/// `ground_8` is left `None`: it needs the account's arrears (see [`ground_8`]).
pub fn notice_dates(
    kind: NoticeKind,
    sent: NaiveDateTime,
    method: ServiceMethod,
    rules: &NoticeRules,
) -> NoticeDates {
    let monday = crate::rent::weekly_from(sent.date(), Pence::ZERO, Pence::ZERO);
    notice_dates_for(kind, sent, method, rules, &monday)
}

/// [`notice_dates`] for the rent in force when the notice is served (`rent`: its period and
/// the first day of one of its periods): a NOSP's (and an introductory notice's) date
/// specified is at least 4 weeks and one full rent period after service, on the first or last
/// day of a rent period ([`crate::rent::notice_to_quit_date`]; HA 1985 s83(5)). A section 8
/// notice for the rent grounds does not depend on the period (HA 1988 s8(4A)/(4B)).
pub fn notice_dates_for(
    kind: NoticeKind,
    sent: NaiveDateTime,
    method: ServiceMethod,
    rules: &NoticeRules,
    rent: &crate::rent::RentChange,
) -> NoticeDates {
    let served_on = deemed_service(sent, method);
    let regime = rules.regime(kind, served_on);
    match kind {
        // docs/possession.md#notices gives no dates for an introductory tenancy's notice of proceedings: the
        // NOSP rule (4 weeks and a full rent period, on a rent-period boundary, lapsing 12
        // months after) is the conservative reading — never earlier than a notice to quit.
        NoticeKind::Nosp | NoticeKind::Introductory => {
            let d = crate::rent::notice_to_quit_date(served_on, 28, rent);
            NoticeDates {
                kind,
                sent_on: Some(sent.date()),
                served_on,
                date_specified: d,
                earliest_proceedings: first_day_proceedings_may_begin(kind, d),
                // HA 1985 s83(4)(b): it ceases to be in force 12 months after the date specified.
                expires: add_months_clamped(d, 12),
                regime,
                ground_8: None,
                grounds: None,
            }
        }
        NoticeKind::Section8 => {
            let d = served_on + Duration::days(regime.section_8_notice_days());
            NoticeDates {
                kind,
                sent_on: Some(sent.date()),
                served_on,
                date_specified: d,
                earliest_proceedings: first_day_proceedings_may_begin(kind, d),
                expires: add_months_clamped(served_on, 12),
                regime,
                ground_8: None,
                grounds: None,
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Handed over or posted at midday London time (before CPR 6.26's 4.30pm).
    pub(crate) fn noon(day: NaiveDate) -> NaiveDateTime {
        day.and_time(NaiveTime::MIN) + Duration::hours(12)
    }

    /// Rent unpaid of `rent` pence on 1 December 2026, of which `uc` is a Universal Credit
    /// payment not yet received.
    fn ra(rent: i64, uc: i64) -> crate::arrears::RentArrears {
        crate::arrears::RentArrears {
            on: d(2026, 12, 1),
            rent_unpaid: Pence(rent),
            sundry: Pence::ZERO,
            uc_not_yet_received: Pence(uc),
        }
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// The steps every claim needs (before the notice, the copy of the Protocol and the
    /// contact after the notice, para 2.8), all recorded on `on`. Para 2.9's warning and Part
    /// 3's steps are recorded by the tests that need them.
    fn all_recorded(on: NaiveDate) -> Vec<(ProtocolStep, NaiveDate)> {
        ProtocolStep::BEFORE_NOTICE
            .iter()
            .chain([
                &ProtocolStep::ProtocolCopySent,
                &ProtocolStep::PostNoticeContact,
            ])
            .map(|s| (*s, on))
            .collect()
    }

    /// CPR 6.26 (deemed service), the cases of docs/possession.md#deemed-service-of-a-notice-cpr-626 "Deemed service": delivered by
    /// hand or left at the address (the same rule as personal service) before 4.30pm on a
    /// business day → that day, otherwise the next business day; first class post → the second
    /// day after posting if a business day, otherwise the next business day. Business days
    /// (CPR 6.2(b)) exclude weekends and England & Wales bank holidays.
    #[test]
    fn cpr_6_26_delivery_after_4_30pm_or_on_a_non_business_day_is_served_next_business_day() {
        use ServiceMethod::{FirstClassPost as Post, Hand};
        /// How, sent (date, time), deemed served, why.
        type Case = (
            ServiceMethod,
            (i32, u32, u32),
            (u32, u32),
            (i32, u32, u32),
            &'static str,
        );
        let cases: &[Case] = &[
            (
                Hand,
                (2027, 1, 13),
                (10, 0),
                (2027, 1, 13),
                "Wed before 4.30pm",
            ),
            (Hand, (2027, 1, 13), (16, 29), (2027, 1, 13), "Wed 4.29pm"),
            (
                Hand,
                (2027, 1, 13),
                (16, 30),
                (2027, 1, 14),
                "Wed 4.30pm is not before 4.30pm",
            ),
            (Hand, (2027, 1, 13), (17, 0), (2027, 1, 14), "Wed 5pm → Thu"),
            (Hand, (2027, 1, 15), (17, 0), (2027, 1, 18), "Fri 5pm → Mon"),
            (
                Hand,
                (2027, 1, 16),
                (10, 0),
                (2027, 1, 18),
                "Sat morning → Mon",
            ),
            (
                Hand,
                (2027, 1, 17),
                (10, 0),
                (2027, 1, 18),
                "Sun morning → Mon",
            ),
            (
                Hand,
                (2026, 12, 24),
                (17, 0),
                (2026, 12, 29),
                "Christmas Eve 5pm → Tue 29 Dec",
            ),
            (
                Hand,
                (2026, 12, 28),
                (9, 0),
                (2026, 12, 29),
                "substitute bank holiday → Tue",
            ),
            (
                Hand,
                (2027, 3, 25),
                (17, 0),
                (2027, 3, 30),
                "Thu before Easter 5pm → Tue",
            ),
            (
                Hand,
                (2027, 7, 14),
                (16, 45),
                (2027, 7, 15),
                "4.45pm BST (3.45pm UTC) → Thu",
            ),
            (
                Post,
                (2027, 1, 11),
                (9, 0),
                (2027, 1, 13),
                "posted Mon → Wed",
            ),
            (
                Post,
                (2027, 1, 13),
                (18, 0),
                (2027, 1, 15),
                "posted Wed evening → Fri",
            ),
            (
                Post,
                (2027, 1, 14),
                (9, 0),
                (2027, 1, 18),
                "posted Thu: Sat 16th → Mon",
            ),
            (
                Post,
                (2027, 1, 15),
                (9, 0),
                (2027, 1, 18),
                "posted Fri: Sun 17th → Mon",
            ),
            (
                Post,
                (2027, 1, 16),
                (9, 0),
                (2027, 1, 18),
                "posted Sat: Mon 18th is a business day",
            ),
            (
                Post,
                (2026, 12, 23),
                (9, 0),
                (2026, 12, 29),
                "posted Wed 23 Dec: Christmas → Tue",
            ),
            (
                Post,
                (2026, 12, 24),
                (9, 0),
                (2026, 12, 29),
                "posted Thu 24 Dec → Tue 29 Dec",
            ),
        ];
        for &(method, (y, m, day), (h, min), (ey, em, ed), why) in cases {
            let sent = d(y, m, day).and_hms_opt(h, min, 0).unwrap();
            assert_eq!(deemed_service(sent, method), d(ey, em, ed), "{why}");
        }
    }

    /// Every date the notice gives follows the deemed service date (CPR 6.26, HA 1985 s83,
    /// HA 1988 s8): a NOSP delivered by hand on Wednesday 13 January 2027 at 17:00 is served on
    /// Thursday 14th, so 4 weeks is Thursday 11 February and the date specified Sunday 14
    /// February (proceedings from Monday 15th), lapsing 14 February 2028; a section 8 notice served then gives 2 weeks (28
    /// January) and runs 12 months from the 14th.
    #[test]
    fn cpr_6_26_notice_dates_run_from_the_deemed_service_date() {
        let late = d(2027, 1, 13).and_hms_opt(17, 0, 0).unwrap();
        let rules = NoticeRules::default();
        let n = notice_dates(NoticeKind::Nosp, late, ServiceMethod::Hand, &rules);
        assert_eq!(
            (n.served_on, n.date_specified, n.expires),
            (d(2027, 1, 14), d(2027, 2, 14), d(2028, 2, 14))
        );
        // Proceedings only after the date the notice gives (HA 1985 s83A(2)).
        assert_eq!(n.earliest_proceedings, d(2027, 2, 15));
        let n = notice_dates(NoticeKind::Section8, late, ServiceMethod::Hand, &rules);
        assert_eq!(
            (n.served_on, n.earliest_proceedings, n.expires),
            (d(2027, 1, 14), d(2027, 1, 28), d(2028, 1, 14))
        );
        // The same notice at 16:00 is served that day.
        let early = d(2027, 1, 13).and_hms_opt(16, 0, 0).unwrap();
        let n = notice_dates(NoticeKind::Section8, early, ServiceMethod::Hand, &rules);
        assert_eq!(
            (n.served_on, n.earliest_proceedings),
            (d(2027, 1, 13), d(2027, 1, 27))
        );
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
    fn a_deadline_inside_a_breathing_space_or_8_weeks_after_it_moves_to_8_weeks_after_it_ends() {
        let spaces = [(d(2026, 10, 1), Some(d(2026, 11, 29)))];
        let eight_weeks_after = d(2027, 1, 24);
        // Inside.
        assert_eq!(
            breathing_space_deadline(d(2026, 11, 1), &spaces),
            Some(eight_weeks_after)
        );
        // On its first day, and within the 8 weeks after its last.
        assert_eq!(
            breathing_space_deadline(d(2026, 10, 1), &spaces),
            Some(eight_weeks_after)
        );
        assert_eq!(
            breathing_space_deadline(d(2027, 1, 23), &spaces),
            Some(eight_weeks_after)
        );
        // Before it, or from 8 weeks after it: unchanged.
        assert_eq!(
            breathing_space_deadline(d(2026, 9, 30), &spaces),
            Some(d(2026, 9, 30))
        );
        assert_eq!(
            breathing_space_deadline(d(2027, 2, 1), &spaces),
            Some(d(2027, 2, 1))
        );
        // No Breathing Space: unchanged.
        assert_eq!(
            breathing_space_deadline(d(2026, 11, 1), &[]),
            Some(d(2026, 11, 1))
        );
    }

    #[test]
    fn an_extended_deadline_moves_again_when_it_falls_in_a_later_breathing_space() {
        let spaces = [
            (d(2027, 1, 10), Some(d(2027, 3, 10))),
            (d(2026, 10, 1), Some(d(2026, 11, 29))),
        ];
        // 1 Nov → 24 Jan 2027 (inside the second) → 8 weeks after 10 Mar 2027.
        assert_eq!(
            breathing_space_deadline(d(2026, 11, 1), &spaces),
            Some(d(2027, 5, 5))
        );
    }

    #[test]
    fn a_deadline_inside_an_open_ended_breathing_space_is_held_open() {
        let spaces = [(d(2026, 10, 1), None)];
        assert_eq!(breathing_space_deadline(d(2026, 11, 1), &spaces), None);
        assert_eq!(
            breathing_space_deadline(d(2026, 9, 1), &spaces),
            Some(d(2026, 9, 1))
        );
    }

    #[test]
    fn a_notice_that_would_have_lapsed_during_a_breathing_space_still_allows_a_claim_after_it() {
        let notice = NoticeDates {
            kind: NoticeKind::Section8,
            sent_on: None,
            served_on: d(2025, 11, 1),
            date_specified: d(2025, 11, 15),
            earliest_proceedings: d(2025, 11, 15),
            expires: d(2026, 11, 1),
            regime: NoticeRegime::default(),
            ground_8: None,
            grounds: None,
        };
        let mut facts = GateFacts {
            stages: vec![Stage::NoticeServed],
            recorded: all_recorded(d(2026, 11, 20)),
            notice: Some(notice),
            ..GateFacts::default()
        };
        let ids = |facts: &GateFacts, today| -> Vec<String> {
            gates(Stage::CourtApplication, facts, today, None)
                .into_iter()
                .map(|m| m.id)
                .collect()
        };
        // Without a Breathing Space it lapsed on 1 November.
        assert_eq!(ids(&facts, d(2026, 11, 25)), ["notice_expired"]);
        // One from 1 October to 29 November moves the lapse to 24 January.
        facts.breathing_spaces = vec![(d(2026, 10, 1), Some(d(2026, 11, 29)))];
        assert!(ids(&facts, d(2026, 12, 1)).is_empty());
        assert!(ids(&facts, d(2027, 1, 24)).is_empty());
        let after = gates(Stage::CourtApplication, &facts, d(2027, 1, 25), None);
        assert_eq!(after[0].id, "notice_expired");
        assert!(
            after[0].reason.contains("24 January 2027"),
            "{}",
            after[0].reason
        );
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
    fn an_existing_claim_may_reach_a_hearing_and_an_order_during_breathing_space() {
        let facts = GateFacts {
            stages: vec![Stage::NoticeServed, Stage::CourtApplication, Stage::Hearing],
            breathing_space: true,
            ..GateFacts::default()
        };
        for stage in [Stage::Hearing, Stage::Order] {
            assert!(
                gates(stage, &facts, d(2026, 11, 25), None).is_empty(),
                "{stage:?}"
            );
        }
        assert_eq!(
            gates(Stage::CourtApplication, &facts, d(2026, 11, 25), None)[0].id,
            "breathing_space"
        );
    }

    #[test]
    fn court_steps_are_refused_out_of_sequence_naming_every_missing_step() {
        let today = d(2026, 11, 25);
        let ids = |stages: Vec<Stage>, target| {
            let facts = GateFacts {
                stages,
                ..GateFacts::default()
            };
            gates(target, &facts, today, None)
                .into_iter()
                .map(|m| m.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ids(vec![Stage::NoticeServed], Stage::Order),
            ["court_application", "hearing"]
        );
        assert_eq!(
            ids(vec![], Stage::Warrant),
            ["court_application", "hearing", "order"]
        );
        assert_eq!(
            ids(
                vec![Stage::CourtApplication, Stage::Hearing, Stage::Order],
                Stage::Eviction
            ),
            ["warrant"]
        );
        // A new notice starts a new claim: the old application does not count for it.
        assert_eq!(
            ids(
                vec![Stage::CourtApplication, Stage::NoticeServed],
                Stage::Hearing
            ),
            ["court_application"]
        );
        // A hearing recorded before the application does not count.
        assert_eq!(
            ids(vec![Stage::Hearing, Stage::CourtApplication], Stage::Order),
            ["hearing"]
        );
        assert!(ids(vec![Stage::CourtApplication], Stage::Hearing).is_empty());
    }

    #[test]
    fn a_warrant_needs_an_order_that_allows_one() {
        use crate::possession::order::{CourtOrder, OrderKind};
        let today = d(2026, 11, 25);
        let ids = |kind, possession_date, breached| {
            let facts = GateFacts {
                stages: vec![Stage::CourtApplication, Stage::Hearing, Stage::Order],
                order: Some(CourtOrder {
                    kind,
                    possession_date,
                    terms: None,
                    grounds: vec![],
                    ordered_on: None,
                }),
                order_breached: breached,
                ..GateFacts::default()
            };
            gates(Stage::Warrant, &facts, today, None)
                .into_iter()
                .map(|m| m.id)
                .collect::<Vec<_>>()
        };
        let past = Some(d(2026, 11, 1));
        let future = Some(d(2026, 12, 1));
        assert!(ids(OrderKind::Outright, past, false).is_empty());
        assert_eq!(ids(OrderKind::Outright, future, false), ["possession_date"]);
        assert_eq!(ids(OrderKind::Suspended, past, false), ["order_terms_kept"]);
        assert!(ids(OrderKind::Suspended, past, true).is_empty());
        assert_eq!(ids(OrderKind::Postponed, None, true), ["possession_date"]);
        assert!(ids(OrderKind::Postponed, past, true).is_empty());
        assert_eq!(ids(OrderKind::Dismissed, None, false), ["order"]);
    }

    #[test]
    fn a_notice_served_during_a_breathing_space_that_has_ended_is_void() {
        let facts = GateFacts {
            breathing_spaces: vec![(d(2026, 10, 1), Some(d(2026, 11, 20)))],
            ..GateFacts::default()
        };
        let notice = |sent: NaiveDate| {
            notice_dates(
                NoticeKind::Nosp,
                noon(sent),
                ServiceMethod::FirstClassPost,
                &NoticeRules::default(),
            )
        };
        // Posted on the last day of it.
        let void = notice_void(&notice(d(2026, 11, 20)), d(2026, 11, 20), &facts).unwrap();
        assert_eq!(void.id, "sent_on");
        assert!(void.reason.contains("20 November 2026"), "{}", void.reason);
        // Posted the day after it ended: fine.
        assert!(notice_void(&notice(d(2026, 11, 21)), d(2026, 11, 21), &facts).is_none());
        // Posted the day before one started but served during it.
        let facts = GateFacts {
            breathing_spaces: vec![(d(2026, 11, 21), None)],
            ..GateFacts::default()
        };
        assert!(notice_void(&notice(d(2026, 11, 20)), d(2026, 11, 20), &facts).is_some());
    }

    /// The court application's gates on a NOSP handed over at noon on Wednesday 25 November
    /// 2026 (date specified Sunday 27 December; proceedings from Monday 28 December), every
    /// other step recorded: only the ids from paras 2.8, 2.9 and Part 3.
    fn pre_claim_ids(facts: &GateFacts, today: NaiveDate) -> Vec<String> {
        gates(Stage::CourtApplication, facts, today, None)
            .into_iter()
            .map(|m| m.id)
            .filter(|id| !matches!(id.as_str(), "notice_period" | "court_application"))
            .collect()
    }

    fn limit(step: ProtocolStep, given_on: NaiveDate, ends_on: NaiveDate) -> TimeLimit {
        TimeLimit {
            step,
            given_on,
            ends_on,
        }
    }

    /// Pre-Action Protocol para 2.8 ("After service of statutory notices"): after the notice
    /// is served and before the claim, the landlord tries to contact the tenant. The contact
    /// counts from the day the notice is deemed served (CPR 6.26), never before it. The cases
    /// are docs/possession.md#after-the-notice-contact-attempts-para-28.
    #[test]
    fn protocol_para_2_8_contact_attempted_after_the_notice_is_served_before_the_claim() {
        // (notice sent, how, contact recorded on, today, missing)
        let hand = ServiceMethod::Hand;
        let post = ServiceMethod::FirstClassPost;
        let table = [
            (d(2026, 11, 25), hand, None, d(2026, 12, 28), true),
            (
                d(2026, 11, 25),
                hand,
                Some(d(2026, 11, 24)),
                d(2026, 12, 28),
                true,
            ),
            (
                d(2026, 11, 25),
                hand,
                Some(d(2026, 11, 25)),
                d(2026, 12, 28),
                false,
            ),
            (
                d(2026, 11, 25),
                hand,
                Some(d(2026, 12, 2)),
                d(2026, 12, 28),
                false,
            ),
            // Posted Thursday 24 December 2026: deemed served Tuesday 29 December.
            (
                d(2026, 12, 24),
                post,
                Some(d(2026, 12, 28)),
                d(2027, 2, 1),
                true,
            ),
            (
                d(2026, 12, 24),
                post,
                Some(d(2026, 12, 29)),
                d(2027, 2, 1),
                false,
            ),
        ];
        for (sent, how, contact, today, missing) in table {
            let notice = notice_dates(NoticeKind::Nosp, noon(sent), how, &NoticeRules::default());
            let mut recorded: Vec<_> = ProtocolStep::BEFORE_NOTICE
                .iter()
                .map(|s| (*s, d(2026, 11, 1)))
                .collect();
            recorded.push((ProtocolStep::ProtocolCopySent, notice.served_on));
            recorded.extend(contact.map(|c| (ProtocolStep::PostNoticeContact, c)));
            let facts = GateFacts {
                stages: vec![Stage::NoticeServed],
                recorded,
                notice: Some(notice),
                ..GateFacts::default()
            };
            let expected: Vec<String> = if missing {
                vec!["post_notice_contact".into()]
            } else {
                vec![]
            };
            assert_eq!(pre_claim_ids(&facts, today), expected, "{sent} {contact:?}");
        }
    }

    /// Pre-Action Protocol para 2.9: when an arrangement is not kept, the landlord warns the
    /// tenant of the intention to bring proceedings and gives clear time limits to comply; the
    /// claim only after the time limit. The warning counts when given on or after the day the
    /// arrangement broke. The cases are docs/possession.md#an-arrangement-broken-a-warning-with-a-time-limit-para-29.
    #[test]
    fn protocol_para_2_9_a_broken_arrangement_needs_a_warning_and_its_time_limit_before_the_claim()
    {
        let w = ProtocolStep::ArrangementBreachWarning;
        // (arrangement broke on, warning given on → time limit ends, today, missing, claim from)
        let table = [
            (None, None, d(2027, 1, 6), vec![], None),
            (
                Some(d(2027, 1, 4)),
                None,
                d(2027, 1, 6),
                vec!["arrangement_breach_warning"],
                None,
            ),
            // Given before the arrangement broke: does not count.
            (
                Some(d(2027, 1, 4)),
                Some((d(2026, 12, 31), d(2027, 1, 14))),
                d(2027, 1, 20),
                vec!["arrangement_breach_warning"],
                None,
            ),
            (
                Some(d(2027, 1, 4)),
                Some((d(2027, 1, 5), d(2027, 1, 19))),
                d(2027, 1, 19),
                vec!["arrangement_breach_time_limit"],
                Some(d(2027, 1, 20)),
            ),
            (
                Some(d(2027, 1, 4)),
                Some((d(2027, 1, 5), d(2027, 1, 19))),
                d(2027, 1, 20),
                vec![],
                Some(d(2027, 1, 20)),
            ),
            // Given the day it broke.
            (
                Some(d(2027, 1, 4)),
                Some((d(2027, 1, 4), d(2027, 1, 18))),
                d(2027, 1, 19),
                vec![],
                Some(d(2027, 1, 19)),
            ),
        ];
        for (broke, warning, today, missing, claim_from) in table {
            let notice = notice_dates(
                NoticeKind::Nosp,
                noon(d(2026, 11, 25)),
                ServiceMethod::Hand,
                &NoticeRules::default(),
            );
            let facts = GateFacts {
                stages: vec![Stage::NoticeServed],
                recorded: all_recorded(d(2026, 11, 26)),
                time_limits: warning
                    .map(|(given, ends)| vec![limit(w, given, ends)])
                    .unwrap_or_default(),
                plan_broken_on: broke,
                notice: Some(notice),
                ..GateFacts::default()
            };
            assert_eq!(
                pre_claim_ids(&facts, today),
                missing,
                "{broke:?} {warning:?} {today}"
            );
            assert_eq!(
                pre_claim(&facts.pre_claim_facts(), today).claim_from,
                claim_from,
                "{broke:?} {warning:?}"
            );
        }
    }

    /// Pre-Action Protocol Part 3 (mandatory grounds; claims where the court's discretion is
    /// limited, such as an introductory tenancy): before the claim the landlord writes
    /// explaining why possession is sought and asking the occupiers for their circumstances
    /// within a specified period (para 3.2(a); the letter may go with the notice), and
    /// considers what they say (para 3.2(b)), which Rentdesk records with proportionality,
    /// after the period. The cases are docs/possession.md#a-claim-on-a-mandatory-ground-or-an-introductory-tenancy-part-3.
    #[test]
    fn protocol_part_3_a_mandatory_ground_needs_reasons_explained_and_proportionality_considered() {
        let rules = NoticeRules {
            renters_rights_from: None,
            starter_is_introductory: true,
        };
        let explained = ProtocolStep::PossessionReasonsExplained;
        let considered = ProtocolStep::ProportionalityConsidered;
        // (notice kind, grounds, explained on → reply by, considered on, today, missing)
        type Row = (
            NoticeKind,
            Option<Vec<Ground>>,
            Option<(NaiveDate, NaiveDate)>,
            Option<NaiveDate>,
            NaiveDate,
            Vec<&'static str>,
        );
        let g8 = Some(vec![Ground::G8, Ground::G10]);
        let table: Vec<Row> = vec![
            // Discretionary grounds only: Part 3 does not apply.
            (NoticeKind::Nosp, None, None, None, d(2027, 1, 6), vec![]),
            (
                NoticeKind::Section8,
                Some(vec![Ground::G10, Ground::G11]),
                None,
                None,
                d(2027, 1, 6),
                vec![],
            ),
            // Ground 8 on the notice.
            (
                NoticeKind::Section8,
                g8.clone(),
                None,
                None,
                d(2027, 1, 6),
                vec!["possession_reasons_explained"],
            ),
            // Sent with the notice (Wednesday 25 November 2026): counts.
            (
                NoticeKind::Section8,
                g8.clone(),
                Some((d(2026, 11, 25), d(2026, 12, 9))),
                None,
                d(2026, 12, 9),
                vec!["proportionality_considered"],
            ),
            // Before the notice was sent: not this claim's letter.
            (
                NoticeKind::Section8,
                g8.clone(),
                Some((d(2026, 11, 24), d(2026, 12, 8))),
                None,
                d(2027, 1, 6),
                vec!["possession_reasons_explained"],
            ),
            // Considered before the time for representations ended: not counted.
            (
                NoticeKind::Section8,
                g8.clone(),
                Some((d(2026, 11, 25), d(2026, 12, 9))),
                Some(d(2026, 12, 9)),
                d(2026, 12, 14),
                vec!["proportionality_considered"],
            ),
            (
                NoticeKind::Section8,
                g8.clone(),
                Some((d(2026, 11, 25), d(2026, 12, 9))),
                Some(d(2026, 12, 10)),
                d(2026, 12, 14),
                vec![],
            ),
            // An introductory tenancy (HA 1996 s127(2)): no grounds, Part 3 applies.
            (
                NoticeKind::Introductory,
                None,
                None,
                None,
                d(2027, 1, 6),
                vec!["possession_reasons_explained"],
            ),
            (
                NoticeKind::Introductory,
                None,
                Some((d(2026, 11, 30), d(2026, 12, 14))),
                Some(d(2026, 12, 15)),
                d(2027, 1, 6),
                vec![],
            ),
        ];
        for (kind, grounds, letter, considered_on, today, missing) in table {
            let mut notice = notice_dates(kind, noon(d(2026, 11, 25)), ServiceMethod::Hand, &rules);
            notice.grounds = grounds.clone();
            let mut recorded = all_recorded(d(2026, 11, 26));
            recorded.extend(letter.map(|(on, _)| (explained, on)));
            recorded.extend(considered_on.map(|on| (considered, on)));
            let facts = GateFacts {
                stages: vec![Stage::NoticeServed],
                recorded,
                time_limits: letter
                    .map(|(on, ends)| vec![limit(explained, on, ends)])
                    .unwrap_or_default(),
                notice: Some(notice),
                ..GateFacts::default()
            };
            assert_eq!(
                pre_claim_ids(&facts, today),
                missing,
                "{kind:?} {grounds:?} {letter:?} {considered_on:?}"
            );
        }
    }

    /// Pre-Action Protocol para 2.5: proceedings are not started against a tenant who has
    /// supplied the evidence for a benefit claim, can expect to be eligible, **and has paid the
    /// sums not covered by the benefit**. A Universal Credit claim started on Monday 2
    /// November 2026, rent £100.00 a week charged on Mondays (2, 9, 16 and 23 November by
    /// Wednesday 25 November): UC housing costs of £390.00 a month are £90.00 a week, so £10.00
    /// a week is the tenant's. The cases are docs/possession.md#a-pending-benefit-claim-para-25.
    #[test]
    fn protocol_para_2_5_a_pending_claim_stops_proceedings_only_when_the_tenant_paid_what_it_will_not_cover()
     {
        use crate::ledger::{LedgerEntry, TransactionKind};
        let entry = |on: NaiveDate, kind, pence| LedgerEntry {
            posted_on: on,
            kind,
            amount: Pence(pence),
            method: None,
        };
        let start = d(2026, 11, 2);
        let rent: Vec<LedgerEntry> = [2, 9, 16, 23]
            .iter()
            .map(|day| entry(d(2026, 11, *day), TransactionKind::RentDebit, 10_000))
            .collect();
        // (monthly housing costs, tenant paid since the claim, what it will not cover, stops)
        let table = [
            (Some(39_000), 4_000, 4_000, true),
            (Some(39_000), 3_000, 4_000, false),
            (Some(39_000), 0, 4_000, false),
            // All the rent covered: nothing for the tenant to pay.
            (Some(45_000), 0, 0, true),
            // The amount is not recorded: taken as covering the rent; the claim stops it.
            (None, 0, 0, true),
        ];
        for (monthly, paid, due, stops) in table {
            let mut entries = rent.clone();
            // A payment before the claim started does not count.
            entries.push(entry(d(2026, 10, 30), TransactionKind::Payment, -5_000));
            if paid > 0 {
                entries.push(entry(d(2026, 11, 20), TransactionKind::Payment, -paid));
            }
            let shortfall = benefit_shortfall(start, monthly.map(Pence), &entries, d(2026, 11, 25));
            assert_eq!(
                (shortfall.due, shortfall.paid),
                (Pence(due), Pence(paid)),
                "{monthly:?}"
            );
            let facts = GateFacts {
                recorded: all_recorded(d(2026, 11, 1)),
                benefit_claim_pending: true,
                benefit_shortfall: Some(shortfall),
                ..GateFacts::default()
            };
            let ids: Vec<String> = gates(Stage::NoticeServed, &facts, d(2026, 11, 25), None)
                .into_iter()
                .map(|m| m.id)
                .collect();
            let expected: Vec<String> = if stops {
                vec!["benefit_claim_pending".into()]
            } else {
                vec![]
            };
            assert_eq!(ids, expected, "{monthly:?} {paid}");
        }
    }

    /// Housing Act 1996 s129: an introductory tenant may ask for a review within the 14 days
    /// beginning with the day the notice of proceedings is served; the review is carried out
    /// and the tenant told of its outcome before the date in the notice, and the claim waits
    /// for it. A notice handed over at noon on Wednesday 13 January 2027: served that day, date
    /// specified Sunday 14 February, proceedings from Monday 15 February; a review may be asked
    /// for until Tuesday 26 January. The cases are docs/possession.md#an-introductory-tenancys-review-ha-1996-s129.
    #[test]
    fn ha_1996_s129_an_introductory_review_asked_for_in_time_is_decided_before_the_date_in_the_notice()
     {
        let rules = NoticeRules {
            renters_rights_from: None,
            starter_is_introductory: true,
        };
        let notice = notice_dates(
            NoticeKind::Introductory,
            noon(d(2027, 1, 13)),
            ServiceMethod::Hand,
            &rules,
        );
        assert_eq!(notice.date_specified, d(2027, 2, 14));
        assert_eq!(
            introductory_review_request_by(notice.served_on),
            d(2027, 1, 26)
        );
        // (review asked for on, outcome given on, today, missing)
        let table = [
            (None, None, d(2027, 2, 15), vec![]),
            (
                Some(d(2027, 1, 26)),
                None,
                d(2027, 2, 1),
                vec!["introductory_review_decided"],
            ),
            (
                Some(d(2027, 1, 26)),
                None,
                d(2027, 2, 15),
                vec!["introductory_review"],
            ),
            // Asked for on day 15: out of time, nothing to decide.
            (Some(d(2027, 1, 27)), None, d(2027, 2, 15), vec![]),
            (
                Some(d(2027, 1, 20)),
                Some(d(2027, 2, 10)),
                d(2027, 2, 15),
                vec![],
            ),
            (
                Some(d(2027, 1, 20)),
                Some(d(2027, 2, 13)),
                d(2027, 2, 15),
                vec![],
            ),
            // On the date in the notice is not before it.
            (
                Some(d(2027, 1, 20)),
                Some(d(2027, 2, 14)),
                d(2027, 2, 15),
                vec!["introductory_review"],
            ),
        ];
        for (asked, decided, today, missing) in table {
            let mut recorded = all_recorded(d(2027, 1, 14));
            recorded.push((ProtocolStep::PossessionReasonsExplained, d(2027, 1, 13)));
            recorded.push((ProtocolStep::ProportionalityConsidered, d(2027, 1, 29)));
            recorded.extend(asked.map(|on| (ProtocolStep::IntroductoryReviewRequested, on)));
            recorded.extend(decided.map(|on| (ProtocolStep::IntroductoryReviewDecided, on)));
            let facts = GateFacts {
                stages: vec![Stage::NoticeServed],
                recorded,
                time_limits: vec![limit(
                    ProtocolStep::PossessionReasonsExplained,
                    d(2027, 1, 13),
                    d(2027, 1, 27),
                )],
                notice: Some(notice.clone()),
                ..GateFacts::default()
            };
            assert_eq!(
                pre_claim_ids(&facts, today),
                missing,
                "{asked:?} {decided:?} {today}"
            );
        }
    }

    /// Housing Act 1996 s125 and s125A: an introductory tenancy's trial period is the year
    /// beginning with the day it started, extended to 18 months by a notice of extension served
    /// at least eight weeks before the year ends; a notice of proceedings served after the
    /// trial period is refused (the tenancy is secure). The cases are
    /// docs/possession.md#an-introductory-tenancys-trial-period-ha-1996-ss125125a.
    #[test]
    fn ha_1996_s125_the_introductory_trial_period_is_a_year_or_18_months_when_extended_in_time() {
        // (started, extension served, trial ends)
        let table = [
            (d(2026, 1, 5), None, d(2027, 1, 4)),
            // Eight weeks before 4 January 2027 is 9 November 2026.
            (d(2026, 1, 5), Some(d(2026, 11, 9)), d(2027, 7, 4)),
            (d(2026, 1, 5), Some(d(2026, 11, 10)), d(2027, 1, 4)),
            (d(2028, 2, 29), None, d(2029, 2, 27)),
            (d(2025, 8, 31), Some(d(2026, 6, 1)), d(2027, 2, 27)),
        ];
        for (start, extension, ends) in table {
            assert_eq!(
                introductory_trial_ends(start, extension),
                ends,
                "{start} {extension:?}"
            );
        }
        let rules = NoticeRules {
            renters_rights_from: None,
            starter_is_introductory: true,
        };
        // (notice served on, extension, refused)
        for (served, extension, refused) in [
            (d(2027, 1, 4), None, false),
            (d(2027, 1, 5), None, true),
            (d(2027, 1, 5), Some(d(2026, 11, 9)), false),
            (d(2027, 7, 5), Some(d(2026, 11, 9)), true),
        ] {
            let notice = notice_dates(
                NoticeKind::Introductory,
                noon(served),
                ServiceMethod::Hand,
                &rules,
            );
            let facts = GateFacts {
                tenancy_start: Some(d(2026, 1, 5)),
                recorded: extension
                    .map(|on| vec![(ProtocolStep::IntroductoryTrialExtended, on)])
                    .unwrap_or_default(),
                ..GateFacts::default()
            };
            assert_eq!(
                introductory_trial_ended(&notice, &facts).map(|m| m.id),
                refused.then(|| "introductory_trial_ended".to_owned()),
                "{served} {extension:?}"
            );
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
        let notice = notice_dates(
            NoticeKind::Nosp,
            noon(d(2026, 10, 1)),
            ServiceMethod::Hand,
            &NoticeRules::default(),
        );
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
            ["protocol_copy_sent", "post_notice_contact", "notice_period"]
        );
        facts
            .recorded
            .push((ProtocolStep::ProtocolCopySent, d(2026, 10, 2)));
        facts
            .recorded
            .push((ProtocolStep::PostNoticeContact, d(2026, 10, 2)));
        facts
            .recorded
            .push((ProtocolStep::RentStatementSent, d(2026, 10, 2)));
        // HA 1985 s83A(2): not on the date specified in the notice, only after it.
        assert_eq!(ids(&facts, notice.date_specified), ["notice_period"]);
        let blocked = gates(Stage::CourtApplication, &facts, notice.date_specified, None);
        assert!(
            blocked[0]
                .reason
                .contains("can only begin after that date, so not before 2 November 2026"),
            "{}",
            blocked[0].reason
        );
        assert!(ids(&facts, notice.earliest_proceedings).is_empty());
        assert_eq!(ids(&facts, d(2028, 1, 1))[0], "rent_statement_sent");
    }

    /// HA 1985 s83A(2) (NOSP) and HA 1996 s128(5) (introductory tenancy): proceedings must be
    /// begun *after* the date specified in the notice, so the first day is the day after it;
    /// a section 8 notice keeps HA 1988 s8(3)(b) ("will not begin earlier than" the date). The
    /// same table is in docs/possession.md#court-proceedings-only-after-the-date-in-a-nosp-or-an-introductory-tenancys-notice ("Court proceedings only after the date in a NOSP or an
    /// introductory tenancy's notice").
    #[test]
    fn ha1985_s83a_proceedings_begin_after_notice_date() {
        use NoticeKind::*;
        use ServiceMethod::*;
        // The date specified → the first day proceedings may be begun.
        for (kind, specified, first) in [
            (Nosp, d(2027, 1, 13), d(2027, 1, 14)),
            (Introductory, d(2027, 12, 31), d(2028, 1, 1)),
            (Nosp, d(2028, 2, 28), d(2028, 2, 29)),
            (Section8, d(2027, 1, 13), d(2027, 1, 13)),
        ] {
            assert_eq!(
                first_day_proceedings_may_begin(kind, specified),
                first,
                "{kind:?} {specified}"
            );
        }
        // (kind, sent, how, deemed served, date specified, first day proceedings may begin)
        let rr = NoticeRules {
            renters_rights_from: Some(d(2027, 5, 1)),
            ..NoticeRules::default()
        };
        let cases = [
            // Handed over Wed 25 Nov 2026: 4 weeks → Wed 23 Dec → Sun 27 Dec; from Mon 28 Dec
            // (a bank holiday: the law's first day all the same).
            (
                Nosp,
                d(2026, 11, 25),
                Hand,
                d(2026, 11, 25),
                d(2026, 12, 27),
                d(2026, 12, 28),
            ),
            // Posted Thu 24 Dec 2026: served Tue 29 Dec (weekend, substitute bank holiday).
            (
                Nosp,
                d(2026, 12, 24),
                FirstClassPost,
                d(2026, 12, 29),
                d(2027, 1, 31),
                d(2027, 2, 1),
            ),
            // Leap year: handed over Mon 31 Jan 2028 → Mon 28 Feb 2028; from Tue 29 Feb.
            (
                Nosp,
                d(2028, 1, 31),
                Hand,
                d(2028, 1, 31),
                d(2028, 2, 28),
                d(2028, 2, 29),
            ),
            // Posted Thu 25 Mar 2027 before Easter: served Tue 30 Mar → Sun 2 May; from Mon
            // 3 May 2027.
            (
                Nosp,
                d(2027, 3, 25),
                FirstClassPost,
                d(2027, 3, 30),
                d(2027, 5, 2),
                d(2027, 5, 3),
            ),
            // Introductory: Wed 13 Jan 2027 → Sun 14 Feb; from Mon 15 Feb.
            (
                Introductory,
                d(2027, 1, 13),
                Hand,
                d(2027, 1, 13),
                d(2027, 2, 14),
                d(2027, 2, 15),
            ),
            // Section 8: the date itself.
            (
                Section8,
                d(2026, 11, 25),
                Hand,
                d(2026, 11, 25),
                d(2026, 12, 9),
                d(2026, 12, 9),
            ),
        ];
        for (kind, sent, how, served, specified, first) in cases {
            let n = notice_dates(kind, noon(sent), how, &NoticeRules::default());
            assert_eq!(
                (n.served_on, n.date_specified, n.earliest_proceedings),
                (served, specified, first),
                "{kind:?} sent {sent}"
            );
            // The gate: refused on the date specified (unless section 8), allowed the first day.
            let facts = GateFacts {
                recorded: all_recorded(served),
                notice: Some(n.clone()),
                ..GateFacts::default()
            };
            let period = |today| {
                gates(Stage::CourtApplication, &facts, today, None)
                    .iter()
                    .any(|m| m.id == "notice_period")
            };
            assert_eq!(period(specified), kind != Section8, "{kind:?} sent {sent}");
            assert!(!period(first), "{kind:?} sent {sent}");
        }
        // Section 8 under the Renters' Rights Act regime: 4 weeks, the date itself.
        let n = notice_dates(Section8, noon(d(2027, 4, 29)), FirstClassPost, &rr);
        assert_eq!(
            (n.served_on, n.date_specified, n.earliest_proceedings),
            (d(2027, 5, 4), d(2027, 6, 1), d(2027, 6, 1))
        );
        // A NOSP stored before the date specified was kept: its `earliest_proceedings` was the
        // date specified; read back, proceedings come the day after.
        let old: NoticeDates = serde_json::from_str(
            r#"{"kind":"nosp","served_on":"2026-11-25","earliest_proceedings":"2026-12-27","expires":"2027-12-27"}"#,
        )
        .unwrap();
        assert_eq!(
            (old.date_specified, old.earliest_proceedings),
            (d(2026, 12, 27), d(2026, 12, 28))
        );
        let stored: NoticeDates = serde_json::from_str(
            &serde_json::to_string(&notice_dates(
                Nosp,
                noon(d(2026, 11, 25)),
                Hand,
                &NoticeRules::default(),
            ))
            .unwrap(),
        )
        .unwrap();
        assert_eq!(
            stored.earliest_proceedings,
            d(2026, 12, 28),
            "no second day added"
        );
    }

    #[test]
    fn nosp_dates_fall_on_a_rent_period_boundary_and_posted_notices_are_served_later() {
        // Handed over on Wednesday 25 Nov 2026: 4 weeks on is Wed 23 Dec → Sunday 27 Dec.
        let n = notice_dates(
            NoticeKind::Nosp,
            noon(d(2026, 11, 25)),
            ServiceMethod::Hand,
            &NoticeRules::default(),
        );
        assert_eq!(n.served_on, d(2026, 11, 25));
        assert_eq!(n.date_specified, d(2026, 12, 27));
        assert_eq!(n.earliest_proceedings, d(2026, 12, 28));
        assert_eq!(n.expires, d(2027, 12, 27));
        // Posted on Thursday 24 Dec 2026: the 26th is a Saturday (and Boxing Day), the 28th the
        // substitute bank holiday: deemed served Tuesday 29 Dec.
        let n = notice_dates(
            NoticeKind::Nosp,
            noon(d(2026, 12, 24)),
            ServiceMethod::FirstClassPost,
            &NoticeRules::default(),
        );
        assert_eq!(n.served_on, d(2026, 12, 29));
        assert_eq!(n.date_specified, d(2027, 1, 31));
        assert_eq!(n.earliest_proceedings, d(2027, 2, 1));
        // Section 8: two weeks, valid 12 months from service.
        let n = notice_dates(
            NoticeKind::Section8,
            noon(d(2026, 11, 25)),
            ServiceMethod::Hand,
            &NoticeRules::default(),
        );
        assert_eq!(n.earliest_proceedings, d(2026, 12, 9));
        assert_eq!(n.expires, d(2027, 11, 25));
    }

    #[test]
    fn section_8_gives_4_weeks_from_the_renters_rights_commencement_and_nosp_is_unchanged() {
        let rules = NoticeRules {
            renters_rights_from: Some(d(2027, 5, 1)),
            ..NoticeRules::default()
        };
        // Served the day before commencement: the current regime, 2 weeks.
        let n = notice_dates(
            NoticeKind::Section8,
            noon(d(2027, 4, 30)),
            ServiceMethod::Hand,
            &rules,
        );
        assert_eq!(n.regime, NoticeRegime::Current);
        assert_eq!(n.earliest_proceedings, d(2027, 5, 14));
        assert_eq!(n.expires, d(2028, 4, 30));
        // Handed over on Saturday 1 May, the day it commences: not a business day, so deemed
        // served on Tuesday 4 May (CPR 6.26; 3 May is a bank holiday): 4 weeks from then.
        let n = notice_dates(
            NoticeKind::Section8,
            noon(d(2027, 5, 1)),
            ServiceMethod::Hand,
            &rules,
        );
        assert_eq!(n.served_on, d(2027, 5, 4));
        assert_eq!(n.regime, NoticeRegime::RentersRights);
        assert_eq!(n.earliest_proceedings, d(2027, 6, 1));
        assert_eq!(n.expires, d(2028, 5, 4));
        // The same after 4.30pm on Friday 30 April.
        let late = d(2027, 4, 30).and_hms_opt(16, 31, 0).unwrap();
        let n = notice_dates(NoticeKind::Section8, late, ServiceMethod::Hand, &rules);
        assert_eq!(n.served_on, d(2027, 5, 4));
        assert_eq!(n.regime, NoticeRegime::RentersRights);
        // Posted on Thursday 29 April, deemed served Tuesday 4 May (3 May is a bank holiday):
        // the service date decides, so the new regime.
        let n = notice_dates(
            NoticeKind::Section8,
            noon(d(2027, 4, 29)),
            ServiceMethod::FirstClassPost,
            &rules,
        );
        assert_eq!(n.served_on, d(2027, 5, 4));
        assert_eq!(n.regime, NoticeRegime::RentersRights);
        assert_eq!(n.earliest_proceedings, d(2027, 6, 1));
        // Not commenced: 2 weeks whenever served.
        let n = notice_dates(
            NoticeKind::Section8,
            noon(d(2030, 1, 7)),
            ServiceMethod::Hand,
            &NoticeRules::default(),
        );
        assert_eq!(n.regime, NoticeRegime::Current);
        assert_eq!(n.earliest_proceedings, d(2030, 1, 21));
        // A NOSP is the same under either configuration.
        let a = notice_dates(
            NoticeKind::Nosp,
            noon(d(2027, 5, 5)),
            ServiceMethod::Hand,
            &rules,
        );
        let b = notice_dates(
            NoticeKind::Nosp,
            noon(d(2027, 5, 5)),
            ServiceMethod::Hand,
            &NoticeRules::default(),
        );
        assert_eq!(a, b);
        assert_eq!(a.regime, NoticeRegime::Current);
    }

    #[test]
    fn ground_8_needs_8_weeks_now_and_13_weeks_of_real_arrears_under_renters_rights() {
        let week = Pence(10000);
        // Current: 8 weeks, technical arrears count.
        let g = ground_8(NoticeRegime::Current, &ra(80000, 0), week);
        assert!(g.available, "{}", g.reason);
        assert_eq!(g.threshold_weeks, 8);
        assert!(g.reason.contains("at the hearing"), "{}", g.reason);
        assert!(!ground_8(NoticeRegime::Current, &ra(79999, 0), week).available);
        assert!(ground_8(NoticeRegime::Current, &ra(80000, 30000), week).available);
        // Renters' Rights: 13 weeks, technical arrears disregarded.
        let g = ground_8(NoticeRegime::RentersRights, &ra(130000, 30000), week);
        assert!(!g.available);
        assert_eq!(g.threshold_weeks, 13);
        assert!(g.reason.contains("disregarded"), "{}", g.reason);
        assert!(g.reason.contains("grounds 10 and 11"), "{}", g.reason);
        assert!(ground_8(NoticeRegime::RentersRights, &ra(130000, 0), week).available);
        assert!(!ground_8(NoticeRegime::RentersRights, &ra(129999, 0), week).available);
        // No rent charge: never available.
        assert!(!ground_8(NoticeRegime::Current, &ra(500000, 0), Pence(0)).available);
    }

    #[test]
    fn a_notice_gives_the_grounds_of_its_kind_and_ground_8_only_when_available() {
        let week = Pence(10_000);
        let yes = ground_8(NoticeRegime::Current, &ra(80000, 0), week);
        let no = ground_8(NoticeRegime::Current, &ra(70000, 0), week);
        assert_eq!((yes.counted, yes.threshold), (Pence(80_000), Pence(80_000)));
        // Not said: ground 1 for a NOSP; 10 and 11 (and 8 when available) for a section 8.
        assert_eq!(
            notice_grounds(NoticeKind::Nosp, None, None),
            Ok(vec![Ground::G1])
        );
        assert_eq!(
            notice_grounds(NoticeKind::Section8, None, Some(&yes)),
            Ok(vec![Ground::G8, Ground::G10, Ground::G11])
        );
        assert_eq!(
            notice_grounds(NoticeKind::Section8, None, Some(&no)),
            Ok(vec![Ground::G10, Ground::G11])
        );
        assert_eq!(
            notice_grounds(NoticeKind::Section8, Some(&[10, 8]), Some(&yes)),
            Ok(vec![Ground::G8, Ground::G10])
        );
        let e = notice_grounds(NoticeKind::Section8, Some(&[8]), Some(&no)).unwrap_err();
        assert!(e.contains("not available") && e.contains("£700.00"), "{e}");
        assert!(notice_grounds(NoticeKind::Section8, Some(&[]), Some(&yes)).is_err());
        assert!(notice_grounds(NoticeKind::Section8, Some(&[1]), Some(&yes)).is_err());
        assert!(notice_grounds(NoticeKind::Nosp, Some(&[10]), None).is_err());
        assert!(notice_grounds(NoticeKind::Introductory, Some(&[1]), None).is_err());
        assert_eq!(
            grounds_label(&[Ground::G8, Ground::G10, Ground::G11]),
            "grounds 8, 10 and 11"
        );
        // Written as numbers, and a stored notice without grounds reads them from its kind.
        assert_eq!(serde_json::to_string(&[Ground::G8]).unwrap(), "[8]");
        assert!(serde_json::from_str::<Ground>("9").is_err());
        let mut n = notice_dates(
            NoticeKind::Section8,
            noon(d(2026, 11, 25)),
            ServiceMethod::Hand,
            &NoticeRules::default(),
        );
        n.ground_8 = Some(no);
        assert_eq!(n.grounds_given(), [Ground::G10, Ground::G11]);
        n.grounds = Some(vec![Ground::G11]);
        let back: NoticeDates = serde_json::from_str(&serde_json::to_string(&n).unwrap()).unwrap();
        assert_eq!(back.grounds_given(), [Ground::G11]);
    }

    #[test]
    fn the_notice_kind_follows_the_tenure_and_old_stored_notices_read_as_current() {
        let ha = NoticeRules::default();
        assert_eq!(ha.kind_for_tenure("secure"), Some(NoticeKind::Nosp));
        assert_eq!(ha.kind_for_tenure("assured"), Some(NoticeKind::Section8));
        assert_eq!(ha.kind_for_tenure("starter"), Some(NoticeKind::Section8));
        assert_eq!(ha.kind_for_tenure("leasehold"), None);
        let council = NoticeRules {
            starter_is_introductory: true,
            renters_rights_from: Some(d(2026, 5, 1)),
        };
        assert_eq!(
            council.kind_for_tenure("starter"),
            Some(NoticeKind::Introductory)
        );
        assert_eq!(
            council.kind_for_tenure("assured"),
            Some(NoticeKind::Section8)
        );
        // An introductory notice: the NOSP dates, untouched by the Renters' Rights Act regime.
        let n = notice_dates(
            NoticeKind::Introductory,
            noon(d(2026, 11, 25)),
            ServiceMethod::Hand,
            &council,
        );
        assert_eq!(n.regime, NoticeRegime::Current);
        assert_eq!(n.date_specified, d(2026, 12, 27));
        assert_eq!(n.earliest_proceedings, d(2026, 12, 28));
        assert_eq!(n.expires, d(2027, 12, 27));
        let old: NoticeDates = serde_json::from_str(
            r#"{"kind":"section8","served_on":"2026-11-25","earliest_proceedings":"2026-12-09","expires":"2027-11-25"}"#,
        )
        .unwrap();
        assert_eq!(old.regime, NoticeRegime::Current);
        assert_eq!(old.ground_8, None);
    }

    /// Ground 8's sum counted, measured from an account's ledger ([`crate::arrears::rent_arrears`]).
    mod ground_8_counted {
        use crate::Pence;
        use crate::arrears::{AccountFacts, rent_arrears};
        use crate::benefits::{BenefitIncome, BenefitTiming};
        use crate::ledger::{LedgerEntry, TransactionKind};
        use crate::tenancy::{ChargeSchedule, Frequency};
        use chrono::NaiveDate;

        fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
            NaiveDate::from_ymd_opt(y, m, d).unwrap()
        }

        fn schedule(weekly: i64) -> ChargeSchedule {
            ChargeSchedule {
                start_date: ymd(2020, 4, 6),
                end_date: None,
                weekly_rent: Pence(weekly),
                weekly_service_charge: Pence(0),
                rent_free_weeks: vec![],
                rent_free_only_when_clear: false,
                periodic_service_charge: None,
                rent_period: Default::default(),
                rent_changes: vec![],
            }
        }

        fn facts(
            benefit: Option<BenefitIncome>,
            self_pay: Option<(Pence, Frequency, NaiveDate)>,
        ) -> AccountFacts {
            AccountFacts {
                schedule: schedule(10_800),
                benefit,
                self_pay,
                benefit_grace_days: 3,
                timing: BenefitTiming::default(),
                hb_run_on: None,
            }
        }

        fn rents(from: NaiveDate, to: NaiveDate) -> Vec<LedgerEntry> {
            schedule(10_800)
                .charges_between(from, to, Pence::ZERO)
                .into_iter()
                .map(LedgerEntry::from)
                .collect()
        }

        fn pay(date: NaiveDate, kind: TransactionKind, pence: i64) -> LedgerEntry {
            LedgerEntry::credit(date, kind, Pence(pence))
        }

        fn uc(claim: NaiveDate, to_landlord: bool) -> Option<BenefitIncome> {
            Some(BenefitIncome::UniversalCredit {
                monthly_housing: Pence(46_800),
                claim_start: claim,
                paid_to_landlord: to_landlord,
                ends_on: None,
            })
        }

        /// HA 1988 Sch 2 ground 8 (and the Renters' Rights Act 2025 amendment): rent lawfully due
        /// and unpaid, service charges reserved as rent included, court costs and other sundry
        /// debits not; measured on the day given (the notice's deemed service date, the hearing);
        /// under the Renters' Rights regime only UC not yet received is disregarded, HB timing is
        /// not. The cases of docs/possession.md#ground-8-the-sum-counted-and-when-ha-1988-sch-2 "Ground 8: the sum counted". Weekly rent £108.
        #[test]
        fn ha_1988_sch_2_ground_8_counts_rent_lawfully_due_not_sundry_debits_at_the_date_measured()
        {
            use super::super::{NoticeRegime::*, ground_8};
            let debit = |d: NaiveDate, kind, pence| LedgerEntry {
                posted_on: d,
                kind,
                amount: Pence(pence),
                method: None,
            };
            // 13 weekly debits, Mondays 31 Aug – 23 Nov 2026 (£1,404); 8 of them from 5 Oct (£864).
            let thirteen = rents(ymd(2026, 8, 31), ymd(2026, 11, 23));
            let eight = rents(ymd(2026, 10, 5), ymd(2026, 11, 23));
            let seven = rents(ymd(2026, 10, 12), ymd(2026, 11, 23));
            let costs = debit(ymd(2026, 9, 1), TransactionKind::CourtCosts, 35_500);
            let recharge = debit(ymd(2026, 11, 3), TransactionKind::Adjustment, 15_000);
            let with = |mut l: Vec<LedgerEntry>, more: &[LedgerEntry]| {
                l.extend_from_slice(more);
                l
            };
            let hb = Some(BenefitIncome::HousingBenefit {
                weekly_amount: Pence(10_800),
                first_pay_date: ymd(2026, 10, 5),
                ends_on: None,
            });
            let on = ymd(2026, 11, 25);
            type Case = (
                &'static str,
                Vec<LedgerEntry>,
                Option<BenefitIncome>,
                super::super::NoticeRegime,
                i64,
                bool,
            );
            let cases: Vec<Case> = vec![
                (
                    "8 weeks' rent unpaid",
                    eight.clone(),
                    None,
                    Current,
                    86_400,
                    true,
                ),
                (
                    "8 weeks' rent and £355 court costs: the costs are not rent",
                    with(eight.clone(), std::slice::from_ref(&costs)),
                    None,
                    Current,
                    86_400,
                    true,
                ),
                (
                    "7 weeks' rent and £355 court costs (balance £1,111): not 8 weeks' rent",
                    with(seven.clone(), std::slice::from_ref(&costs)),
                    None,
                    Current,
                    75_600,
                    false,
                ),
                (
                    "8 weeks' rent, a £150 recharge and £100 paid: the payment pays rent first",
                    with(
                        eight.clone(),
                        &[
                            recharge,
                            pay(ymd(2026, 11, 10), TransactionKind::Payment, 10_000),
                        ],
                    ),
                    None,
                    Current,
                    76_400,
                    false,
                ),
                (
                    "8 weeks' rent, £108 paid by Direct Debit and returned unpaid: still 8 weeks unpaid",
                    with(
                        eight.clone(),
                        &[
                            pay(ymd(2026, 11, 10), TransactionKind::Payment, 10_800),
                            debit(
                                ymd(2026, 11, 13),
                                TransactionKind::ReturnedDirectDebit,
                                10_800,
                            ),
                        ],
                    ),
                    None,
                    Current,
                    86_400,
                    true,
                ),
                (
                    "7 weeks' rent and £108 HB recovered as overpaid: the rent it paid is unpaid again",
                    with(
                        seven.clone(),
                        &[debit(
                            ymd(2026, 11, 3),
                            TransactionKind::HbOverpaymentRecovery,
                            10_800,
                        )],
                    ),
                    None,
                    Current,
                    86_400,
                    true,
                ),
                (
                    "8 weeks' rent and a £108 Discretionary Housing Payment: 7 weeks unpaid",
                    with(
                        eight.clone(),
                        &[pay(
                            ymd(2026, 11, 10),
                            TransactionKind::DiscretionaryHousingPayment,
                            10_800,
                        )],
                    ),
                    None,
                    Current,
                    75_600,
                    false,
                ),
                (
                    "8 weeks of rent £100 + service charge £8: service charges reserved as rent count",
                    rents(ymd(2026, 10, 5), ymd(2026, 11, 23))
                        .into_iter()
                        .flat_map(|r| {
                            [
                                debit(r.posted_on, TransactionKind::RentDebit, 10_000),
                                debit(r.posted_on, TransactionKind::ServiceCharge, 800),
                            ]
                        })
                        .collect(),
                    None,
                    Current,
                    86_400,
                    true,
                ),
                (
                    "Renters' Rights: 13 weeks unpaid, 4 of them HB due 30 Nov: HB timing counts",
                    thirteen.clone(),
                    hb,
                    RentersRights,
                    140_400,
                    true,
                ),
                (
                    "Renters' Rights: 13 weeks unpaid, £624 of it UC not yet received: disregarded",
                    thirteen.clone(),
                    uc(ymd(2026, 10, 20), false),
                    RentersRights,
                    140_400 - 62_400,
                    false,
                ),
                (
                    "current regime: the same UC account counts all rent unpaid",
                    thirteen.clone(),
                    uc(ymd(2026, 10, 20), false),
                    Current,
                    140_400,
                    true,
                ),
                (
                    "a payment after the day measured does not count",
                    with(
                        eight.clone(),
                        &[pay(ymd(2026, 11, 27), TransactionKind::Payment, 50_000)],
                    ),
                    None,
                    Current,
                    86_400,
                    true,
                ),
            ];
            for (why, ledger, benefit, regime, counted, available) in cases {
                let f = facts(benefit, None);
                let a = rent_arrears(&f, &ledger, on);
                let g = ground_8(regime, &a, Pence(10_800));
                assert_eq!(
                    (g.counted, g.available),
                    (Pence(counted), available),
                    "{why}: {g:?}"
                );
                assert_eq!(g.measured_on, Some(on), "{why}");
            }
            // The reason names what was left out.
            let a = rent_arrears(&facts(None, None), &with(seven, &[costs]), on);
            assert_eq!(a.sundry, Pence(35_500));
            let g = ground_8(Current, &a, Pence(10_800));
            assert!(g.reason.contains("£355.00 not counted"), "{}", g.reason);
            assert!(g.reason.contains("25 November 2026"), "{}", g.reason);
        }
    }
}
