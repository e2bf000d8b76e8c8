//! The UK social-housing rent calendar and England & Wales bank holidays.
//!
//! Rent is charged weekly in advance on Mondays, and the rent year starts on the first Monday
//! of April (docs/accounts-and-rent.md#the-rent-year-starts-on-the-first-monday-of-april), so a rent year has 52 or 53 Mondays: 2019/20 and 2024/25 had 53.
//! Bank holidays follow the statutory pattern with substitute days, plus the one-off changes
//! proclaimed since 2020 (docs/calendar.md asks for a table through at least 2030).

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RentYear {
    /// First Monday of April.
    pub start: NaiveDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RentWeek {
    pub year: RentYear,
    /// 1-based.
    pub week: u32,
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid calendar date")
}

impl RentYear {
    /// The rent year whose first Monday falls in April `year`.
    pub fn starting_in(year: i32) -> RentYear {
        RentYear {
            start: monday_on_or_after(ymd(year, 4, 1)),
        }
    }

    pub fn containing(date: NaiveDate) -> RentYear {
        let this = RentYear::starting_in(date.year());
        if date >= this.start {
            this
        } else {
            RentYear::starting_in(date.year() - 1)
        }
    }

    /// 52 or 53: the Mondays from this first Monday of April to the next, exclusive.
    pub fn weeks(&self) -> u32 {
        ((self.next().start - self.start).num_days() / 7) as u32
    }

    /// The last day: the Sunday before the next rent year starts.
    pub fn end(&self) -> NaiveDate {
        self.next().start - Duration::days(1)
    }

    pub fn next(&self) -> RentYear {
        RentYear::starting_in(self.start.year() + 1)
    }

    /// 1-based week number of a date in this rent year (dates outside it are clamped by the
    /// arithmetic; callers pass dates inside).
    pub fn week_of(&self, date: NaiveDate) -> u32 {
        ((date - self.start).num_days().div_euclid(7) + 1) as u32
    }

    pub fn monday_of_week(&self, week: u32) -> NaiveDate {
        self.start + Duration::weeks(i64::from(week) - 1)
    }

    /// "2026/27".
    pub fn label(&self) -> String {
        let y = self.start.year();
        format!("{y}/{:02}", (y + 1) % 100)
    }
}

impl RentWeek {
    pub fn containing(date: NaiveDate) -> RentWeek {
        let year = RentYear::containing(date);
        RentWeek {
            year,
            week: year.week_of(date),
        }
    }

    pub fn monday(&self) -> NaiveDate {
        self.year.monday_of_week(self.week)
    }
}

/// "2026/27 W34".
impl std::fmt::Display for RentWeek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} W{:02}", self.year.label(), self.week)
    }
}

pub fn monday_on_or_before(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

pub fn monday_on_or_after(date: NaiveDate) -> NaiveDate {
    let back = date.weekday().num_days_from_monday();
    if back == 0 {
        date
    } else {
        date + Duration::days(i64::from(7 - back))
    }
}

/// Western Easter Sunday (anonymous Gregorian algorithm).
fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    ymd(year, month as u32, day as u32)
}

fn first_monday(year: i32, month: u32) -> NaiveDate {
    monday_on_or_after(ymd(year, month, 1))
}

fn last_monday(year: i32, month: u32) -> NaiveDate {
    let next = if month == 12 {
        ymd(year + 1, 1, 1)
    } else {
        ymd(year, month + 1, 1)
    };
    monday_on_or_before(next - Duration::days(1))
}

/// England & Wales bank holidays in a year, in date order.
pub fn bank_holidays(year: i32) -> Vec<NaiveDate> {
    let mut days = Vec::with_capacity(10);
    // New Year's Day, moved to Monday when it falls at a weekend.
    let new_year = ymd(year, 1, 1);
    days.push(match new_year.weekday() {
        Weekday::Sat | Weekday::Sun => monday_on_or_after(new_year),
        _ => new_year,
    });
    let easter = easter_sunday(year);
    days.push(easter - Duration::days(2));
    days.push(easter + Duration::days(1));
    // Early May: first Monday, except 2020 (moved to Friday 8 May for VE Day).
    days.push(if year == 2020 {
        ymd(2020, 5, 8)
    } else {
        first_monday(year, 5)
    });
    if year == 2023 {
        days.push(ymd(2023, 5, 8)); // Coronation of King Charles III
    }
    // Spring: last Monday of May, except 2022 (Platinum Jubilee: 2 and 3 June).
    if year == 2022 {
        days.extend([ymd(2022, 6, 2), ymd(2022, 6, 3)]);
    } else {
        days.push(last_monday(year, 5));
    }
    days.push(last_monday(year, 8));
    if year == 2022 {
        days.push(ymd(2022, 9, 19)); // State funeral of Queen Elizabeth II
    }
    // Christmas and Boxing Day, with substitute weekdays when either falls at a weekend.
    let christmas = ymd(year, 12, 25);
    match christmas.weekday() {
        Weekday::Fri => days.extend([christmas, ymd(year, 12, 28)]),
        Weekday::Sat => days.extend([ymd(year, 12, 27), ymd(year, 12, 28)]),
        Weekday::Sun => days.extend([ymd(year, 12, 26), ymd(year, 12, 27)]),
        _ => days.extend([christmas, ymd(year, 12, 26)]),
    }
    days.sort();
    days
}

pub fn is_bank_holiday(date: NaiveDate) -> bool {
    bank_holidays(date.year()).contains(&date)
}

/// The same day `months` months later, or the month's last day when it has no such day.
/// UC assessment periods: a claim on 31 January has periods starting 28/29 Feb, 31 Mar, 30 Apr…
/// each counted from the claim date, not from the previous period.
pub fn add_months_clamped(date: NaiveDate, months: u32) -> NaiveDate {
    let total = date.year() * 12 + date.month0() as i32 + months as i32;
    let (year, month0) = (total.div_euclid(12), total.rem_euclid(12) as u32);
    let mut day = date.day();
    loop {
        if let Some(d) = NaiveDate::from_ymd_opt(year, month0 + 1, day) {
            return d;
        }
        day -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rent_years_start_on_the_first_monday_of_april() {
        assert_eq!(RentYear::starting_in(2024).start, ymd(2024, 4, 1));
        assert_eq!(RentYear::starting_in(2025).start, ymd(2025, 4, 7));
        assert_eq!(RentYear::starting_in(2026).start, ymd(2026, 4, 6));
        assert_eq!(RentYear::starting_in(2027).start, ymd(2027, 4, 5));
        assert_eq!(RentYear::starting_in(2019).start, ymd(2019, 4, 1));
    }

    #[test]
    fn rent_years_2019_and_2024_have_53_weeks() {
        assert_eq!(RentYear::starting_in(2019).weeks(), 53);
        assert_eq!(RentYear::starting_in(2024).weeks(), 53);
        for y in [2020, 2021, 2022, 2023, 2025, 2026, 2027] {
            assert_eq!(RentYear::starting_in(y).weeks(), 52, "{y}");
        }
    }

    #[test]
    fn dates_before_the_first_monday_of_april_belong_to_the_previous_rent_year() {
        let y = RentYear::containing(ymd(2026, 4, 5));
        assert_eq!(y.label(), "2025/26");
        assert_eq!(y.end(), ymd(2026, 4, 5));
        assert_eq!(y.week_of(ymd(2026, 4, 5)), 52);
        assert_eq!(RentYear::containing(ymd(2026, 4, 6)).label(), "2026/27");
        let w = RentWeek::containing(ymd(2025, 3, 31));
        assert_eq!(w.to_string(), "2024/25 W53");
        assert_eq!(w.monday(), ymd(2025, 3, 31));
        assert_eq!(
            RentWeek::containing(ymd(2026, 11, 25)).to_string(),
            "2026/27 W34"
        );
        assert_eq!(
            RentYear::starting_in(2026).monday_of_week(34),
            ymd(2026, 11, 23)
        );
    }

    #[test]
    fn mondays_either_side() {
        assert_eq!(monday_on_or_before(ymd(2026, 11, 25)), ymd(2026, 11, 23));
        assert_eq!(monday_on_or_after(ymd(2026, 11, 25)), ymd(2026, 11, 30));
        assert_eq!(monday_on_or_after(ymd(2026, 11, 23)), ymd(2026, 11, 23));
        assert_eq!(monday_on_or_before(ymd(2026, 11, 23)), ymd(2026, 11, 23));
    }

    #[test]
    fn bank_holidays_2020_to_2030_match_the_published_table() {
        let table: &[(i32, &[(u32, u32)])] = &[
            (
                2020,
                &[
                    (1, 1),
                    (4, 10),
                    (4, 13),
                    (5, 8),
                    (5, 25),
                    (8, 31),
                    (12, 25),
                    (12, 28),
                ],
            ),
            (
                2021,
                &[
                    (1, 1),
                    (4, 2),
                    (4, 5),
                    (5, 3),
                    (5, 31),
                    (8, 30),
                    (12, 27),
                    (12, 28),
                ],
            ),
            (
                2022,
                &[
                    (1, 3),
                    (4, 15),
                    (4, 18),
                    (5, 2),
                    (6, 2),
                    (6, 3),
                    (8, 29),
                    (9, 19),
                    (12, 26),
                    (12, 27),
                ],
            ),
            (
                2023,
                &[
                    (1, 2),
                    (4, 7),
                    (4, 10),
                    (5, 1),
                    (5, 8),
                    (5, 29),
                    (8, 28),
                    (12, 25),
                    (12, 26),
                ],
            ),
            (
                2024,
                &[
                    (1, 1),
                    (3, 29),
                    (4, 1),
                    (5, 6),
                    (5, 27),
                    (8, 26),
                    (12, 25),
                    (12, 26),
                ],
            ),
            (
                2025,
                &[
                    (1, 1),
                    (4, 18),
                    (4, 21),
                    (5, 5),
                    (5, 26),
                    (8, 25),
                    (12, 25),
                    (12, 26),
                ],
            ),
            (
                2026,
                &[
                    (1, 1),
                    (4, 3),
                    (4, 6),
                    (5, 4),
                    (5, 25),
                    (8, 31),
                    (12, 25),
                    (12, 28),
                ],
            ),
            (
                2027,
                &[
                    (1, 1),
                    (3, 26),
                    (3, 29),
                    (5, 3),
                    (5, 31),
                    (8, 30),
                    (12, 27),
                    (12, 28),
                ],
            ),
            (
                2028,
                &[
                    (1, 3),
                    (4, 14),
                    (4, 17),
                    (5, 1),
                    (5, 29),
                    (8, 28),
                    (12, 25),
                    (12, 26),
                ],
            ),
            (
                2029,
                &[
                    (1, 1),
                    (3, 30),
                    (4, 2),
                    (5, 7),
                    (5, 28),
                    (8, 27),
                    (12, 25),
                    (12, 26),
                ],
            ),
            (
                2030,
                &[
                    (1, 1),
                    (4, 19),
                    (4, 22),
                    (5, 6),
                    (5, 27),
                    (8, 26),
                    (12, 25),
                    (12, 26),
                ],
            ),
        ];
        for (year, days) in table {
            let expected: Vec<NaiveDate> = days.iter().map(|&(m, d)| ymd(*year, m, d)).collect();
            assert_eq!(bank_holidays(*year), expected, "{year}");
        }
        assert!(is_bank_holiday(ymd(2026, 12, 28)));
        assert!(
            !is_bank_holiday(ymd(2026, 12, 26)),
            "Boxing Day 2026 is a Saturday; the holiday is the 28th"
        );
        assert!(!is_bank_holiday(ymd(2026, 11, 25)));
    }

    #[test]
    fn months_are_added_from_the_original_day_and_clamped_at_month_end() {
        assert_eq!(add_months_clamped(ymd(2026, 1, 31), 1), ymd(2026, 2, 28));
        assert_eq!(add_months_clamped(ymd(2028, 1, 31), 1), ymd(2028, 2, 29));
        assert_eq!(add_months_clamped(ymd(2026, 1, 31), 2), ymd(2026, 3, 31));
        assert_eq!(add_months_clamped(ymd(2026, 1, 31), 3), ymd(2026, 4, 30));
        assert_eq!(add_months_clamped(ymd(2026, 11, 15), 2), ymd(2027, 1, 15));
        assert_eq!(add_months_clamped(ymd(2026, 11, 15), 0), ymd(2026, 11, 15));
    }
}
