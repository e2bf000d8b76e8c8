//! Early intervention, planned: for each account, the `domain::outreach::triggers` that fire, passed
//! through `domain::contact_policy`, become message rows — queued (with the instant they may go)
//! or suppressed (with the reason) — and an entry in the action diary naming the rule and the
//! facts. The message's idempotency key is unique in the database, so however often the nightly
//! run (or a retry, or a second worker) plans the same event, it is written once.
//!
//! Sending the queued rows is the dispatch job's work (Twilio, SMTP, FCM), not this module's.

use crate::entities::{action, arrangement, device, flag, message, tenant};
use crate::evaluation::{LoadedAccount, Scope, load_accounts};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rentdesk_domain::Pence;
use rentdesk_domain::arrangements::Arrangement;
use rentdesk_domain::arrears::ArrearsStatus;
use rentdesk_domain::contact_policy::{
    AccountState, Address, BreathingSpace, Channel, ContactFacts, ContactPolicy, Decision,
    MessageFacts, SuppressReason, decide,
};
use rentdesk_domain::outreach::sequences::{Outcome, OutreachConfig, about_debt, order_channels};
use rentdesk_domain::outreach::triggers;
use rentdesk_domain::outreach::types::Trigger;
use rentdesk_domain::tasks::DueIn;
use rentdesk_domain::templates::{Language, TemplateContext, render_with, subject_with};
use rentdesk_domain::tenancy::Frequency;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use std::collections::{HashMap, HashSet};
use std::str::FromStr;

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OutreachReport {
    pub queued: u64,
    pub suppressed: u64,
    pub officer_tasks: u64,
    /// Already planned by an earlier run: nothing written.
    pub already_planned: u64,
    /// `queued`, by channel (`sms`, `email`, `push`): the messages dispatch will send, now or
    /// when the contact window opens.
    #[serde(default)]
    pub queued_by_channel: std::collections::BTreeMap<String, u64>,
}

impl OutreachReport {
    fn add(&mut self, other: OutreachReport) {
        self.queued += other.queued;
        self.suppressed += other.suppressed;
        self.officer_tasks += other.officer_tasks;
        self.already_planned += other.already_planned;
        for (channel, n) in other.queued_by_channel {
            *self.queued_by_channel.entry(channel).or_default() += n;
        }
    }
}

/// Everything about the people and flags of the accounts in scope.
pub(crate) struct Contacts {
    pub(crate) lead: HashMap<i64, tenant::Model>,
    pub(crate) flags: HashMap<i64, Vec<flag::Model>>,
    pub(crate) arrangements: HashMap<i64, arrangement::Model>,
    pub(crate) recent: HashMap<i64, Vec<DateTime<Utc>>>,
    /// Tenants with at least one registered push device.
    pub(crate) with_device: HashSet<i64>,
}

/// `except`: messages not to count as recent contacts (the ones being re-checked).
pub(crate) async fn load_contacts(
    db: &DatabaseConnection,
    scope: &Scope<'_>,
    now: chrono::DateTime<chrono::Utc>,
    except: &HashSet<i64>,
) -> Result<Contacts, sea_orm::DbErr> {
    let mut lead = HashMap::new();
    for t in tenant::Entity::find()
        .filter(scope.of(tenant::Column::TenancyId))
        .order_by_asc(tenant::Column::IsLead)
        .all(db)
        .await?
    {
        // Lead tenants come last, so they win.
        lead.insert(t.tenancy_id, t);
    }
    let mut flags: HashMap<i64, Vec<flag::Model>> = HashMap::new();
    // A flag withdrawn as entered in error never counts (`domain::flags`).
    for f in flag::Entity::find()
        .filter(scope.of(flag::Column::TenancyId))
        .filter(crate::flags::not_withdrawn())
        .all(db)
        .await?
    {
        flags.entry(f.tenancy_id).or_default().push(f);
    }
    let mut arrangements = HashMap::new();
    let today = rentdesk_domain::time::london_date(now);
    for a in arrangement::Entity::find()
        .filter(scope.of(arrangement::Column::TenancyId))
        .filter(arrangement::Column::Status.is_in(["active", "broken"]))
        .order_by_asc(arrangement::Column::StartDate)
        .all(db)
        .await?
        .into_iter()
        // A back-dated read (a campaign lived at its launch weeks ago) sees only the plans
        // there were then: recorded by `now`, or agreed by then and recorded since (the seed's
        // and an import's history). A plan proposed after `now` was not there.
        .filter(|a| a.created_at <= now || a.agreed_on.unwrap_or(a.start_date) <= today)
    {
        arrangements.insert(a.tenancy_id, a);
    }
    let mut recent: HashMap<i64, Vec<DateTime<Utc>>> = HashMap::new();
    for m in message::Entity::find()
        .filter(scope.of(message::Column::TenancyId))
        // Automated contacts: every rule's and every campaign's (the weekly cap counts both).
        .filter(
            sea_orm::Condition::any()
                .add(message::Column::RuleId.is_not_null())
                .add(message::Column::CampaignId.is_not_null()),
        )
        .filter(message::Column::Status.is_in([
            "queued",
            "sending",
            "sent",
            "delivered",
            "unknown",
        ]))
        .filter(message::Column::CreatedAt.gt(now - Duration::days(8)))
        // Nor, read back-dated, the messages planned after `now`.
        .filter(message::Column::CreatedAt.lte(now))
        .all(db)
        .await?
        .into_iter()
        .filter(|m| !except.contains(&m.id))
    {
        recent
            .entry(m.tenancy_id)
            .or_default()
            .push(m.sent_at.or(m.scheduled_for).unwrap_or(m.created_at));
    }
    let tenant_ids: Vec<i64> = lead.values().map(|t| t.id).collect();
    let mut with_device = HashSet::new();
    for chunk in tenant_ids.chunks(500) {
        with_device.extend(
            device::Entity::find()
                .filter(device::Column::TenantId.is_in(chunk.iter().copied()))
                .all(db)
                .await?
                .into_iter()
                .map(|d| d.tenant_id),
        );
    }
    Ok(Contacts {
        lead,
        flags,
        arrangements,
        recent,
        with_device,
    })
}

fn contact_facts(a: &LoadedAccount, c: &Contacts) -> ContactFacts {
    facts_for(&a.tenancy, a.summary.as_of, c)
}

/// What the contact policy needs to know about a tenancy's lead tenant on `today`.
pub(crate) fn facts_for(
    tenancy: &crate::entities::tenancy::Model,
    today: NaiveDate,
    c: &Contacts,
) -> ContactFacts {
    let flags = c
        .flags
        .get(&tenancy.id)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let person = c.lead.get(&tenancy.id);
    let address = |present: bool, invalid: bool, on: bool| Address {
        present,
        invalid,
        opted_in: on,
    };
    ContactFacts {
        account: match tenancy.status.as_str() {
            "active" => AccountState::Active,
            "former" => AccountState::Former,
            _ => AccountState::Closed,
        },
        breathing_space: flags
            .iter()
            .filter(|f| f.kind.starts_with("breathing_space"))
            .map(|f| BreathingSpace {
                mental_health_crisis: f.kind == "breathing_space_mental_health",
                starts: f.starts_on,
                ends: f.ends_on,
            })
            .collect(),
        // From the flag's first day to its last only (`domain::flags`).
        no_automated_contact: rentdesk_domain::flags::no_automated_contact(
            &flags.iter().map(crate::flags::state).collect::<Vec<_>>(),
            today,
        ),
        sms: person.map_or(address(false, false, false), |p| {
            address(p.mobile.is_some(), p.mobile_invalid, p.sms_enabled)
        }),
        email: person.map_or(address(false, false, false), |p| {
            address(p.email.is_some(), p.email_invalid, p.email_enabled)
        }),
        // A push "address" is a registered device; FCM's unregistered answers delete them.
        push: person.map_or(address(false, false, false), |p| {
            address(c.with_device.contains(&p.id), false, p.push_enabled)
        }),
        recent_automated_contacts: c.recent.get(&tenancy.id).cloned().unwrap_or_default(),
    }
}

/// The rules `cfg` turns on, for one account as of `today`.
fn fires(a: &LoadedAccount, c: &Contacts, today: NaiveDate, cfg: &OutreachConfig) -> Vec<Trigger> {
    let mut out = Vec::new();
    if cfg.missed_payment.enabled {
        out.extend(triggers::missed_payment(
            a.facts.self_pay,
            &a.summary,
            &a.entries,
            today,
            cfg.missed_payment.grace_days,
        ));
    }
    if cfg.broken_arrangement.enabled
        && let Some(arr) = c.arrangements.get(&a.tenancy.id)
        && let Ok(frequency) = Frequency::from_str(&arr.frequency)
    {
        let plan = Arrangement {
            start_date: arr.start_date,
            frequency,
            instalment: Pence(arr.instalment_pence),
            end_date: arr.end_date,
            includes_rent: arr.includes_rent,
        };
        out.extend(triggers::broken_arrangement(
            &plan,
            &a.entries,
            today,
            cfg.broken_arrangement.grace_days,
            cfg.broken_arrangement.officer_task_after,
        ));
    }
    // An arrangement being kept pauses the threshold messages (docs/possession.md#default-local-policy).
    let t = &cfg.arrears_threshold;
    if t.enabled && !(t.pause_while_arrangement && c.arrangements.contains_key(&a.tenancy.id)) {
        out.extend(triggers::arrears_threshold(&a.summary, &t.levels));
    }
    if cfg.uc_new_claim.enabled
        && let Some(claim) = &a.claim
        && claim.ended_on.is_none()
    {
        out.extend(triggers::uc_claim_steps(
            &cfg.uc_new_claim.steps,
            claim.claim_start,
            &a.entries,
            today,
            i64::from(cfg.stale_days),
        ));
        out.extend(triggers::uc_apa_request(
            &a.summary,
            claim.claim_start,
            triggers::ApaLevels {
                months: cfg.uc_new_claim.apa_request_months,
                underpaid_months: cfg.uc_new_claim.apa_underpaid_months,
            },
            &a.entries,
            today,
        ));
        // A third-party deduction for rent arrears from UC (Claims and Payments Regs 2013 Sch
        // 6), at the same arrears as the APA request.
        out.extend(triggers::uc_deduction_request(
            &a.summary,
            claim.claim_start,
            cfg.uc_new_claim.apa_request_months,
            &a.entries,
            today,
        ));
    }
    if cfg.hb_change.enabled
        && let Some(income) = &a.facts.benefit
    {
        out.extend(triggers::hb_change(
            income,
            &a.entries,
            today,
            cfg.hb_change.grace_days,
        ));
    }
    if cfg.direct_debit_offer.enabled {
        out.extend(triggers::direct_debit_offer(
            &a.summary,
            a.tenancy.payment_method == "direct_debit",
            &a.entries,
            today,
            cfg.direct_debit_offer.weeks_without_payment,
        ));
    }
    out
}

/// Plan outreach for every account as of `today`, at the instant `now`.
pub async fn plan_all(
    db: &DatabaseConnection,
    today: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
    policy: &ContactPolicy,
) -> anyhow::Result<OutreachReport> {
    use sea_orm::QuerySelect;
    let ids: Vec<i64> = crate::entities::tenancy::Entity::find()
        .select_only()
        .column(crate::entities::tenancy::Column::Id)
        .order_by_asc(crate::entities::tenancy::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    plan_tenancies(db, &ids, today, now, policy).await
}

/// Plan outreach for some accounts only (after new data about them arrived).
pub async fn plan_tenancies(
    db: &DatabaseConnection,
    ids: &[i64],
    today: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
    policy: &ContactPolicy,
) -> anyhow::Result<OutreachReport> {
    let (cfg, _) = crate::outreach_config::current(db).await?;
    let mut report = OutreachReport::default();
    for chunk in ids.chunks(1000) {
        report.add(plan_chunk(db, chunk, today, now, policy, &cfg).await?);
    }
    Ok(report)
}

async fn plan_chunk(
    db: &DatabaseConnection,
    ids: &[i64],
    today: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
    policy: &ContactPolicy,
    cfg: &OutreachConfig,
) -> anyhow::Result<OutreachReport> {
    let scope = Scope::new(ids);
    let accounts = load_accounts(db, &scope, today).await?;
    let mut contacts = load_contacts(db, &scope, now, &HashSet::new()).await?;
    let mut report = OutreachReport::default();
    let txn = crate::db::begin_write(db).await?;
    for a in accounts.iter().filter(|a| {
        // A clear account only matters for a UC claim's sequence or an HB claim the HB
        // team ended (arrears are about to start).
        a.summary.status != ArrearsStatus::Clear
            || a.claim.is_some()
            || matches!(
                a.facts.benefit,
                Some(rentdesk_domain::benefits::BenefitIncome::HousingBenefit {
                    ends_on: Some(_),
                    ..
                })
            )
    }) {
        for t in fires(a, &contacts, today, cfg) {
            let key = message_key(&t, a.tenancy.id);
            let facts_json = serde_json::to_string(&t.facts)?;
            let Outcome::Message { template, channels } = cfg.outcome(&t) else {
                // Work for a person: recorded in the diary (tasks arrive with issue 7).
                let content = Content {
                    reason: None,
                    template: "officer_task",
                    body: "",
                    note: None,
                    language: "en",
                    subject: None,
                };
                if record_once(
                    &txn,
                    &key,
                    a.tenancy.id,
                    None,
                    "task",
                    Origin::rule(&t),
                    &facts_json,
                    "officer_task",
                    None,
                    content,
                    now,
                )
                .await?
                {
                    // And on the officer's task list, owned by the patch officer.
                    crate::tasks::create(
                        &txn,
                        crate::tasks::NewTask {
                            tenancy_id: a.tenancy.id,
                            kind: t.rule,
                            title: format!("Follow up: {}", t.reason),
                            detail: t.reason.clone(),
                            due_on: rentdesk_domain::tasks::due_on(
                                today,
                                DueIn::Configured(cfg.task_due_days),
                            ),
                            rule_id: Some(t.rule),
                            idempotency_key: Some(key.clone()),
                        },
                        None,
                        now,
                    )
                    .await?;
                    report.officer_tasks += 1;
                } else {
                    report.already_planned += 1;
                }
                continue;
            };
            let channels = channels_for(&contacts, a.tenancy.id, &channels);
            let planned = plan_message(
                &txn,
                a,
                &mut contacts,
                &t,
                Wording {
                    template: &template,
                    texts: &cfg.templates,
                },
                &channels,
                |_| key.clone(),
                None,
                policy,
                now,
            )
            .await?;
            match planned {
                None => {}
                Some(p) if !p.written => report.already_planned += 1,
                Some(p) if p.status == "suppressed" => report.suppressed += 1,
                Some(p) => {
                    report.queued += 1;
                    *report
                        .queued_by_channel
                        .entry(p.channel.as_str().to_owned())
                        .or_default() += 1;
                }
            }
        }
    }
    txn.commit().await?;
    Ok(report)
}

/// The order a step's channels are tried in for a tenancy's lead tenant (their preferred
/// channel first when the step uses it), for a first plan and for a fallback alike.
fn channels_for(contacts: &Contacts, tenancy_id: i64, step: &[Channel]) -> Vec<Channel> {
    let preferred = contacts
        .lead
        .get(&tenancy_id)
        .and_then(|p| p.preferred_channel.as_deref())
        .and_then(|c| c.parse::<Channel>().ok());
    order_channels(step, preferred)
}

/// Which template, and the council's own wording of templates.
#[derive(Clone, Copy)]
struct Wording<'a> {
    template: &'a str,
    texts: &'a [rentdesk_domain::templates::TemplateText],
}

/// What [`plan_message`] wrote (or found already written).
struct Planned {
    channel: Channel,
    status: &'static str,
    /// False when the key was already in the table: nothing was written.
    written: bool,
}

/// Choose the first of `channels` the contact policy lets reach the tenant (else the first
/// channel's reason for not), render the template for it and record the message once under
/// `key_for(channel)`. `None` when `channels` is empty.
#[allow(clippy::too_many_arguments)]
async fn plan_message<C: ConnectionTrait>(
    db: &C,
    a: &LoadedAccount,
    contacts: &mut Contacts,
    t: &Trigger,
    wording: Wording<'_>,
    channels: &[Channel],
    key_for: impl Fn(Channel) -> String,
    note: Option<&str>,
    policy: &ContactPolicy,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Option<Planned>> {
    if channels.is_empty() {
        return Ok(None);
    }
    let cf = contact_facts(a, contacts);
    let (channel, decision) = choose_channel(
        policy,
        &cf,
        channels,
        about_debt(Some(t.rule), &t.step),
        now,
    );
    let person = contacts.lead.get(&a.tenancy.id);
    let ctx = TemplateContext {
        first_name: person
            .and_then(|p| p.full_name.split_whitespace().next().map(str::to_owned))
            .unwrap_or_else(|| "there".into()),
        amount: t
            .facts
            .get("expected_pence")
            .or(t.facts.get("instalment_pence"))
            .and_then(|p| p.parse().ok())
            .map(Pence)
            .or(Some(a.summary.real_arrears)),
        date: t
            .facts
            .get("due")
            .or(t.facts.get("first_missed_due"))
            .or(t.facts.get("first_payment_due"))
            .and_then(|d| NaiveDate::from_str(d).ok()),
        amounts_in_previews: person.is_some_and(|p| p.amounts_in_previews),
        landlord: policy.landlord_name.clone(),
        app_link: policy.app_link.clone(),
        language: person.map_or(Language::English, |p| Language::from_code(&p.language)),
    };
    let template = wording.template;
    let body = render_with(wording.texts, template, channel, &ctx)
        .map(|r| r.text)
        .unwrap_or_default();
    let subject = subject_with(wording.texts, template, ctx.language);
    let (status, scheduled, reason) = match decision {
        Decision::Send => ("queued", Some(now), None),
        Decision::DeferUntil(at) => ("queued", Some(at), None),
        Decision::Suppress(r) => ("suppressed", None, Some(r.as_str())),
    };
    let content = Content {
        reason,
        template,
        body: &body,
        note,
        language: ctx.language.code(),
        subject: subject.as_deref(),
    };
    let written = record_once(
        db,
        &key_for(channel),
        a.tenancy.id,
        person.map(|p| p.id),
        channel.as_str(),
        Origin::rule(t),
        &serde_json::to_string(&t.facts)?,
        status,
        scheduled,
        content,
        now,
    )
    .await?;
    if written
        && status == "queued"
        && let Some(at) = scheduled
    {
        // Later triggers in this run count against the weekly cap too.
        contacts.recent.entry(a.tenancy.id).or_default().push(at);
    }
    Ok(Some(Planned {
        channel,
        status,
        written,
    }))
}

/// The first of `channels` (non-empty) the contact policy lets reach the tenant, with its
/// decision (send or defer); else the first channel and its reason for not.
pub(crate) fn choose_channel(
    policy: &ContactPolicy,
    cf: &ContactFacts,
    channels: &[Channel],
    about_debt: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> (Channel, Decision) {
    let mut first_reason = None;
    for &channel in channels {
        let msg = MessageFacts {
            channel,
            about_debt,
            automated: true,
        };
        match decide(policy, cf, &msg, now) {
            Decision::Suppress(
                r @ (SuppressReason::ChannelOptedOut
                | SuppressReason::NoContactDetail
                | SuppressReason::ContactDetailInvalid),
            ) => {
                first_reason.get_or_insert((channel, r));
            }
            other => return (channel, other),
        }
    }
    let (c, r) = first_reason.unwrap_or((
        channels.first().copied().unwrap_or(Channel::Sms),
        SuppressReason::NoContactDetail,
    ));
    (c, Decision::Suppress(r))
}

/// The key of a trigger's message: (rule, tenancy, period, step) — one event, one message.
fn message_key(t: &Trigger, tenancy_id: i64) -> String {
    format!(
        "rule:{}:tenancy:{}:{}:{}",
        t.rule, tenancy_id, t.period, t.step
    )
}

/// Issue 4: the contact policy is asked again when a message is about to go, since the facts
/// may have changed since it was planned (Breathing Space started, a "no automated contact"
/// flag, a channel opted out, the weekly cap filled by other sends, the account closed). The
/// decision for each of `batch` (rows being sent, which are not counted as recent contacts).
pub async fn recheck(
    db: &DatabaseConnection,
    batch: &[message::Model],
    policy: &ContactPolicy,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<HashMap<i64, Decision>> {
    let mut ids: Vec<i64> = batch.iter().map(|m| m.tenancy_id).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let scope = Scope::new(&ids);
    let tenancies: HashMap<i64, crate::entities::tenancy::Model> =
        crate::entities::tenancy::Entity::find()
            .filter(scope.of(crate::entities::tenancy::Column::Id))
            .all(db)
            .await?
            .into_iter()
            .map(|t| (t.id, t))
            .collect();
    let except: HashSet<i64> = batch.iter().map(|m| m.id).collect();
    let contacts = load_contacts(db, &scope, now, &except).await?;
    // The people who asked for a message themselves (a sign-in code): their own details.
    let requester_ids: Vec<i64> = batch
        .iter()
        .filter(|m| rentdesk_domain::contact_policy::is_requested(&m.template))
        .filter_map(|m| m.tenant_id)
        .collect();
    let requesters: HashMap<i64, crate::entities::tenant::Model> = if requester_ids.is_empty() {
        HashMap::new()
    } else {
        crate::entities::tenant::Entity::find()
            .filter(crate::entities::tenant::Column::Id.is_in(requester_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect()
    };
    let today = rentdesk_domain::time::london_date(now);
    let mut out = HashMap::new();
    for m in batch {
        let Some(tenancy) = tenancies.get(&m.tenancy_id) else {
            out.insert(m.id, Decision::Suppress(SuppressReason::AccountClosed));
            continue;
        };
        let Ok(channel) = Channel::from_str(&m.channel) else {
            continue;
        };
        if rentdesk_domain::contact_policy::is_requested(&m.template) {
            let address = m
                .tenant_id
                .and_then(|id| requesters.get(&id))
                .map(|p| own_address(p, channel, &contacts));
            out.insert(
                m.id,
                rentdesk_domain::contact_policy::decide_requested(address),
            );
            continue;
        }
        let contact = facts_for(tenancy, today, &contacts);
        let original = m.idempotency_key.split(":fallback:").next().unwrap_or("");
        let step = original.rsplit(':').next().unwrap_or("");
        let facts = MessageFacts {
            channel,
            about_debt: about_debt(m.rule_id.as_deref(), step),
            automated: m.rule_id.is_some() || m.campaign_id.is_some(),
        };
        out.insert(m.id, decide(policy, &contact, &facts, now));
    }
    Ok(out)
}

/// One person's own address on `channel` (not the lead tenant's).
fn own_address(p: &crate::entities::tenant::Model, channel: Channel, c: &Contacts) -> Address {
    let (present, invalid, opted_in) = match channel {
        Channel::Sms => (p.mobile.is_some(), p.mobile_invalid, p.sms_enabled),
        Channel::Email => (p.email.is_some(), p.email_invalid, p.email_enabled),
        Channel::Push => (c.with_device.contains(&p.id), false, p.push_enabled),
    };
    Address {
        present,
        invalid,
        opted_in,
    }
}

/// What [`plan_fallback`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fallback {
    /// A message on `channel` was written (`queued`, or `suppressed` with the reason).
    Planned { channel: Channel, status: String },
    /// The fallback for this failure was planned before (another worker, or a retry).
    AlreadyPlanned,
    /// Every channel has been tried for this event.
    NoChannelLeft,
    /// The rule no longer fires for this account (e.g. the tenant has paid since).
    NoLongerDue,
    /// Not a rule's message (a campaign's, or typed by an officer): nothing to re-plan.
    NotARule,
}

/// Channel fallback (issue 4): `failed` was refused for good because its contact detail does
/// not work (invalid number, unknown mailbox, no push device). Plan the same event on the next
/// channel the contact policy allows, under the key `{original key}:fallback:{channel}` so it
/// can never be planned (or sent) twice, with a diary entry saying why.
///
/// The event is re-derived from the rules as of the day it was first planned (the key names
/// rule, tenancy, period and step), so the fallback says what the original said, with the
/// ledger as it is now: if the rule no longer fires, nothing is sent.
pub async fn plan_fallback(
    db: &DatabaseConnection,
    failed: &message::Model,
    why: &str,
    policy: &ContactPolicy,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Fallback> {
    let original = failed
        .idempotency_key
        .split(":fallback:")
        .next()
        .unwrap_or_default()
        .to_owned();
    if failed.rule_id.is_none() || !original.starts_with("rule:") {
        return Ok(Fallback::NotARule);
    }
    // Only channels that failed for this event are out: a retried fallback of the same failure
    // then makes the same choice, finds its key taken, and writes nothing.
    let tried: HashSet<String> = message::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(message::Column::IdempotencyKey.eq(original.as_str()))
                .add(message::Column::IdempotencyKey.starts_with(format!("{original}:fallback:"))),
        )
        .filter(message::Column::Status.eq("failed"))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.channel)
        .chain([failed.channel.clone()])
        .collect();
    let today = rentdesk_domain::time::london_date(failed.created_at);
    let ids = [failed.tenancy_id];
    let scope = Scope::new(&ids);
    let accounts = load_accounts(db, &scope, today).await?;
    let Some(a) = accounts.first() else {
        return Ok(Fallback::NoLongerDue);
    };
    let mut contacts = load_contacts(db, &scope, now, &HashSet::new()).await?;
    let (cfg, _) = crate::outreach_config::current(db).await?;
    let Some(t) = fires(a, &contacts, today, &cfg)
        .into_iter()
        .find(|t| message_key(t, a.tenancy.id) == original)
    else {
        return Ok(Fallback::NoLongerDue);
    };
    let Outcome::Message { template, channels } = cfg.outcome(&t) else {
        return Ok(Fallback::NotARule);
    };
    let channels: Vec<Channel> = channels_for(&contacts, a.tenancy.id, &channels)
        .into_iter()
        .filter(|c| !tried.contains(c.as_str()))
        .collect();
    if channels.is_empty() {
        return Ok(Fallback::NoChannelLeft);
    }
    let note = format!("after the {} failed ({why})", failed.channel.to_uppercase());
    let txn = crate::db::begin_write(db).await?;
    let planned = plan_message(
        &txn,
        a,
        &mut contacts,
        &t,
        Wording {
            template: &template,
            texts: &cfg.templates,
        },
        &channels,
        |c| format!("{original}:fallback:{c}"),
        Some(&note),
        policy,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(match planned {
        None => Fallback::NoChannelLeft,
        Some(p) if !p.written => Fallback::AlreadyPlanned,
        Some(p) => Fallback::Planned {
            channel: p.channel,
            status: p.status.to_owned(),
        },
    })
}

/// Who planned a message: a rule (with the trigger's reason) or a campaign.
pub(crate) struct Origin<'a> {
    pub(crate) rule_id: Option<&'a str>,
    pub(crate) campaign_id: Option<i64>,
    /// Why, in words, for the diary.
    pub(crate) reason: &'a str,
}

impl<'a> Origin<'a> {
    fn rule(t: &'a Trigger) -> Origin<'a> {
        Origin {
            rule_id: Some(t.rule),
            campaign_id: None,
            reason: &t.reason,
        }
    }
}

/// What a message says, or why it was not sent.
pub(crate) struct Content<'a> {
    pub(crate) reason: Option<&'a str>,
    pub(crate) template: &'a str,
    pub(crate) body: &'a str,
    /// Why this message exists beyond the rule (e.g. a channel fallback), for the diary.
    pub(crate) note: Option<&'a str>,
    /// The language the body is written in.
    pub(crate) language: &'a str,
    /// Email subject / push title.
    pub(crate) subject: Option<&'a str>,
}

/// Insert the message row (unique key) and, only if it was new, its diary entry.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn record_once<C: ConnectionTrait>(
    db: &C,
    key: &str,
    tenancy_id: i64,
    tenant_id: Option<i64>,
    channel: &str,
    origin: Origin<'_>,
    facts_json: &str,
    status: &str,
    scheduled_for: Option<DateTime<Utc>>,
    content: Content<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, sea_orm::DbErr> {
    let Content {
        reason,
        template,
        body,
        note,
        language,
        subject,
    } = content;
    let row = message::ActiveModel {
        idempotency_key: Set(key.to_owned()),
        tenancy_id: Set(tenancy_id),
        tenant_id: Set(tenant_id),
        channel: Set(channel.to_owned()),
        template: Set(template.to_owned()),
        language: Set(language.to_owned()),
        subject: Set(subject.map(str::to_owned)),
        rule_id: Set(origin.rule_id.map(str::to_owned)),
        campaign_id: Set(origin.campaign_id),
        body: Set(body.to_owned()),
        status: Set(status.to_owned()),
        suppression_reason: Set(reason.map(str::to_owned)),
        provider_id: Set(None),
        error: Set(None),
        scheduled_for: Set(scheduled_for),
        sent_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let inserted = message::Entity::insert(row)
        .on_conflict(
            OnConflict::column(message::Column::IdempotencyKey)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    if inserted == 0 {
        return Ok(false);
    }
    let what = match status {
        "suppressed" => format!(
            "{} not sent ({}): {}",
            channel.to_uppercase(),
            reason.unwrap_or_default(),
            origin.reason
        ),
        "officer_task" => format!("Task for the officer: {}", origin.reason),
        _ => format!("{} planned: {}", channel.to_uppercase(), origin.reason),
    };
    let what = match note {
        Some(note) => format!("{what} ({note})"),
        None => what,
    };
    action::Entity::insert(action::ActiveModel {
        tenancy_id: Set(tenancy_id),
        kind: Set(if status == "officer_task" {
            crate::vocab::ActionKind::Task.into()
        } else {
            crate::vocab::ActionKind::Message.into()
        }),
        outcome: Set(Some(status.to_owned())),
        body: Set(what),
        author_staff_id: Set(None),
        rule_id: Set(origin.rule_id.map(str::to_owned)),
        facts: Set(Some(facts_json.to_owned())),
        client_id: Set(None),
        occurred_at: Set(now),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(true)
}
