//! May the software contact this tenant now, by this channel? One pure function that every
//! outbound message goes through (issue 4): send, defer until a given instant, or suppress with
//! a recorded reason.
//!
//! Order of checks: the account (closed, deceased, evicted), Breathing Space (docs/breathing-space.md#no-enforcement-step-a-claim-already-made-may-reach-an-order), the
//! vulnerability "no automated contact" switch and channel opt-outs (docs/contact.md#vulnerability-and-no-automated-contact), a usable contact detail,
//! then *when*: the rolling cap on automated contacts and the reasonable-hours window (docs/contact.md#reasonable-hours:
//! 08:00–21:00 Europe/London, not Sundays or bank holidays, all configurable).
//!
//! No IO and no clock: `now` is an argument, and the contact history is passed in.

use crate::calendar::is_bank_holiday;
use crate::time::london_date;
use crate::vocabulary::named_enum;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Europe::London;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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

/// The order channels are tried in for one tenant: their preferred channel first (docs/contact.md#how-the-tenant-asked-to-be-contacted:
/// honour reasonable requests about how), then SMS, email, push.
pub fn channel_order(preferred: Option<Channel>) -> Vec<Channel> {
    let mut order = vec![Channel::Sms, Channel::Email, Channel::Push];
    if let Some(p) = preferred {
        order.retain(|c| *c != p);
        order.insert(0, p);
    }
    order
}

/// Why a message will never go. The ids are stored with the suppressed message: never rename.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressReason {
    AccountClosed,
    BreathingSpace,
    NoAutomatedContact,
    ChannelOptedOut,
    NoContactDetail,
    ContactDetailInvalid,
    /// Only when the cap is configured as 0: there will never be room. A full cap otherwise
    /// defers.
    WeeklyCapReached,
}

named_enum!(SuppressReason {
    AccountClosed => "account_closed",
    BreathingSpace => "breathing_space",
    NoAutomatedContact => "no_automated_contact",
    ChannelOptedOut => "channel_opted_out",
    NoContactDetail => "no_contact_detail",
    ContactDetailInvalid => "contact_detail_invalid",
    WeeklyCapReached => "weekly_cap_reached",
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decision {
    Send,
    /// Not now: the first instant it may go (quiet hours, or the weekly cap). The caller
    /// re-runs `decide` at that instant, since the facts may have changed by then.
    DeferUntil(DateTime<Utc>),
    Suppress(SuppressReason),
}

/// Settings (docs/contact.md defaults; a convention, not a statutory figure).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactPolicy {
    /// London local time, inclusive.
    pub window_start: NaiveTime,
    /// London local time, exclusive: 21:00 itself is too late.
    pub window_end: NaiveTime,
    pub allow_sundays: bool,
    /// England & Wales bank holidays.
    pub allow_bank_holidays: bool,
    /// Automated contacts in any rolling 7 days; 0 switches automated contact off.
    pub max_automated_per_7_days: u32,
    /// Who the messages say they are from ("Kirklees Homes").
    pub landlord_name: String,
    /// Where messages send the tenant: the app (or its download page).
    pub app_link: String,
}

impl Default for ContactPolicy {
    fn default() -> ContactPolicy {
        ContactPolicy {
            window_start: NaiveTime::from_hms_opt(8, 0, 0).expect("08:00"),
            window_end: NaiveTime::from_hms_opt(21, 0, 0).expect("21:00"),
            allow_sundays: false,
            allow_bank_holidays: false,
            max_automated_per_7_days: 3,
            landlord_name: "your landlord".into(),
            app_link: "https://rentdesk.example/app".into(),
        }
    }
}

impl ContactPolicy {
    /// Any time of any day, no cap: for load tests and benchmarks that must not depend on the
    /// hour they run at. Never a production setting.
    pub fn any_time() -> ContactPolicy {
        ContactPolicy {
            window_start: NaiveTime::MIN,
            window_end: NaiveTime::from_hms_nano_opt(23, 59, 59, 999_999_999)
                .expect("23:59:59.999"),
            allow_sundays: true,
            allow_bank_holidays: true,
            max_automated_per_7_days: u32::MAX,
            ..ContactPolicy::default()
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
    /// A mobile number, email address or push token is on file.
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
    /// Automated contacts across all rules and campaigns: sent ones, and queued ones at the
    /// instant they are due to go (which may be after `now`). Older than 7 days is ignored.
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
    /// that current rent is due. When unsure, the caller says `true` (docs/breathing-space.md).
    pub about_debt: bool,
    /// Sent by a rule or campaign, not typed by an officer.
    pub automated: bool,
}

/// Templates of messages the person asked for themselves, just now (a sign-in code). They are
/// transactional, not contact about the debt: see [`decide_requested`].
pub const REQUESTED_TEMPLATES: &[&str] = &[SIGN_IN_CODE_TEMPLATE];
/// The sign-in code text message (tenant app sign-in).
pub const SIGN_IN_CODE_TEMPLATE: &str = "sign_in_code";

/// Whether a message of this template is one the person asked for (see [`decide_requested`]).
pub fn is_requested(template: &str) -> bool {
    REQUESTED_TEMPLATES.contains(&template)
}

/// The decision for a message the person asked for just now (a sign-in code that expires in
/// minutes). Quiet hours, Sundays, bank holidays, the weekly cap and throttles protect people
/// from contact they did not ask for (docs/contact.md); applying them here would only stop a
/// tenant signing in at night. Opting out of a channel is an opt-out of reminders, not of the
/// codes the tenant requests on it. Only a missing or known-invalid address stops it.
/// `address` is the requesting person's own (not the lead tenant's); `None` = nobody on file.
pub fn decide_requested(address: Option<Address>) -> Decision {
    let Some(address) = address else {
        return Decision::Suppress(SuppressReason::NoContactDetail);
    };
    if !address.present {
        return Decision::Suppress(SuppressReason::NoContactDetail);
    }
    if address.invalid {
        return Decision::Suppress(SuppressReason::ContactDetailInvalid);
    }
    Decision::Send
}

/// Send now, defer until the first instant allowed, or suppress for good with a reason.
pub fn decide(
    policy: &ContactPolicy,
    contact: &ContactFacts,
    message: &MessageFacts,
    now: DateTime<Utc>,
) -> Decision {
    use SuppressReason::*;
    // Nobody to write to about this account any more; anything still owed is officer work.
    if matches!(
        contact.account,
        AccountState::Closed | AccountState::Deceased | AccountState::Evicted
    ) {
        return Decision::Suppress(AccountClosed);
    }
    // docs/breathing-space.md#no-contact-about-the-debt: no contact demanding payment of the included debt while Breathing Space
    // lasts (judged on the London date); a plain reminder that current rent is due is allowed
    // because ongoing rent stays payable. An open-ended mental-health crisis covers every day
    // from its start.
    let today = london_date(now);
    if message.about_debt && contact.breathing_space.iter().any(|b| b.covers(today)) {
        return Decision::Suppress(BreathingSpace);
    }
    // docs/contact.md#vulnerability-and-no-automated-contact (vulnerability): honour "no automated contact"; an officer may still write.
    if message.automated && contact.no_automated_contact {
        return Decision::Suppress(NoAutomatedContact);
    }
    // docs/contact.md#how-the-tenant-asked-to-be-contacted: honour reasonable requests about how we contact the tenant.
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
    // docs/contact.md#at-most-3-automated-contacts-in-any-7-days: no contact at unreasonable intervals (the rolling cap on automated contacts,
    // whatever they are about) or at unreasonable times (the window). Each step moves to the
    // earliest instant satisfying one rule, so alternating them until neither moves finds the
    // earliest instant satisfying both.
    let cap = policy.max_automated_per_7_days as usize;
    if message.automated && cap == 0 {
        return Decision::Suppress(WeeklyCapReached);
    }
    let mut at = now;
    loop {
        let mut next = next_allowed(policy, at);
        if message.automated {
            next = first_with_room(cap, &contact.recent_automated_contacts, next);
        }
        if next == at {
            break;
        }
        at = next;
    }
    if at == now {
        Decision::Send
    } else {
        Decision::DeferUntil(at)
    }
}

/// Contacts in the rolling 7 days ending at `end`: (end − 7 days, end].
fn in_week_ending(contacts: &[DateTime<Utc>], end: DateTime<Utc>) -> usize {
    let start = end - Duration::days(7);
    contacts
        .iter()
        .filter(|t| **t > start && **t <= end)
        .count()
}

/// Whether one more contact at `at` keeps every rolling 7 days that contains it under the cap.
/// Usually that is just the week ending at `at`; a contact already queued after `at` closes a
/// later week that also contains `at`, and those are checked too.
fn has_room(cap: usize, contacts: &[DateTime<Utc>], at: DateTime<Utc>) -> bool {
    std::iter::once(at)
        .chain(
            contacts
                .iter()
                .copied()
                .filter(|t| *t > at && *t < at + Duration::days(7)),
        )
        .all(|end| in_week_ending(contacts, end) < cap)
}

/// The first instant from `at` on with room under the cap (`cap` ≥ 1). Room only ever opens
/// when a contact leaves the window, 7 days after it, so those are the candidates.
fn first_with_room(cap: usize, contacts: &[DateTime<Utc>], at: DateTime<Utc>) -> DateTime<Utc> {
    if has_room(cap, contacts, at) {
        return at;
    }
    let mut candidates: Vec<DateTime<Utc>> = contacts
        .iter()
        .map(|t| *t + Duration::days(7))
        .filter(|t| *t > at)
        .collect();
    candidates.sort();
    candidates
        .into_iter()
        .find(|t| has_room(cap, contacts, *t))
        // Unreachable: 7 days after the latest contact the window is empty.
        .unwrap_or(at)
}

fn allowed_day(policy: &ContactPolicy, date: NaiveDate) -> bool {
    (policy.allow_sundays || date.weekday() != Weekday::Sun)
        && (policy.allow_bank_holidays || !is_bank_holiday(date))
}

/// London local time → UTC; a time skipped by the clocks going forward moves on an hour, and a
/// time repeated when they go back is its first occurrence.
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

/// `at` itself if it is inside the window on an allowed London day, else the next window start.
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
    use std::str::FromStr;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
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

    const SMS_RENT_DUE: MessageFacts = MessageFacts {
        channel: Channel::Sms,
        about_debt: false,
        automated: true,
    };

    /// Thursday 26 Nov 2026, 12:00 GMT: an ordinary weekday inside the window.
    fn thursday_noon() -> DateTime<Utc> {
        at(2026, 11, 26, 12, 0)
    }

    fn decide_now(contact: &ContactFacts, message: &MessageFacts, now: DateTime<Utc>) -> Decision {
        decide(&ContactPolicy::default(), contact, message, now)
    }

    fn standard_breathing_space() -> BreathingSpace {
        BreathingSpace {
            mental_health_crisis: false,
            starts: date(2026, 11, 1),
            ends: Some(date(2026, 12, 30)),
        }
    }

    #[test]
    fn a_missed_payment_sms_found_at_23_00_goes_out_at_08_00_next_morning() {
        // Wednesday 25 Nov 2026, 23:00 GMT → Thursday 08:00.
        assert_eq!(
            decide_now(&tenant(), &SMS_DEBT, at(2026, 11, 25, 23, 0)),
            Decision::DeferUntil(at(2026, 11, 26, 8, 0))
        );
    }

    #[test]
    fn the_window_opens_at_08_00_and_closes_at_21_00() {
        let t = tenant();
        assert_eq!(
            decide_now(&t, &SMS_DEBT, at(2026, 11, 26, 6, 30)),
            Decision::DeferUntil(at(2026, 11, 26, 8, 0))
        );
        assert_eq!(
            decide_now(&t, &SMS_DEBT, at(2026, 11, 26, 7, 59)),
            Decision::DeferUntil(at(2026, 11, 26, 8, 0))
        );
        assert_eq!(
            decide_now(&t, &SMS_DEBT, at(2026, 11, 26, 8, 0)),
            Decision::Send
        );
        assert_eq!(
            decide_now(&t, &SMS_DEBT, at(2026, 11, 26, 20, 59)),
            Decision::Send
        );
        assert_eq!(
            decide_now(&t, &SMS_DEBT, at(2026, 11, 26, 21, 0)),
            Decision::DeferUntil(at(2026, 11, 27, 8, 0))
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
        // 20:30 UTC is 21:30 BST: too late already.
        assert_eq!(
            decide_now(&tenant(), &SMS_DEBT, at(2026, 7, 1, 20, 30)),
            Decision::DeferUntil(at(2026, 7, 2, 7, 0))
        );
    }

    #[test]
    fn a_sunday_message_waits_until_monday_08_00() {
        // Sunday 29 Nov 2026, noon.
        assert_eq!(
            decide_now(&tenant(), &SMS_DEBT, at(2026, 11, 29, 12, 0)),
            Decision::DeferUntil(at(2026, 11, 30, 8, 0))
        );
        let sundays_allowed = ContactPolicy {
            allow_sundays: true,
            ..ContactPolicy::default()
        };
        assert_eq!(
            decide(
                &sundays_allowed,
                &tenant(),
                &SMS_DEBT,
                at(2026, 11, 29, 12, 0)
            ),
            Decision::Send
        );
    }

    #[test]
    fn saturday_night_before_the_clocks_go_back_waits_until_monday_08_00_gmt() {
        // Saturday 24 Oct 2026 23:00 BST is 22:00 UTC; the clocks go back on Sunday 25th, so
        // Monday 26th 08:00 London is 08:00 UTC.
        assert_eq!(
            decide_now(&tenant(), &SMS_DEBT, at(2026, 10, 24, 22, 0)),
            Decision::DeferUntil(at(2026, 10, 26, 8, 0))
        );
    }

    #[test]
    fn saturday_night_before_the_clocks_go_forward_waits_until_monday_08_00_bst() {
        // Saturday 28 Mar 2026 23:00 GMT; clocks go forward on Sunday 29th; Monday 30th 08:00
        // BST is 07:00 UTC.
        assert_eq!(
            decide_now(&tenant(), &SMS_DEBT, at(2026, 3, 28, 23, 0)),
            Decision::DeferUntil(at(2026, 3, 30, 7, 0))
        );
    }

    #[test]
    fn a_bank_holiday_monday_waits_until_tuesday() {
        // Late summer bank holiday, Monday 31 Aug 2026, 10:00 BST.
        assert_eq!(
            decide_now(&tenant(), &SMS_DEBT, at(2026, 8, 31, 9, 0)),
            Decision::DeferUntil(at(2026, 9, 1, 7, 0))
        );
    }

    #[test]
    fn christmas_2026_skips_the_bank_holidays_and_the_sunday_but_not_the_saturday() {
        // Friday 25 Dec is a bank holiday. Saturday 26th is an ordinary Saturday (Boxing Day's
        // holiday moves to Monday 28th), and Saturdays are allowed, so it goes then.
        assert_eq!(
            decide_now(&tenant(), &SMS_DEBT, at(2026, 12, 25, 10, 0)),
            Decision::DeferUntil(at(2026, 12, 26, 8, 0))
        );
        assert_eq!(
            decide_now(&tenant(), &SMS_DEBT, at(2026, 12, 25, 21, 30)),
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
    fn breathing_space_suppresses_a_debt_message_but_not_a_rent_due_reminder() {
        let mut t = tenant();
        t.breathing_space.push(standard_breathing_space());
        assert_eq!(
            decide_now(&t, &SMS_DEBT, thursday_noon()),
            Decision::Suppress(SuppressReason::BreathingSpace)
        );
        assert_eq!(
            decide_now(&t, &SMS_RENT_DUE, thursday_noon()),
            Decision::Send
        );
    }

    #[test]
    fn breathing_space_is_judged_on_the_london_date() {
        let mut t = tenant();
        t.breathing_space.push(BreathingSpace {
            mental_health_crisis: false,
            starts: date(2026, 7, 2),
            ends: Some(date(2026, 8, 30)),
        });
        // 23:30 UTC on 1 July is 00:30 BST on 2 July: already inside. Suppression comes before
        // the quiet-hours deferral.
        assert_eq!(
            decide_now(&t, &SMS_DEBT, at(2026, 7, 1, 23, 30)),
            Decision::Suppress(SuppressReason::BreathingSpace)
        );
    }

    #[test]
    fn a_mental_health_crisis_breathing_space_without_an_end_suppresses() {
        let mut t = tenant();
        t.breathing_space.push(BreathingSpace {
            mental_health_crisis: true,
            starts: date(2025, 3, 1),
            ends: None,
        });
        assert_eq!(
            decide_now(&t, &SMS_DEBT, thursday_noon()),
            Decision::Suppress(SuppressReason::BreathingSpace)
        );
    }

    #[test]
    fn an_ended_breathing_space_no_longer_suppresses() {
        let mut t = tenant();
        t.breathing_space.push(standard_breathing_space());
        // The last day (30 Dec) is still covered; the day after is not.
        assert_eq!(
            decide_now(&t, &SMS_DEBT, at(2026, 12, 30, 12, 0)),
            Decision::Suppress(SuppressReason::BreathingSpace)
        );
        assert_eq!(
            decide_now(&t, &SMS_DEBT, at(2026, 12, 31, 12, 0)),
            Decision::Send
        );
    }

    #[test]
    fn no_automated_contact_suppresses_automated_messages_but_not_an_officers() {
        let mut t = tenant();
        t.no_automated_contact = true;
        assert_eq!(
            decide_now(&t, &SMS_DEBT, thursday_noon()),
            Decision::Suppress(SuppressReason::NoAutomatedContact)
        );
        assert_eq!(
            decide_now(&t, &SMS_RENT_DUE, thursday_noon()),
            Decision::Suppress(SuppressReason::NoAutomatedContact)
        );
        let by_officer = MessageFacts {
            automated: false,
            ..SMS_DEBT
        };
        assert_eq!(decide_now(&t, &by_officer, thursday_noon()), Decision::Send);
    }

    #[test]
    fn an_opted_out_channel_suppresses_only_that_channel() {
        let mut t = tenant();
        t.sms.opted_in = false;
        assert_eq!(
            decide_now(&t, &SMS_DEBT, thursday_noon()),
            Decision::Suppress(SuppressReason::ChannelOptedOut)
        );
        let email = MessageFacts {
            channel: Channel::Email,
            ..SMS_DEBT
        };
        assert_eq!(decide_now(&t, &email, thursday_noon()), Decision::Send);
    }

    #[test]
    fn an_invalid_mobile_suppresses_sms() {
        let mut t = tenant();
        t.sms.invalid = true;
        assert_eq!(
            decide_now(&t, &SMS_DEBT, thursday_noon()),
            Decision::Suppress(SuppressReason::ContactDetailInvalid)
        );
    }

    #[test]
    fn a_missing_email_address_suppresses_email() {
        let mut t = tenant();
        t.email.present = false;
        let email = MessageFacts {
            channel: Channel::Email,
            ..SMS_DEBT
        };
        assert_eq!(
            decide_now(&t, &email, thursday_noon()),
            Decision::Suppress(SuppressReason::NoContactDetail)
        );
    }

    #[test]
    fn a_closed_deceased_or_evicted_account_gets_nothing() {
        for state in [
            AccountState::Closed,
            AccountState::Deceased,
            AccountState::Evicted,
        ] {
            let mut t = tenant();
            t.account = state;
            assert_eq!(
                decide_now(&t, &SMS_RENT_DUE, thursday_noon()),
                Decision::Suppress(SuppressReason::AccountClosed),
                "{state:?}"
            );
        }
        let mut former = tenant();
        former.account = AccountState::Former;
        assert_eq!(
            decide_now(&former, &SMS_DEBT, thursday_noon()),
            Decision::Send
        );
    }

    #[test]
    fn the_account_is_checked_before_breathing_space() {
        let mut t = tenant();
        t.account = AccountState::Deceased;
        t.breathing_space.push(standard_breathing_space());
        assert_eq!(
            decide_now(&t, &SMS_DEBT, thursday_noon()),
            Decision::Suppress(SuppressReason::AccountClosed)
        );
    }

    #[test]
    fn a_fourth_automated_contact_in_7_days_waits_for_the_oldest_to_leave_the_window() {
        let mut t = tenant();
        t.recent_automated_contacts = vec![
            at(2026, 11, 20, 10, 15),
            at(2026, 11, 23, 9, 0),
            at(2026, 11, 25, 9, 0),
        ];
        // Room again at 10:15 on Fri 27 Nov, inside the window.
        assert_eq!(
            decide_now(&t, &SMS_DEBT, thursday_noon()),
            Decision::DeferUntil(at(2026, 11, 27, 10, 15))
        );
        // At that minute the oldest has left (the window is (now − 7 days, now]).
        assert_eq!(
            decide_now(&t, &SMS_DEBT, at(2026, 11, 27, 10, 15)),
            Decision::Send
        );
        // The cap counts automated contacts of any kind, rent-due reminders included.
        assert_eq!(
            decide_now(&t, &SMS_RENT_DUE, thursday_noon()),
            Decision::DeferUntil(at(2026, 11, 27, 10, 15))
        );
        // An officer's own message is not automated and not capped.
        let by_officer = MessageFacts {
            automated: false,
            ..SMS_DEBT
        };
        assert_eq!(decide_now(&t, &by_officer, thursday_noon()), Decision::Send);
    }

    #[test]
    fn when_room_under_the_cap_comes_at_night_it_waits_for_the_morning() {
        let mut t = tenant();
        t.recent_automated_contacts = vec![
            at(2026, 11, 20, 20, 30),
            at(2026, 11, 23, 9, 0),
            at(2026, 11, 25, 9, 0),
        ];
        // Room at 20:30 on Friday 27th: still in the window.
        assert_eq!(
            decide_now(&t, &SMS_DEBT, thursday_noon()),
            Decision::DeferUntil(at(2026, 11, 27, 20, 30))
        );
        // Room at 22:30 on Friday 27th: Saturday 08:00.
        t.recent_automated_contacts[0] = at(2026, 11, 20, 22, 30);
        assert_eq!(
            decide_now(&t, &SMS_DEBT, thursday_noon()),
            Decision::DeferUntil(at(2026, 11, 28, 8, 0))
        );
    }

    #[test]
    fn contacts_already_queued_for_the_morning_count_against_the_cap() {
        // Three messages were deferred to Thursday 08:00; a fourth found at 23:00 the night
        // before must not join them, but wait until those three leave the window.
        let mut t = tenant();
        t.recent_automated_contacts = vec![at(2026, 11, 26, 8, 0); 3];
        assert_eq!(
            decide_now(&t, &SMS_DEBT, at(2026, 11, 25, 23, 0)),
            Decision::DeferUntil(at(2026, 12, 3, 8, 0))
        );
    }

    #[test]
    fn a_send_now_must_not_overfill_a_week_ending_at_a_queued_contact() {
        // One sent on 20 Nov 12:00 and two queued for 27 Nov 08:00: sending now would put four
        // in the 7 days ending 27 Nov 08:00, so wait until 20 Nov's has left (27 Nov 12:00).
        let mut t = tenant();
        t.recent_automated_contacts = vec![
            at(2026, 11, 20, 12, 0),
            at(2026, 11, 27, 8, 0),
            at(2026, 11, 27, 8, 0),
        ];
        assert_eq!(
            decide_now(&t, &SMS_DEBT, thursday_noon()),
            Decision::DeferUntil(at(2026, 11, 27, 12, 0))
        );
    }

    #[test]
    fn contacts_older_than_7_days_do_not_count() {
        let mut t = tenant();
        t.recent_automated_contacts = vec![
            at(2026, 11, 19, 12, 0),
            at(2026, 11, 19, 11, 0),
            at(2026, 11, 25, 9, 0),
        ];
        assert_eq!(decide_now(&t, &SMS_DEBT, thursday_noon()), Decision::Send);
    }

    #[test]
    fn a_cap_of_zero_switches_automated_contact_off() {
        let policy = ContactPolicy {
            max_automated_per_7_days: 0,
            ..ContactPolicy::default()
        };
        assert_eq!(
            decide(&policy, &tenant(), &SMS_RENT_DUE, thursday_noon()),
            Decision::Suppress(SuppressReason::WeeklyCapReached)
        );
    }

    #[test]
    fn suppress_reasons_and_channels_have_stable_snake_case_ids() {
        let ids: Vec<&str> = SuppressReason::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(
            ids,
            [
                "account_closed",
                "breathing_space",
                "no_automated_contact",
                "channel_opted_out",
                "no_contact_detail",
                "contact_detail_invalid",
                "weekly_cap_reached",
            ]
        );
        for r in SuppressReason::ALL {
            assert_eq!(SuppressReason::from_str(r.as_str()), Ok(*r));
        }
        for c in Channel::ALL {
            assert_eq!(Channel::from_str(c.as_str()), Ok(*c));
        }
        assert!(Channel::from_str("fax").is_err());
    }

    #[test]
    fn the_preferred_channel_is_tried_first() {
        assert_eq!(
            channel_order(None),
            [Channel::Sms, Channel::Email, Channel::Push]
        );
        assert_eq!(
            channel_order(Some(Channel::Push)),
            [Channel::Push, Channel::Sms, Channel::Email]
        );
        assert_eq!(
            channel_order(Some(Channel::Sms)),
            [Channel::Sms, Channel::Email, Channel::Push]
        );
    }

    /// A sign-in code the tenant asked for goes at once: at 23:30, at 03:00 on a Sunday, on
    /// Christmas Day and Boxing Day's substitute (Mon 28 Dec 2026), with the weekly cap
    /// reached, in Breathing Space, with "no automated contact" and with SMS reminders off.
    #[test]
    fn a_requested_sign_in_code_ignores_quiet_hours_days_caps_and_reminder_opt_outs() {
        assert!(is_requested(SIGN_IN_CODE_TEMPLATE));
        assert!(!is_requested("missed_payment"));
        let mut t = tenant();
        t.breathing_space = vec![standard_breathing_space()];
        t.no_automated_contact = true;
        t.sms.opted_in = false;
        t.recent_automated_contacts = vec![at(2026, 11, 24, 10, 0); 5];
        for now in [
            at(2026, 11, 25, 23, 30),
            at(2026, 11, 29, 3, 0),
            at(2026, 12, 25, 12, 0),
            at(2026, 12, 28, 23, 59),
        ] {
            // The same message as a reminder would wait (or never go)…
            assert_ne!(decide_now(&t, &SMS_RENT_DUE, now), Decision::Send, "{now}");
            // …the code goes now.
            assert_eq!(decide_requested(Some(t.sms)), Decision::Send, "{now}");
        }
    }

    #[test]
    fn a_requested_code_still_needs_a_working_number() {
        let mut t = tenant();
        t.sms.present = false;
        assert_eq!(
            decide_requested(Some(t.sms)),
            Decision::Suppress(SuppressReason::NoContactDetail)
        );
        t.sms.present = true;
        t.sms.invalid = true;
        assert_eq!(
            decide_requested(Some(t.sms)),
            Decision::Suppress(SuppressReason::ContactDetailInvalid)
        );
        assert_eq!(
            decide_requested(None),
            Decision::Suppress(SuppressReason::NoContactDetail)
        );
    }
}
