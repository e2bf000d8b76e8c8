//! Court, orders, warrant (domain.md §4 "Court, orders, warrant" and the default local policy):
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
use crate::ledger::LedgerEntry;
use crate::tenancy::Frequency;
use crate::triggers::{Instalment, InstalmentStatus, allocate, schedule_dates, weekly_charges};
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    Outright,
    Suspended,
    Postponed,
    /// Adjourned on terms.
    Adjourned,
    Dismissed,
}

impl OrderKind {
    pub const ALL: &'static [OrderKind] = &[
        OrderKind::Outright,
        OrderKind::Suspended,
        OrderKind::Postponed,
        OrderKind::Adjourned,
        OrderKind::Dismissed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderKind::Outright => "outright",
            OrderKind::Suspended => "suspended",
            OrderKind::Postponed => "postponed",
            OrderKind::Adjourned => "adjourned",
            OrderKind::Dismissed => "dismissed",
        }
    }

    pub fn parse(s: &str) -> Option<OrderKind> {
        OrderKind::ALL.iter().copied().find(|k| k.as_str() == s)
    }

    /// Suspended, postponed and adjourned-on-terms orders are kept by keeping to terms.
    pub fn has_terms(self) -> bool {
        matches!(
            self,
            OrderKind::Suspended | OrderKind::Postponed | OrderKind::Adjourned
        )
    }
}

/// The terms of an order: the current rent plus `towards_arrears` every `frequency`, from
/// `from` (the first payment date).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderTerms {
    pub towards_arrears: Pence,
    pub frequency: Frequency,
    pub from: NaiveDate,
}

/// An order as recorded by the officer (kept as the order step's facts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourtOrder {
    pub kind: OrderKind,
    /// Outright and suspended: the date for possession. Postponed: none until the court fixes
    /// one on the landlord's application after a breach (record the order again with it).
    pub possession_date: Option<NaiveDate>,
    pub terms: Option<OrderTerms>,
}

/// A hearing as recorded (kept as the hearing step's facts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hearing {
    pub hearing_on: NaiveDate,
    /// Its time, when the officer knows it (for the hearing letter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<chrono::NaiveTime>,
}

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
        })
    } else {
        Err(errors)
    }
}

/// Payments under an order's terms, per instalment. Each instalment is the rent and service
/// charges posted for the period it starts (rent is charged in advance; a rent-free week asks
/// for nothing) plus the amount towards the arrears. What counts as paid: the tenant's own
/// payments and the benefit system's (HB, UC paid to the landlord, DWP deductions: the order
/// is about the rent being paid, whoever pays it) since the first payment date, plus
/// `technical_arrears` (a benefit payment due but not yet arrived is not the tenant's breach,
/// domain.md §2). Allocated oldest instalment first; one not covered `grace_days` after its
/// date is missed, as for an arrangement (`triggers::adherence`).
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
    pub next_stage: Option<(crate::escalation::Stage, NaiveDate, String)>,
    pub action: Option<crate::escalation::Action>,
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

/// The local policy after an order (domain.md §4): an outright order → a warrant once the
/// possession date has passed; terms kept → monitor them; terms breached → a visit or contact
/// first, then (suspended) a warrant application, (postponed) an application to fix a date,
/// (adjourned) an application to restore the claim.
pub fn after_order(court: &CourtFacts, today: NaiveDate) -> AfterOrder {
    use crate::escalation::{Action, ActionKind, Stage};
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
        let next_due = crate::triggers::schedule_dates(
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
            Some(d) if d >= today => warrant_from_date(&mut out, d, "N325A"),
            _ => {
                out.next_stage = Some((
                    Stage::Warrant,
                    today,
                    "The terms of the court order have not been kept. We may apply for a \
                     warrant for possession (form N325A). You can apply to the court (form \
                     N244) to suspend it."
                        .into(),
                ))
            }
        },
        OrderKind::Postponed => match order.possession_date {
            Some(d) => warrant_from_date(&mut out, d, "N325A"),
            None => {
                out.action = Some(Action {
                    kind: ActionKind::ApplyToFixDate,
                    earliest: today,
                    description: "The terms of the court order have not been kept. We may ask \
                                  the court to fix a date for possession; you will be told and \
                                  can ask the court to consider your circumstances."
                        .into(),
                })
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::escalation::{ActionKind, Stage};
    use crate::ledger::TransactionKind;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
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
            }),
            instalments,
            last_contact,
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
        assert!(text.contains("N325A"));
        // Postponed: no date yet, so the court is asked to fix one; with a date, a warrant
        // after it.
        let mut f = suspended(missed.clone(), Some(d(2026, 11, 20)));
        let order = f.order.as_mut().unwrap();
        order.kind = OrderKind::Postponed;
        order.possession_date = None;
        let a = after_order(&f, today);
        assert_eq!(a.next_stage, None);
        assert_eq!(a.action.unwrap().kind, ActionKind::ApplyToFixDate);
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

    #[test]
    fn an_outright_order_leads_to_a_warrant_after_the_possession_date_and_dismissal_to_nothing() {
        let today = d(2026, 11, 25);
        let mut f = CourtFacts {
            order: Some(CourtOrder {
                kind: OrderKind::Outright,
                possession_date: Some(d(2026, 12, 9)),
                terms: None,
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

    #[test]
    fn a_visit_or_a_call_that_reached_the_tenant_counts_as_contact() {
        assert!(is_visit_or_contact("visit", Some("no_access")));
        assert!(is_visit_or_contact("call", Some("answered")));
        assert!(!is_visit_or_contact("call", Some("no_answer")));
        assert!(!is_visit_or_contact("letter", None));
    }
}
