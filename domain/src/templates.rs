//! Message wording. Service messages only: neutral and factual, no promotion (domain.md §6).
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

fn date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.format("%-d %B").to_string())
        .unwrap_or_default()
}

/// The email subject of `template` (the same for every tenant, so the dispatcher can set it from
/// the stored message without re-rendering); `None` for an unknown template.
pub fn subject(template: &str) -> Option<&'static str> {
    Some(match template {
        "missed_payment" => "Your rent payment",
        "arrangement_warning" => "Your repayment plan",
        "arrears_threshold" => "Your rent account",
        "uc_claim_welcome" => "Your Universal Credit claim",
        "uc_first_payment_due" => "Your first Universal Credit payment",
        "uc_first_payment_check" => "Has your Universal Credit arrived?",
        _ => return None,
    })
}

/// Render `template` for `channel`; `None` for an unknown template.
pub fn render(template: &str, channel: Channel, ctx: &TemplateContext) -> Option<Rendered> {
    let private = matches!(channel, Channel::Sms | Channel::Push) && !ctx.amounts_in_previews;
    let amount = match ctx.amount {
        Some(a) if !private => format!(" of {a}"),
        _ => String::new(),
    };
    let subject = subject(template)?;
    let body = match template {
        "missed_payment" => format!("we have not received your rent payment{amount} due {}. If you have paid, thank you. If you are struggling, we can help", date(ctx.date)),
        "arrangement_warning" => format!("a payment{amount} under your repayment plan, due {}, has not reached us. Please pay within 7 days to keep your plan, or talk to us if things have changed", date(ctx.date)),
        "arrears_threshold" => format!("your rent account is behind{amount}. Please get in touch so we can agree something affordable. Free, independent debt advice is available too"),
        "uc_claim_welcome" => "thanks for telling us about your Universal Credit claim. Your first payment comes about five weeks after you claim; rent is still due meanwhile. You can ask for an advance, and for the housing part to be paid to us directly".to_owned(),
        "uc_first_payment_due" => format!("your first Universal Credit payment is due around {}. Please pay your rent from it when it arrives", date(ctx.date)),
        "uc_first_payment_check" => "we have not yet seen your rent since your first Universal Credit payment was due. If it hasn't arrived, let us know and we can help".to_owned(),
        _ => return None,
    };
    let greeting = format!("Hi {}, {}", ctx.first_name, ctx.landlord);
    Some(match channel {
        Channel::Sms => Rendered {
            subject: None,
            text: format!(
                "{greeting}: {body}. Details: {} Reply STOP to opt out.",
                ctx.app_link
            ),
        },
        Channel::Push => Rendered {
            subject: None,
            text: format!("{body}."),
        },
        Channel::Email => Rendered {
            subject: Some(subject.to_owned()),
            text: format!(
                "{greeting} here.\n\nWe're writing because {body}.\n\nSee your account: {}\n",
                ctx.app_link
            ),
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
}
