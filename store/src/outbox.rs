//! The outbox: message rows move `queued → sending → sent | failed`, or back to `queued` for a
//! retry. A row is claimed with a conditional update (`… WHERE status = 'queued'`), so of any
//! number of workers exactly one sends it. A row left in `sending` by a worker that died
//! mid-send is never sent again blindly: it becomes `unknown` for reconciliation (issue 4:
//! sending a debt message twice is worse than sending it late).

use crate::entities::{action, device, message, tenant};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

/// A `sending` row older than this was abandoned by a worker that died.
pub const SENDING_TIMEOUT: Duration = Duration::minutes(10);

/// Every status a message row holds: what the outbox, the campaigns, the SMS callbacks and
/// replies, and an officer task's row write. The API's `MessageStatus` lists the same.
pub const MESSAGE_STATUSES: [&str; 10] = [
    "queued",
    "sending",
    "sent",
    "delivered",
    "failed",
    "unknown",
    "suppressed",
    "cancelled",
    "received",
    "officer_task",
];

/// Every channel a message row holds: the contact channels, and `task` for a rule's task
/// for an officer.
pub const MESSAGE_CHANNELS: [&str; 4] = ["sms", "email", "push", "task"];

/// A message due now, claimed by this worker, with the recipient's address.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub message: message::Model,
    /// Mobile number or email address of the tenant it goes to.
    pub address: Option<String>,
}

/// Claim up to `limit` queued messages on `channel` whose time has come, oldest first.
///
/// A campaign's messages are claimed only while the campaign is live (scheduled or running,
/// before its end) and below its per-minute throttle, counting what it sent in the last minute
/// and has in flight: pausing or cancelling a campaign stops its sending at the next claim.
/// (The exact per-campaign budget of a claimed batch is [`within_campaign_throttles`].)
///
/// One statement claims the whole batch (`UPDATE … WHERE id IN (due ids) … RETURNING`), so a
/// batch costs one round trip, not one per message. On PostgreSQL the due ids are locked with
/// `FOR UPDATE SKIP LOCKED`: concurrent workers take disjoint batches instead of racing for
/// the same rows. SQLite runs one writer at a time, so the statement is atomic there as it
/// stands. Either way the outer `status = 'queued'` makes a row go to exactly one worker.
pub async fn claim_due(
    db: &DatabaseConnection,
    channel: &str,
    now: chrono::DateTime<chrono::Utc>,
    limit: u64,
) -> Result<Vec<Claimed>, sea_orm::DbErr> {
    use sea_orm::{DbBackend, Statement};
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "UPDATE messages SET status = 'sending', updated_at = $1 \
             WHERE status = 'queued' AND id IN (\
               SELECT id FROM messages \
               WHERE status = 'queued' AND channel = $2 AND scheduled_for <= $3 \
               AND (campaign_id IS NULL OR campaign_id IN (\
                 SELECT c.id FROM campaigns c \
                 WHERE c.status IN ('scheduled', 'running') \
                 AND (c.ends_at IS NULL OR c.ends_at > $3) \
                 AND (c.throttle_per_minute IS NULL OR c.throttle_per_minute > (\
                   SELECT COUNT(*) FROM messages s WHERE s.campaign_id = c.id \
                   AND (s.status = 'sending' OR (s.status IN ('sent', 'delivered', 'unknown') \
                   AND s.sent_at > $5))))))\
               ORDER BY scheduled_for LIMIT $4 FOR UPDATE SKIP LOCKED) \
             RETURNING *"
        }
        _ => {
            "UPDATE messages SET status = 'sending', updated_at = ?1 \
             WHERE status = 'queued' AND id IN (\
               SELECT id FROM messages \
               WHERE status = 'queued' AND channel = ?2 AND scheduled_for <= ?3 \
               AND (campaign_id IS NULL OR campaign_id IN (\
                 SELECT c.id FROM campaigns c \
                 WHERE c.status IN ('scheduled', 'running') \
                 AND (c.ends_at IS NULL OR c.ends_at > ?3) \
                 AND (c.throttle_per_minute IS NULL OR c.throttle_per_minute > (\
                   SELECT COUNT(*) FROM messages s WHERE s.campaign_id = c.id \
                   AND (s.status = 'sending' OR (s.status IN ('sent', 'delivered', 'unknown') \
                   AND s.sent_at > ?5))))))\
               ORDER BY scheduled_for LIMIT ?4) \
             RETURNING *"
        }
    };
    let mut won = message::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            backend,
            sql,
            [
                now.into(),
                channel.into(),
                now.into(),
                i64::try_from(limit).unwrap_or(i64::MAX).into(),
                (now - Duration::minutes(1)).into(),
            ],
        ))
        .all(db)
        .await?;
    won.sort_by_key(|m| (m.scheduled_for, m.id));
    let tenant_ids: Vec<i64> = won.iter().filter_map(|m| m.tenant_id).collect();
    let people: std::collections::HashMap<i64, tenant::Model> = if tenant_ids.is_empty() {
        Default::default()
    } else {
        tenant::Entity::find()
            .filter(tenant::Column::Id.is_in(tenant_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect()
    };
    Ok(won
        .into_iter()
        .map(|m| {
            let address = m.tenant_id.and_then(|id| people.get(&id)).and_then(|p| {
                if channel == "sms" {
                    p.mobile.clone()
                } else {
                    p.email.clone()
                }
            });
            Claimed {
                message: m,
                address,
            }
        })
        .collect())
}

async fn set(
    db: &DatabaseConnection,
    id: i64,
    now: chrono::DateTime<chrono::Utc>,
    changes: Vec<(message::Column, sea_orm::sea_query::SimpleExpr)>,
) -> Result<(), sea_orm::DbErr> {
    set_from(db, id, "sending", now, changes).await.map(|_| ())
}

/// Apply `changes` if the row is still in status `from`; whether it was.
async fn set_from(
    db: &DatabaseConnection,
    id: i64,
    from: &str,
    now: chrono::DateTime<chrono::Utc>,
    changes: Vec<(message::Column, sea_orm::sea_query::SimpleExpr)>,
) -> Result<bool, sea_orm::DbErr> {
    let mut update =
        message::Entity::update_many().col_expr(message::Column::UpdatedAt, Expr::value(now));
    for (column, value) in changes {
        update = update.col_expr(column, value);
    }
    Ok(update
        .filter(message::Column::Id.eq(id))
        .filter(message::Column::Status.eq(from))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// Under a per-minute `rate`, which of `claimed` (ids this worker just claimed) may go now;
/// the rest go back to the queue here. Counted by the database, so it holds across workers:
/// what was sent in the minute before `now` and every other row in flight use the budget
/// first. The decision is made under one lock per channel (a PostgreSQL advisory lock; SQLite
/// has one writer), and the rows not admitted are released before the lock goes, so a row
/// still `sending` afterwards is always one that was admitted: two workers can never both
/// spend the same slot. (Ranking rows in flight by id instead let a batch claimed later with
/// lower ids push out rows already admitted: 1.002x the limit in the outreach benchmark.)
/// A batch another worker has claimed but not yet checked counts against this one: that
/// errs towards sending a little later, never more.
pub async fn within_rate(
    db: &DatabaseConnection,
    channel: &str,
    rate: u32,
    claimed: &[i64],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<std::collections::HashSet<i64>, sea_orm::DbErr> {
    let key = RATE_LOCK_BASE + channel.bytes().map(i64::from).sum::<i64>();
    let scope = sea_orm::Condition::all().add(message::Column::Channel.eq(channel));
    admit(db, key, scope, rate, claimed, now).await
}

/// Advisory-lock keys of [`within_rate`] (one per channel, from this base) and of
/// [`within_campaign_throttles`] (one per campaign).
const RATE_LOCK_BASE: i64 = 0x5245_4e54_0000;
const CAMPAIGN_LOCK_BASE: i64 = 0x4341_4d50_0000_0000;

/// Of `claimed` (rows of `scope` this worker holds in `sending`), the ones a budget of `limit`
/// a minute lets go now; the rest are released to the queue before the lock `key` goes (see
/// [`within_rate`]).
async fn admit(
    db: &DatabaseConnection,
    key: i64,
    scope: sea_orm::Condition,
    limit: u32,
    claimed: &[i64],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<std::collections::HashSet<i64>, sea_orm::DbErr> {
    use sea_orm::{Condition, ConnectionTrait, DbBackend, PaginatorTrait, Statement};
    let txn = crate::db::begin_write(db).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        // Held until the transaction ends.
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [key.into()],
        ))
        .await?;
    }
    // One statement, so one snapshot: counted apart, a row another worker moves from
    // `sending` to `sent` between the two counts would be in neither.
    let used = message::Entity::find()
        .filter(scope)
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(message::Column::Status.is_in(["sent", "delivered", "unknown"]))
                        .add(message::Column::SentAt.gt(now - Duration::minutes(1))),
                )
                .add(
                    Condition::all()
                        .add(message::Column::Status.eq("sending"))
                        .add(message::Column::Id.is_not_in(claimed.iter().copied())),
                ),
        )
        .count(&txn)
        .await?;
    let left = u64::from(limit).saturating_sub(used);
    let mut mine = claimed.to_vec();
    mine.sort_unstable();
    let split = usize::try_from(left).unwrap_or(usize::MAX).min(mine.len());
    let (keep, rest) = mine.split_at(split);
    if !rest.is_empty() {
        message::Entity::update_many()
            .col_expr(message::Column::Status, Expr::value("queued"))
            .col_expr(message::Column::UpdatedAt, Expr::value(now))
            .filter(message::Column::Id.is_in(rest.iter().copied()))
            .filter(message::Column::Status.eq("sending"))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(keep.iter().copied().collect())
}

/// Of `claimed` (rows this worker just claimed), the ones their campaign's per-minute throttle
/// lets go now; rows of no campaign, or of one without a throttle, all go. Admitted per
/// campaign as [`within_rate`] admits per channel (one lock per campaign, one snapshot); the
/// rest go back to the queue here.
pub async fn within_campaign_throttles(
    db: &DatabaseConnection,
    claimed: &[message::Model],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<std::collections::HashSet<i64>, sea_orm::DbErr> {
    use crate::entities::campaign;
    let mut keep: std::collections::HashSet<i64> = claimed
        .iter()
        .filter(|m| m.campaign_id.is_none())
        .map(|m| m.id)
        .collect();
    let mut campaigns: Vec<i64> = claimed.iter().filter_map(|m| m.campaign_id).collect();
    campaigns.sort_unstable();
    campaigns.dedup();
    for id in campaigns {
        let mine: Vec<i64> = claimed
            .iter()
            .filter(|m| m.campaign_id == Some(id))
            .map(|m| m.id)
            .collect();
        let throttle = campaign::Entity::find_by_id(id)
            .one(db)
            .await?
            .and_then(|c| c.throttle_per_minute);
        let Some(throttle) = throttle else {
            keep.extend(mine);
            continue;
        };
        let scope = sea_orm::Condition::all().add(message::Column::CampaignId.eq(id));
        let limit = u32::try_from(throttle).unwrap_or(0);
        keep.extend(admit(db, CAMPAIGN_LOCK_BASE + id, scope, limit, &mine, now).await?);
    }
    Ok(keep)
}

pub async fn mark_sent(
    db: &DatabaseConnection,
    id: i64,
    provider_id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sea_orm::DbErr> {
    set(
        db,
        id,
        now,
        vec![
            (message::Column::Status, Expr::value("sent")),
            (message::Column::ProviderId, Expr::value(provider_id)),
            (message::Column::SentAt, Expr::value(now)),
        ],
    )
    .await
}

/// A message the provider took, waiting to be recorded with others of its group
/// ([`mark_sent_many`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMark {
    pub id: i64,
    pub provider_id: String,
    /// When the provider's answer came.
    pub at: DateTime<Utc>,
}

/// Record a group of sends in one statement (one commit instead of one per message): each row
/// still `sending` becomes `sent` with its own provider id and time. Rows no longer `sending`
/// (reconciled meanwhile) are left alone. How many were recorded.
pub async fn mark_sent_many(
    db: &DatabaseConnection,
    marks: &[SentMark],
) -> Result<u64, sea_orm::DbErr> {
    use sea_orm::sea_query::CaseStatement;
    let Some(latest) = marks.iter().map(|m| m.at).max() else {
        return Ok(0);
    };
    let mut provider = CaseStatement::new();
    let mut sent_at = CaseStatement::new();
    for m in marks {
        provider = provider.case(message::Column::Id.eq(m.id), m.provider_id.clone());
        sent_at = sent_at.case(message::Column::Id.eq(m.id), m.at);
    }
    Ok(message::Entity::update_many()
        .col_expr(message::Column::Status, Expr::value("sent"))
        .col_expr(
            message::Column::ProviderId,
            provider
                .finally(Expr::col(message::Column::ProviderId))
                .into(),
        )
        .col_expr(
            message::Column::SentAt,
            sent_at.finally(Expr::col(message::Column::SentAt)).into(),
        )
        .col_expr(message::Column::UpdatedAt, Expr::value(latest))
        .filter(message::Column::Id.is_in(marks.iter().map(|m| m.id)))
        .filter(message::Column::Status.eq("sending"))
        .exec(db)
        .await?
        .rows_affected)
}

/// The provider was unavailable: queue again for `retry_at`, counting the attempt.
pub async fn mark_retry(
    db: &DatabaseConnection,
    id: i64,
    error: &str,
    retry_at: DateTime<Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sea_orm::DbErr> {
    set(
        db,
        id,
        now,
        vec![
            (message::Column::Status, Expr::value("queued")),
            (message::Column::Error, Expr::value(error)),
            (message::Column::ScheduledFor, Expr::value(retry_at)),
            (
                message::Column::Attempts,
                Expr::col(message::Column::Attempts).add(1),
            ),
        ],
    )
    .await
}

/// Not now after all (the contact policy, asked again at send time): queue for `at`.
pub async fn defer(
    db: &DatabaseConnection,
    id: i64,
    at: DateTime<Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sea_orm::DbErr> {
    set(
        db,
        id,
        now,
        vec![
            (message::Column::Status, Expr::value("queued")),
            (message::Column::ScheduledFor, Expr::value(at)),
        ],
    )
    .await
}

/// Never, as things now stand (the contact policy, asked again at send time): record the
/// reason on the message and in the diary.
pub async fn mark_suppressed(
    db: &DatabaseConnection,
    m: &message::Model,
    reason: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sea_orm::DbErr> {
    let changed = set_from(
        db,
        m.id,
        "sending",
        now,
        vec![
            (message::Column::Status, Expr::value("suppressed")),
            (message::Column::SuppressionReason, Expr::value(reason)),
        ],
    )
    .await?;
    if changed {
        action::Entity::insert(action::ActiveModel {
            tenancy_id: Set(m.tenancy_id),
            kind: Set(crate::vocab::ActionKind::Message.into()),
            outcome: Set(Some("suppressed".into())),
            body: Set(format!(
                "{} not sent ({reason}): the contact policy, asked again when it was due",
                m.channel.to_uppercase()
            )),
            author_staff_id: Set(None),
            rule_id: Set(m.rule_id.clone()),
            facts: Set(None),
            client_id: Set(None),
            occurred_at: Set(now),
            created_at: Set(now),
            ..Default::default()
        })
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// Hand a claimed message back unsent (the worker ran out of time for it).
pub async fn release(
    db: &DatabaseConnection,
    id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sea_orm::DbErr> {
    set(
        db,
        id,
        now,
        vec![(message::Column::Status, Expr::value("queued"))],
    )
    .await
}

/// The provider refused it for good. When the contact detail itself is at fault (an invalid
/// number, an unknown mailbox), remember that on the tenant so the contact policy stops
/// choosing it.
pub async fn mark_failed(
    db: &DatabaseConnection,
    claimed: &Claimed,
    error: &str,
    detail_invalid: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sea_orm::DbErr> {
    set(
        db,
        claimed.message.id,
        now,
        vec![
            (message::Column::Status, Expr::value("failed")),
            (message::Column::Error, Expr::value(error)),
        ],
    )
    .await?;
    let column = match claimed.message.channel.as_str() {
        "sms" => Some(tenant::Column::MobileInvalid),
        "email" => Some(tenant::Column::EmailInvalid),
        // A dead push token is deleted by the dispatcher instead.
        _ => None,
    };
    if detail_invalid && let (Some(column), Some(tenant_id)) = (column, claimed.message.tenant_id) {
        tenant::Entity::update_many()
            .col_expr(column, Expr::value(true))
            .filter(tenant::Column::Id.eq(tenant_id))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// A message that will not be sent (`failed` for good) becomes a task for the patch officer
/// when it stood for a contact someone is counting on: a rule's early-intervention step or a
/// message an officer wrote. A campaign's failures are counted in its progress instead (a
/// provider outage must not bury officers in one task per recipient), and a sign-in code the
/// person asked for has expired by then. Idempotent per message. The task's id, if raised.
pub async fn raise_not_sent_task(
    db: &DatabaseConnection,
    m: &message::Model,
    error: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<i64>, sea_orm::DbErr> {
    if m.campaign_id.is_some() || rentdesk_domain::contact_policy::is_requested(&m.template) {
        return Ok(None);
    }
    let channel = match m.channel.as_str() {
        "sms" => "text message",
        "email" => "email",
        "push" => "app notification",
        other => other,
    };
    crate::tasks::create(
        db,
        crate::tasks::NewTask {
            tenancy_id: m.tenancy_id,
            kind: rentdesk_domain::tasks::MESSAGE_NOT_SENT,
            title: format!("A {channel} to the tenant could not be sent"),
            detail: format!(
                "Message {} ({}, planned {}) was not sent: {error}. Contact the tenant another way.",
                m.id,
                m.template,
                m.created_at.format("%-d %b %Y %H:%M UTC")
            ),
            due_on: rentdesk_domain::tasks::due_on(
                rentdesk_domain::time::london_date(now),
                rentdesk_domain::tasks::DueIn::MessageNotSent,
            ),
            rule_id: Some(
                m.rule_id
                    .as_deref()
                    .unwrap_or(rentdesk_domain::tasks::MESSAGE_NOT_SENT),
            ),
            idempotency_key: Some(format!("not_sent:message:{}", m.id)),
        },
        None,
        now,
    )
    .await
}

/// Rows stuck in `sending` since before `now − SENDING_TIMEOUT`: the worker died between
/// claiming and recording. Whether the provider got it is unknown, so they are not resent.
/// `updated_at` keeps the instant of the claim: reconciliation looks for sends after it. An
/// email or push notification in that state becomes a task for the patch officer (nothing can
/// be asked of SMTP or FCM afterwards).
pub async fn mark_abandoned_unknown(
    db: &DatabaseConnection,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<u64, sea_orm::DbErr> {
    let stale = message::Entity::find()
        .filter(message::Column::Status.eq("sending"))
        .filter(message::Column::UpdatedAt.lt(now - SENDING_TIMEOUT))
        .all(db)
        .await?;
    if stale.is_empty() {
        return Ok(0);
    }
    let txn = crate::db::begin_write(db).await?;
    let mut marked = 0;
    for m in stale {
        let changed = message::Entity::update_many()
            .col_expr(message::Column::Status, Expr::value("unknown"))
            .filter(message::Column::Id.eq(m.id))
            .filter(message::Column::Status.eq("sending"))
            .exec(&txn)
            .await?
            .rows_affected;
        marked += changed;
        // Twilio can be asked (`reconcile_unknown_sms`); SMTP and FCM cannot, and their status
        // never comes back to us: a person decides, nothing is resent blindly.
        if changed == 1 && m.channel != "sms" {
            crate::tasks::create(
                &txn,
                crate::tasks::NewTask {
                    tenancy_id: m.tenancy_id,
                    kind: "message_unknown",
                    title: format!(
                        "Check whether an {} reached the tenant",
                        if m.channel == "email" { "email" } else { "app notification" }
                    ),
                    detail: format!(
                        "The worker stopped while handing message {} ({}, planned {}) to the provider, so whether it went is unknown. It will not be sent again automatically: check with the tenant and send it yourself if it did not arrive.",
                        m.id,
                        m.template,
                        m.created_at.format("%-d %b %Y %H:%M UTC")
                    ),
                    due_on: rentdesk_domain::tasks::due_on(
                        rentdesk_domain::time::london_date(now),
                        rentdesk_domain::tasks::DueIn::MessageOutcomeUnknown,
                    ),
                    // The rule that sent it; a campaign's message has none.
                    rule_id: Some(
                        m.rule_id
                            .as_deref()
                            .unwrap_or(rentdesk_domain::tasks::MESSAGE_OUTCOME_UNKNOWN),
                    ),
                    idempotency_key: Some(format!("unknown:message:{}", m.id)),
                },
                None, now,
            )
            .await?;
        }
    }
    txn.commit().await?;
    Ok(marked)
}

/// The push devices registered for a tenant.
pub async fn devices_of(
    db: &DatabaseConnection,
    tenant_id: i64,
) -> Result<Vec<device::Model>, sea_orm::DbErr> {
    device::Entity::find()
        .filter(device::Column::TenantId.eq(tenant_id))
        .order_by_asc(device::Column::Id)
        .all(db)
        .await
}

/// FCM said the token no longer reaches a device: forget it.
pub async fn delete_device(db: &DatabaseConnection, id: i64) -> Result<(), sea_orm::DbErr> {
    device::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

/// SMS whose fate is unknown (claimed by a worker that died mid-send), a page at a time in id
/// order after `after_id`, with the number they went to.
pub async fn unknown_sms(
    db: &DatabaseConnection,
    after_id: i64,
    limit: u64,
) -> Result<Vec<Claimed>, sea_orm::DbErr> {
    let rows = message::Entity::find()
        .filter(message::Column::Status.eq("unknown"))
        .filter(message::Column::Channel.eq("sms"))
        .filter(message::Column::Id.gt(after_id))
        .order_by_asc(message::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for m in rows {
        let address = match m.tenant_id {
            Some(id) => tenant::Entity::find_by_id(id)
                .one(db)
                .await?
                .and_then(|p| p.mobile),
            None => None,
        };
        out.push(Claimed {
            message: m,
            address,
        });
    }
    Ok(out)
}

/// The provider has the message after all: record it as sent (only from `unknown`).
pub async fn mark_unknown_sent(
    db: &DatabaseConnection,
    id: i64,
    provider_id: &str,
    sent_at: DateTime<Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, sea_orm::DbErr> {
    set_from(
        db,
        id,
        "unknown",
        now,
        vec![
            (message::Column::Status, Expr::value("sent")),
            (message::Column::ProviderId, Expr::value(provider_id)),
            (message::Column::SentAt, Expr::value(sent_at)),
            (
                message::Column::Error,
                Expr::value("reconciled: found at the provider after a lost answer"),
            ),
        ],
    )
    .await
}

/// The provider has no trace of an `unknown` message: queue it again, but only ever once per
/// message. The once is a diary entry whose `client_id` (unique) names the message, written
/// before the row moves, so neither a second worker nor a second loss can requeue it again.
/// Whether it was requeued now.
pub async fn requeue_unknown_once(
    db: &DatabaseConnection,
    m: &message::Model,
    why: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, sea_orm::DbErr> {
    let inserted = action::Entity::insert(action::ActiveModel {
        tenancy_id: Set(m.tenancy_id),
        kind: Set(crate::vocab::ActionKind::Message.into()),
        outcome: Set(Some("requeued".into())),
        body: Set(format!("{} requeued once: {why}", m.channel.to_uppercase())),
        author_staff_id: Set(None),
        rule_id: Set(m.rule_id.clone()),
        facts: Set(None),
        client_id: Set(Some(format!("reconcile:requeue:message:{}", m.id))),
        occurred_at: Set(now),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(action::Column::ClientId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    if inserted == 0 {
        return Ok(false);
    }
    set_from(
        db,
        m.id,
        "unknown",
        now,
        vec![
            (message::Column::Status, Expr::value("queued")),
            (message::Column::ScheduledFor, Expr::value(now)),
            (message::Column::Error, Expr::value(why)),
        ],
    )
    .await
}

/// A message as the dev outbox shows it ([`latest`]).
#[derive(Debug, Clone, serde::Serialize)]
pub struct OutboxEntry {
    pub id: i64,
    /// The tenancy reference the message is about.
    pub reference: String,
    pub channel: String,
    pub template: String,
    /// `queued` (waiting for its time: `scheduled_for`), `sending`, `sent`, `delivered`,
    /// `failed`, `suppressed` (with the reason), `unknown`.
    pub status: String,
    pub suppression_reason: Option<String>,
    pub rule_id: Option<String>,
    pub campaign_id: Option<i64>,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub subject: Option<String>,
    pub body: String,
}

/// Which messages [`latest`] lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Planned by an early-intervention rule (`rule_id` set).
    Rule,
    /// Sent for a campaign.
    Campaign,
    /// Neither: sign-in codes and the like.
    Other,
}

/// What to list: one tenancy (by reference), one template, one origin; all when `None`.
#[derive(Debug, Clone, Copy, Default)]
pub struct OutboxFilter<'a> {
    pub reference: Option<&'a str>,
    pub template: Option<&'a str>,
    pub origin: Option<Origin>,
}

/// The newest `limit` messages matching `filter`, newest first: what `rentdesk dev` shows at
/// `/dev/outbox`. Officers' tasks, which early intervention records beside its messages, are
/// left out.
pub async fn latest(
    db: &DatabaseConnection,
    filter: OutboxFilter<'_>,
    limit: u64,
) -> Result<Vec<OutboxEntry>, sea_orm::DbErr> {
    let OutboxFilter {
        reference,
        template,
        origin,
    } = filter;
    use crate::entities::tenancy;
    let mut query = message::Entity::find()
        // Work for an officer is recorded beside the messages (channel `task`): not a message.
        .filter(message::Column::Channel.ne("task"))
        .order_by_desc(message::Column::Id)
        .limit(limit);
    if let Some(r) = reference {
        let Some(t) = tenancy::Entity::find()
            .filter(tenancy::Column::Reference.eq(crate::auth::normalise_reference(r)))
            .one(db)
            .await?
        else {
            return Ok(vec![]);
        };
        query = query.filter(message::Column::TenancyId.eq(t.id));
    }
    if let Some(t) = template {
        query = query.filter(message::Column::Template.eq(t));
    }
    query = match origin {
        None => query,
        Some(Origin::Rule) => query.filter(message::Column::RuleId.is_not_null()),
        Some(Origin::Campaign) => query.filter(message::Column::CampaignId.is_not_null()),
        Some(Origin::Other) => query
            .filter(message::Column::RuleId.is_null())
            .filter(message::Column::CampaignId.is_null()),
    };
    let rows = query.all(db).await?;
    let ids: Vec<i64> = rows.iter().map(|m| m.tenancy_id).collect();
    let references: std::collections::HashMap<i64, String> = tenancy::Entity::find()
        .select_only()
        .column(tenancy::Column::Id)
        .column(tenancy::Column::Reference)
        .filter(tenancy::Column::Id.is_in(ids))
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|m| OutboxEntry {
            id: m.id,
            reference: references.get(&m.tenancy_id).cloned().unwrap_or_default(),
            channel: m.channel,
            template: m.template,
            status: m.status,
            suppression_reason: m.suppression_reason,
            rule_id: m.rule_id,
            campaign_id: m.campaign_id,
            scheduled_for: m.scheduled_for,
            sent_at: m.sent_at,
            created_at: m.created_at,
            subject: m.subject,
            body: m.body,
        })
        .collect())
}
