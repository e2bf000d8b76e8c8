//! Letters for the stages of the escalation process (issue 7): rendered from the account's
//! figures, in the order the pre-action protocol expects — what is owed and why, what the tenant
//! can do, where free advice is, and (only from the second letter on) what happens next if
//! nothing changes. Pure: the store turns a [`Letter`] into a PDF and keeps it.

use crate::Pence;
use crate::letters::blocks::{Block, Letter};
use crate::letters::templates::{LetterTemplates, Values};
use crate::possession::next_step::FREE_ADVICE;
use crate::possession::order::{CourtOrder, Hearing, OrderKind, OrderTerms};
use crate::possession::protocol::{NoticeDates, ProtocolStep};
use crate::possession::types::NoticeKind;
use crate::possession::types::Stage;
use crate::tenancy::Frequency;
use chrono::{Months, NaiveDate};

/// One line of the recent statement printed on the letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    pub date: NaiveDate,
    pub description: String,
    /// Signed: debit +, credit −.
    pub amount: Pence,
    pub balance: Pence,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterFacts {
    pub today: NaiveDate,
    pub landlord: String,
    pub officer_name: String,
    /// Who this copy is addressed to: each named tenant gets their own (docs/possession.md,
    /// protocol step 1).
    pub tenant_name: String,
    /// Every named tenant, lead first: a notice names them all (docs/possession.md#notices, NOSP).
    pub tenants: Vec<String>,
    pub address: Vec<String>,
    pub reference: String,
    pub balance: Pence,
    pub real_arrears: Pence,
    /// A UC/HB payment due that will clear part of the balance, and why.
    pub technical_arrears: Pence,
    pub technical_reason: Option<String>,
    pub weekly_charge: Pence,
    /// e.g. "4.30"
    pub weeks_in_arrears: Option<String>,
    /// The active arrangement in words, if any.
    pub arrangement: Option<String>,
    /// The notice served (for the notice letter and later).
    pub notice: Option<NoticeDates>,
    /// The hearing recorded with the hearing step (for the hearing letter).
    pub hearing: Option<Hearing>,
    /// The order recorded with the order step (for the order and warrant letters).
    pub order: Option<CourtOrder>,
    /// Oldest first. With `statement_from` set, every line from that day to `today` (the
    /// hearing letter's full schedule); otherwise the most recent few.
    pub statement: Vec<StatementLine>,
    pub statement_from: Option<NaiveDate>,
    /// The last day of the time limit a protocol letter gives (para 2.9, Part 3; a letter of
    /// claim's 30 days to reply).
    pub time_limit_ends_on: Option<NaiveDate>,
    /// A former tenant's letter of claim: what is claimed (within the six years), and what is
    /// statute-barred and not claimed.
    pub claim: Option<crate::limitation::Limitation>,
}

/// What a letter goes with: a stage, or a protocol step whose letter the Protocol asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LetterFor {
    Stage(Stage),
    Protocol(ProtocolStep),
}

impl LetterFor {
    /// Whether it has a letter at all.
    pub fn has_letter(self) -> bool {
        match self {
            LetterFor::Stage(s) => has_letter(s),
            LetterFor::Protocol(p) => protocol_template_key(p).is_some(),
        }
    }

    /// The name the letter is kept under (the stage or the protocol step).
    pub fn as_str(self) -> &'static str {
        match self {
            LetterFor::Stage(s) => s.as_str(),
            LetterFor::Protocol(p) => p.as_str(),
        }
    }
}

impl From<Stage> for LetterFor {
    fn from(s: Stage) -> LetterFor {
        LetterFor::Stage(s)
    }
}

/// The protocol steps that are a letter to the tenant, and their template: para 2.9's warning
/// after an arrangement broke, Part 3 para 3.2(a)'s letter explaining why possession is sought.
pub fn protocol_template_key(step: ProtocolStep) -> Option<&'static str> {
    match step {
        ProtocolStep::ArrangementBreachWarning => Some("arrangement_breach_warning"),
        ProtocolStep::PossessionReasonsExplained => Some("possession_reasons_explained"),
        ProtocolStep::DebtLetterOfClaimSent => Some("debt_letter_of_claim"),
        _ => None,
    }
}

/// The letter for a stage or a protocol step, worded from `templates`; `None` when it has
/// none, or when what the letter must say is not recorded (a protocol letter without its time
/// limit, a notice letter without the notice, …).
pub fn compose_for(
    templates: &LetterTemplates,
    what: LetterFor,
    f: &LetterFacts,
) -> Option<Letter> {
    match what {
        LetterFor::Stage(stage) => compose_with(templates, stage, f),
        LetterFor::Protocol(step) => {
            let key = protocol_template_key(step)?;
            f.time_limit_ends_on?;
            if step == ProtocolStep::DebtLetterOfClaimSent {
                f.claim?;
            }
            let (title, blocks) = templates.get(key)?.render(&values(f));
            Some(Letter { title, blocks })
        }
    }
}

/// Where the statement on a stage's letter starts: the hearing letter encloses a 2-year
/// schedule of charges and payments with a running balance (docs/possession.md#pre-action-protocol-gates, protocol step 9);
/// `None`: the most recent lines only.
pub fn statement_from(stage: Stage, today: NaiveDate) -> Option<NaiveDate> {
    match stage {
        Stage::Hearing => today.checked_sub_months(Months::new(24)),
        _ => None,
    }
}

/// The stages a letter goes with.
pub fn has_letter(stage: Stage) -> bool {
    matches!(
        stage,
        Stage::FirstLetter
            | Stage::SecondLetter
            | Stage::NoticeServed
            | Stage::CourtApplication
            | Stage::Hearing
            | Stage::Order
            | Stage::Warrant
    )
}

/// "£5.00 each week" for an order's terms.
fn per(terms: &OrderTerms) -> String {
    let every = match terms.frequency {
        Frequency::Weekly => "each week",
        Frequency::Fortnightly => "every two weeks",
        Frequency::FourWeekly => "every four weeks",
        Frequency::Monthly => "each month",
    };
    format!("{} {every}", terms.towards_arrears)
}

/// "pay your rent as it falls due plus £5.00 each week towards the arrears, from 7 December 2026"
fn terms_words(terms: &OrderTerms) -> String {
    format!(
        "pay your current rent as it falls due plus {} towards the arrears, starting on {}",
        per(terms),
        date(terms.from)
    )
}

/// The order sought at the hearing, from what is known: the notice served.
fn order_sought(f: &LetterFacts) -> String {
    let home = if f.address.is_empty() {
        "your home".to_owned()
    } else {
        f.address.join(", ")
    };
    match &f.notice {
        Some(n) if n.kind == NoticeKind::Nosp => format!(
            "an order for possession of {home} on ground 1 of Schedule 2 to the Housing Act \
             1985 (rent lawfully due has not been paid), as set out in the notice served on {}",
            date(n.served_on)
        ),
        Some(n)
            if n.kind == NoticeKind::Section8
                && n.grounds.as_ref().is_some_and(|g| !g.is_empty()) =>
        {
            format!(
                "an order for possession of {home} on {} of Schedule 2 to the Housing Act 1988, \
                 as set out in the notice served on {}",
                crate::possession::protocol::grounds_label(&n.grounds_given()),
                date(n.served_on)
            )
        }
        Some(n) => format!(
            "an order for possession of {home} on the rent arrears ground(s) set out in the \
             notice served on {}",
            date(n.served_on)
        ),
        None => format!("an order for possession of {home} because of the rent arrears"),
    }
}

fn date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// "A", "A and B", "A, B and C".
fn and_list(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The letter for `stage` in the shipped wording; `None` for a stage without one, or when
/// what the letter must say is not recorded (a notice letter without the notice, …).
pub fn compose(stage: Stage, f: &LetterFacts) -> Option<Letter> {
    compose_with(LetterTemplates::builtin(), stage, f)
}

/// Which template a stage's letter is worded from, given what is recorded.
pub fn template_key(stage: Stage, f: &LetterFacts) -> Option<&'static str> {
    Some(match stage {
        Stage::FirstLetter => "first_letter",
        Stage::SecondLetter => "second_letter",
        Stage::NoticeServed if f.notice.is_some() => "notice",
        Stage::CourtApplication => "court_application",
        Stage::Hearing if f.hearing.is_some() => "hearing",
        Stage::Order => {
            let o = f.order.as_ref()?;
            match (o.kind, &o.terms) {
                (OrderKind::Outright, _) => "order_outright",
                (OrderKind::Dismissed, _) => "order_dismissed",
                // An order that needs terms but was recorded without them: say nothing wrong.
                (_, None) => return None,
                (OrderKind::Suspended, Some(_)) => "order_suspended",
                (OrderKind::Postponed, Some(_)) => "order_postponed",
                (OrderKind::Adjourned, Some(_)) => "order_adjourned",
            }
        }
        Stage::Warrant => "warrant",
        _ => return None,
    })
}

/// The letter for `stage` worded from `templates` (the landlord's, see
/// [`crate::letters::templates`]).
pub fn compose_with(templates: &LetterTemplates, stage: Stage, f: &LetterFacts) -> Option<Letter> {
    if !has_letter(stage) {
        return None;
    }
    let key = template_key(stage, f)?;
    let (title, blocks) = templates.get(key)?.render(&values(f));
    Some(Letter { title, blocks })
}

/// "Your rent account shows £423.50 owing, which is 4.30 weeks of rent and charges at £98.50 a
/// week." — the arrears in the words every letter has used.
fn owed(f: &LetterFacts) -> String {
    format!(
        "Your rent account shows {} owing{}, which is {} of rent and charges at {} a week.",
        f.real_arrears,
        if f.technical_arrears.0 > 0 {
            format!(
                " (not counting {} that {} will cover)",
                f.technical_arrears,
                f.technical_reason
                    .as_deref()
                    .unwrap_or("a benefit payment now due")
            )
        } else {
            String::new()
        },
        f.weeks_in_arrears
            .as_deref()
            .map_or("several weeks".to_owned(), |w| format!("{w} weeks")),
        f.weekly_charge
    )
}

/// The ground(s) an order was made on, in words (and what a mandatory ground means); `None`
/// when none is recorded (adjourned, dismissed, or an order stored before grounds were kept).
fn order_grounds(o: &CourtOrder) -> Option<String> {
    if o.grounds.is_empty() {
        return None;
    }
    let words: Vec<&str> = o.grounds.iter().map(|g| g.describe()).collect();
    let mut text = format!("The court made the order on {}.", words.join(" and on "));
    if o.grounds.iter().any(|g| g.is_mandatory()) {
        text.push_str(
            " Ground 8 is a mandatory ground: once it is proved the court must make the order \
             and cannot suspend or postpone it.",
        );
    }
    Some(text)
}

/// The rent statement printed on a letter: the full schedule from `statement_from` (the
/// hearing letter), or the most recent lines; `None` when there is nothing to print.
fn statement_blocks(f: &LetterFacts) -> Option<Vec<Block>> {
    if let Some(from) = f.statement_from {
        let opening = f
            .statement
            .first()
            .map_or(f.balance, |l| l.balance - l.amount);
        let mut rows = vec![vec![
            from.format("%d/%m/%Y").to_string(),
            "Balance brought forward".into(),
            String::new(),
            String::new(),
            opening.to_string(),
        ]];
        rows.extend(f.statement.iter().map(|l| {
            let (charge, payment) = if l.amount.0 >= 0 {
                (l.amount.to_string(), String::new())
            } else {
                (String::new(), (-l.amount).to_string())
            };
            vec![
                l.date.format("%d/%m/%Y").to_string(),
                l.description.clone(),
                charge,
                payment,
                l.balance.to_string(),
            ]
        }));
        Some(vec![
            Block::Heading(format!(
                "Rent statement: charges and payments from {} to {}",
                date(from),
                date(f.today)
            )),
            Block::Table {
                headers: vec![
                    "Date".into(),
                    "Description".into(),
                    "Charges".into(),
                    "Payments".into(),
                    "Balance".into(),
                ],
                rows,
            },
        ])
    } else if !f.statement.is_empty() {
        Some(vec![
            Block::Heading("Recent statement".into()),
            Block::Table {
                headers: vec![
                    "Date".into(),
                    "Description".into(),
                    "Amount".into(),
                    "Balance".into(),
                ],
                rows: f
                    .statement
                    .iter()
                    .map(|l| {
                        vec![
                            l.date.format("%d/%m/%Y").to_string(),
                            l.description.clone(),
                            l.amount.to_string(),
                            l.balance.to_string(),
                        ]
                    })
                    .collect(),
            },
        ])
    } else {
        None
    }
}

/// Every placeholder's value for this account (see `crate::letters::templates` for which letter
/// may use which).
pub fn values(f: &LetterFacts) -> Values {
    let mut v = Values::default();
    let mut put = |k: &'static str, x: Option<String>| {
        v.text.insert(k, x);
    };
    put("address", Some(f.address.join(", ")));
    put("date", Some(date(f.today)));
    put("reference", Some(f.reference.clone()));
    put("landlord", Some(f.landlord.clone()));
    put("tenant_name", Some(f.tenant_name.clone()));
    put("tenants", Some(and_list(&f.tenants)));
    put("officer_name", Some(f.officer_name.clone()));
    put("balance", Some(f.balance.to_string()));
    put("real_arrears", Some(f.real_arrears.to_string()));
    put(
        "technical_arrears",
        (f.technical_arrears.0 > 0).then(|| f.technical_arrears.to_string()),
    );
    put(
        "technical_reason",
        (f.technical_arrears.0 > 0)
            .then(|| f.technical_reason.clone())
            .flatten(),
    );
    put("weekly_charge", Some(f.weekly_charge.to_string()));
    put("weeks_in_arrears", f.weeks_in_arrears.clone());
    put("owed", Some(owed(f)));
    put("arrangement", f.arrangement.clone());
    let n = f.notice.as_ref();
    put(
        "notice_title",
        n.map(|n| {
            match n.kind {
                NoticeKind::Nosp => "Notice of Seeking Possession",
                NoticeKind::Section8 => "Notice under section 8 of the Housing Act 1988",
                NoticeKind::Introductory => {
                    "Notice of proceedings under section 128 of the Housing Act 1996"
                }
            }
            .to_owned()
        }),
    );
    put("notice_served_on", n.map(|n| date(n.served_on)));
    put(
        "earliest_proceedings",
        n.map(|n| date(n.earliest_proceedings)),
    );
    // What the notice itself says about when proceedings may begin: after the date it gives
    // for a NOSP or an introductory notice (HA 1985 s83A(2), HA 1996 s128(5)), not before it
    // for a section 8 notice (HA 1988 s8(3)(b)).
    put(
        "proceedings_rule",
        n.map(|n| {
            let rule = crate::possession::protocol::proceedings_rule(n);
            let mut c = rule.chars();
            c.next()
                .map(|first| format!("{}{}.", first.to_uppercase(), c.as_str()))
                .unwrap_or_default()
        }),
    );
    put("notice_expires", n.map(|n| date(n.expires)));
    // A notice names every joint tenant (docs/possession.md#notices); with one tenant there is no list.
    put(
        "joint_tenants",
        (f.tenants.len() > 1).then(|| and_list(&f.tenants)),
    );
    // Protocol 7: a copy of the Protocol is sent before issuing.
    put(
        "protocol_copy",
        Some(
            "We enclose a copy of the Pre-Action Protocol for Possession Claims by Social \
             Landlords."
                .to_owned(),
        ),
    );
    put("time_limit_ends_on", f.time_limit_ends_on.map(date));
    put("claim_amount", f.claim.map(|c| c.claimable.to_string()));
    put(
        "barred_amount",
        f.claim
            .filter(|c| c.barred.0 > 0)
            .map(|c| c.barred.to_string()),
    );
    put("hearing_date", f.hearing.map(|h| date(h.hearing_on)));
    put(
        "hearing_time",
        f.hearing
            .and_then(|h| h.time)
            .map(|t| t.format("%-I:%M%P").to_string()),
    );
    put("order_sought", Some(order_sought(f)));
    let o = f.order.as_ref();
    put(
        "possession_date",
        o.and_then(|o| o.possession_date).map(date),
    );
    put("terms", o.and_then(|o| o.terms.as_ref()).map(terms_words));
    put("order_grounds", o.and_then(order_grounds));
    // N325A after a suspended order for arrears is breached (docs/possession.md#court-orders-and-warrants).
    put(
        "warrant_form",
        Some(
            if matches!(o.map(|o| o.kind), Some(OrderKind::Suspended)) {
                "form N325A"
            } else {
                "form N325"
            }
            .to_owned(),
        ),
    );
    if matches!(
        o.map(|o| o.kind),
        Some(OrderKind::Suspended | OrderKind::Postponed)
    ) {
        v.flags.insert("after_terms");
    }
    if let Some(s) = statement_blocks(f) {
        v.blocks.insert("statement", s);
    }
    v.blocks.insert(
        "free_advice",
        vec![
            Block::Heading("Free, independent advice".into()),
            Block::Table {
                headers: vec!["Who".into(), "Where".into()],
                rows: FREE_ADVICE
                    .iter()
                    .map(|(who, url)| vec![(*who).to_owned(), (*url).to_owned()])
                    .collect(),
            },
        ],
    );
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::possession::protocol::tests::noon;
    use crate::possession::protocol::{ServiceMethod, notice_dates};

    fn facts() -> LetterFacts {
        LetterFacts {
            today: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
            landlord: "Kirklees Homes".into(),
            officer_name: "Sam Officer".into(),
            tenant_name: "Karen Haigh".into(),
            tenants: vec!["Karen Haigh".into()],
            address: vec!["12 Bradford Road".into(), "Huddersfield HD1 6LJ".into()],
            reference: "HD1001".into(),
            balance: Pence(42_350),
            real_arrears: Pence(42_350),
            technical_arrears: Pence::ZERO,
            technical_reason: None,
            weekly_charge: Pence(9_850),
            weeks_in_arrears: Some("4.30".into()),
            arrangement: None,
            notice: None,
            hearing: None,
            order: None,
            statement_from: None,
            statement: vec![StatementLine {
                date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
                description: "Rent".into(),
                amount: Pence(9_850),
                balance: Pence(42_350),
            }],
            time_limit_ends_on: None,
            claim: None,
        }
    }

    #[test]
    fn the_protocol_letters_give_their_time_limit_and_need_it() {
        let templates = LetterTemplates::builtin();
        let warning = LetterFor::Protocol(ProtocolStep::ArrangementBreachWarning);
        let part3 = LetterFor::Protocol(ProtocolStep::PossessionReasonsExplained);
        // No time limit recorded: no letter (it would tell the tenant nothing to act on).
        assert!(compose_for(templates, warning, &facts()).is_none());
        assert!(compose_for(templates, part3, &facts()).is_none());
        // Other protocol steps are not letters.
        let copy = LetterFor::Protocol(ProtocolStep::ProtocolCopySent);
        assert!(!copy.has_letter() && warning.has_letter() && part3.has_letter());
        let mut f = facts();
        f.time_limit_ends_on = NaiveDate::from_ymd_opt(2026, 12, 9);
        f.arrangement = Some("£10.00 weekly from 2 November 2026 towards the arrears".into());
        let w = compose_for(templates, warning, &f).unwrap().text();
        for said in [
            "£423.50 owing",
            "intend to apply to the court for possession",
            "by 9 December 2026",
            "£10.00 weekly from 2 November 2026",
            "StepChange",
        ] {
            assert!(w.contains(said), "{said}: {w}");
        }
        let p = compose_for(templates, part3, &f).unwrap();
        let t = p.text();
        assert!(
            p.title.starts_with("Why we intend to seek possession"),
            "{}",
            p.title
        );
        for said in [
            "Please write to us by 9 December 2026",
            "personal circumstances",
            "proportionate",
            "StepChange",
        ] {
            assert!(t.contains(said), "{said}: {t}");
        }
        // No notice recorded: the paragraph about it is left out, not printed half empty.
        assert!(!t.contains("served on"), "{t}");
        assert_eq!(
            compose_for(templates, Stage::FirstLetter.into(), &f),
            compose(Stage::FirstLetter, &f)
        );
    }

    #[test]
    fn every_letter_states_the_figures_and_free_advice_and_only_later_ones_warn() {
        let first = compose(Stage::FirstLetter, &facts()).unwrap().text();
        assert!(first.contains("£423.50 owing"), "{first}");
        assert!(first.contains("4.30 weeks") && first.contains("£98.50 a week"));
        assert!(first.contains("National Debtline") && first.contains("StepChange"));
        assert!(
            !first.contains("court"),
            "no threat in a first letter: {first}"
        );
        let second = compose(Stage::SecondLetter, &facts()).unwrap().text();
        assert!(second.contains("within 14 days") && second.contains("serve a notice"));
        assert!(compose(Stage::Hearing, &facts()).is_none());
    }

    #[test]
    fn the_notice_letter_gives_the_notice_dates_and_needs_them() {
        assert!(compose(Stage::NoticeServed, &facts()).is_none());
        let mut f = facts();
        let n = notice_dates(
            NoticeKind::Nosp,
            noon(NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()),
            ServiceMethod::Hand,
            &crate::possession::protocol::NoticeRules::default(),
        );
        f.notice = Some(n.clone());
        let l = compose(Stage::NoticeServed, &f).unwrap();
        assert_eq!(l.title, "Notice of Seeking Possession");
        let t = l.text();
        assert!(
            t.contains(&format!("served on {}", date(n.served_on))),
            "{t}"
        );
        // HA 1985 s83A(2): proceedings only after the date the notice gives (27 December 2026),
        // so from 28 December; never "before" the date in the notice.
        assert!(
            t.contains(
                "The notice gives 27 December 2026 as its date: court proceedings can only \
                 begin after that date, so not before 28 December 2026."
            ),
            "{t}"
        );
        assert!(!t.contains("cannot begin before 27 December"), "{t}");
        assert!(t.contains("Pre-Action Protocol"));
        assert!(!t.contains("every tenant named"), "one tenant: {t}");
        // Joint tenants: each copy is addressed to its tenant and the notice names them all.
        f.tenants = vec!["Karen Haigh".into(), "Lee Haigh".into(), "Jo Haigh".into()];
        f.tenant_name = "Lee Haigh".into();
        let t = compose(Stage::NoticeServed, &f).unwrap().text();
        assert!(t.contains("Dear Lee Haigh,"), "{t}");
        assert!(
            t.contains("every tenant named on the tenancy: Karen Haigh, Lee Haigh and Jo Haigh"),
            "{t}"
        );
    }

    #[test]
    fn technical_arrears_are_explained_not_demanded() {
        let mut f = facts();
        f.technical_arrears = Pence(40_000);
        f.technical_reason = Some("the Universal Credit payment due 28 Nov".into());
        let t = compose(Stage::FirstLetter, &f).unwrap().text();
        assert!(
            t.contains(
                "not counting £400.00 that the Universal Credit payment due 28 Nov will cover"
            ),
            "{t}"
        );
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_hearing_letter_gives_the_date_the_order_sought_advice_and_a_two_year_statement() {
        let mut f = facts();
        assert!(
            compose(Stage::Hearing, &f).is_none(),
            "no hearing date, no letter"
        );
        f.hearing = Some(Hearing {
            hearing_on: d(2027, 1, 14),
            time: None,
        });
        f.notice = Some(notice_dates(
            NoticeKind::Nosp,
            noon(d(2026, 9, 1)),
            ServiceMethod::Hand,
            &crate::possession::protocol::NoticeRules::default(),
        ));
        let from = statement_from(Stage::Hearing, f.today).unwrap();
        assert_eq!(from, d(2024, 11, 25));
        assert_eq!(statement_from(Stage::FirstLetter, f.today), None);
        f.statement_from = Some(from);
        f.statement = vec![
            StatementLine {
                date: d(2024, 12, 2),
                description: "Rent".into(),
                amount: Pence(9_850),
                balance: Pence(10_000),
            },
            StatementLine {
                date: d(2025, 6, 9),
                description: "Payment".into(),
                amount: Pence(-5_000),
                balance: Pence(5_000),
            },
            StatementLine {
                date: d(2026, 11, 23),
                description: "Rent".into(),
                amount: Pence(9_850),
                balance: Pence(42_350),
            },
        ];
        let l = compose(Stage::Hearing, &f).unwrap();
        assert_eq!(l.title, "Your court hearing on 14 January 2027");
        let t = l.text();
        assert!(t.contains("on 14 January 2027"), "{t}");
        assert!(
            t.contains("possession of 12 Bradford Road, Huddersfield HD1 6LJ on ground 1"),
            "{t}"
        );
        assert!(t.contains("notice served on 1 September 2026"), "{t}");
        assert!(t.contains("Housing Loss Prevention Advice Service"), "{t}");
        assert!(t.contains("£423.50 owing"), "{t}");
        assert!(
            t.contains("charges and payments from 25 November 2024 to 25 November 2026"),
            "{t}"
        );
        // The schedule: brought forward, then each line with its running balance.
        assert!(
            t.contains("Date | Description | Charges | Payments | Balance\n25/11/2024 | Balance brought forward |  |  | £1.50\n02/12/2024 | Rent | £98.50 |  | £100.00"),
            "{t}"
        );
        assert!(
            t.contains("09/06/2025 | Payment |  | £50.00 | £50.00"),
            "{t}"
        );
        assert!(t.contains("23/11/2026 | Rent | £98.50 |  | £423.50"), "{t}");
        assert!(!t.contains("Recent statement"), "{t}");
        // A section 8 notice with its grounds recorded: the order sought names them.
        let mut s8 = notice_dates(
            NoticeKind::Section8,
            noon(d(2026, 9, 1)),
            ServiceMethod::Hand,
            &crate::possession::protocol::NoticeRules::default(),
        );
        s8.grounds = Some(vec![
            crate::possession::types::Ground::G8,
            crate::possession::types::Ground::G10,
        ]);
        let mut f8 = f.clone();
        f8.notice = Some(s8);
        let t = compose(Stage::Hearing, &f8).unwrap().text();
        assert!(
            t.contains("on grounds 8 and 10 of Schedule 2 to the Housing Act 1988"),
            "{t}"
        );
        // Without a notice on file: possession because of the arrears.
        f.notice = None;
        let t = compose(Stage::Hearing, &f).unwrap().text();
        assert!(t.contains("because of the rent arrears"), "{t}");
        // With its time, when known.
        f.hearing = Some(Hearing {
            hearing_on: d(2027, 1, 14),
            time: chrono::NaiveTime::from_hms_opt(14, 5, 0),
        });
        let t = compose(Stage::Hearing, &f).unwrap().text();
        assert!(t.contains("on 14 January 2027 at 2:05pm"), "{t}");
    }

    fn order(kind: OrderKind, possession: Option<NaiveDate>, terms: bool) -> CourtOrder {
        CourtOrder {
            kind,
            possession_date: possession,
            terms: terms.then(|| OrderTerms {
                towards_arrears: Pence(500),
                frequency: Frequency::Weekly,
                from: d(2026, 12, 7),
            }),
            grounds: vec![],
            ordered_on: None,
        }
    }

    #[test]
    fn the_order_letter_says_what_the_court_ordered_in_plain_words() {
        let mut f = facts();
        assert!(compose(Stage::Order, &f).is_none(), "no order, no letter");
        f.order = Some(order(OrderKind::Suspended, Some(d(2026, 12, 21)), true));
        let t = compose(Stage::Order, &f).unwrap().text();
        assert!(
            t.contains("suspended order for possession with a possession date of 21 December 2026"),
            "{t}"
        );
        assert!(
            t.contains("current rent as it falls due plus £5.00 each week towards the arrears, starting on 7 December 2026"),
            "{t}"
        );
        assert!(
            t.contains("If you keep to these terms you will not be evicted"),
            "{t}"
        );
        f.order = Some(order(OrderKind::Postponed, None, true));
        let t = compose(Stage::Order, &f).unwrap().text();
        assert!(
            t.contains("postponed order") && t.contains("plus £5.00 each week"),
            "{t}"
        );
        assert!(t.contains("you will not be evicted"), "{t}");
        f.order = Some(order(OrderKind::Outright, Some(d(2026, 12, 21)), false));
        let t = compose(Stage::Order, &f).unwrap().text();
        assert!(
            t.contains("outright order") && t.contains("by 21 December 2026"),
            "{t}"
        );
        assert!(
            t.contains("Contact us now") && t.contains("National Debtline"),
            "{t}"
        );
        assert!(!t.contains("will not be evicted"), "{t}");
        // The ground(s) it was made on, in words.
        let mut on_8 = order(OrderKind::Outright, Some(d(2026, 12, 21)), false);
        on_8.grounds = vec![
            crate::possession::types::Ground::G8,
            crate::possession::types::Ground::G10,
        ];
        f.order = Some(on_8);
        let t = compose(Stage::Order, &f).unwrap().text();
        assert!(
            t.contains("on ground 8 of Schedule 2 to the Housing Act 1988")
                && t.contains("ground 10 of Schedule 2")
                && t.contains("cannot suspend or postpone"),
            "{t}"
        );
        f.order = Some(order(OrderKind::Suspended, Some(d(2026, 12, 21)), false));
        assert!(
            compose(Stage::Order, &f).is_none(),
            "terms missing: say nothing wrong"
        );
    }

    #[test]
    fn the_warrant_letter_names_the_forms_and_how_to_ask_to_suspend() {
        let mut f = facts();
        f.order = Some(order(OrderKind::Suspended, Some(d(2026, 12, 21)), true));
        let t = compose(Stage::Warrant, &f).unwrap().text();
        assert!(
            t.contains("not kept to the terms") && t.contains("N325A"),
            "{t}"
        );
        assert!(t.contains("N54") && t.contains("N244"), "{t}");
        assert!(t.contains("£423.50 owing"), "{t}");
        f.order = Some(order(OrderKind::Outright, Some(d(2026, 12, 21)), false));
        let t = compose(Stage::Warrant, &f).unwrap().text();
        assert!(
            t.contains("date for possession") && t.contains("(form N325)"),
            "{t}"
        );
    }
}
