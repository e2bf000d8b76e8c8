//! An officer's view of the accounts in their patches: the full account, the action diary
//! (with client-generated ids so an offline phone can resend safely), flags, tasks and cover.

use super::{StaffAuth, audit_read, audit_reads, me};
use crate::api::ApiTags;
use crate::api::common::statuses::*;
use crate::api::common::{Answer, client_addr, invalid_fields};
use crate::api::manage::AccountSummary;
use crate::api::vocab::{
    self, ActionKind, ActionOutcome, ApaStatus, FlagEndReason, FlagKind, Frequency, MessageChannel,
    MessageStatus, PlanStatus, Referral, Stage, TaskStatus, TransactionKind, UnknownValue,
    VisitPurpose,
};
use crate::or_answer;
use crate::problem::Problem;
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use poem::http::StatusCode;
use poem::web::{Data, RemoteAddr};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use rentdesk_domain::flags::{self, EndReason, EndRequest, Refused};
use rentdesk_domain::possession::next_step::{self, EscalationPolicy};

use rentdesk_store::entities::{
    action, arrangement, cover, flag, message, patch, staff_user, task, tenancy, uc_claim,
};
use rentdesk_store::officer::{self, NewAction, Recorded};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

#[derive(Debug, Object)]
#[oai(example)]
pub struct LedgerLine {
    pub id: i64,
    pub date: NaiveDate,
    pub kind: TransactionKind,
    pub description: Option<String>,
    pub amount_pence: i64,
    pub balance_after_pence: i64,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct ArrangementOut {
    pub id: i64,
    pub tenancy_id: i64,
    pub status: PlanStatus,
    pub frequency: Frequency,
    pub amount_pence: i64,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub proposed_by_tenant: bool,
    pub review_reason: Option<String>,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct FlagOut {
    pub id: i64,
    pub tenancy_id: i64,
    pub kind: FlagKind,
    pub no_automated_contact: bool,
    pub starts_on: NaiveDate,
    /// The last day it counts (inclusive); absent while no end is known.
    pub ends_on: Option<NaiveDate>,
    pub detail: String,
    /// Why it was ended. `entered_in_error`: withdrawn, the flag counts on no day (kept for
    /// the history).
    pub end_reason: Option<FlagEndReason>,
    pub end_note: Option<String>,
    pub ended_by_staff_id: Option<i64>,
    pub ended_at: Option<DateTime<Utc>>,
    /// Mental health crisis Breathing Space: the day the crisis treatment ended, when known
    /// (`ends_on` is 30 days later).
    pub treatment_ended_on: Option<NaiveDate>,
    /// Breathing Space: the day the landlord was notified (as given when it was set, else the
    /// day it was recorded).
    pub notified_on: Option<NaiveDate>,
    /// Breathing Space: the last day the landlord may ask for a review: the period of 20 days
    /// beginning with the day it started (`starts_on` + 19), however late the landlord was
    /// notified (SI 2020/1311 reg 17(3); docs/breathing-space.md).
    pub review_by: Option<NaiveDate>,
    /// When the flag last changed (set, ended, its end moved, redacted). Sync sends a flag
    /// changed since the cursor; replace the stored copy by id.
    pub updated_at: Option<DateTime<Utc>>,
}

impl poem_openapi::types::Example for FlagOut {
    fn example() -> FlagOut {
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d);
        FlagOut {
            id: 812,
            tenancy_id: 4211,
            kind: FlagKind::BreathingSpaceMentalHealth,
            no_automated_contact: false,
            starts_on: NaiveDate::from_ymd_opt(2026, 9, 14).unwrap_or_default(),
            ends_on: NaiveDate::from_ymd_opt(2026, 12, 20),
            detail: "Debt adviser: StepChange, ref MH-20931.".into(),
            end_reason: Some(FlagEndReason::Ended),
            end_note: Some("Insolvency Service notice: crisis treatment ended 20 Nov.".into()),
            ended_by_staff_id: Some(17),
            ended_at: day(28)
                .and_then(|d| d.and_hms_opt(10, 4, 0))
                .map(|t| t.and_utc()),
            treatment_ended_on: day(20),
            notified_on: NaiveDate::from_ymd_opt(2026, 9, 15),
            review_by: NaiveDate::from_ymd_opt(2026, 10, 5),
            updated_at: day(28)
                .and_then(|d| d.and_hms_opt(10, 4, 0))
                .map(|t| t.and_utc()),
        }
    }
}

impl TryFrom<arrangement::Model> for ArrangementOut {
    type Error = UnknownValue;
    fn try_from(a: arrangement::Model) -> Result<ArrangementOut, UnknownValue> {
        Ok(ArrangementOut {
            id: a.id,
            tenancy_id: a.tenancy_id,
            status: PlanStatus::from_stored(&a.status, "arrangements", a.id)?,
            frequency: Frequency::from_stored(&a.frequency, "arrangements", a.id)?,
            amount_pence: a.instalment_pence,
            start_date: a.start_date,
            end_date: a.end_date,
            proposed_by_tenant: a.proposed_by_tenant,
            review_reason: a.review_reason,
        })
    }
}

impl TryFrom<flag::Model> for FlagOut {
    type Error = UnknownValue;
    fn try_from(f: flag::Model) -> Result<FlagOut, UnknownValue> {
        let breathing_space = f.kind.starts_with("breathing_space");
        let notified_on = breathing_space.then(|| rentdesk_store::flags::notified_on(&f));
        let review_by = rentdesk_store::flags::review_by(&f);
        Ok(FlagOut {
            kind: FlagKind::from_stored(&f.kind, "flags", f.id)?,
            end_reason: FlagEndReason::from_stored_opt(f.end_reason.as_deref(), "flags", f.id)?,
            id: f.id,
            tenancy_id: f.tenancy_id,
            no_automated_contact: f.no_automated_contact,
            starts_on: f.starts_on,
            ends_on: f.ends_on,
            detail: f.detail,
            end_note: f.end_note,
            ended_by_staff_id: f.ended_by_staff_id,
            ended_at: f.ended_at,
            treatment_ended_on: f.treatment_ended_on,
            notified_on,
            review_by,
            updated_at: f.updated_at,
        })
    }
}

impl TryFrom<uc_claim::Model> for UcClaimOut {
    type Error = UnknownValue;
    fn try_from(c: uc_claim::Model) -> Result<UcClaimOut, UnknownValue> {
        Ok(UcClaimOut {
            apa_status: ApaStatus::from_stored(&c.apa_status, "uc_claims", c.id)?,
            claim_start: c.claim_start,
            housing_costs_claimed: c.housing_costs_claimed,
            paid_to_landlord: c.paid_to_landlord,
            reported_by: c.reported_by,
        })
    }
}

#[derive(Debug, Object)]
pub struct UcClaimOut {
    pub claim_start: NaiveDate,
    pub housing_costs_claimed: bool,
    pub apa_status: ApaStatus,
    pub paid_to_landlord: bool,
    pub reported_by: String,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct MessageOut {
    pub id: i64,
    pub channel: MessageChannel,
    pub template: String,
    pub rule_id: Option<String>,
    pub status: MessageStatus,
    pub suppression_reason: Option<vocab::SuppressReason>,
    pub body: String,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Object)]
pub struct CaseOut {
    pub stage: Stage,
    /// The day the case entered its stage.
    pub stage_since: NaiveDate,
    pub history: Vec<CaseEvent>,
}

#[derive(Debug, Object)]
pub struct CaseEvent {
    /// The diary entry that records it.
    pub action_id: i64,
    pub kind: vocab::CaseEventKind,
    /// The protocol step or the stage.
    pub step: Option<vocab::CaseStep>,
    pub occurred_at: DateTime<Utc>,
    pub author_staff_id: Option<i64>,
    pub body: String,
}

impl TryFrom<rentdesk_store::statement::Line> for LedgerLine {
    type Error = UnknownValue;
    fn try_from(l: rentdesk_store::statement::Line) -> Result<LedgerLine, UnknownValue> {
        Ok(LedgerLine {
            kind: TransactionKind::from_stored(&l.kind, "transactions", l.id)?,
            id: l.id,
            date: l.posted_on,
            description: l.description,
            amount_pence: l.amount.0,
            balance_after_pence: l.balance_after.0,
        })
    }
}

impl TryFrom<message::Model> for MessageOut {
    type Error = UnknownValue;
    fn try_from(m: message::Model) -> Result<MessageOut, UnknownValue> {
        Ok(MessageOut {
            id: m.id,
            channel: MessageChannel::from_stored(&m.channel, "messages", m.id)?,
            template: m.template.clone(),
            rule_id: m.rule_id,
            status: MessageStatus::from_stored(&m.status, "messages", m.id)?,
            suppression_reason: vocab::SuppressReason::from_stored_opt(
                m.suppression_reason.as_deref(),
                "messages",
                m.id,
            )?,
            // A sign-in code is the tenant's secret, not the officer's business.
            body: if m.template == crate::api::tenant::signin::SIGN_IN_TEMPLATE {
                "(sign-in code)".into()
            } else {
                m.body
            },
            scheduled_for: m.scheduled_for,
            created_at: m.created_at,
        })
    }
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct ActionOut {
    pub id: i64,
    pub tenancy_id: i64,
    pub client_id: Option<String>,
    pub kind: vocab::DiaryKind,
    /// What came of it, by kind: a call's or a visit's outcome; a protocol step, stage, or
    /// order step recorded; a task's outcome; a flag's end reason; `sent` for a text or email
    /// from the landlord's old system; a message's `suppressed`/`requeued`, `officer_task`.
    /// A free string: its values are each kind's own vocabulary.
    pub outcome: Option<String>,
    pub body: String,
    pub author_staff_id: Option<i64>,
    /// Set when the software acted: the rule that caused it.
    pub rule_id: Option<String>,
    pub facts: Option<String>,
    pub occurred_at: DateTime<Utc>,
    /// A visit's purpose when a rule depends on it.
    pub purpose: Option<vocab::VisitPurpose>,
}

impl TryFrom<action::Model> for ActionOut {
    type Error = UnknownValue;
    fn try_from(a: action::Model) -> Result<ActionOut, UnknownValue> {
        Ok(ActionOut {
            purpose: vocab::VisitPurpose::from_stored_opt(a.purpose.as_deref(), "actions", a.id)?,
            id: a.id,
            tenancy_id: a.tenancy_id,
            client_id: a.client_id,
            kind: vocab::DiaryKind::from_stored(&a.kind, "actions", a.id)?,
            outcome: a.outcome,
            body: a.body,
            author_staff_id: a.author_staff_id,
            rule_id: a.rule_id,
            facts: a.facts,
            occurred_at: a.occurred_at,
        })
    }
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct TaskOut {
    pub id: i64,
    pub tenancy_id: i64,
    pub kind: String,
    pub title: String,
    pub detail: String,
    pub due_on: NaiveDate,
    pub status: TaskStatus,
    pub assigned_staff_id: Option<i64>,
    pub rule_id: Option<String>,
    /// What came of it, once done.
    pub outcome: Option<vocab::TaskOutcome>,
    /// The task's version: send it back as `base_updated_at` with an edit made offline.
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<task::Model> for TaskOut {
    type Error = UnknownValue;
    fn try_from(t: task::Model) -> Result<TaskOut, UnknownValue> {
        Ok(TaskOut {
            updated_at: t.version(),
            id: t.id,
            tenancy_id: t.tenancy_id,
            kind: t.kind,
            title: t.title,
            detail: t.detail,
            due_on: t.due_on,
            status: TaskStatus::from_stored(&t.status, "tasks", t.id)?,
            outcome: vocab::TaskOutcome::from_stored_opt(t.outcome.as_deref(), "tasks", t.id)?,
            assigned_staff_id: t.assigned_staff_id,
            rule_id: t.rule_id,
        })
    }
}

#[derive(Debug, Object)]
pub struct Recommendation {
    pub stage: Stage,
    pub summary: String,
    pub next_stage: Option<Stage>,
    pub earliest: Option<NaiveDate>,
    pub description: Option<String>,
    pub paused_because: Option<String>,
    /// The facts the recommendation rests on.
    pub reasons: Vec<String>,
}

/// Everything about one account an officer needs on a visit.
#[derive(Debug, Object)]
#[oai(example)]
pub struct OfficerAccount {
    pub id: i64,
    pub summary: AccountSummary,
    /// What the escalation policy recommends next (a named officer decides).
    pub recommendation: Recommendation,
    /// The 20 latest ledger lines, newest first; older ones from `GET accounts/{id}/ledger`
    /// with `ledger_next_cursor`.
    pub ledger: Vec<LedgerLine>,
    pub ledger_next_cursor: Option<String>,
    pub arrangements: Vec<ArrangementOut>,
    pub flags: Vec<FlagOut>,
    pub uc_claim: Option<UcClaimOut>,
    /// The 30 latest messages sent, suppressed or received; older ones from
    /// `GET accounts/{id}/messages` with `messages_next_cursor`.
    pub messages: Vec<MessageOut>,
    pub messages_next_cursor: Option<String>,
    /// The 50 latest diary entries; the rest of the diary from `GET accounts/{id}/diary` with
    /// `actions_next_cursor`.
    pub actions: Vec<ActionOut>,
    pub actions_next_cursor: Option<String>,
    /// The case's stage and since when, and its history: every protocol step, stage change
    /// and notice recorded, oldest first.
    pub case: CaseOut,
    pub open_tasks: Vec<TaskOut>,
    pub tenancy_audit: TenancyAuditOut,
}

/// The tenancy audit: the latest completed one and when the next falls due.
#[derive(Debug, Object)]
pub struct TenancyAuditOut {
    /// The latest completed audit (housing system record or a visit in the diary).
    pub last_on: Option<NaiveDate>,
    /// When the next audit falls due under the council's rule; absent when audits are
    /// switched off or the tenancy is not active.
    pub next_due_on: Option<NaiveDate>,
}

#[derive(Debug, Object)]
pub struct AccountBrief {
    pub id: i64,
    pub reference: String,
    pub address: String,
    pub postcode: String,
}

#[derive(Debug, Object)]
pub struct AccountList {
    pub accounts: Vec<AccountBrief>,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct ActionIn {
    /// Generated on the phone (e.g. a UUID): resending the same action stores it once.
    #[oai(validator(min_length = 8, max_length = 64))]
    pub client_id: String,
    pub tenancy_id: i64,
    pub kind: ActionKind,
    /// Required for calls and visits. Calls: answered, no_answer, voicemail, wrong_number;
    /// visits: contact_made, no_access, card_left; both: promise_to_pay, arrangement_agreed,
    /// refused.
    pub outcome: Option<ActionOutcome>,
    #[oai(validator(max_length = 5000))]
    pub body: String,
    pub occurred_at: DateTime<Utc>,
    /// Where a visit took place.
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// For referrals (and only for them): where the tenant was referred.
    pub referral_to: Option<Referral>,
    /// Visits only: `tenancy_audit` when the visit was the tenancy audit. With an outcome of
    /// contact_made, promise_to_pay or arrangement_agreed it completes the audit: the open
    /// audit task is done and the next audit falls due after the configured interval.
    pub purpose: Option<VisitPurpose>,
}

impl poem_openapi::types::Example for ActionIn {
    fn example() -> ActionIn {
        ActionIn {
            client_id: "7f9c2b1e-4d6a-4a7e-9a51-3c2d1e0f9b8a".into(),
            tenancy_id: 42,
            kind: ActionKind::Visit,
            outcome: Some(ActionOutcome::ContactMade),
            body: "Spoke to Ms Haigh; hours cut at work. Agreed to complete an I&E in the app."
                .into(),
            occurred_at: DateTime::from_timestamp(1_795_000_000, 0).unwrap_or_default(),
            latitude: Some(53.6551),
            longitude: Some(-1.781),
            referral_to: None,
            purpose: None,
        }
    }
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct FlagIn {
    pub kind: FlagKind,
    /// Stop every automated message from `starts_on` to `ends_on` (not before `starts_on`).
    #[oai(default)]
    pub no_automated_contact: bool,
    pub starts_on: NaiveDate,
    /// The last day (inclusive). Required for a standard Breathing Space, at most 60 days after
    /// `starts_on`.
    pub ends_on: Option<NaiveDate>,
    #[oai(default, validator(max_length = 2000))]
    pub detail: String,
    /// Breathing Space only: the day the landlord was notified (not in the future). Absent:
    /// today. Kept for the record: the review deadline (`review_by`) runs from `starts_on`
    /// (SI 2020/1311 reg 17(3)), not from the notification.
    pub notified_on: Option<NaiveDate>,
}

impl poem_openapi::types::Example for FlagIn {
    fn example() -> FlagIn {
        FlagIn {
            kind: FlagKind::BreathingSpaceStandard,
            no_automated_contact: false,
            starts_on: NaiveDate::from_ymd_opt(2026, 11, 27).unwrap_or_default(),
            ends_on: NaiveDate::from_ymd_opt(2027, 1, 25),
            detail: "Debt adviser: Citizens Advice Hackney, ref BS-44120.".into(),
            notified_on: NaiveDate::from_ymd_opt(2026, 11, 30),
        }
    }
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct FlagChangeIn {
    /// The new last day (inclusive), later or earlier than now. A standard Breathing Space:
    /// at most 60 days after `starts_on`.
    pub ends_on: Option<NaiveDate>,
    /// A mental health crisis Breathing Space only, instead of `ends_on`: the day the crisis
    /// treatment ended; the last day becomes 30 days later.
    pub treatment_ended_on: Option<NaiveDate>,
    /// No end: it runs until ended (vulnerability, safeguarding, or a mental health crisis
    /// Breathing Space whose treatment goes on; never a standard Breathing Space). Give no date.
    #[oai(default)]
    pub open_ended: bool,
    #[oai(default, validator(max_length = 2000))]
    pub note: String,
}

impl poem_openapi::types::Example for FlagChangeIn {
    fn example() -> FlagChangeIn {
        FlagChangeIn {
            ends_on: None,
            treatment_ended_on: NaiveDate::from_ymd_opt(2027, 1, 8),
            open_ended: false,
            note: "Crisis team: treatment extended to 8 Jan.".into(),
        }
    }
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct FlagEndIn {
    /// `ended` (default); `cancelled` (a Breathing Space cancelled early); `entered_in_error`
    /// (the flag is withdrawn: it counts on no day at all but stays in the history; give no
    /// date).
    pub reason: Option<FlagEndReason>,
    /// The last day the flag counts (inclusive): not before `starts_on`, and not after the end
    /// it already has. To lift a Breathing Space from today, give yesterday.
    pub ends_on: Option<NaiveDate>,
    /// A mental health crisis Breathing Space only, instead of `ends_on`: the day the crisis
    /// treatment ended. The Breathing Space lasts 30 days more (docs/breathing-space.md#how-long-a-breathing-space-lasts).
    pub treatment_ended_on: Option<NaiveDate>,
    #[oai(default, validator(max_length = 2000))]
    pub note: String,
}

impl poem_openapi::types::Example for FlagEndIn {
    fn example() -> FlagEndIn {
        FlagEndIn {
            reason: Some(FlagEndReason::Ended),
            ends_on: NaiveDate::from_ymd_opt(2026, 12, 20),
            treatment_ended_on: None,
            note: "Insolvency Service notice: crisis treatment ended 20 Nov.".into(),
        }
    }
}

#[derive(Debug, Object)]
pub struct TaskList {
    pub tasks: Vec<TaskOut>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct TaskDone {
    /// What came of it. Any task: `done` (the default) or `not_needed`; and by kind, e.g.
    /// `apa_requested` for a Managed Payment to Landlord request (the claim's APA status
    /// becomes `requested`), `mandate_set_up` / `declined` for a direct-debit offer,
    /// `claim_restored` / `new_claim_made` / `not_entitled` for a Housing Benefit check,
    /// `called_back` for a reply. A wrong one is a 422 listing those the task can have.
    #[oai(default = "default_outcome")]
    pub outcome: vocab::TaskOutcome,
    #[oai(default, validator(max_length = 2000))]
    pub note: String,
    /// The task's `updated_at` as the app last saw it. When given and the task changed since
    /// (done, or given to someone else), nothing is changed and the answer is a 409 with both
    /// versions.
    pub base_updated_at: Option<DateTime<Utc>>,
}

fn default_outcome() -> vocab::TaskOutcome {
    vocab::TaskOutcome::Done
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct TaskReassign {
    /// The member of staff who takes the task over: an active officer or team leader who can
    /// see the account.
    pub staff_id: i64,
    #[oai(default, validator(max_length = 2000))]
    pub note: String,
    /// The task's `updated_at` as the app last saw it. When given and the task changed since
    /// (done, or given to someone else), nothing is changed and the answer is a 409 with both
    /// versions.
    pub base_updated_at: Option<DateTime<Utc>>,
}

impl poem_openapi::types::Example for TaskReassign {
    fn example() -> TaskReassign {
        TaskReassign {
            staff_id: 7,
            note: "Covering Bradley while Sam is on leave".into(),
            base_updated_at: DateTime::from_timestamp(1_796_200_000, 0),
        }
    }
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct CoverIn {
    pub patch_code: String,
    pub officer_id: i64,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

impl poem_openapi::types::Example for CoverIn {
    fn example() -> CoverIn {
        CoverIn {
            patch_code: "HD-NORTH".into(),
            officer_id: 12,
            starts_on: NaiveDate::from_ymd_opt(2026, 12, 14).unwrap_or_default(),
            ends_on: NaiveDate::from_ymd_opt(2026, 12, 24).unwrap_or_default(),
        }
    }
}

/// A time in the examples.
pub(crate) fn example_at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}

fn example_day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap_or_default()
}

impl poem_openapi::types::Example for LedgerLine {
    fn example() -> LedgerLine {
        LedgerLine {
            id: 880_214,
            date: example_day(11, 23),
            kind: TransactionKind::RentDebit,
            description: Some("Rent w/c 23 Nov".into()),
            amount_pence: 9_600,
            balance_after_pence: 41_280,
        }
    }
}

impl poem_openapi::types::Example for ArrangementOut {
    fn example() -> ArrangementOut {
        ArrangementOut {
            id: 512,
            tenancy_id: 4211,
            status: PlanStatus::Broken,
            frequency: Frequency::Weekly,
            amount_pence: 500,
            start_date: example_day(10, 5),
            end_date: None,
            proposed_by_tenant: true,
            review_reason: None,
        }
    }
}

impl poem_openapi::types::Example for MessageOut {
    fn example() -> MessageOut {
        MessageOut {
            id: 70_311,
            channel: MessageChannel::Sms,
            template: "missed_payment".into(),
            rule_id: Some("missed_payment".into()),
            status: MessageStatus::Delivered,
            suppression_reason: None,
            body: "Hi Karen, we have not received your rent payment due 16 November. If you have \
                   paid, thank you. If you are struggling, we can help. Details: \
                   https://rent.kirklees.example/app Reply STOP to opt out."
                .into(),
            scheduled_for: None,
            created_at: example_at(1_795_338_000),
        }
    }
}

impl poem_openapi::types::Example for ActionOut {
    fn example() -> ActionOut {
        ActionOut {
            id: 55_210,
            tenancy_id: 4211,
            client_id: Some("7f9c2b1e-4d6a-4a7e-9a51-3c2d1e0f9b8a".into()),
            kind: vocab::DiaryKind::Visit,
            outcome: Some("contact_made".into()),
            body: "Spoke to Ms Haigh; hours cut at work. Agreed to complete an I&E in the app."
                .into(),
            author_staff_id: Some(12),
            rule_id: None,
            facts: None,
            occurred_at: example_at(1_795_000_000),
            purpose: None,
        }
    }
}

impl poem_openapi::types::Example for TaskOut {
    fn example() -> TaskOut {
        TaskOut {
            id: 3_307,
            tenancy_id: 4211,
            kind: "review_plan".into(),
            title: "Review a repayment plan the tenant proposed".into(),
            detail: "Outside policy because: it would take 116 weeks to clear the arrears (the \
                     limit is 104)."
                .into(),
            due_on: example_day(12, 2),
            status: TaskStatus::Open,
            assigned_staff_id: Some(12),
            rule_id: Some(rentdesk_domain::tasks::PLAN_OUTSIDE_POLICY.into()),
            outcome: None,
            updated_at: example_at(1_795_600_000),
        }
    }
}

impl poem_openapi::types::Example for OfficerAccount {
    fn example() -> OfficerAccount {
        OfficerAccount {
            id: 4211,
            summary: AccountSummary {
                reference: "T004211".into(),
                tenure: crate::api::vocab::Tenure::Assured,
                status: crate::api::vocab::TenancyStatus::Active,
                address: "14 Birkby Hall Road, Huddersfield".into(),
                postcode: "HD2 2XB".into(),
                patch: Some("HD-NORTH".into()),
                lead_tenant: Some("Karen Haigh".into()),
                as_of: example_day(11, 30),
                balance_pence: 41_280,
                arrears_pence: 41_280,
                technical_arrears_pence: 0,
                real_arrears_pence: 41_280,
                technical_reason: None,
                arrears_status: crate::api::vocab::ArrearsStatus::InArrears,
                weekly_charge_pence: 9_600,
                weeks_in_arrears: Some("4.30".into()),
                rent_period: crate::api::vocab::RentPeriod::Weekly,
                rent_per_period_pence: 9_600,
                rent_since: Some(NaiveDate::from_ymd_opt(2026, 4, 6).unwrap_or_default()),
                last_payment: Some(crate::api::manage::LastPayment {
                    date: example_day(11, 2),
                    amount_pence: 5_000,
                    kind: crate::api::vocab::TransactionKind::Payment,
                }),
                next_charge_date: Some(example_day(12, 7)),
                next_benefit_due: None,
                expected_last_28_days_pence: 40_400,
                received_last_28_days_pence: 5_000,
            },
            recommendation: Recommendation {
                stage: Stage::SecondLetter,
                summary: "You owe £412.80. If nothing changes, from 16 November 2026: An officer \
                          may serve a notice that we will seek possession of your home. This is \
                          the first legal step towards court."
                    .into(),
                next_stage: Some(Stage::NoticeServed),
                earliest: Some(example_day(11, 16)),
                description: Some(
                    "An officer may serve a notice that we will seek possession of your home. \
                     This is the first legal step towards court."
                        .into(),
                ),
                paused_because: None,
                reasons: vec!["real arrears of £412.80".into(), "4.3 weeks of rent".into()],
            },
            ledger: vec![
                LedgerLine::example(),
                LedgerLine {
                    id: 879_950,
                    date: example_day(11, 16),
                    kind: TransactionKind::RentDebit,
                    description: Some("Rent w/c 16 Nov".into()),
                    amount_pence: 9_600,
                    balance_after_pence: 31_680,
                },
            ],
            ledger_next_cursor: Some("2026-11-16.879950".into()),
            arrangements: vec![ArrangementOut::example()],
            flags: vec![FlagOut::example()],
            uc_claim: Some(UcClaimOut {
                claim_start: example_day(9, 14),
                housing_costs_claimed: true,
                apa_status: ApaStatus::Wanted,
                paid_to_landlord: false,
                reported_by: "tenant".into(),
            }),
            messages: vec![MessageOut::example()],
            messages_next_cursor: None,
            actions: vec![ActionOut::example()],
            actions_next_cursor: None,
            case: CaseOut {
                stage: Stage::SecondLetter,
                stage_since: example_day(11, 9),
                history: vec![
                    CaseEvent {
                        action_id: 54_102,
                        kind: vocab::CaseEventKind::Protocol,
                        step: Some(vocab::CaseStep::ContactMade),
                        occurred_at: example_at(1_792_500_000),
                        author_staff_id: Some(12),
                        body:
                            "Pre-action protocol: contact the tenant and discuss the cause of the \
                               arrears, their finances, benefits and repayment. Hours cut at work."
                                .into(),
                    },
                    CaseEvent {
                        action_id: 54_890,
                        kind: vocab::CaseEventKind::Stage,
                        step: Some(vocab::CaseStep::FirstLetter),
                        occurred_at: example_at(1_793_700_000),
                        author_staff_id: Some(12),
                        body: "Stage: first letter.".into(),
                    },
                ],
            },
            open_tasks: vec![TaskOut::example()],
            tenancy_audit: TenancyAuditOut {
                last_on: Some(NaiveDate::from_ymd_opt(2025, 3, 12).unwrap_or_default()),
                next_due_on: Some(NaiveDate::from_ymd_opt(2027, 3, 12).unwrap_or_default()),
            },
        }
    }
}

impl poem_openapi::types::Example for TaskDone {
    fn example() -> TaskDone {
        TaskDone {
            outcome: vocab::TaskOutcome::ApaRequested,
            note: "UC47 sent through the landlord portal; DWP to confirm.".into(),
            base_updated_at: DateTime::from_timestamp(1_795_000_000, 0),
        }
    }
}

#[derive(Debug, Object)]
pub struct CoverOut {
    pub id: i64,
    pub patch_code: String,
    pub officer_id: i64,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

fn not_found(id: i64) -> Problem {
    Problem::not_found(&format!("account {id}"))
}

/// The answer to ending a flag or moving its end. `conflict`: the problem type and title when
/// the flag no longer allows it (withdrawn, or already ended).
fn flag_answer<const S: u16>(
    outcome: rentdesk_store::flags::FlagOutcome,
    id: i64,
    flag_id: i64,
    conflict: (&str, &str),
) -> poem::Result<Answer<FlagOut, S>> {
    use rentdesk_store::flags::FlagOutcome;
    Ok(match outcome {
        FlagOutcome::Done(f) => Answer::Ok(Json(vocab::one(*f)?)),
        FlagOutcome::NotFound => Answer::problem(Problem::not_found(&format!(
            "flag {flag_id} on account {id}"
        ))),
        FlagOutcome::Refused(Refused::Invalid(errors)) => Answer::problem(
            invalid_fields(errors)
                .unwrap_or_else(|| Problem::invalid("ends_on", "not a valid end for this flag")),
        ),
        FlagOutcome::Refused(Refused::AlreadyEnded(why)) => {
            Answer::problem(Problem::new(StatusCode::CONFLICT, conflict.0, conflict.1).detail(why))
        }
    })
}

pub struct OfficerAccountsApi;

#[OpenApi(prefix_path = "/officer/v1", tag = "ApiTags::Officer")]
impl OfficerAccountsApi {
    /// Find accounts by reference
    ///
    /// Only accounts in the caller's patches (and cover) are found.
    #[oai(path = "/accounts", method = "get")]
    async fn find(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        /// Tenancy reference (exact, any case).
        #[oai(validator(min_length = 1, max_length = 32))]
        reference: Query<String>,
    ) -> poem::Result<Answer<AccountList, { OK }>> {
        let staff = or_answer!(me(&state, &auth.0).await?);
        let reference = rentdesk_store::auth::normalise_reference(&reference.0);
        let found = tenancy::Entity::find()
            .filter(tenancy::Column::Reference.eq(reference.as_str()))
            .one(&state.db)
            .await
            .map_err(|e| Problem::internal(&e))?;
        let mut accounts = vec![];
        if let Some(t) = found
            && let Some(t) =
                rentdesk_store::staff::visible_tenancy(&state.db, &staff, t.id, state.today())
                    .await
                    .map_err(|e| Problem::internal(&e))?
        {
            audit_read(
                &state,
                staff.id,
                "account.found",
                t.id,
                client_addr(remote).as_deref(),
            )
            .await?;
            accounts.push(AccountBrief {
                id: t.id,
                reference: t.reference,
                address: t.address_line1,
                postcode: t.postcode,
            });
        }
        Ok(Answer::Ok(Json(AccountList { accounts })))
    }

    /// An account in full
    ///
    /// Summary, recommendation, ledger, arrangements, flags, UC claim, messages, the action
    /// diary and open tasks.
    #[oai(path = "/accounts/:id", method = "get")]
    async fn account(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        id: Path<i64>,
    ) -> poem::Result<Answer<OfficerAccount, { OK | NOT_FOUND }>> {
        let staff = or_answer!(me(&state, &auth.0).await?);
        let today = state.today();
        let db = &state.db;
        let visible = rentdesk_store::staff::visible_tenancy(db, &staff, id.0, today)
            .await
            .map_err(|e| Problem::internal(&e))?;
        if visible.is_none() {
            return Ok(Answer::problem(not_found(id.0)));
        }
        audit_read(
            &state,
            staff.id,
            "account.read",
            id.0,
            client_addr(remote).as_deref(),
        )
        .await?;
        let Some(account) = rentdesk_store::accounts::full_account(db, id.0, today)
            .await
            .map_err(|e| Problem::internal(&e))?
        else {
            return Ok(Answer::problem(not_found(id.0)));
        };
        let facts = rentdesk_store::cases::case_facts(db, &account, today)
            .await
            .map_err(|e| Problem::internal(&e))?;
        let n = next_step::next_step(&facts, &EscalationPolicy::default(), today);
        let page = rentdesk_store::statement::page(db, id.0, None, None, None, 20)
            .await
            .map_err(|e| Problem::internal(&e))?;
        let err = |e: sea_orm::DbErr| Problem::internal(&e);
        let arrangements = arrangement::Entity::find()
            .filter(arrangement::Column::TenancyId.eq(id.0))
            .order_by_desc(arrangement::Column::Id)
            .all(db)
            .await
            .map_err(err)?;
        let flags = flag::Entity::find()
            .filter(flag::Column::TenancyId.eq(id.0))
            .order_by_desc(flag::Column::StartsOn)
            .all(db)
            .await
            .map_err(err)?;
        let claim = uc_claim::Entity::find()
            .filter(uc_claim::Column::TenancyId.eq(id.0))
            .order_by_desc(uc_claim::Column::ClaimStart)
            .one(db)
            .await
            .map_err(err)?;
        let (messages, messages_next_cursor) = super::history::messages_page(db, id.0, None, 30)
            .await
            .map_err(err)?;
        let (actions, actions_next_cursor) = super::history::diary_page(db, id.0, None, 50)
            .await
            .map_err(err)?;
        let history = action::Entity::find()
            .filter(action::Column::TenancyId.eq(id.0))
            .filter(action::Column::Kind.is_in(vocab::CaseEventKind::NAMES.iter().copied()))
            .order_by_asc(action::Column::OccurredAt)
            .order_by_asc(action::Column::Id)
            .all(db)
            .await
            .map_err(err)?;
        let tasks = task::Entity::find()
            .filter(task::Column::TenancyId.eq(id.0))
            .filter(task::Column::Status.eq("open"))
            .order_by_asc(task::Column::DueOn)
            .all(db)
            .await
            .map_err(err)?;
        let (last_on, next_due_on) =
            rentdesk_store::tenancy_audits::audit_dates(db, &account.view.tenancy)
                .await
                .map_err(|e| Problem::internal(&e))?;
        Ok(Answer::Ok(Json(OfficerAccount {
            tenancy_audit: TenancyAuditOut {
                last_on,
                next_due_on,
            },
            id: id.0,
            summary: vocab::one(account.view)?,
            recommendation: Recommendation {
                stage: n.stage.into(),
                summary: n.summary,
                next_stage: n.next.as_ref().map(|s| s.stage.into()),
                earliest: n.next.as_ref().map(|s| s.earliest),
                description: n.next.map(|s| s.description),
                paused_because: n.paused_because,
                reasons: n.reasons,
            },
            ledger: vocab::readable(page.lines),
            ledger_next_cursor: page.next.map(|c| c.encode()),
            arrangements: vocab::readable(arrangements),
            flags: vocab::readable(flags),
            uc_claim: vocab::readable(claim).pop(),
            messages: vocab::readable(messages),
            messages_next_cursor,
            actions: vocab::readable(actions),
            actions_next_cursor,
            case: CaseOut {
                stage: facts.stage.into(),
                stage_since: facts.stage_since,
                history: vocab::kept(history.into_iter().map(|a| {
                    Ok(CaseEvent {
                        kind: vocab::CaseEventKind::from_stored(&a.kind, "actions", a.id)?,
                        action_id: a.id,
                        step: vocab::CaseStep::from_stored_opt(
                            a.outcome.as_deref(),
                            "actions",
                            a.id,
                        )?,
                        occurred_at: a.occurred_at,
                        author_staff_id: a.author_staff_id,
                        body: a.body,
                    })
                })),
            },
            open_tasks: vocab::readable(tasks),
        })))
    }

    /// Record a call, visit, note, letter or referral
    ///
    /// `client_id` makes it safe to resend: the same id stores once and answers with the stored
    /// action (200); a new one answers 201. The same id with different content is a 409 with
    /// both versions (only ever the caller's own action; another officer's is never shown).
    #[oai(path = "/actions", method = "post")]
    async fn record_action(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        body: Json<ActionIn>,
    ) -> poem::Result<Answer<ActionOut, { OK | CREATED | NOT_FOUND | CONFLICT | INVALID }>> {
        let staff = or_answer!(me(&state, &auth.0).await?);
        let body = body.0;
        let mut errors = vec![];
        match (body.kind, body.outcome) {
            (ActionKind::Call | ActionKind::Visit, Some(o)) if !o.fits(body.kind) => errors.push((
                "outcome".into(),
                format!("{o} is not an outcome of a {}", body.kind),
            )),
            (ActionKind::Call | ActionKind::Visit, None) => {
                errors.push(("outcome".into(), "required for calls and visits".into()))
            }
            _ => {}
        }
        if body.kind == ActionKind::Referral && body.referral_to.is_none() {
            errors.push(("referral_to".into(), "required for a referral".into()));
        }
        if body.purpose.is_some() && body.kind != ActionKind::Visit {
            errors.push(("purpose".into(), "only for visits".into()));
        }
        if body.occurred_at > state.now() + chrono::Duration::minutes(5) {
            errors.push(("occurred_at".into(), "is in the future".into()));
        }
        if body.latitude.is_some_and(|l| !(-90.0..=90.0).contains(&l)) {
            errors.push(("latitude".into(), "must be between -90 and 90".into()));
        }
        if body
            .longitude
            .is_some_and(|l| !(-180.0..=180.0).contains(&l))
        {
            errors.push(("longitude".into(), "must be between -180 and 180".into()));
        }
        if let Some(p) = invalid_fields(errors) {
            return Ok(Answer::problem(p));
        }
        let visible = rentdesk_store::staff::visible_tenancy(
            &state.db,
            &staff,
            body.tenancy_id,
            state.today(),
        )
        .await
        .map_err(|e| Problem::internal(&e))?;
        if visible.is_none() {
            return Ok(Answer::problem(not_found(body.tenancy_id)));
        }
        let recorded = officer::record_action(
            &state.db,
            staff.id,
            NewAction {
                client_id: &body.client_id,
                tenancy_id: body.tenancy_id,
                kind: body.kind.into(),
                outcome: body.outcome.map(ActionOutcome::as_str),
                body: body.body.trim(),
                occurred_at: body.occurred_at,
                latitude: body.latitude,
                longitude: body.longitude,
                referral_to: body.referral_to.map(Referral::as_str),
                purpose: body.purpose.map(VisitPurpose::as_str),
            },
            client_addr(remote).as_deref(),
            state.now(),
        )
        .await
        .map_err(|e| Problem::internal(&e))?;
        let conflict = Problem::new(
            StatusCode::CONFLICT,
            "client-id-reused",
            "That client_id belongs to a different action",
        )
        .field("client_id", "already used for a different action");
        Ok(match recorded {
            Recorded::New(a) => Answer::Created(Json(or_answer!(vocab::one(a)))),
            Recorded::Replay(a) => Answer::Ok(Json(or_answer!(vocab::one(a)))),
            // The caller's own earlier action, on an account they still see: both versions, so
            // the phone can show what was stored and keep what it has.
            Recorded::Conflict(a)
                if a.author_staff_id == Some(staff.id)
                    && rentdesk_store::staff::visible_tenancy(
                        &state.db,
                        &staff,
                        a.tenancy_id,
                        state.today(),
                    )
                    .await
                    .map_err(|e| Problem::internal(&e))?
                    .is_some() =>
            {
                Answer::problem(
                    conflict
                        .detail(format!(
                            "your action {} on account {} was stored with this client_id and \
                             says something else; send a new client_id to record another action",
                            a.id, a.tenancy_id
                        ))
                        .versions(or_answer!(vocab::one::<_, ActionOut>(a)), body),
                )
            }
            // Someone else's: say nothing about it.
            Recorded::Conflict(_) => Answer::problem(conflict.detail(
                "this client_id is already taken; generate a new one (e.g. a random UUID)",
            )),
        })
    }

    /// Flag vulnerability or Breathing Space
    ///
    /// Breathing Space stops every automated debt message while it lasts; "no automated
    /// contact" stops all of them.
    #[oai(path = "/accounts/:id/flags", method = "post")]
    async fn add_flag(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<FlagIn>,
    ) -> poem::Result<Answer<FlagOut, { CREATED | NOT_FOUND | INVALID }>> {
        let staff = or_answer!(me(&state, &auth.0).await?);
        let mut errors = vec![];
        let breathing_space = matches!(
            body.kind,
            FlagKind::BreathingSpaceStandard | FlagKind::BreathingSpaceMentalHealth
        );
        match (body.kind, body.ends_on) {
            (_, Some(end)) if end < body.starts_on => {
                errors.push(("ends_on".into(), "is before starts_on".into()))
            }
            // Standard Breathing Space lasts at most 60 days (docs/breathing-space.md#how-long-a-breathing-space-lasts).
            (FlagKind::BreathingSpaceStandard, None) => errors.push((
                "ends_on".into(),
                "required: a standard Breathing Space lasts up to 60 days".into(),
            )),
            (FlagKind::BreathingSpaceStandard, Some(end))
                if end > flags::standard_latest_end(body.starts_on) =>
            {
                errors.push((
                    "ends_on".into(),
                    "a standard Breathing Space lasts at most 60 days".into(),
                ))
            }
            _ => {}
        }
        match body.notified_on {
            Some(_) if !breathing_space => {
                errors.push(("notified_on".into(), "only for a Breathing Space".into()))
            }
            Some(n) if n > state.today() => {
                errors.push(("notified_on".into(), "is in the future".into()))
            }
            _ => {}
        }
        if let Some(p) = invalid_fields(errors) {
            return Ok(Answer::problem(p));
        }
        if rentdesk_store::staff::visible_tenancy(&state.db, &staff, id.0, state.today())
            .await
            .map_err(|e| Problem::internal(&e))?
            .is_none()
        {
            return Ok(Answer::problem(not_found(id.0)));
        }
        let f = officer::add_flag(
            &state.db,
            staff.id,
            id.0,
            officer::NewFlag {
                kind: body.kind.as_str(),
                no_automated_contact: body.no_automated_contact,
                starts_on: body.starts_on,
                ends_on: body.ends_on,
                detail: body.detail.trim(),
                notified_on: body.notified_on,
            },
            client_addr(remote).as_deref(),
            state.now(),
        )
        .await
        .map_err(|e| Problem::internal(&e))?;
        Ok(Answer::Created(Json(vocab::one(f)?)))
    }

    /// End a flag, or withdraw one entered in error
    ///
    /// A Breathing Space ends on the day the Insolvency Service gives (a mental health crisis
    /// one 30 days after the crisis treatment ends, so `treatment_ended_on` may be given
    /// instead), or earlier when cancelled. A flag entered by mistake is withdrawn with
    /// `entered_in_error`: it no longer counts for anything but stays in the history. Nothing is
    /// deleted; the change goes in the diary and the audit log. 409 when the flag has already
    /// ended or was withdrawn.
    #[oai(path = "/accounts/:id/flags/:flag_id/end", method = "post")]
    async fn end_flag(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        id: Path<i64>,
        flag_id: Path<i64>,
        body: Json<FlagEndIn>,
    ) -> poem::Result<Answer<FlagOut, { OK | NOT_FOUND | CONFLICT | INVALID }>> {
        let staff = or_answer!(me(&state, &auth.0).await?);
        let today = state.today();
        if rentdesk_store::staff::visible_tenancy(&state.db, &staff, id.0, today)
            .await
            .map_err(|e| Problem::internal(&e))?
            .is_none()
        {
            return Ok(Answer::problem(not_found(id.0)));
        }
        let reason = body.reason.map_or(EndReason::Ended, EndReason::from);
        let ended = rentdesk_store::flags::end(
            &state.db,
            staff.id,
            rentdesk_store::flags::EndFlag {
                tenancy_id: id.0,
                flag_id: flag_id.0,
                request: EndRequest {
                    reason,
                    ends_on: body.ends_on,
                    treatment_ended_on: body.treatment_ended_on,
                },
                note: body.note.trim(),
            },
            today,
            client_addr(remote).as_deref(),
            state.now(),
        )
        .await
        .map_err(|e| Problem::internal(&e))?;
        flag_answer(
            ended,
            id.0,
            flag_id.0,
            ("flag-ended", "The flag no longer counts"),
        )
    }

    /// Move a flag's end, later or earlier, or make it open-ended
    ///
    /// Within each kind's rules (docs/breathing-space.md#how-long-a-breathing-space-lasts): a standard Breathing Space lasts at most 60 days
    /// from its start and always has an end; a mental health crisis one ends 30 days after the
    /// crisis treatment ends, so a later `treatment_ended_on` moves it later (or make it
    /// open-ended while the treatment goes on); a vulnerability or safeguarding flag may be
    /// extended or made open-ended. Give exactly one of `ends_on`, `treatment_ended_on`,
    /// `open_ended`. Goes in the diary and the audit log; the flag's `updated_at` changes, so
    /// sync brings it. 409 when the flag was withdrawn as entered in error; 422 with the field
    /// when the date breaks a rule. (`POST …/end` only brings an end forward.)
    #[oai(path = "/accounts/:id/flags/:flag_id", method = "patch")]
    async fn change_flag_end(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        id: Path<i64>,
        flag_id: Path<i64>,
        body: Json<FlagChangeIn>,
    ) -> poem::Result<Answer<FlagOut, { OK | NOT_FOUND | CONFLICT | INVALID }>> {
        let staff = or_answer!(me(&state, &auth.0).await?);
        if rentdesk_store::staff::visible_tenancy(&state.db, &staff, id.0, state.today())
            .await
            .map_err(|e| Problem::internal(&e))?
            .is_none()
        {
            return Ok(Answer::problem(not_found(id.0)));
        }
        let changed = rentdesk_store::flags::change_end(
            &state.db,
            staff.id,
            rentdesk_store::flags::ChangeEnd {
                tenancy_id: id.0,
                flag_id: flag_id.0,
                request: flags::EndChange {
                    ends_on: body.ends_on,
                    treatment_ended_on: body.treatment_ended_on,
                    open_ended: body.open_ended,
                },
                note: body.note.trim(),
            },
            client_addr(remote).as_deref(),
            state.now(),
        )
        .await
        .map_err(|e| Problem::internal(&e))?;
        flag_answer(
            changed,
            id.0,
            flag_id.0,
            ("flag-withdrawn", "The flag was withdrawn"),
        )
    }

    /// My tasks
    ///
    /// Open tasks on the accounts the caller can see, soonest due first.
    #[oai(path = "/tasks", method = "get")]
    async fn tasks(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<String>>,
        /// 1–200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u64>>,
    ) -> poem::Result<Answer<TaskList, { OK | INVALID }>> {
        let staff = or_answer!(me(&state, &auth.0).await?);
        let after = match cursor.0.as_deref().map(officer::TaskCursor::decode) {
            None => None,
            Some(Ok(c)) => Some(c),
            Some(Err(r)) => return Ok(Answer::problem(Problem::invalid("cursor", r))),
        };
        let (tasks, next) = officer::open_tasks(
            &state.db,
            &staff,
            state.today(),
            after,
            limit.0.unwrap_or(50),
        )
        .await
        .map_err(|e| Problem::internal(&e))?;
        audit_reads(
            &state,
            staff.id,
            "tasks.read",
            tasks.iter().map(|t| t.tenancy_id),
            client_addr(remote).as_deref(),
        )
        .await?;
        Ok(Answer::Ok(Json(TaskList {
            tasks: vocab::readable(tasks),
            next_cursor: next.map(|c| c.encode()),
        })))
    }

    /// Complete a task
    #[oai(path = "/tasks/:id/complete", method = "post")]
    async fn complete_task(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<TaskDone>,
    ) -> poem::Result<Answer<TaskOut, { OK | NOT_FOUND | CONFLICT | INVALID }>> {
        let staff = or_answer!(me(&state, &auth.0).await?);
        match officer::complete_task(
            &state.db,
            &staff,
            id.0,
            body.outcome.as_str(),
            body.note.trim(),
            body.base_updated_at,
            state.today(),
            client_addr(remote).as_deref(),
            state.now(),
        )
        .await
        .map_err(|e| Problem::internal(&e))?
        {
            officer::TaskEdit::Done(t) => Ok(Answer::Ok(Json(vocab::one(t)?))),
            officer::TaskEdit::InvalidOutcome(allowed) => Ok(Answer::problem(Problem::invalid(
                "outcome",
                format!("for this task, one of {}", allowed.join(", ")),
            ))),
            officer::TaskEdit::NotFound => Ok(Answer::problem(Problem::not_found(&format!(
                "open task {}",
                id.0
            )))),
            officer::TaskEdit::Conflict(t) => Ok(Answer::problem(
                Problem::new(
                    StatusCode::CONFLICT,
                    "edit-conflict",
                    "The task changed on the server since the app last saw it",
                )
                .detail(format!(
                    "task {} is {} and assigned to {:?}; nothing was changed",
                    t.id, t.status, t.assigned_staff_id
                ))
                .versions(vocab::one::<_, TaskOut>(t)?, body.0),
            )),
        }
    }

    /// Give a task to someone else
    ///
    /// Any open task on an account the caller can see, to an active officer or team leader who
    /// can see that account too (their patch or cover; a team leader's team). Recorded in the
    /// diary and the audit log. With `base_updated_at` (an edit made offline), a task that
    /// changed since is a 409 with both versions, and nothing changes.
    #[oai(path = "/tasks/:id/reassign", method = "post")]
    async fn reassign_task(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        id: Path<i64>,
        body: Json<TaskReassign>,
    ) -> poem::Result<Answer<TaskOut, { OK | NOT_FOUND | CONFLICT | INVALID }>> {
        let staff = or_answer!(me(&state, &auth.0).await?);
        match officer::reassign_task(
            &state.db,
            &staff,
            id.0,
            body.staff_id,
            body.note.trim(),
            body.base_updated_at,
            state.today(),
            client_addr(remote).as_deref(),
            state.now(),
        )
        .await
        .map_err(|e| Problem::internal(&e))?
        {
            Ok(t) => Ok(Answer::Ok(Json(vocab::one(t)?))),
            Err(officer::ReassignRefused::NoTask) => Ok(Answer::problem(Problem::not_found(
                &format!("open task {}", id.0),
            ))),
            Err(officer::ReassignRefused::NotEligible) => Ok(Answer::problem(Problem::invalid(
                "staff_id",
                "not an active officer or team leader who can see this account",
            ))),
            Err(officer::ReassignRefused::Conflict(t)) => Ok(Answer::problem(
                Problem::new(
                    StatusCode::CONFLICT,
                    "edit-conflict",
                    "The task changed on the server since the app last saw it",
                )
                .detail(format!(
                    "task {} is {} and assigned to {:?}; nothing was changed",
                    t.id, t.status, t.assigned_staff_id
                ))
                .versions(vocab::one::<_, TaskOut>(*t)?, body.0),
            )),
        }
    }

    /// Set cover
    ///
    /// A team leader lends a patch to an officer for dates (holidays, sickness). Team leaders
    /// and admins only.
    #[oai(path = "/covers", method = "post")]
    async fn cover(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        auth: StaffAuth,
        body: Json<CoverIn>,
    ) -> poem::Result<Answer<CoverOut, { CREATED | FORBIDDEN | INVALID }>> {
        let staff = or_answer!(me(&state, &auth.0).await?);
        if !matches!(staff.role.as_str(), "team_leader" | "admin") {
            return Ok(Answer::problem(Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Only team leaders set cover",
            )));
        }
        let err = |e: sea_orm::DbErr| Problem::internal(&e);
        let mut errors = vec![];
        let p = patch::Entity::find()
            .filter(patch::Column::Code.eq(body.patch_code.as_str()))
            .one(&state.db)
            .await
            .map_err(err)?;
        let visible = rentdesk_store::staff::visible_patches(&state.db, &staff, state.today())
            .await
            .map_err(err)?;
        let p = p.filter(|p| visible.as_ref().is_none_or(|v| v.contains(&p.id)));
        if p.is_none() {
            errors.push((
                "patch_code".to_owned(),
                "no such patch in your team".to_owned(),
            ));
        }
        let officer_row = staff_user::Entity::find_by_id(body.officer_id)
            .one(&state.db)
            .await
            .map_err(err)?;
        if !officer_row.is_some_and(|o| o.active && o.role == "officer") {
            errors.push(("officer_id".to_owned(), "not an active officer".to_owned()));
        }
        if body.ends_on < body.starts_on {
            errors.push(("ends_on".to_owned(), "is before starts_on".to_owned()));
        }
        if let Some(problem) = invalid_fields(errors) {
            return Ok(Answer::problem(problem));
        }
        let p = p.expect("checked above");
        let c = officer::set_cover(
            &state.db,
            staff.id,
            cover::Model {
                id: 0,
                patch_id: p.id,
                officer_id: body.officer_id,
                starts_on: body.starts_on,
                ends_on: body.ends_on,
                set_by_staff_id: Some(staff.id),
                created_at: state.now(),
            },
            client_addr(remote).as_deref(),
        )
        .await
        .map_err(err)?;
        Ok(Answer::Created(Json(CoverOut {
            id: c.id,
            patch_code: p.code,
            officer_id: c.officer_id,
            starts_on: c.starts_on,
            ends_on: c.ends_on,
        })))
    }
}
