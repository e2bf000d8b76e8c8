//! Letters for the stages of the escalation process (issue 7): rendered from the account's
//! figures, in the order the pre-action protocol expects — what is owed and why, what the tenant
//! can do, where free advice is, and (only from the second letter on) what happens next if
//! nothing changes. Pure: the store turns a [`Letter`] into a PDF and keeps it.

use crate::Pence;
use crate::escalation::{FREE_ADVICE, Stage};
use crate::protocol::{NoticeDates, NoticeKind};
use chrono::NaiveDate;

/// What a letter says, block by block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Heading(String),
    Para(String),
    Table {
        headers: Vec<String>,
        rows: Vec<Vec<String>>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    pub title: String,
    pub blocks: Vec<Block>,
}

impl Letter {
    /// All the words, for tests and search.
    pub fn text(&self) -> String {
        let mut out = self.title.clone();
        for b in &self.blocks {
            out.push('\n');
            match b {
                Block::Heading(t) | Block::Para(t) => out.push_str(t),
                Block::Table { headers, rows } => {
                    out.push_str(&headers.join(" | "));
                    for r in rows {
                        out.push('\n');
                        out.push_str(&r.join(" | "));
                    }
                }
            }
        }
        out
    }
}

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
    /// Who this copy is addressed to: each named tenant gets their own (domain.md §4,
    /// protocol step 1).
    pub tenant_name: String,
    /// Every named tenant, lead first: a notice names them all (domain.md §4, NOSP).
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
    pub statement: Vec<StatementLine>,
}

/// The stages a letter goes with.
pub fn has_letter(stage: Stage) -> bool {
    matches!(
        stage,
        Stage::FirstLetter | Stage::SecondLetter | Stage::NoticeServed | Stage::CourtApplication
    )
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

/// The letter for `stage`; `None` for a stage without one.
pub fn compose(stage: Stage, f: &LetterFacts) -> Option<Letter> {
    if !has_letter(stage) {
        return None;
    }
    let mut b = Vec::new();
    let para = |t: String| Block::Para(t);
    b.push(para(f.address.join(", ")));
    b.push(para(format!(
        "{}. Rent account: {}. {}",
        date(f.today),
        f.reference,
        f.landlord
    )));
    b.push(para(format!("Dear {},", f.tenant_name)));
    let owed = format!(
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
    );
    let title;
    match stage {
        Stage::FirstLetter => {
            title = "Your rent account".to_owned();
            b.push(para(owed));
            b.push(para(
                "We want to help you sort this out before it becomes a bigger problem. Please pay \
                 what you can now, or contact us to agree an affordable way to clear it: you can \
                 also propose a repayment plan in the app, and we will look at your income and \
                 outgoings with you."
                    .into(),
            ));
            b.push(para(
                "If you are waiting for Universal Credit or Housing Benefit, or your \
                 circumstances have changed, tell us: we can help with claims and \
                 Discretionary Housing Payments."
                    .into(),
            ));
        }
        Stage::SecondLetter => {
            title = "Your rent arrears: please contact us now".to_owned();
            b.push(para(owed));
            b.push(para(
                "We wrote to you about this before and the arrears have not been cleared or an \
                 arrangement agreed. Please contact us within 14 days of this letter to pay or \
                 agree an affordable plan."
                    .into(),
            ));
            b.push(para(
                "If we do not hear from you and the arrears remain, we may serve a notice, the \
                 first legal step towards asking the court for possession of your home. We do \
                 not want to do that: an agreement you can keep stops it."
                    .into(),
            ));
        }
        Stage::NoticeServed => {
            let n = f.notice.as_ref()?;
            title = match n.kind {
                NoticeKind::Nosp => "Notice of Seeking Possession",
                NoticeKind::Section8 => "Notice under section 8 of the Housing Act 1988",
                NoticeKind::Introductory => {
                    "Notice of proceedings under section 128 of the Housing Act 1996"
                }
            }
            .to_owned();
            b.push(para(format!(
                "With this letter we have served the notice, treated as served on {}. Court \
                 proceedings cannot begin before {} and the notice can only be used until {}.",
                date(n.served_on),
                date(n.earliest_proceedings),
                date(n.expires)
            )));
            if f.tenants.len() > 1 {
                b.push(para(format!(
                    "The notice is served on every tenant named on the tenancy: {}. Each of you \
                     receives their own copy.",
                    and_list(&f.tenants)
                )));
            }
            b.push(para(owed));
            b.push(para(
                "This does not mean you will lose your home. If you pay the arrears, or agree an \
                 affordable plan and keep to it, we will not go to court. We enclose a copy of \
                 the Pre-Action Protocol for Possession Claims by Social Landlords."
                    .into(),
            ));
        }
        Stage::CourtApplication => {
            title = "We are applying to the county court".to_owned();
            b.push(para(owed));
            if let Some(n) = &f.notice {
                b.push(para(format!(
                    "The notice served on {} has not led to the arrears being cleared or an \
                     agreement being kept, so we are applying to the court for possession.",
                    date(n.served_on)
                )));
            }
            b.push(para(
                "You will be told the hearing date by the court. Go to the hearing and get \
                 advice now: free legal help is available at court (the Housing Loss Prevention \
                 Advice Service). Paying, or agreeing a plan and keeping to it, can still stop \
                 this going further."
                    .into(),
            ));
        }
        _ => return None,
    }
    if let Some(a) = &f.arrangement {
        b.push(para(format!("Your current arrangement: {a}.")));
    }
    if !f.statement.is_empty() {
        b.push(Block::Heading("Recent statement".into()));
        b.push(Block::Table {
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
        });
    }
    b.push(Block::Heading("Free, independent advice".into()));
    b.push(Block::Table {
        headers: vec!["Who".into(), "Where".into()],
        rows: FREE_ADVICE
            .iter()
            .map(|(who, url)| vec![(*who).to_owned(), (*url).to_owned()])
            .collect(),
    });
    b.push(para(format!(
        "Yours sincerely,\n{}, Income Officer, {}",
        f.officer_name, f.landlord
    )));
    Some(Letter { title, blocks: b })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{ServiceMethod, notice_dates};

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
            statement: vec![StatementLine {
                date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
                description: "Rent".into(),
                amount: Pence(9_850),
                balance: Pence(42_350),
            }],
        }
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
            NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
            ServiceMethod::Hand,
            &crate::protocol::NoticeRules::default(),
        );
        f.notice = Some(n.clone());
        let l = compose(Stage::NoticeServed, &f).unwrap();
        assert_eq!(l.title, "Notice of Seeking Possession");
        let t = l.text();
        assert!(
            t.contains(&format!("served on {}", date(n.served_on))),
            "{t}"
        );
        assert!(
            t.contains(&format!(
                "cannot begin before {}",
                date(n.earliest_proceedings)
            )),
            "{t}"
        );
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
}
