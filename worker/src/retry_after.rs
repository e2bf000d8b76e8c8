//! `Retry-After` (RFC 9110 §10.2.3), as Twilio and FCM send it with a 429 or a 503: how long
//! the provider asks us to wait before trying again. The dispatcher waits at least that long,
//! even when its own backoff would be shorter (trying sooner only earns another refusal).

use chrono::{DateTime, Utc};
use std::time::Duration;

/// Never wait longer than this whatever a provider says: a day-long wait would hold an arrears
/// reminder past its point, and a mangled header must not park a message for ever.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(6 * 60 * 60);

/// The wait a `Retry-After` header asks for at `now`: delay-seconds (`120`) or an HTTP-date
/// (`Wed, 21 Oct 2026 07:28:00 GMT`). `None` when absent or unreadable; capped at
/// [`MAX_RETRY_AFTER`]; a date in the past is no wait.
pub fn parse(headers: &reqwest::header::HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    let wait = if let Ok(seconds) = value.parse::<u64>() {
        Duration::from_secs(seconds)
    } else {
        let at = DateTime::parse_from_rfc2822(value)
            .ok()?
            .with_timezone(&Utc);
        (at - now).to_std().unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};

    fn with(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn seconds_dates_garbage_and_the_cap() {
        let now = Utc.with_ymd_and_hms(2026, 10, 21, 7, 20, 0).unwrap();
        assert_eq!(parse(&with("120"), now), Some(Duration::from_secs(120)));
        // RFC 9110's own example form.
        assert_eq!(
            parse(&with("Wed, 21 Oct 2026 07:28:00 GMT"), now),
            Some(Duration::from_secs(480))
        );
        assert_eq!(
            parse(&with("Wed, 21 Oct 2026 07:00:00 GMT"), now),
            Some(Duration::ZERO),
            "a date already past"
        );
        assert_eq!(parse(&with("soon"), now), None);
        assert_eq!(parse(&with("-5"), now), None);
        assert_eq!(parse(&HeaderMap::new(), now), None);
        assert_eq!(parse(&with("999999999"), now), Some(MAX_RETRY_AFTER));
    }
}
