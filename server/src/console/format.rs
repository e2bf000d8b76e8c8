//! Figures as people read them: money as £1,234.56, dates as 25 November 2026, times on the
//! London clock. Registered as template filters; also used by the pages' own code.

use chrono::{DateTime, NaiveDate, Utc};
use rentdesk_domain::Pence;

/// `123456` → "£1,234.56"; "−£4.10" for a negative amount.
pub fn money(pence: i64) -> String {
    Pence(pence).to_string().replace('-', "−")
}

/// A signed amount: "+£4.10", "−£0.80", "£0.00".
pub fn signed_money(pence: i64) -> String {
    if pence > 0 {
        format!("+{}", money(pence))
    } else {
        money(pence)
    }
}

/// 2026-11-25 → "25 November 2026".
pub fn date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// An instant as London's clock showed it: "25 November 2026, 14:05".
pub fn datetime(t: DateTime<Utc>) -> String {
    rentdesk_domain::time::london_local(t)
        .format("%-d %B %Y, %H:%M")
        .to_string()
}

/// 0.354 → "35.4%"; signed when `signed` ("+10.0 points" is for differences).
pub fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0).replace('-', "−")
}

/// A difference of two shares in percentage points: 0.1 → "+10.0 points".
pub fn points(diff: f64) -> String {
    let s = format!("{:.1}", diff * 100.0);
    let s = if diff > 0.0 { format!("+{s}") } else { s };
    format!("{} points", s.replace('-', "−"))
}

/// A reason or status key in words: "no_contact_detail" → "No contact detail".
pub fn words(key: &str) -> String {
    let spaced = key.replace('_', " ");
    let mut c = spaced.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A channel as the team calls it.
pub fn channel(c: &str) -> &str {
    match c {
        "sms" => "Text message",
        "email" => "Email",
        "push" => "App notification",
        other => other,
    }
}

pub fn register(env: &mut minijinja::Environment<'static>) {
    env.add_filter("money", |v: i64| money(v));
    env.add_filter("words", |v: String| words(&v));
    env.add_filter("date", |v: String| {
        NaiveDate::parse_from_str(&v, "%Y-%m-%d")
            .map(date)
            .unwrap_or(v)
    });
    env.add_filter("datetime", |v: String| {
        DateTime::parse_from_rfc3339(&v)
            .map(|t| datetime(t.with_timezone(&Utc)))
            .unwrap_or(v)
    });
    env.add_filter("percent", |v: f64| percent(v));
    env.add_filter("channel", |v: String| channel(&v).to_owned());
    // A field name as an element id: "templates.sms[0]" → "templates-sms-0".
    env.add_filter("slug", |v: String| {
        v.replace(['.', '['], "-").replace(']', "")
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_as_people_write_them() {
        assert_eq!(money(123_456), "£1,234.56");
        assert_eq!(money(-410), "−£4.10");
        assert_eq!(signed_money(410), "+£4.10");
        assert_eq!(signed_money(0), "£0.00");
        assert_eq!(money(100_000_000), "£1,000,000.00");
        assert_eq!(
            date(NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()),
            "25 November 2026"
        );
        // 1 July is BST: 13:05 UTC is 14:05 in London; 1 December is GMT.
        let summer = DateTime::parse_from_rfc3339("2026-07-01T13:05:00Z").unwrap();
        assert_eq!(datetime(summer.with_timezone(&Utc)), "1 July 2026, 14:05");
        let winter = DateTime::parse_from_rfc3339("2026-12-01T13:05:00Z").unwrap();
        assert_eq!(
            datetime(winter.with_timezone(&Utc)),
            "1 December 2026, 13:05"
        );
        assert_eq!(percent(0.354), "35.4%");
        assert_eq!(points(-0.05), "−5.0 points");
        assert_eq!(words("no_contact_detail"), "No contact detail");
    }
}
