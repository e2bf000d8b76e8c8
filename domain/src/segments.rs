//! Campaign segments: which accounts a targeted campaign is for, as data a team leader writes
//! (stored with the campaign as JSON) and the one rule that says whether an account matches.
//!
//! [`Segment::parse`] is the only way in: it reads a JSON object and returns every bad field at
//! once (an unknown field, a value of the wrong kind, an unknown tenure, an impossible range),
//! each named `segment.<field>`. Whether a named patch exists and is the caller's to target is
//! a question for the store, not for this module.

use crate::Pence;
use crate::ledger::PaymentMethod;
use crate::possession::types::Stage;
use crate::tenancy::Tenure;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::str::FromStr;

/// Arrears that moved by no more than this over [`TREND_DAYS`] are steady.
pub const TREND_TOLERANCE: Pence = Pence(100);
/// The trend compares real arrears today with real arrears this many days ago.
pub const TREND_DAYS: i64 = 28;
/// Longest look-back a segment may ask for (ten years).
const MAX_DAYS: u64 = 3653;

/// Arrears trend over the last [`TREND_DAYS`] days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    Rising,
    Falling,
    Steady,
}

impl Trend {
    pub fn of(now: Pence, before: Pence) -> Trend {
        let change = (now - before).0;
        if change > TREND_TOLERANCE.0 {
            Trend::Rising
        } else if change < -TREND_TOLERANCE.0 {
            Trend::Falling
        } else {
            Trend::Steady
        }
    }
}

/// The state of an account's repayment arrangement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArrangementState {
    None,
    Active,
    Broken,
}

/// A filter over accounts. Every criterion is optional; an account matches when it meets all
/// of those given (an empty segment is every account in the caller's patches).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    /// Real arrears (technical arrears left out) at least this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrears_min_pence: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrears_max_pence: Option<i64>,
    /// Weeks in arrears (real arrears ÷ weekly charge) in hundredths of a week.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrears_weeks_min_hundredths: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrears_weeks_max_hundredths: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrears_trend: Option<Trend>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tenures: Vec<Tenure>,
    /// Patch codes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patches: Vec<String>,
    /// Staff ids of the officers whose patches are meant.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub officer_ids: Vec<i64>,
    /// An open Universal Credit claim that started at most this many days ago.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uc_claim_within_days: Option<u32>,
    /// Housing Benefit stopped (the expected payment has not come).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hb_ended: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payment_methods: Vec<PaymentMethod>,
    /// e.g. `["direct_debit"]`: everyone not paying by direct debit.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_payment_methods: Vec<PaymentMethod>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrangement: Option<ArrangementState>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<String>,
    /// No contact (call, visit, letter, reply, message sent) for at least this many days;
    /// never contacted counts as long ago.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_since_last_contact_min: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_since_last_contact_max: Option<u32>,
    /// A mobile number on file that is not known to be invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_mobile: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_email: Option<bool>,
    /// A registered push device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_push: Option<bool>,
}

/// What [`Segment::matches`] needs to know about one account on `today`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentFacts {
    pub real_arrears: Pence,
    pub weeks_in_arrears_hundredths: Option<i64>,
    /// Real arrears [`TREND_DAYS`] days ago.
    pub real_arrears_before: Pence,
    pub tenure: Tenure,
    pub patch: Option<String>,
    pub officer_id: Option<i64>,
    /// Start of the open UC claim, if any.
    pub uc_claim_start: Option<NaiveDate>,
    pub hb_ended: bool,
    pub payment_method: PaymentMethod,
    pub arrangement: ArrangementState,
    pub stage: Stage,
    pub last_contact: Option<NaiveDate>,
    pub has_mobile: bool,
    pub has_email: bool,
    pub has_push: bool,
}

/// A field at fault and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

/// The API's names for the weeks criteria (decimal weeks, e.g. `2.5`).
const WEEKS_MIN: &str = "arrears_weeks_min";
const WEEKS_MAX: &str = "arrears_weeks_max";

const FIELDS: &[&str] = &[
    "arrears_min_pence",
    "arrears_max_pence",
    WEEKS_MIN,
    WEEKS_MAX,
    "arrears_trend",
    "tenures",
    "patches",
    "officer_ids",
    "uc_claim_within_days",
    "hb_ended",
    "payment_methods",
    "exclude_payment_methods",
    "arrangement",
    "stages",
    "days_since_last_contact_min",
    "days_since_last_contact_max",
    "has_mobile",
    "has_email",
    "has_push",
];

struct Reader<'a> {
    map: &'a Map<String, Value>,
    errors: Vec<FieldError>,
}

impl Reader<'_> {
    fn err(&mut self, field: &str, reason: impl Into<String>) {
        self.errors.push(FieldError {
            field: format!("segment.{field}"),
            reason: reason.into(),
        });
    }

    fn get(&self, field: &str) -> Option<&Value> {
        self.map.get(field).filter(|v| !v.is_null())
    }

    fn uint(&mut self, field: &str, max: u64) -> Option<u64> {
        let v = self.get(field)?;
        match v.as_u64() {
            Some(n) if n <= max => Some(n),
            Some(_) => {
                self.err(field, format!("at most {max}"));
                None
            }
            None => {
                self.err(field, "a whole number, 0 or more");
                None
            }
        }
    }

    fn pence(&mut self, field: &str) -> Option<i64> {
        let v = self.get(field)?;
        match v.as_i64() {
            Some(n) if n >= 0 => Some(n),
            _ => {
                self.err(field, "whole pence, 0 or more (e.g. 50000 for £500)");
                None
            }
        }
    }

    fn weeks(&mut self, field: &str) -> Option<i64> {
        let v = self.get(field)?;
        match v.as_f64() {
            Some(w) if (0.0..=520.0).contains(&w) => Some((w * 100.0).round() as i64),
            _ => {
                self.err(field, "weeks between 0 and 520 (e.g. 2.5)");
                None
            }
        }
    }

    fn boolean(&mut self, field: &str) -> Option<bool> {
        let v = self.get(field)?;
        let b = v.as_bool();
        if b.is_none() {
            self.err(field, "true or false");
        }
        b
    }

    /// A non-empty list of distinct strings, each parsed by `parse`.
    fn list<T>(&mut self, field: &str, parse: impl Fn(&str) -> Result<T, String>) -> Vec<T> {
        let Some(v) = self.get(field) else {
            return vec![];
        };
        let Some(items) = v.as_array().filter(|a| !a.is_empty()) else {
            self.err(field, "a non-empty list");
            return vec![];
        };
        let mut out = Vec::new();
        let mut bad = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item.as_str().map(&parse) {
                Some(Ok(t)) => out.push(t),
                Some(Err(reason)) => bad.push((format!("{field}[{i}]"), reason)),
                None => bad.push((format!("{field}[{i}]"), "a string".to_owned())),
            }
        }
        for (f, reason) in bad {
            self.err(&f, reason);
        }
        out
    }
}

fn names<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str) -> String {
    all.iter().map(|t| name(*t)).collect::<Vec<_>>().join(", ")
}

impl Segment {
    /// Read a segment from JSON, naming every bad field (`segment.<field>`).
    pub fn parse(value: &Value) -> Result<Segment, Vec<FieldError>> {
        let Some(map) = value.as_object() else {
            return Err(vec![FieldError {
                field: "segment".into(),
                reason: "an object of criteria, e.g. {\"arrears_min_pence\": 10000}".into(),
            }]);
        };
        let mut r = Reader {
            map,
            errors: Vec::new(),
        };
        for key in map.keys() {
            if !FIELDS.contains(&key.as_str()) {
                r.err(key, format!("unknown field; known: {}", FIELDS.join(", ")));
            }
        }
        let tenures_allowed = names(Tenure::ALL, Tenure::as_str);
        let methods_allowed = names(PaymentMethod::ALL, PaymentMethod::as_str);
        let stages_allowed = names(Stage::ALL, Stage::as_str);
        let seg = Segment {
            arrears_min_pence: r.pence("arrears_min_pence"),
            arrears_max_pence: r.pence("arrears_max_pence"),
            arrears_weeks_min_hundredths: r.weeks(WEEKS_MIN),
            arrears_weeks_max_hundredths: r.weeks(WEEKS_MAX),
            arrears_trend: match r.get("arrears_trend").and_then(Value::as_str) {
                Some("rising") => Some(Trend::Rising),
                Some("falling") => Some(Trend::Falling),
                Some("steady") => Some(Trend::Steady),
                _ if r.get("arrears_trend").is_none() => None,
                _ => {
                    r.err("arrears_trend", "one of rising, falling, steady");
                    None
                }
            },
            tenures: r.list("tenures", |s| {
                Tenure::from_str(s).map_err(|_| format!("one of {tenures_allowed}"))
            }),
            patches: r.list("patches", |s| {
                let s = s.trim();
                if s.is_empty() {
                    Err("a patch code".to_owned())
                } else {
                    Ok(s.to_owned())
                }
            }),
            officer_ids: match r.get("officer_ids") {
                None => vec![],
                Some(v) => match v.as_array() {
                    Some(a) if !a.is_empty() && a.iter().all(|i| i.as_i64().is_some()) => {
                        a.iter().filter_map(Value::as_i64).collect()
                    }
                    _ => {
                        r.err("officer_ids", "a non-empty list of staff ids");
                        vec![]
                    }
                },
            },
            uc_claim_within_days: r.uint("uc_claim_within_days", MAX_DAYS).map(|n| n as u32),
            hb_ended: r.boolean("hb_ended"),
            payment_methods: r.list("payment_methods", |s| {
                PaymentMethod::from_str(s).map_err(|_| format!("one of {methods_allowed}"))
            }),
            exclude_payment_methods: r.list("exclude_payment_methods", |s| {
                PaymentMethod::from_str(s).map_err(|_| format!("one of {methods_allowed}"))
            }),
            arrangement: match r.get("arrangement").and_then(Value::as_str) {
                Some("none") => Some(ArrangementState::None),
                Some("active") => Some(ArrangementState::Active),
                Some("broken") => Some(ArrangementState::Broken),
                _ if r.get("arrangement").is_none() => None,
                _ => {
                    r.err("arrangement", "one of none, active, broken");
                    None
                }
            },
            stages: r.list("stages", |s| {
                if Stage::ALL.iter().any(|st| st.as_str() == s) {
                    Ok(s.to_owned())
                } else {
                    Err(format!("one of {stages_allowed}"))
                }
            }),
            days_since_last_contact_min: r
                .uint("days_since_last_contact_min", MAX_DAYS)
                .map(|n| n as u32),
            days_since_last_contact_max: r
                .uint("days_since_last_contact_max", MAX_DAYS)
                .map(|n| n as u32),
            has_mobile: r.boolean("has_mobile"),
            has_email: r.boolean("has_email"),
            has_push: r.boolean("has_push"),
        };
        // Impossible ranges: named by their upper bound.
        if let (Some(lo), Some(hi)) = (seg.arrears_min_pence, seg.arrears_max_pence)
            && lo > hi
        {
            r.err(
                "arrears_max_pence",
                "less than arrears_min_pence: no account can match",
            );
        }
        if let (Some(lo), Some(hi)) = (
            seg.arrears_weeks_min_hundredths,
            seg.arrears_weeks_max_hundredths,
        ) && lo > hi
        {
            r.err(
                WEEKS_MAX,
                "less than arrears_weeks_min: no account can match",
            );
        }
        if let (Some(lo), Some(hi)) = (
            seg.days_since_last_contact_min,
            seg.days_since_last_contact_max,
        ) && lo > hi
        {
            r.err(
                "days_since_last_contact_max",
                "less than days_since_last_contact_min: no account can match",
            );
        }
        if seg.uc_claim_within_days == Some(0) {
            r.err("uc_claim_within_days", "at least 1");
        }
        for m in &seg.payment_methods {
            if seg.exclude_payment_methods.contains(m) {
                r.err(
                    "exclude_payment_methods",
                    format!(
                        "{} is also in payment_methods: no account can match",
                        m.as_str()
                    ),
                );
            }
        }
        if r.errors.is_empty() {
            Ok(seg)
        } else {
            Err(r.errors)
        }
    }

    /// The segment as the API shows it (decimal weeks, like [`Segment::parse`] reads).
    pub fn to_json(&self) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Object(Map::new()));
        if let Some(map) = v.as_object_mut() {
            for (stored, shown) in [
                ("arrears_weeks_min_hundredths", WEEKS_MIN),
                ("arrears_weeks_max_hundredths", WEEKS_MAX),
            ] {
                if let Some(h) = map.remove(stored).and_then(|h| h.as_i64()) {
                    map.insert(shown.to_owned(), serde_json::json!(h as f64 / 100.0));
                }
            }
        }
        v
    }

    /// Does the account match every criterion given, on `today`?
    pub fn matches(&self, f: &SegmentFacts, today: NaiveDate) -> bool {
        let within = |v: i64, lo: Option<i64>, hi: Option<i64>| {
            lo.is_none_or(|lo| v >= lo) && hi.is_none_or(|hi| v <= hi)
        };
        let weeks = f.weeks_in_arrears_hundredths.unwrap_or(0);
        let since_contact = f.last_contact.map_or(i64::MAX, |d| (today - d).num_days());
        within(
            f.real_arrears.0,
            self.arrears_min_pence,
            self.arrears_max_pence,
        ) && within(
            weeks,
            self.arrears_weeks_min_hundredths,
            self.arrears_weeks_max_hundredths,
        ) && self
            .arrears_trend
            .is_none_or(|t| Trend::of(f.real_arrears, f.real_arrears_before) == t)
            && (self.tenures.is_empty() || self.tenures.contains(&f.tenure))
            && (self.patches.is_empty()
                || f.patch.as_ref().is_some_and(|p| self.patches.contains(p)))
            && (self.officer_ids.is_empty()
                || f.officer_id.is_some_and(|o| self.officer_ids.contains(&o)))
            && self.uc_claim_within_days.is_none_or(|days| {
                f.uc_claim_start.is_some_and(|start| {
                    start <= today && (today - start).num_days() <= i64::from(days)
                })
            })
            && self.hb_ended.is_none_or(|b| f.hb_ended == b)
            && (self.payment_methods.is_empty() || self.payment_methods.contains(&f.payment_method))
            && !self.exclude_payment_methods.contains(&f.payment_method)
            && self.arrangement.is_none_or(|a| f.arrangement == a)
            && (self.stages.is_empty() || self.stages.iter().any(|s| s == f.stage.as_str()))
            && self
                .days_since_last_contact_min
                .is_none_or(|d| since_contact >= i64::from(d))
            && self
                .days_since_last_contact_max
                .is_none_or(|d| since_contact <= i64::from(d))
            && self.has_mobile.is_none_or(|b| f.has_mobile == b)
            && self.has_email.is_none_or(|b| f.has_email == b)
            && self.has_push.is_none_or(|b| f.has_push == b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    fn facts() -> SegmentFacts {
        SegmentFacts {
            real_arrears: Pence(45_000),
            weeks_in_arrears_hundredths: Some(457),
            real_arrears_before: Pence(30_000),
            tenure: Tenure::Secure,
            patch: Some("HD-NORTH".into()),
            officer_id: Some(7),
            uc_claim_start: Some(day(1)),
            hb_ended: false,
            payment_method: PaymentMethod::UniversalCredit,
            arrangement: ArrangementState::None,
            stage: Stage::FirstLetter,
            last_contact: Some(day(2)),
            has_mobile: true,
            has_email: false,
            has_push: false,
        }
    }

    fn seg(v: Value) -> Segment {
        Segment::parse(&v).unwrap()
    }

    fn fields(v: Value) -> Vec<String> {
        let mut f: Vec<String> = Segment::parse(&v)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        f.sort();
        f
    }

    #[test]
    fn an_empty_segment_matches_everyone() {
        assert!(seg(json!({})).matches(&facts(), day(29)));
    }

    #[test]
    fn every_criterion_filters() {
        let f = facts();
        let today = day(29);
        let yes = [
            json!({"arrears_min_pence": 45_000, "arrears_max_pence": 45_000}),
            json!({"arrears_weeks_min": 4.5, "arrears_weeks_max": 4.6}),
            json!({"arrears_trend": "rising"}),
            json!({"tenures": ["secure", "assured"]}),
            json!({"patches": ["HD-NORTH"]}),
            json!({"officer_ids": [7]}),
            json!({"uc_claim_within_days": 28}),
            json!({"hb_ended": false}),
            json!({"payment_methods": ["universal_credit"]}),
            json!({"exclude_payment_methods": ["direct_debit"]}),
            json!({"arrangement": "none"}),
            json!({"stages": ["first_letter"]}),
            json!({"days_since_last_contact_min": 27, "days_since_last_contact_max": 27}),
            json!({"has_mobile": true, "has_email": false, "has_push": false}),
        ];
        for s in yes {
            assert!(seg(s.clone()).matches(&f, today), "{s}");
        }
        let no = [
            json!({"arrears_min_pence": 45_001}),
            json!({"arrears_max_pence": 44_999}),
            json!({"arrears_weeks_min": 4.58}),
            json!({"arrears_trend": "falling"}),
            json!({"tenures": ["assured"]}),
            json!({"patches": ["HD-EAST"]}),
            json!({"officer_ids": [8]}),
            json!({"uc_claim_within_days": 27}),
            json!({"hb_ended": true}),
            json!({"payment_methods": ["direct_debit"]}),
            json!({"exclude_payment_methods": ["universal_credit"]}),
            json!({"arrangement": "active"}),
            json!({"stages": ["notice_served"]}),
            json!({"days_since_last_contact_min": 28}),
            json!({"has_email": true}),
        ];
        for s in no {
            assert!(!seg(s.clone()).matches(&f, today), "{s}");
        }
    }

    #[test]
    fn never_contacted_counts_as_long_ago() {
        let mut f = facts();
        f.last_contact = None;
        assert!(seg(json!({"days_since_last_contact_min": 3000})).matches(&f, day(29)));
        assert!(!seg(json!({"days_since_last_contact_max": 30})).matches(&f, day(29)));
    }

    #[test]
    fn the_trend_ignores_small_moves() {
        assert_eq!(Trend::of(Pence(10_100), Pence(10_000)), Trend::Steady);
        assert_eq!(Trend::of(Pence(10_101), Pence(10_000)), Trend::Rising);
        assert_eq!(Trend::of(Pence(9_899), Pence(10_000)), Trend::Falling);
    }

    #[test]
    fn unknown_fields_bad_values_and_impossible_ranges_are_all_named() {
        assert_eq!(
            fields(json!({
                "arrears_over": 5,
                "arrears_min_pence": 500,
                "arrears_max_pence": 100,
                "arrears_weeks_min": 8,
                "arrears_weeks_max": 2,
                "tenures": ["secure", "castle"],
                "arrears_trend": "sideways",
                "payment_methods": [],
                "has_push": "yes",
                "uc_claim_within_days": -3,
            })),
            vec![
                "segment.arrears_max_pence",
                "segment.arrears_over",
                "segment.arrears_trend",
                "segment.arrears_weeks_max",
                "segment.has_push",
                "segment.payment_methods",
                "segment.tenures[1]",
                "segment.uc_claim_within_days",
            ]
        );
        assert_eq!(fields(json!([1])), vec!["segment"]);
        assert_eq!(
            fields(json!({"payment_methods": ["card"], "exclude_payment_methods": ["card"]})),
            vec!["segment.exclude_payment_methods"]
        );
        assert_eq!(
            fields(json!({"arrears_min_pence": -1, "uc_claim_within_days": 0})),
            vec!["segment.arrears_min_pence", "segment.uc_claim_within_days"]
        );
    }

    #[test]
    fn a_segment_round_trips_through_its_json() {
        let v = json!({"arrears_weeks_min": 2.5, "tenures": ["secure"], "has_mobile": true});
        let s = seg(v.clone());
        assert_eq!(s.to_json(), v);
        assert_eq!(Segment::parse(&s.to_json()).unwrap(), s);
        let stored: Segment = serde_json::from_value(serde_json::to_value(&s).unwrap()).unwrap();
        assert_eq!(stored, s);
    }
}
