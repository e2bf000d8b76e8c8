//! Ending or withdrawing a flag (vulnerability, Breathing Space, safeguarding).
//!
//! A flag is never deleted: it either **ends** (its last day is set; it keeps counting up to and
//! including that day, then stops) or is **withdrawn** as entered in error (it no longer counts
//! for anything, on any day, but stays in the account's history). This module decides whether a
//! request to do either is allowed and what the flag's end becomes; the store writes it.
//!
//! It also decides when a flag counts for "no automated contact" (from its first day only),
//! how far a flag's end may be moved ([`change_end`]), and until when the landlord may ask for
//! a review of a Breathing Space ([`review_by`]).

use chrono::{Duration, NaiveDate};

/// The flag kinds an officer can set.
pub const KINDS: &[&str] = &[
    "vulnerability",
    "breathing_space_standard",
    "breathing_space_mental_health",
    "safeguarding",
];

/// A mental health crisis Breathing Space lasts while the crisis treatment lasts and 30 days
/// more (docs/breathing-space.md).
pub const MENTAL_HEALTH_EXTRA_DAYS: i64 = 30;

/// A standard Breathing Space lasts up to 60 days from its start (docs/breathing-space.md#how-long-a-breathing-space-lasts).
pub const STANDARD_MAX_DAYS: i64 = 60;

/// The landlord may ask for a review within the period of 20 days beginning with the day the
/// moratorium started (SI 2020/1311 reg 17(3); docs/breathing-space.md).
pub const REVIEW_DAYS: i64 = 20;

/// The last day a standard Breathing Space starting on `starts_on` may run to.
pub fn standard_latest_end(starts_on: NaiveDate) -> NaiveDate {
    starts_on + Duration::days(STANDARD_MAX_DAYS)
}

/// The last day the landlord may ask for a review of a Breathing Space that started on
/// `starts_on`. The Debt Respite Scheme Regulations (SI 2020/1311) reg 17(3): "within the
/// period of 20 days beginning with the day on which the moratorium started". The start day is
/// day 1, so the last day is `starts_on` + 19 days, whenever the landlord was notified (a late
/// notification shortens the time left, it does not move the deadline), and no court or officer
/// can extend it. `None` for other flags.
pub fn review_by(kind: &str, starts_on: NaiveDate) -> Option<NaiveDate> {
    kind.starts_with("breathing_space")
        .then(|| starts_on + Duration::days(REVIEW_DAYS - 1))
}

/// Why a flag stops counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// It came to its end (crisis treatment ended, vulnerability no longer applies, …).
    Ended,
    /// A Breathing Space cancelled early by the debt adviser.
    Cancelled,
    /// Entered by mistake: withdrawn, it never counted.
    EnteredInError,
}

impl EndReason {
    pub const ALL: &'static [EndReason] = &[
        EndReason::Ended,
        EndReason::Cancelled,
        EndReason::EnteredInError,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Ended => "ended",
            EndReason::Cancelled => "cancelled",
            EndReason::EnteredInError => "entered_in_error",
        }
    }

    pub fn parse(s: &str) -> Option<EndReason> {
        EndReason::ALL.iter().copied().find(|r| r.as_str() == s)
    }
}

/// A stored flag as these rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagState<'a> {
    pub kind: &'a str,
    pub starts_on: NaiveDate,
    /// Last day, inclusive; `None`: no end known yet.
    pub ends_on: Option<NaiveDate>,
    /// Why it stopped counting, if it was ended or withdrawn before (`EndReason::as_str`).
    pub end_reason: Option<&'a str>,
    /// The officer asked for no automated contact while it lasts.
    pub no_automated_contact: bool,
}

impl FlagState<'_> {
    /// Withdrawn as entered in error: it counts on no day at all.
    pub fn withdrawn(&self) -> bool {
        is_withdrawn(self.end_reason)
    }

    /// Whether the flag counts on `day`.
    pub fn in_force(&self, day: NaiveDate) -> bool {
        !self.withdrawn() && self.starts_on <= day && self.ends_on.is_none_or(|e| day <= e)
    }

    /// Whether the flag stops automated contact on `day`: only from its first day to its last
    /// (a flag set today to start next week lets today's messages go).
    pub fn stops_automated_contact(&self, day: NaiveDate) -> bool {
        self.no_automated_contact && self.in_force(day)
    }
}

/// Whether any of an account's flags stops automated contact on `day` (docs/contact.md). Every
/// reader (contact policy facts for outreach, campaigns and the dispatch re-check) asks this.
pub fn no_automated_contact(flags: &[FlagState<'_>], day: NaiveDate) -> bool {
    flags.iter().any(|f| f.stops_automated_contact(day))
}

/// Whether a stored end reason means the flag was withdrawn (and so never counts).
pub fn is_withdrawn(end_reason: Option<&str>) -> bool {
    end_reason == Some(EndReason::EnteredInError.as_str())
}

/// What the officer asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndRequest {
    pub reason: EndReason,
    /// The flag's last day (inclusive).
    pub ends_on: Option<NaiveDate>,
    /// Mental health crisis Breathing Space: the day the crisis treatment ended; the last day is
    /// 30 days later.
    pub treatment_ended_on: Option<NaiveDate>,
}

/// What happens to the flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Counts up to and including this day, then stops.
    EndsOn(NaiveDate),
    /// Counts on no day at all; kept in the history.
    Withdrawn,
}

/// Why the request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// The flag already stopped counting (its last day has passed, or it was withdrawn).
    AlreadyEnded(String),
    /// The request itself is wrong: `(field, reason)` for each bad field.
    Invalid(Vec<(String, String)>),
}

/// Decide an end or withdrawal of `flag` on `today`.
///
/// - A withdrawn flag cannot be ended or withdrawn again; a flag whose last day has passed can
///   only be withdrawn (it was entered in error after all).
/// - The last day is not before the first, and ending never extends a flag past the end it
///   already has (a standard Breathing Space is at most 60 days).
/// - `cancelled` is for Breathing Space only; `treatment_ended_on` for a mental health crisis
///   Breathing Space only (its last day is 30 days after the treatment ended).
pub fn end(flag: &FlagState<'_>, req: &EndRequest, today: NaiveDate) -> Result<Ending, Refused> {
    if flag.withdrawn() {
        return Err(Refused::AlreadyEnded(
            "the flag was withdrawn as entered in error".into(),
        ));
    }
    let mut errors: Vec<(String, String)> = vec![];
    let mut bad = |field: &str, reason: String| errors.push((field.to_owned(), reason));
    let mental_health = flag.kind == "breathing_space_mental_health";
    if req.reason == EndReason::EnteredInError {
        if req.ends_on.is_some() {
            bad(
                "ends_on",
                "not with entered_in_error: a withdrawn flag never counted".into(),
            );
        }
        if req.treatment_ended_on.is_some() {
            bad(
                "treatment_ended_on",
                "not with entered_in_error: a withdrawn flag never counted".into(),
            );
        }
        return if errors.is_empty() {
            Ok(Ending::Withdrawn)
        } else {
            Err(Refused::Invalid(errors))
        };
    }
    if let Some(e) = flag.ends_on.filter(|e| *e < today) {
        return Err(Refused::AlreadyEnded(format!(
            "the flag ended on {e}; withdraw it (entered_in_error) if it was a mistake"
        )));
    }
    if req.reason == EndReason::Cancelled && !flag.kind.starts_with("breathing_space") {
        bad(
            "reason",
            "cancelled is for a Breathing Space; use ended".into(),
        );
    }
    let last_day = match (req.ends_on, req.treatment_ended_on) {
        (Some(_), Some(_)) => {
            bad(
                "treatment_ended_on",
                "give ends_on or treatment_ended_on, not both".into(),
            );
            None
        }
        (None, Some(_)) if !mental_health => {
            bad(
                "treatment_ended_on",
                "only for a mental health crisis Breathing Space".into(),
            );
            None
        }
        (None, Some(t)) if t < flag.starts_on => {
            bad(
                "treatment_ended_on",
                format!("is before the flag starts ({})", flag.starts_on),
            );
            None
        }
        (None, Some(t)) => Some((
            "treatment_ended_on",
            t + Duration::days(MENTAL_HEALTH_EXTRA_DAYS),
        )),
        (Some(e), None) => Some(("ends_on", e)),
        (None, None) => {
            bad(
                "ends_on",
                if mental_health {
                    "required (or treatment_ended_on): the flag's last day".into()
                } else {
                    "required: the flag's last day".into()
                },
            );
            None
        }
    };
    if let Some((field, last)) = last_day {
        if last < flag.starts_on {
            bad(field, format!("is before starts_on ({})", flag.starts_on));
        } else if let Some(current) = flag.ends_on.filter(|c| last > *c) {
            bad(
                field,
                format!("the flag already ends on {current}: ending it cannot extend it"),
            );
        }
    }
    match last_day {
        Some((_, last)) if errors.is_empty() => Ok(Ending::EndsOn(last)),
        _ => Err(Refused::Invalid(errors)),
    }
}

/// A new end for a flag: a last day, the day a mental health crisis treatment ended, or no end.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EndChange {
    /// The flag's new last day (inclusive).
    pub ends_on: Option<NaiveDate>,
    /// Mental health crisis Breathing Space: the day the crisis treatment ended (the last day
    /// is 30 days later).
    pub treatment_ended_on: Option<NaiveDate>,
    /// No end: it runs until ended (not for a standard Breathing Space).
    pub open_ended: bool,
}

/// Decide a move of `flag`'s end, later or earlier (unlike [`end`], which only brings it
/// forward), as the rules of each kind allow. `Ok(None)`: open-ended.
///
/// - A withdrawn flag never counted: refused (`AlreadyEnded`, a conflict).
/// - Standard Breathing Space: a last day, at most 60 days after its start (docs/breathing-space.md#how-long-a-breathing-space-lasts);
///   never open-ended.
/// - Mental health crisis Breathing Space: the day the crisis treatment ended (the last day is
///   30 days later), or its last day as the Insolvency Service gives it, or open-ended while
///   the treatment goes on.
/// - Vulnerability, safeguarding: any last day from the start, or open-ended.
pub fn change_end(flag: &FlagState<'_>, req: &EndChange) -> Result<Option<NaiveDate>, Refused> {
    if flag.withdrawn() {
        return Err(Refused::AlreadyEnded(
            "the flag was withdrawn as entered in error; set a new flag instead".into(),
        ));
    }
    let mut errors: Vec<(String, String)> = vec![];
    let mut bad = |field: &str, reason: String| errors.push((field.to_owned(), reason));
    let standard = flag.kind == "breathing_space_standard";
    let mental_health = flag.kind == "breathing_space_mental_health";
    let last = match (req.open_ended, req.ends_on, req.treatment_ended_on) {
        (true, None, None) if standard => {
            bad(
                "open_ended",
                format!(
                    "a standard Breathing Space lasts at most {STANDARD_MAX_DAYS} days: give \
                     ends_on"
                ),
            );
            None
        }
        (true, None, None) => return Ok(None),
        (true, ..) => {
            let field = if req.ends_on.is_some() {
                "ends_on"
            } else {
                "treatment_ended_on"
            };
            bad(
                field,
                "not with open_ended: an open-ended flag has no end".into(),
            );
            None
        }
        (false, Some(_), Some(_)) => {
            bad(
                "treatment_ended_on",
                "give ends_on or treatment_ended_on, not both".into(),
            );
            None
        }
        (false, None, Some(_)) if !mental_health => {
            bad(
                "treatment_ended_on",
                "only for a mental health crisis Breathing Space".into(),
            );
            None
        }
        (false, None, Some(t)) if t < flag.starts_on => {
            bad(
                "treatment_ended_on",
                format!("is before the flag starts ({})", flag.starts_on),
            );
            None
        }
        (false, None, Some(t)) => Some((
            "treatment_ended_on",
            t + Duration::days(MENTAL_HEALTH_EXTRA_DAYS),
        )),
        (false, Some(e), None) => Some(("ends_on", e)),
        (false, None, None) => {
            bad(
                "ends_on",
                if standard {
                    "required: the new last day".into()
                } else if mental_health {
                    "required: the new last day, treatment_ended_on, or open_ended".into()
                } else {
                    "required: the new last day, or open_ended".into()
                },
            );
            None
        }
    };
    if let Some((field, last)) = last {
        if last < flag.starts_on {
            bad(field, format!("is before starts_on ({})", flag.starts_on));
        } else if standard && last > standard_latest_end(flag.starts_on) {
            bad(
                field,
                format!(
                    "a standard Breathing Space lasts at most {STANDARD_MAX_DAYS} days: no later \
                     than {}",
                    standard_latest_end(flag.starts_on)
                ),
            );
        }
    }
    match last {
        Some((_, last)) if errors.is_empty() => Ok(Some(last)),
        _ => Err(Refused::Invalid(errors)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn today() -> NaiveDate {
        d(2026, 11, 30)
    }

    fn crisis() -> FlagState<'static> {
        FlagState {
            kind: "breathing_space_mental_health",
            starts_on: d(2026, 9, 1),
            ends_on: None,
            end_reason: None,
            no_automated_contact: false,
        }
    }

    fn standard() -> FlagState<'static> {
        FlagState {
            kind: "breathing_space_standard",
            starts_on: d(2026, 11, 1),
            ends_on: Some(d(2026, 12, 30)),
            end_reason: None,
            no_automated_contact: false,
        }
    }

    fn ending(reason: EndReason, ends_on: Option<NaiveDate>) -> EndRequest {
        EndRequest {
            reason,
            ends_on,
            treatment_ended_on: None,
        }
    }

    fn fields(r: Result<Ending, Refused>) -> Vec<String> {
        match r {
            Err(Refused::Invalid(e)) => e.into_iter().map(|(f, _)| f).collect(),
            other => panic!("expected invalid fields, got {other:?}"),
        }
    }

    #[test]
    fn a_crisis_breathing_space_ends_on_the_day_given() {
        let r = end(
            &crisis(),
            &ending(EndReason::Ended, Some(d(2026, 11, 29))),
            today(),
        );
        assert_eq!(r, Ok(Ending::EndsOn(d(2026, 11, 29))));
    }

    #[test]
    fn a_crisis_breathing_space_lasts_30_days_after_the_treatment_ends() {
        let r = end(
            &crisis(),
            &EndRequest {
                reason: EndReason::Ended,
                ends_on: None,
                treatment_ended_on: Some(d(2026, 11, 20)),
            },
            today(),
        );
        assert_eq!(r, Ok(Ending::EndsOn(d(2026, 12, 20))));
        // Only for a crisis Breathing Space.
        let r = end(
            &standard(),
            &EndRequest {
                reason: EndReason::Cancelled,
                ends_on: None,
                treatment_ended_on: Some(d(2026, 11, 20)),
            },
            today(),
        );
        assert_eq!(fields(r), ["treatment_ended_on"]);
    }

    #[test]
    fn a_standard_breathing_space_may_be_cancelled_early_but_not_extended() {
        let r = end(
            &standard(),
            &ending(EndReason::Cancelled, Some(d(2026, 11, 30))),
            today(),
        );
        assert_eq!(r, Ok(Ending::EndsOn(d(2026, 11, 30))));
        let r = end(
            &standard(),
            &ending(EndReason::Ended, Some(d(2027, 1, 15))),
            today(),
        );
        assert_eq!(fields(r), ["ends_on"]);
    }

    #[test]
    fn the_last_day_is_required_and_not_before_the_first() {
        assert_eq!(
            fields(end(&crisis(), &ending(EndReason::Ended, None), today())),
            ["ends_on"]
        );
        assert_eq!(
            fields(end(
                &crisis(),
                &ending(EndReason::Ended, Some(d(2026, 8, 31))),
                today()
            )),
            ["ends_on"]
        );
    }

    #[test]
    fn only_a_breathing_space_is_cancelled() {
        let vulnerable = FlagState {
            kind: "vulnerability",
            ..crisis()
        };
        assert_eq!(
            fields(end(
                &vulnerable,
                &ending(EndReason::Cancelled, Some(today())),
                today()
            )),
            ["reason"]
        );
        assert_eq!(
            end(
                &vulnerable,
                &ending(EndReason::Ended, Some(today())),
                today()
            ),
            Ok(Ending::EndsOn(today()))
        );
    }

    #[test]
    fn a_flag_that_has_ended_can_only_be_withdrawn_and_a_withdrawn_one_not_at_all() {
        let past = FlagState {
            ends_on: Some(d(2026, 11, 29)),
            ..standard()
        };
        assert!(matches!(
            end(
                &past,
                &ending(EndReason::Ended, Some(d(2026, 11, 20))),
                today()
            ),
            Err(Refused::AlreadyEnded(_))
        ));
        assert_eq!(
            end(&past, &ending(EndReason::EnteredInError, None), today()),
            Ok(Ending::Withdrawn)
        );
        let withdrawn = FlagState {
            end_reason: Some("entered_in_error"),
            ..crisis()
        };
        assert!(matches!(
            end(
                &withdrawn,
                &ending(EndReason::EnteredInError, None),
                today()
            ),
            Err(Refused::AlreadyEnded(_))
        ));
    }

    #[test]
    fn a_withdrawal_takes_no_date() {
        assert_eq!(
            fields(end(
                &crisis(),
                &ending(EndReason::EnteredInError, Some(today())),
                today()
            )),
            ["ends_on"]
        );
    }

    #[test]
    fn a_withdrawn_flag_is_in_force_on_no_day_and_an_ended_one_up_to_its_last() {
        let ended = FlagState {
            ends_on: Some(d(2026, 11, 29)),
            end_reason: Some("ended"),
            ..crisis()
        };
        assert!(ended.in_force(d(2026, 11, 29)));
        assert!(!ended.in_force(d(2026, 11, 30)));
        let withdrawn = FlagState {
            end_reason: Some("entered_in_error"),
            ..crisis()
        };
        assert!(!withdrawn.in_force(d(2026, 10, 1)));
        assert!(crisis().in_force(d(2030, 1, 1)));
    }

    fn change(
        ends_on: Option<NaiveDate>,
        treatment_ended_on: Option<NaiveDate>,
        open_ended: bool,
    ) -> EndChange {
        EndChange {
            ends_on,
            treatment_ended_on,
            open_ended,
        }
    }

    fn change_fields(r: Result<Option<NaiveDate>, Refused>) -> Vec<String> {
        match r {
            Err(Refused::Invalid(e)) => e.into_iter().map(|(f, _)| f).collect(),
            other => panic!("expected invalid fields, got {other:?}"),
        }
    }

    #[test]
    fn a_standard_breathing_space_may_be_extended_to_60_days_from_its_start_and_no_further() {
        // Starts 1 Nov: the latest last day is 31 Dec.
        assert_eq!(
            change_end(&standard(), &change(Some(d(2026, 12, 31)), None, false)),
            Ok(Some(d(2026, 12, 31)))
        );
        assert_eq!(
            change_fields(change_end(
                &standard(),
                &change(Some(d(2027, 1, 1)), None, false)
            )),
            ["ends_on"]
        );
        assert_eq!(
            change_fields(change_end(&standard(), &change(None, None, true))),
            ["open_ended"]
        );
        assert_eq!(
            change_fields(change_end(&standard(), &change(None, None, false))),
            ["ends_on"]
        );
        // Earlier is a move too.
        assert_eq!(
            change_end(&standard(), &change(Some(d(2026, 11, 15)), None, false)),
            Ok(Some(d(2026, 11, 15)))
        );
    }

    #[test]
    fn a_later_treatment_end_moves_a_crisis_breathing_space_30_days_after_it() {
        let ended = FlagState {
            ends_on: Some(d(2026, 12, 20)),
            end_reason: Some("ended"),
            ..crisis()
        };
        assert_eq!(
            change_end(&ended, &change(None, Some(d(2027, 1, 10)), false)),
            Ok(Some(d(2027, 2, 9)))
        );
        // Treatment resumed: open-ended again.
        assert_eq!(change_end(&ended, &change(None, None, true)), Ok(None));
        assert_eq!(
            change_fields(change_end(
                &ended,
                &change(None, Some(d(2026, 8, 1)), false)
            )),
            ["treatment_ended_on"]
        );
        assert_eq!(
            change_fields(change_end(
                &ended,
                &change(Some(d(2027, 1, 1)), Some(d(2026, 12, 1)), false)
            )),
            ["treatment_ended_on"]
        );
        assert_eq!(
            change_fields(change_end(
                &standard(),
                &change(None, Some(d(2026, 11, 20)), false)
            )),
            ["treatment_ended_on"]
        );
    }

    #[test]
    fn a_vulnerability_or_safeguarding_flag_may_be_extended_or_made_open_ended() {
        for kind in ["vulnerability", "safeguarding"] {
            let f = FlagState {
                kind,
                ends_on: Some(d(2026, 12, 1)),
                ..crisis()
            };
            assert_eq!(
                change_end(&f, &change(Some(d(2028, 1, 1)), None, false)),
                Ok(Some(d(2028, 1, 1)))
            );
            assert_eq!(change_end(&f, &change(None, None, true)), Ok(None));
            assert_eq!(
                change_fields(change_end(&f, &change(Some(d(2026, 8, 31)), None, false))),
                ["ends_on"]
            );
            assert_eq!(
                change_fields(change_end(&f, &change(Some(d(2027, 1, 1)), None, true))),
                ["ends_on"]
            );
        }
    }

    #[test]
    fn a_withdrawn_flag_end_cannot_be_moved() {
        let withdrawn = FlagState {
            end_reason: Some("entered_in_error"),
            ..crisis()
        };
        assert!(matches!(
            change_end(&withdrawn, &change(None, None, true)),
            Err(Refused::AlreadyEnded(_))
        ));
    }

    #[test]
    fn a_no_automated_contact_flag_counts_from_its_start_only() {
        let next_week = FlagState {
            kind: "vulnerability",
            starts_on: d(2026, 12, 7),
            ends_on: None,
            end_reason: None,
            no_automated_contact: true,
        };
        assert!(!no_automated_contact(
            std::slice::from_ref(&next_week),
            today()
        ));
        assert!(no_automated_contact(
            std::slice::from_ref(&next_week),
            d(2026, 12, 7)
        ));
        let ended = FlagState {
            ends_on: Some(d(2026, 12, 8)),
            ..next_week.clone()
        };
        assert!(!no_automated_contact(&[ended], d(2026, 12, 9)));
        let without = FlagState {
            no_automated_contact: false,
            ..next_week.clone()
        };
        assert!(!no_automated_contact(&[without], d(2026, 12, 8)));
        let withdrawn = FlagState {
            end_reason: Some("entered_in_error"),
            ..next_week
        };
        assert!(!no_automated_contact(&[withdrawn], d(2026, 12, 8)));
    }

    /// SI 2020/1311 reg 17(3): a review may be asked for "within the period of 20 days
    /// beginning with the day on which the moratorium started": the start day counts as day 1,
    /// so the last day is start + 19, over weekends, bank holidays and month ends alike. The
    /// same table is in docs/breathing-space.md#breathing-space-the-landlords-review-deadline ("Breathing Space: the landlord's review deadline").
    #[test]
    fn si_2020_1311_reg_17_review_within_20_days_beginning_with_the_start() {
        // (moratorium started, last day to ask for a review)
        let cases = [
            // Monday start: Saturday 19 days later.
            ((2026, 11, 30), (2026, 12, 19)),
            // Over Christmas and New Year bank holidays: not moved.
            ((2026, 12, 14), (2027, 1, 2)),
            // Leap year: 10 Feb 2028 + 19 = 29 Feb 2028.
            ((2028, 2, 10), (2028, 2, 29)),
            // Not a leap year: 10 Feb 2027 + 19 = 1 Mar 2027.
            ((2027, 2, 10), (2027, 3, 1)),
            // Starts on a Saturday (registered at the weekend).
            ((2027, 5, 1), (2027, 5, 20)),
        ];
        for ((y, m, day), (ry, rm, rd)) in cases {
            for kind in ["breathing_space_standard", "breathing_space_mental_health"] {
                assert_eq!(
                    review_by(kind, d(y, m, day)),
                    Some(d(ry, rm, rd)),
                    "{kind} from {y}-{m}-{day}"
                );
            }
        }
        assert_eq!(review_by("vulnerability", d(2026, 11, 30)), None);
    }
}
