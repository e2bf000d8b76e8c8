//! `/manage/v1/campaigns`: targeted rent campaigns for team leaders and administrators —
//! segment preview, the campaign itself (channels, templates with A/B variants, schedule,
//! throttle, end date, control group), launch/pause/resume/cancel, live progress (JSON and a
//! server-sent event stream) and the outcome against the control group.
//!
//! A team leader reaches only their team's patches (`staff::visible_patches`) and sees only
//! their team's campaigns: anyone else's is 404.

use crate::api::ApiTags;
use crate::api::common::statuses::*;
use crate::api::common::{Answer, client_addr, invalid_fields};
use crate::api::officer::{StaffAuth, manager};
use crate::api::vocab::{self, CampaignStatus, UnknownValue};
use crate::or_answer;
use crate::problem::Problem;
use crate::state::AppState;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use futures::StreamExt;
use futures::stream::BoxStream;
use poem::web::{Data, RemoteAddr};
use poem_openapi::param::Path;
use poem_openapi::payload::{EventStream, Json};
use poem_openapi::{ApiResponse, Object, OpenApi};
use rentdesk_domain::campaigns::{
    GroupPayments, MAX_CONTROL_PERCENT, MAX_VARIANTS, OutcomeWindows, check_template, compare,
};
use rentdesk_domain::contact_policy::Channel;
use rentdesk_domain::segments::Segment;
use rentdesk_store::audit::{self, Actor};
use rentdesk_store::campaigns::{self as store, Definition, Refused};
use rentdesk_store::entities::{campaign, staff_user};
use sea_orm::EntityTrait;
use serde_json::json;
use std::collections::BTreeMap;
use std::str::FromStr;

/// The most messages per minute a campaign may be throttled to.
const MAX_THROTTLE: i64 = 100_000;
/// How often the progress stream looks for news.
const STREAM_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
/// A progress stream ends after this long; the client reconnects.
const STREAM_FOR: std::time::Duration = std::time::Duration::from_secs(30 * 60);

/// Message text per channel: 1 to 3 variants each (an A/B test when more than one), the same
/// number for every channel. Placeholders: `{first_name}`, `{landlord}`, `{app_link}`, and in
/// email only `{arrears}`. SMS gets "Reply STOP to opt out." added unless it says STOP.
#[derive(Debug, Clone, Object)]
pub struct CampaignTemplates {
    #[oai(skip_serializing_if_is_none)]
    pub sms: Option<Vec<String>>,
    #[oai(skip_serializing_if_is_none)]
    pub email: Option<Vec<String>>,
    #[oai(skip_serializing_if_is_none)]
    pub push: Option<Vec<String>>,
}

/// A campaign as a team leader defines it.
#[derive(Debug, Clone, Object)]
#[oai(example)]
pub struct CampaignInput {
    pub name: String,
    /// Criteria, all optional, all must hold: `arrears_min_pence`, `arrears_max_pence`,
    /// `arrears_weeks_min`, `arrears_weeks_max` (decimal weeks), `arrears_trend` (rising |
    /// falling | steady over 28 days), `tenures`, `patches` (codes), `officer_ids`,
    /// `uc_claim_within_days`, `hb_ended`, `payment_methods`, `exclude_payment_methods`,
    /// `arrangement` (none | active | broken), `stages`, `days_since_last_contact_min`,
    /// `days_since_last_contact_max`, `has_mobile`, `has_email`, `has_push`. Unknown fields
    /// and impossible ranges are refused, each named.
    pub segment: serde_json::Value,
    /// Channels in order of preference: sms | email | push. A tenant's own preferred channel
    /// goes first when it is listed.
    pub channels: Vec<vocab::Channel>,
    pub templates: CampaignTemplates,
    /// Start sending at (default: on launch).
    pub schedule_at: Option<DateTime<Utc>>,
    /// At most this many messages a minute (default: as fast as dispatch goes).
    pub throttle_per_minute: Option<i64>,
    /// Last day (Europe/London) anything is sent.
    pub ends_on: Option<NaiveDate>,
    /// Percent of contactable recipients held back as a control group (0–50, default 0).
    pub control_percent: Option<i64>,
}

impl poem_openapi::types::Example for CampaignInput {
    fn example() -> CampaignInput {
        CampaignInput {
            name: "Direct debit nudge, Nov 2026".into(),
            segment: json!({
                "arrears_weeks_min": 1,
                "arrears_weeks_max": 4,
                "exclude_payment_methods": ["direct_debit"],
                "has_mobile": true,
                "arrangement": "none"
            }),
            channels: vec![vocab::Channel::Sms, vocab::Channel::Email],
            templates: CampaignTemplates {
                sms: Some(vec![
                    "Hi {first_name}, {landlord} here. Paying by direct debit means one less thing to remember: {app_link}".into(),
                    "Hi {first_name}, set up a direct debit for your rent in two minutes: {app_link}".into(),
                ]),
                email: Some(vec![
                    "Hi {first_name},\n\nYou can now set up a direct debit for your rent in the app: {app_link}\n\n{landlord}".into(),
                    "Hi {first_name},\n\nYour rent account shows {arrears} owing. A direct debit keeps it on track: {app_link}\n\n{landlord}".into(),
                ]),
                push: None,
            },
            schedule_at: None,
            throttle_per_minute: Some(600),
            ends_on: NaiveDate::from_ymd_opt(2026, 12, 18),
            control_percent: Some(10),
        }
    }
}

#[derive(Debug, Object)]
pub struct SampleMessage {
    pub channel: vocab::Channel,
    /// 0-based variant index.
    pub variant: u32,
    pub tenancy_reference: String,
    pub body: String,
}

/// What a campaign would do if launched now.
#[derive(Debug, Object)]
#[oai(example)]
pub struct CampaignPreview {
    /// Accounts in your patches matching the segment.
    pub matched: u64,
    /// Matched accounts the contact policy will not let the campaign reach, by reason
    /// (breathing_space, no_automated_contact, channel_opted_out, no_contact_detail,
    /// contact_detail_invalid, weekly_cap_reached, account_closed).
    pub suppressed: BTreeMap<String, u64>,
    /// Matched accounts that can be reached: `matched` minus the suppressed.
    pub contactable: u64,
    /// Of those, the expected control group (the exact draw is made at launch).
    pub held_back_estimate: u64,
    /// Expected messages: `contactable` minus `held_back_estimate`.
    pub to_message: u64,
    /// Contactable accounts by the channel they would get it on.
    pub by_channel: BTreeMap<String, u64>,
    /// A few rendered messages per channel and variant.
    pub samples: Vec<SampleMessage>,
}

impl poem_openapi::types::Example for CampaignPreview {
    fn example() -> CampaignPreview {
        CampaignPreview {
            matched: 412,
            suppressed: BTreeMap::from([
                ("breathing_space".into(), 6),
                ("no_contact_detail".into(), 11),
                ("weekly_cap_reached".into(), 3),
            ]),
            contactable: 392,
            held_back_estimate: 39,
            to_message: 353,
            by_channel: BTreeMap::from([("sms".into(), 371), ("email".into(), 21)]),
            samples: vec![SampleMessage {
                channel: vocab::Channel::Sms,
                variant: 0,
                tenancy_reference: "HD1001".into(),
                body: "Hi Karen, Kirklees Homes here. Paying by direct debit means one less thing to remember: https://rentdesk.example/app Reply STOP to opt out.".into(),
            }],
        }
    }
}

/// Live counts.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(example)]
pub struct CampaignProgress {
    pub status: CampaignStatus,
    /// Every matched account has been planned (the fan-out finished).
    pub planned: bool,
    pub matched: u64,
    /// The control group: matched, reachable, and sent nothing.
    pub held_back: u64,
    pub queued: u64,
    /// Sent (delivered included).
    pub sent: u64,
    pub delivered: u64,
    pub failed: u64,
    /// Not sent, by the contact policy's reason (when planned or when due).
    pub suppressed: BTreeMap<String, u64>,
    /// Not sent because the campaign was cancelled (queued again on relaunch).
    pub cancelled: u64,
    /// Texts from recipients since launch.
    pub replies: u64,
    /// Of those, STOP.
    pub opt_outs: u64,
    /// Launched and still being planned: since when (null once planned, or before launch).
    pub planning_since: Option<DateTime<Utc>>,
    /// When the fan-out last planned a recipient (null before the first).
    pub last_progress_at: Option<DateTime<Utc>>,
    /// Planning has made no progress for 5 minutes: the worker queues it again by itself; if
    /// this stays true, the workers are not running.
    pub stuck: bool,
}

impl poem_openapi::types::Example for CampaignProgress {
    fn example() -> CampaignProgress {
        CampaignProgress {
            status: CampaignStatus::Running,
            planned: true,
            matched: 412,
            held_back: 39,
            queued: 120,
            sent: 233,
            delivered: 201,
            failed: 0,
            suppressed: BTreeMap::from([("breathing_space".into(), 6)]),
            cancelled: 0,
            replies: 4,
            opt_outs: 1,
            planning_since: None,
            last_progress_at: DateTime::parse_from_rfc3339("2026-12-07T10:02:41Z")
                .ok()
                .map(|t| t.with_timezone(&Utc)),
            stuck: false,
        }
    }
}

impl CampaignProgress {
    /// The progress of campaign `id`.
    fn read(id: i64, p: store::Progress) -> Result<CampaignProgress, UnknownValue> {
        Ok(CampaignProgress {
            status: CampaignStatus::from_stored(&p.status, "campaigns", id)?,
            planned: p.planned,
            matched: p.matched,
            held_back: p.held_back,
            queued: p.queued,
            sent: p.sent,
            delivered: p.delivered,
            failed: p.failed,
            suppressed: p.suppressed,
            cancelled: p.cancelled,
            replies: p.replies,
            opt_outs: p.opt_outs,
            planning_since: p.planning_since,
            last_progress_at: p.last_progress_at,
            stuck: p.stuck,
        })
    }
}

#[derive(Debug, Object)]
pub struct CampaignOut {
    pub id: i64,
    pub name: String,
    pub status: CampaignStatus,
    pub segment: serde_json::Value,
    pub channels: Vec<vocab::Channel>,
    pub templates: CampaignTemplates,
    pub schedule_at: Option<DateTime<Utc>>,
    pub throttle_per_minute: Option<i64>,
    pub ends_on: Option<NaiveDate>,
    pub control_percent: i64,
    pub launched_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub progress: CampaignProgress,
}

#[derive(Debug, Object)]
pub struct CampaignList {
    pub campaigns: Vec<CampaignOut>,
}

/// A group against the control group, with 95% confidence intervals.
#[derive(Debug, Object)]
pub struct VersusControl {
    /// Share who paid minus the control group's (0.05 = 5 points more).
    pub paid_rate_difference: f64,
    pub paid_rate_ci_low: f64,
    pub paid_rate_ci_high: f64,
    /// Mean paid per recipient minus the control group's (Welch interval).
    pub mean_paid_difference_pence: i64,
    pub mean_paid_ci_low_pence: i64,
    pub mean_paid_ci_high_pence: i64,
}

#[derive(Debug, Object)]
pub struct PaymentWindow {
    /// Recipients who paid anything in the window.
    pub payers: u64,
    pub paid_rate: f64,
    pub paid_pence: i64,
    /// Absent for the control group itself, or with fewer than 2 in either group.
    pub versus_control: Option<VersusControl>,
}

#[derive(Debug, Object)]
pub struct GroupOutcome {
    /// `control`, or `variant_0`, `variant_1`, … (recipients who were sent a message or are
    /// due one; suppressed recipients are in no group). Not an `enum`: the variants are
    /// numbered, so the pattern says what it can be.
    #[oai(validator(pattern = r"^(control|variant_[0-9]+)$"))]
    pub group: String,
    pub recipients: u64,
    pub within_7_days: PaymentWindow,
    pub within_14_days: PaymentWindow,
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct CampaignOutcome {
    pub campaign_id: i64,
    /// Windows start on the launch date (Europe/London); absent before launch.
    pub window_starts_on: Option<NaiveDate>,
    /// Whether the 7- and 14-day windows are over (before that the figures can still grow).
    pub complete_7_days: bool,
    pub complete_14_days: bool,
    pub groups: Vec<GroupOutcome>,
}

impl poem_openapi::types::Example for CampaignOutcome {
    fn example() -> CampaignOutcome {
        let window = |payers, rate, paid, vs: Option<VersusControl>| PaymentWindow {
            payers,
            paid_rate: rate,
            paid_pence: paid,
            versus_control: vs,
        };
        CampaignOutcome {
            campaign_id: 7,
            window_starts_on: NaiveDate::from_ymd_opt(2026, 11, 30),
            complete_7_days: true,
            complete_14_days: false,
            groups: vec![
                GroupOutcome {
                    group: "control".into(),
                    recipients: 40,
                    within_7_days: window(10, 0.25, 98_500, None),
                    within_14_days: window(14, 0.35, 140_000, None),
                },
                GroupOutcome {
                    group: "variant_0".into(),
                    recipients: 180,
                    within_7_days: window(
                        63,
                        0.35,
                        610_000,
                        Some(VersusControl {
                            paid_rate_difference: 0.1,
                            paid_rate_ci_low: -0.05,
                            paid_rate_ci_high: 0.25,
                            mean_paid_difference_pence: 926,
                            mean_paid_ci_low_pence: -310,
                            mean_paid_ci_high_pence: 2162,
                        }),
                    ),
                    within_14_days: window(70, 0.39, 700_000, None),
                },
            ],
        }
    }
}

#[derive(ApiResponse)]
pub enum ProgressStream {
    /// `text/event-stream`: a `CampaignProgress` JSON event now and whenever it changes,
    /// until the campaign is cancelled or finished (or after 30 minutes; reconnect).
    #[oai(status = 200)]
    Ok(EventStream<BoxStream<'static, CampaignProgress>>),
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>),
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
}

/// Field errors of a campaign definition, or the definition.
fn parse(
    input: &CampaignInput,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Definition, Problem> {
    let mut errors: Vec<(String, String)> = vec![];
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        errors.push(("name".into(), "1 to 200 characters".into()));
    }
    let segment = match Segment::parse(&input.segment) {
        Ok(s) => s,
        Err(es) => {
            errors.extend(es.into_iter().map(|e| (e.field, e.reason)));
            Segment::default()
        }
    };
    let mut channels = vec![];
    if input.channels.is_empty() {
        errors.push(("channels".into(), "at least one of sms, email, push".into()));
    }
    for (i, c) in input.channels.iter().enumerate() {
        let c = Channel::from(*c);
        if channels.contains(&c) {
            errors.push((format!("channels[{i}]"), "listed twice".into()));
        } else {
            channels.push(c);
        }
    }
    let mut templates = BTreeMap::new();
    let t = &input.templates;
    let mut counts = vec![];
    for (channel, given) in [
        (Channel::Sms, &t.sms),
        (Channel::Email, &t.email),
        (Channel::Push, &t.push),
    ] {
        let field = format!("templates.{}", channel.as_str());
        match given {
            None if channels.contains(&channel) => {
                errors.push((field, "a template for every channel listed".into()));
            }
            None => {}
            Some(_) if !channels.contains(&channel) => {
                errors.push((field, "this channel is not in `channels`".into()));
            }
            Some(v) if v.is_empty() || v.len() > MAX_VARIANTS => {
                errors.push((field, format!("1 to {MAX_VARIANTS} variants")));
            }
            Some(v) => {
                for (i, text) in v.iter().enumerate() {
                    for reason in check_template(channel, text) {
                        errors.push((format!("{field}[{i}]"), reason));
                    }
                }
                counts.push((channel, v.len()));
                templates.insert(channel, v.clone());
            }
        }
    }
    if let Some(&(first, n)) = counts.first() {
        for &(c, m) in &counts[1..] {
            if m != n {
                errors.push((
                    format!("templates.{}", c.as_str()),
                    format!(
                        "{m} variants but {} has {n}: every channel needs the same number, so each recipient's variant means one thing",
                        first.as_str()
                    ),
                ));
            }
        }
    }
    if let Some(at) = input.schedule_at
        && at < now - Duration::minutes(5)
    {
        errors.push(("schedule_at".into(), "in the past".into()));
    }
    let throttle = match input.throttle_per_minute {
        None => None,
        Some(n) if (1..=MAX_THROTTLE).contains(&n) => Some(n as u32),
        Some(_) => {
            errors.push((
                "throttle_per_minute".into(),
                format!("1 to {MAX_THROTTLE} messages a minute"),
            ));
            None
        }
    };
    if let Some(end) = input.ends_on {
        let start = input
            .schedule_at
            .map_or(today, rentdesk_domain::time::london_date)
            .max(today);
        if end < start {
            errors.push((
                "ends_on".into(),
                "before the campaign starts: nothing could be sent".into(),
            ));
        }
    }
    let control = input.control_percent.unwrap_or(0);
    if !(0..=i64::from(MAX_CONTROL_PERCENT)).contains(&control) {
        errors.push((
            "control_percent".into(),
            format!("0 to {MAX_CONTROL_PERCENT}"),
        ));
    }
    if let Some(p) = invalid_fields(errors) {
        return Err(p);
    }
    Ok(Definition {
        name,
        segment,
        channels,
        templates,
        schedule_at: input.schedule_at,
        throttle_per_minute: throttle,
        ends_on: input.ends_on,
        control_percent: control as u32,
    })
}

fn internal(e: impl std::fmt::Display) -> poem::Error {
    Problem::internal(&e).into()
}

fn not_found(id: i64) -> Problem {
    Problem::not_found(&format!("campaign {id}"))
}

/// The definition checked, including that every patch it names is one of the caller's.
async fn definition(
    state: &AppState,
    staff: &staff_user::Model,
    input: &CampaignInput,
) -> poem::Result<Result<Definition, Problem>> {
    let today = state.today();
    let def = match parse(input, today, state.now()) {
        Ok(d) => d,
        Err(p) => return Ok(Err(p)),
    };
    let patches = rentdesk_store::staff::visible_patches(&state.db, staff, today)
        .await
        .map_err(internal)?;
    let unknown = store::unknown_patches(&state.db, &def.segment.patches, patches.as_ref())
        .await
        .map_err(internal)?;
    if !unknown.is_empty() {
        return Ok(Err(Problem::invalid(
            "segment.patches",
            format!("not among your patches: {}", unknown.join(", ")),
        )));
    }
    Ok(Ok(def))
}

async fn out(state: &AppState, c: campaign::Model) -> poem::Result<CampaignOut> {
    out_read(state, c).await?.map_err(internal)
}

/// The campaign, or the stored value that does not read (a list leaves that campaign out).
async fn out_read(
    state: &AppState,
    c: campaign::Model,
) -> poem::Result<Result<CampaignOut, UnknownValue>> {
    let now = state.now();
    let def = Definition::from_model(&c).map_err(internal)?;
    let progress = store::progress(&state.db, &c, now)
        .await
        .map_err(internal)?;
    let list = |ch: Channel| def.templates.get(&ch).cloned();
    let (status, progress) = match (
        CampaignStatus::from_stored(store::effective_status(&c, now), "campaigns", c.id),
        CampaignProgress::read(c.id, progress),
    ) {
        (Ok(s), Ok(p)) => (s, p),
        (Err(e), _) | (_, Err(e)) => return Ok(Err(e)),
    };
    Ok(Ok(CampaignOut {
        id: c.id,
        name: c.name.clone(),
        status,
        segment: def.segment.to_json(),
        channels: def.channels.iter().map(|&c| c.into()).collect(),
        templates: CampaignTemplates {
            sms: list(Channel::Sms),
            email: list(Channel::Email),
            push: list(Channel::Push),
        },
        schedule_at: c.schedule_at,
        throttle_per_minute: c.throttle_per_minute.map(i64::from),
        ends_on: c.ends_on,
        control_percent: i64::from(c.control_percent),
        launched_at: c.launched_at,
        created_at: c.created_at,
        progress,
    }))
}

async fn audit_campaign(
    state: &AppState,
    staff: &staff_user::Model,
    action: &str,
    id: Option<i64>,
    detail: Option<String>,
    addr: Option<&str>,
) -> poem::Result<()> {
    audit::record(
        &state.db,
        audit::Entry {
            actor: Actor::Staff(staff.id),
            action,
            subject_kind: "campaign",
            subject_id: id.map(|i| i.to_string()),
            detail,
            client_addr: addr,
        },
    )
    .await
    .map_err(internal)
}

/// Load a campaign the caller may see.
async fn find(
    state: &AppState,
    staff: &staff_user::Model,
    id: i64,
) -> poem::Result<Result<campaign::Model, Problem>> {
    Ok(store::visible(&state.db, staff, id)
        .await
        .map_err(internal)?
        .ok_or_else(|| not_found(id)))
}

fn window(g: &GroupPayments, control: Option<&GroupPayments>) -> PaymentWindow {
    PaymentWindow {
        payers: g.payers,
        paid_rate: g.rate(),
        paid_pence: g.paid,
        versus_control: control.and_then(|c| compare(g, c)).map(|d| VersusControl {
            paid_rate_difference: d.rate,
            paid_rate_ci_low: d.rate_ci.0,
            paid_rate_ci_high: d.rate_ci.1,
            mean_paid_difference_pence: d.mean_paid.0,
            mean_paid_ci_low_pence: d.mean_paid_ci.0.0,
            mean_paid_ci_high_pence: d.mean_paid_ci.1.0,
        }),
    }
}

/// What a team leader does with campaigns, for the API below and the console
/// (`crate::console::campaigns`): one place for each rule.
pub(crate) mod use_cases {
    use super::*;

    /// What a campaign would do if launched now (checked, computed, audited as a read of the
    /// tenants whose names the samples quote).
    pub(crate) async fn preview(
        state: &AppState,
        staff: &staff_user::Model,
        input: &CampaignInput,
        addr: Option<&str>,
    ) -> poem::Result<Result<CampaignPreview, Problem>> {
        let def = match definition(state, staff, input).await? {
            Ok(d) => d,
            Err(p) => return Ok(Err(p)),
        };
        let today = state.today();
        let patches = rentdesk_store::staff::visible_patches(&state.db, staff, today)
            .await
            .map_err(internal)?;
        let p = store::preview(
            &state.db,
            &def,
            patches.as_ref(),
            today,
            state.now(),
            &state.settings.policy.contact_policy,
        )
        .await
        .map_err(internal)?;
        audit_campaign(
            state,
            staff,
            "campaign.preview",
            None,
            Some(format!("matched {}", p.matched)),
            addr,
        )
        .await?;
        Ok(Ok(CampaignPreview {
            matched: p.matched,
            suppressed: p.suppressed,
            contactable: p.contactable,
            held_back_estimate: p.held_back_estimate,
            to_message: p.contactable - p.held_back_estimate,
            by_channel: p.by_channel,
            samples: p
                .samples
                .into_iter()
                .map(|s| {
                    Ok(SampleMessage {
                        channel: Channel::from_str(&s.channel).map_err(internal)?.into(),
                        variant: s.variant as u32,
                        tenancy_reference: s.tenancy_reference,
                        body: s.body,
                    })
                })
                .collect::<poem::Result<_>>()?,
        }))
    }

    /// Store a draft.
    pub(crate) async fn create(
        state: &AppState,
        staff: &staff_user::Model,
        input: &CampaignInput,
        addr: Option<&str>,
    ) -> poem::Result<Result<CampaignOut, Problem>> {
        let def = match definition(state, staff, input).await? {
            Ok(d) => d,
            Err(p) => return Ok(Err(p)),
        };
        let c = store::create(&state.db, &def, staff, state.now())
            .await
            .map_err(internal)?;
        audit_campaign(
            state,
            staff,
            "campaign.create",
            Some(c.id),
            Some(c.name.clone()),
            addr,
        )
        .await?;
        Ok(Ok(out(state, c).await?))
    }

    /// The caller's team's campaigns, newest first.
    pub(crate) async fn list(
        state: &AppState,
        staff: &staff_user::Model,
    ) -> poem::Result<Vec<CampaignOut>> {
        let mut campaigns = vec![];
        for c in store::list(&state.db, staff).await.map_err(internal)? {
            match out_read(state, c).await? {
                Ok(c) => campaigns.push(c),
                Err(e) => tracing::error!("row left out of a list: {e}"),
            }
        }
        Ok(campaigns)
    }

    /// One campaign the caller may see, with its progress.
    pub(crate) async fn get(
        state: &AppState,
        staff: &staff_user::Model,
        id: i64,
    ) -> poem::Result<Result<CampaignOut, Problem>> {
        Ok(match find(state, staff, id).await? {
            Ok(c) => Ok(out(state, c).await?),
            Err(p) => Err(p),
        })
    }

    /// Launch, pause, resume or cancel, audited.
    pub(crate) async fn change(
        state: &AppState,
        staff: &staff_user::Model,
        id: i64,
        what: Change,
        addr: Option<&str>,
    ) -> poem::Result<Result<CampaignOut, Problem>> {
        let c = match find(state, staff, id).await? {
            Ok(c) => c,
            Err(p) => return Ok(Err(p)),
        };
        let now = state.now();
        let done = match what {
            Change::Launch => store::launch(&state.db, &c, now).await,
            Change::Pause => store::pause(&state.db, &c, now).await,
            Change::Resume => store::resume(&state.db, &c, now).await,
            Change::Cancel => store::cancel(&state.db, &c, now).await,
        }
        .map_err(internal)?;
        let c = match done {
            Ok(c) => c,
            Err(Refused::NotFound) => return Ok(Err(not_found(id))),
            Err(Refused::Conflict(why)) => {
                return Ok(Err(Problem::new(
                    poem::http::StatusCode::CONFLICT,
                    "campaign-state",
                    "The campaign's state does not allow that",
                )
                .detail(why)));
            }
        };
        if what == Change::Launch {
            // Launched is stored: if the queue is down, the sweep plans it once it is back.
            rentdesk_jobs::Queues::wake(
                "campaign-fan-out",
                state.queues.enqueue_campaign_fan_out(c.id),
            )
            .await;
        }
        audit_campaign(
            state,
            staff,
            &format!("campaign.{}", what.as_str()),
            Some(c.id),
            None,
            addr,
        )
        .await?;
        Ok(Ok(out(state, c).await?))
    }

    /// The outcome against the control group.
    pub(crate) async fn outcome(
        state: &AppState,
        staff: &staff_user::Model,
        id: i64,
    ) -> poem::Result<Result<CampaignOutcome, Problem>> {
        let c = match find(state, staff, id).await? {
            Ok(c) => c,
            Err(p) => return Ok(Err(p)),
        };
        let (start, groups) = store::outcome(&state.db, &c).await.map_err(internal)?;
        let control = groups.iter().find(|g| g.group == "control").cloned();
        let today = state.today();
        let (complete_7_days, complete_14_days) = start
            .map(|s| OutcomeWindows::from_launch(s).complete(today))
            .unwrap_or_default();
        Ok(Ok(CampaignOutcome {
            campaign_id: c.id,
            window_starts_on: start,
            complete_7_days,
            complete_14_days,
            groups: groups
                .iter()
                .map(|g| {
                    let is_control = g.group == "control";
                    let vs = |w: fn(&store::GroupOutcome) -> &GroupPayments| {
                        control.as_ref().filter(|_| !is_control).map(|c| *w(c))
                    };
                    GroupOutcome {
                        group: g.group.clone(),
                        recipients: g.within_7_days.recipients,
                        within_7_days: window(&g.within_7_days, vs(|c| &c.within_7_days).as_ref()),
                        within_14_days: window(
                            &g.within_14_days,
                            vs(|c| &c.within_14_days).as_ref(),
                        ),
                    }
                })
                .collect(),
        }))
    }

    /// The campaign's progress now, then whenever its counts change, until it is cancelled or
    /// finished (or [`STREAM_FOR`] has passed). The caller has already checked it may see it.
    pub(crate) fn progress_events(
        state: &AppState,
        id: i64,
    ) -> BoxStream<'static, CampaignProgress> {
        let db = state.db.clone();
        let clock = state.clock.clone();
        let started = std::time::Instant::now();
        // (campaign id, last event sent, whether to wait before looking again, done)
        futures::stream::unfold(
            (id, None::<CampaignProgress>, false, false),
            move |(id, last, wait, done)| {
                let db = db.clone();
                let clock = clock.clone();
                async move {
                    if done {
                        return None;
                    }
                    let mut wait = wait;
                    loop {
                        if wait {
                            tokio::time::sleep(STREAM_EVERY).await;
                        }
                        wait = true;
                        let row = campaign::Entity::find_by_id(id).one(&db).await.ok()??;
                        let p = store::progress(&db, &row, clock.now()).await.ok()?;
                        let p = CampaignProgress::read(id, p)
                            .inspect_err(|e| tracing::error!("progress stream ended: {e}"))
                            .ok()?;
                        let over = matches!(
                            p.status,
                            CampaignStatus::Cancelled | CampaignStatus::Finished
                        ) || started.elapsed() >= STREAM_FOR;
                        if last.as_ref() != Some(&p) || over {
                            return Some((p.clone(), (id, Some(p), true, over)));
                        }
                    }
                }
            },
        )
        .boxed()
    }

    /// Load a campaign the caller may see (404 otherwise).
    pub(crate) async fn visible(
        state: &AppState,
        staff: &staff_user::Model,
        id: i64,
    ) -> poem::Result<Result<campaign::Model, Problem>> {
        find(state, staff, id).await
    }
}

/// What a team leader may do to a campaign once it exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    Launch,
    Pause,
    Resume,
    Cancel,
}

impl Change {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Change::Launch => "launch",
            Change::Pause => "pause",
            Change::Resume => "resume",
            Change::Cancel => "cancel",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Change> {
        [
            Change::Launch,
            Change::Pause,
            Change::Resume,
            Change::Cancel,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

pub struct CampaignsApi;

#[OpenApi(prefix_path = "/manage/v1", tag = "ApiTags::Manage")]
impl CampaignsApi {
    /// Preview a campaign
    ///
    /// How many accounts in your patches the segment matches, how many the contact policy
    /// would not let it reach and why (Breathing Space, no automated contact, opted out, no
    /// valid contact detail, weekly cap reached), the expected control group, and a few
    /// rendered messages per channel and variant. Nothing is stored or sent.
    #[oai(path = "/campaigns/preview", method = "post")]
    async fn preview(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        remote: &RemoteAddr,
        body: Json<CampaignInput>,
    ) -> poem::Result<Answer<CampaignPreview, { OK | FORBIDDEN | INVALID }>> {
        let staff = or_answer!(manager(&state, &auth.0).await?);
        let p = or_answer!(
            use_cases::preview(&state, &staff, &body, client_addr(remote).as_deref()).await?
        );
        Ok(Answer::Ok(Json(p)))
    }

    /// Create a campaign (as a draft)
    #[oai(path = "/campaigns", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        remote: &RemoteAddr,
        body: Json<CampaignInput>,
    ) -> poem::Result<Answer<CampaignOut, { CREATED | FORBIDDEN | INVALID }>> {
        let staff = or_answer!(manager(&state, &auth.0).await?);
        let c = or_answer!(
            use_cases::create(&state, &staff, &body, client_addr(remote).as_deref()).await?
        );
        Ok(Answer::Created(Json(c)))
    }

    /// Your team's campaigns, newest first
    #[oai(path = "/campaigns", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
    ) -> poem::Result<Answer<CampaignList, { OK | FORBIDDEN }>> {
        let staff = or_answer!(manager(&state, &auth.0).await?);
        let campaigns = use_cases::list(&state, &staff).await?;
        Ok(Answer::Ok(Json(CampaignList { campaigns })))
    }

    /// A campaign with its live progress
    #[oai(path = "/campaigns/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        id: Path<i64>,
    ) -> poem::Result<Answer<CampaignOut, { OK | FORBIDDEN | NOT_FOUND }>> {
        let staff = or_answer!(manager(&state, &auth.0).await?);
        let c = or_answer!(use_cases::get(&state, &staff, id.0).await?);
        Ok(Answer::Ok(Json(c)))
    }

    /// Launch (or relaunch after a cancel)
    ///
    /// Plans every matched account in the background (see `progress.planned`) through the
    /// contact policy, holding back the control group, and sends through the same dispatch as
    /// early intervention, within the throttle, from `schedule_at`. A relaunch never sends to
    /// anyone already sent to. 409 unless draft or cancelled.
    #[oai(path = "/campaigns/:id/launch", method = "post")]
    async fn launch(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        remote: &RemoteAddr,
        id: Path<i64>,
    ) -> poem::Result<Answer<CampaignOut, { OK | FORBIDDEN | NOT_FOUND | CONFLICT }>> {
        self.change(&state, &auth, remote, id.0, Change::Launch)
            .await
    }

    /// Pause: nothing more is sent until resumed
    #[oai(path = "/campaigns/:id/pause", method = "post")]
    async fn pause(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        remote: &RemoteAddr,
        id: Path<i64>,
    ) -> poem::Result<Answer<CampaignOut, { OK | FORBIDDEN | NOT_FOUND | CONFLICT }>> {
        self.change(&state, &auth, remote, id.0, Change::Pause)
            .await
    }

    /// Resume a paused campaign
    #[oai(path = "/campaigns/:id/resume", method = "post")]
    async fn resume(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        remote: &RemoteAddr,
        id: Path<i64>,
    ) -> poem::Result<Answer<CampaignOut, { OK | FORBIDDEN | NOT_FOUND | CONFLICT }>> {
        self.change(&state, &auth, remote, id.0, Change::Resume)
            .await
    }

    /// Cancel: nothing more is sent; unsent messages are marked cancelled
    #[oai(path = "/campaigns/:id/cancel", method = "post")]
    async fn cancel(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        remote: &RemoteAddr,
        id: Path<i64>,
    ) -> poem::Result<Answer<CampaignOut, { OK | FORBIDDEN | NOT_FOUND | CONFLICT }>> {
        self.change(&state, &auth, remote, id.0, Change::Cancel)
            .await
    }

    /// Live progress
    ///
    /// Matched, held back, queued, sent, delivered, failed, suppressed by reason, cancelled,
    /// replies and opt-outs.
    #[oai(path = "/campaigns/:id/progress", method = "get")]
    async fn progress(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        id: Path<i64>,
    ) -> poem::Result<Answer<CampaignProgress, { OK | FORBIDDEN | NOT_FOUND }>> {
        let staff = or_answer!(manager(&state, &auth.0).await?);
        let c = or_answer!(find(&state, &staff, id.0).await?);
        let p = store::progress(&state.db, &c, state.now())
            .await
            .map_err(internal)?;
        Ok(Answer::Ok(Json(
            CampaignProgress::read(c.id, p).map_err(internal)?,
        )))
    }

    /// Live progress as server-sent events
    ///
    /// One `CampaignProgress` event at once, then one whenever the counts change, until the
    /// campaign is cancelled or finished.
    #[oai(path = "/campaigns/:id/progress/stream", method = "get")]
    async fn progress_stream(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        id: Path<i64>,
    ) -> poem::Result<ProgressStream> {
        let staff = match manager(&state, &auth.0).await? {
            Ok(s) => s,
            Err(p) if p.status == 401 => return Ok(ProgressStream::Unauthorized(Json(p))),
            Err(p) => return Ok(ProgressStream::Forbidden(Json(p))),
        };
        let c = match find(&state, &staff, id.0).await? {
            Ok(c) => c,
            Err(p) => return Ok(ProgressStream::NotFound(Json(p))),
        };
        Ok(ProgressStream::Ok(EventStream::new(
            use_cases::progress_events(&state, c.id),
        )))
    }

    /// Outcome against the control group
    ///
    /// For each variant and the control group: how many recipients paid within 7 and 14 days
    /// of the launch date and how much, and each variant's difference to control with a 95%
    /// confidence interval (normal approximation for the share who paid, Welch for the
    /// amount per recipient).
    #[oai(path = "/campaigns/:id/outcome", method = "get")]
    async fn outcome(
        &self,
        state: Data<&AppState>,
        auth: StaffAuth,
        id: Path<i64>,
    ) -> poem::Result<Answer<CampaignOutcome, { OK | FORBIDDEN | NOT_FOUND }>> {
        let staff = or_answer!(manager(&state, &auth.0).await?);
        let o = or_answer!(use_cases::outcome(&state, &staff, id.0).await?);
        Ok(Answer::Ok(Json(o)))
    }
}

impl CampaignsApi {
    /// Launch, pause, resume or cancel, audited.
    async fn change<const S: u16>(
        &self,
        state: &AppState,
        auth: &StaffAuth,
        remote: &RemoteAddr,
        id: i64,
        what: Change,
    ) -> poem::Result<Answer<CampaignOut, S>> {
        let staff = or_answer!(manager(state, &auth.0).await?);
        let c = or_answer!(
            use_cases::change(state, &staff, id, what, client_addr(remote).as_deref()).await?
        );
        Ok(Answer::Ok(Json(c)))
    }
}
