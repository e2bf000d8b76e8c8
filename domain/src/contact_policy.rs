//! May the software contact this tenant now, by this channel? One pure function that every
//! automated message goes through (issue 4): send, defer until a given instant, or suppress with
//! a recorded reason.
//!
//! Order of checks: the account (closed, deceased, evicted), Breathing Space (domain.md §5), the
//! vulnerability "no automated contact" switch and channel opt-outs (§6), a usable contact detail,
//! then *when*: the rolling cap on automated contacts and the reasonable-hours window (§6:
//! 08:00–21:00 Europe/London, not Sundays or bank holidays, all configurable).

use crate::calendar::is_bank_holiday;
use crate::tenancy::{UnknownValue, named_enum};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Europe::London;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Sms,
    Email,
    Push,
}

named_enum!(Channel {
    Sms => "sms",
    Email => "email",
    Push => "push",
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressReason {
    AccountClosed,
    BreathingSpace,
    NoAutomatedContact,
    ChannelOptedOut,
    NoContactDetail,
    ContactDetailInvalid,
}

named_enum!(SuppressReason {
    AccountClosed => "account_closed",
    BreathingSpace => "breathing_space",
    NoAutomatedContact => "no_automated_contact",
    ChannelOptedOut => "channel_opted_out",
    NoContactDetail => "no_contact_detail",
    ContactDetailInvalid => "contact_detail_invalid",
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decision {
    Send,
    /// Not now: the first instant it may go (quiet hours, or the weekly cap).
    DeferUntil(DateTime<Utc>),
    Suppress(SuppressReason),
}

/// Settings (domain.md §6 defaults; a convention, not a statutory figure).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactPolicy {
    pub window_start: NaiveTime,
    pub window_end: NaiveTime,
    pub allow_sundays: bool,
    pub allow_bank_holidays: bool,
    pub max_automated_per_7_days: u32,
}

impl Default for ContactPolicy {
    fn default() -> ContactPolicy {
        ContactPolicy {
            window_start: NaiveTime::from_hms_opt(8, 0, 0).expect("08:00"),
            window_end: NaiveTime::from_hms_opt(21, 0, 0).expect("21:00"),
            allow_sundays: false,
            allow_bank_holidays: false,
            max_automated_per_7_days: 3,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountState {
    Active,
    /// Ended, debt remains: contact continues under the debt pre-action protocol.
    Former,
    Closed,
    Deceased,
    Evicted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreathingSpace {
    /// Standard (up to 60 days) or mental-health crisis (treatment + 30 days; end often unknown).
    pub mental_health_crisis: bool,
    pub starts: NaiveDate,
    /// Last day, inclusive; `None` while it lasts with no known end.
    pub ends: Option<NaiveDate>,
}

impl BreathingSpace {
    pub fn covers(&self, date: NaiveDate) -> bool {
        date >= self.starts && self.ends.is_none_or(|end| date <= end)
    }
}

/// The channel's contact detail as far as we know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub present: bool,
    /// A provider said it does not work (bounced, invalid number, unregistered token).
    pub invalid: bool,
    /// The tenant has this channel switched on.
    pub opted_in: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactFacts {
    pub account: AccountState,
    pub breathing_space: Vec<BreathingSpace>,
    /// Vulnerability flag set by an officer: no automated contact at all.
    pub no_automated_contact: bool,
    pub sms: Address,
    pub email: Address,
    pub push: Address,
    /// When automated debt contacts were sent recently, across all rules and campaigns.
    pub recent_automated_contacts: Vec<DateTime<Utc>>,
}

impl ContactFacts {
    pub fn address(&self, channel: Channel) -> Address {
        match channel {
            Channel::Sms => self.sms,
            Channel::Email => self.email,
            Channel::Push => self.push,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageFacts {
    pub channel: Channel,
    /// About the arrears (a demand, a step towards proceedings) rather than a plain reminder
    /// that this week's rent is due.
    pub about_debt: bool,
    /// Sent by a rule or campaign, not typed by an officer.
    pub automated: bool,
}

pub fn decide(
    policy: &ContactPolicy,
    contact: &ContactFacts,
    message: &MessageFacts,
    now: DateTime<Utc>,
) -> Decision {
    use SuppressReason::*;
    if matches!(
        contact.account,
        AccountState::Closed | AccountState::Deceased | AccountState::Evicted
    ) {
        return Decision::Suppress(AccountClosed);
    }
    // domain.md §5: no contact demanding payment of the included debt while Breathing Space
    // lasts; a plain reminder that current rent is due is allowed (ongoing rent stays payable).
    let today = now.with_timezone(&London).date_naive();
    if message.about_debt && contact.breathing_space.iter().any(|b| b.covers(today)) {
        return Decision::Suppress(BreathingSpace);
    }
    // domain.md §6: honour "no automated contact" on a vulnerable tenant's record.
    if message.automated && contact.no_automated_contact {
        return Decision::Suppress(NoAutomatedContact);
    }
    let address = contact.address(message.channel);
    if !address.opted_in {
        return Decision::Suppress(ChannelOptedOut);
    }
    if !address.present {
        return Decision::Suppress(NoContactDetail);
    }
    if address.invalid {
        return Decision::Suppress(ContactDetailInvalid);
    }
    let mut at = now;
    if message.automated && message.about_debt {
        at = after_cap(policy, &contact.recent_automated_contacts, now);
    }
    let at = next_allowed(policy, at);
    if at == now {
        Decision::Send
    } else {
        Decision::DeferUntil(at)
    }
}

/// The first instant from `at` on when fewer than the cap of automated contacts fall in the
/// rolling 7 days before it.
fn after_cap(policy: &ContactPolicy, recent: &[DateTime<Utc>], at: DateTime<Utc>) -> DateTime<Utc> {
    let cap = policy.max_automated_per_7_days as usize;
    let mut window: Vec<DateTime<Utc>> = recent
        .iter()
        .copied()
        .filter(|t| *t > at - Duration::days(7) && *t <= at)
        .collect();
    if window.len() < cap {
        return at;
    }
    window.sort();
    // Once the oldest (len − cap + 1) have left the window, there is room for one more.
    window[window.len() - cap] + Duration::days(7)
}

fn allowed_day(policy: &ContactPolicy, date: NaiveDate) -> bool {
    (policy.allow_sundays || date.weekday() != Weekday::Sun)
        && (policy.allow_bank_holidays || !is_bank_holiday(date))
}

/// London local time → UTC; a time skipped by the clocks going forward moves on an hour.
fn london(date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let local = date.and_time(time);
    London
        .from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            London
                .from_local_datetime(&(local + Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&local))
}

/// `at` itself if it is inside the window on an allowed day, else the next window start.
pub fn next_allowed(policy: &ContactPolicy, at: DateTime<Utc>) -> DateTime<Utc> {
    let local = at.with_timezone(&London);
    let (date, time) = (local.date_naive(), local.time());
    if allowed_day(policy, date) && time >= policy.window_start && time < policy.window_end {
        return at;
    }
    let mut day = if time < policy.window_start {
        date
    } else {
        date + Duration::days(1)
    };
    while !allowed_day(policy, day) {
        day += Duration::days(1);
    }
    london(day, policy.window_start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    fn ok() -> Address {
        Address {
            present: true,
            invalid: false,
            opted_in: true,
        }
    }

    fn tenant() -> ContactFacts {
        ContactFacts {
            account: AccountState::Active,
            breathing_space: vec![],
            no_automated_contact: false,
            sms: ok(),
            email: ok(),
            push: ok(),
            recent_automated_contacts: vec![],
        }
    }

    const SMS_DEBT: MessageFacts = MessageFacts {
        channel: Channel::Sms,
        about_debt: true,
        automated: true,
    };

    fn decide_now(contact: &ContactFacts, message: &MessageFacts, now: DateTime<Utc>) -> Decision {
        decide(&ContactPolicy::default(), contact, message, now)
    }

    #[test]
    fn a_missed_payment_found_at_23_00_goes_out_at_08_00_next_morning() {
        // Wednesday 25 Nov 2026, 23:00 GMT → Thursday 08:00.
        assert_eq!(
            decide_now(&tenant(), &SMS_DEBT, at(2026, 11, 25, 23, 0)),
            Decision::DeferUntil(at(2026, 11, 26, 8, 0))
        );
        assert_eq!(
            decide_now(&tenant(), &SMS_DEBT, at(2026, 11, 26, 8, 0)),
            Decision::Send
        );
        assert_eq!(
            decide_now(&tenant(), &SMS_DEBT, at(2026, 11, 26, 20, 59)),
            Decision::Send
        );
        assert_eq!(
            decide_now(&tenant(), &SMS_DEBT, at(2026, 11, 26, 21, 0)),
            Decision::DeferUntil(at(2026, 11, 27, 8, 0))
        );
        assert_eq!(
            decide_now(&tenant(), &SMS_DEBT, at(2026, 11, 26, 6, 30)),
            Decision::DeferUntil(at(2026, 11, 26, 8, 0))
        );
    }

    #[test]
    fn london_summer_time_is_respected() {
        // 07:30 UTC in July is 08:30 BST: inside the window.
        assert_eq!(
            decide_now(&tenant(), &SMS_DEBT, at(2026, 7, 1, 7, 30)),
            Decision::Send
        );
        // 06:30 UTC is 07:30 BST: wait until 08:00 BST = 07:00 UTC.
        assert_eq!(
            decide_now(&tenant(), &SMS_DEBT, at(2026, 7, 1, 6, 30)),
            Decision::DeferUntil(at(2026, 7, 1, 7, 0))
        );
    }

    #[test]
    fn nothing_goes_on_sundays_and_the_clocks_going_back_is_handled() {
        // Saturday 24 Oct 2026 23:00 BST (22:00 UTC); clocks go back on Sunday 25th;
        // Monday 26th 08:00 is GMT.
        assert_eq!(
            decide_now(&tenant(), &SMS_DEBT, at(2026, 10, 24, 22, 0)),
            Decision::DeferUntil(at(2026, 10, 26, 8, 0))
        );
        assert_eq!(
            decide_now(&tenant(), &SMS_DEBT, at(2026, 11, 29, 12, 0)),
            Decision::DeferUntil(at(2026, 11, 30, 8, 0))
        );
    }

    #[test]
    fn christmas_2026_skips_the_bank_holidays_and_sunday() {
        // Friday 25 Dec is a bank holiday; Saturday 26th is an ordinary Saturday (Boxing Day's
        // holiday moves to Monday 28th).
        assert_eq!(
            decide_now(&tenant(), &SMS_DEBT, at(2026, 12, 25, 10, 0)),
            Decision::DeferUntil(at(2026, 12, 26, 8, 0))
        );
        // From Saturday evening: Sunday 27th and the substitute Monday 28th are skipped.
        assert_eq!(
            decide_now(&tenant(), &SMS_DEBT, at(2026, 12, 26, 21, 30)),
            Decision::DeferUntil(at(2026, 12, 29, 8, 0))
        );
        let relaxed = ContactPolicy {
            allow_bank_holidays: true,
            allow_sundays: true,
            ..ContactPolicy::default()
        };
        assert_eq!(
            decide(&relaxed, &tenant(), &SMS_DEBT, at(2026, 12, 25, 10, 0)),
            Decision::Send
        );
    }

    #[test]
    fn breathing_space_suppresses_debt_messages_but_not_a_rent_reminder() {
        let mut t = tenant();
        t.breathing_space.push(BreathingSpace {
            mental_health_crisis: false,
            starts: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            ends: Some(NaiveDate::from_ymd_opt(2026, 12, 30).unwrap()),
        });
        let noon = at(2026, 11, 26, 12, 0);
        assert_eq!(
            decide_now(&t, &SMS_DEBT, noon),
            Decision::Suppress(SuppressReason::BreathingSpace)
        );
        let reminder = MessageFacts {
            about_debt: false,
            ..SMS_DEBT
        };
        assert_eq!(decide_now(&t, &reminder, noon), Decision::Send);
        // After it ends, debt contact resumes.
        assert_eq!(
            decide_now(&t, &SMS_DEBT, at(2027, 1, 4, 12, 0)),
            Decision::Send
        );
    }

    #[test]
    fn a_mental_health_crisis_breathing_space_without_an_end_suppresses() {
        let mut t = tenant();
        t.breathing_space.push(BreathingSpace {
            mental_health_crisis: true,
            starts: NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(),
            ends: None,
        });
        assert_eq!(
            decide_now(&t, &SMS_DEBT, at(2026, 11, 26, 12, 0)),
            Decision::Suppress(SuppressReason::BreathingSpace)
        );
    }

    #[test]
    fn flags_opt_outs_and_bad_details_suppress_with_their_reason() {
        let noon = at(2026, 11, 26, 12, 0);
        let mut t = tenant();
        t.no_automated_contact = true;
        assert_eq!(
            decide_now(&t, &SMS_DEBT, noon),
            Decision::Suppress(SuppressReason::NoAutomatedContact)
        );
        let by_officer = MessageFacts {
            automated: false,
            ..SMS_DEBT
        };
        assert_eq!(decide_now(&t, &by_officer, noon), Decision::Send);
        let mut t = tenant();
        t.sms.opted_in = false;
        assert_eq!(
            decide_now(&t, &SMS_DEBT, noon),
            Decision::Suppress(SuppressReason::ChannelOptedOut)
        );
        let mut t = tenant();
        t.sms.invalid = true;
        assert_eq!(
            decide_now(&t, &SMS_DEBT, noon),
            Decision::Suppress(SuppressReason::ContactDetailInvalid)
        );
        let mut t = tenant();
        t.email.present = false;
        let email = MessageFacts {
            channel: Channel::Email,
            ..SMS_DEBT
        };
        assert_eq!(
            decide_now(&t, &email, noon),
            Decision::Suppress(SuppressReason::NoContactDetail)
        );
        let mut t = tenant();
        t.account = AccountState::Closed;
        assert_eq!(
            decide_now(&t, &SMS_DEBT, noon),
            Decision::Suppress(SuppressReason::AccountClosed)
        );
    }

    #[test]
    fn the_fourth_automated_contact_in_seven_days_waits_for_the_oldest_to_leave_the_window() {
        let mut t = tenant();
        t.recent_automated_contacts = vec![
            at(2026, 11, 20, 10, 15),
            at(2026, 11, 23, 9, 0),
            at(2026, 11, 25, 9, 0),
        ];
        // Room again at 10:15 on Fri 27 Nov, inside the window.
        assert_eq!(
            decide_now(&t, &SMS_DEBT, at(2026, 11, 26, 12, 0)),
            Decision::DeferUntil(at(2026, 11, 27, 10, 15))
        );
        // A plain reminder does not count against the debt-contact cap.
        let reminder = MessageFacts {
            about_debt: false,
            ..SMS_DEBT
        };
        assert_eq!(
            decide_now(&t, &reminder, at(2026, 11, 26, 12, 0)),
            Decision::Send
        );
        // When the room comes at night, it waits for the morning too.
        t.recent_automated_contacts[0] = at(2026, 11, 20, 22, 30);
        assert_eq!(
            decide_now(&t, &SMS_DEBT, at(2026, 11, 26, 12, 0)),
            Decision::DeferUntil(at(2026, 11, 28, 8, 0))
        );
    }
}
