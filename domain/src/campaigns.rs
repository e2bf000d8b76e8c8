//! Targeted campaigns: who is held back and which variant each recipient gets, what a team
//! leader's template may say and how it is rendered, and how a campaign's outcome compares
//! with its control group.
//!
//! Assignment is a pure function of (campaign, tenancy), so a retried or relaunched fan-out
//! assigns everyone exactly as before; it is recorded with the recipient all the same, so the
//! record, not this function, is what the outcome is read from.

use crate::Pence;
use crate::contact_policy::Channel;
use crate::templates::Language;
use chrono::{Duration, NaiveDate};

/// Variants per channel in an A/B(/C) test.
pub const MAX_VARIANTS: usize = 3;
/// The largest held-back control group, in percent.
pub const MAX_CONTROL_PERCENT: u32 = 50;
/// Placeholders a campaign template may use.
pub const PLACEHOLDERS: &[&str] = &["first_name", "landlord", "app_link", "arrears"];

/// A campaign's outcome is read over two windows from its launch date (London): the tenants'
/// own payments posted on the launch date up to 6 days after it count "within 7 days", up to
/// 13 days after it "within 14 days". Each window is complete (its figures final) from the day
/// after its last day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutcomeWindows {
    pub start: NaiveDate,
}

impl OutcomeWindows {
    /// The short window, in days.
    pub const SHORT_DAYS: i64 = 7;
    /// The long window, in days.
    pub const LONG_DAYS: i64 = 14;

    /// The windows of a campaign launched on `start` (its London date).
    pub fn from_launch(start: NaiveDate) -> OutcomeWindows {
        OutcomeWindows { start }
    }

    /// The first day after the long window: payments are read from `start` up to (not
    /// including) this day.
    pub fn end(self) -> NaiveDate {
        self.start + Duration::days(Self::LONG_DAYS)
    }

    /// Which windows a payment posted on `on` counts in: (within 7 days, within 14 days).
    pub fn counts(self, on: NaiveDate) -> (bool, bool) {
        let from_start = on >= self.start;
        (
            from_start && on < self.start + Duration::days(Self::SHORT_DAYS),
            from_start && on < self.end(),
        )
    }

    /// Whether each window is complete on `today`: (7 days, 14 days).
    pub fn complete(self, today: NaiveDate) -> (bool, bool) {
        (
            today >= self.start + Duration::days(Self::SHORT_DAYS),
            today >= self.end(),
        )
    }
}

/// Where one recipient falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assignment {
    /// Held back: gets nothing, so the campaign's effect can be measured.
    pub control: bool,
    /// Index of the template variant (0 for the control group too).
    pub variant: usize,
}

/// splitmix64: a fixed, well-mixed function (std's hashers may change between releases, and
/// an assignment must never change).
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Random-looking but reproducible: `control_percent`% of recipients are held back, the rest
/// split evenly across `variants` (at least 1).
pub fn assign(
    campaign_id: i64,
    tenancy_id: i64,
    control_percent: u32,
    variants: usize,
) -> Assignment {
    let h = mix(mix(campaign_id as u64) ^ tenancy_id as u64);
    let control = (h % 10_000) < u64::from(control_percent.min(100)) * 100;
    let variant = if control {
        0
    } else {
        ((h >> 32) % variants.max(1) as u64) as usize
    };
    Assignment { control, variant }
}

/// Why a template is refused; empty when it is fine.
pub fn check_template(channel: Channel, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let max = match channel {
        Channel::Sms => 320,
        Channel::Push => 178,
        Channel::Email => 5_000,
    };
    if text.trim().is_empty() {
        out.push("empty".to_owned());
    }
    if text.chars().count() > max {
        out.push(format!("longer than {max} characters"));
    }
    let mut rest = text;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            out.push("a '}' with no '{' before it".to_owned());
            break;
        }
        let Some(close) = rest[open..].find('}') else {
            out.push("a '{' that is never closed".to_owned());
            break;
        };
        let name = &rest[open + 1..open + close];
        if !PLACEHOLDERS.contains(&name) {
            out.push(format!(
                "unknown placeholder {{{name}}}; use {}",
                PLACEHOLDERS
                    .iter()
                    .map(|p| format!("{{{p}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        } else if name == "arrears" && channel != Channel::Email {
            // docs/contact.md: SMS and push are read on lock screens.
            out.push(
                "{arrears} is allowed in email only: texts and notifications show no amounts"
                    .to_owned(),
            );
        }
        rest = &rest[open + close + 1..];
    }
    if channel != Channel::Email && text.contains('£') {
        out.push(
            "no amounts in texts or notifications (docs/contact.md#keep-the-debt-private): link to the app instead"
                .to_owned(),
        );
    }
    out
}

/// What a campaign template is filled in with for one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignContext {
    pub first_name: String,
    pub landlord: String,
    pub app_link: String,
    pub arrears: Pence,
    pub language: Language,
}

/// Fill in a checked template. SMS always ends with how to opt out (in the tenant's language)
/// unless the template already says STOP.
pub fn render(channel: Channel, text: &str, ctx: &CampaignContext) -> String {
    let body = text
        .replace("{first_name}", &ctx.first_name)
        .replace("{landlord}", &ctx.landlord)
        .replace("{app_link}", &ctx.app_link)
        .replace("{arrears}", &ctx.arrears.to_string());
    match channel {
        Channel::Sms if !body.contains("STOP") => {
            let stop = match ctx.language {
                Language::English => "Reply STOP to opt out.",
                Language::Welsh => "Atebwch STOP i optio allan.",
            };
            format!("{} {stop}", body.trim_end())
        }
        _ => body,
    }
}

/// Payments by one group (a variant, or the control group) in a window after launch. Sums,
/// so groups of any size cost the same.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupPayments {
    pub recipients: u64,
    /// Recipients who paid anything in the window.
    pub payers: u64,
    /// Total paid, pence.
    pub paid: i64,
    /// Sum over recipients of (their total paid)², pence² — for the variance.
    pub paid_squared: i128,
}

impl GroupPayments {
    /// Add one recipient who paid `total` (0 = nothing) in the window.
    pub fn add(&mut self, total: Pence) {
        self.recipients += 1;
        if total.0 > 0 {
            self.payers += 1;
        }
        // Saturating: a corrupt amount must not panic a campaign's results (issue 15).
        self.paid = self.paid.saturating_add(total.0);
        self.paid_squared = self
            .paid_squared
            .saturating_add(i128::from(total.0) * i128::from(total.0));
    }

    pub fn rate(&self) -> f64 {
        if self.recipients == 0 {
            0.0
        } else {
            self.payers as f64 / self.recipients as f64
        }
    }

    fn mean(&self) -> f64 {
        if self.recipients == 0 {
            0.0
        } else {
            self.paid as f64 / self.recipients as f64
        }
    }

    /// Sample variance of the amount per recipient.
    fn variance(&self) -> f64 {
        let n = self.recipients as f64;
        if self.recipients < 2 {
            return 0.0;
        }
        let mean = self.mean();
        ((self.paid_squared as f64) - n * mean * mean).max(0.0) / (n - 1.0)
    }
}

/// A group against the control group, with 95% confidence intervals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Difference {
    /// Share who paid, minus the control group's (e.g. 0.08 = 8 points more).
    pub rate: f64,
    pub rate_ci: (f64, f64),
    /// Mean paid per recipient minus the control group's, pence (rounded).
    pub mean_paid: Pence,
    pub mean_paid_ci: (Pence, Pence),
}

/// 97.5th percentile of the standard normal distribution.
const Z95: f64 = 1.959_963_984_540_054;

/// Difference to control with a 95% interval: for the share who paid, the normal
/// approximation with unpooled standard errors; for the amount, Welch's unequal-variance
/// standard error (with the normal quantile: groups are large). `None` when either group has
/// fewer than 2 recipients, since no interval can be given.
pub fn compare(group: &GroupPayments, control: &GroupPayments) -> Option<Difference> {
    if group.recipients < 2 || control.recipients < 2 {
        return None;
    }
    let (p1, p0) = (group.rate(), control.rate());
    let se_rate = (p1 * (1.0 - p1) / group.recipients as f64
        + p0 * (1.0 - p0) / control.recipients as f64)
        .sqrt();
    let d_rate = p1 - p0;
    let se_mean = (group.variance() / group.recipients as f64
        + control.variance() / control.recipients as f64)
        .sqrt();
    let d_mean = group.mean() - control.mean();
    let pence = |x: f64| Pence(x.round() as i64);
    Some(Difference {
        rate: d_rate,
        rate_ci: (d_rate - Z95 * se_rate, d_rate + Z95 * se_rate),
        mean_paid: pence(d_mean),
        mean_paid_ci: (pence(d_mean - Z95 * se_mean), pence(d_mean + Z95 * se_mean)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outcome_windows_are_the_launch_day_and_the_6_and_13_days_after_it() {
        let d = |day| NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
        let w = OutcomeWindows::from_launch(d(2));
        assert_eq!(w.counts(d(1)), (false, false));
        assert_eq!(w.counts(d(2)), (true, true));
        assert_eq!(w.counts(d(8)), (true, true));
        assert_eq!(w.counts(d(9)), (false, true));
        assert_eq!(w.counts(d(15)), (false, true));
        assert_eq!(w.counts(d(16)), (false, false));
        assert_eq!(w.end(), d(16));
        assert_eq!(w.complete(d(8)), (false, false));
        assert_eq!(w.complete(d(9)), (true, false));
        assert_eq!(w.complete(d(15)), (true, false));
        assert_eq!(w.complete(d(16)), (true, true));
    }

    #[test]
    fn a_corrupt_payment_saturates_the_group_totals_instead_of_panicking() {
        let mut g = GroupPayments::default();
        for _ in 0..3 {
            g.add(Pence(i64::MAX));
        }
        assert_eq!((g.recipients, g.payers, g.paid), (3, 3, i64::MAX));
        assert_eq!(g.paid_squared, i128::MAX);
    }

    #[test]
    fn the_control_group_is_the_share_asked_for_and_variants_split_evenly() {
        let n = 20_000;
        let mut control = 0;
        let mut variants = [0; 3];
        for t in 0..n {
            let a = assign(42, t, 20, 3);
            assert_eq!(a, assign(42, t, 20, 3), "reproducible");
            if a.control {
                control += 1;
            } else {
                variants[a.variant] += 1;
            }
        }
        assert!((3_800..4_200).contains(&control), "{control}");
        for v in variants {
            assert!((5_100..5_570).contains(&v), "{variants:?}");
        }
        assert!((0..1000).all(|t| !assign(1, t, 0, 2).control));
        // Another campaign draws other people.
        let differ = (0..1000)
            .filter(|t| assign(1, *t, 50, 1).control != assign(2, *t, 50, 1).control)
            .count();
        assert!(differ > 300, "{differ}");
    }

    #[test]
    fn templates_name_only_known_placeholders_and_keep_amounts_off_lock_screens() {
        assert!(check_template(Channel::Sms, "Hi {first_name}, see {app_link}").is_empty());
        assert!(check_template(Channel::Email, "You owe {arrears}.").is_empty());
        assert_eq!(check_template(Channel::Sms, "You owe {arrears}").len(), 1);
        assert_eq!(check_template(Channel::Push, "Pay £20 today").len(), 1);
        assert!(
            check_template(Channel::Sms, "Hi {name}")[0].contains("unknown placeholder {name}")
        );
        assert_eq!(
            check_template(Channel::Sms, "Hi {first_name"),
            vec!["a '{' that is never closed"]
        );
        assert_eq!(check_template(Channel::Sms, "   ").len(), 1);
        assert_eq!(check_template(Channel::Sms, &"x".repeat(321)).len(), 1);
    }

    #[test]
    fn sms_gets_the_opt_out_line_once() {
        let ctx = CampaignContext {
            first_name: "Karen".into(),
            landlord: "Kirklees Homes".into(),
            app_link: "https://x.example/app".into(),
            arrears: Pence(12_345),
            language: Language::English,
        };
        assert_eq!(
            render(
                Channel::Sms,
                "Hi {first_name}, {landlord} here: {app_link}",
                &ctx
            ),
            "Hi Karen, Kirklees Homes here: https://x.example/app Reply STOP to opt out."
        );
        assert_eq!(
            render(Channel::Sms, "Text STOP to stop", &ctx),
            "Text STOP to stop"
        );
        assert_eq!(
            render(Channel::Email, "You owe {arrears}", &ctx),
            "You owe £123.45"
        );
        let welsh = CampaignContext {
            language: Language::Welsh,
            ..ctx
        };
        assert!(render(Channel::Sms, "Helo", &welsh).ends_with("Atebwch STOP i optio allan."));
    }

    fn group(payers: u64, non_payers: u64, each: i64) -> GroupPayments {
        let mut g = GroupPayments::default();
        for _ in 0..payers {
            g.add(Pence(each));
        }
        for _ in 0..non_payers {
            g.add(Pence(0));
        }
        g
    }

    #[test]
    fn the_difference_to_control_has_a_normal_interval_for_the_share_who_paid() {
        // 60/100 paid against 40/100: difference 0.2, SE = sqrt(.24/100 + .24/100) = 0.069282.
        let d = compare(&group(60, 40, 1000), &group(40, 60, 1000)).unwrap();
        assert!((d.rate - 0.2).abs() < 1e-12);
        assert!(
            (d.rate_ci.0 - (0.2 - 1.959_964 * 0.069_282)).abs() < 1e-5,
            "{d:?}"
        );
        assert!(
            (d.rate_ci.1 - (0.2 + 1.959_964 * 0.069_282)).abs() < 1e-5,
            "{d:?}"
        );
        // Mean paid: 600 vs 400 pence per recipient. Variances 1000²·.6·.4·100/99 each.
        assert_eq!(d.mean_paid, Pence(200));
        let var = 1000.0f64 * 1000.0 * 0.24 * 100.0 / 99.0;
        let se = (2.0 * var / 100.0).sqrt();
        assert_eq!(
            d.mean_paid_ci.0,
            Pence((200.0 - 1.959_964 * se).round() as i64)
        );
        assert_eq!(
            d.mean_paid_ci.1,
            Pence((200.0 + 1.959_964 * se).round() as i64)
        );
    }

    #[test]
    fn no_interval_without_two_in_each_group() {
        assert_eq!(compare(&group(1, 0, 5), &group(5, 5, 5)), None);
        assert_eq!(compare(&group(5, 5, 5), &GroupPayments::default()), None);
        let same = compare(&group(5, 5, 5), &group(5, 5, 5)).unwrap();
        assert_eq!(same.rate, 0.0);
        assert!(same.rate_ci.0 < 0.0 && same.rate_ci.1 > 0.0);
    }
}
