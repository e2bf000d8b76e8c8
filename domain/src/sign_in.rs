//! How often one caller may try to sign in as one person. A few tries are free; after them each
//! further try must wait twice as long after the one before (1 minute, 2, 4, … up to a day).
//! Tries are counted per person *and* client address, so someone elsewhere guessing (a tenancy
//! reference with any date of birth, a staff email with any password) uses up only their own
//! tries, never the real person's. This module decides the wait; it does not count or store.

use chrono::Duration;

/// Tries are counted over this window; older ones are forgotten.
pub const WINDOW: Duration = Duration::hours(24);
/// The wait once the free tries are used.
pub const FIRST_WAIT: Duration = Duration::minutes(1);
/// No wait is longer than this.
pub const LONGEST_WAIT: Duration = Duration::hours(24);

/// The wait after the latest of `tries` (within [`WINDOW`]) when `allowance` are free; `None`
/// while free tries remain.
pub fn wait_after(tries: u64, allowance: u32) -> Option<Duration> {
    let over = tries.checked_sub(u64::from(allowance))?;
    // 2^over minutes; past 2^11 (34 hours) the cap applies anyway.
    let minutes = 1i64 << over.min(11);
    Some((FIRST_WAIT * minutes as i32).min(LONGEST_WAIT))
}

/// How long until the next try may come, `since_latest` after the latest of `tries`; `None` =
/// now.
pub fn next_try_in(tries: u64, allowance: u32, since_latest: Duration) -> Option<Duration> {
    wait_after(tries, allowance)
        .map(|w| w - since_latest)
        .filter(|left| *left > Duration::zero())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_tries_then_waits_that_double_up_to_a_day() {
        assert_eq!(wait_after(0, 5), None);
        assert_eq!(wait_after(4, 5), None);
        assert_eq!(wait_after(5, 5), Some(Duration::minutes(1)));
        assert_eq!(wait_after(6, 5), Some(Duration::minutes(2)));
        assert_eq!(wait_after(7, 5), Some(Duration::minutes(4)));
        assert_eq!(wait_after(15, 5), Some(Duration::minutes(1024)));
        assert_eq!(wait_after(16, 5), Some(Duration::hours(24)));
        assert_eq!(wait_after(u64::MAX, 5), Some(Duration::hours(24)));
    }

    #[test]
    fn the_wait_runs_from_the_latest_try() {
        assert_eq!(next_try_in(4, 5, Duration::zero()), None);
        assert_eq!(
            next_try_in(6, 5, Duration::seconds(30)),
            Some(Duration::seconds(90))
        );
        assert_eq!(next_try_in(6, 5, Duration::minutes(2)), None);
        assert_eq!(next_try_in(6, 5, Duration::minutes(3)), None);
    }
}
