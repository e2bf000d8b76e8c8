//! Targeted campaigns (issue 6): a team leader's segment, previewed, then fanned out into the
//! same message rows early intervention writes — each through `domain::contact_policy`, under
//! the key `campaign:{id}:tenancy:{tid}` (unique, so a retried or relaunched fan-out never
//! plans anyone twice) — and sent by the same dispatch job, which claims a campaign's messages
//! only while it runs and within its per-minute throttle (see `outbox::claim_due`).
//!
//! Who is in the segment is decided by `domain::segments`; who is held back and which variant
//! each recipient gets by `domain::campaigns::assign`, recorded in `campaign_recipients`.

use crate::entities::{
    action, campaign, campaign_recipient, case, message, patch, staff_user, transaction,
};
use crate::evaluation::{LoadedAccount, Scope, load_accounts};
use crate::outreach::{
    Contacts, Content, Origin, choose_channel, facts_for, load_contacts, record_once,
};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rentdesk_domain::Pence;
use rentdesk_domain::arrears::summarise;
use rentdesk_domain::benefits::BENEFIT_GRACE_DAYS;
use rentdesk_domain::campaigns::{
    Assignment, CampaignContext, GroupPayments, OutcomeWindows, assign, render,
};
use rentdesk_domain::contact_policy::{
    Channel, ContactFacts, ContactPolicy, Decision, SuppressReason,
};
use rentdesk_domain::ledger::PaymentMethod;
use rentdesk_domain::outreach::{triggers, types::HB_STOPPED};
use rentdesk_domain::possession::types::Stage;
use rentdesk_domain::segments::{ArrangementState, Segment, SegmentFacts, TREND_DAYS};
use rentdesk_domain::templates::Language;
use rentdesk_domain::tenancy::Tenure;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::str::FromStr;

/// Accounts loaded and planned at once.
const CHUNK: usize = 1000;
/// Sample messages shown per channel and variant in a preview.
const SAMPLES: usize = 2;
/// The message template name campaign messages carry.
pub const TEMPLATE: &str = "campaign";

/// Every status a campaign has (`effective_status` adds `finished` to what is stored). The
/// API's `CampaignStatus` lists the same.
pub const STATUSES: [&str; 6] = [
    "draft",
    "scheduled",
    "running",
    "paused",
    "cancelled",
    "finished",
];

/// A campaign as its author defines it, already checked (the API parses it).
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    pub name: String,
    pub segment: Segment,
    /// In order of preference (a tenant's own preferred channel goes first if listed).
    pub channels: Vec<Channel>,
    /// Per channel, 1 to 3 variants; every channel has the same number.
    pub templates: BTreeMap<Channel, Vec<String>>,
    pub schedule_at: Option<DateTime<Utc>>,
    pub throttle_per_minute: Option<u32>,
    pub ends_on: Option<NaiveDate>,
    pub control_percent: u32,
}

impl Definition {
    pub fn variants(&self) -> usize {
        self.templates
            .values()
            .map(Vec::len)
            .max()
            .unwrap_or(1)
            .max(1)
    }

    pub fn from_model(c: &campaign::Model) -> anyhow::Result<Definition> {
        let templates: BTreeMap<String, Vec<String>> = serde_json::from_str(&c.templates)?;
        Ok(Definition {
            name: c.name.clone(),
            segment: serde_json::from_str(&c.segment)?,
            channels: serde_json::from_str::<Vec<String>>(&c.channels)?
                .iter()
                .filter_map(|s| Channel::from_str(s).ok())
                .collect(),
            templates: templates
                .into_iter()
                .filter_map(|(k, v)| Channel::from_str(&k).ok().map(|c| (c, v)))
                .collect(),
            schedule_at: c.schedule_at,
            throttle_per_minute: c.throttle_per_minute.map(|t| t.max(0) as u32),
            ends_on: c.ends_on,
            control_percent: c.control_percent.max(0) as u32,
        })
    }
}

/// Per-chunk lookups beyond the accounts themselves.
struct Extra {
    patches: HashMap<i64, patch::Model>,
    stages: HashMap<i64, Stage>,
    last_contact: HashMap<i64, NaiveDate>,
}

async fn load_extra(
    db: &DatabaseConnection,
    scope: &Scope<'_>,
    today: NaiveDate,
) -> Result<Extra, sea_orm::DbErr> {
    let patches = patch::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let parse = |s: &str| Stage::ALL.iter().copied().find(|st| st.as_str() == s);
    let mut stages: HashMap<i64, Stage> = HashMap::new();
    // A stage reached after `today` was not the account's stage then: a back-dated run (a
    // campaign launched with the clock moved back) reads the stage it had, from the diary.
    let mut later: Vec<i64> = vec![];
    for c in case::Entity::find()
        .filter(scope.of(case::Column::TenancyId))
        .all(db)
        .await?
    {
        if c.stage_since > today {
            later.push(c.tenancy_id);
        } else {
            stages.insert(c.tenancy_id, parse(&c.stage).unwrap_or(Stage::None));
        }
    }
    if !later.is_empty() {
        let until = rentdesk_domain::time::london_day_start(today + Duration::days(1));
        let mut at: HashMap<i64, (DateTime<Utc>, i64)> = HashMap::new();
        for a in action::Entity::find()
            .filter(action::Column::TenancyId.is_in(later.iter().copied()))
            .filter(action::Column::Kind.is_in([
                crate::vocab::ActionKind::Stage,
                crate::vocab::ActionKind::Notice,
            ]))
            .filter(action::Column::OccurredAt.lt(until))
            .all(db)
            .await?
        {
            let Some(stage) = a.outcome.as_deref().and_then(parse) else {
                continue;
            };
            let key = (a.occurred_at, a.id);
            if at.get(&a.tenancy_id).is_none_or(|k| key > *k) {
                at.insert(a.tenancy_id, key);
                stages.insert(a.tenancy_id, stage);
            }
        }
    }
    let last_contact = crate::caseload::last_contacts(db, scope, today).await?;
    Ok(Extra {
        patches,
        stages,
        last_contact,
    })
}

fn segment_facts(
    a: &LoadedAccount,
    contacts: &Contacts,
    extra: &Extra,
    cf: &ContactFacts,
    today: NaiveDate,
) -> Option<SegmentFacts> {
    let t = &a.tenancy;
    let patch = t.patch_id.and_then(|p| extra.patches.get(&p));
    let before = summarise(&a.facts, &a.entries, today - Duration::days(TREND_DAYS));
    let arrangement = match contacts.arrangements.get(&t.id) {
        None => ArrangementState::None,
        Some(a) if a.status == "broken" => ArrangementState::Broken,
        Some(_) => ArrangementState::Active,
    };
    let hb_ended = a.facts.benefit.as_ref().is_some_and(|income| {
        triggers::hb_change(income, &a.entries, today, BENEFIT_GRACE_DAYS)
            .is_some_and(|tr| tr.rule == HB_STOPPED)
    });
    Some(SegmentFacts {
        real_arrears: a.summary.real_arrears,
        weeks_in_arrears_hundredths: a.summary.weeks_in_arrears_hundredths,
        real_arrears_before: before.real_arrears,
        tenure: Tenure::from_str(&t.tenure).ok()?,
        patch: patch.map(|p| p.code.clone()),
        officer_id: patch.and_then(|p| p.officer_id),
        uc_claim_start: a
            .claim
            .as_ref()
            .filter(|c| c.ended_on.is_none())
            .map(|c| c.claim_start),
        hb_ended,
        payment_method: PaymentMethod::from_str(&t.payment_method).ok()?,
        arrangement,
        stage: extra.stages.get(&t.id).copied().unwrap_or(Stage::None),
        last_contact: extra.last_contact.get(&t.id).copied(),
        has_mobile: cf.sms.present && !cf.sms.invalid,
        has_email: cf.email.present && !cf.email.invalid,
        has_push: cf.push.present,
    })
}

/// The tenancy ids in `patches` (every tenancy for `None`), sorted.
async fn audience_ids(
    db: &DatabaseConnection,
    patches: Option<&BTreeSet<i64>>,
) -> Result<Vec<i64>, sea_orm::DbErr> {
    let mut ids = crate::staff::tenancies_in(db, patches).await?;
    ids.sort_unstable();
    Ok(ids)
}

/// The patches a campaign reaches: its author's, as they stand today (`None` = all).
pub async fn scope_of(
    db: &DatabaseConnection,
    c: &campaign::Model,
    today: NaiveDate,
) -> Result<Option<BTreeSet<i64>>, sea_orm::DbErr> {
    let author = match c.created_by {
        Some(id) => staff_user::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    match author {
        Some(a) => crate::staff::visible_patches(db, &a, today).await,
        // Nobody left to speak for it: it reaches nobody.
        None => Ok(Some(BTreeSet::new())),
    }
}

/// Segment patch codes that are not patches `visible` holds (`None` = all exist ones).
pub async fn unknown_patches(
    db: &DatabaseConnection,
    codes: &[String],
    visible: Option<&BTreeSet<i64>>,
) -> Result<Vec<String>, sea_orm::DbErr> {
    if codes.is_empty() {
        return Ok(vec![]);
    }
    let known: HashSet<String> = patch::Entity::find()
        .filter(patch::Column::Code.is_in(codes.iter().cloned()))
        .all(db)
        .await?
        .into_iter()
        .filter(|p| visible.is_none_or(|v| v.contains(&p.id)))
        .map(|p| p.code)
        .collect();
    Ok(codes
        .iter()
        .filter(|c| !known.contains(*c))
        .cloned()
        .collect())
}

/// The channel (if any) and the contact policy's word for one campaign recipient at `at`.
///
/// A campaign message is optional contact: when the weekly cap on automated contacts is what
/// holds it back, it is not sent at all (`weekly_cap_reached`) rather than queued for days.
fn decide_for(
    def: &Definition,
    contacts: &Contacts,
    tenancy_id: i64,
    cf: &ContactFacts,
    policy: &ContactPolicy,
    at: DateTime<Utc>,
) -> (Channel, Decision) {
    // The campaign's channels, the tenant's own preferred one first if it is among them.
    let preferred = contacts
        .lead
        .get(&tenancy_id)
        .and_then(|p| p.preferred_channel.as_deref())
        .and_then(|c| Channel::from_str(c).ok());
    let mut channels = def.channels.clone();
    if let Some(p) = preferred
        && let Some(i) = channels.iter().position(|c| *c == p)
    {
        let c = channels.remove(i);
        channels.insert(0, c);
    }
    let (channel, decision) = choose_channel(policy, cf, &channels, true, at);
    if let Decision::DeferUntil(later) = decision {
        let without_cap = ContactFacts {
            recent_automated_contacts: vec![],
            ..cf.clone()
        };
        let (_, uncapped) = choose_channel(policy, &without_cap, &[channel], true, at);
        let sooner = match uncapped {
            Decision::Send => true,
            Decision::DeferUntil(t) => t < later,
            Decision::Suppress(_) => false,
        };
        if sooner {
            return (
                channel,
                Decision::Suppress(SuppressReason::WeeklyCapReached),
            );
        }
    }
    (channel, decision)
}

fn context(contacts: &Contacts, a: &LoadedAccount, policy: &ContactPolicy) -> CampaignContext {
    let person = contacts.lead.get(&a.tenancy.id);
    CampaignContext {
        first_name: person
            .and_then(|p| p.full_name.split_whitespace().next().map(str::to_owned))
            .unwrap_or_else(|| "there".into()),
        landlord: policy.landlord_name.clone(),
        app_link: policy.app_link.clone(),
        arrears: a.summary.real_arrears.max(Pence::ZERO),
        language: person.map_or(Language::English, |p| Language::from_code(&p.language)),
    }
}

/// What a campaign would do, before it is launched.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Preview {
    /// Accounts in the caller's patches that match the segment.
    pub matched: u64,
    /// Matched accounts the contact policy would not let the campaign reach, by reason.
    pub suppressed: BTreeMap<String, u64>,
    /// Contactable accounts expected to be held back as the control group (the exact draw
    /// depends on the campaign's id, so this is the expected share).
    pub held_back_estimate: u64,
    /// Contactable accounts that would get a message (including the expected control group).
    pub contactable: u64,
    /// Contactable accounts by the channel they would get it on.
    pub by_channel: BTreeMap<String, u64>,
    pub samples: Vec<Sample>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Sample {
    pub channel: String,
    /// 0-based variant index.
    pub variant: usize,
    pub tenancy_reference: String,
    pub body: String,
}

/// Count and sample what `def` would do across `patches` (`None` = all) at `now`.
pub async fn preview(
    db: &DatabaseConnection,
    def: &Definition,
    patches: Option<&BTreeSet<i64>>,
    today: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
    policy: &ContactPolicy,
) -> anyhow::Result<Preview> {
    let at = def.schedule_at.map_or(now, |s| s.max(now));
    let ids = audience_ids(db, patches).await?;
    let mut p = Preview::default();
    let mut samples: BTreeMap<(Channel, usize), Vec<Sample>> = BTreeMap::new();
    for chunk in ids.chunks(CHUNK) {
        let scope = Scope::new(chunk);
        let accounts = load_accounts(db, &scope, today).await?;
        let contacts = load_contacts(db, &scope, now, &HashSet::new()).await?;
        let extra = load_extra(db, &scope, today).await?;
        for a in &accounts {
            let cf = facts_for(&a.tenancy, today, &contacts);
            let Some(sf) = segment_facts(a, &contacts, &extra, &cf, today) else {
                continue;
            };
            if !def.segment.matches(&sf, today) {
                continue;
            }
            p.matched += 1;
            match decide_for(def, &contacts, a.tenancy.id, &cf, policy, at) {
                (_, Decision::Suppress(r)) => {
                    *p.suppressed.entry(r.as_str().to_owned()).or_default() += 1;
                }
                (channel, _) => {
                    p.contactable += 1;
                    *p.by_channel.entry(channel.as_str().to_owned()).or_default() += 1;
                    let ctx = context(&contacts, a, policy);
                    for (variant, text) in def
                        .templates
                        .get(&channel)
                        .map(Vec::as_slice)
                        .unwrap_or_default()
                        .iter()
                        .enumerate()
                    {
                        let s = samples.entry((channel, variant)).or_default();
                        if s.len() < SAMPLES {
                            s.push(Sample {
                                channel: channel.as_str().to_owned(),
                                variant,
                                tenancy_reference: a.tenancy.reference.clone(),
                                body: render(channel, text, &ctx),
                            });
                        }
                    }
                }
            }
        }
    }
    p.held_back_estimate = p.contactable * u64::from(def.control_percent.min(100)) / 100;
    p.samples = samples.into_values().flatten().collect();
    Ok(p)
}

/// Write a new draft campaign; its id.
pub async fn create(
    db: &DatabaseConnection,
    def: &Definition,
    author: &staff_user::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<campaign::Model> {
    use sea_orm::ActiveModelTrait;
    let templates: BTreeMap<&str, &Vec<String>> =
        def.templates.iter().map(|(c, v)| (c.as_str(), v)).collect();
    let channels: Vec<&str> = def.channels.iter().map(|c| c.as_str()).collect();
    let row = campaign::ActiveModel {
        name: Set(def.name.clone()),
        // An administrator's campaigns belong to no team: only administrators see them.
        team: Set(match crate::staff::Role::parse(&author.role) {
            Some(crate::staff::Role::Admin) => None,
            _ => author.team.clone(),
        }),
        created_by: Set(Some(author.id)),
        segment: Set(serde_json::to_string(&def.segment)?),
        channels: Set(serde_json::to_string(&channels)?),
        templates: Set(serde_json::to_string(&templates)?),
        schedule_at: Set(def.schedule_at),
        throttle_per_minute: Set(def.throttle_per_minute.map(|t| t as i32)),
        ends_on: Set(def.ends_on),
        ends_at: Set(def
            .ends_on
            .map(|d| rentdesk_domain::time::london_day_start(d + Duration::days(1)))),
        control_percent: Set(def.control_percent as i32),
        status: Set("draft".into()),
        launched_at: Set(None),
        planned_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row)
}

/// A campaign `staff` may see: their team's (any team's for an administrator).
pub async fn visible(
    db: &DatabaseConnection,
    staff: &staff_user::Model,
    id: i64,
) -> Result<Option<campaign::Model>, sea_orm::DbErr> {
    let Some(c) = campaign::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    Ok(may_see(staff, &c).then_some(c))
}

fn may_see(staff: &staff_user::Model, c: &campaign::Model) -> bool {
    match crate::staff::Role::parse(&staff.role) {
        Some(crate::staff::Role::Admin) => true,
        Some(crate::staff::Role::TeamLeader) => match (&c.team, &staff.team) {
            (Some(a), Some(b)) => a == b,
            (None, _) => false,
            (Some(_), None) => c.created_by == Some(staff.id),
        },
        _ => false,
    }
}

/// The campaigns `staff` may see, newest first.
pub async fn list(
    db: &DatabaseConnection,
    staff: &staff_user::Model,
) -> Result<Vec<campaign::Model>, sea_orm::DbErr> {
    let mut q = campaign::Entity::find().order_by_desc(campaign::Column::Id);
    if crate::staff::Role::parse(&staff.role) != Some(crate::staff::Role::Admin) {
        q = q.filter(campaign::Column::Team.eq(staff.team.clone().unwrap_or_default()));
    }
    Ok(q.all(db)
        .await?
        .into_iter()
        .filter(|c| may_see(staff, c))
        .collect())
}

/// The status as it stands at `now`: a scheduled campaign whose time has come is running, and
/// one past its end date is finished.
pub fn effective_status(c: &campaign::Model, now: chrono::DateTime<chrono::Utc>) -> &str {
    match c.status.as_str() {
        "scheduled" | "running" | "paused" if c.ends_at.is_some_and(|e| e <= now) => "finished",
        "scheduled" if c.schedule_at.is_none_or(|s| s <= now) => "running",
        s => s,
    }
}

/// Why a status change was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    NotFound,
    /// The campaign's status does not allow it.
    Conflict(String),
}

/// Move a campaign from one of `from` to `to` (atomically: a concurrent change wins once).
async fn transition<C: ConnectionTrait>(
    db: &C,
    id: i64,
    from: &[&str],
    to: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, sea_orm::DbErr> {
    Ok(campaign::Entity::update_many()
        .col_expr(campaign::Column::Status, Expr::value(to))
        .col_expr(campaign::Column::UpdatedAt, Expr::value(now))
        .filter(campaign::Column::Id.eq(id))
        .filter(campaign::Column::Status.is_in(from.iter().copied()))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

fn refused(c: &campaign::Model, what: &str, now: chrono::DateTime<chrono::Utc>) -> Refused {
    Refused::Conflict(format!(
        "a {} campaign cannot be {what}",
        effective_status(c, now)
    ))
}

/// Launch a draft (or relaunch a cancelled) campaign: it is scheduled or running, and its
/// unsent messages from before a cancel are queued again. The caller queues the fan-out.
/// Nobody already sent to is sent to again: their keys are taken.
pub async fn launch(
    db: &DatabaseConnection,
    c: &campaign::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Result<campaign::Model, Refused>> {
    if c.ends_at.is_some_and(|e| e <= now) {
        return Ok(Err(Refused::Conflict("its end date has passed".to_owned())));
    }
    let to = if c.schedule_at.is_some_and(|s| s > now) {
        "scheduled"
    } else {
        "running"
    };
    let txn = crate::db::begin_write(db).await?;
    if !transition(&txn, c.id, &["draft", "cancelled"], to, now).await? {
        return Ok(Err(refused(c, "launched", now)));
    }
    campaign::Entity::update_many()
        .col_expr(
            campaign::Column::LaunchedAt,
            Expr::value(c.launched_at.unwrap_or(now)),
        )
        .col_expr(
            campaign::Column::PlannedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(campaign::Column::Id.eq(c.id))
        .exec(&txn)
        .await?;
    message::Entity::update_many()
        .col_expr(message::Column::Status, Expr::value("queued"))
        .col_expr(message::Column::UpdatedAt, Expr::value(now))
        .filter(message::Column::CampaignId.eq(c.id))
        .filter(message::Column::Status.eq("cancelled"))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    reload(db, c.id).await
}

async fn reload(
    db: &DatabaseConnection,
    id: i64,
) -> anyhow::Result<Result<campaign::Model, Refused>> {
    Ok(campaign::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Refused::NotFound))
}

/// Stop sending at once: dispatch claims nothing of a paused campaign.
pub async fn pause(
    db: &DatabaseConnection,
    c: &campaign::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Result<campaign::Model, Refused>> {
    if effective_status(c, now) == "finished"
        || !transition(db, c.id, &["scheduled", "running"], "paused", now).await?
    {
        return Ok(Err(refused(c, "paused", now)));
    }
    reload(db, c.id).await
}

pub async fn resume(
    db: &DatabaseConnection,
    c: &campaign::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Result<campaign::Model, Refused>> {
    let to = if c.schedule_at.is_some_and(|s| s > now) {
        "scheduled"
    } else {
        "running"
    };
    if effective_status(c, now) == "finished" || !transition(db, c.id, &["paused"], to, now).await?
    {
        return Ok(Err(refused(c, "resumed", now)));
    }
    reload(db, c.id).await
}

/// Stop for good: nothing more is sent; messages not yet sent are marked `cancelled` (a
/// relaunch queues them again).
pub async fn cancel(
    db: &DatabaseConnection,
    c: &campaign::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Result<campaign::Model, Refused>> {
    let txn = crate::db::begin_write(db).await?;
    if !transition(
        &txn,
        c.id,
        &["draft", "scheduled", "running", "paused"],
        "cancelled",
        now,
    )
    .await?
    {
        return Ok(Err(refused(c, "cancelled", now)));
    }
    message::Entity::update_many()
        .col_expr(message::Column::Status, Expr::value("cancelled"))
        .col_expr(message::Column::UpdatedAt, Expr::value(now))
        .filter(message::Column::CampaignId.eq(c.id))
        .filter(message::Column::Status.eq("queued"))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    reload(db, c.id).await
}

/// What one fan-out run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FanOutReport {
    pub matched: u64,
    pub queued: u64,
    pub held_back: u64,
    pub suppressed: u64,
    /// Recorded by an earlier run (a retry or a relaunch): nothing written.
    pub already_planned: u64,
}

/// The campaign's message key for a tenancy: one message per recipient, ever.
pub fn message_key(campaign_id: i64, tenancy_id: i64) -> String {
    format!("campaign:{campaign_id}:tenancy:{tenancy_id}")
}

/// Page through the segment and plan every recipient once: held back (control), a message row
/// (queued for the campaign's start, or suppressed with the contact policy's reason), and the
/// recipient row with its variant — one transaction per page, so a worker killed mid-run
/// leaves whole pages, and the rerun skips recipients already recorded.
pub async fn fan_out(
    db: &DatabaseConnection,
    campaign_id: i64,
    today: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
    policy: &ContactPolicy,
) -> anyhow::Result<FanOutReport> {
    let mut report = FanOutReport::default();
    let Some(c) = campaign::Entity::find_by_id(campaign_id).one(db).await? else {
        return Ok(report);
    };
    let def = Definition::from_model(&c)?;
    let patches = scope_of(db, &c, today).await?;
    let ids = audience_ids(db, patches.as_ref()).await?;
    let at = c.schedule_at.map_or(now, |s| s.max(now));
    let variants = def.variants();
    for chunk in ids.chunks(CHUNK) {
        // A cancel stops the fan-out between pages.
        let status = campaign::Entity::find_by_id(campaign_id)
            .one(db)
            .await?
            .map(|c| c.status);
        if !matches!(status.as_deref(), Some("running" | "scheduled" | "paused")) {
            tracing::info!(campaign_id, ?status, "fan-out stopped: campaign not live");
            return Ok(report);
        }
        let scope = Scope::new(chunk);
        let accounts = load_accounts(db, &scope, today).await?;
        let mut contacts = load_contacts(db, &scope, now, &HashSet::new()).await?;
        let extra = load_extra(db, &scope, today).await?;
        let done: HashSet<i64> = campaign_recipient::Entity::find()
            .select_only()
            .column(campaign_recipient::Column::TenancyId)
            .filter(campaign_recipient::Column::CampaignId.eq(campaign_id))
            .filter(scope.of(campaign_recipient::Column::TenancyId))
            .into_tuple::<i64>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        let txn = crate::db::begin_write(db).await?;
        let mut recipients = Vec::new();
        for a in &accounts {
            let cf = facts_for(&a.tenancy, today, &contacts);
            let Some(sf) = segment_facts(a, &contacts, &extra, &cf, today) else {
                continue;
            };
            if !def.segment.matches(&sf, today) {
                continue;
            }
            report.matched += 1;
            if done.contains(&a.tenancy.id) {
                report.already_planned += 1;
                continue;
            }
            let (channel, decision) = decide_for(&def, &contacts, a.tenancy.id, &cf, policy, at);
            let Assignment { control, variant } =
                assign(campaign_id, a.tenancy.id, def.control_percent, variants);
            let person = contacts.lead.get(&a.tenancy.id).map(|p| p.id);
            let key = message_key(campaign_id, a.tenancy.id);
            let why = format!("campaign \"{}\"", c.name);
            let (status, scheduled, reason) = match decision {
                Decision::Suppress(r) => ("suppressed", None, Some(r.as_str())),
                _ if control => {
                    report.held_back += 1;
                    recipients.push(recipient(
                        campaign_id,
                        a.tenancy.id,
                        variant,
                        true,
                        None,
                        None,
                        now,
                    ));
                    continue;
                }
                Decision::Send => ("queued", Some(at), None),
                Decision::DeferUntil(t) => ("queued", Some(t), None),
            };
            let ctx = context(&contacts, a, policy);
            let body = match status {
                "queued" => def
                    .templates
                    .get(&channel)
                    .and_then(|v| v.get(variant).or(v.first()))
                    .map(|text| render(channel, text, &ctx))
                    .unwrap_or_default(),
                _ => String::new(),
            };
            let facts = serde_json::json!({
                "campaign_id": campaign_id,
                "variant": variant,
                "real_arrears_pence": a.summary.real_arrears.0,
            })
            .to_string();
            let written = record_once(
                &txn,
                &key,
                a.tenancy.id,
                person,
                channel.as_str(),
                Origin {
                    rule_id: None,
                    campaign_id: Some(campaign_id),
                    reason: &why,
                },
                &facts,
                status,
                scheduled,
                Content {
                    reason,
                    template: TEMPLATE,
                    body: &body,
                    note: None,
                    language: ctx.language.code(),
                    subject: None,
                },
                now,
            )
            .await?;
            if !written {
                report.already_planned += 1;
            } else if status == "queued" {
                report.queued += 1;
                if let Some(t) = scheduled {
                    contacts.recent.entry(a.tenancy.id).or_default().push(t);
                }
            } else {
                report.suppressed += 1;
            }
            recipients.push(recipient(
                campaign_id,
                a.tenancy.id,
                variant,
                false,
                Some(channel),
                reason,
                now,
            ));
        }
        if !recipients.is_empty() {
            campaign_recipient::Entity::insert_many(recipients)
                .on_conflict(
                    OnConflict::columns([
                        campaign_recipient::Column::CampaignId,
                        campaign_recipient::Column::TenancyId,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
    }
    campaign::Entity::update_many()
        .col_expr(campaign::Column::PlannedAt, Expr::value(now))
        .filter(campaign::Column::Id.eq(campaign_id))
        .exec(db)
        .await?;
    Ok(report)
}

fn recipient(
    campaign_id: i64,
    tenancy_id: i64,
    variant: usize,
    control: bool,
    channel: Option<Channel>,
    suppressed: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> campaign_recipient::ActiveModel {
    campaign_recipient::ActiveModel {
        campaign_id: Set(campaign_id),
        tenancy_id: Set(tenancy_id),
        variant: Set(variant as i32),
        control: Set(control),
        channel: Set(channel.map(|c| c.as_str().to_owned())),
        suppressed_reason: Set(suppressed.map(str::to_owned)),
        created_at: Set(now),
        ..Default::default()
    }
}

/// Live counts for a campaign.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Progress {
    pub status: String,
    /// The fan-out has planned every matched account.
    pub planned: bool,
    pub matched: u64,
    pub held_back: u64,
    /// Waiting to go (including claimed and in flight).
    pub queued: u64,
    /// Left us (delivered ones included).
    pub sent: u64,
    pub delivered: u64,
    pub failed: u64,
    /// Not sent, by the contact policy's reason (when planned or at send time).
    pub suppressed: BTreeMap<String, u64>,
    /// Not sent because the campaign was cancelled.
    pub cancelled: u64,
    /// Texts from recipients since the launch.
    pub replies: u64,
    /// Of those, STOP (SMS switched off).
    pub opt_outs: u64,
    /// Launched and not yet planned: since when (null once the fan-out finished).
    pub planning_since: Option<DateTime<Utc>>,
    /// The last time the fan-out planned a recipient (null before the first).
    pub last_progress_at: Option<DateTime<Utc>>,
    /// Planning has made no progress for `sweep::STRANDED_AFTER`: its job was lost or is
    /// stuck (the worker's sweep queues it again; if this stays true, look at the workers).
    pub stuck: bool,
}

pub async fn progress(
    db: &DatabaseConnection,
    c: &campaign::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Progress> {
    let mut p = Progress {
        status: effective_status(c, now).to_owned(),
        planned: c.planned_at.is_some(),
        ..Default::default()
    };
    let live = matches!(c.status.as_str(), "running" | "scheduled");
    if live && c.planned_at.is_none() {
        p.planning_since = c.launched_at;
    }
    p.last_progress_at = campaign_recipient::Entity::find()
        .select_only()
        .column_as(campaign_recipient::Column::CreatedAt.max(), "at")
        .filter(campaign_recipient::Column::CampaignId.eq(c.id))
        .into_tuple::<Option<DateTime<Utc>>>()
        .one(db)
        .await?
        .flatten();
    p.stuck = p
        .planning_since
        .is_some_and(|since| crate::sweep::stuck(since, [p.last_progress_at, c.queued_at], now));
    let by_control: Vec<(bool, i64)> = campaign_recipient::Entity::find()
        .select_only()
        .column(campaign_recipient::Column::Control)
        .column_as(campaign_recipient::Column::Id.count(), "n")
        .filter(campaign_recipient::Column::CampaignId.eq(c.id))
        .group_by(campaign_recipient::Column::Control)
        .into_tuple()
        .all(db)
        .await?;
    for (control, n) in by_control {
        p.matched += n as u64;
        if control {
            p.held_back += n as u64;
        }
    }
    let by_status: Vec<(String, Option<String>, i64)> = message::Entity::find()
        .select_only()
        .column(message::Column::Status)
        .column(message::Column::SuppressionReason)
        .column_as(message::Column::Id.count(), "n")
        .filter(message::Column::CampaignId.eq(c.id))
        .group_by(message::Column::Status)
        .group_by(message::Column::SuppressionReason)
        .into_tuple()
        .all(db)
        .await?;
    for (status, reason, n) in by_status {
        let n = n as u64;
        match status.as_str() {
            "queued" | "sending" | "unknown" => p.queued += n,
            "sent" => p.sent += n,
            "delivered" => {
                p.sent += n;
                p.delivered += n;
            }
            "failed" => p.failed += n,
            "cancelled" => p.cancelled += n,
            "suppressed" => {
                *p.suppressed
                    .entry(reason.unwrap_or_else(|| "unknown".into()))
                    .or_default() += n;
            }
            _ => {}
        }
    }
    if let Some(launched) = c.launched_at {
        let contacted = sea_orm::sea_query::Query::select()
            .column(message::Column::TenancyId)
            .from(message::Entity)
            .and_where(message::Column::CampaignId.eq(c.id))
            .and_where(message::Column::Status.is_in(["sent", "delivered"]))
            .to_owned();
        let replies: Vec<String> = message::Entity::find()
            .select_only()
            .column(message::Column::Body)
            .filter(message::Column::Template.eq("inbound"))
            .filter(message::Column::CreatedAt.gte(launched))
            .filter(message::Column::TenancyId.in_subquery(contacted))
            .into_tuple()
            .all(db)
            .await?;
        p.replies = replies.len() as u64;
        p.opt_outs = replies
            .iter()
            .filter(|b| crate::sms_events::keyword(b) == Some(crate::sms_events::Keyword::Stop))
            .count() as u64;
    }
    Ok(p)
}

/// Payments by one group in the 7 and 14 days from the launch date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupOutcome {
    /// `control`, or `variant_0`, `variant_1`, …
    pub group: String,
    pub within_7_days: GroupPayments,
    pub within_14_days: GroupPayments,
}

/// Outcome of a campaign: recipients who were sent a message (by variant) and the control
/// group. Payments are the tenants' own (`payment` credits, net of reversals) posted from the
/// launch date (London) to 6 and 13 days after it. Suppressed recipients are in no group.
pub async fn outcome(
    db: &DatabaseConnection,
    c: &campaign::Model,
) -> anyhow::Result<(Option<NaiveDate>, Vec<GroupOutcome>)> {
    let Some(launched) = c.launched_at else {
        return Ok((None, vec![]));
    };
    let start = rentdesk_domain::time::london_date(launched);
    let windows = OutcomeWindows::from_launch(start);
    let recipients: Vec<(i64, i32, bool)> = campaign_recipient::Entity::find()
        .select_only()
        .column(campaign_recipient::Column::TenancyId)
        .column(campaign_recipient::Column::Variant)
        .column(campaign_recipient::Column::Control)
        .filter(campaign_recipient::Column::CampaignId.eq(c.id))
        .filter(campaign_recipient::Column::SuppressedReason.is_null())
        .into_tuple()
        .all(db)
        .await?;
    let in_campaign = sea_orm::sea_query::Query::select()
        .column(campaign_recipient::Column::TenancyId)
        .from(campaign_recipient::Entity)
        .and_where(campaign_recipient::Column::CampaignId.eq(c.id))
        .to_owned();
    let payments: Vec<(i64, NaiveDate, i64)> = transaction::Entity::find()
        .select_only()
        .column(transaction::Column::TenancyId)
        .column(transaction::Column::PostedOn)
        .column(transaction::Column::AmountPence)
        .filter(transaction::Column::Kind.eq("payment"))
        .filter(transaction::Column::PostedOn.gte(start))
        .filter(transaction::Column::PostedOn.lt(windows.end()))
        .filter(transaction::Column::TenancyId.in_subquery(in_campaign))
        .into_tuple()
        .all(db)
        .await?;
    // Credits are negative in the ledger: paid = −amount. Saturating, as `Pence` is: a
    // corrupt amount must not panic the results (issue 15).
    let mut paid: HashMap<i64, (Pence, Pence)> = HashMap::new();
    for (t, on, amount) in payments {
        let e = paid.entry(t).or_default();
        let (within_7, within_14) = windows.counts(on);
        if within_7 {
            e.0 -= Pence(amount);
        }
        if within_14 {
            e.1 -= Pence(amount);
        }
    }
    let mut groups: BTreeMap<String, (GroupPayments, GroupPayments)> = BTreeMap::new();
    for (t, variant, control) in recipients {
        let name = if control {
            "control".to_owned()
        } else {
            format!("variant_{variant}")
        };
        let (p7, p14) = paid.get(&t).copied().unwrap_or_default();
        let g = groups.entry(name).or_default();
        g.0.add(p7.max(Pence::ZERO));
        g.1.add(p14.max(Pence::ZERO));
    }
    Ok((
        Some(start),
        groups
            .into_iter()
            .map(|(group, (w7, w14))| GroupOutcome {
                group,
                within_7_days: w7,
                within_14_days: w14,
            })
            .collect(),
    ))
}
