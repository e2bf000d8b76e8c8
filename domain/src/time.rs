//! Instants are stored in UTC; people live in Europe/London. Rent days, quiet hours and "today"
//! are London dates and times.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::London;

/// The London calendar date of an instant (what "today" means for rent and contact rules).
pub fn london_date(instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&London).date_naive()
}

/// The London wall-clock date and time of an instant (BST in summer, GMT in winter): what an
/// officer's watch showed, e.g. for CPR 6.26's 4.30pm.
pub fn london_local(instant: DateTime<Utc>) -> chrono::NaiveDateTime {
    instant.with_timezone(&London).naive_local()
}

/// The instant a London calendar day begins (midnight, or the first instant after it when the
/// clocks go forward at midnight).
pub fn london_day_start(date: NaiveDate) -> DateTime<Utc> {
    use chrono::TimeZone;
    let midnight = date.and_time(chrono::NaiveTime::MIN);
    London
        .from_local_datetime(&midnight)
        .earliest()
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&midnight))
}

/// A calendar date exactly as ISO 8601 writes it, `YYYY-MM-DD`, and a real day: what the API
/// takes (`2026-12-7`, `2026-02-30` and `07/12/2026` are refused; CSV imports are more lenient).
pub fn parse_iso_date(s: &str) -> Result<NaiveDate, String> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return Err(format!("expected a date as YYYY-MM-DD, got {s:?}"));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("{s:?} is not a date"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn late_evening_utc_in_summer_is_already_tomorrow_in_london() {
        let instant = Utc.with_ymd_and_hms(2026, 7, 1, 23, 30, 0).unwrap();
        assert_eq!(
            london_date(instant),
            NaiveDate::from_ymd_opt(2026, 7, 2).unwrap()
        );
    }

    #[test]
    fn london_wall_clock_time_follows_the_clock_changes() {
        let local = |y, m, d, h, min| {
            london_local(Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap())
                .format("%Y-%m-%d %H:%M")
                .to_string()
        };
        // 15:45 UTC in July is 16:45 BST: after CPR 6.26's 4.30pm.
        assert_eq!(local(2027, 7, 14, 15, 45), "2027-07-14 16:45");
        // Clocks go forward at 01:00 UTC on Sunday 28 March 2027 and back on 31 October.
        assert_eq!(local(2027, 3, 28, 0, 59), "2027-03-28 00:59");
        assert_eq!(local(2027, 3, 28, 1, 0), "2027-03-28 02:00");
        assert_eq!(local(2027, 10, 31, 0, 30), "2027-10-31 01:30");
        assert_eq!(local(2027, 10, 31, 1, 30), "2027-10-31 01:30");
        assert_eq!(local(2027, 11, 1, 16, 45), "2027-11-01 16:45");
    }

    #[test]
    fn in_winter_london_is_utc() {
        let instant = Utc.with_ymd_and_hms(2026, 12, 1, 23, 30, 0).unwrap();
        assert_eq!(
            london_date(instant),
            NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
        );
    }

    #[test]
    fn a_london_day_starts_an_hour_early_in_utc_in_summer() {
        let day = NaiveDate::from_ymd_opt(2026, 7, 2).unwrap();
        assert_eq!(
            london_day_start(day),
            Utc.with_ymd_and_hms(2026, 7, 1, 23, 0, 0).unwrap()
        );
    }
}
