//! Recording a step (docs/possession.md): what the officer's request must hold before anything
//! is written. Field checks of a notice (how and when it was served), of a hearing and of an
//! order; a warrant's permission date; and the ground-8 measuring a section 8 notice and an
//! order on ground 8 need. Every refusal is a `(field, reason)` pair, in the order the officer
//! reads them; the caller turns them into its answer.
//!
//! Uses [`protocol`], [`court`] and [`next_step`]'s facts: it sits on top of the possession
//! modules.

use crate::Pence;
use crate::arrears::{AccountFacts, rent_arrears};
use crate::ledger::LedgerEntry;
use crate::possession::court::{self, OrderStep, TermsInput};
use crate::possession::next_step::CaseFacts;
use crate::possession::order::{CourtOrder, Hearing};
use crate::possession::protocol::{
    self, GateFacts, Ground8, NoticeDates, NoticeRules, ProtocolStep, ServiceMethod,
};
use crate::possession::types::{Ground, NoticeKind, Stage};
use crate::tenancy::ChargeSchedule;
use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};

/// A refused field and why, as the officer reads it.
pub type Refusal = (String, String);

/// How far back a notice may be recorded: notices are recorded as they are served.
pub const NOTICE_RECORDED_WITHIN_DAYS: i64 = 14;

/// The step as the officer asked for it, before checking.
#[derive(Debug, Clone, Default)]
pub struct StepRequest {
    /// `protocol`, an after-order step (`fix_date_notice`, …) or a stage.
    pub step: String,
    pub protocol_step: Option<String>,
    pub sent_on: Option<NaiveDate>,
    pub service_method: Option<ServiceMethod>,
    /// 24-hour HH:MM, London time, as typed.
    pub sent_time: Option<String>,
    pub hearing_on: Option<NaiveDate>,
    /// 24-hour HH:MM, as typed.
    pub hearing_time: Option<String>,
    /// `outright`, `suspended`, … as typed.
    pub order_type: Option<String>,
    pub possession_date: Option<NaiveDate>,
    pub terms: Option<TermsRequest>,
    pub grounds: Option<Vec<u8>>,
    pub ordered_on: Option<NaiveDate>,
    pub permission_granted_on: Option<NaiveDate>,
    /// For the protocol steps whose letter gives the tenant a time limit (the warning after an
    /// arrangement broke, para 2.9; the letter explaining why possession is sought, Part 3):
    /// its last day.
    pub time_limit_ends_on: Option<NaiveDate>,
    pub override_reason: Option<String>,
    pub note: String,
}

/// An order's terms as the officer typed them.
#[derive(Debug, Clone, Default)]
pub struct TermsRequest {
    pub towards_arrears_pence: Option<i64>,
    pub frequency: Option<String>,
    pub from: Option<NaiveDate>,
}

/// Which kind of step it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    Protocol(ProtocolStep),
    AfterOrder(OrderStep),
    Stage(Stage),
}

/// The step asked for: a protocol step (named in `protocol_step`), a step after a postponed
/// order, or a stage.
pub fn step_kind(request: &StepRequest) -> Result<StepKind, Refusal> {
    if request.step == "protocol" {
        return request
            .protocol_step
            .as_deref()
            .and_then(ProtocolStep::parse)
            .map(StepKind::Protocol)
            .ok_or_else(|| {
                (
                    "protocol_step".into(),
                    format!(
                        "one of {}",
                        ProtocolStep::ALL
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            });
    }
    if let Some(step) = OrderStep::parse(&request.step) {
        return Ok(StepKind::AfterOrder(step));
    }
    request
        .step
        .parse::<Stage>()
        .map(StepKind::Stage)
        .map_err(|r| {
            (
                "step".into(),
                format!(
                    "\"protocol\", \"fix_date_notice\", \"apply_to_fix_date\", \
                 \"court_told_of_breathing_space\" or {r}"
                ),
            )
        })
}

/// A protocol step's fields: the time limit its letter gave (`time_limit_ends_on`), required
/// for the steps that give one and after today (a time limit that has already run gave the
/// tenant no time), refused on the others and on every other step.
pub fn check_time_limit(
    kind: StepKind,
    request: &StepRequest,
    today: NaiveDate,
) -> Result<Option<NaiveDate>, Refusal> {
    let field = || "time_limit_ends_on".to_owned();
    match (kind, request.time_limit_ends_on) {
        (StepKind::Protocol(p), None) if p.takes_time_limit() => Err((
            field(),
            format!(
                "required for {}: the last day of the time limit the letter gives the tenant",
                p.as_str()
            ),
        )),
        (StepKind::Protocol(p), Some(d)) if p.takes_time_limit() => {
            if d <= today {
                Err((
                    field(),
                    "must be after today: the tenant must be given time".to_owned(),
                ))
            } else {
                Ok(Some(d))
            }
        }
        (_, Some(_)) => Err((
            field(),
            "only for the protocol steps arrangement_breach_warning and \
             possession_reasons_explained"
                .to_owned(),
        )),
        (_, None) => Ok(None),
    }
}

/// What a stage step will record once its fields are checked.
#[derive(Debug, Clone)]
pub struct Planned {
    pub notice: Option<NoticeDates>,
    pub hearing: Option<Hearing>,
    /// The order's type, date for possession and terms; its grounds and date are filled in by
    /// [`check_order`].
    pub order: Option<CourtOrder>,
}

/// The facts a stage step's fields are checked against.
#[derive(Debug, Clone, Copy)]
pub struct StepContext<'a> {
    /// The account's tenure: it decides the notice (`NoticeRules::kind_for_tenure`).
    pub tenure: &'a str,
    pub rules: &'a NoticeRules,
    /// The most a money field may hold (`MAX_ROW_AMOUNT_PENCE`).
    pub max_row_amount: Pence,
    /// Now, London local time; `today` is its date.
    pub now: NaiveDateTime,
    /// The account's rent by date (its period decides a NOSP's date); `None`: weekly on
    /// Mondays.
    pub schedule: Option<&'a ChargeSchedule>,
}

/// Every field of a stage step at once: the notice (for `notice_served`), the hearing and
/// order details, the order terms' amount, the order and permission dates. All refusals are
/// returned together, in the order the fields are checked.
pub fn check_stage_step(
    stage: Stage,
    request: &StepRequest,
    cx: &StepContext<'_>,
) -> Result<Planned, Vec<Refusal>> {
    let today = cx.now.date();
    let mut errors = vec![];
    let notice = if stage == Stage::NoticeServed {
        check_notice(request, cx, &mut errors)
    } else {
        None
    };
    let (hearing, order) = court_details(stage, request, &mut errors);
    // Issue 15: no money field takes more than one amount may be (`MAX_ROW_AMOUNT_PENCE`).
    if let Some(p) = request.terms.as_ref().and_then(|t| t.towards_arrears_pence)
        && let Err(e) = Pence(p).bounded(cx.max_row_amount)
    {
        errors.push(("terms.towards_arrears_pence".into(), e.to_string()));
    }
    if request.ordered_on.is_some_and(|d| d > today) {
        errors.push(("ordered_on".into(), "is in the future".into()));
    }
    match (stage, request.permission_granted_on) {
        (Stage::Warrant, Some(d)) if d > today => {
            errors.push(("permission_granted_on".into(), "is in the future".into()))
        }
        (Stage::Warrant, _) | (_, None) => {}
        (_, Some(_)) => errors.push(("permission_granted_on".into(), "only for a warrant".into())),
    }
    if errors.is_empty() {
        Ok(Planned {
            notice,
            hearing,
            order,
        })
    } else {
        Err(errors)
    }
}

/// A notice's service (CPR 6.26): how (`service_method`), the day (`sent_on`: not in the
/// future, not more than [`NOTICE_RECORDED_WITHIN_DAYS`] ago) and, by hand, the London time
/// (not in the future); and whether the tenure gets a notice at all. Its dates when all hold.
fn check_notice(
    request: &StepRequest,
    cx: &StepContext<'_>,
    errors: &mut Vec<Refusal>,
) -> Option<NoticeDates> {
    let today = cx.now.date();
    let notice_kind = cx.rules.kind_for_tenure(cx.tenure);
    let method = request.service_method;
    if method.is_none() {
        errors.push((
            "service_method".to_owned(),
            "hand or first_class_post".to_owned(),
        ));
    }
    // CPR 6.26: by hand, the time decides the day; by post it does not.
    let sent_time = match (request.sent_time.as_deref(), method) {
        (Some(t), _) => match NaiveTime::parse_from_str(t.trim(), "%H:%M") {
            Ok(t) => Some(t),
            Err(_) => {
                errors.push((
                    "sent_time".to_owned(),
                    "a 24-hour time, HH:MM, London time".to_owned(),
                ));
                None
            }
        },
        (None, Some(ServiceMethod::Hand)) => {
            errors.push((
                "sent_time".to_owned(),
                "required for a notice served by hand: the London time it was handed over \
                 or left (CPR 6.26: at or after 16:30 it is served the next business day)"
                    .to_owned(),
            ));
            None
        }
        (None, _) => Some(NaiveTime::MIN),
    };
    if let (Some(d), Some(t)) = (request.sent_on, sent_time)
        && d == today
        && request.sent_time.is_some()
        && t > cx.now.time()
    {
        errors.push(("sent_time".to_owned(), "is in the future".to_owned()));
    }
    match request.sent_on {
        None => errors.push(("sent_on".to_owned(), "required for a notice".to_owned())),
        Some(d) if d > today => errors.push(("sent_on".to_owned(), "is in the future".to_owned())),
        Some(d) if d < today - Duration::days(NOTICE_RECORDED_WITHIN_DAYS) => errors.push((
            "sent_on".to_owned(),
            "more than 14 days ago: record notices as they are served".to_owned(),
        )),
        _ => {}
    }
    if notice_kind.is_none() {
        errors.push((
            "step".to_owned(),
            format!("no possession notice applies to a {} account", cx.tenure),
        ));
    }
    let (kind, sent, m, t) = (notice_kind?, request.sent_on?, method?, sent_time?);
    let sent = sent.and_time(t);
    Some(match cx.schedule {
        // The rent in force when the notice is served.
        Some(s) => {
            let rent = s.rent_on(protocol::deemed_service(sent, m));
            protocol::notice_dates_for(kind, sent, m, cx.rules, &rent)
        }
        None => protocol::notice_dates(kind, sent, m, cx.rules),
    })
}

/// A hearing's date and an order's type, date and terms: required where the step needs them,
/// refused on any other step.
fn court_details(
    stage: Stage,
    request: &StepRequest,
    errors: &mut Vec<Refusal>,
) -> (Option<Hearing>, Option<CourtOrder>) {
    let time = match (stage, request.hearing_time.as_deref()) {
        (Stage::Hearing, Some(t)) => match NaiveTime::parse_from_str(t.trim(), "%H:%M") {
            Ok(t) => Some(t),
            Err(_) => {
                errors.push(("hearing_time".into(), "a 24-hour time, HH:MM".into()));
                None
            }
        },
        (_, Some(_)) => {
            errors.push(("hearing_time".into(), "only for a hearing".into()));
            None
        }
        (_, None) => None,
    };
    let hearing_on = match (stage, request.hearing_on) {
        (Stage::Hearing, None) => {
            errors.push(("hearing_on".into(), "required for a hearing".into()));
            None
        }
        (Stage::Hearing, Some(d)) => Some(d),
        (_, Some(_)) => {
            errors.push(("hearing_on".into(), "only for a hearing".into()));
            None
        }
        (_, None) => None,
    };
    let hearing = hearing_on.map(|hearing_on| Hearing { hearing_on, time });
    if request.grounds.is_some() && !matches!(stage, Stage::Order | Stage::NoticeServed) {
        errors.push(("grounds".into(), "only for a notice or an order".into()));
    }
    if stage != Stage::Order {
        if request.ordered_on.is_some() {
            errors.push(("ordered_on".into(), "only for an order".into()));
        }
        for (field, given) in [
            ("order_type", request.order_type.is_some()),
            ("possession_date", request.possession_date.is_some()),
            ("terms", request.terms.is_some()),
        ] {
            if given {
                errors.push((field.into(), "only for an order".into()));
            }
        }
        return (hearing, None);
    }
    let terms = request.terms.as_ref().map(|t| TermsInput {
        towards_arrears_pence: t.towards_arrears_pence,
        frequency: t.frequency.as_deref(),
        from: t.from,
    });
    match court::parse_order(
        request.order_type.as_deref(),
        request.possession_date,
        terms,
    ) {
        Ok(o) => (hearing, Some(o)),
        Err(e) => {
            errors.extend(e);
            (hearing, None)
        }
    }
}

/// A notice's grounds, after ground 8 is measured for a section 8 notice (HA 1988 Sch 2
/// ground 8: rent unpaid on the deemed service date, CPR 6.26, against the rent in force that
/// day). A posted notice is recorded before it is served: measured today, and said so.
pub fn notice_grounds(
    n: &mut NoticeDates,
    given: Option<&[u8]>,
    facts: &AccountFacts,
    entries: &[LedgerEntry],
    today: NaiveDate,
) -> Result<(), Refusal> {
    if n.kind == NoticeKind::Section8 {
        let on = n.served_on.min(today);
        let arrears = rent_arrears(facts, entries, on);
        let mut g = protocol::ground_8_for(n.regime, &arrears, &facts.schedule.rent_on(on));
        if on < n.served_on {
            g.reason.push_str(&format!(
                " (measured on {}, before the notice is deemed served on {}: check it \
                 again then)",
                on.format("%-d %B %Y"),
                n.served_on.format("%-d %B %Y")
            ));
        }
        n.ground_8 = Some(g);
    }
    let grounds = protocol::notice_grounds(n.kind, given, n.ground_8.as_ref())
        .map_err(|r| ("grounds".to_owned(), r))?;
    n.grounds = Some(grounds);
    Ok(())
}

/// CPR 83.2(3)(a): the permission to issue a warrant is for the order, so given after it was
/// made.
pub fn check_permission(
    permission_on: NaiveDate,
    order_made: Option<NaiveDate>,
) -> Result<(), Refusal> {
    match order_made {
        Some(made) if permission_on < made => Err((
            "permission_granted_on".into(),
            format!(
                "is before the order it permits a warrant on, made on {}",
                made.format("%-d %B %Y")
            ),
        )),
        _ => Ok(()),
    }
}

/// An order's grounds against the notice, the date it was made, the mandatory-ground rules, and
/// ground 8 on the hearing date's arrears (docs/possession.md#court-orders-and-warrants). Fills
/// in the order's grounds and date.
#[allow(clippy::too_many_arguments)]
pub fn check_order(
    order: &mut CourtOrder,
    request: &StepRequest,
    cx: &StepContext<'_>,
    facts: &AccountFacts,
    entries: &[LedgerEntry],
    case: &CaseFacts,
    gates: &GateFacts,
) -> Result<(), Vec<Refusal>> {
    let today = cx.now.date();
    let one = |field: &str, reason: String| vec![(field.to_owned(), reason)];
    let notice_kind = cx.rules.kind_for_tenure(cx.tenure);
    order.grounds = court::order_grounds(
        order.kind,
        request.grounds.as_deref(),
        notice_kind,
        gates.notice.as_ref(),
    )
    .map_err(|r| one("grounds", r))?;
    // The order is made at the hearing unless the officer says otherwise.
    let ordered_on = request
        .ordered_on
        .or(case.court.hearing_on.filter(|d| *d <= today))
        .unwrap_or(today);
    // A date the officer typed must not be before the hearing recorded (a hearing the court
    // brought forward is recorded again first). The default is not checked: it is the hearing
    // date, or today while the recorded hearing is still ahead.
    if let Some(given) = request.ordered_on {
        court::check_order_date(case.court.hearing_on, given).map_err(|r| one("ordered_on", r))?;
    }
    order.ordered_on = Some(ordered_on);
    let mandatory = court::mandatory_ground_rules(order, ordered_on);
    if !mandatory.is_empty() {
        return Err(mandatory);
    }
    if !order.grounds.contains(&Ground::G8) {
        return Ok(());
    }
    // HA 1988 Sch 2 ground 8 must hold at the notice's deemed service date too: a notice
    // recorded before it (by post) was measured early; measured again now.
    if let Some(n) = &gates.notice
        && let Some(g) = ground_8_at_service(facts, entries, n, today).filter(|g| !g.available)
    {
        return Err(one(
            "grounds",
            format!(
                "ground 8 did not hold on {}, the day the notice was deemed served: arrears \
                 counted {} against {} ({}). {}",
                n.served_on.format("%-d %B %Y"),
                g.counted,
                g.threshold,
                g.threshold_words(),
                g.reason
            ),
        ));
    }
    // The arrears on the hearing date, measured with the notice's own rule.
    let on = case.court.hearing_on.unwrap_or(ordered_on).min(today);
    let in_force = facts.schedule.rent_on(on);
    let rent = rent_arrears(facts, entries, on);
    let at_hearing = match &gates.notice {
        Some(n) => court::ground_8_at_hearing(n, &rent, &in_force),
        // No notice details on record: the regime a section 8 notice had then.
        None => Some(protocol::ground_8_for(
            cx.rules.regime(NoticeKind::Section8, on),
            &rent,
            &in_force,
        )),
    };
    match at_hearing
        .as_ref()
        .and_then(|g| court::ground_8_held_at_hearing(order, g, on))
    {
        Some(refusal) => Err(vec![refusal]),
        None => Ok(()),
    }
}

/// Ground 8 on a section 8 notice's deemed service date, measured again when the figure kept
/// with the notice was measured before it (a posted notice is recorded before it is deemed
/// served) and that day has come. `None`: the kept figure stands (or no ground 8 to measure).
pub fn ground_8_at_service(
    facts: &AccountFacts,
    entries: &[LedgerEntry],
    n: &NoticeDates,
    today: NaiveDate,
) -> Option<Ground8> {
    let kept = n.ground_8.as_ref()?;
    let early = kept.measured_on.is_some_and(|m| m < n.served_on);
    (n.kind == NoticeKind::Section8 && early && n.served_on <= today).then(|| {
        let on = n.served_on;
        protocol::ground_8_for(
            n.regime,
            &rent_arrears(facts, entries, on),
            &facts.schedule.rent_on(on),
        )
    })
}

/// The written notice of the intention to apply to fix a date (PD 55A para 10.3), as given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixDateNoticeGiven {
    pub sent_on: NaiveDate,
    pub service_method: ServiceMethod,
    /// The day it counts as given (CPR 6.26).
    pub given_on: NaiveDate,
}

/// The fields of a step after a postponed order: the written notice needs how and when it
/// was sent (not in the future); the other steps take neither.
pub fn check_after_order_step(
    step: OrderStep,
    request: &StepRequest,
    today: NaiveDate,
) -> Result<Option<FixDateNoticeGiven>, Vec<Refusal>> {
    let mut errors: Vec<Refusal> = vec![];
    let method = request.service_method;
    let notice = match step {
        OrderStep::FixDateNotice => {
            if method.is_none() {
                errors.push((
                    "service_method".to_owned(),
                    "hand or first_class_post".to_owned(),
                ));
            }
            match request.sent_on {
                None => errors.push((
                    "sent_on".to_owned(),
                    "required for the written notice".to_owned(),
                )),
                Some(d) if d > today => {
                    errors.push(("sent_on".to_owned(), "is in the future".to_owned()))
                }
                _ => {}
            }
            // CPR 6.26 by hand: the time decides the day. Without one, the notice is taken as
            // handed over at the end of the day (served the next business day): the 14 clear
            // days then never start too early.
            let sent_time = request
                .sent_time
                .as_deref()
                .and_then(|t| NaiveTime::parse_from_str(t.trim(), "%H:%M").ok())
                .unwrap_or(NaiveTime::from_hms_opt(23, 59, 0).unwrap_or(NaiveTime::MIN));
            request
                .sent_on
                .zip(method)
                .map(|(sent_on, m)| FixDateNoticeGiven {
                    sent_on,
                    service_method: m,
                    given_on: protocol::deemed_service(sent_on.and_time(sent_time), m),
                })
        }
        OrderStep::FixDateApplication | OrderStep::CourtToldOfBreathingSpace => {
            for (field, given) in [
                ("sent_on", request.sent_on.is_some()),
                ("service_method", request.service_method.is_some()),
            ] {
                if given {
                    errors.push((field.into(), "only for the written notice".into()));
                }
            }
            None
        }
    };
    if errors.is_empty() {
        Ok(notice)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    fn at(d: NaiveDate, h: u32, min: u32) -> NaiveDateTime {
        d.and_hms_opt(h, min, 0).unwrap()
    }

    const RULES: NoticeRules = NoticeRules {
        renters_rights_from: None,
        starter_is_introductory: false,
    };

    fn cx(tenure: &str, now: NaiveDateTime) -> StepContext<'_> {
        StepContext {
            tenure,
            rules: &RULES,
            max_row_amount: Pence::DEFAULT_MAX_ROW_AMOUNT,
            now,
            schedule: None,
        }
    }

    fn notice(sent_on: NaiveDate, method: ServiceMethod, time: Option<&str>) -> StepRequest {
        StepRequest {
            step: "notice_served".into(),
            sent_on: Some(sent_on),
            service_method: Some(method),
            sent_time: time.map(str::to_owned),
            ..StepRequest::default()
        }
    }

    fn fields(r: Result<Planned, Vec<Refusal>>) -> Vec<(String, String)> {
        r.err().unwrap_or_default()
    }

    // Wednesday 25 November 2026, 12:00 London.
    fn noon() -> NaiveDateTime {
        at(day(11, 25), 12, 0)
    }

    #[test]
    fn a_notice_served_by_hand_this_morning_is_planned_with_its_dates() {
        let req = notice(day(11, 25), ServiceMethod::Hand, Some("10:30"));
        let planned = check_stage_step(Stage::NoticeServed, &req, &cx("secure", noon())).unwrap();
        let n = planned.notice.unwrap();
        assert_eq!(n.kind, NoticeKind::Nosp);
        assert_eq!(n.served_on, day(11, 25));
        assert!(planned.hearing.is_none() && planned.order.is_none());
    }

    #[test]
    fn a_notice_is_recorded_within_14_days_of_sending() {
        let cx = cx("secure", noon());
        let on_limit = notice(day(11, 11), ServiceMethod::FirstClassPost, None);
        assert!(check_stage_step(Stage::NoticeServed, &on_limit, &cx).is_ok());
        let too_old = notice(day(11, 10), ServiceMethod::FirstClassPost, None);
        assert_eq!(
            fields(check_stage_step(Stage::NoticeServed, &too_old, &cx)),
            vec![(
                "sent_on".to_owned(),
                "more than 14 days ago: record notices as they are served".to_owned()
            )]
        );
    }

    #[test]
    fn a_notice_sent_later_today_or_tomorrow_is_in_the_future() {
        let cx = cx("assured", noon());
        let later = notice(day(11, 25), ServiceMethod::Hand, Some("12:01"));
        assert_eq!(
            fields(check_stage_step(Stage::NoticeServed, &later, &cx)),
            vec![("sent_time".to_owned(), "is in the future".to_owned())]
        );
        let tomorrow = notice(day(11, 26), ServiceMethod::FirstClassPost, None);
        assert_eq!(
            fields(check_stage_step(Stage::NoticeServed, &tomorrow, &cx)),
            vec![("sent_on".to_owned(), "is in the future".to_owned())]
        );
        // A time later in the day on an earlier day is not in the future.
        let yesterday = notice(day(11, 24), ServiceMethod::Hand, Some("15:00"));
        assert!(check_stage_step(Stage::NoticeServed, &yesterday, &cx).is_ok());
    }

    #[test]
    fn every_notice_field_is_named_in_order() {
        let req = StepRequest {
            step: "notice_served".into(),
            ..StepRequest::default()
        };
        let got: Vec<String> = fields(check_stage_step(
            Stage::NoticeServed,
            &req,
            &cx("leasehold", noon()),
        ))
        .into_iter()
        .map(|(f, _)| f)
        .collect();
        assert_eq!(got, vec!["service_method", "sent_on", "step"]);
        let by_hand = StepRequest {
            service_method: Some(ServiceMethod::Hand),
            sent_on: Some(day(11, 25)),
            ..req
        };
        let refused = fields(check_stage_step(
            Stage::NoticeServed,
            &by_hand,
            &cx("secure", noon()),
        ));
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].0, "sent_time");
        assert!(
            refused[0]
                .1
                .starts_with("required for a notice served by hand")
        );
    }

    #[test]
    fn court_details_belong_to_their_own_steps() {
        let req = StepRequest {
            step: "court_application".into(),
            hearing_on: Some(day(12, 20)),
            hearing_time: Some("10:30".into()),
            ordered_on: Some(day(11, 20)),
            grounds: Some(vec![1]),
            ..StepRequest::default()
        };
        let got = fields(check_stage_step(
            Stage::CourtApplication,
            &req,
            &cx("secure", noon()),
        ));
        assert_eq!(
            got,
            vec![
                ("hearing_time".to_owned(), "only for a hearing".to_owned()),
                ("hearing_on".to_owned(), "only for a hearing".to_owned()),
                (
                    "grounds".to_owned(),
                    "only for a notice or an order".to_owned()
                ),
                ("ordered_on".to_owned(), "only for an order".to_owned()),
            ]
        );
        let hearing = StepRequest {
            step: "hearing".into(),
            hearing_time: Some("half ten".into()),
            ..StepRequest::default()
        };
        assert_eq!(
            fields(check_stage_step(
                Stage::Hearing,
                &hearing,
                &cx("secure", noon())
            )),
            vec![
                (
                    "hearing_time".to_owned(),
                    "a 24-hour time, HH:MM".to_owned()
                ),
                ("hearing_on".to_owned(), "required for a hearing".to_owned()),
            ]
        );
    }

    #[test]
    fn a_warrant_permission_is_not_in_the_future_nor_before_the_order() {
        let future = StepRequest {
            step: "warrant".into(),
            permission_granted_on: Some(day(11, 26)),
            ..StepRequest::default()
        };
        assert_eq!(
            fields(check_stage_step(
                Stage::Warrant,
                &future,
                &cx("secure", noon())
            )),
            vec![(
                "permission_granted_on".to_owned(),
                "is in the future".to_owned()
            )]
        );
        let on_a_hearing = StepRequest {
            step: "hearing".into(),
            hearing_on: Some(day(12, 20)),
            permission_granted_on: Some(day(11, 20)),
            ..StepRequest::default()
        };
        assert_eq!(
            fields(check_stage_step(
                Stage::Hearing,
                &on_a_hearing,
                &cx("secure", noon())
            )),
            vec![(
                "permission_granted_on".to_owned(),
                "only for a warrant".to_owned()
            )]
        );
        assert!(check_permission(day(11, 20), Some(day(11, 20))).is_ok());
        assert!(check_permission(day(11, 20), None).is_ok());
        assert_eq!(
            check_permission(day(11, 19), Some(day(11, 20))),
            Err((
                "permission_granted_on".to_owned(),
                "is before the order it permits a warrant on, made on 20 November 2026".to_owned()
            ))
        );
    }

    #[test]
    fn the_step_names_a_protocol_step_an_after_order_step_or_a_stage() {
        let req = |step: &str, protocol: Option<&str>| StepRequest {
            step: step.into(),
            protocol_step: protocol.map(str::to_owned),
            ..StepRequest::default()
        };
        assert_eq!(
            step_kind(&req("protocol", Some("contact_made"))),
            Ok(StepKind::Protocol(ProtocolStep::ContactMade))
        );
        assert_eq!(
            step_kind(&req("protocol", None)).unwrap_err().0,
            "protocol_step"
        );
        assert_eq!(
            step_kind(&req("fix_date_notice", None)),
            Ok(StepKind::AfterOrder(OrderStep::FixDateNotice))
        );
        assert_eq!(
            step_kind(&req("hearing", None)),
            Ok(StepKind::Stage(Stage::Hearing))
        );
        assert_eq!(step_kind(&req("nonsense", None)).unwrap_err().0, "step");
    }

    #[test]
    fn the_fix_date_notice_needs_how_and_when_and_the_application_takes_neither() {
        let empty = StepRequest {
            step: "fix_date_notice".into(),
            ..StepRequest::default()
        };
        assert_eq!(
            check_after_order_step(OrderStep::FixDateNotice, &empty, day(11, 25)),
            Err(vec![
                (
                    "service_method".to_owned(),
                    "hand or first_class_post".to_owned()
                ),
                (
                    "sent_on".to_owned(),
                    "required for the written notice".to_owned()
                ),
            ])
        );
        // By hand with no time: taken as handed over at the end of the day, so given on the
        // next business day (Wednesday 25 → Thursday 26 November 2026).
        let by_hand = StepRequest {
            sent_on: Some(day(11, 25)),
            service_method: Some(ServiceMethod::Hand),
            ..empty.clone()
        };
        let given = check_after_order_step(OrderStep::FixDateNotice, &by_hand, day(11, 25))
            .unwrap()
            .unwrap();
        assert_eq!(given.given_on, day(11, 26));
        assert_eq!(
            check_after_order_step(OrderStep::FixDateNotice, &by_hand, day(11, 24)),
            Err(vec![("sent_on".to_owned(), "is in the future".to_owned())])
        );
        assert_eq!(
            check_after_order_step(OrderStep::FixDateApplication, &by_hand, day(11, 25)),
            Err(vec![
                (
                    "sent_on".to_owned(),
                    "only for the written notice".to_owned()
                ),
                (
                    "service_method".to_owned(),
                    "only for the written notice".to_owned()
                ),
            ])
        );
    }
}
