//! Court, orders, warrant (docs/possession.md#court-orders-and-warrants and the default local policy):
//! what an officer records about a hearing and an order, whether the tenant keeps to an order's
//! terms (from the ledger, like an arrangement's adherence), and what the process does after
//! the court has decided.
//!
//! - **Outright**: possession on a date; after it a warrant (N325) may be applied for.
//! - **Suspended**: a date fixed but not enforced while the terms (e.g. rent + £x/week) are kept;
//!   a breach first leads to a visit (local policy), then a warrant application (N325A).
//! - **Postponed**: no date; on breach (after the visit) the landlord applies to fix a date,
//!   and only then can a warrant follow.
//! - **Adjourned on terms**: no order yet; on breach (after the visit) the landlord asks the
//!   court to restore the claim for a hearing.
//! - **Dismissed**: the claim ends.
//!
//! A tenant keeping to the terms of a suspended or postponed order is never shown as due a
//! warrant.

use crate::Pence;
use crate::arrangements::{Instalment, InstalmentStatus, allocate, schedule_dates, weekly_charges};
use crate::ledger::LedgerEntry;
use crate::possession::order::{CourtOrder, OrderKind, OrderTerms};
use crate::possession::protocol::{Ground8, NoticeDates, grounds_label, parse_grounds};
use crate::possession::types::{Ground, NoticeKind};
use crate::tenancy::Frequency;
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// The terms as the officer typed them, before checking.
#[derive(Debug, Clone, Default)]
pub struct TermsInput<'a> {
    pub towards_arrears_pence: Option<i64>,
    pub frequency: Option<&'a str>,
    pub from: Option<NaiveDate>,
}

/// Check an order's type, possession date and terms together; every problem is named by its
/// field (`order_type`, `possession_date`, `terms`, `terms.frequency`, …).
pub fn parse_order(
    order_type: Option<&str>,
    possession_date: Option<NaiveDate>,
    terms: Option<TermsInput<'_>>,
) -> Result<CourtOrder, Vec<(String, String)>> {
    let mut errors: Vec<(String, String)> = vec![];
    let one_of = || {
        format!(
            "required for an order: one of {}",
            OrderKind::ALL
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let Some(kind) = order_type.and_then(OrderKind::parse) else {
        errors.push(("order_type".into(), one_of()));
        return Err(errors);
    };
    match (kind, possession_date) {
        (OrderKind::Outright | OrderKind::Suspended, None) => errors.push((
            "possession_date".into(),
            "required for an outright or suspended order: the date for possession".into(),
        )),
        (OrderKind::Adjourned | OrderKind::Dismissed, Some(_)) => errors.push((
            "possession_date".into(),
            format!("an {} claim has no date for possession", kind.as_str()),
        )),
        _ => {}
    }
    let terms = match (kind.has_terms(), terms) {
        (true, None) => {
            errors.push((
                "terms".into(),
                format!(
                    "required for a {} order: the current rent plus how much towards the \
                     arrears, how often, from when",
                    kind.as_str()
                ),
            ));
            None
        }
        (false, Some(_)) => {
            errors.push((
                "terms".into(),
                format!("an {} order has no terms", kind.as_str()),
            ));
            None
        }
        (false, None) => None,
        (true, Some(t)) => {
            let frequency = t.frequency.and_then(|f| f.parse::<Frequency>().ok());
            if frequency.is_none() {
                errors.push((
                    "terms.frequency".into(),
                    "weekly, fortnightly, four_weekly or monthly".into(),
                ));
            }
            match t.towards_arrears_pence {
                None => errors.push((
                    "terms.towards_arrears_pence".into(),
                    "required: what is paid towards the arrears on top of the rent".into(),
                )),
                Some(p) if p < 0 => errors.push((
                    "terms.towards_arrears_pence".into(),
                    "must not be negative".into(),
                )),
                Some(_) => {}
            }
            if t.from.is_none() {
                errors.push((
                    "terms.from".into(),
                    "required: the date of the first payment under the order".into(),
                ));
            }
            match (frequency, t.towards_arrears_pence, t.from) {
                (Some(frequency), Some(p), Some(from)) if p >= 0 => Some(OrderTerms {
                    towards_arrears: Pence(p),
                    frequency,
                    from,
                }),
                _ => None,
            }
        }
    };
    if errors.is_empty() {
        Ok(CourtOrder {
            kind,
            possession_date,
            terms,
            grounds: vec![],
            ordered_on: None,
        })
    } else {
        Err(errors)
    }
}

/// The ground(s) a possession order is made on, from what the officer typed (`given`) and the
/// notice the claim rests on (`notice`: the one on record; `notice_kind`: the kind the tenure
/// gets, when no notice with its details is on record). A NOSP: ground 1 (the default). A
/// section 8 notice: one or more of the grounds it gave, required. An introductory tenancy, and
/// a claim adjourned or dismissed (no possession order): none. The error is the `grounds`
/// field's reason.
pub fn order_grounds(
    kind: OrderKind,
    given: Option<&[u8]>,
    notice_kind: Option<NoticeKind>,
    notice: Option<&NoticeDates>,
) -> Result<Vec<Ground>, String> {
    if matches!(kind, OrderKind::Adjourned | OrderKind::Dismissed) {
        return match given {
            Some(g) if !g.is_empty() => Err(format!(
                "an {} claim has no possession order, so no ground",
                kind.as_str()
            )),
            _ => Ok(vec![]),
        };
    }
    let notice_kind = notice.map(|n| n.kind).or(notice_kind);
    let Some(notice_kind) = notice_kind else {
        return match given {
            Some(g) if !g.is_empty() => {
                Err("no possession notice applies to this account, so no ground".into())
            }
            _ => Ok(vec![]),
        };
    };
    // The grounds the notice gave; without its details on record, those a notice of its kind
    // can give.
    let gave = notice.map_or_else(
        || Ground::for_notice(notice_kind).to_vec(),
        NoticeDates::grounds_given,
    );
    let what = crate::possession::protocol::notice_kind_label(notice_kind);
    match (notice_kind, given) {
        (NoticeKind::Nosp, None) => Ok(vec![Ground::G1]),
        (NoticeKind::Introductory, None) => Ok(vec![]),
        (NoticeKind::Section8, None | Some([])) => Err(format!(
            "required for a possession order on a {what}: the ground(s) the court ordered \
             possession on, of those the notice gave ({})",
            grounds_label(&gave)
        )),
        (_, Some(given)) => {
            let grounds = parse_grounds(given, Ground::for_notice(notice_kind), what)?;
            if let Some(g) = grounds.iter().find(|g| !gave.contains(g)) {
                return Err(format!(
                    "the notice did not give ground {}: it gave {}",
                    g.number(),
                    grounds_label(&gave)
                ));
            }
            if grounds.is_empty() && notice_kind == NoticeKind::Nosp {
                return Ok(vec![Ground::G1]);
            }
            Ok(grounds)
        }
    }
}

/// Days the court normally gives before possession on a mandatory ground, and the most it may
/// (Housing Act 1980 s89: 14 days, up to 42 on exceptional hardship; docs/possession.md#court-orders-and-warrants).
pub const MANDATORY_NORMAL_DAYS: i64 = 14;
pub const MANDATORY_MAX_DAYS: i64 = 42;

/// An order on ground 8 (mandatory): the court cannot suspend or postpone it, and possession
/// is delayed at most 42 days after the order (docs/possession.md#court-orders-and-warrants). Every problem by its field.
pub fn mandatory_ground_rules(order: &CourtOrder, ordered_on: NaiveDate) -> Vec<(String, String)> {
    let mut out = vec![];
    if !order.grounds.iter().any(|g| g.is_mandatory()) {
        return out;
    }
    if order.kind != OrderKind::Outright {
        out.push((
            "order_type".into(),
            format!(
                "an order on ground 8 (mandatory) is outright: the court cannot make a {} order \
                 on it",
                order.kind.as_str()
            ),
        ));
    }
    let latest = ordered_on + Duration::days(MANDATORY_MAX_DAYS);
    if let Some(d) = order.possession_date.filter(|d| *d > latest) {
        out.push((
            "possession_date".into(),
            format!(
                "{} is more than {MANDATORY_MAX_DAYS} days after the order of {}: on ground 8 \
                 possession is normally {MANDATORY_NORMAL_DAYS} days after the order and at \
                 most {MANDATORY_MAX_DAYS} (by {})",
                fmt_date(d),
                fmt_date(ordered_on),
                fmt_date(latest)
            ),
        ));
    }
    out
}

/// Ground 8 checked again at the hearing (docs/possession.md#court-orders-and-warrants: "both at notice and hearing"): for a
/// section 8 notice that gave ground 8, whether it is available on the rent arrears
/// ([`crate::arrears::rent_arrears`] of the hearing date, or today's before it) under the notice's regime, with the same
/// rule the notice used ([`crate::possession::protocol::ground_8_for`]), against `rent`, the
/// rent in force that day. `None` when the notice gave no ground 8.
pub fn ground_8_at_hearing(
    notice: &NoticeDates,
    arrears: &crate::arrears::RentArrears,
    rent: &crate::rent::RentChange,
) -> Option<Ground8> {
    (notice.kind == NoticeKind::Section8 && notice.grounds_given().contains(&Ground::G8))
        .then(|| crate::possession::protocol::ground_8_for(notice.regime, arrears, rent))
}

/// An order on ground 8 when ground 8 did not hold on the hearing date (`at_hearing`, from
/// [`ground_8_at_hearing`] on that day's arrears) is refused, naming the figures.
pub fn ground_8_held_at_hearing(
    order: &CourtOrder,
    at_hearing: &Ground8,
    hearing_on: NaiveDate,
) -> Option<(String, String)> {
    (order.grounds.contains(&Ground::G8) && !at_hearing.available).then(|| {
        (
            "grounds".into(),
            format!(
                "ground 8 did not hold at the hearing on {}: arrears counted {} against {} \
                 ({}). {}",
                fmt_date(hearing_on),
                at_hearing.counted,
                at_hearing.threshold,
                at_hearing.threshold_words(),
                at_hearing.reason
            ),
        )
    })
}

/// The day an order was made against the hearing it was made at: an order made before its
/// hearing is a mistyped date (the `ordered_on` field's reason). Without a hearing on record,
/// any day.
pub fn check_order_date(
    hearing_on: Option<NaiveDate>,
    ordered_on: NaiveDate,
) -> Result<(), String> {
    match hearing_on {
        Some(h) if ordered_on < h => Err(format!(
            "is before the hearing on {}: the court makes its order at or after the hearing",
            fmt_date(h)
        )),
        _ => Ok(()),
    }
}

/// Days after the claim is issued the hearing should be: at least 28, normally within 8 weeks
/// (docs/possession.md#court-orders-and-warrants).
pub const HEARING_MIN_DAYS: i64 = 28;
pub const HEARING_NORMAL_MAX_DAYS: i64 = 56;

/// A hearing date against the court application's (`applied_on`): before it is refused (the
/// `hearing_on` field's reason); fewer than 28 days or more than 8 weeks after it is accepted
/// (the court sets the date) with a plain-words warning.
pub fn check_hearing_date(
    applied_on: Option<NaiveDate>,
    hearing_on: NaiveDate,
) -> Result<Vec<String>, String> {
    let Some(applied) = applied_on else {
        return Ok(vec![]);
    };
    if hearing_on < applied {
        return Err(format!(
            "is before the court application of {}: a hearing follows the claim",
            fmt_date(applied)
        ));
    }
    let days = (hearing_on - applied).num_days();
    let mut warnings = vec![];
    if days < HEARING_MIN_DAYS {
        warnings.push(format!(
            "The hearing on {} is only {days} days after the claim was issued on {}: a hearing \
             is normally at least {HEARING_MIN_DAYS} days after issue, and the claim must be \
             served at least 21 days before it. Check the date with the court.",
            fmt_date(hearing_on),
            fmt_date(applied)
        ));
    } else if days > HEARING_NORMAL_MAX_DAYS {
        warnings.push(format!(
            "The hearing on {} is {days} days after the claim was issued on {}: a hearing is \
             normally within 8 weeks of issue. Check the date with the court.",
            fmt_date(hearing_on),
            fmt_date(applied)
        ));
    }
    Ok(warnings)
}

/// Payments under an order's terms, per instalment. Each instalment is the rent and service
/// charges posted for the period it starts (rent is charged in advance; a rent-free week asks
/// for nothing) plus the amount towards the arrears. What counts as paid: the tenant's own
/// payments and the benefit system's (HB, UC paid to the landlord, DWP deductions: the order
/// is about the rent being paid, whoever pays it) since the first payment date, plus
/// `technical_arrears` (a benefit payment due but not yet arrived is not the tenant's breach,
/// docs/payments-and-technical-arrears.md). Allocated oldest instalment first; one not covered `grace_days` after its
/// date is missed, as for an arrangement (`arrangements::adherence`).
pub fn terms_adherence(
    terms: &OrderTerms,
    entries: &[LedgerEntry],
    technical_arrears: Pence,
    today: NaiveDate,
    grace_days: u32,
) -> Vec<Instalment> {
    // A payment up to three days early counts for the first instalment (as for arrangements).
    let mut pool = -entries
        .iter()
        .filter(|e| {
            (e.kind.is_tenant_payment() || e.kind.is_benefit_credit())
                && e.posted_on >= terms.from - Duration::days(3)
                && e.posted_on <= today
        })
        .map(|e| e.amount)
        .sum::<Pence>()
        + technical_arrears.max(Pence::ZERO);
    let charges = weekly_charges(entries);
    let dates = schedule_dates(
        terms.from,
        terms.frequency,
        terms.from,
        today + Duration::days(62),
    );
    let due_now = dates.iter().take_while(|d| **d <= today).count();
    dates
        .iter()
        .enumerate()
        .take(due_now)
        .map(|(i, &due)| {
            let next = dates.get(i + 1).copied().unwrap_or(due + Duration::days(7));
            let rent = charges
                .range(due..next)
                .map(|(_, amount)| *amount)
                .sum::<Pence>();
            allocate(
                &mut pool,
                due,
                rent + terms.towards_arrears,
                today,
                grace_days,
            )
        })
        .collect()
}

/// Whether a diary action is the visit or contact the policy asks for after a breach: any
/// visit (even with no access: a card left is the visit), or a call that reached the tenant.
pub fn is_visit_or_contact(kind: &str, outcome: Option<&str>) -> bool {
    match kind {
        "visit" => true,
        "call" => matches!(
            outcome,
            Some("answered" | "promise_to_pay" | "arrangement_agreed" | "refused")
        ),
        _ => false,
    }
}

/// What the escalation rules know about the court stage of a case.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CourtFacts {
    /// The hearing date recorded with the latest hearing step.
    pub hearing_on: Option<NaiveDate>,
    /// The latest order recorded (None: none, or recorded without its details).
    pub order: Option<CourtOrder>,
    /// Instalments due so far under the order's terms ([`terms_adherence`]).
    pub instalments: Vec<Instalment>,
    /// The latest visit or contact with the tenant ([`is_visit_or_contact`]).
    pub last_contact: Option<NaiveDate>,
    /// The day the latest written notice of intention to apply to fix a date for possession
    /// was given (deemed served), when one is recorded ([`OrderStep::FixDateNotice`]).
    #[serde(default)]
    pub fix_date_notice_on: Option<NaiveDate>,
    /// The day the latest application to fix a date for possession was recorded.
    #[serde(default)]
    pub fix_date_applied_on: Option<NaiveDate>,
    /// The day the officer last recorded telling the court of a Breathing Space
    /// ([`OrderStep::CourtToldOfBreathingSpace`]; SI 2020/1311 reg 10).
    #[serde(default)]
    pub told_of_breathing_space_on: Option<NaiveDate>,
}

/// PD 55A para 10 (postponed possession orders): before applying to fix the date for
/// possession after a breach of the order's payment terms, the landlord gives the tenant
/// written notice of the intention to apply, **at least 14 days and not more than 3 months**
/// before the application (para 10.3). CPR 2.8: a period expressed in days is of clear days,
/// so neither the day the notice is given nor the day of the application counts: notice given
/// on day D allows the application from D + 15. The notice must itself be given after the
/// breach it describes.
pub const FIX_DATE_NOTICE_CLEAR_DAYS: i64 = 14;
/// The most months the notice may be given before the application (PD 55A para 10.3).
pub const FIX_DATE_NOTICE_MAX_MONTHS: u32 = 3;

/// The steps after a postponed order is breached that are not stages (diary actions of kind
/// `order_step`): the written notice to the tenant, then the application to fix a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStep {
    /// Written notice of the intention to apply to fix a date (PD 55A para 10.3–10.4).
    FixDateNotice,
    /// The application to the court to fix the date for possession (PD 55A para 10.2).
    FixDateApplication,
    /// The court dealing with the possession claim was told that the tenant is in a Breathing
    /// Space (SI 2020/1311 reg 10: proceedings already under way when a moratorium starts).
    /// Its gates are [`crate::possession::next_step::tell_court_gates`], not [`order_step_gates`].
    CourtToldOfBreathingSpace,
}

impl OrderStep {
    pub const ALL: &'static [OrderStep] = &[
        OrderStep::FixDateNotice,
        OrderStep::FixDateApplication,
        OrderStep::CourtToldOfBreathingSpace,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStep::FixDateNotice => "fix_date_notice",
            OrderStep::FixDateApplication => "apply_to_fix_date",
            OrderStep::CourtToldOfBreathingSpace => "court_told_of_breathing_space",
        }
    }

    pub fn parse(s: &str) -> Option<OrderStep> {
        OrderStep::ALL.iter().copied().find(|o| o.as_str() == s)
    }

    pub fn describe(self) -> &'static str {
        match self {
            OrderStep::FixDateNotice => {
                "written notice to the tenant of the intention to apply to the court to fix a \
                 date for possession (PD 55A para 10.3)"
            }
            OrderStep::FixDateApplication => {
                "application to the court to fix a date for possession (PD 55A para 10.2)"
            }
            OrderStep::CourtToldOfBreathingSpace => {
                "the court was told that the tenant is in a Breathing Space (SI 2020/1311 reg 10)"
            }
        }
    }
}

/// The days on which the application to fix a date may be made after written notice given on
/// `given_on`: from 14 clear days after it to 3 months after it (PD 55A para 10.3, CPR 2.8).
pub fn fix_date_application_window(given_on: NaiveDate) -> (NaiveDate, NaiveDate) {
    (
        given_on + Duration::days(FIX_DATE_NOTICE_CLEAR_DAYS + 1),
        crate::calendar::add_months_clamped(given_on, FIX_DATE_NOTICE_MAX_MONTHS),
    )
}

/// What stands between the account and an order step today (empty = allowed). Both need a
/// postponed order with no date fixed yet whose payment terms are breached; the application
/// also needs the written notice, given after the breach, at least 14 clear days and not more
/// than 3 months before it (PD 55A para 10.3). Ids: `order_type`, `order_terms_kept`,
/// `fix_date_notice`, `fix_date_notice_period`, `fix_date_notice_expired`.
pub fn order_step_gates(
    step: OrderStep,
    court: &CourtFacts,
    today: NaiveDate,
) -> Vec<crate::possession::protocol::Missing> {
    use crate::possession::protocol::Missing;
    let missing = |id: &str, reason: String| Missing {
        id: id.into(),
        reason,
    };
    if step == OrderStep::CourtToldOfBreathingSpace {
        // Not a step after a postponed order: `possession::next_step::tell_court_gates` decides it.
        return vec![];
    }
    let mut out = vec![];
    let postponed = court
        .order
        .as_ref()
        .is_some_and(|o| o.kind == OrderKind::Postponed && o.possession_date.is_none());
    if !postponed {
        out.push(missing(
            "order_type",
            "only after a postponed order for possession with no date fixed yet (PD 55A \
             para 10.1)"
                .into(),
        ));
        return out;
    }
    let Some(first_missed) = court.missed().first().map(|i| i.due) else {
        out.push(missing(
            "order_terms_kept",
            "the tenant is keeping to the payment terms of the postponed order: a date can be \
             fixed only after a breach of them (PD 55A para 10.2)"
                .into(),
        ));
        return out;
    };
    if step == OrderStep::FixDateNotice {
        return out;
    }
    match court.fix_date_notice_on.filter(|g| *g >= first_missed) {
        None => out.push(missing(
            "fix_date_notice",
            format!(
                "give the tenant written notice of the intention to apply to fix a date, after \
                 the breach (the first payment missed was due {}), at least 14 clear days \
                 before applying (PD 55A para 10.3), and record it",
                fmt_date(first_missed)
            ),
        )),
        Some(given) => {
            let (from, until) = fix_date_application_window(given);
            if today < from {
                out.push(missing(
                    "fix_date_notice_period",
                    format!(
                        "the written notice was given on {}: the application may be made from \
                         {} (at least 14 clear days after it, PD 55A para 10.3 and CPR 2.8)",
                        fmt_date(given),
                        fmt_date(from)
                    ),
                ));
            } else if today > until {
                out.push(missing(
                    "fix_date_notice_expired",
                    format!(
                        "the written notice was given on {}, more than 3 months ago (the \
                         application had to be made by {}, PD 55A para 10.3): give a new one",
                        fmt_date(given),
                        fmt_date(until)
                    ),
                ));
            }
        }
    }
    out
}

impl CourtFacts {
    /// The instalments missed or part-paid after their grace days.
    pub fn missed(&self) -> Vec<&Instalment> {
        self.instalments
            .iter()
            .filter(|i| {
                matches!(
                    i.status,
                    InstalmentStatus::Missed | InstalmentStatus::PartPaid
                )
            })
            .collect()
    }

    /// The order has terms and an instalment under them is missed.
    pub fn terms_breached(&self) -> bool {
        self.order
            .as_ref()
            .is_some_and(|o| o.kind.has_terms() && o.terms.is_some())
            && !self.missed().is_empty()
    }
}

/// What the process does after the court has decided: the next stage (if the case moves on),
/// or an action within the stage (monitor the terms, visit, ask the court to fix a date).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AfterOrder {
    pub next_stage: Option<(crate::possession::types::Stage, NaiveDate, String)>,
    pub action: Option<crate::possession::types::Action>,
    pub paused_because: Option<String>,
    pub what_stops_it: Vec<String>,
    pub reasons: Vec<String>,
}

fn fmt_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

fn per(frequency: Frequency) -> &'static str {
    match frequency {
        Frequency::Weekly => "week",
        Frequency::Fortnightly => "fortnight",
        Frequency::FourWeekly => "four weeks",
        Frequency::Monthly => "month",
    }
}

/// A warrant after the payment terms of a suspended or postponed order are broken is asked for
/// on form N325A, with a statement of the payments due under the order and those made
/// (HMCTS, after Cardiff CC v Lee (Flowers) [2016] EWCA Civ 1034): the statement is
/// [`CourtFacts::instalments`], from the ledger since the order's first payment.
pub const N325A: &str =
    "form N325A, with a statement of the payments due under the order and the payments made";

/// The local policy after an order (docs/possession.md#court-orders-and-warrants): an outright order → a warrant once the
/// possession date has passed; terms kept → monitor them; terms breached → a visit or contact
/// first, then (suspended) a warrant application, (postponed) an application to fix a date,
/// (adjourned) an application to restore the claim.
pub fn after_order(court: &CourtFacts, today: NaiveDate) -> AfterOrder {
    use crate::possession::types::{Action, ActionKind, Stage};
    let mut out = AfterOrder {
        next_stage: None,
        action: None,
        paused_because: None,
        what_stops_it: vec![],
        reasons: vec![],
    };
    let Some(order) = &court.order else {
        out.reasons.push(
            "the order's type and terms are not recorded: record the order step with them".into(),
        );
        return out;
    };
    let kind = order.kind.as_str();
    out.reasons.push(format!("{kind} order"));
    let after_date = |d: NaiveDate| (d + Duration::days(1)).max(today);
    let warrant_from_date = |out: &mut AfterOrder, d: NaiveDate, form: &str| {
        out.reasons.push(format!("possession date {}", fmt_date(d)));
        out.next_stage = Some((
            Stage::Warrant,
            after_date(d),
            format!(
                "The court ordered possession on {}. After that date we may apply for a warrant \
                 for possession ({form}). You can still apply to the court (form N244) to \
                 suspend it.",
                fmt_date(d)
            ),
        ));
    };
    match order.kind {
        OrderKind::Dismissed => {
            out.reasons
                .push("the claim was dismissed: nothing follows from it".into());
            return out;
        }
        OrderKind::Outright => {
            if let Some(d) = order.possession_date {
                warrant_from_date(&mut out, d, "N325");
            }
            return out;
        }
        OrderKind::Suspended | OrderKind::Postponed | OrderKind::Adjourned => {}
    }
    let Some(terms) = &order.terms else {
        out.reasons
            .push("the order's terms are not recorded: record them".into());
        return out;
    };
    let terms_text = format!(
        "your rent plus {} a {} towards the arrears",
        terms.towards_arrears,
        per(terms.frequency)
    );
    let missed = court.missed();
    let Some(first) = missed.first() else {
        let next_due = crate::arrangements::schedule_dates(
            terms.from,
            terms.frequency,
            today,
            today + Duration::days(62),
        )
        .first()
        .copied();
        out.reasons.push(format!(
            "terms kept: {} payment{} due so far, none missed",
            court.instalments.len(),
            if court.instalments.len() == 1 {
                ""
            } else {
                "s"
            }
        ));
        out.paused_because = Some(
            "You are keeping to the terms of the court order, so we are not taking further \
             steps."
                .into(),
        );
        out.what_stops_it.push(match next_due {
            Some(d) => format!(
                "Keep to the court order: pay {terms_text}; the next payment is due {}.",
                fmt_date(d)
            ),
            None => format!("Keep to the court order: pay {terms_text}."),
        });
        out.action = Some(Action {
            kind: ActionKind::MonitorOrderTerms,
            earliest: today,
            description: format!(
                "We will check that the terms of the court order ({terms_text}) are kept."
            ),
        });
        return out;
    };
    out.reasons.push(format!(
        "terms breached: {} payment{} missed, the first due {}",
        missed.len(),
        if missed.len() == 1 { "" } else { "s" },
        fmt_date(first.due)
    ));
    out.what_stops_it.push(format!(
        "Pay what you missed under the court order and keep to it: {terms_text}."
    ));
    let visited = court.last_contact.filter(|c| *c >= first.due);
    let Some(visited) = visited else {
        out.reasons
            .push("no visit or contact since the breach".into());
        out.action = Some(Action {
            kind: ActionKind::Visit,
            earliest: today,
            description: "We will contact you or visit you about the payments missed under the \
                          court order before we take any further step."
                .into(),
        });
        return out;
    };
    out.reasons
        .push(format!("visited or contacted {}", fmt_date(visited)));
    match order.kind {
        OrderKind::Suspended => match order.possession_date {
            Some(d) if d >= today => warrant_from_date(&mut out, d, N325A),
            _ => {
                out.next_stage = Some((
                    Stage::Warrant,
                    today,
                    format!(
                        "The terms of the court order have not been kept. We may apply for a \
                         warrant for possession ({N325A}). You can apply to the court (form \
                         N244) to suspend it."
                    ),
                ))
            }
        },
        OrderKind::Postponed => match order.possession_date {
            Some(d) => warrant_from_date(&mut out, d, N325A),
            // PD 55A para 10.3: written notice first, at least 14 clear days and not more than
            // 3 months before the application to fix a date.
            None => postponed_breached(&mut out, court, first.due, today),
        },
        OrderKind::Adjourned => {
            out.next_stage = Some((
                Stage::Hearing,
                today,
                "The terms on which the court adjourned the claim have not been kept. We may ask \
                 the court to restore the claim for a hearing."
                    .into(),
            ))
        }
        OrderKind::Outright | OrderKind::Dismissed => {}
    }
    out
}

/// A postponed order breached (and the tenant visited): the written notice of the intention
/// to apply to fix a date, then, once its 14 clear days have run, the application; a notice
/// more than 3 months old is given again (PD 55A para 10.3).
fn postponed_breached(
    out: &mut AfterOrder,
    court: &CourtFacts,
    first_missed: NaiveDate,
    today: NaiveDate,
) {
    use crate::possession::types::{Action, ActionKind};
    let notice = court.fix_date_notice_on.filter(|g| *g >= first_missed);
    if let (Some(given), Some(applied)) = (notice, court.fix_date_applied_on)
        && applied >= given
    {
        out.reasons.push(format!(
            "applied to the court to fix a date for possession on {}: record the order again \
             with the date the court fixes",
            fmt_date(applied)
        ));
        return;
    }
    let give_notice = |why: String| Action {
        kind: ActionKind::GiveFixDateNotice,
        earliest: today,
        description: format!(
            "The terms of the court order have not been kept. {why}We will write to you first: \
             at least 14 days before we ask the court to fix a date for possession, we will tell \
             you in writing what has not been paid and how to reply."
        ),
    };
    match notice.map(|g| (g, fix_date_application_window(g))) {
        None => out.action = Some(give_notice(String::new())),
        Some((given, (_, until))) if today > until => {
            out.reasons.push(format!(
                "the written notice of {} is more than 3 months old (PD 55A para 10.3)",
                fmt_date(given)
            ));
            out.action = Some(give_notice(String::new()));
        }
        Some((given, (from, _))) => {
            out.reasons.push(format!(
                "written notice of the intention to apply to fix a date given on {}",
                fmt_date(given)
            ));
            out.action = Some(Action {
                kind: ActionKind::ApplyToFixDate,
                earliest: from.max(today),
                description: format!(
                    "The terms of the court order have not been kept, and we wrote to you on {} \
                     that we would ask the court to fix a date for possession. From {} we may \
                     apply; you can ask the court to consider your circumstances.",
                    fmt_date(given),
                    fmt_date(from.max(today))
                ),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::TransactionKind;
    use crate::possession::order::{warrant_permission_from, warrant_permission_needed};
    use crate::possession::protocol::tests::noon;
    use crate::possession::types::{ActionKind, Stage};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn cpr_83_2_3_a_a_warrant_six_years_or_more_after_the_order_needs_permission() {
        use crate::possession::protocol::{GateFacts, gates};
        // (order made, permission needed from, day checked, needed that day)
        let table = [
            (d(2020, 12, 14), d(2026, 12, 14), d(2026, 12, 13), false),
            (d(2020, 12, 14), d(2026, 12, 14), d(2026, 12, 14), true),
            (d(2020, 12, 14), d(2026, 12, 14), d(2027, 3, 1), true),
            // A leap-day order: no 29 February six years on, so the last day of February.
            (d(2020, 2, 29), d(2026, 2, 28), d(2026, 2, 27), false),
            (d(2020, 2, 29), d(2026, 2, 28), d(2026, 2, 28), true),
            (d(2021, 8, 31), d(2027, 8, 31), d(2027, 8, 30), false),
            (d(2021, 8, 31), d(2027, 8, 31), d(2027, 8, 31), true),
        ];
        for (ordered_on, from, today, needed) in table {
            assert_eq!(warrant_permission_from(ordered_on), from, "{ordered_on}");
            let order = CourtOrder {
                kind: OrderKind::Outright,
                possession_date: Some(ordered_on + Duration::days(14)),
                terms: None,
                grounds: vec![Ground::G1],
                ordered_on: Some(ordered_on),
            };
            let reason = warrant_permission_needed(&order, None, today);
            assert_eq!(reason.is_some(), needed, "{ordered_on} on {today}");
            // The same through the warrant's gates, and permission recorded lifts it.
            let mut facts = GateFacts {
                stages: vec![
                    Stage::NoticeServed,
                    Stage::CourtApplication,
                    Stage::Hearing,
                    Stage::Order,
                ],
                order: Some(order.clone()),
                ..GateFacts::default()
            };
            let ids = |f: &GateFacts| {
                gates(Stage::Warrant, f, today, None)
                    .into_iter()
                    .map(|m| m.id)
                    .collect::<Vec<_>>()
            };
            let expected: Vec<String> = if needed {
                vec!["court_permission".into()]
            } else {
                vec![]
            };
            assert_eq!(ids(&facts), expected, "{ordered_on} on {today}");
            facts.warrant_permission_on = Some(today);
            assert!(ids(&facts).is_empty(), "{ordered_on} on {today}");
        }
        let order = CourtOrder {
            kind: OrderKind::Outright,
            possession_date: Some(d(2020, 12, 28)),
            terms: None,
            grounds: vec![Ground::G1],
            ordered_on: Some(d(2020, 12, 14)),
        };
        let reason = warrant_permission_needed(&order, None, d(2026, 12, 14)).unwrap();
        assert!(reason.contains("14 December 2020"), "{reason}");
        assert!(reason.contains("CPR 83.2(3)(a)"), "{reason}");
        // An order stored before its date was kept is not checked.
        let undated = CourtOrder {
            ordered_on: None,
            ..order
        };
        assert_eq!(
            warrant_permission_needed(&undated, None, d(2030, 1, 1)),
            None
        );
    }

    fn e(on: NaiveDate, kind: TransactionKind, pence: i64) -> LedgerEntry {
        LedgerEntry {
            posted_on: on,
            kind,
            amount: Pence(pence),
            method: None,
        }
    }

    fn weekly_terms() -> OrderTerms {
        // Mondays from 2 Nov 2026: rent (£100) + £5 a week.
        OrderTerms {
            towards_arrears: Pence(500),
            frequency: Frequency::Weekly,
            from: d(2026, 11, 2),
        }
    }

    /// Rent of £100 charged every Monday from 26 Oct 2026 to `until`.
    fn rent(until: NaiveDate) -> Vec<LedgerEntry> {
        let mut out = vec![];
        let mut day = d(2026, 10, 26);
        while day <= until {
            out.push(e(day, TransactionKind::RentDebit, 10_000));
            day += Duration::weeks(1);
        }
        out
    }

    #[test]
    fn an_order_needs_its_type_terms_for_suspended_and_postponed_and_a_date_when_fixed() {
        let fields = |r: Result<CourtOrder, Vec<(String, String)>>| {
            r.unwrap_err()
                .into_iter()
                .map(|(f, _)| f)
                .collect::<Vec<_>>()
        };
        assert_eq!(fields(parse_order(None, None, None)), ["order_type"]);
        assert_eq!(
            fields(parse_order(Some("lenient"), None, None)),
            ["order_type"]
        );
        assert_eq!(
            fields(parse_order(Some("suspended"), None, None)),
            ["possession_date", "terms"]
        );
        assert_eq!(
            fields(parse_order(Some("postponed"), None, None)),
            ["terms"]
        );
        assert_eq!(
            fields(parse_order(
                Some("postponed"),
                None,
                Some(TermsInput {
                    towards_arrears_pence: Some(-1),
                    frequency: Some("yearly"),
                    from: None
                })
            )),
            [
                "terms.frequency",
                "terms.towards_arrears_pence",
                "terms.from"
            ]
        );
        assert_eq!(
            fields(parse_order(
                Some("outright"),
                None,
                Some(TermsInput::default())
            )),
            ["possession_date", "terms"]
        );
        let ok = parse_order(
            Some("suspended"),
            Some(d(2026, 12, 1)),
            Some(TermsInput {
                towards_arrears_pence: Some(500),
                frequency: Some("weekly"),
                from: Some(d(2026, 11, 2)),
            }),
        )
        .unwrap();
        assert_eq!(ok.terms, Some(weekly_terms()));
        assert!(parse_order(Some("dismissed"), None, None).is_ok());
        assert!(parse_order(Some("outright"), Some(d(2026, 12, 1)), None).is_ok());
    }

    #[test]
    fn terms_are_rent_plus_the_instalment_and_benefit_payments_count_towards_them() {
        let today = d(2026, 11, 25);
        let mut l = rent(today);
        // Tenant pays £5 each Monday; HB pays the rent (four-weekly in arrears: two weeks
        // arrived, the rest is technical arrears not yet due).
        for w in 0..4 {
            l.push(e(
                d(2026, 11, 2) + Duration::weeks(w),
                TransactionKind::Payment,
                -500,
            ));
        }
        l.push(e(d(2026, 11, 9), TransactionKind::HousingBenefit, -20_000));
        let a = terms_adherence(&weekly_terms(), &l, Pence(20_000), today, 7);
        assert_eq!(a.len(), 4);
        assert_eq!(a[0].amount, Pence(10_500));
        assert!(
            a.iter().all(|i| i.status == InstalmentStatus::Paid),
            "{a:?}"
        );
        // Without the technical arrears the last two weeks are short, but only the one whose
        // grace has run out counts as missed (part-paid).
        let a = terms_adherence(&weekly_terms(), &l, Pence::ZERO, today, 7);
        assert_eq!(a[2].status, InstalmentStatus::PartPaid);
        assert_eq!(a[3].status, InstalmentStatus::Pending);
    }

    #[test]
    fn a_rent_free_week_asks_only_for_the_instalment() {
        let today = d(2026, 11, 25);
        let l: Vec<LedgerEntry> = rent(today)
            .into_iter()
            .filter(|x| x.posted_on != d(2026, 11, 9))
            .collect();
        let a = terms_adherence(&weekly_terms(), &l, Pence::ZERO, today, 7);
        assert_eq!(a[1].amount, Pence(500));
    }

    fn suspended(instalments: Vec<Instalment>, last_contact: Option<NaiveDate>) -> CourtFacts {
        CourtFacts {
            hearing_on: Some(d(2026, 10, 20)),
            order: Some(CourtOrder {
                kind: OrderKind::Suspended,
                possession_date: Some(d(2026, 11, 17)),
                terms: Some(weekly_terms()),
                grounds: vec![],
                ordered_on: None,
            }),
            instalments,
            last_contact,
            ..CourtFacts::default()
        }
    }

    fn inst(due: NaiveDate, status: InstalmentStatus) -> Instalment {
        Instalment {
            due,
            amount: Pence(10_500),
            paid: Pence(if status == InstalmentStatus::Paid {
                10_500
            } else {
                0
            }),
            status,
        }
    }

    #[test]
    fn a_tenant_keeping_to_a_suspended_order_is_monitored_not_due_a_warrant() {
        let today = d(2026, 11, 25);
        let f = suspended(vec![inst(d(2026, 11, 2), InstalmentStatus::Paid)], None);
        let a = after_order(&f, today);
        assert_eq!(a.next_stage, None);
        assert_eq!(
            a.action.as_ref().unwrap().kind,
            ActionKind::MonitorOrderTerms
        );
        assert!(a.paused_because.is_some());
        assert!(a.what_stops_it[0].contains("30 November 2026"), "{a:?}");
    }

    #[test]
    fn a_breach_of_the_terms_leads_to_a_visit_first_then_a_warrant_application() {
        let today = d(2026, 11, 25);
        let missed = vec![
            inst(d(2026, 11, 2), InstalmentStatus::Paid),
            inst(d(2026, 11, 9), InstalmentStatus::Missed),
        ];
        // A call before the breach is not the visit the policy asks for.
        let a = after_order(&suspended(missed.clone(), Some(d(2026, 11, 3))), today);
        assert_eq!(a.next_stage, None);
        assert_eq!(a.action.unwrap().kind, ActionKind::Visit);
        let a = after_order(&suspended(missed.clone(), Some(d(2026, 11, 20))), today);
        let (stage, earliest, text) = a.next_stage.unwrap();
        assert_eq!((stage, earliest), (Stage::Warrant, today));
        // N325A goes with a statement of the payments due and made.
        assert!(
            text.contains("form N325A, with a statement of the payments due under the order and the payments made"),
            "{text}"
        );
        // Postponed: no date yet, so the court is asked to fix one; with a date, a warrant
        // after it.
        let mut f = suspended(missed.clone(), Some(d(2026, 11, 20)));
        let order = f.order.as_mut().unwrap();
        order.kind = OrderKind::Postponed;
        order.possession_date = None;
        // PD 55A para 10.3: the written notice comes first, not the application.
        let a = after_order(&f, today);
        assert_eq!(a.next_stage, None);
        assert_eq!(a.action.unwrap().kind, ActionKind::GiveFixDateNotice);
        f.fix_date_notice_on = Some(d(2026, 11, 10));
        assert_eq!(
            after_order(&f, today).action.unwrap().kind,
            ActionKind::ApplyToFixDate
        );
        f.order.as_mut().unwrap().possession_date = Some(d(2026, 12, 10));
        let (stage, earliest, _) = after_order(&f, today).next_stage.unwrap();
        assert_eq!((stage, earliest), (Stage::Warrant, d(2026, 12, 11)));
        // Adjourned on terms: the claim is restored for a hearing.
        let mut f = suspended(missed, Some(d(2026, 11, 20)));
        let order = f.order.as_mut().unwrap();
        order.kind = OrderKind::Adjourned;
        order.possession_date = None;
        assert_eq!(after_order(&f, today).next_stage.unwrap().0, Stage::Hearing);
    }

    /// PD 55A para 10.3 with CPR 2.8 (clear days): written notice at least 14 days and not
    /// more than 3 months before applying to fix a date after a postponed order is breached.
    /// The same table is in docs/possession.md#postponed-order-breached-notice-before-applying-to-fix-a-date ("Postponed order breached: notice before applying
    /// to fix a date").
    #[test]
    fn pd55a_para_10_3_notice_14_clear_days_before_applying_to_fix_a_date() {
        // (notice given, first day the application may be made, last day it may be made)
        let cases = [
            // Wednesday → Thursday two weeks and a day later.
            ((2026, 11, 25), (2026, 12, 10), (2027, 2, 25)),
            // Over Christmas: calendar days, bank holidays count.
            ((2026, 12, 21), (2027, 1, 5), (2027, 3, 21)),
            // Leap year: 14 Feb 2028 → 29 Feb 2028; 3 months → 14 May.
            ((2028, 2, 14), (2028, 2, 29), (2028, 5, 14)),
            // Month end: 30 Nov + 3 months = 28 Feb (clamped).
            ((2026, 11, 30), (2026, 12, 15), (2027, 2, 28)),
        ];
        for ((y, m, dd), (fy, fm, fd), (uy, um, ud)) in cases {
            assert_eq!(
                fix_date_application_window(d(y, m, dd)),
                (d(fy, fm, fd), d(uy, um, ud)),
                "notice {y}-{m}-{dd}"
            );
        }
        // The gate, on a postponed order breached on 9 Nov 2026 (visited on 20 Nov).
        let missed = vec![
            inst(d(2026, 11, 2), InstalmentStatus::Paid),
            inst(d(2026, 11, 9), InstalmentStatus::Missed),
        ];
        let mut f = suspended(missed, Some(d(2026, 11, 20)));
        let order = f.order.as_mut().unwrap();
        order.kind = OrderKind::Postponed;
        order.possession_date = None;
        let ids = |f: &CourtFacts, step, today| {
            order_step_gates(step, f, today)
                .into_iter()
                .map(|m| m.id)
                .collect::<Vec<_>>()
        };
        let app = OrderStep::FixDateApplication;
        // No notice: refused, and the notice itself is allowed.
        assert_eq!(ids(&f, app, d(2026, 11, 25)), ["fix_date_notice"]);
        assert!(ids(&f, OrderStep::FixDateNotice, d(2026, 11, 25)).is_empty());
        // A notice given before the breach does not count.
        f.fix_date_notice_on = Some(d(2026, 11, 5));
        assert_eq!(ids(&f, app, d(2026, 12, 20)), ["fix_date_notice"]);
        // Given on 25 Nov: not on 9 Dec (14 days but not 14 clear days), from 10 Dec, until
        // 25 Feb 2027.
        f.fix_date_notice_on = Some(d(2026, 11, 25));
        assert_eq!(ids(&f, app, d(2026, 12, 9)), ["fix_date_notice_period"]);
        assert!(ids(&f, app, d(2026, 12, 10)).is_empty());
        assert!(ids(&f, app, d(2027, 2, 25)).is_empty());
        assert_eq!(ids(&f, app, d(2027, 2, 26)), ["fix_date_notice_expired"]);
        // The next step: the application from 10 Dec 2026, not before.
        let a = after_order(&f, d(2026, 11, 30)).action.unwrap();
        assert_eq!(
            (a.kind, a.earliest),
            (ActionKind::ApplyToFixDate, d(2026, 12, 10))
        );
        // Once applied: nothing more to recommend until the court fixes the date.
        f.fix_date_applied_on = Some(d(2026, 12, 10));
        assert_eq!(after_order(&f, d(2026, 12, 11)).action, None);
        // Terms kept, or another kind of order: neither step.
        f.instalments = vec![inst(d(2026, 11, 2), InstalmentStatus::Paid)];
        assert_eq!(ids(&f, app, d(2026, 12, 10)), ["order_terms_kept"]);
        f.order.as_mut().unwrap().kind = OrderKind::Suspended;
        assert_eq!(
            ids(&f, OrderStep::FixDateNotice, d(2026, 12, 10)),
            ["order_type"]
        );
    }

    #[test]
    fn an_outright_order_leads_to_a_warrant_after_the_possession_date_and_dismissal_to_nothing() {
        let today = d(2026, 11, 25);
        let mut f = CourtFacts {
            order: Some(CourtOrder {
                kind: OrderKind::Outright,
                possession_date: Some(d(2026, 12, 9)),
                terms: None,
                grounds: vec![],
                ordered_on: None,
            }),
            ..CourtFacts::default()
        };
        let (stage, earliest, text) = after_order(&f, today).next_stage.unwrap();
        assert_eq!((stage, earliest), (Stage::Warrant, d(2026, 12, 10)));
        assert!(text.contains("N325"));
        f.order.as_mut().unwrap().kind = OrderKind::Dismissed;
        let a = after_order(&f, today);
        assert_eq!((a.next_stage, a.action), (None, None));
        // An order recorded without its details recommends nothing rather than a warrant.
        let a = after_order(&CourtFacts::default(), today);
        assert_eq!((a.next_stage, a.action), (None, None));
    }

    /// Rent unpaid of `pence` on 1 December 2026, no sundry debits, no UC on its way.
    fn ra(pence: i64) -> crate::arrears::RentArrears {
        crate::arrears::RentArrears {
            on: d(2026, 12, 1),
            rent_unpaid: Pence(pence),
            sundry: Pence::ZERO,
            uc_not_yet_received: Pence::ZERO,
        }
    }

    fn section_8(grounds: Option<Vec<Ground>>, ground_8_available: bool) -> NoticeDates {
        let mut n = crate::possession::protocol::notice_dates(
            NoticeKind::Section8,
            noon(d(2026, 9, 1)),
            crate::possession::protocol::ServiceMethod::Hand,
            &crate::possession::protocol::NoticeRules::default(),
        );
        n.ground_8 = Some(crate::possession::protocol::ground_8(
            n.regime,
            &ra(if ground_8_available { 90_000 } else { 50_000 }),
            Pence(10_000),
        ));
        n.grounds = grounds;
        n
    }

    #[test]
    fn an_order_is_made_on_the_grounds_the_notice_gave() {
        use OrderKind::*;
        let nosp = crate::possession::protocol::notice_dates(
            NoticeKind::Nosp,
            noon(d(2026, 9, 1)),
            crate::possession::protocol::ServiceMethod::Hand,
            &crate::possession::protocol::NoticeRules::default(),
        );
        // A NOSP: ground 1, said or not; no other.
        assert_eq!(
            order_grounds(Outright, None, None, Some(&nosp)),
            Ok(vec![Ground::G1])
        );
        assert_eq!(
            order_grounds(Suspended, Some(&[1]), None, Some(&nosp)),
            Ok(vec![Ground::G1])
        );
        assert!(
            order_grounds(Outright, Some(&[8]), None, Some(&nosp))
                .unwrap_err()
                .contains("ground 1")
        );
        // A section 8 notice that gave grounds 10 and 11: the order names one or more of them.
        let s8 = section_8(Some(vec![Ground::G10, Ground::G11]), true);
        assert_eq!(
            order_grounds(Suspended, Some(&[11, 10, 10]), None, Some(&s8)),
            Ok(vec![Ground::G10, Ground::G11])
        );
        let e = order_grounds(Outright, Some(&[8]), None, Some(&s8)).unwrap_err();
        assert!(e.contains("did not give ground 8"), "{e}");
        assert!(e.contains("grounds 10 and 11"), "{e}");
        assert!(
            order_grounds(Outright, None, None, Some(&s8))
                .unwrap_err()
                .contains("required")
        );
        assert!(order_grounds(Outright, Some(&[1]), None, Some(&s8)).is_err());
        // Stored without its grounds: ground 8 only if it was available at service.
        assert!(order_grounds(Outright, Some(&[8]), None, Some(&section_8(None, false))).is_err());
        assert!(order_grounds(Outright, Some(&[8]), None, Some(&section_8(None, true))).is_ok());
        // No notice details on record: the grounds of the tenure's notice kind.
        assert_eq!(
            order_grounds(Outright, Some(&[8]), Some(NoticeKind::Section8), None),
            Ok(vec![Ground::G8])
        );
        assert_eq!(
            order_grounds(Outright, None, Some(NoticeKind::Nosp), None),
            Ok(vec![Ground::G1])
        );
        // No possession order, no ground; an introductory tenancy has none either.
        assert_eq!(order_grounds(Dismissed, None, None, Some(&s8)), Ok(vec![]));
        assert!(order_grounds(Adjourned, Some(&[10]), None, Some(&s8)).is_err());
        assert_eq!(
            order_grounds(Outright, None, Some(NoticeKind::Introductory), None),
            Ok(vec![])
        );
        assert!(order_grounds(Outright, Some(&[1]), Some(NoticeKind::Introductory), None).is_err());
    }

    #[test]
    fn an_order_on_ground_8_is_outright_with_possession_at_most_42_days_after_it() {
        let ordered_on = d(2026, 12, 1);
        let order = |kind, possession_date, grounds: Vec<Ground>| CourtOrder {
            kind,
            possession_date,
            terms: None,
            grounds,
            ordered_on: Some(ordered_on),
        };
        let fields = |o: &CourtOrder| {
            mandatory_ground_rules(o, ordered_on)
                .into_iter()
                .map(|(f, _)| f)
                .collect::<Vec<_>>()
        };
        let g8 = vec![Ground::G8, Ground::G10];
        assert!(
            fields(&order(
                OrderKind::Outright,
                Some(d(2026, 12, 15)),
                g8.clone()
            ))
            .is_empty()
        );
        assert!(
            fields(&order(
                OrderKind::Outright,
                Some(d(2027, 1, 12)),
                g8.clone()
            ))
            .is_empty()
        );
        let late = mandatory_ground_rules(
            &order(OrderKind::Outright, Some(d(2027, 1, 13)), g8.clone()),
            ordered_on,
        );
        assert_eq!(late.len(), 1);
        assert_eq!(late[0].0, "possession_date");
        assert!(late[0].1.contains("normally 14 days"), "{}", late[0].1);
        assert!(late[0].1.contains("12 January 2027"), "{}", late[0].1);
        assert_eq!(
            fields(&order(
                OrderKind::Suspended,
                Some(d(2027, 2, 1)),
                g8.clone()
            )),
            ["order_type", "possession_date"]
        );
        assert_eq!(
            fields(&order(OrderKind::Postponed, None, g8)),
            ["order_type"]
        );
        // Discretionary grounds only: the court may suspend, and set any date.
        assert!(
            fields(&order(
                OrderKind::Suspended,
                Some(d(2027, 6, 1)),
                vec![Ground::G10]
            ))
            .is_empty()
        );
    }

    #[test]
    fn ground_8_is_checked_again_on_the_hearing_dates_arrears_with_the_notices_rule() {
        let s8 = section_8(Some(vec![Ground::G8, Ground::G10]), true);
        let week = &crate::rent::weekly_from(d(2026, 4, 6), Pence(10_000), Pence::ZERO);
        let held = ground_8_at_hearing(&s8, &ra(80_000), week).unwrap();
        assert!(held.available);
        assert_eq!(
            (held.counted, held.threshold),
            (Pence(80_000), Pence(80_000))
        );
        let fell = ground_8_at_hearing(&s8, &ra(79_999), week).unwrap();
        assert!(!fell.available);
        // The same rule as at the notice: the very same answer.
        assert_eq!(
            fell,
            crate::possession::protocol::ground_8_for(s8.regime, &ra(79_999), week)
        );
        // A notice that did not give ground 8 (or is a NOSP): nothing to check.
        assert!(
            ground_8_at_hearing(&section_8(Some(vec![Ground::G10]), true), &ra(1), week).is_none()
        );
        let order = CourtOrder {
            kind: OrderKind::Outright,
            possession_date: Some(d(2026, 12, 15)),
            terms: None,
            grounds: vec![Ground::G8],
            ordered_on: Some(d(2026, 12, 1)),
        };
        let (field, reason) = ground_8_held_at_hearing(&order, &fell, d(2026, 12, 1)).unwrap();
        assert_eq!(field, "grounds");
        assert!(
            reason.contains("£799.99") && reason.contains("£800.00"),
            "{reason}"
        );
        assert!(reason.contains("1 December 2026"), "{reason}");
        assert!(ground_8_held_at_hearing(&order, &held, d(2026, 12, 1)).is_none());
        let on_10 = CourtOrder {
            grounds: vec![Ground::G10],
            ..order
        };
        assert!(ground_8_held_at_hearing(&on_10, &fell, d(2026, 12, 1)).is_none());
    }

    #[test]
    fn an_order_dated_before_its_hearing_is_refused() {
        let h = d(2027, 1, 14);
        assert!(
            check_order_date(Some(h), d(2027, 1, 13))
                .unwrap_err()
                .contains("before the hearing on 14 January 2027")
        );
        assert_eq!(check_order_date(Some(h), h), Ok(()));
        assert_eq!(check_order_date(Some(h), d(2027, 2, 1)), Ok(()));
        assert_eq!(check_order_date(None, d(2020, 1, 1)), Ok(()));
    }

    #[test]
    fn a_hearing_before_the_claim_is_refused_and_an_unusual_gap_is_warned_about() {
        let issued = Some(d(2026, 11, 2));
        let e = check_hearing_date(issued, d(2026, 11, 1)).unwrap_err();
        assert!(e.contains("2 November 2026"), "{e}");
        assert_eq!(check_hearing_date(issued, d(2026, 11, 30)), Ok(vec![]));
        assert_eq!(check_hearing_date(issued, d(2026, 12, 28)), Ok(vec![]));
        let soon = check_hearing_date(issued, d(2026, 11, 29)).unwrap();
        assert!(
            soon[0].contains("only 27 days") && soon[0].contains("at least 28"),
            "{soon:?}"
        );
        let late = check_hearing_date(issued, d(2026, 12, 29)).unwrap();
        assert!(
            late[0].contains("57 days") && late[0].contains("within 8 weeks"),
            "{late:?}"
        );
        // No court application on record: nothing to compare with.
        assert_eq!(check_hearing_date(None, d(2020, 1, 1)), Ok(vec![]));
    }

    #[test]
    fn a_visit_or_a_call_that_reached_the_tenant_counts_as_contact() {
        assert!(is_visit_or_contact("visit", Some("no_access")));
        assert!(is_visit_or_contact("call", Some("answered")));
        assert!(!is_visit_or_contact("call", Some("no_answer")));
        assert!(!is_visit_or_contact("letter", None));
    }
}
