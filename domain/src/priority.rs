//! The caseload's priority (issue 7): which accounts need an officer's action today, in what
//! order, and why — in plain words an officer can act on.
//!
//! [`assess`] is a pure function of one account's facts as of `today`. It never sees anything
//! after `today` (the benchmark checks it against what the tenants then do). It decides:
//!
//! - **how urgent** (`score`): mostly the real arrears projected over the next weeks at the pace
//!   of the last twelve, or the level the account usually sits at, whichever is higher
//!   (docs/possession.md#default-local-policy: the notice threshold is 4 weeks' rent), plus the events an officer must
//!   react to — a broken arrangement, a notice about to lapse, Housing Benefit that stopped,
//!   Breathing Space ending;
//! - **whether today** (`needs_action_today`), or else **why not** (`excluded`), so the list can
//!   say "212 accounts in technical arrears only" instead of silently hiding them.
//!
//! Technical arrears (a UC or HB payment due will clear them, docs/payments-and-technical-arrears.md#housing-benefit-four-weekly-in-arrears) never count: only
//! `real_arrears` does, so new UC claimants in their five-week wait do not crowd the list.
//! This module does not decide the escalation step itself (that is `possession::next_step::next_step`) nor
//! whether a tenant may be contacted (`contact_policy`).

use crate::Pence;
use crate::arrears::AccountSummary;
use crate::calendar::add_months_clamped;
use crate::possession::next_step::PlanState;
use crate::possession::protocol::{NoticeDates, breathing_space_deadline};
use crate::possession::types::NoticeKind;
use crate::possession::types::Stage;
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// A repayment arrangement as the caseload sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanFacts {
    /// When it was agreed (its start date).
    pub agreed: NaiveDate,
    pub state: PlanState,
    /// Instalments missed or part-paid after their grace days (`arrangements::adherence`).
    pub missed_instalments: u32,
}

/// A Universal Credit claim and when its first payment is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UcClaimFacts {
    pub claim_start: NaiveDate,
    pub first_payment_due: NaiveDate,
}

impl UcClaimFacts {
    /// UC pays monthly in arrears, 7 days after the first assessment period ends (docs/payments-and-technical-arrears.md#universal-credit-the-first-payment-about-five-weeks-after-the-claim).
    pub fn new(claim_start: NaiveDate) -> UcClaimFacts {
        UcClaimFacts {
            claim_start,
            first_payment_due: crate::benefits::uc_first_payment_due(claim_start),
        }
    }
}

/// Everything [`assess`] looks at, from stored data as of `today`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorityFacts {
    /// The account today (`arrears::summarise`).
    pub now: AccountSummary,
    /// The same account `policy.trend_days` ago, for the trend (`None` for a newer tenancy).
    pub earlier: Option<AccountSummary>,
    /// The highest real arrears (hundredths of weeks' rent) on the rent-week starts of the last
    /// `policy.peak_weeks` weeks, and that date (`None`: no weekly charge, or a newer tenancy).
    #[serde(default)]
    pub recent_peak: Option<(NaiveDate, i64)>,
    /// The lowest on those same days: arrears that never came down below it in that time.
    #[serde(default)]
    pub recent_low: Option<i64>,
    /// The account's usual level: the average real arrears (hundredths of weeks' rent) on today
    /// and the rent-week starts of the last `policy.usual_weeks` weeks (`None`: no weekly
    /// charge, or a tenancy younger than that).
    #[serde(default)]
    pub usual: Option<i64>,
    /// The current arrangement, if any.
    pub plan: Option<PlanFacts>,
    /// The last contact either way: an officer's call, visit or letter, a message sent, a reply.
    pub last_contact: Option<NaiveDate>,
    pub stage: Stage,
    pub stage_since: NaiveDate,
    /// The notice last served, with its kind and validity (`possession::protocol::notice_dates`, stored with
    /// the step). `None`: no notice recorded (the stage may have come from the housing system).
    #[serde(default)]
    pub notice: Option<NoticeDates>,
    /// The open UC claim, if any.
    pub uc_claim: Option<UcClaimFacts>,
    /// Housing Benefit stopped or fell (`outreach::triggers::hb_change`'s reason).
    pub hb_change: Option<String>,
    pub vulnerable: bool,
    /// A Breathing Space in force today, and when it ends if known.
    pub breathing_space: Option<Option<NaiveDate>>,
    /// Until when the landlord may ask for a review of that Breathing Space
    /// (`flags::review_by`).
    #[serde(default)]
    pub breathing_space_review_by: Option<NaiveDate>,
    /// Every Breathing Space on the account, past, present or recorded ahead: start and end (if
    /// known). They move the notice's lapse date (`possession::protocol::breathing_space_deadline`).
    #[serde(default)]
    pub breathing_spaces: Vec<(NaiveDate, Option<NaiveDate>)>,
}

/// The figures of the priority rules (all config; the defaults are what the benchmark in
/// `bench/src/caseload.rs` was tuned with, on data up to its `today` only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorityPolicy {
    /// The notice threshold the projection aims at (hundredths of weeks; docs/possession.md#default-local-policy: 4 weeks).
    pub notice_weeks_hundredths: i64,
    /// Real arrears at or above this need action whatever their trend (hundredths of weeks).
    pub act_weeks_hundredths: i64,
    /// The trend is measured over this many days (twelve weeks: an irregular payer's payments
    /// land in lumps, so a six-week rise is mostly noise that comes back down)…
    pub trend_days: i64,
    /// …and projected this many weeks ahead.
    pub horizon_weeks: i64,
    /// An account with no weekly charge (leasehold: periodic service charges) needs action
    /// from this much real arrears.
    pub no_weekly_charge_min: Pence,
    /// "No contact for N days" from this many days.
    pub no_contact_days: i64,
    /// Contacted within this many days and not falling further behind: leave it for now.
    pub recent_contact_days: i64,
    /// A notice served with no dates recorded (a stage brought from the housing system) is
    /// taken to lapse this many months after the stage began; a recorded notice lapses on its
    /// own date (`possession::protocol::notice_dates`: a NOSP 12 months after the earliest proceedings
    /// date, a section 8 notice 12 months after service)…
    pub notice_valid_months: u32,
    /// …and the officer is warned this many days before.
    pub notice_expiry_warning_days: i64,
    /// Breathing Space ending within this many days: plan the next contact.
    pub breathing_space_ending_days: i64,
    /// Points added per missed instalment of a broken arrangement (at most 3 counted).
    pub broken_plan_points: i64,
    /// How far back `recent_peak` looks (weeks).
    pub peak_weeks: i64,
    /// How far back the account's usual level (`PriorityFacts::usual`) looks (weeks).
    pub usual_weeks: i64,
    /// Arrears that go up and down return towards the level the account usually sits at: an
    /// account owing more than `material_weeks_hundredths` today whose expected level — halfway
    /// between today's and its usual level — is at least this needs a call before it reaches
    /// the notice level (hundredths of weeks). Tuned on the sector benchmark's seeds 1 and 2
    /// (`bench/results/caseload.md`); the other levels here are the domain's.
    pub usual_level_weeks_hundredths: i64,
    /// Arrears count as material above this (hundredths of weeks; 1 week's rent, the level the
    /// plain "real arrears over a week" cut-off starts at).
    pub material_weeks_hundredths: i64,
    /// A kept plan should clear the arrears within this many weeks (docs/arrangements.md#the-plan-policy-a-floor-and-a-target-to-clear-the-arrears: e.g. 104);
    /// the reason says when, at its pace, it will not.
    pub plan_target_weeks: i64,
    /// A kept plan that one missed week's rent would leave at or over the notice level stays
    /// on the list (ranked by its arrears, marked "keeping to the plan"): it pauses the notice
    /// (docs/possession.md#the-caseloads-priority), but one missed payment resumes it, so the officer watches it. `false`:
    /// kept plans are counted off.
    pub watch_kept_plans_over_notice: bool,
}

impl Default for PriorityPolicy {
    fn default() -> PriorityPolicy {
        PriorityPolicy {
            notice_weeks_hundredths: 400,
            act_weeks_hundredths: 300,
            trend_days: 84,
            horizon_weeks: 12,
            no_weekly_charge_min: Pence(35_000),
            no_contact_days: 28,
            recent_contact_days: 14,
            notice_valid_months: 12,
            notice_expiry_warning_days: 28,
            breathing_space_ending_days: 14,
            broken_plan_points: 50,
            peak_weeks: 12,
            usual_weeks: 26,
            usual_level_weeks_hundredths: 240,
            material_weeks_hundredths: 100,
            plan_target_weeks: 104,
            watch_kept_plans_over_notice: true,
        }
    }
}

/// Why an account with arrears has nothing to do today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Exclusion {
    /// Nothing owed.
    NoArrears,
    /// Only technical arrears: a benefit payment due will clear them.
    TechnicalOnly { reason: Option<String> },
    /// Breathing Space: no step about the included debt until it ends. `review_by`: the last
    /// day the landlord may ask for a review, while that is still open.
    BreathingSpace {
        until: Option<NaiveDate>,
        review_by: Option<NaiveDate>,
    },
    /// An arrangement is being kept: escalation is paused (docs/possession.md#default-local-policy).
    ArrangementKept { agreed: NaiveDate },
    /// Contacted recently and not falling further behind.
    ContactedRecently { on: NaiveDate },
    /// Real arrears below the action level and not heading for the notice threshold.
    SmallAndStable,
    /// The case is closed.
    Closed,
}

impl Exclusion {
    /// A stable key for counting ("technical_only": 212).
    pub fn key(&self) -> &'static str {
        match self {
            Exclusion::NoArrears => "no_arrears",
            Exclusion::TechnicalOnly { .. } => "technical_only",
            Exclusion::BreathingSpace { .. } => "breathing_space",
            Exclusion::ArrangementKept { .. } => "arrangement_kept",
            Exclusion::ContactedRecently { .. } => "contacted_recently",
            Exclusion::SmallAndStable => "small_and_stable",
            Exclusion::Closed => "closed",
        }
    }

    /// How a count of these reads: "212 accounts in technical arrears only".
    pub fn plain(&self) -> &'static str {
        match self {
            Exclusion::NoArrears => "with nothing owed",
            Exclusion::TechnicalOnly { .. } => "in technical arrears only",
            Exclusion::BreathingSpace { .. } => "in Breathing Space",
            Exclusion::ArrangementKept { .. } => "on track with an arrangement",
            Exclusion::ContactedRecently { .. } => "contacted recently and not falling behind",
            Exclusion::SmallAndStable => "with small, stable arrears",
            Exclusion::Closed => "with a closed case",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    /// Higher first. Roughly the real arrears projected `horizon_weeks` ahead in hundredths of
    /// weeks, plus points for events that need a reaction.
    pub score: i64,
    pub needs_action_today: bool,
    /// Plain words, most important first.
    pub reasons: Vec<String>,
    /// Why there is nothing to do today (`None` exactly when `needs_action_today`).
    pub excluded: Option<Exclusion>,
}

fn fmt_date(d: NaiveDate) -> String {
    d.format("%-d %b").to_string()
}

fn weeks(h: i64) -> String {
    format!("{:.1}", h as f64 / 100.0)
}

fn days_phrase(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

/// The caseload's verdict on one account today.
/// The levels the priority reads from an account's recent history (see [`PriorityFacts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RecentLevels {
    pub peak: Option<(NaiveDate, i64)>,
    pub low: Option<i64>,
    pub usual: Option<i64>,
}

/// The rent-week starts (Mondays) whose real arrears [`recent_levels`] needs, newest first:
/// the last `max(peak_weeks, usual_weeks)` weeks before today's.
pub fn recent_weeks(today: NaiveDate, policy: &PriorityPolicy) -> Vec<NaiveDate> {
    let monday = crate::calendar::monday_on_or_before(today);
    (1..=policy.peak_weeks.max(policy.usual_weeks))
        .map(|k| monday - Duration::weeks(k))
        .collect()
}

/// From today's real arrears (`now`) and those on the days of [`recent_weeks`] that the tenancy
/// had (`weekly`, newest first; hundredths of weeks' rent): the highest and lowest of the last
/// `peak_weeks`, and the usual level — the average of today and the last `usual_weeks`, only
/// over the whole window (a newer tenancy has no usual level yet).
pub fn recent_levels(
    now: Option<i64>,
    weekly: &[(NaiveDate, i64)],
    today: NaiveDate,
    policy: &PriorityPolicy,
) -> RecentLevels {
    let peak_from =
        crate::calendar::monday_on_or_before(today) - Duration::weeks(policy.peak_weeks);
    let in_peak = || weekly.iter().filter(|(d, _)| *d >= peak_from);
    let usual = match now {
        Some(now) if policy.usual_weeks > 0 && weekly.len() as i64 >= policy.usual_weeks => {
            let days = &weekly[..policy.usual_weeks as usize];
            Some((now + days.iter().map(|(_, w)| w).sum::<i64>()) / (policy.usual_weeks + 1))
        }
        _ => None,
    };
    RecentLevels {
        peak: in_peak().copied().max_by_key(|(d, w)| (*w, *d)),
        low: in_peak().map(|(_, w)| *w).min(),
        usual,
    }
}

pub fn assess(facts: &PriorityFacts, policy: &PriorityPolicy, today: NaiveDate) -> Assessment {
    let excluded = |score: i64, reasons: Vec<String>, why: Exclusion| Assessment {
        score,
        needs_action_today: false,
        reasons,
        excluded: Some(why),
    };
    if facts.stage == Stage::Closed {
        return excluded(0, vec![], Exclusion::Closed);
    }
    let s = &facts.now;
    if s.arrears.0 <= 0 {
        return excluded(0, vec![], Exclusion::NoArrears);
    }
    if s.real_arrears.0 <= 0 {
        // docs/payments-and-technical-arrears.md: a payment already due will clear it; nothing for an officer to chase.
        let mut reasons = vec![];
        if let Some(r) = &s.technical_reason {
            reasons.push(format!("technical arrears only: {r}"));
        }
        return excluded(
            0,
            reasons,
            Exclusion::TechnicalOnly {
                reason: s.technical_reason.clone(),
            },
        );
    }

    let mut reasons: Vec<String> = vec![];
    // Events that need an officer whatever the arrears' level, with their points.
    let mut events: i64 = 0;
    let mut has_event = false;

    // Level and trend, in weeks' rent of real arrears (the rise over the trend window too).
    let trend_weeks = (policy.trend_days / 7).max(1);
    let (level, projected, rise) = match s.weeks_in_arrears_hundredths {
        Some(now) if s.weekly_charge.0 > 0 => {
            let then = facts
                .earlier
                .as_ref()
                .and_then(|e| e.weeks_in_arrears_hundredths)
                .unwrap_or(now);
            let rise = now - then;
            let projected = now + rise.max(0) * policy.horizon_weeks / trend_weeks;
            reasons.push(format!(
                "real arrears of {} ({} weeks' rent)",
                s.real_arrears,
                weeks(now)
            ));
            if rise > 0 && now > 0 {
                reasons.push(format!(
                    "arrears rose from {} to {} weeks in {} weeks",
                    weeks(then),
                    weeks(now),
                    trend_weeks
                ));
            } else if rise < 0 {
                reasons.push(format!(
                    "arrears fell from {} to {} weeks in {} weeks",
                    weeks(then),
                    weeks(now),
                    trend_weeks
                ));
            }
            if now < policy.notice_weeks_hundredths && projected >= policy.notice_weeks_hundredths {
                // When, at this pace, the notice level is reached.
                let per_week = rise / trend_weeks;
                if per_week > 0 {
                    let weeks_to = (policy.notice_weeks_hundredths - now + per_week - 1) / per_week;
                    reasons.push(format!(
                        "at this rate {} weeks' rent (the notice level) by {}",
                        weeks(policy.notice_weeks_hundredths),
                        fmt_date(today + Duration::weeks(weeks_to))
                    ));
                }
            }
            (now, projected, rise)
        }
        _ => {
            // No weekly charge (leasehold): judge the amount.
            reasons.push(format!("real arrears of {}", s.real_arrears));
            let as_if = if s.real_arrears >= policy.no_weekly_charge_min {
                policy.act_weeks_hundredths
            } else {
                0
            };
            (as_if, as_if, 0)
        }
    };

    // An irregular payer's arrears go up and down around a level the account usually sits at,
    // and come back towards it: a low day does not make the account safe, nor a high day a
    // lasting rise. Halfway between today's level and the usual one is what to expect; when
    // that is close to the notice level and a material sum is owed today, call before it gets
    // there. (On the benchmark the six-week rise alone did no better than chance here.)
    let expected = facts
        .usual
        .filter(|_| s.weekly_charge.0 > 0)
        .map(|usual| (usual, (level + usual) / 2));
    let near_usually = expected.filter(|(_, e)| {
        level < policy.act_weeks_hundredths
            && level > policy.material_weeks_hundredths
            && *e >= policy.usual_level_weeks_hundredths
    });
    if let Some((usual, _)) = near_usually {
        let peak = facts
            .recent_peak
            .filter(|(_, p)| *p >= policy.notice_weeks_hundredths)
            .map(|(on, p)| format!("; {} on {}", weeks(p), fmt_date(on)))
            .unwrap_or_default();
        reasons.push(format!(
            "usually {} weeks' rent behind (average over {} weeks{peak}): within reach of the \
             notice level",
            weeks(usual),
            policy.usual_weeks
        ));
    }

    if let Some(until) = facts.breathing_space {
        // docs/breathing-space.md#deadlines-move-to-8-weeks-after-it-ends: no step about the included debt while it lasts; deadlines resume after.
        let ending =
            until.filter(|u| (*u - today).num_days() <= policy.breathing_space_ending_days);
        match ending {
            Some(u) => {
                reasons.insert(
                    0,
                    format!(
                        "Breathing Space ends {} (in {}): plan the next contact",
                        fmt_date(u),
                        days_phrase((u - today).num_days())
                    ),
                );
                events += 100;
                has_event = true;
            }
            None => {
                // SI 2020/1311 reg 17(3): the landlord may ask for a review within 20 days
                // beginning with the day the moratorium started; said while that is open.
                let review_by = facts.breathing_space_review_by.filter(|r| today <= *r);
                let review = review_by
                    .map(|r| format!("; a review may be asked for until {}", fmt_date(r)))
                    .unwrap_or_default();
                reasons.insert(
                    0,
                    match until {
                        Some(u) => format!("in Breathing Space until {}{review}", fmt_date(u)),
                        None => format!("in Breathing Space{review}"),
                    },
                );
                return excluded(
                    projected,
                    reasons,
                    Exclusion::BreathingSpace { until, review_by },
                );
            }
        }
    }

    if facts.stage == Stage::NoticeServed {
        // docs/possession.md#notices: a NOSP lapses 12 months after the date it specifies, a section 8 notice
        // 12 months after service (which may be back-dated): the stored dates say which.
        // docs/breathing-space.md#deadlines-move-to-8-weeks-after-it-ends: a lapse date inside a Breathing Space moves to 8 weeks after it ends
        // (`None`: held open by one with no end yet).
        let (what, lapses) = match &facts.notice {
            Some(n) => (
                match n.kind {
                    NoticeKind::Nosp => "NOSP",
                    NoticeKind::Section8 => "section 8 notice",
                    NoticeKind::Introductory => "notice of proceedings",
                },
                n.lapses_on(&facts.breathing_spaces),
            ),
            None => (
                "notice",
                breathing_space_deadline(
                    add_months_clamped(facts.stage_since, policy.notice_valid_months),
                    &facts.breathing_spaces,
                ),
            ),
        };
        if let Some(lapses) = lapses
            && (lapses - today).num_days() <= policy.notice_expiry_warning_days
        {
            let left = (lapses - today).num_days();
            reasons.insert(
                0,
                if left >= 0 {
                    format!(
                        "{what} expires in {} ({})",
                        days_phrase(left),
                        fmt_date(lapses)
                    )
                } else {
                    format!("{what} expired on {}", fmt_date(lapses))
                },
            );
            events += 200;
            has_event = true;
        }
    }

    let mut plan_kept = None;
    if let Some(plan) = &facts.plan {
        match plan.state {
            PlanState::Broken => {
                let n = plan.missed_instalments.max(1);
                reasons.insert(
                    0,
                    format!(
                        "missed {n} instalment{} of the plan agreed {}",
                        if n == 1 { "" } else { "s" },
                        fmt_date(plan.agreed)
                    ),
                );
                events += policy.broken_plan_points * i64::from(n.min(3));
                has_event = true;
            }
            PlanState::PendingReview => {
                reasons.insert(0, "a proposed plan is waiting for review".into());
                events += 50;
                has_event = true;
            }
            PlanState::Kept { .. } => plan_kept = Some(plan.agreed),
        }
    }

    if let Some(change) = &facts.hb_change {
        reasons.push(change.clone());
        events += 100;
        has_event = true;
    }

    if let Some(claim) = facts.uc_claim
        && claim.first_payment_due >= today - Duration::days(7)
    {
        reasons.push(if claim.first_payment_due >= today {
            format!(
                "new UC claim, first payment due {}",
                fmt_date(claim.first_payment_due)
            )
        } else {
            format!(
                "new UC claim, first payment was due {}",
                fmt_date(claim.first_payment_due)
            )
        });
    }

    let since_contact = facts.last_contact.map(|d| (today - d).num_days());
    match since_contact {
        Some(d) if d >= policy.no_contact_days => {
            reasons.push(format!("no contact for {d} days"));
        }
        None => reasons.push("no contact recorded".into()),
        _ => {}
    }

    if facts.vulnerable {
        reasons.push("vulnerability recorded: check support needs before contact".into());
        events += 25;
    }

    // A kept plan that leaves the account at the notice level, or one missed week's rent short
    // of it: the notice is paused (docs/possession.md#default-local-policy), but one missed payment resumes it, so it
    // stays in view. The reason says whether the plan is working (docs/arrangements.md: clears within
    // the target).
    let plan_watched = plan_kept.filter(|_| {
        policy.watch_kept_plans_over_notice
            && s.weekly_charge.0 > 0
            && level + 100 >= policy.notice_weeks_hundredths
    });
    if let Some(agreed) = plan_watched {
        let fall_per_week = -rise / trend_weeks;
        let owed = if level >= policy.notice_weeks_hundredths {
            format!(
                "keeping to the plan agreed {}, but still {} weeks' rent owed (notice level {})",
                fmt_date(agreed),
                weeks(level),
                weeks(policy.notice_weeks_hundredths)
            )
        } else {
            format!(
                "keeping to the plan agreed {}, but {} weeks' rent owed: one missed week's rent \
                 takes it to the notice level ({})",
                fmt_date(agreed),
                weeks(level),
                weeks(policy.notice_weeks_hundredths)
            )
        };
        let to_clear = (fall_per_week > 0).then(|| (level + fall_per_week - 1) / fall_per_week);
        reasons.insert(
            0,
            match to_clear {
                None => format!("{owed}, and not coming down: review the instalment"),
                Some(n) if n > policy.plan_target_weeks => format!(
                    "{owed}: at this pace cleared in {n} weeks (target {}), review the instalment",
                    policy.plan_target_weeks
                ),
                Some(_) if level >= policy.notice_weeks_hundredths => {
                    format!("{owed}: a missed instalment resumes the notice")
                }
                Some(_) => owed,
            },
        );
    }

    let score = projected.max(expected.map_or(0, |(_, e)| e)).max(0) + events;
    let heading_for_notice = level >= policy.act_weeks_hundredths
        || projected >= policy.notice_weeks_hundredths
        || near_usually.is_some();
    if has_event || heading_for_notice {
        // A kept plan pauses escalation (docs/possession.md#default-local-policy), unless the arrears are climbing anyway
        // or the plan will not clear them in time.
        if let Some(agreed) = plan_kept
            && !has_event
            && projected <= level
            && plan_watched.is_none()
        {
            reasons.insert(
                0,
                format!("keeping to the plan agreed {}", fmt_date(agreed)),
            );
            return excluded(score, reasons, Exclusion::ArrangementKept { agreed });
        }
        return Assessment {
            score,
            needs_action_today: true,
            reasons,
            excluded: None,
        };
    }
    if let Some(agreed) = plan_kept {
        reasons.insert(
            0,
            format!("keeping to the plan agreed {}", fmt_date(agreed)),
        );
        return excluded(score, reasons, Exclusion::ArrangementKept { agreed });
    }
    if let (Some(d), Some(on)) = (since_contact, facts.last_contact)
        && d <= policy.recent_contact_days
        && projected <= level
    {
        reasons.insert(0, format!("contacted {} ago", days_phrase(d)));
        return excluded(score, reasons, Exclusion::ContactedRecently { on });
    }
    excluded(score, reasons, Exclusion::SmallAndStable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arrears::ArrearsStatus;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn today() -> NaiveDate {
        ymd(2026, 11, 23)
    }

    const WEEKLY: i64 = 10_000;

    /// An account owing `real` weeks (hundredths) of real arrears and `technical` pence more.
    fn summary(as_of: NaiveDate, real_h: i64, technical: i64) -> AccountSummary {
        let real = Pence(WEEKLY * real_h / 100);
        let arrears = real + Pence(technical);
        AccountSummary {
            as_of,
            balance: arrears,
            arrears,
            credit: Pence::ZERO,
            technical_arrears: Pence(technical),
            real_arrears: real,
            technical_reason: (technical > 0)
                .then(|| "Universal Credit housing payment of £433.33 due 12 Dec 2026".into()),
            weekly_charge: Pence(WEEKLY),
            weeks_in_arrears_hundredths: Some(real_h),
            status: if arrears.0 <= 0 {
                ArrearsStatus::Clear
            } else if real.0 <= 0 {
                ArrearsStatus::TechnicalOnly
            } else {
                ArrearsStatus::InArrears
            },
            last_payment: None,
            next_charge_date: None,
            expected_last_28_days: Pence::ZERO,
            received_last_28_days: Pence::ZERO,
            next_benefit_due: None,
        }
    }

    /// `then_h` weeks twelve weeks ago, `now_h` today, contacted three weeks ago, nothing else.
    fn facts(then_h: i64, now_h: i64) -> PriorityFacts {
        PriorityFacts {
            now: summary(today(), now_h, 0),
            earlier: Some(summary(today() - Duration::days(84), then_h, 0)),
            recent_peak: Some((today() - Duration::days(84), then_h.max(now_h))),
            recent_low: Some(then_h.min(now_h)),
            usual: None,
            plan: None,
            last_contact: Some(today() - Duration::days(20)),
            stage: Stage::None,
            stage_since: ymd(2026, 1, 5),
            notice: None,
            uc_claim: None,
            hb_change: None,
            vulnerable: false,
            breathing_space: None,
            breathing_space_review_by: None,
            breathing_spaces: vec![],
        }
    }

    fn run(f: &PriorityFacts) -> Assessment {
        let a = assess(f, &PriorityPolicy::default(), today());
        assert_eq!(a.needs_action_today, a.excluded.is_none(), "{a:?}");
        a
    }

    fn has(a: &Assessment, text: &str) -> bool {
        a.reasons.iter().any(|r| r.contains(text))
    }

    #[test]
    fn an_account_with_nothing_owed_is_left_off() {
        let a = run(&facts(0, 0));
        assert_eq!(a.excluded, Some(Exclusion::NoArrears));
    }

    #[test]
    fn technical_arrears_alone_never_reach_the_list_however_large() {
        let mut f = facts(0, 0);
        f.now = summary(today(), 0, 60_000); // six weeks' rent, all UC on its way
        f.uc_claim = Some(UcClaimFacts::new(ymd(2026, 11, 5)));
        let a = run(&f);
        assert_eq!(
            a.excluded,
            Some(Exclusion::TechnicalOnly {
                reason: Some("Universal Credit housing payment of £433.33 due 12 Dec 2026".into())
            })
        );
        assert!(has(&a, "technical arrears only: Universal Credit"));
        assert_eq!(a.excluded.unwrap().plain(), "in technical arrears only");
    }

    #[test]
    fn technical_arrears_are_discounted_from_the_level() {
        // 2 weeks real + 5 weeks technical ranks as 2 weeks, below the action level.
        let mut f = facts(200, 200);
        f.now = summary(today(), 200, 50_000);
        let a = run(&f);
        assert_eq!(a.excluded, Some(Exclusion::SmallAndStable));
        assert_eq!(a.score, 200);
    }

    #[test]
    fn real_arrears_at_the_action_level_need_action_with_their_amount() {
        let a = run(&facts(310, 310));
        assert!(a.needs_action_today);
        assert!(
            has(&a, "real arrears of £310.00 (3.1 weeks' rent)"),
            "{a:?}"
        );
    }

    #[test]
    fn rising_arrears_are_projected_and_explained() {
        // Changed with the twelve-week trend (was 2.1 → 2.8 in six weeks): 1.4 → 2.8 weeks in
        // 12 weeks, 4.2 weeks in another 12 at that pace.
        let a = run(&facts(140, 280));
        assert!(a.needs_action_today, "{a:?}");
        assert_eq!(a.score, 280 + 140);
        assert!(has(&a, "arrears rose from 1.4 to 2.8 weeks in 12 weeks"));
        // 11 hundredths a week: 1.2 weeks to go take 11 more weeks.
        assert!(has(
            &a,
            "at this rate 4.0 weeks' rent (the notice level) by 8 Feb"
        ));
        // Level with twelve weeks ago, whatever it did in between: no trend to project.
        let a = run(&facts(280, 280));
        assert_eq!(a.excluded, Some(Exclusion::SmallAndStable));
    }

    #[test]
    fn falling_arrears_below_the_action_level_are_small_and_stable() {
        let a = run(&facts(290, 150));
        assert_eq!(a.excluded, Some(Exclusion::SmallAndStable));
        assert!(has(&a, "arrears fell from 2.9 to 1.5 weeks in 12 weeks"));
    }

    #[test]
    fn a_broken_arrangement_needs_action_and_says_how_many_instalments() {
        let mut f = facts(100, 120);
        f.plan = Some(PlanFacts {
            agreed: ymd(2026, 10, 3),
            state: PlanState::Broken,
            missed_instalments: 2,
        });
        let a = run(&f);
        assert!(a.needs_action_today);
        assert_eq!(
            a.reasons[0],
            "missed 2 instalments of the plan agreed 3 Oct"
        );
        // 1.0 → 1.2 weeks in 12 weeks: 1.4 in another 12, plus two missed instalments.
        assert_eq!(a.score, 140 + 100);
    }

    #[test]
    fn a_kept_arrangement_pauses_the_list_when_a_missed_week_would_not_reach_the_notice_level() {
        // Changed: this was 3.5 weeks, over the action level, and paused; a kept plan one
        // missed week's rent from the notice level is now watched (the next test). 2.5 weeks,
        // coming down, and usually about there: paused.
        let mut f = facts(280, 250);
        f.usual = Some(270);
        f.plan = Some(kept_plan());
        let a = run(&f);
        assert_eq!(
            a.excluded,
            Some(Exclusion::ArrangementKept {
                agreed: ymd(2026, 6, 1)
            })
        );
        assert_eq!(a.reasons[0], "keeping to the plan agreed 1 Jun");
        // …unless the arrears climb anyway.
        f.earlier = Some(summary(today() - Duration::days(84), 100, 0));
        assert!(run(&f).needs_action_today);
    }

    #[test]
    fn a_kept_plan_one_missed_week_from_the_notice_level_stays_in_view() {
        // 3.5 weeks, coming down on course: one missed week's rent takes it to 4.5.
        let mut f = facts(500, 350);
        f.plan = Some(kept_plan());
        let a = run(&f);
        assert!(a.needs_action_today, "{a:?}");
        assert_eq!(
            a.reasons[0],
            "keeping to the plan agreed 1 Jun, but 3.5 weeks' rent owed: one missed week's rent \
             takes it to the notice level (4.0)"
        );
        // Just under three weeks: a missed week leaves it short of the notice level.
        f.now = summary(today(), 290, 0);
        assert!(matches!(
            run(&f).excluded,
            Some(Exclusion::ArrangementKept { .. })
        ));
        // Not coming down at all: the instalment needs a look too.
        f.now = summary(today(), 350, 0);
        f.earlier = Some(summary(today() - Duration::days(84), 350, 0));
        assert!(run(&f).reasons[0].ends_with("(4.0), and not coming down: review the instalment"));
    }

    fn kept_plan() -> PlanFacts {
        PlanFacts {
            agreed: ymd(2026, 6, 1),
            state: PlanState::Kept {
                next_due: Some(ymd(2026, 11, 30)),
                amount: Pence(11_000),
            },
            missed_instalments: 0,
        }
    }

    #[test]
    fn a_kept_plan_still_over_the_notice_level_stays_in_view_saying_whether_it_works() {
        // 6.5 → 5.5 weeks in 12 weeks: 8 hundredths a week, cleared in 69 weeks.
        let mut f = facts(650, 550);
        f.plan = Some(kept_plan());
        let a = run(&f);
        assert!(a.needs_action_today, "{a:?}");
        assert_eq!(
            a.reasons[0],
            "keeping to the plan agreed 1 Jun, but still 5.5 weeks' rent owed (notice level \
             4.0): a missed instalment resumes the notice"
        );
        // Too slow for the 104-week target (docs/arrangements.md#the-plan-policy-a-floor-and-a-target-to-clear-the-arrears).
        f.earlier = Some(summary(today() - Duration::days(84), 570, 0));
        assert_eq!(
            run(&f).reasons[0],
            "keeping to the plan agreed 1 Jun, but still 5.5 weeks' rent owed (notice level \
             4.0): at this pace cleared in 550 weeks (target 104), review the instalment"
        );
        f.earlier = Some(summary(today() - Duration::days(84), 550, 0));
        assert!(run(&f).reasons[0].ends_with("and not coming down: review the instalment"));
        // A council that prefers the pause to hold counts them off.
        let policy = PriorityPolicy {
            watch_kept_plans_over_notice: false,
            ..PriorityPolicy::default()
        };
        assert!(matches!(
            assess(&f, &policy, today()).excluded,
            Some(Exclusion::ArrangementKept { .. })
        ));
    }

    #[test]
    fn arrears_usually_near_the_notice_level_need_a_call_on_a_low_day() {
        // Replaces the "swung to the notice level in the last 12 weeks" rule: 1.5 weeks today,
        // but 3.3 on average over 26 weeks: 2.4 expected, within reach of the notice level.
        let mut f = facts(150, 150);
        f.usual = Some(330);
        f.recent_peak = Some((ymd(2026, 10, 12), 420));
        let a = run(&f);
        assert!(a.needs_action_today, "{a:?}");
        assert!(has(
            &a,
            "usually 3.3 weeks' rent behind (average over 26 weeks; 4.2 on 12 Oct): within \
             reach of the notice level"
        ));
        assert_eq!(a.score, 240);
        // A peak short of the notice level is not named.
        f.recent_peak = Some((ymd(2026, 10, 12), 390));
        assert!(has(
            &run(&f),
            "usually 3.3 weeks' rent behind (average over 26 weeks): within reach"
        ));
        // Usually lower: 2.35 expected, left for now…
        f.usual = Some(320);
        assert_eq!(run(&f).excluded, Some(Exclusion::SmallAndStable));
        // …and a week's rent or less owed today is not material, however high it usually is.
        f.usual = Some(450);
        f.now = summary(today(), 100, 0);
        assert_eq!(run(&f).excluded, Some(Exclusion::SmallAndStable));
        // A newer tenancy has no usual level: today's level alone.
        f.usual = None;
        f.now = summary(today(), 290, 0);
        f.earlier = Some(summary(today() - Duration::days(84), 290, 0));
        assert_eq!(run(&f).excluded, Some(Exclusion::SmallAndStable));
    }

    #[test]
    fn a_proposed_plan_waiting_for_review_needs_action() {
        let mut f = facts(100, 100);
        f.plan = Some(PlanFacts {
            agreed: ymd(2026, 11, 20),
            state: PlanState::PendingReview,
            missed_instalments: 0,
        });
        let a = run(&f);
        assert!(a.needs_action_today);
        assert_eq!(a.reasons[0], "a proposed plan is waiting for review");
    }

    #[test]
    fn a_new_uc_claim_is_named_with_its_first_payment_date() {
        let mut f = facts(250, 320);
        f.uc_claim = Some(UcClaimFacts::new(ymd(2026, 11, 6)));
        let a = run(&f);
        assert!(a.needs_action_today);
        assert!(has(&a, "new UC claim, first payment due 12 Dec"), "{a:?}");
        // An old claim is not news.
        f.uc_claim = Some(UcClaimFacts::new(ymd(2025, 3, 6)));
        assert!(!has(&run(&f), "UC claim"));
    }

    #[test]
    fn housing_benefit_that_stopped_needs_action() {
        let mut f = facts(50, 50);
        f.hb_change = Some("Housing Benefit of £400.00 due 16 Nov 2026 has not arrived".into());
        let a = run(&f);
        assert!(a.needs_action_today);
        assert!(has(&a, "has not arrived"));
    }

    #[test]
    fn days_without_contact_are_counted_and_no_contact_at_all_is_said() {
        let mut f = facts(350, 350);
        f.last_contact = Some(today() - Duration::days(35));
        assert!(has(&run(&f), "no contact for 35 days"));
        f.last_contact = None;
        assert!(has(&run(&f), "no contact recorded"));
        f.last_contact = Some(today() - Duration::days(3));
        let a = run(&f);
        assert!(!has(&a, "no contact"));
    }

    #[test]
    fn recently_contacted_and_not_falling_behind_is_left_for_now() {
        let mut f = facts(250, 240);
        f.last_contact = Some(today() - Duration::days(5));
        let a = run(&f);
        assert_eq!(
            a.excluded,
            Some(Exclusion::ContactedRecently {
                on: today() - Duration::days(5)
            })
        );
        assert_eq!(a.reasons[0], "contacted 5 days ago");
    }

    #[test]
    fn a_nosp_about_to_lapse_needs_action_with_the_days_left() {
        use crate::possession::protocol::{ServiceMethod, notice_dates};
        let mut f = facts(200, 200);
        f.stage = Stage::NoticeServed;
        // Served by hand on Wednesday 5 Nov 2025: proceedings from Sunday 7 Dec 2025 (4 weeks,
        // then the end of a rent week), so it lapses on 7 Dec 2026, not 12 months after service.
        f.stage_since = ymd(2025, 11, 5);
        f.notice = Some(notice_dates(
            NoticeKind::Nosp,
            crate::possession::protocol::tests::noon(ymd(2025, 11, 5)),
            ServiceMethod::Hand,
            &crate::possession::protocol::NoticeRules::default(),
        ));
        assert_eq!(f.notice.as_ref().unwrap().expires, ymd(2026, 12, 7));
        let a = run(&f);
        assert!(a.needs_action_today);
        assert_eq!(a.reasons[0], "NOSP expires in 14 days (7 Dec)");
        // Months away: no hurry from the notice.
        f.notice = Some(notice_dates(
            NoticeKind::Nosp,
            crate::possession::protocol::tests::noon(ymd(2026, 6, 1)),
            ServiceMethod::Hand,
            &crate::possession::protocol::NoticeRules::default(),
        ));
        assert_eq!(run(&f).excluded, Some(Exclusion::SmallAndStable));
    }

    #[test]
    fn a_section_8_notice_lapses_12_months_after_its_back_dated_service() {
        use crate::possession::protocol::{ServiceMethod, notice_dates};
        let mut f = facts(200, 200);
        f.stage = Stage::NoticeServed;
        // Handed over on 1 Dec 2025 but recorded on 10 Dec: it lapses on 1 Dec 2026.
        f.stage_since = ymd(2025, 12, 10);
        f.notice = Some(notice_dates(
            NoticeKind::Section8,
            crate::possession::protocol::tests::noon(ymd(2025, 12, 1)),
            ServiceMethod::Hand,
            &crate::possession::protocol::NoticeRules::default(),
        ));
        let a = run(&f);
        assert!(a.needs_action_today);
        assert_eq!(a.reasons[0], "section 8 notice expires in 8 days (1 Dec)");
        // Lapsed: said so.
        f.notice = Some(notice_dates(
            NoticeKind::Section8,
            crate::possession::protocol::tests::noon(ymd(2025, 11, 20)),
            ServiceMethod::Hand,
            &crate::possession::protocol::NoticeRules::default(),
        ));
        assert_eq!(run(&f).reasons[0], "section 8 notice expired on 20 Nov");
    }

    #[test]
    fn a_notice_lapsing_inside_a_breathing_space_expires_8_weeks_after_it_ends() {
        use crate::possession::protocol::{ServiceMethod, notice_dates};
        let mut f = facts(200, 200);
        f.stage = Stage::NoticeServed;
        f.stage_since = ymd(2025, 12, 1);
        // Would lapse on 1 Dec 2026.
        f.notice = Some(notice_dates(
            NoticeKind::Section8,
            crate::possession::protocol::tests::noon(ymd(2025, 12, 1)),
            ServiceMethod::Hand,
            &crate::possession::protocol::NoticeRules::default(),
        ));
        f.breathing_spaces = vec![(ymd(2026, 10, 1), Some(ymd(2026, 11, 20)))];
        // 1 Dec is within 8 weeks after 20 Nov: it lapses on 15 Jan 2027, not in 8 days.
        assert!(!has(&run(&f), "expires"));
        let mut later = f.clone();
        later.breathing_spaces = vec![(ymd(2026, 10, 1), Some(ymd(2026, 10, 1)))];
        // Ended on 1 Oct: 8 weeks after is 26 Nov, so 1 Dec is unchanged.
        assert_eq!(
            run(&later).reasons[0],
            "section 8 notice expires in 8 days (1 Dec)"
        );
        // Without dates, the stage's 12 months move the same way.
        let mut undated = facts(200, 200);
        undated.stage = Stage::NoticeServed;
        undated.stage_since = ymd(2025, 12, 2);
        undated.breathing_spaces = vec![(ymd(2026, 11, 1), None)];
        assert!(!has(&run(&undated), "expires"));
    }

    #[test]
    fn an_on_hold_breathing_space_says_until_when_a_review_may_be_asked_for() {
        let mut f = facts(500, 600);
        f.breathing_space = Some(Some(ymd(2027, 1, 10)));
        f.breathing_space_review_by = Some(ymd(2026, 12, 3));
        let a = run(&f);
        assert_eq!(
            a.excluded,
            Some(Exclusion::BreathingSpace {
                until: Some(ymd(2027, 1, 10)),
                review_by: Some(ymd(2026, 12, 3)),
            })
        );
        assert_eq!(
            a.reasons[0],
            "in Breathing Space until 10 Jan; a review may be asked for until 3 Dec"
        );
        // Once the 20 days have passed, no more.
        f.breathing_space_review_by = Some(ymd(2026, 11, 22));
        let a = run(&f);
        assert_eq!(a.reasons[0], "in Breathing Space until 10 Jan");
        assert_eq!(
            a.excluded,
            Some(Exclusion::BreathingSpace {
                until: Some(ymd(2027, 1, 10)),
                review_by: None,
            })
        );
    }

    #[test]
    fn a_notice_without_stored_dates_is_taken_to_lapse_12_months_after_the_stage_began() {
        let mut f = facts(200, 200);
        f.stage = Stage::NoticeServed;
        f.stage_since = ymd(2025, 12, 2);
        let a = run(&f);
        assert!(a.needs_action_today);
        assert_eq!(a.reasons[0], "notice expires in 9 days (2 Dec)");
    }

    #[test]
    fn breathing_space_is_counted_off_the_list_until_it_is_about_to_end() {
        let mut f = facts(500, 600);
        f.breathing_space = Some(Some(ymd(2027, 1, 10)));
        let a = run(&f);
        assert_eq!(
            a.excluded,
            Some(Exclusion::BreathingSpace {
                until: Some(ymd(2027, 1, 10)),
                review_by: None,
            })
        );
        assert_eq!(a.reasons[0], "in Breathing Space until 10 Jan");
        f.breathing_space = Some(Some(ymd(2026, 12, 1)));
        let a = run(&f);
        assert!(a.needs_action_today);
        assert_eq!(
            a.reasons[0],
            "Breathing Space ends 1 Dec (in 8 days): plan the next contact"
        );
    }

    #[test]
    fn vulnerability_is_shown_and_raises_the_score_a_little() {
        let mut f = facts(350, 350);
        let plain = run(&f).score;
        f.vulnerable = true;
        let a = run(&f);
        assert!(has(&a, "vulnerability recorded"));
        assert_eq!(a.score, plain + 25);
    }

    #[test]
    fn a_closed_case_is_left_off() {
        let mut f = facts(500, 500);
        f.stage = Stage::Closed;
        assert_eq!(run(&f).excluded, Some(Exclusion::Closed));
    }

    #[test]
    fn an_account_without_weekly_rent_is_judged_by_the_amount() {
        let mut f = facts(0, 0);
        let mut s = summary(today(), 0, 0);
        s.weekly_charge = Pence::ZERO;
        s.weeks_in_arrears_hundredths = None;
        s.real_arrears = Pence(60_000);
        s.arrears = Pence(60_000);
        f.now = s;
        f.earlier = None;
        let a = run(&f);
        assert!(a.needs_action_today);
        assert_eq!(a.reasons[0], "real arrears of £600.00");
    }

    #[test]
    fn recent_levels_read_the_peak_window_and_average_only_a_whole_usual_window() {
        let policy = PriorityPolicy {
            peak_weeks: 2,
            usual_weeks: 3,
            ..PriorityPolicy::default()
        };
        let days = recent_weeks(today(), &policy);
        assert_eq!(days.len(), 3);
        let weekly: Vec<(NaiveDate, i64)> = days.iter().copied().zip([100, 300, 500]).collect();
        let r = recent_levels(Some(200), &weekly, today(), &policy);
        assert_eq!(r.peak, Some((days[1], 300)));
        assert_eq!(r.low, Some(100));
        assert_eq!(r.usual, Some((200 + 100 + 300 + 500) / 4));
        // A tenancy younger than the window: no usual level.
        assert_eq!(
            recent_levels(Some(200), &weekly[..2], today(), &policy).usual,
            None
        );
    }

    #[test]
    fn higher_arrears_score_higher() {
        assert!(run(&facts(500, 500)).score > run(&facts(350, 350)).score);
    }
}
