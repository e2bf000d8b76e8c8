//! The clock the rules run on: the system clock in production; in the end-to-end tests the same
//! clock moved by the test (`set`, `advance`), so a scenario that spans weeks — a notice served,
//! its 28 days passed, a claim issued — is lived through the app instead of written as rows.
//!
//! Store functions never read the time themselves: the use case takes `now` (or `today`) from
//! the caller's clock. A moved clock keeps running: it is the real time plus an offset, so
//! timeouts and the worker's polling behave as they do in production.
//!
//! What does *not* follow this clock: security timers that protect a real person in real time
//! (access-token expiry, sign-in code expiry, rate limits), which are checked by libraries
//! against the system clock.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// A handle to one clock; clones share it (the server's handlers, the worker and a test).
#[derive(Clone, Default)]
pub struct Clock {
    /// Microseconds added to the system time (0 in production).
    offset_micros: Arc<AtomicI64>,
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// Now, as the rules see it.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::microseconds(self.offset_micros.load(Ordering::Relaxed))
    }

    /// Today in Europe/London: the date rent and arrears rules run on.
    pub fn today(&self) -> NaiveDate {
        rentdesk_domain::time::london_date(self.now())
    }

    /// Move the clock so that it reads `at` now (and keeps running from there).
    pub fn set(&self, at: DateTime<Utc>) {
        let offset = at - Utc::now();
        self.offset_micros.store(
            offset.num_microseconds().unwrap_or(i64::MAX),
            Ordering::Relaxed,
        );
    }

    /// Move the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        self.offset_micros
            .fetch_add(by.num_microseconds().unwrap_or(i64::MAX), Ordering::Relaxed);
    }

    /// Back to the system time.
    pub fn reset(&self) {
        self.offset_micros.store(0, Ordering::Relaxed);
    }

    /// Whether the clock has been moved away from the system time.
    pub fn is_moved(&self) -> bool {
        self.offset_micros.load(Ordering::Relaxed) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_reads_the_system_time() {
        let c = Clock::system();
        let d = (c.now() - Utc::now()).num_milliseconds().abs();
        assert!(d < 1_000, "{d} ms");
        assert!(!c.is_moved());
    }

    #[test]
    fn set_and_advance_are_shared_by_clones_and_keep_running() {
        let c = Clock::system();
        let other = c.clone();
        let at = DateTime::parse_from_rfc3339("2027-01-03T23:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        c.set(at);
        let seen = other.now();
        assert!(seen >= at && seen - at < Duration::seconds(1), "{seen}");
        other.advance(Duration::days(28));
        assert_eq!(c.today(), NaiveDate::from_ymd_opt(2027, 1, 31).unwrap());
        assert!(c.is_moved());
        c.reset();
        assert!(!other.is_moved());
    }

    #[test]
    fn today_is_the_london_date() {
        let c = Clock::system();
        // 23:30 UTC in summer is 00:30 the next day in London.
        c.set(
            DateTime::parse_from_rfc3339("2027-07-01T23:30:00Z")
                .unwrap()
                .with_timezone(&Utc),
        );
        assert_eq!(c.today(), NaiveDate::from_ymd_opt(2027, 7, 2).unwrap());
    }
}
