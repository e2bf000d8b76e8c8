//! Message wording. Service messages only: neutral and factual, no promotion (docs/contact.md#service-messages-only).
//! Keep the debt private: SMS and push are read on lock screens, so they carry no amount and
//! no legal wording unless the tenant opted in; they point to the app. Every SMS says how to
//! opt out.

use crate::Pence;
use crate::contact_policy::Channel;
use chrono::NaiveDate;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateContext {
    pub first_name: String,
    pub amount: Option<Pence>,
    pub date: Option<NaiveDate>,
    /// The tenant agreed to see amounts in SMS/push previews.
    pub amounts_in_previews: bool,
    pub landlord: String,
    pub app_link: String,
    /// The tenant's language; messages go in it when a translation exists (see `LANGUAGES`).
    pub language: Language,
}

/// Languages every template exists in. Welsh for Welsh landlords (Welsh Language Standards);
/// the council's translation service should review the wording before go-live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    English,
    Welsh,
}

impl Language {
    pub const CODES: &'static [&'static str] = &["en", "cy"];

    pub fn code(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Welsh => "cy",
        }
    }

    /// The language for a stored code; anything without templates reads as English.
    pub fn from_code(code: &str) -> Language {
        match code {
            "cy" => Language::Welsh,
            _ => Language::English,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Email only.
    pub subject: Option<String>,
    pub text: String,
}

/// Templates that exist; anything else is a configuration error caught at start.
pub const TEMPLATES: &[&str] = &[
    "missed_payment",
    "arrangement_warning",
    "arrears_threshold",
    "uc_claim_welcome",
    "uc_first_payment_due",
    "uc_first_payment_check",
];

const WELSH_MONTHS: [&str; 12] = [
    "Ionawr",
    "Chwefror",
    "Mawrth",
    "Ebrill",
    "Mai",
    "Mehefin",
    "Gorffennaf",
    "Awst",
    "Medi",
    "Hydref",
    "Tachwedd",
    "Rhagfyr",
];

fn date(d: Option<NaiveDate>, lang: Language) -> String {
    use chrono::Datelike;
    d.map(|d| match lang {
        Language::English => d.format("%-d %B").to_string(),
        Language::Welsh => format!("{} {}", d.day(), WELSH_MONTHS[d.month0() as usize]),
    })
    .unwrap_or_default()
}

/// The email subject (and push title) of `template` in `lang` — the same for every tenant, so
/// the dispatcher can set it from the stored message; `None` for an unknown template.
pub fn subject(template: &str, lang: Language) -> Option<&'static str> {
    use Language::{English, Welsh};
    Some(match (template, lang) {
        ("missed_payment", English) => "Your rent payment",
        ("missed_payment", Welsh) => "Eich taliad rhent",
        ("arrangement_warning", English) => "Your repayment plan",
        ("arrangement_warning", Welsh) => "Eich cynllun ad-dalu",
        ("arrears_threshold", English) => "Your rent account",
        ("arrears_threshold", Welsh) => "Eich cyfrif rhent",
        ("uc_claim_welcome", English) => "Your Universal Credit claim",
        ("uc_claim_welcome", Welsh) => "Eich cais am Gredyd Cynhwysol",
        ("uc_first_payment_due", English) => "Your first Universal Credit payment",
        ("uc_first_payment_due", Welsh) => "Eich taliad Credyd Cynhwysol cyntaf",
        ("uc_first_payment_check", English) => "Has your Universal Credit arrived?",
        ("uc_first_payment_check", Welsh) => "Ydy eich Credyd Cynhwysol wedi cyrraedd?",
        _ => return None,
    })
}

fn body(template: &str, lang: Language, amount: &str, when: &str) -> Option<String> {
    use Language::{English, Welsh};
    Some(match (template, lang) {
        ("missed_payment", English) => format!("we have not received your rent payment{amount} due {when}. If you have paid, thank you. If you are struggling, we can help"),
        ("missed_payment", Welsh) => format!("nid ydym wedi cael eich taliad rhent{amount} a oedd yn ddyledus ar {when}. Os ydych wedi talu, diolch. Os ydych yn cael trafferth, gallwn helpu"),
        ("arrangement_warning", English) => format!("a payment{amount} under your repayment plan, due {when}, has not reached us. Please pay within 7 days to keep your plan, or talk to us if things have changed"),
        ("arrangement_warning", Welsh) => format!("nid yw taliad{amount} o dan eich cynllun ad-dalu, a oedd yn ddyledus ar {when}, wedi ein cyrraedd. Talwch o fewn 7 diwrnod i gadw eich cynllun, neu siaradwch â ni os yw pethau wedi newid"),
        ("arrears_threshold", English) => format!("your rent account is behind{amount}. Please get in touch so we can agree something affordable. Free, independent debt advice is available too"),
        ("arrears_threshold", Welsh) => format!("mae eich cyfrif rhent ar ei hôl hi{amount}. Cysylltwch â ni er mwyn i ni gytuno ar rywbeth fforddiadwy. Mae cyngor annibynnol am ddim ar ddyledion ar gael hefyd"),
        ("uc_claim_welcome", English) => "thanks for telling us about your Universal Credit claim. Your first payment comes about five weeks after you claim; rent is still due meanwhile. You can ask for an advance, and for the housing part to be paid to us directly".to_owned(),
        ("uc_claim_welcome", Welsh) => "diolch am roi gwybod i ni am eich cais am Gredyd Cynhwysol. Daw eich taliad cyntaf tua phum wythnos ar ôl i chi wneud cais; mae'r rhent yn dal yn ddyledus yn y cyfamser. Gallwch ofyn am daliad ymlaen llaw, ac i'r elfen dai gael ei thalu'n uniongyrchol i ni".to_owned(),
        ("uc_first_payment_due", English) => format!("your first Universal Credit payment is due around {when}. Please pay your rent from it when it arrives"),
        ("uc_first_payment_due", Welsh) => format!("mae disgwyl eich taliad Credyd Cynhwysol cyntaf tua {when}. Talwch eich rhent ohono pan fydd yn cyrraedd"),
        ("uc_first_payment_check", English) => "we have not yet seen your rent since your first Universal Credit payment was due. If it hasn't arrived, let us know and we can help".to_owned(),
        ("uc_first_payment_check", Welsh) => "nid ydym wedi gweld eich rhent eto ers i'ch taliad Credyd Cynhwysol cyntaf fod yn ddyledus. Os nad yw wedi cyrraedd, rhowch wybod i ni a gallwn helpu".to_owned(),
        _ => return None,
    })
}

/// A council's own wording for one template in one language (`outreach::sequences::OutreachConfig`):
/// the subject (email subject, push title) and the sentence the greeting, link and SMS opt-out
/// line are put around. Placeholders: `{date}` (e.g. "17 November") and `{of_amount}` (" of
/// £98.50", or nothing where the amount must stay private: SMS and push unless the tenant opted
/// in). No other braces are allowed, so a typo can't reach a tenant.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateText {
    pub template: String,
    /// en | cy
    pub language: String,
    pub subject: String,
    pub body: String,
}

pub const PLACEHOLDERS: &[&str] = &["{date}", "{of_amount}"];

impl TemplateText {
    /// What is wrong with the wording, as (field, reason).
    pub fn problems(&self) -> Vec<(&'static str, &'static str)> {
        let mut out = Vec::new();
        if self.subject.trim().is_empty() || self.subject.chars().count() > 120 {
            out.push(("subject", "1 to 120 characters"));
        }
        let mut rest = self.body.clone();
        for p in PLACEHOLDERS {
            rest = rest.replace(p, "");
        }
        if self.body.trim().is_empty() || self.body.chars().count() > 480 {
            out.push(("body", "1 to 480 characters"));
        } else if rest.contains(['{', '}']) {
            out.push((
                "body",
                "only the placeholders {date} and {of_amount} may be used",
            ));
        } else if self.body.contains('£') {
            out.push((
                "body",
                "no amounts in the wording: use {of_amount}, which stays private on SMS and push",
            ));
        }
        out
    }
}

fn custom<'a>(
    custom: &'a [TemplateText],
    template: &str,
    lang: Language,
) -> Option<&'a TemplateText> {
    custom
        .iter()
        .find(|t| t.template == template && t.language == lang.code())
}

/// The subject of `template` in `lang`, the council's wording first; `None` for an unknown
/// template.
pub fn subject_with(texts: &[TemplateText], template: &str, lang: Language) -> Option<String> {
    custom(texts, template, lang)
        .map(|t| t.subject.clone())
        .or_else(|| subject(template, lang).map(str::to_owned))
        .or_else(|| custom(texts, template, Language::English).map(|t| t.subject.clone()))
}

/// Render `template` for `channel` in the context's language; `None` for an unknown template.
pub fn render(template: &str, channel: Channel, ctx: &TemplateContext) -> Option<Rendered> {
    render_with(&[], template, channel, ctx)
}

/// [`render`], with the council's wording (`texts`) taking precedence over the built-in one. A
/// language without the council's or a built-in text falls back to the council's English.
pub fn render_with(
    texts: &[TemplateText],
    template: &str,
    channel: Channel,
    ctx: &TemplateContext,
) -> Option<Rendered> {
    let own = custom(texts, template, ctx.language);
    let (lang, own) = match own {
        Some(t) => (ctx.language, Some(t)),
        None if subject(template, ctx.language).is_some() => (ctx.language, None),
        None => (
            Language::English,
            custom(texts, template, Language::English),
        ),
    };
    let private = matches!(channel, Channel::Sms | Channel::Push) && !ctx.amounts_in_previews;
    let amount = match ctx.amount {
        Some(a) if !private => match lang {
            Language::English => format!(" of {a}"),
            Language::Welsh => format!(" o {a}"),
        },
        _ => String::new(),
    };
    let when = date(ctx.date, lang);
    let (subject, body) = match own {
        Some(t) => (
            t.subject.clone(),
            t.body
                .trim()
                .trim_end_matches('.')
                .replace("{of_amount}", &amount)
                .replace("{date}", &when),
        ),
        None => (
            subject(template, lang)?.to_owned(),
            body(template, lang, &amount, &when)?,
        ),
    };
    let link = &ctx.app_link;
    let (hello, details, reply_stop, writing, see) = match lang {
        Language::English => (
            "Hi",
            "Details:",
            "Reply STOP to opt out.",
            "here.\n\nWe're writing because",
            "See your account:",
        ),
        Language::Welsh => (
            "Helo",
            "Manylion:",
            "Atebwch STOP i optio allan.",
            "yma.\n\nRydym yn ysgrifennu oherwydd",
            "Gweld eich cyfrif:",
        ),
    };
    let greeting = format!("{hello} {}, {}", ctx.first_name, ctx.landlord);
    Some(match channel {
        Channel::Sms => Rendered {
            subject: None,
            text: format!("{greeting}: {body}. {details} {link} {reply_stop}"),
        },
        Channel::Push => Rendered {
            subject: None,
            text: format!("{body}."),
        },
        Channel::Email => Rendered {
            subject: Some(subject),
            text: format!("{greeting} {writing} {body}.\n\n{see} {link}\n"),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(amounts_in_previews: bool) -> TemplateContext {
        TemplateContext {
            first_name: "Karen".into(),
            amount: Some(Pence(9850)),
            date: NaiveDate::from_ymd_opt(2026, 11, 17),
            amounts_in_previews,
            landlord: "Kirklees Homes".into(),
            app_link: "https://rentdesk.example/app".into(),
            language: Language::English,
        }
    }

    #[test]
    fn sms_keeps_the_amount_private_unless_the_tenant_opted_in() {
        let sms = render("missed_payment", Channel::Sms, &ctx(false))
            .unwrap()
            .text;
        assert!(!sms.contains('£'), "{sms}");
        assert!(
            sms.contains("17 November") && sms.contains("Reply STOP"),
            "{sms}"
        );
        let opted = render("missed_payment", Channel::Sms, &ctx(true))
            .unwrap()
            .text;
        assert!(opted.contains("£98.50"), "{opted}");
        assert!(
            !render("arrears_threshold", Channel::Push, &ctx(false))
                .unwrap()
                .text
                .contains('£')
        );
    }

    #[test]
    fn email_has_a_subject_and_may_show_the_amount() {
        let e = render("missed_payment", Channel::Email, &ctx(false)).unwrap();
        assert_eq!(e.subject.as_deref(), Some("Your rent payment"));
        assert!(e.text.contains("£98.50"));
    }

    #[test]
    fn every_listed_template_renders_on_every_channel_and_others_do_not() {
        for t in TEMPLATES {
            for c in Channel::ALL {
                assert!(render(t, *c, &ctx(false)).is_some(), "{t} {c}");
            }
        }
        assert_eq!(render("bailiffs_tomorrow", Channel::Sms, &ctx(false)), None);
    }

    #[test]
    fn the_councils_wording_replaces_the_sentence_but_keeps_the_frame_and_privacy() {
        let texts = vec![TemplateText {
            template: "missed_payment".into(),
            language: "en".into(),
            subject: "Rent reminder".into(),
            body: "your rent{of_amount} was due on {date}.".into(),
        }];
        let sms = render_with(&texts, "missed_payment", Channel::Sms, &ctx(false))
            .unwrap()
            .text;
        assert_eq!(
            sms,
            "Hi Karen, Kirklees Homes: your rent was due on 17 November. Details: \
             https://rentdesk.example/app Reply STOP to opt out."
        );
        let email = render_with(&texts, "missed_payment", Channel::Email, &ctx(false)).unwrap();
        assert_eq!(email.subject.as_deref(), Some("Rent reminder"));
        assert!(
            email
                .text
                .contains("your rent of £98.50 was due on 17 November.")
        );
        // Welsh tenants keep the built-in Welsh until the council writes its own.
        let mut cy = ctx(false);
        cy.language = Language::Welsh;
        let welsh = render_with(&texts, "missed_payment", Channel::Sms, &cy)
            .unwrap()
            .text;
        assert!(welsh.starts_with("Helo Karen"), "{welsh}");
        // A template only the council has: English for everyone.
        let new = vec![TemplateText {
            template: "rent_day".into(),
            ..texts[0].clone()
        }];
        assert!(render_with(&new, "rent_day", Channel::Push, &cy).is_some());
        assert_eq!(
            subject_with(&new, "rent_day", Language::Welsh).as_deref(),
            Some("Rent reminder")
        );
        assert!(render("rent_day", Channel::Push, &cy).is_none());
    }

    #[test]
    fn council_wording_is_checked() {
        let t = |body: &str| TemplateText {
            template: "x".into(),
            language: "en".into(),
            subject: "s".into(),
            body: body.into(),
        };
        assert!(t("pay by {date}{of_amount}").problems().is_empty());
        assert_eq!(
            t("pay {amount}").problems(),
            vec![(
                "body",
                "only the placeholders {date} and {of_amount} may be used"
            )]
        );
        assert_eq!(t("pay £100 now").problems().len(), 1);
        assert_eq!(t(" ").problems().len(), 1);
    }

    #[test]
    fn welsh_tenants_get_welsh_on_every_channel_with_welsh_dates() {
        let mut c = ctx(false);
        c.language = Language::Welsh;
        for t in TEMPLATES {
            for ch in Channel::ALL {
                let r = render(t, *ch, &c).unwrap();
                let english = render(t, *ch, &ctx(false)).unwrap();
                assert_ne!(r.text, english.text, "{t} {ch}");
            }
        }
        let sms = render("missed_payment", Channel::Sms, &c).unwrap().text;
        assert!(sms.starts_with("Helo Karen"), "{sms}");
        assert!(sms.contains("17 Tachwedd") && sms.contains("STOP"), "{sms}");
        assert!(!sms.contains('£'), "{sms}");
        assert_eq!(
            subject("missed_payment", Language::Welsh),
            Some("Eich taliad rhent")
        );
        assert_eq!(Language::from_code("cy"), Language::Welsh);
        assert_eq!(Language::from_code("pl"), Language::English);
    }
}
