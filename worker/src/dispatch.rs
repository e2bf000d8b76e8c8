//! Dispatch: send the outbox's due messages — SMS (Twilio), email (SMTP), push (FCM) — each
//! exactly once.
//!
//! A message is claimed (`queued → sending`) before the provider is called, and the answer is
//! recorded right after:
//! * `sent` with the provider's id (SMS in small groups, one statement per group: see [`drain`]);
//! * back to `queued` when the provider is unavailable (429/5xx/4xx SMTP/timeouts), after an
//!   exponential backoff with jitter counted in `messages.attempts`, moved into the contact
//!   window, and `failed` after [`MAX_SEND_ATTEMPTS`];
//! * `failed` when refused for good. When the contact detail itself is at fault (an invalid
//!   number, an unknown mailbox, no live push device) it is remembered on the tenant and the
//!   same event is planned on the next channel (`rentdesk_store::outreach::plan_fallback`).
//!
//! Before anything goes, `domain::contact_policy` is asked again (the facts may have changed
//! since planning): a message it now suppresses is recorded as suppressed (and, when its channel
//! no longer reaches the tenant, planned on the next one); one it defers is queued for later.
//!
//! With no provider configured for a channel (`rentdesk dev`), its messages go to the local
//! outbox: logged and marked sent there. SMS whose answer was lost are reconciled with Twilio
//! by [`reconcile_unknown_sms`] rather than sent again.

use crate::email::{EmailError, Mailer, OutgoingEmail};
use crate::push::{FcmClient, Notification, PushError};
use crate::sms::{SmsError, SmsProvider, TwilioClient};
use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
use rentdesk_domain::contact_policy::{
    ContactPolicy, Decision, SuppressReason, is_requested, next_allowed,
};
use rentdesk_store::outbox::{self, Claimed};
use rentdesk_store::outreach::{Fallback, plan_fallback, recheck};
use sea_orm::DatabaseConnection;

/// First retry after this, doubling per attempt.
pub const RETRY_BASE: Duration = Duration::minutes(1);
/// No retry waits longer than this (before jitter).
pub const RETRY_CAP: Duration = Duration::hours(1);
/// ±20% so that messages failed together do not retry together.
pub const RETRY_JITTER: f64 = 0.2;
/// Attempts before a message the provider keeps refusing temporarily is given up.
pub const MAX_SEND_ATTEMPTS: i32 = 8;
/// An `unknown` SMS not found at Twilio this long after its claim is sent again (once).
pub const RECONCILE_AFTER: Duration = Duration::minutes(30);
/// Messages claimed at once per channel.
const BATCH: u64 = 50;
/// Sends in flight at once per dispatcher and channel, unless configured
/// ([`Providers::send_concurrency`]). Twilio answers "too many concurrent requests" well above
/// this; SMTP relays and FCM take it easily.
pub const DEFAULT_SEND_CONCURRENCY: usize = 8;
/// How long one dispatch run may send (see [`drain`]): well inside `outbox::SENDING_TIMEOUT`.
pub const RELEASE_AFTER: std::time::Duration = std::time::Duration::from_secs(4 * 60);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DispatchReport {
    pub sent: u64,
    pub to_outbox: u64,
    pub retrying: u64,
    pub failed: u64,
    pub marked_unknown: u64,
    /// Messages planned on another channel after a permanent failure.
    pub fallbacks: u64,
    /// `unknown` SMS found at Twilio and recorded as sent.
    pub reconciled: u64,
    /// `unknown` SMS Twilio never had, queued again (once).
    pub requeued: u64,
    /// Due, but the contact policy now says never (Breathing Space began, opted out, …).
    pub suppressed: u64,
    /// Due, but the contact policy now says later (quiet hours, the weekly cap).
    pub deferred: u64,
}

impl std::ops::AddAssign for DispatchReport {
    fn add_assign(&mut self, o: DispatchReport) {
        self.sent += o.sent;
        self.to_outbox += o.to_outbox;
        self.retrying += o.retrying;
        self.failed += o.failed;
        self.marked_unknown += o.marked_unknown;
        self.fallbacks += o.fallbacks;
        self.reconciled += o.reconciled;
        self.requeued += o.requeued;
        self.suppressed += o.suppressed;
        self.deferred += o.deferred;
    }
}

/// The providers this worker has; `None` = that channel goes to the local outbox.
#[derive(Clone, Debug, Default)]
pub struct Providers {
    pub sms: Option<TwilioClient>,
    pub email: Option<Mailer>,
    pub push: Option<FcmClient>,
    pub status_callback: Option<String>,
    /// For retries (kept inside the contact window) and fallbacks.
    pub policy: ContactPolicy,
    /// At most this many sends per channel per minute, counted in the database so the limit
    /// holds across every worker; `None` = unthrottled.
    pub rate_per_minute: Option<u32>,
    /// Sends in flight at once per channel in one dispatch run; 0 = [`DEFAULT_SEND_CONCURRENCY`].
    pub send_concurrency: usize,
}

impl Providers {
    fn concurrency(&self) -> usize {
        match self.send_concurrency {
            0 => DEFAULT_SEND_CONCURRENCY,
            n => n,
        }
    }
}

/// How one send ended.
#[derive(Debug)]
enum Outcome {
    Sent(String),
    Outbox,
    /// Try again later; at the earliest after `after` when the provider said (`Retry-After`).
    Retry {
        error: String,
        after: Option<std::time::Duration>,
    },
    /// Refused for good; `detail_invalid` when the tenant's number/address/device is at fault.
    Failed {
        error: String,
        detail_invalid: bool,
    },
}

/// The delay before retry number `attempts + 1`: 1 min × 2^attempts, capped at an hour, then
/// scaled by `jitter` in [−1, 1] × 20%.
pub fn retry_delay(attempts: i32, jitter: f64) -> Duration {
    let exp = attempts.clamp(0, 30) as u32;
    let base = RETRY_BASE
        .checked_mul(2i32.saturating_pow(exp))
        .unwrap_or(RETRY_CAP)
        .min(RETRY_CAP);
    let factor = 1.0 + RETRY_JITTER * jitter.clamp(-1.0, 1.0);
    Duration::milliseconds((base.num_milliseconds() as f64 * factor) as i64)
}

/// A number in [−1, 1] that differs per call (std's per-instance random hash keys).
fn jitter() -> f64 {
    use std::hash::{BuildHasher, RandomState};
    let r = RandomState::new().hash_one(0u8);
    (r % 2001) as f64 / 1000.0 - 1.0
}

/// Record `outcome` for a claimed message, planning a fallback when its detail is bad. A sent
/// message is stamped `sent_at` (when the answer came); everything else is planned from `now`.
/// With `group_sent`, a sent message is not written here but handed back, for the caller to
/// record with the others of its group ([`outbox::mark_sent_many`]).
async fn settle(
    db: &DatabaseConnection,
    claimed: &Claimed,
    outcome: Outcome,
    policy: &ContactPolicy,
    (now, sent_at): (DateTime<Utc>, DateTime<Utc>),
    group_sent: bool,
    report: &mut DispatchReport,
) -> anyhow::Result<Option<outbox::SentMark>> {
    let m = &claimed.message;
    let sent = |provider_id: String| async move {
        if group_sent {
            return Ok::<_, sea_orm::DbErr>(Some(outbox::SentMark {
                id: m.id,
                provider_id,
                at: sent_at,
            }));
        }
        outbox::mark_sent(db, m.id, &provider_id, sent_at).await?;
        Ok(None)
    };
    match outcome {
        Outcome::Sent(provider_id) => {
            report.sent += 1;
            return Ok(sent(provider_id).await?);
        }
        Outcome::Outbox => {
            tracing::info!(message_id = m.id, channel = %m.channel, to = ?claimed.address, body = %m.body, "outbox: no provider configured for this channel");
            report.to_outbox += 1;
            return Ok(sent(format!("outbox:{}", m.id)).await?);
        }
        Outcome::Retry { error, .. } if m.attempts + 1 >= MAX_SEND_ATTEMPTS => {
            tracing::warn!(
                message_id = m.id,
                attempts = m.attempts + 1,
                "giving up: {error}"
            );
            let error = format!("gave up after {} attempts: {error}", m.attempts + 1);
            outbox::mark_failed(db, claimed, &error, false, now).await?;
            outbox::raise_not_sent_task(db, m, &error, now).await?;
            report.failed += 1;
        }
        Outcome::Retry { error, after } => {
            // A retry is still an automated contact: it waits for the contact window. A code
            // the person asked for does not (it expires in minutes). Never sooner than the
            // provider asked: trying earlier only earns another refusal.
            let backoff = retry_delay(m.attempts, jitter());
            let asked = after
                .and_then(|a| Duration::from_std(a).ok())
                .unwrap_or(Duration::zero());
            let due = now + backoff.max(asked);
            let at = if is_requested(&m.template) {
                due
            } else {
                next_allowed(policy, due)
            };
            tracing::warn!(message_id = m.id, channel = %m.channel, %at, "provider unavailable, will retry: {error}");
            outbox::mark_retry(db, m.id, &error, at, now).await?;
            report.retrying += 1;
        }
        Outcome::Failed {
            error,
            detail_invalid,
        } => {
            tracing::warn!(message_id = m.id, channel = %m.channel, "refused: {error}");
            outbox::mark_failed(db, claimed, &error, detail_invalid, now).await?;
            report.failed += 1;
            // Another channel may still reach the tenant when the detail was at fault;
            // otherwise the contact did not happen, and an officer is told.
            let fallback = if detail_invalid {
                Some(plan_fallback(db, m, &error, policy, now).await?)
            } else {
                None
            };
            match fallback {
                Some(Fallback::Planned { channel, status }) => {
                    tracing::info!(message_id = m.id, %channel, %status, "fallback planned");
                    report.fallbacks += 1;
                }
                Some(other @ (Fallback::AlreadyPlanned | Fallback::NoLongerDue)) => {
                    tracing::info!(message_id = m.id, ?other, "no fallback");
                }
                None | Some(Fallback::NoChannelLeft | Fallback::NotARule) => {
                    tracing::info!(message_id = m.id, ?fallback, "not sent: officer task");
                    outbox::raise_not_sent_task(db, m, &error, now).await?;
                }
            }
        }
    }
    Ok(None)
}

async fn send_sms<P: SmsProvider>(
    claimed: &Claimed,
    provider: Option<&P>,
    status_callback: Option<&str>,
) -> Outcome {
    let Some(to) = claimed.address.as_deref() else {
        return Outcome::Failed {
            error: "no mobile number on record".into(),
            detail_invalid: false,
        };
    };
    let Some(provider) = provider else {
        return Outcome::Outbox;
    };
    match provider
        .send(to, &claimed.message.body, status_callback)
        .await
    {
        Ok(sent) => Outcome::Sent(sent.sid),
        Err(e @ SmsError::Retryable { retry_after, .. }) => Outcome::Retry {
            error: e.to_string(),
            after: retry_after,
        },
        Err(e) => Outcome::Failed {
            detail_invalid: e.is_invalid_number(),
            error: e.to_string(),
        },
    }
}

/// The subject (email) or title (push) worded when the message was planned; for rows planned
/// before subjects were stored, the built-in one.
fn subject_of(m: &rentdesk_store::entities::message::Model) -> &str {
    m.subject.as_deref().unwrap_or_else(|| {
        rentdesk_domain::templates::subject(
            &m.template,
            rentdesk_domain::templates::Language::from_code(&m.language),
        )
        .unwrap_or("Your rent account")
    })
}

async fn send_email(claimed: &Claimed, mailer: Option<&Mailer>) -> Outcome {
    let m = &claimed.message;
    let Some(to) = claimed.address.as_deref() else {
        return Outcome::Failed {
            error: "no email address on record".into(),
            detail_invalid: false,
        };
    };
    let Some(mailer) = mailer else {
        return Outcome::Outbox;
    };
    let subject = subject_of(m);
    let email = OutgoingEmail {
        to,
        subject,
        text: &m.body,
        message_id: m.id,
        idempotency_key: &m.idempotency_key,
    };
    match mailer.send(&email).await {
        Ok(id) => Outcome::Sent(id),
        Err(e @ EmailError::Retryable { .. }) => Outcome::Retry {
            error: e.to_string(),
            after: None,
        },
        Err(e) => Outcome::Failed {
            detail_invalid: e.is_invalid_mailbox(),
            error: e.to_string(),
        },
    }
}

/// Every device of the tenant gets the notification; dead tokens are deleted. Sent if any
/// device took it (the others are not retried, so nobody gets it twice); retried if none did
/// and one was unavailable; failed as "no device" if none is left.
async fn send_push(
    db: &DatabaseConnection,
    claimed: &Claimed,
    fcm: Option<&FcmClient>,
) -> anyhow::Result<Outcome> {
    let m = &claimed.message;
    let devices = match m.tenant_id {
        Some(id) => outbox::devices_of(db, id).await?,
        None => Vec::new(),
    };
    if devices.is_empty() {
        return Ok(Outcome::Failed {
            error: "no device: the tenant has no registered push device".into(),
            detail_invalid: true,
        });
    }
    let Some(fcm) = fcm else {
        return Ok(Outcome::Outbox);
    };
    let title = subject_of(m);
    let notification = Notification {
        title,
        body: &m.body,
        data: [
            ("message_id".to_owned(), m.id.to_string()),
            ("template".to_owned(), m.template.clone()),
        ]
        .into(),
    };
    let mut sent = Vec::new();
    let mut retry = None;
    let mut refused = None;
    for d in &devices {
        match fcm.send(&d.token, &notification).await {
            Ok(name) => sent.push(name),
            Err(PushError::DeadToken { .. }) => {
                tracing::info!(device_id = d.id, "FCM token is dead; device removed");
                outbox::delete_device(db, d.id).await?;
            }
            Err(e @ PushError::Retryable { retry_after, .. }) => {
                retry = Some((e.to_string(), retry_after));
            }
            Err(e) => refused = Some(e.to_string()),
        }
    }
    Ok(match (sent.first(), retry, refused) {
        (Some(name), _, _) => Outcome::Sent(name.clone()),
        (None, Some((error, after)), _) => Outcome::Retry { error, after },
        (None, None, Some(e)) => Outcome::Failed {
            error: e,
            detail_invalid: false,
        },
        (None, None, None) => Outcome::Failed {
            error: "no device: every push token was unregistered".into(),
            detail_invalid: true,
        },
    })
}

/// Send every SMS due at `now`. `provider = None` delivers to the local outbox.
pub async fn dispatch_sms<P: SmsProvider>(
    db: &DatabaseConnection,
    provider: Option<&P>,
    status_callback: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<DispatchReport> {
    dispatch_sms_with(
        db,
        provider,
        status_callback,
        &ContactPolicy::default(),
        now,
        None,
        DEFAULT_SEND_CONCURRENCY,
    )
    .await
}

async fn dispatch_sms_with<P: SmsProvider>(
    db: &DatabaseConnection,
    provider: Option<&P>,
    status_callback: Option<&str>,
    policy: &ContactPolicy,
    now: DateTime<Utc>,
    rate: Option<u32>,
    concurrency: usize,
) -> anyhow::Result<DispatchReport> {
    let mut report = DispatchReport {
        marked_unknown: outbox::mark_abandoned_unknown(db, now).await?,
        ..Default::default()
    };
    report += drain(
        db,
        &Via::Sms(provider, status_callback),
        policy,
        now,
        RELEASE_AFTER,
        rate,
        concurrency,
    )
    .await?;
    Ok(report)
}

/// Send every email due at `now`. `mailer = None` delivers to the local outbox.
pub async fn dispatch_email(
    db: &DatabaseConnection,
    mailer: Option<&Mailer>,
    policy: &ContactPolicy,
    now: DateTime<Utc>,
) -> anyhow::Result<DispatchReport> {
    drain(
        db,
        &Via::<TwilioClient>::Email(mailer),
        policy,
        now,
        RELEASE_AFTER,
        None,
        DEFAULT_SEND_CONCURRENCY,
    )
    .await
}

/// Send every push notification due at `now`. `fcm = None` delivers to the local outbox.
pub async fn dispatch_push(
    db: &DatabaseConnection,
    fcm: Option<&FcmClient>,
    policy: &ContactPolicy,
    now: DateTime<Utc>,
) -> anyhow::Result<DispatchReport> {
    drain(
        db,
        &Via::<TwilioClient>::Push(fcm),
        policy,
        now,
        RELEASE_AFTER,
        None,
        DEFAULT_SEND_CONCURRENCY,
    )
    .await
}

/// Act on the contact policy's decision at send time: `true` = go ahead and send. A message
/// suppressed because its channel no longer reaches the tenant (opted out, no detail, known
/// invalid) is planned on the next channel, as after a permanent failure.
async fn still_allowed(
    db: &DatabaseConnection,
    claimed: &Claimed,
    decision: Option<&Decision>,
    policy: &ContactPolicy,
    now: DateTime<Utc>,
    report: &mut DispatchReport,
) -> anyhow::Result<bool> {
    let m = &claimed.message;
    match decision {
        Some(Decision::DeferUntil(at)) if *at > now => {
            tracing::info!(message_id = m.id, %at, "not now: deferred by the contact policy");
            outbox::defer(db, m.id, *at, now).await?;
            report.deferred += 1;
            Ok(false)
        }
        Some(Decision::Suppress(reason)) => {
            tracing::info!(message_id = m.id, %reason, "suppressed by the contact policy at send time");
            outbox::mark_suppressed(db, m, reason.as_str(), now).await?;
            report.suppressed += 1;
            if matches!(
                reason,
                SuppressReason::ChannelOptedOut
                    | SuppressReason::NoContactDetail
                    | SuppressReason::ContactDetailInvalid
            ) && let Fallback::Planned { .. } =
                plan_fallback(db, m, reason.as_str(), policy, now).await?
            {
                report.fallbacks += 1;
            }
            Ok(false)
        }
        _ => Ok(true),
    }
}

/// A channel and its provider (`None` = the local outbox).
enum Via<'a, P> {
    Sms(Option<&'a P>, Option<&'a str>),
    Email(Option<&'a Mailer>),
    Push(Option<&'a FcmClient>),
}

impl<P> Via<'_, P> {
    fn channel(&self) -> &'static str {
        match self {
            Via::Sms(..) => "sms",
            Via::Email(_) => "email",
            Via::Push(_) => "push",
        }
    }
}

/// What one claimed message needs to be sent and settled within a [`drain`] run.
struct Run<'a, P> {
    db: &'a DatabaseConnection,
    via: &'a Via<'a, P>,
    policy: &'a ContactPolicy,
    now: DateTime<Utc>,
    started: std::time::Instant,
    release_after: std::time::Duration,
    /// Hand sends back for recording in groups (see [`drain`]).
    group_sent: bool,
}

impl<P: SmsProvider> Run<'_, P> {
    /// Ask the contact policy again, send, record the answer. A message reached after the run's
    /// bound goes back to the queue unsent (see [`drain`]).
    async fn send_one(
        &self,
        claimed: &Claimed,
        decision: Option<&Decision>,
    ) -> anyhow::Result<(DispatchReport, Option<outbox::SentMark>)> {
        let (db, now) = (self.db, self.now);
        let mut report = DispatchReport::default();
        if self.started.elapsed() >= self.release_after {
            outbox::release(db, claimed.message.id, now).await?;
            return Ok((report, None));
        }
        if !still_allowed(db, claimed, decision, self.policy, now, &mut report).await? {
            return Ok((report, None));
        }
        let outcome = match self.via {
            Via::Sms(provider, callback) => send_sms(claimed, *provider, *callback).await,
            Via::Email(mailer) => send_email(claimed, *mailer).await,
            Via::Push(fcm) => send_push(db, claimed, *fcm).await?,
        };
        // The answer is stamped with the run's time plus how long the run has taken, not the
        // run's start: the per-minute rate and campaign throttles count `sent_at`, and a send
        // late in a long run stamped with its start would fall out of the window early and let
        // the next run go over the limit (seen: 1.003× the limit in the outreach benchmark).
        let at = now + Duration::from_std(self.started.elapsed()).unwrap_or_default();
        let mark = settle(
            db,
            claimed,
            outcome,
            self.policy,
            (now, at),
            self.group_sent,
            &mut report,
        )
        .await?;
        Ok((report, mark))
    }
}

/// Claim and send a channel's due messages batch by batch until none is left, or until the
/// run has lasted `release_after` (the next tick carries on, with its own `now`).
///
/// Why the bound: a claim stamps the row with the tick's `now`, and other workers take a row
/// stamped more than `outbox::SENDING_TIMEOUT` ago for abandoned (and reconciliation may then
/// send it again). So no row is sent later than `release_after` into the run: rows of the
/// batch not attempted by then go back to the queue unsent. Batches are small for the same
/// reason, and so that a killed worker strands few rows.
async fn drain<P: SmsProvider>(
    db: &DatabaseConnection,
    via: &Via<'_, P>,
    policy: &ContactPolicy,
    now: DateTime<Utc>,
    release_after: std::time::Duration,
    rate_per_minute: Option<u32>,
    concurrency: usize,
) -> anyhow::Result<DispatchReport> {
    let started = std::time::Instant::now();
    let mut report = DispatchReport::default();
    loop {
        let mut batch = outbox::claim_due(db, via.channel(), now, BATCH).await?;
        if let Some(rate) = rate_per_minute
            && !batch.is_empty()
        {
            // The rate holds across workers (counted in the database); over-budget claims went
            // back to the queue for a later tick.
            let ids: Vec<i64> = batch.iter().map(|c| c.message.id).collect();
            let keep = outbox::within_rate(db, via.channel(), rate, &ids, now).await?;
            // A code the person is waiting for is never held by a throughput budget.
            batch.retain(|c| keep.contains(&c.message.id) || is_requested(&c.message.template));
            if batch.is_empty() {
                return Ok(report);
            }
        }
        if batch.is_empty() {
            return Ok(report);
        }
        // A campaign's throttle holds across workers too; its over-budget rows went back.
        if batch.iter().any(|c| c.message.campaign_id.is_some()) {
            let rows: Vec<_> = batch.iter().map(|c| c.message.clone()).collect();
            let keep = outbox::within_campaign_throttles(db, &rows, now).await?;
            batch.retain(|c| keep.contains(&c.message.id));
            if batch.is_empty() {
                return Ok(report);
            }
        }
        let rows: Vec<_> = batch.iter().map(|c| c.message.clone()).collect();
        let decisions = recheck(db, &rows, policy, now).await?;
        // Up to `concurrency` sends of the batch in flight at once. SMS the provider took are
        // recorded in groups of `concurrency`, one statement each: a commit per message was
        // what bounded throughput (a commit waits for the disk; the campaign benchmark sent
        // 789 msg/s). A kill can then leave `sending` one group of answers plus one call per
        // slot; those become `unknown` and are reconciled with Twilio, never sent again
        // blindly. Email and push, which cannot be asked afterwards (an `unknown` one becomes
        // an officer's task), and every other outcome are still recorded one by one, right
        // after their answer.
        let run = Run {
            db,
            via,
            policy,
            now,
            started,
            release_after,
            group_sent: matches!(via, Via::Sms(..)),
        };
        // (A plain loop rather than a stream adapter: a closure over `&Claimed` makes the
        // worker's future fail the `Send` check apalis needs.)
        let mut waiting = batch.iter();
        let mut in_flight = futures::stream::FuturesUnordered::new();
        let mut marks = Vec::new();
        let outcome: anyhow::Result<()> = async {
            loop {
                while in_flight.len() < concurrency.max(1) {
                    let Some(c) = waiting.next() else { break };
                    in_flight.push(run.send_one(c, decisions.get(&c.message.id)));
                }
                let Some(r) = in_flight.next().await else {
                    return Ok(());
                };
                let (r, mark) = r?;
                report += r;
                marks.extend(mark);
                if marks.len() >= concurrency.max(1) {
                    outbox::mark_sent_many(db, &std::mem::take(&mut marks)).await?;
                }
            }
        }
        .await;
        // Sends already answered are recorded even when another message of the group failed
        // to settle, so the error leaves nothing for reconciliation that need not be there.
        outbox::mark_sent_many(db, &marks).await?;
        outcome?;
        if started.elapsed() >= release_after {
            return Ok(report);
        }
    }
}

/// One dispatch run over every channel: reconcile lost SMS answers, then send what is due.
/// Fallbacks planned for `now` by a channel are picked up by the later channels of the same
/// run (SMS → email → push), or by the next run.
pub async fn dispatch_all(
    db: &DatabaseConnection,
    providers: &Providers,
    now: DateTime<Utc>,
) -> anyhow::Result<DispatchReport> {
    let mut report = reconcile_unknown_sms(db, providers.sms.as_ref(), now).await?;
    let rate = providers.rate_per_minute;
    report += dispatch_sms_with(
        db,
        providers.sms.as_ref(),
        providers.status_callback.as_deref(),
        &providers.policy,
        now,
        rate,
        providers.concurrency(),
    )
    .await?;
    for via in [
        Via::<TwilioClient>::Email(providers.email.as_ref()),
        Via::<TwilioClient>::Push(providers.push.as_ref()),
    ] {
        report += drain(
            db,
            &via,
            &providers.policy,
            now,
            RELEASE_AFTER,
            rate,
            providers.concurrency(),
        )
        .await?;
    }
    Ok(report)
}

/// The SMS Twilio has for a lost send: to the same number, with our body, created at or after
/// our claim. (Our bodies are unique per event and tenant, so the body is the marker.)
fn find_at_twilio<'a>(
    listed: &'a [crate::sms::TwilioMessage],
    body: &str,
    claimed_at: DateTime<Utc>,
) -> Option<(&'a crate::sms::TwilioMessage, DateTime<Utc>)> {
    listed.iter().find_map(|t| {
        let created = t
            .date_created
            .as_deref()
            .and_then(|d| DateTime::parse_from_rfc2822(d).ok())?
            .with_timezone(&Utc);
        // Twilio's dates have whole seconds; the claim may not.
        (t.body == body && created >= claimed_at - Duration::seconds(1)).then_some((t, created))
    })
}

/// Issue 4: an SMS whose send was cut off (`unknown`) is never blindly resent. Twilio's list of
/// messages to that number since the claim decides: found → `sent` with its SID; not found
/// [`RECONCILE_AFTER`] after the claim → queued again, once (a second loss waits for an officer).
/// Without Twilio configured there is nothing to ask, and the rows wait.
pub async fn reconcile_unknown_sms(
    db: &DatabaseConnection,
    twilio: Option<&TwilioClient>,
    now: DateTime<Utc>,
) -> anyhow::Result<DispatchReport> {
    let mut report = DispatchReport {
        marked_unknown: outbox::mark_abandoned_unknown(db, now).await?,
        ..Default::default()
    };
    let Some(twilio) = twilio else {
        return Ok(report);
    };
    let mut after = 0;
    loop {
        let page = outbox::unknown_sms(db, after, BATCH).await?;
        let Some(last) = page.last() else {
            return Ok(report);
        };
        after = last.message.id;
        for claimed in &page {
            reconcile_one(db, twilio, claimed, now, &mut report).await?;
        }
    }
}

async fn reconcile_one(
    db: &DatabaseConnection,
    twilio: &TwilioClient,
    claimed: &Claimed,
    now: DateTime<Utc>,
    report: &mut DispatchReport,
) -> anyhow::Result<()> {
    let m = &claimed.message;
    let claimed_at = m.updated_at;
    let Some(to) = claimed.address.as_deref() else {
        return Ok(());
    };
    let listed = match twilio.list_messages(to, claimed_at.date_naive()).await {
        Ok(listed) => listed,
        Err(e) => {
            tracing::warn!(message_id = m.id, "cannot reconcile with Twilio now: {e}");
            return Ok(());
        }
    };
    if let Some((found, created)) = find_at_twilio(&listed, &m.body, claimed_at) {
        if outbox::mark_unknown_sent(db, m.id, &found.sid, created, now).await? {
            tracing::info!(message_id = m.id, sid = %found.sid, "reconciled: Twilio had it");
            report.reconciled += 1;
        }
    } else if now - claimed_at >= RECONCILE_AFTER {
        if outbox::requeue_unknown_once(
            db,
            m,
            "Twilio has no record of it after the send was cut off",
            now,
        )
        .await?
        {
            tracing::info!(
                message_id = m.id,
                "reconciled: Twilio never had it; requeued"
            );
            report.requeued += 1;
        } else {
            tracing::warn!(
                message_id = m.id,
                "lost twice and requeued once already: left for an officer"
            );
        }
    }
    Ok(())
}

/// Data for the dispatch cron worker.
#[derive(Clone)]
pub(crate) struct DispatchTick {
    pub db: DatabaseConnection,
    pub providers: Providers,
    /// To queue again the work the queue lost ([`sweep_stranded`]).
    pub queues: crate::Queues,
    /// The clock the contact window is judged on.
    pub clock: rentdesk_store::Clock,
}

/// Queue again every piece of pending work whose job the queue lost (issue 21): the database
/// says what is pending ([`rentdesk_store::sweep`]); the jobs are idempotent, so a job that was
/// only slow, not lost, does its work once. Logged as a warning: a lost job is worth knowing of.
pub async fn sweep_stranded(
    db: &DatabaseConnection,
    queues: &crate::Queues,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<rentdesk_store::sweep::Stranded> {
    // A queue that does not answer would take nothing: claim nothing, so the work is still
    // stranded (and swept) on the first tick after the queue is back.
    queues
        .ping()
        .await
        .map_err(|e| e.context("the queue does not answer: nothing swept this tick"))?;
    let stranded = rentdesk_store::sweep::claim_stranded(db, now).await?;
    let mut failed = rentdesk_store::sweep::Stranded::default();
    let mut last_error = None;
    for &id in &stranded.campaigns {
        if let Err(e) = queues.enqueue_campaign_fan_out(id).await {
            failed.campaigns.push(id);
            last_error = Some(e);
        }
    }
    for &id in &stranded.imports {
        if let Err(e) = queues.enqueue_import(id).await {
            failed.imports.push(id);
            last_error = Some(e);
        }
    }
    for &id in &stranded.exports {
        if let Err(e) = queues.enqueue_subject_access_export(id).await {
            failed.exports.push(id);
            last_error = Some(e);
        }
    }
    if let Some(e) = last_error {
        // The queue went away mid-sweep: give those claims back for the next tick.
        rentdesk_store::sweep::release(db, &failed).await?;
        return Err(e.context(format!(
            "queued again only part of the stranded work: {failed:?} given back"
        )));
    }
    if !stranded.is_empty() {
        tracing::warn!(
            campaigns = ?stranded.campaigns,
            imports = ?stranded.imports,
            exports = ?stranded.exports,
            "pending work had no progress for {} minutes: its jobs are queued again",
            rentdesk_store::sweep::STRANDED_AFTER.num_minutes()
        );
    }
    Ok(stranded)
}

/// Every tick, in every worker process: claiming makes concurrent ticks harmless.
pub(crate) async fn on_dispatch_tick(
    _tick: apalis_cron::Tick<chrono_tz::Tz>,
    data: apalis::prelude::Data<DispatchTick>,
) -> Result<(), apalis::prelude::BoxDynError> {
    if let Err(e) = sweep_stranded(&data.db, &data.queues, data.clock.now()).await {
        // Sending comes first: a failed sweep is tried again on the next tick.
        tracing::error!(error = %format!("{e:#}"), "sweeping for stranded work failed");
    }
    match rentdesk_store::audit_chain::seal(&data.db).await {
        // The head goes to the application log, out of a database administrator's reach: the
        // anchor `rentdesk audit verify --expect` checks a rewritten chain against.
        Ok(sealed) if sealed.count > 0 => {
            if let Some(head) = &sealed.head {
                tracing::info!(sealed = sealed.count, head = %head, "audit chain sealed");
            }
        }
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "sealing the audit log failed"),
    }
    let report = dispatch_all(&data.db, &data.providers, data.clock.now())
        .await
        .map_err(|e| format!("{e:#}"))?;
    if report != DispatchReport::default() {
        tracing::info!(?report, "dispatch");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_is_released_before_other_workers_take_it_for_abandoned() {
        assert!(chrono::Duration::from_std(RELEASE_AFTER).unwrap() < outbox::SENDING_TIMEOUT / 2);
    }

    #[tokio::test]
    async fn claimed_messages_past_the_release_bound_go_back_unsent() {
        use rentdesk_store::entities::{message, tenant};
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
        let dir = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("db.sqlite").display()
        );
        let db = rentdesk_store::db::connect(&url, 2).await.unwrap();
        rentdesk_store::db::migrate(&db).await.unwrap();
        let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        rentdesk_store::seed::seed(&db, 1, 1, as_of).await.unwrap();
        let person = tenant::Entity::find().one(&db).await.unwrap().unwrap();
        tenant::Entity::update_many()
            .col_expr(
                tenant::Column::Email,
                sea_orm::sea_query::Expr::value("t@example.org"),
            )
            .exec(&db)
            .await
            .unwrap();
        let now = Utc::now();
        for i in 0..3 {
            message::Entity::insert(message::ActiveModel {
                idempotency_key: Set(format!("test:release:{i}")),
                tenancy_id: Set(person.tenancy_id),
                tenant_id: Set(Some(person.id)),
                channel: Set("email".into()),
                template: Set("missed_payment".into()),
                body: Set(format!("message {i}")),
                status: Set("queued".into()),
                scheduled_for: Set(Some(now)),
                attempts: Set(0),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            })
            .exec_without_returning(&db)
            .await
            .unwrap();
        }
        let queued = async || {
            message::Entity::find()
                .filter(message::Column::Status.eq("queued"))
                .all(&db)
                .await
                .unwrap()
                .len()
        };
        let policy = ContactPolicy::any_time();
        let via = Via::<TwilioClient>::Email(None);
        // Out of time at once: every row goes back, nothing is sent.
        let zero = std::time::Duration::ZERO;
        let r = drain(&db, &via, &policy, now, zero, None, 1).await.unwrap();
        assert_eq!(r, DispatchReport::default());
        assert_eq!(queued().await, 3);
        let r = drain(&db, &via, &policy, now, RELEASE_AFTER, None, 1)
            .await
            .unwrap();
        assert_eq!(r.to_outbox, 3);
        assert_eq!(queued().await, 0);
    }

    #[test]
    fn retries_back_off_exponentially_up_to_an_hour_with_jitter() {
        assert_eq!(retry_delay(0, 0.0), Duration::minutes(1));
        assert_eq!(retry_delay(3, 0.0), Duration::minutes(8));
        assert_eq!(retry_delay(10, 0.0), Duration::hours(1));
        assert_eq!(retry_delay(40, 0.0), Duration::hours(1));
        assert_eq!(retry_delay(1, 1.0), Duration::seconds(144));
        assert_eq!(retry_delay(1, -1.0), Duration::seconds(96));
        for _ in 0..100 {
            let j = jitter();
            assert!((-1.0..=1.0).contains(&j), "{j}");
        }
    }

    #[test]
    fn a_lost_sms_is_found_by_body_and_time() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let listed = vec![
            crate::sms::TwilioMessage {
                sid: "SM1".into(),
                to: "+447700900123".into(),
                body: "old".into(),
                status: "delivered".into(),
                date_created: Some("Fri, 13 Nov 2026 11:00:00 +0000".into()),
            },
            crate::sms::TwilioMessage {
                sid: "SM2".into(),
                to: "+447700900123".into(),
                body: "ours".into(),
                status: "sent".into(),
                date_created: Some("Fri, 13 Nov 2026 12:00:01 +0000".into()),
            },
        ];
        let claim = at("2026-11-13T12:00:00Z");
        assert_eq!(
            find_at_twilio(&listed, "ours", claim).map(|(m, _)| m.sid.as_str()),
            Some("SM2")
        );
        assert!(
            find_at_twilio(&listed, "old", claim).is_none(),
            "before the claim"
        );
        assert!(find_at_twilio(&listed, "other", claim).is_none());
    }
}
