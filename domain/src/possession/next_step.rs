//! The escalation process (docs/possession.md#stages): the stages a case moves through and the default local
//! policy that says what the landlord does next, when, and what would stop it.
//!
//! One function, [`next_step`], answers for both audiences: the officer app shows it as a
//! recommendation with reasons; the tenant app shows the same answer in plain words, so what a
//! tenant is told never contradicts what the officer sees. Every step is a recommendation: a
//! named officer takes it (UK GDPR Art 22A–22D).

use crate::Pence;
use crate::possession::types::{Action, ActionKind, Stage};
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// The local policy's figures (docs/possession.md#default-local-policy; all config).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationPolicy {
    /// A first letter when real arrears reach this.
    pub first_letter_min_arrears: Pence,
    /// A second letter this many days after the first if arrears persist.
    pub second_letter_after_days: i64,
    /// A notice may be recommended at this many weeks' rent (hundredths: 400 = 4 weeks)…
    pub notice_min_weeks_hundredths: i64,
    /// …and at least this many days after the second letter.
    pub notice_min_days_after_second_letter: i64,
    /// Days after a notice is served before a court application can be made (secure: the later
    /// of 4 weeks or a rent period; the officer app checks the exact date).
    pub court_min_days_after_notice: i64,
}

impl Default for EscalationPolicy {
    fn default() -> EscalationPolicy {
        EscalationPolicy {
            first_letter_min_arrears: Pence(1_000),
            second_letter_after_days: 21,
            notice_min_weeks_hundredths: 400,
            notice_min_days_after_second_letter: 7,
            court_min_days_after_notice: 28,
        }
    }
}

/// The state of a repayment arrangement for escalation purposes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlanState {
    /// Active and kept: escalation is paused. The next payment due and its amount.
    Kept {
        next_due: Option<NaiveDate>,
        amount: Pence,
    },
    /// Active but an instalment is missed: escalation resumes.
    Broken,
    /// Proposed and waiting for an officer's review.
    PendingReview,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseFacts {
    pub stage: Stage,
    pub stage_since: NaiveDate,
    pub real_arrears: Pence,
    pub technical_arrears: Pence,
    pub technical_reason: Option<String>,
    pub weekly_charge: Pence,
    pub weeks_in_arrears_hundredths: Option<i64>,
    pub plan: Option<PlanState>,
    /// A Breathing Space in force today, and when it ends if known.
    pub breathing_space: Option<Option<NaiveDate>>,
    /// A former tenancy's balance split by the Limitation Act 1980 (s19: six years from each
    /// sum falling due): what may still be claimed and what is statute-barred.
    #[serde(default)]
    pub former_limitation: Option<crate::limitation::Limitation>,
    /// The day the Breathing Space in force today started (with `breathing_space`).
    #[serde(default)]
    pub breathing_space_started: Option<NaiveDate>,
    /// The hearing and order recorded, and how the order's terms are kept.
    #[serde(default)]
    pub court: crate::possession::court::CourtFacts,
    /// The first day proceedings may be begun on the notice in force, when one is recorded
    /// with its dates (`possession::protocol::NoticeDates::earliest_proceedings`: for a NOSP the day after
    /// the date it gives, HA 1985 s83A(2)).
    #[serde(default)]
    pub notice_earliest_proceedings: Option<NaiveDate>,
    /// What the Pre-Action Protocol still asks between the notice and the claim (paras 2.8,
    /// 2.9, Part 3), and the day the claim waits for (`possession::protocol::pre_claim`).
    #[serde(default)]
    pub pre_claim: crate::possession::protocol::PreClaim,
    /// The day the current arrangement broke, when `plan` is `Broken` (para 2.9).
    #[serde(default)]
    pub plan_broken_on: Option<NaiveDate>,
    /// A former tenancy in recovery: where its debt stands under the Pre-Action Protocol for
    /// Debt Claims (`possession::debt_claim::debt_claim`).
    #[serde(default)]
    pub former_debt: Option<crate::possession::debt_claim::DebtClaim>,
}

/// What the landlord would do next if nothing changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// The stage the case would move to.
    pub stage: Stage,
    /// The earliest date it could happen.
    pub earliest: NaiveDate,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextStep {
    pub stage: Stage,
    /// The current stage in plain words.
    pub stage_plain: String,
    /// The situation in one or two sentences.
    pub summary: String,
    pub next: Option<Step>,
    /// What the landlord does within the stage instead of moving on (after an order).
    pub action: Option<Action>,
    /// What the officer must also do now, whatever the next step (e.g. tell the court of a
    /// Breathing Space, SI 2020/1311 reg 10).
    #[serde(default)]
    pub also: Vec<Action>,
    /// Why escalation is paused, if it is.
    pub paused_because: Option<String>,
    /// What the tenant can do to stop the next step.
    pub what_stops_it: Vec<String>,
    /// The facts the answer rests on, for the officer's "why".
    pub reasons: Vec<String>,
}

fn fmt_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

fn weeks_label(h: i64) -> String {
    format!("{}.{} weeks", h / 100, (h % 100) / 10)
}

/// The next step of the default local policy for this case.
pub fn next_step(facts: &CaseFacts, policy: &EscalationPolicy, today: NaiveDate) -> NextStep {
    let stage = facts.stage;
    let mut out = NextStep {
        stage,
        stage_plain: stage.plain().to_owned(),
        summary: String::new(),
        next: None,
        action: None,
        also: vec![],
        paused_because: None,
        what_stops_it: vec![],
        reasons: vec![],
    };
    if matches!(stage, Stage::Closed) {
        out.summary = "This case is closed. Nothing further will happen.".into();
        return out;
    }
    // SI 2020/1311 reg 10: a claim already made when a Breathing Space starts: the court is
    // told, once for each Breathing Space.
    if let Some(started) = court_to_be_told_of_breathing_space(facts) {
        out.reasons.push(format!(
            "Breathing Space from {} while the possession claim is in progress: the court has \
             not been told of it",
            fmt_date(started)
        ));
        out.also.push(Action {
            kind: ActionKind::TellCourtOfBreathingSpace,
            earliest: today,
            description: format!(
                "Tell the court dealing with the possession claim that the tenant has been in a \
                 Breathing Space since {} (Debt Respite Scheme Regulations 2020 reg 10), then \
                 record it (step court_told_of_breathing_space).",
                fmt_date(started)
            ),
        });
    }
    if facts.real_arrears.0 <= 0 {
        out.summary = if facts.technical_arrears.0 > 0 {
            format!(
                "Your account is only behind because a benefit payment has not arrived yet{}. \
                 Nothing will happen while that is the case.",
                facts
                    .technical_reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            )
        } else {
            "Your rent account is up to date. Nothing will happen.".into()
        };
        out.reasons.push("no real arrears".into());
        return out;
    }
    let arrears = facts.real_arrears;
    out.reasons.push(format!("real arrears of {arrears}"));
    if let Some(h) = facts.weeks_in_arrears_hundredths {
        out.reasons.push(format!("{} of rent", weeks_label(h)));
    }
    // docs/breathing-space.md#no-enforcement-step-a-claim-already-made-may-reach-an-order: an existing claim may still be heard and reach an order during Breathing
    // Space, but no warrant and no enforcement while it lasts.
    let mut claim_in_breathing_space = None;
    if let Some(ends) = facts.breathing_space {
        let until = ends.map_or("it ends".to_owned(), fmt_date);
        if matches!(stage, Stage::CourtApplication | Stage::Hearing) {
            out.reasons.push(format!(
                "Breathing Space in force until {until}: the claim already made may go on to a \
                 hearing and an order, but no warrant or other enforcement while it lasts"
            ));
            claim_in_breathing_space = Some(until);
        }
    }
    if let Some(ends) = facts
        .breathing_space
        .filter(|_| claim_in_breathing_space.is_none())
    {
        let until = ends.map_or("it ends".to_owned(), fmt_date);
        out.paused_because = Some(format!(
            "You are in Breathing Space: we will not take any step about these arrears until {until}."
        ));
        out.summary = format!(
            "You owe {arrears} in rent arrears. Because of Breathing Space nothing will happen about \
             them for now, but your ongoing rent must still be paid."
        );
        out.what_stops_it
            .push("Keep paying your rent as it falls due.".into());
        out.reasons.push("Breathing Space in force".into());
        return out;
    }
    if stage == Stage::Order {
        // After an order the court's terms govern, not an arrangement (docs/possession.md#court-orders-and-warrants).
        return after_order(out, facts, today);
    }
    match &facts.plan {
        Some(PlanState::Kept { next_due, amount }) => {
            out.paused_because = Some(
                "You are keeping to your repayment plan, so we are not taking further steps."
                    .into(),
            );
            out.summary = format!(
                "You owe {arrears} and you are keeping to your repayment plan. Nothing more will \
                 happen while you keep to it."
            );
            out.what_stops_it.push(match next_due {
                Some(d) => format!(
                    "Keep to your plan: your next payment of {amount} is due {}.",
                    fmt_date(*d)
                ),
                None => "Keep to your plan.".into(),
            });
            out.reasons.push("active arrangement kept".into());
            return out;
        }
        Some(PlanState::PendingReview) => {
            out.paused_because = Some(
                "An officer is reviewing the repayment plan you proposed; we will not take further \
                 steps before they reply."
                    .into(),
            );
            out.summary = format!(
                "You owe {arrears}. Your proposed repayment plan is waiting for an officer's review."
            );
            out.what_stops_it
                .push("Keep paying your rent and what you offered while you wait.".into());
            out.reasons.push("proposed plan awaiting review".into());
            return out;
        }
        Some(PlanState::Broken) => out
            .reasons
            .push("arrangement broken: instalment missed".into()),
        None => {}
    }
    let weeks = facts.weeks_in_arrears_hundredths.unwrap_or(0);
    let notice_threshold = facts
        .weekly_charge
        .mul_div(policy.notice_min_weeks_hundredths, 100);
    let after = |days: i64| (facts.stage_since + Duration::days(days)).max(today);
    let next = match stage {
        Stage::None | Stage::EarlyIntervention => (arrears >= policy.first_letter_min_arrears)
            .then(|| Step {
                stage: Stage::FirstLetter,
                earliest: today,
                description: "We will write to you about your arrears (a first letter).".into(),
            }),
        Stage::FirstLetter => Some(Step {
            stage: Stage::SecondLetter,
            earliest: after(policy.second_letter_after_days),
            description: "We will send you a second letter about your arrears.".into(),
        }),
        Stage::SecondLetter | Stage::ProtocolStepsComplete => {
            if weeks >= policy.notice_min_weeks_hundredths {
                Some(Step {
                    stage: Stage::NoticeServed,
                    earliest: after(policy.notice_min_days_after_second_letter),
                    description: "An officer may serve a notice that we will seek possession of \
                                  your home. This is the first legal step towards court."
                        .into(),
                })
            } else {
                out.what_stops_it.push(format!(
                    "Keep your arrears below {notice_threshold} (4 weeks' rent): above that we may \
                     serve a notice."
                ));
                None
            }
        }
        // Never before the first day the notice allows: for a NOSP or an introductory notice
        // the day after the date it gives (HA 1985 s83A(2), HA 1996 s128(5)).
        // And never before the Protocol's steps between the notice and the claim are taken and
        // their time limits have run (paras 2.8, 2.9, Part 3): the first is recommended now.
        Stage::NoticeServed => Some(Step {
            stage: Stage::CourtApplication,
            earliest: facts
                .notice_earliest_proceedings
                .map_or(after(policy.court_min_days_after_notice), |d| {
                    d.max(after(policy.court_min_days_after_notice))
                })
                .max(facts.pre_claim.claim_from.unwrap_or(today)),
            description: "We may apply to the court for a possession order. We will tell you \
                          before we do and send you a copy of the pre-action protocol."
                .into(),
        }),
        Stage::CourtApplication => Some(Step {
            stage: Stage::Hearing,
            earliest: after(28),
            description: "The court will set a hearing date; we will tell you the date, time and \
                          the order we will ask for."
                .into(),
        }),
        // The court decides at the hearing (docs/possession.md#court-orders-and-warrants: hearing → order); nothing about a
        // warrant before there is an order.
        Stage::Hearing => Some(Step {
            stage: Stage::Order,
            earliest: facts.court.hearing_on.map_or(today, |d| d.max(today)),
            description: match facts.court.hearing_on {
                Some(d) => format!(
                    "The court will hear the claim on {} and decide whether to make a \
                     possession order. Go to the hearing, and get free advice before it.",
                    fmt_date(d)
                ),
                None => "The court will hear the claim and decide whether to make a possession \
                         order. Go to the hearing, and get free advice before it."
                    .into(),
            },
        }),
        Stage::Order => None,
        Stage::Warrant => Some(Step {
            stage: Stage::Eviction,
            earliest: today,
            description: "The court's bailiffs may set an eviction date. You can still apply to \
                          the court to suspend the warrant."
                .into(),
        }),
        Stage::Eviction | Stage::Closed => None,
        Stage::FormerTenantRecovery => former_tenant_letter(facts, &mut out.reasons, today),
    };
    if stage == Stage::NoticeServed {
        pre_claim_actions(&mut out, &facts.pre_claim);
    }
    if let Some(until) = claim_in_breathing_space {
        // No demand about the included arrears while it lasts (docs/breathing-space.md#no-contact-about-the-debt): only the rent
        // and the hearing.
        out.summary = format!(
            "You owe {arrears}. You are in Breathing Space until {until}: while it lasts we will \
             not take any enforcement step about these arrears and cannot apply for a warrant. \
             The court claim already made can still go ahead{}",
            next.as_ref()
                .map(|s| format!(": {}", s.description))
                .unwrap_or_else(|| ".".into())
        );
        out.what_stops_it = vec![
            "Keep paying your rent as it falls due.".into(),
            "Go to the court hearing, and get free advice before it.".into(),
        ];
        out.next = next;
        return out;
    }
    out.summary = match &next {
        Some(step) => format!(
            "You owe {arrears}. If nothing changes, from {}: {}",
            fmt_date(step.earliest),
            step.description
        ),
        None => format!(
            "You owe {arrears}. No further step is due yet, but the arrears need to be cleared."
        ),
    };
    if stage != Stage::FormerTenantRecovery {
        out.what_stops_it.insert(
            0,
            match &next {
                Some(step) => format!(
                    "Pay {arrears} (your arrears) before {}.",
                    fmt_date(step.earliest)
                ),
                None => format!("Pay {arrears} (your arrears)."),
            },
        );
        out.what_stops_it.insert(
            1,
            "Agree a repayment plan you can afford, and keep to it.".into(),
        );
    }
    out.next = next;
    out
}

/// The Protocol's steps between the notice and the claim still to take (paras 2.8, 2.9,
/// Part 3), in `also` in the order to take them, each from the first day it counts; the claim
/// stays the recommended step, and its gates say it waits for them.
fn pre_claim_actions(out: &mut NextStep, pre: &crate::possession::protocol::PreClaim) {
    use crate::possession::protocol::ProtocolStep;
    let actions: Vec<Action> = pre
        .to_do
        .iter()
        .filter_map(|(step, from)| {
            let (kind, description) = match step {
                ProtocolStep::PostNoticeContact => (
                    ActionKind::ContactAfterNotice,
                    "Try to contact the tenant to discuss the arrears, their cause, repayment, \
                 their finances and benefits (Pre-Action Protocol para 2.8), then record it \
                 (protocol step post_notice_contact).",
                ),
                ProtocolStep::ArrangementBreachWarning => (
                    ActionKind::WarnBeforeProceedings,
                    "The arrangement is broken: warn the tenant in writing that we intend to bring \
                 proceedings and give a clear time limit to keep to it (Pre-Action Protocol \
                 para 2.9), then record it with the time limit (protocol step \
                 arrangement_breach_warning, time_limit_ends_on).",
                ),
                ProtocolStep::PossessionReasonsExplained => (
                    ActionKind::ExplainWhyPossessionIsSought,
                    "The claim rests on a mandatory ground or needs none: write to the occupiers \
                 explaining why possession is sought and asking them to tell us by a date of any \
                 circumstances they want considered (Pre-Action Protocol para 3.2), then record \
                 it with that date (protocol step possession_reasons_explained, \
                 time_limit_ends_on).",
                ),
                ProtocolStep::ProportionalityConsidered => (
                    ActionKind::ConsiderProportionality,
                    "Consider what the occupiers said and whether seeking possession is \
                 proportionate (Pre-Action Protocol para 3.2), then record it (protocol step \
                 proportionality_considered).",
                ),
                ProtocolStep::IntroductoryReviewDecided => (
                    ActionKind::DecideIntroductoryReview,
                    "The tenant asked for a review of the decision to seek possession: carry it \
                     out and tell them the outcome before the date in the notice (Housing Act \
                     1996 s129(6)), then record it (protocol step introductory_review_decided).",
                ),
                _ => return None,
            };
            Some(Action {
                kind,
                earliest: *from,
                description: description.into(),
            })
        })
        .collect();
    if !actions.is_empty() {
        out.reasons.push(format!(
            "before the claim the Pre-Action Protocol asks: {}",
            pre.missing
                .iter()
                .map(|m| m.reason.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        ));
        out.also.extend(actions);
    } else if let Some(from) = pre.claim_from {
        out.reasons.push(format!(
            "the time limit given to the tenant runs until the day before {}",
            fmt_date(from)
        ));
    }
}

/// A former tenant's debt (docs/possession.md#former-tenants-the-pre-action-protocol-for-debt-claims):
/// a letter of claim only for what is still within the six years (Limitation Act 1980 s19: the
/// statute-barred part is named in the reasons and not claimed; nothing within six years, no
/// letter); then 30 days to reply, more while the debtor gets debt advice (Pre-Action Protocol
/// for Debt Claims), and a claim only after that.
fn former_tenant_letter(
    facts: &CaseFacts,
    reasons: &mut Vec<String>,
    today: NaiveDate,
) -> Option<Step> {
    use crate::possession::debt_claim::DebtNext;
    let mut claim = facts.real_arrears;
    if let Some(l) = &facts.former_limitation {
        claim = claim.min(l.claimable);
        if l.barred.0 > 0 {
            reasons.push(format!(
                "{} fell due, or was last restarted by a part payment, more than six years ago \
                 and is statute-barred (Limitation Act 1980 s19): it is not claimed",
                l.barred
            ));
        }
    }
    let letter = |claim: Pence| Step {
        stage: Stage::FormerTenantRecovery,
        earliest: today,
        description: format!(
            "We will write to you with a letter of claim for {claim}, with an information \
             sheet, a reply form and a financial statement; you will have 30 days to reply."
        ),
    };
    let Some(debt) = &facts.former_debt else {
        if claim.0 <= 0 {
            reasons.push(
                "nothing owed fell due within the last six years: no letter of claim and no \
                 claim"
                    .into(),
            );
            return None;
        }
        return Some(letter(claim));
    };
    reasons.extend(debt.reasons.iter().cloned());
    let claim = debt.claimable;
    let fmt = |d: NaiveDate| d.format("%-d %B %Y").to_string();
    match debt.next {
        DebtNext::LetterOfClaim => Some(letter(claim)),
        DebtNext::AwaitReply | DebtNext::Claim => {
            let from = debt.claim_from.unwrap_or(today).max(today);
            Some(Step {
                stage: Stage::FormerTenantRecovery,
                earliest: from,
                description: format!(
                    "We may ask the court to order you to pay {claim}{}. To stop that, reply \
                     to our letter of claim using the reply form, or agree how you will pay; \
                     if you are getting debt advice, tell us and we will wait.",
                    debt.reply_by
                        .filter(|r| *r >= today)
                        .map(|r| format!(" (you have until {} to reply)", fmt(r)))
                        .unwrap_or_default()
                ),
            })
        }
        DebtNext::ProposeWriteOff | DebtNext::Nothing => None,
    }
}

/// A possession claim is in progress: made (court application) and not yet ended by a
/// dismissal or the case closing.
pub fn claim_in_progress(stage: Stage, court: &crate::possession::court::CourtFacts) -> bool {
    match stage {
        Stage::CourtApplication | Stage::Hearing | Stage::Warrant | Stage::Eviction => true,
        Stage::Order => court
            .order
            .as_ref()
            .is_none_or(|o| o.kind != crate::possession::order::OrderKind::Dismissed),
        _ => false,
    }
}

/// SI 2020/1311 reg 10 (existing legal proceedings at the start of a moratorium): when a
/// Breathing Space is in force while a possession claim is in progress, the landlord tells the
/// court. `Some(start of the Breathing Space)` until the officer records it
/// ([`crate::possession::court::OrderStep::CourtToldOfBreathingSpace`]) on or after that start: once for
/// each Breathing Space.
pub fn court_to_be_told_of_breathing_space(facts: &CaseFacts) -> Option<NaiveDate> {
    let started = facts
        .breathing_space_started
        .filter(|_| facts.breathing_space.is_some())?;
    let told = facts
        .court
        .told_of_breathing_space_on
        .is_some_and(|t| t >= started);
    (claim_in_progress(facts.stage, &facts.court) && !told).then_some(started)
}

/// What stands between the account and recording that the court was told of a Breathing Space
/// (empty = allowed): one in force, a claim in progress, and not already told of this one.
pub fn tell_court_gates(facts: &CaseFacts) -> Vec<crate::possession::protocol::Missing> {
    use crate::possession::protocol::Missing;
    let mut out = vec![];
    let Some(started) = facts
        .breathing_space_started
        .filter(|_| facts.breathing_space.is_some())
    else {
        return vec![Missing {
            id: "breathing_space".into(),
            reason: "no Breathing Space is in force: there is nothing to tell the court".into(),
        }];
    };
    if !claim_in_progress(facts.stage, &facts.court) {
        out.push(Missing {
            id: "court_application".into(),
            reason: "no possession claim is in progress: there is no court to tell".into(),
        });
    }
    if let Some(told) = facts
        .court
        .told_of_breathing_space_on
        .filter(|t| *t >= started)
    {
        out.push(Missing {
            id: "court_told_of_breathing_space".into(),
            reason: format!(
                "the court was told of the Breathing Space that started on {} on {}",
                fmt_date(started),
                fmt_date(told)
            ),
        });
    }
    out
}

/// After an order: the court's decision and its terms say what happens (`possession::court::after_order`).
fn after_order(mut out: NextStep, facts: &CaseFacts, today: NaiveDate) -> NextStep {
    let arrears = facts.real_arrears;
    let a = crate::possession::court::after_order(&facts.court, today);
    out.reasons.extend(a.reasons);
    out.paused_because = a.paused_because;
    out.next = a.next_stage.map(|(stage, earliest, mut description)| {
        // CPR 83.2(3)(a): six years or more after the order, the court's permission first.
        if stage == Stage::Warrant
            && let Some(order) = &facts.court.order
            && let Some(why) =
                crate::possession::order::warrant_permission_needed(order, None, earliest)
        {
            description.push_str(
                " The order is six years old or more: we must first ask the court's permission \
                 to apply for a warrant.",
            );
            out.reasons.push(why);
        }
        Step {
            stage,
            earliest,
            description,
        }
    });
    out.action = a.action;
    out.what_stops_it = a.what_stops_it;
    out.summary = match (&out.next, &out.action) {
        (Some(step), _) => format!(
            "You owe {arrears}. If nothing changes, from {}: {}",
            fmt_date(step.earliest),
            step.description
        ),
        (None, Some(action)) if action.kind == ActionKind::MonitorOrderTerms => format!(
            "You owe {arrears} and you are keeping to the terms of the court order. Nothing more \
             will happen while you keep to them."
        ),
        (None, Some(action)) => format!("You owe {arrears}. {}", action.description),
        (None, None) => format!(
            "You owe {arrears}. The court has decided; no further step is recommended now, but \
             the arrears need to be cleared."
        ),
    };
    out
}

/// Free, independent advice every tenant is pointed to (the protocol requires signposting).
pub const FREE_ADVICE: &[(&str, &str)] = &[
    (
        "Citizens Advice",
        "https://www.citizensadvice.org.uk/debt-and-money/",
    ),
    ("National Debtline", "https://nationaldebtline.org/"),
    ("StepChange Debt Charity", "https://www.stepchange.org/"),
    (
        "Shelter",
        "https://england.shelter.org.uk/housing_advice/eviction",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn facts(stage: Stage, arrears: i64, weeks: i64) -> CaseFacts {
        CaseFacts {
            stage,
            stage_since: d(2026, 11, 1),
            real_arrears: Pence(arrears),
            technical_arrears: Pence(0),
            technical_reason: None,
            weekly_charge: Pence(10_000),
            weeks_in_arrears_hundredths: Some(weeks),
            plan: None,
            breathing_space: None,
            breathing_space_started: None,
            former_limitation: None,
            former_debt: None,
            court: Default::default(),
            notice_earliest_proceedings: None,
            pre_claim: Default::default(),
            plan_broken_on: None,
        }
    }

    #[test]
    fn limitation_act_1980_s19_a_former_tenants_letter_claims_only_what_is_within_six_years() {
        use crate::limitation::Limitation;
        let p = EscalationPolicy::default();
        let split = |barred, claimable| {
            Some(Limitation {
                barred: Pence(barred),
                claimable: Pence(claimable),
                restarted_on: None,
            })
        };
        // (real arrears, split, letter for, a reason names the barred part)
        let table = [
            (30_000, None, Some(30_000), false),
            (30_000, split(0, 30_000), Some(30_000), false),
            (30_000, split(10_000, 20_000), Some(20_000), true),
            (30_000, split(30_000, 0), None, true),
        ];
        for (arrears, limitation, letter, barred_named) in table {
            let mut f = facts(Stage::FormerTenantRecovery, arrears, 300);
            f.former_limitation = limitation;
            let n = next_step(&f, &p, today());
            assert_eq!(
                n.next.as_ref().map(|s| s.description.clone()),
                letter.map(|c| format!(
                    "We will write to you with a letter of claim for {}, with an information \
                     sheet, a reply form and a financial statement; you will have 30 days to \
                     reply.",
                    Pence(c)
                )),
                "{limitation:?}"
            );
            assert_eq!(
                n.reasons.iter().any(|r| r.contains("statute-barred")),
                barred_named,
                "{:?}",
                n.reasons
            );
        }
    }

    /// Pre-Action Protocol for Debt Claims: next-step recommends no claim before the 30 days to
    /// reply (and any debt-advice time) have run, nothing when all is statute-barred.
    #[test]
    fn pre_action_protocol_for_debt_claims_next_step_waits_for_the_reply_time() {
        use crate::possession::debt_claim::{DebtRecord, debt_claim};
        let p = EscalationPolicy::default();
        let letter = DebtRecord {
            letter_on: Some(d(2026, 11, 2)),
            ..DebtRecord::default()
        };
        let advice = DebtRecord {
            advice_on: Some(d(2026, 11, 30)),
            ..letter
        };
        // (record, claimable, today, earliest of the next step, its words)
        let table = [
            (
                DebtRecord::default(),
                30_000,
                today(),
                Some(today()),
                "letter of claim for £300.00",
            ),
            (
                letter,
                30_000,
                d(2026, 11, 20),
                Some(d(2026, 12, 3)),
                "until 2 December 2026 to reply",
            ),
            (
                letter,
                30_000,
                d(2026, 12, 3),
                Some(d(2026, 12, 3)),
                "order you to pay £300.00",
            ),
            (
                advice,
                30_000,
                d(2026, 12, 3),
                Some(d(2026, 12, 31)),
                "getting debt advice",
            ),
            (letter, 0, d(2026, 12, 3), None, ""),
        ];
        for (r, claimable, on, earliest, words) in table {
            let mut f = facts(Stage::FormerTenantRecovery, 30_000, 300);
            f.former_debt = Some(debt_claim(
                &r,
                Pence(30_000),
                Pence(claimable),
                Pence(30_000 - claimable),
                on,
            ));
            let n = next_step(&f, &p, on);
            assert_eq!(
                n.next.as_ref().map(|s| s.earliest),
                earliest,
                "{r:?} on {on}: {n:?}"
            );
            if let Some(s) = &n.next {
                assert!(s.description.contains(words), "{}", s.description);
            } else {
                assert!(
                    n.reasons.iter().any(|r| r.contains("write-off")),
                    "{:?}",
                    n.reasons
                );
            }
        }
    }

    #[test]
    fn si_2020_1311_reg_10_the_court_is_told_of_a_breathing_space_once_while_a_claim_is_in_progress()
     {
        use crate::possession::order::{CourtOrder, OrderKind};
        let p = EscalationPolicy::default();
        let started = d(2026, 11, 16);
        let order = |kind| CourtOrder {
            kind,
            possession_date: None,
            terms: None,
            grounds: vec![],
            ordered_on: Some(d(2026, 11, 2)),
        };
        // (stage, order, Breathing Space from 16 Nov 2026 in force, told on, prompted)
        let table = [
            (Stage::CourtApplication, None, true, None, true),
            (Stage::Hearing, None, true, None, true),
            (Stage::Order, Some(OrderKind::Outright), true, None, true),
            (Stage::Warrant, None, true, None, true),
            (Stage::Eviction, None, true, None, true),
            // Told on or after the start: once for this Breathing Space.
            (Stage::Hearing, None, true, Some(d(2026, 11, 16)), false),
            (Stage::Hearing, None, true, Some(d(2026, 11, 20)), false),
            // Told of an earlier one only: this one is told again.
            (Stage::Hearing, None, true, Some(d(2026, 3, 2)), true),
            // No claim in progress, or none any more.
            (Stage::NoticeServed, None, true, None, false),
            (Stage::SecondLetter, None, true, None, false),
            (Stage::Order, Some(OrderKind::Dismissed), true, None, false),
            // No Breathing Space in force.
            (Stage::Hearing, None, false, None, false),
        ];
        for (stage, kind, in_force, told, prompted) in table {
            let mut f = facts(stage, 60_000, 600);
            f.court.order = kind.map(order);
            f.court.told_of_breathing_space_on = told;
            if in_force {
                f.breathing_space = Some(Some(d(2027, 1, 14)));
                f.breathing_space_started = Some(started);
            }
            let n = next_step(&f, &p, today());
            let also: Vec<_> = n.also.iter().map(|a| a.kind).collect();
            let expected = if prompted {
                vec![ActionKind::TellCourtOfBreathingSpace]
            } else {
                vec![]
            };
            assert_eq!(also, expected, "{stage:?} {kind:?} {in_force} {told:?}");
            // Recording it is allowed exactly when it is prompted.
            assert_eq!(
                tell_court_gates(&f).is_empty(),
                prompted,
                "{stage:?} {kind:?} {in_force} {told:?}: {:?}",
                tell_court_gates(&f)
            );
            if prompted {
                assert!(
                    n.also[0].description.contains("since 16 November 2026"),
                    "{}",
                    n.also[0].description
                );
                assert!(n.also[0].description.contains("reg 10"));
            }
        }
        // The claim still goes on to the hearing while the court is told.
        let mut f = facts(Stage::CourtApplication, 60_000, 600);
        f.breathing_space = Some(None);
        f.breathing_space_started = Some(started);
        let n = next_step(&f, &p, today());
        assert_eq!(n.next.unwrap().stage, Stage::Hearing);
        assert_eq!(n.also.len(), 1);
    }

    const TODAY: (i32, u32, u32) = (2026, 11, 25);

    fn today() -> NaiveDate {
        d(TODAY.0, TODAY.1, TODAY.2)
    }

    #[test]
    fn stages_round_trip_and_unknown_ones_are_named() {
        for s in Stage::ALL {
            assert_eq!(s.as_str().parse::<Stage>().unwrap(), *s);
        }
        assert!(
            "nosp"
                .parse::<Stage>()
                .unwrap_err()
                .contains("notice_served")
        );
    }

    #[test]
    fn no_real_arrears_means_nothing_happens_even_with_technical_arrears() {
        let mut f = facts(Stage::None, 0, 0);
        f.technical_arrears = Pence(40_000);
        f.technical_reason = Some("Universal Credit payment due 28 Nov".into());
        let n = next_step(&f, &EscalationPolicy::default(), today());
        assert_eq!(n.next, None);
        assert!(n.summary.contains("28 Nov"), "{}", n.summary);
    }

    #[test]
    fn arrears_over_ten_pounds_lead_to_a_first_letter_and_paying_stops_it() {
        let n = next_step(
            &facts(Stage::None, 2_500, 25),
            &EscalationPolicy::default(),
            today(),
        );
        let step = n.next.unwrap();
        assert_eq!(step.stage, Stage::FirstLetter);
        assert!(
            n.what_stops_it[0].contains("£25.00"),
            "{:?}",
            n.what_stops_it
        );
        let n = next_step(
            &facts(Stage::None, 900, 9),
            &EscalationPolicy::default(),
            today(),
        );
        assert_eq!(n.next, None);
    }

    #[test]
    fn a_second_letter_follows_three_weeks_after_the_first() {
        let n = next_step(
            &facts(Stage::FirstLetter, 30_000, 300),
            &EscalationPolicy::default(),
            today(),
        );
        let step = n.next.unwrap();
        assert_eq!(step.stage, Stage::SecondLetter);
        assert_eq!(step.earliest, d(2026, 11, 22).max(today()));
    }

    #[test]
    fn a_notice_needs_four_weeks_of_arrears_after_the_second_letter() {
        let p = EscalationPolicy::default();
        let n = next_step(&facts(Stage::SecondLetter, 35_000, 350), &p, today());
        assert_eq!(n.next, None);
        assert!(
            n.what_stops_it.iter().any(|s| s.contains("£400.00")),
            "{:?}",
            n.what_stops_it
        );
        let n = next_step(&facts(Stage::SecondLetter, 45_000, 450), &p, today());
        assert_eq!(n.next.unwrap().stage, Stage::NoticeServed);
    }

    #[test]
    fn a_kept_plan_or_breathing_space_pauses_everything_and_a_broken_plan_does_not() {
        let p = EscalationPolicy::default();
        let mut f = facts(Stage::SecondLetter, 45_000, 450);
        f.plan = Some(PlanState::Kept {
            next_due: Some(d(2026, 11, 30)),
            amount: Pence(1_500),
        });
        let n = next_step(&f, &p, today());
        assert_eq!(n.next, None);
        assert!(n.paused_because.is_some());
        assert!(
            n.what_stops_it[0].contains("30 November 2026"),
            "{:?}",
            n.what_stops_it
        );
        f.plan = Some(PlanState::Broken);
        assert_eq!(
            next_step(&f, &p, today()).next.unwrap().stage,
            Stage::NoticeServed
        );
        f.breathing_space = Some(Some(d(2027, 1, 10)));
        let n = next_step(&f, &p, today());
        assert_eq!(n.next, None);
        assert!(n.paused_because.unwrap().contains("10 January 2027"));
    }

    #[test]
    fn after_a_hearing_the_court_decides_no_warrant_is_recommended_before_an_order() {
        let mut f = facts(Stage::Hearing, 60_000, 600);
        f.court.hearing_on = Some(d(2026, 12, 14));
        let step = next_step(&f, &EscalationPolicy::default(), today())
            .next
            .unwrap();
        assert_eq!(step.stage, Stage::Order);
        assert_eq!(step.earliest, d(2026, 12, 14));
    }

    #[test]
    fn after_a_suspended_order_the_terms_govern_not_an_arrangement() {
        use crate::arrangements::{Instalment, InstalmentStatus};
        use crate::possession::order::{CourtOrder, OrderKind, OrderTerms};
        let mut f = facts(Stage::Order, 60_000, 600);
        f.court.order = Some(CourtOrder {
            kind: OrderKind::Suspended,
            possession_date: Some(d(2026, 11, 10)),
            terms: Some(OrderTerms {
                towards_arrears: Pence(500),
                frequency: crate::tenancy::Frequency::Weekly,
                from: d(2026, 11, 2),
            }),
            grounds: vec![],
            ordered_on: None,
        });
        let instalment = |status| Instalment {
            due: d(2026, 11, 2),
            amount: Pence(10_500),
            paid: Pence::ZERO,
            status,
        };
        f.court.instalments = vec![instalment(InstalmentStatus::Paid)];
        // Kept: monitored, no warrant.
        let n = next_step(&f, &EscalationPolicy::default(), today());
        assert_eq!(n.next, None);
        assert_eq!(n.action.unwrap().kind, ActionKind::MonitorOrderTerms);
        assert!(n.summary.contains("keeping to the terms"), "{}", n.summary);
        // Broken: a visit first, even if an arrangement is being kept.
        f.court.instalments = vec![instalment(InstalmentStatus::Missed)];
        f.plan = Some(PlanState::Kept {
            next_due: None,
            amount: Pence(500),
        });
        let n = next_step(&f, &EscalationPolicy::default(), today());
        assert_eq!(n.next, None);
        assert_eq!(n.action.unwrap().kind, ActionKind::Visit);
        // Breathing Space: nothing, and certainly no warrant (docs/breathing-space.md#no-enforcement-step-a-claim-already-made-may-reach-an-order).
        f.breathing_space = Some(None);
        let n = next_step(&f, &EscalationPolicy::default(), today());
        assert_eq!((n.next, n.action), (None, None));
    }

    #[test]
    fn during_breathing_space_a_claim_goes_on_to_the_hearing_and_the_order_but_no_warrant() {
        let p = EscalationPolicy::default();
        let mut f = facts(Stage::Hearing, 60_000, 600);
        f.court.hearing_on = Some(d(2026, 12, 14));
        f.breathing_space = Some(Some(d(2027, 1, 10)));
        let n = next_step(&f, &p, today());
        let step = n.next.clone().unwrap();
        assert_eq!((step.stage, step.earliest), (Stage::Order, d(2026, 12, 14)));
        assert_eq!(n.paused_because, None);
        assert!(
            n.summary.contains("cannot apply for a warrant"),
            "{}",
            n.summary
        );
        assert!(n.summary.contains("14 December 2026"), "{}", n.summary);
        assert!(
            n.reasons.iter().any(|r| r.contains("no warrant")),
            "{:?}",
            n.reasons
        );
        // Nothing demands the arrears included in it: only the rent and the hearing.
        assert!(
            n.what_stops_it.iter().all(|w| !w.contains("£600.00")),
            "{:?}",
            n.what_stops_it
        );
        assert!(n.what_stops_it[0].contains("rent as it falls due"));
        // At the court application the hearing is still what comes next.
        f.stage = Stage::CourtApplication;
        let n = next_step(&f, &p, today());
        assert_eq!(n.next.unwrap().stage, Stage::Hearing);
        // Before a claim (a notice served) and after an order: paused, as before.
        for stage in [Stage::NoticeServed, Stage::Order] {
            f.stage = stage;
            let n = next_step(&f, &p, today());
            assert_eq!((n.next, n.action), (None, None), "{stage:?}");
            assert!(n.paused_because.unwrap().contains("10 January 2027"));
        }
    }

    #[test]
    fn after_a_notice_the_court_step_is_at_least_28_days_later() {
        let mut f = facts(Stage::NoticeServed, 60_000, 600);
        f.stage_since = d(2026, 11, 20);
        let step = next_step(&f, &EscalationPolicy::default(), today())
            .next
            .unwrap();
        assert_eq!(step.stage, Stage::CourtApplication);
        assert_eq!(step.earliest, d(2026, 12, 18));
    }

    /// Pre-Action Protocol paras 2.8, 2.9 and Part 3 in next-step: after a notice the claim
    /// stays the recommended step, never dated before the time limits the tenant was given
    /// have run, and the steps still to take are asked for, in order, each from the first day it
    /// counts. A section 8 notice giving ground 8 handed over at noon on Wednesday 25 November
    /// 2026 (proceedings from 9 December); the arrangement broke on 4 January 2027.
    #[test]
    fn protocol_paras_2_8_2_9_part_3_next_step_asks_for_each_step_and_the_claim_waits_for_them() {
        use crate::possession::protocol::{
            NoticeRules, PreClaimFacts, ProtocolStep as P, ServiceMethod, TimeLimit, notice_dates,
            pre_claim,
        };
        use crate::possession::types::{Ground, NoticeKind};
        let mut notice = notice_dates(
            NoticeKind::Section8,
            crate::possession::protocol::tests::noon(d(2026, 11, 25)),
            ServiceMethod::Hand,
            &NoticeRules::default(),
        );
        notice.grounds = Some(vec![Ground::G8, Ground::G10]);
        let limit = |step, given_on, ends_on| TimeLimit {
            step,
            given_on,
            ends_on,
        };
        let broke = Some(d(2027, 1, 4));
        // (recorded, time limits, today, also asked for (kind, from), claim earliest)
        type Row = (
            Vec<(P, NaiveDate)>,
            Vec<TimeLimit>,
            NaiveDate,
            Vec<(ActionKind, NaiveDate)>,
            NaiveDate,
        );
        let table: Vec<Row> = vec![
            (
                vec![],
                vec![],
                d(2027, 1, 6),
                vec![
                    (ActionKind::ContactAfterNotice, d(2027, 1, 6)),
                    (ActionKind::WarnBeforeProceedings, d(2027, 1, 6)),
                    (ActionKind::ExplainWhyPossessionIsSought, d(2027, 1, 6)),
                ],
                d(2027, 1, 6),
            ),
            (
                vec![
                    (P::PostNoticeContact, d(2026, 11, 26)),
                    (P::PossessionReasonsExplained, d(2026, 11, 25)),
                    (P::ArrangementBreachWarning, d(2027, 1, 5)),
                ],
                vec![
                    limit(
                        P::PossessionReasonsExplained,
                        d(2026, 11, 25),
                        d(2026, 12, 9),
                    ),
                    limit(P::ArrangementBreachWarning, d(2027, 1, 5), d(2027, 1, 19)),
                ],
                d(2027, 1, 6),
                vec![(ActionKind::ConsiderProportionality, d(2027, 1, 6))],
                d(2027, 1, 20),
            ),
            (
                vec![
                    (P::PostNoticeContact, d(2026, 11, 26)),
                    (P::PossessionReasonsExplained, d(2026, 11, 25)),
                    (P::ArrangementBreachWarning, d(2027, 1, 5)),
                    (P::ProportionalityConsidered, d(2027, 1, 6)),
                ],
                vec![
                    limit(
                        P::PossessionReasonsExplained,
                        d(2026, 11, 25),
                        d(2026, 12, 9),
                    ),
                    limit(P::ArrangementBreachWarning, d(2027, 1, 5), d(2027, 1, 19)),
                ],
                d(2027, 1, 6),
                vec![],
                d(2027, 1, 20),
            ),
        ];
        for (recorded, limits, today, asked, earliest) in table {
            let mut f = facts(Stage::NoticeServed, 90_000, 900);
            f.stage_since = d(2026, 11, 25);
            f.notice_earliest_proceedings = Some(notice.earliest_proceedings);
            f.plan = Some(PlanState::Broken);
            f.plan_broken_on = broke;
            f.pre_claim = pre_claim(
                &PreClaimFacts {
                    recorded: &recorded,
                    time_limits: &limits,
                    notice: Some(&notice),
                    plan_broken_on: broke,
                },
                today,
            );
            let n = next_step(&f, &EscalationPolicy::default(), today);
            let step = n.next.clone().unwrap();
            assert_eq!(
                (step.stage, step.earliest),
                (Stage::CourtApplication, earliest)
            );
            let also: Vec<_> = n.also.iter().map(|a| (a.kind, a.earliest)).collect();
            assert_eq!(also, asked, "{recorded:?}");
            assert!(n.summary.contains(&fmt_date(earliest)), "{}", n.summary);
        }
    }

    #[test]
    fn ha1985_s83a_next_step_never_recommends_the_claim_on_the_date_the_nosp_gives() {
        // A NOSP handed over on Wednesday 25 Nov 2026 gives Sunday 27 Dec 2026: proceedings
        // from Monday 28 Dec, not on the 27th (HA 1985 s83A(2)), and not 28 days after the
        // stage was recorded either.
        let n = crate::possession::protocol::notice_dates(
            crate::possession::types::NoticeKind::Nosp,
            crate::possession::protocol::tests::noon(d(2026, 11, 25)),
            crate::possession::protocol::ServiceMethod::Hand,
            &crate::possession::protocol::NoticeRules::default(),
        );
        let mut f = facts(Stage::NoticeServed, 60_000, 600);
        f.stage_since = d(2026, 11, 25);
        f.notice_earliest_proceedings = Some(n.earliest_proceedings);
        let step = next_step(&f, &EscalationPolicy::default(), today())
            .next
            .unwrap();
        assert_eq!(step.stage, Stage::CourtApplication);
        assert_eq!(n.date_specified, d(2026, 12, 27));
        assert_eq!(step.earliest, d(2026, 12, 28));
    }
}
