//! What the court ordered (docs/possession.md#court-orders-and-warrants): the kind of order, its
//! terms, the hearing, and when a warrant on it needs the court's permission (CPR 83.2(3)(a)).

use crate::Pence;
use crate::possession::types::Ground;
use crate::tenancy::Frequency;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

fn fmt_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    Outright,
    Suspended,
    Postponed,
    /// Adjourned on terms.
    Adjourned,
    Dismissed,
}

impl OrderKind {
    pub const ALL: &'static [OrderKind] = &[
        OrderKind::Outright,
        OrderKind::Suspended,
        OrderKind::Postponed,
        OrderKind::Adjourned,
        OrderKind::Dismissed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderKind::Outright => "outright",
            OrderKind::Suspended => "suspended",
            OrderKind::Postponed => "postponed",
            OrderKind::Adjourned => "adjourned",
            OrderKind::Dismissed => "dismissed",
        }
    }

    pub fn parse(s: &str) -> Option<OrderKind> {
        OrderKind::ALL.iter().copied().find(|k| k.as_str() == s)
    }

    /// Suspended, postponed and adjourned-on-terms orders are kept by keeping to terms.
    pub fn has_terms(self) -> bool {
        matches!(
            self,
            OrderKind::Suspended | OrderKind::Postponed | OrderKind::Adjourned
        )
    }
}

/// The terms of an order: the current rent plus `towards_arrears` every `frequency`, from
/// `from` (the first payment date).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderTerms {
    pub towards_arrears: Pence,
    pub frequency: Frequency,
    pub from: NaiveDate,
}

/// An order as recorded by the officer (kept as the order step's facts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourtOrder {
    pub kind: OrderKind,
    /// Outright and suspended: the date for possession. Postponed: none until the court fixes
    /// one on the landlord's application after a breach (record the order again with it).
    pub possession_date: Option<NaiveDate>,
    pub terms: Option<OrderTerms>,
    /// The ground(s) possession was ordered on (`court::order_grounds`); none for an adjourned
    /// or dismissed claim, an introductory tenancy, or an order stored before grounds were kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grounds: Vec<Ground>,
    /// The day the court made the order (orders stored before it was kept: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordered_on: Option<NaiveDate>,
}

/// A hearing as recorded (kept as the hearing step's facts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hearing {
    pub hearing_on: NaiveDate,
    /// Its time, when the officer knows it (for the hearing letter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<chrono::NaiveTime>,
}

/// CPR 83.2(3)(a): a warrant of possession "must not be issued without the permission of the
/// court where six years or more have elapsed since the date of the judgment or order". The
/// first day permission is needed: the sixth anniversary of the order (a 29 February order:
/// 28 February). Read conservatively: on the anniversary itself six years have elapsed, so
/// permission is asked for from that day (asking when it may not yet be needed costs an
/// application; issuing without it when it is needed makes the warrant irregular).
pub const WARRANT_PERMISSION_AFTER_MONTHS: u32 = 72;

/// The first day a warrant on an order made on `ordered_on` needs the court's permission
/// (CPR 83.2(3)(a)); see [`WARRANT_PERMISSION_AFTER_MONTHS`].
pub fn warrant_permission_from(ordered_on: NaiveDate) -> NaiveDate {
    ordered_on
        .checked_add_months(chrono::Months::new(WARRANT_PERMISSION_AFTER_MONTHS))
        .unwrap_or(NaiveDate::MAX)
}

/// Why a warrant needs the court's permission today (CPR 83.2(3)(a)), or `None` when it does
/// not: the order is less than six years old, or its date is not recorded (orders stored before
/// `ordered_on` was kept are not checked), or `permission_on` (the day the court gave
/// permission, recorded with the warrant) is on or after the day it became needed.
pub fn warrant_permission_needed(
    order: &CourtOrder,
    permission_on: Option<NaiveDate>,
    today: NaiveDate,
) -> Option<String> {
    let ordered_on = order.ordered_on?;
    let from = warrant_permission_from(ordered_on);
    if today < from || permission_on.is_some_and(|p| p >= ordered_on) {
        return None;
    }
    Some(format!(
        "the possession order was made on {}: six years or more have passed since it (from {}), \
         so a warrant needs the court's permission first (CPR 83.2(3)(a); apply under Part 23 \
         giving the reasons for the delay); record the warrant with the date permission was \
         given (`permission_granted_on`)",
        fmt_date(ordered_on),
        fmt_date(from)
    ))
}
