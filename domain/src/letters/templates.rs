//! Letter wording as local policy (docs/possession.md#letters: letters between stages are the landlord's
//! choice; issue 7: letters are rendered from templates with the account's figures). Decides
//! what a letter template may say, which parts of it cannot be removed, and how it is filled
//! in. Pure: the caller reads the files (`LETTER_TEMPLATES_DIR`) and passes their text.
//!
//! A template is plain text: the first line is the letter's title, then paragraphs separated
//! by blank lines (a line break inside a paragraph is kept). A paragraph starting `# ` is a
//! heading. `{name}` is a placeholder for one of the account's figures; a paragraph using a
//! placeholder that has no value for this account (no arrangement, a single tenant, …) is
//! left out. `[if name] ` / `[unless name] ` at the start of a paragraph shows it only when
//! `name` has (has not) a value. `{statement}` and `{free_advice}` stand alone as paragraphs
//! and become tables. No other braces are allowed, so a typo cannot reach a tenant.
//!
//! What is law or protocol is not the landlord's wording and cannot be left out: see
//! [`required`]. The shipped defaults (`domain/letter-templates/*.txt`) are the wording the
//! letters had before they became editable.

use crate::letters::blocks::Block;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

/// One template per letter; the file `<key>.txt` in `LETTER_TEMPLATES_DIR` replaces it.
pub const KEYS: &[&str] = &[
    "first_letter",
    "second_letter",
    "notice",
    "court_application",
    "hearing",
    "order_outright",
    "order_suspended",
    "order_postponed",
    "order_adjourned",
    "order_dismissed",
    "warrant",
    "arrangement_breach_warning",
    "possession_reasons_explained",
    // Pre-Action Protocol for Debt Claims: a former tenant's letter of claim (wording to be
    // checked by a lawyer, docs/possession.md#former-tenants-the-pre-action-protocol-for-debt-claims).
    "debt_letter_of_claim",
];

const DEFAULTS: &[(&str, &str)] = &[
    (
        "first_letter",
        include_str!("../../letter-templates/first_letter.txt"),
    ),
    (
        "second_letter",
        include_str!("../../letter-templates/second_letter.txt"),
    ),
    ("notice", include_str!("../../letter-templates/notice.txt")),
    (
        "court_application",
        include_str!("../../letter-templates/court_application.txt"),
    ),
    (
        "hearing",
        include_str!("../../letter-templates/hearing.txt"),
    ),
    (
        "order_outright",
        include_str!("../../letter-templates/order_outright.txt"),
    ),
    (
        "order_suspended",
        include_str!("../../letter-templates/order_suspended.txt"),
    ),
    (
        "order_postponed",
        include_str!("../../letter-templates/order_postponed.txt"),
    ),
    (
        "order_adjourned",
        include_str!("../../letter-templates/order_adjourned.txt"),
    ),
    (
        "order_dismissed",
        include_str!("../../letter-templates/order_dismissed.txt"),
    ),
    (
        "warrant",
        include_str!("../../letter-templates/warrant.txt"),
    ),
    (
        "arrangement_breach_warning",
        include_str!("../../letter-templates/arrangement_breach_warning.txt"),
    ),
    (
        "possession_reasons_explained",
        include_str!("../../letter-templates/possession_reasons_explained.txt"),
    ),
    (
        "debt_letter_of_claim",
        include_str!("../../letter-templates/debt_letter_of_claim.txt"),
    ),
];

/// Placeholders every letter can use.
pub const COMMON: &[&str] = &[
    "address",
    "date",
    "reference",
    "landlord",
    "tenant_name",
    "tenants",
    "officer_name",
    "balance",
    "real_arrears",
    "technical_arrears",
    "technical_reason",
    "weekly_charge",
    "weeks_in_arrears",
    "owed",
    "arrangement",
    "statement",
    "free_advice",
];

/// Placeholders that become tables, each standing alone as a paragraph.
const BLOCKS: &[&str] = &["statement", "free_advice"];

/// The placeholders (and `[if]` conditions) a letter can use besides [`COMMON`].
pub fn specific(key: &str) -> &'static [&'static str] {
    match key {
        "notice" => &[
            "notice_title",
            "notice_served_on",
            "earliest_proceedings",
            "proceedings_rule",
            "notice_expires",
            "joint_tenants",
            "protocol_copy",
        ],
        "court_application" => &["notice_served_on"],
        "hearing" => &[
            "hearing_date",
            "hearing_time",
            "order_sought",
            "notice_served_on",
        ],
        "order_outright" => &["possession_date", "order_grounds"],
        "order_dismissed" => &["possession_date"],
        "order_suspended" | "order_postponed" => &["possession_date", "terms", "order_grounds"],
        "order_adjourned" => &["possession_date", "terms"],
        "warrant" => &["warrant_form", "after_terms", "possession_date"],
        "arrangement_breach_warning" => &["time_limit_ends_on"],
        "possession_reasons_explained" => {
            &["time_limit_ends_on", "notice_title", "notice_served_on"]
        }
        "debt_letter_of_claim" => &["time_limit_ends_on", "claim_amount", "barred_amount"],
        _ => &[],
    }
}

/// What a letter must contain, each entry a set of alternatives (one of them must appear).
/// Law and protocol, not wording: the tenant it is addressed to (letters go separately to each
/// named tenant, protocol 1), the arrears, where free advice is (protocol 2); a notice's
/// statutory title, dates and every joint tenant, and the copy of the protocol (protocol 7);
/// the hearing's date, time, the order sought and the 2-year statement (protocol 9); an order's
/// terms or possession date; the warrant's form; the time limit a para 2.9 warning or a Part 3
/// letter gives.
pub fn required(key: &str) -> Vec<&'static [&'static str]> {
    // A former tenant's letter of claim states what is claimed (only what is within the six
    // years, Limitation Act 1980 s19), not the whole balance.
    let amount: &'static [&'static str] = if key == "debt_letter_of_claim" {
        &["claim_amount"]
    } else {
        &["owed", "real_arrears"]
    };
    let mut out: Vec<&'static [&'static str]> = vec![&["tenant_name"], amount, &["free_advice"]];
    out.extend(match key {
        "notice" => vec![
            &["notice_title"][..],
            &["notice_served_on"],
            &["proceedings_rule", "earliest_proceedings"],
            &["notice_expires"],
            &["joint_tenants"],
            &["protocol_copy"],
        ],
        "hearing" => vec![
            &["hearing_date"][..],
            &["hearing_time"],
            &["order_sought"],
            &["statement"],
        ],
        "order_outright" => vec![&["possession_date"][..]],
        "order_suspended" | "order_postponed" | "order_adjourned" => vec![&["terms"][..]],
        "warrant" => vec![&["warrant_form"][..]],
        // Protocol para 2.9: a warning that proceedings will be brought, with a clear time
        // limit to comply. Part 3 para 3.2(a): why possession is sought, and the date by which
        // the occupiers are to say what they want taken into account.
        "arrangement_breach_warning" | "possession_reasons_explained" => {
            vec![&["time_limit_ends_on"][..]]
        }
        // Pre-Action Protocol for Debt Claims: the date to reply by (30 days from the letter's
        // date).
        "debt_letter_of_claim" => vec![&["time_limit_ends_on"][..]],
        _ => vec![],
    });
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Slot(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Body {
    Heading(Vec<Part>),
    Para(Vec<Part>),
    Blocks(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Paragraph {
    /// `[if name]` (true) / `[unless name]` (false).
    condition: Option<(bool, String)>,
    body: Body,
}

/// One letter's wording, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterTemplate {
    title: Vec<Part>,
    paragraphs: Vec<Paragraph>,
}

/// What is wrong with a template: the file (or letter) and the problem, naming the placeholder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {problem}")]
pub struct TemplateError {
    pub file: String,
    pub problem: String,
}

fn parts(text: &str, allowed: &BTreeSet<&str>) -> Result<Vec<Part>, String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err(format!("a }} without its {{ in \"{}\"", excerpt(rest)));
        }
        let Some(len) = rest[open + 1..].find(['{', '}']) else {
            return Err(format!("a {{ without its }} in \"{}\"", excerpt(rest)));
        };
        let name = &rest[open + 1..open + 1 + len];
        if !rest[open + 1 + len..].starts_with('}') {
            return Err(format!("a {{ without its }} in \"{}\"", excerpt(rest)));
        }
        if !allowed.contains(name) {
            return Err(unknown(name, allowed));
        }
        if open > 0 {
            out.push(Part::Text(rest[..open].to_owned()));
        }
        out.push(Part::Slot(name.to_owned()));
        rest = &rest[open + len + 2..];
    }
    if !rest.is_empty() {
        out.push(Part::Text(rest.to_owned()));
    }
    Ok(out)
}

fn excerpt(s: &str) -> String {
    s.chars().take(40).collect()
}

fn unknown(name: &str, allowed: &BTreeSet<&str>) -> String {
    format!(
        "unknown placeholder {{{name}}} (this letter can use: {})",
        allowed
            .iter()
            .map(|a| format!("{{{a}}}"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn slots(p: &[Part]) -> impl Iterator<Item = &str> {
    p.iter().filter_map(|p| match p {
        Part::Slot(s) => Some(s.as_str()),
        Part::Text(_) => None,
    })
}

impl LetterTemplate {
    /// Check the wording of letter `key`: only its placeholders, none of the required ones
    /// missing, tables on their own.
    pub fn parse(key: &str, text: &str) -> Result<LetterTemplate, String> {
        if !KEYS.contains(&key) {
            return Err(format!(
                "no such letter (the letters are: {})",
                KEYS.join(", ")
            ));
        }
        let allowed: BTreeSet<&str> = COMMON.iter().chain(specific(key)).copied().collect();
        let text = text.replace("\r\n", "\n");
        let mut lines = text.lines();
        let title_line = lines.next().unwrap_or("").trim();
        if title_line.is_empty() {
            return Err("the first line is the letter's title and must not be empty".into());
        }
        let title = parts(title_line, &allowed)?;
        if let Some(b) = slots(&title).find(|s| BLOCKS.contains(s)) {
            return Err(format!("{{{b}}} cannot be in the title"));
        }
        let mut chunks: Vec<Vec<&str>> = vec![];
        let mut current: Vec<&str> = vec![];
        for line in lines {
            let line = line.trim_end();
            if line.trim().is_empty() {
                if !current.is_empty() {
                    chunks.push(std::mem::take(&mut current));
                }
            } else {
                current.push(line);
            }
        }
        if !current.is_empty() {
            chunks.push(current);
        }
        let mut paragraphs = vec![];
        for chunk in chunks {
            let joined = chunk.join("\n");
            let mut s = joined.trim();
            let mut condition = None;
            for (prefix, shown_if) in [("[if ", true), ("[unless ", false)] {
                if let Some(after) = s.strip_prefix(prefix) {
                    let Some(end) = after.find(']') else {
                        return Err(format!("{prefix}… without its ] in \"{}\"", excerpt(s)));
                    };
                    let name = after[..end].trim();
                    if !allowed.contains(name) {
                        return Err(unknown(name, &allowed));
                    }
                    condition = Some((shown_if, name.to_owned()));
                    s = after[end + 1..].trim_start();
                }
            }
            let body = if let Some(h) = s.strip_prefix("# ") {
                Body::Heading(parts(h.trim(), &allowed)?)
            } else {
                let p = parts(s, &allowed)?;
                match p.as_slice() {
                    [Part::Slot(b)] if BLOCKS.contains(&b.as_str()) => Body::Blocks(b.clone()),
                    _ => Body::Para(p),
                }
            };
            if let Body::Heading(p) | Body::Para(p) = &body
                && let Some(b) = slots(p).find(|s| BLOCKS.contains(s))
            {
                return Err(format!(
                    "{{{b}}} is a table and must stand alone as a paragraph"
                ));
            }
            paragraphs.push(Paragraph { condition, body });
        }
        let t = LetterTemplate { title, paragraphs };
        let used = t.used();
        for any in required(key) {
            if !any.iter().any(|r| used.contains(r)) {
                let names: Vec<String> = any.iter().map(|r| format!("{{{r}}}")).collect();
                return Err(format!(
                    "required placeholder {} is missing (it is law or protocol, not wording)",
                    names.join(" or ")
                ));
            }
        }
        Ok(t)
    }

    /// Every placeholder the wording uses (not conditions alone).
    fn used(&self) -> BTreeSet<&str> {
        let mut out: BTreeSet<&str> = slots(&self.title).collect();
        for p in &self.paragraphs {
            match &p.body {
                Body::Heading(x) | Body::Para(x) => out.extend(slots(x)),
                Body::Blocks(b) => {
                    out.insert(b.as_str());
                }
            }
        }
        out
    }

    /// Fill in the wording. A paragraph is left out when a placeholder in it (or its `[if]`)
    /// has no value.
    pub fn render(&self, v: &Values) -> (String, Vec<Block>) {
        let fill = |p: &[Part]| -> Option<String> {
            let mut s = String::new();
            for part in p {
                match part {
                    Part::Text(t) => s.push_str(t),
                    Part::Slot(name) => s.push_str(v.text.get(name.as_str())?.as_deref()?),
                }
            }
            Some(s)
        };
        let title = fill(&self.title).unwrap_or_default();
        let mut blocks = vec![];
        for p in &self.paragraphs {
            if let Some((shown_if, name)) = &p.condition
                && v.has(name) != *shown_if
            {
                continue;
            }
            match &p.body {
                Body::Heading(x) => blocks.extend(fill(x).map(Block::Heading)),
                Body::Para(x) => blocks.extend(fill(x).map(Block::Para)),
                Body::Blocks(b) => {
                    if let Some(bs) = v.blocks.get(b.as_str()) {
                        blocks.extend(bs.iter().cloned());
                    }
                }
            }
        }
        (title, blocks)
    }
}

/// The account's figures for a letter: words by placeholder (`None`: no value for this
/// account), flags for `[if]`, and the tables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values {
    pub text: BTreeMap<&'static str, Option<String>>,
    pub flags: BTreeSet<&'static str>,
    pub blocks: BTreeMap<&'static str, Vec<Block>>,
}

impl Values {
    fn has(&self, name: &str) -> bool {
        self.flags.contains(name)
            || self.text.get(name).is_some_and(Option::is_some)
            || self.blocks.contains_key(name)
    }
}

/// Every letter's wording: the shipped defaults, with any the landlord replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterTemplates {
    by_key: BTreeMap<&'static str, LetterTemplate>,
}

static BUILTIN: LazyLock<LetterTemplates> = LazyLock::new(|| LetterTemplates {
    by_key: DEFAULTS
        .iter()
        .map(|(k, text)| {
            let t = LetterTemplate::parse(k, text)
                .unwrap_or_else(|e| panic!("built-in letter template {k}: {e}"));
            (*k, t)
        })
        .collect(),
});

impl Default for LetterTemplates {
    fn default() -> Self {
        LetterTemplates::builtin().clone()
    }
}

impl LetterTemplates {
    /// The shipped wording.
    pub fn builtin() -> &'static LetterTemplates {
        &BUILTIN
    }

    /// The shipped wording with the landlord's files (name, text) in its place. A file is
    /// `<letter>.txt`; any other `.txt` name is refused (a typo would otherwise be ignored
    /// silently); files not ending `.txt` are not templates and are skipped.
    pub fn with_files<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<LetterTemplates, TemplateError> {
        let mut out = LetterTemplates::builtin().clone();
        for (name, text) in files {
            let Some(stem) = name.strip_suffix(".txt") else {
                continue;
            };
            let err = |problem: String| TemplateError {
                file: name.to_owned(),
                problem,
            };
            let Some(key) = KEYS.iter().find(|k| **k == stem) else {
                return Err(err(format!(
                    "not a letter template (the files are: {}.txt)",
                    KEYS.join(".txt, ")
                )));
            };
            out.by_key
                .insert(key, LetterTemplate::parse(key, text).map_err(err)?);
        }
        Ok(out)
    }

    pub fn get(&self, key: &str) -> Option<&LetterTemplate> {
        self.by_key.get(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> Values {
        let mut v = Values::default();
        v.text.insert("tenant_name", Some("Karen Haigh".into()));
        v.text.insert("owed", Some("You owe £10.00.".into()));
        v.text.insert("arrangement", None);
        v.blocks
            .insert("free_advice", vec![Block::Heading("Advice".into())]);
        v
    }

    const MINIMAL: &str = "Hello {tenant_name}\n\nDear {tenant_name},\n\n{owed}\n\n{free_advice}";

    #[test]
    fn every_shipped_template_is_valid_and_there_is_one_per_letter() {
        let b = LetterTemplates::builtin();
        for k in KEYS {
            assert!(b.get(k).is_some(), "{k}");
        }
        assert_eq!(DEFAULTS.len(), KEYS.len());
    }

    #[test]
    fn placeholders_are_filled_and_paragraphs_without_a_value_are_left_out() {
        let t = LetterTemplate::parse(
            "first_letter",
            "Hello {tenant_name}\n\nDear {tenant_name},\nline two\n\n# Owed\n\n{owed}\n\nYour plan: {arrangement}.\n\n{free_advice}\n",
        )
        .unwrap();
        let (title, blocks) = t.render(&values());
        assert_eq!(title, "Hello Karen Haigh");
        assert_eq!(
            blocks,
            vec![
                Block::Para("Dear Karen Haigh,\nline two".into()),
                Block::Heading("Owed".into()),
                Block::Para("You owe £10.00.".into()),
                Block::Heading("Advice".into()),
            ]
        );
        let mut v = values();
        v.text.insert("arrangement", Some("£5.00 weekly".into()));
        let (_, blocks) = t.render(&v);
        assert!(blocks.contains(&Block::Para("Your plan: £5.00 weekly.".into())));
    }

    #[test]
    fn conditions_choose_between_paragraphs() {
        let t = LetterTemplate::parse(
            "warrant",
            "W\n\n[if after_terms] Terms broken, {warrant_form}.\n\n[unless after_terms] Date passed, {warrant_form}.\n\n{tenant_name} {owed}\n\n{free_advice}",
        )
        .unwrap();
        let mut v = values();
        v.text.insert("warrant_form", Some("form N325".into()));
        let (_, b) = t.render(&v);
        assert_eq!(b[0], Block::Para("Date passed, form N325.".into()));
        v.flags.insert("after_terms");
        let (_, b) = t.render(&v);
        assert_eq!(b[0], Block::Para("Terms broken, form N325.".into()));
    }

    #[test]
    fn an_unknown_placeholder_is_refused_by_name() {
        let e =
            LetterTemplate::parse("first_letter", &format!("{MINIMAL}\n\n{{arears}}")).unwrap_err();
        assert!(e.starts_with("unknown placeholder {arears}"), "{e}");
        // A placeholder of another letter is unknown in this one.
        let e = LetterTemplate::parse("first_letter", &format!("{MINIMAL}\n\n{{hearing_date}}"))
            .unwrap_err();
        assert!(e.starts_with("unknown placeholder {hearing_date}"), "{e}");
        let e = LetterTemplate::parse("first_letter", &format!("{MINIMAL}\n\n[if nothing] x"))
            .unwrap_err();
        assert!(e.starts_with("unknown placeholder {nothing}"), "{e}");
        for stray in ["a { b", "a } b", "a {owed b", "{{owed}}"] {
            assert!(
                LetterTemplate::parse("first_letter", &format!("{MINIMAL}\n\n{stray}")).is_err(),
                "{stray}"
            );
        }
    }

    #[test]
    fn law_and_protocol_cannot_be_removed() {
        assert!(LetterTemplate::parse("first_letter", MINIMAL).is_ok());
        let e = LetterTemplate::parse("first_letter", "T\n\nDear you,\n\n{owed}\n\n{free_advice}")
            .unwrap_err();
        assert!(e.contains("required placeholder {tenant_name}"), "{e}");
        let e = LetterTemplate::parse("first_letter", "T\n\n{tenant_name} {owed}").unwrap_err();
        assert!(e.contains("{free_advice}"), "{e}");
        let e = LetterTemplate::parse("second_letter", "T\n\n{tenant_name}\n\n{free_advice}")
            .unwrap_err();
        assert!(e.contains("{owed} or {real_arrears}"), "{e}");
        // The notice's cover letter keeps the statutory title, its dates, every joint tenant
        // and the protocol copy.
        let notice = include_str!("../../letter-templates/notice.txt");
        assert!(LetterTemplate::parse("notice", notice).is_ok());
        for (cut, name) in [
            ("{notice_title}", "notice_title"),
            ("{proceedings_rule}", "proceedings_rule"),
            ("{joint_tenants}", "joint_tenants"),
            ("{protocol_copy}", "protocol_copy"),
        ] {
            let e = LetterTemplate::parse("notice", &notice.replace(cut, "x")).unwrap_err();
            assert!(
                e.contains(&format!("required placeholder {{{name}}}")),
                "{e}"
            );
        }
        let hearing = include_str!("../../letter-templates/hearing.txt");
        let e = LetterTemplate::parse("hearing", &hearing.replace("{statement}", "")).unwrap_err();
        assert!(e.contains("{statement}"), "{e}");
        let e = LetterTemplate::parse("hearing", &hearing.replace(" at {hearing_time}", ""))
            .unwrap_err();
        assert!(e.contains("{hearing_time}"), "{e}");
    }

    #[test]
    fn tables_stand_alone_and_the_title_comes_first() {
        let e = LetterTemplate::parse("first_letter", &format!("{MINIMAL}\n\nSee {{statement}}"))
            .unwrap_err();
        assert!(e.contains("{statement} is a table"), "{e}");
        let e = LetterTemplate::parse("first_letter", &format!("\n{MINIMAL}")).unwrap_err();
        assert!(e.contains("title"), "{e}");
    }

    #[test]
    fn the_landlords_files_replace_the_defaults_and_typos_in_names_are_refused() {
        let own = "Our letter\n\nDear {tenant_name},\n\n{owed}\n\n{free_advice}";
        let t =
            LetterTemplates::with_files([("first_letter.txt", own), ("README.md", "{x")]).unwrap();
        assert_eq!(
            t.get("first_letter"),
            LetterTemplate::parse("first_letter", own).ok().as_ref()
        );
        assert_eq!(t.get("warrant"), LetterTemplates::builtin().get("warrant"));
        let e = LetterTemplates::with_files([("frist_letter.txt", own)]).unwrap_err();
        assert_eq!(e.file, "frist_letter.txt");
        let e = LetterTemplates::with_files([(
            "second_letter.txt",
            "T\n\n{tenant_name} {owed} {free_advice} {arears}",
        )])
        .unwrap_err();
        assert_eq!(e.file, "second_letter.txt");
        assert!(e.to_string().starts_with("second_letter.txt: "), "{e}");
    }
}
