//! Instants are stored in UTC; people live in Europe/London. Rent days, quiet hours and "today"
//! are London dates and times.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::London;

/// The London calendar date of an instant (what "today" means for rent and contact rules).
pub fn london_date(instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&London).date_naive()
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
    fn in_winter_london_is_utc() {
        let instant = Utc.with_ymd_and_hms(2026, 12, 1, 23, 30, 0).unwrap();
        assert_eq!(
            london_date(instant),
            NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
        );
    }
}
