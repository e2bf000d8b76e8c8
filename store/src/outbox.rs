//! The outbox: message rows move `queued → sending → sent | failed`, or back to `queued` for a
//! retry. A row is claimed with a conditional update (`… WHERE status = 'queued'`), so of any
//! number of workers exactly one sends it. A row left in `sending` by a worker that died
//! mid-send is never sent again blindly: it becomes `unknown` for reconciliation (issue 4:
//! sending a debt message twice is worse than sending it late).

use crate::entities::{message, tenant};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// A `sending` row older than this was abandoned by a worker that died.
pub const SENDING_TIMEOUT: Duration = Duration::minutes(10);

/// A message due now, claimed by this worker, with the recipient's address.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub message: message::Model,
    /// Mobile number or email address of the tenant it goes to.
    pub address: Option<String>,
}

/// Claim up to `limit` queued messages on `channel` whose time has come.
pub async fn claim_due(
    db: &DatabaseConnection,
    channel: &str,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Claimed>, sea_orm::DbErr> {
    let candidates = message::Entity::find()
        .filter(message::Column::Status.eq("queued"))
        .filter(message::Column::Channel.eq(channel))
        .filter(message::Column::ScheduledFor.lte(now))
        .order_by_asc(message::Column::ScheduledFor)
        .limit(limit)
        .all(db)
        .await?;
    let mut claimed = Vec::new();
    for m in candidates {
        let won = message::Entity::update_many()
            .col_expr(message::Column::Status, Expr::value("sending"))
            .col_expr(message::Column::UpdatedAt, Expr::value(now))
            .filter(message::Column::Id.eq(m.id))
            .filter(message::Column::Status.eq("queued"))
            .exec(db)
            .await?
            .rows_affected
            == 1;
        if !won {
            continue;
        }
        let person = match m.tenant_id {
            Some(id) => tenant::Entity::find_by_id(id).one(db).await?,
            None => None,
        };
        let address = person.and_then(|p| if channel == "sms" { p.mobile } else { p.email });
        claimed.push(Claimed {
            message: message::Model {
                status: "sending".into(),
                ..m
            },
            address,
        });
    }
    Ok(claimed)
}

async fn set(
    db: &DatabaseConnection,
    id: i64,
    now: DateTime<Utc>,
    changes: Vec<(message::Column, sea_orm::sea_query::SimpleExpr)>,
) -> Result<(), sea_orm::DbErr> {
    let mut update =
        message::Entity::update_many().col_expr(message::Column::UpdatedAt, Expr::value(now));
    for (column, value) in changes {
        update = update.col_expr(column, value);
    }
    update
        .filter(message::Column::Id.eq(id))
        .filter(message::Column::Status.eq("sending"))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn mark_sent(
    db: &DatabaseConnection,
    id: i64,
    provider_id: &str,
    now: DateTime<Utc>,
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

/// The provider was unavailable: queue again for `retry_at`.
pub async fn mark_retry(
    db: &DatabaseConnection,
    id: i64,
    error: &str,
    retry_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    set(
        db,
        id,
        now,
        vec![
            (message::Column::Status, Expr::value("queued")),
            (message::Column::Error, Expr::value(error)),
            (message::Column::ScheduledFor, Expr::value(retry_at)),
        ],
    )
    .await
}

/// The provider refused it for good. When the number itself is at fault, remember that so the
/// contact policy stops choosing it.
pub async fn mark_failed(
    db: &DatabaseConnection,
    claimed: &Claimed,
    error: &str,
    number_invalid: bool,
    now: DateTime<Utc>,
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
    if number_invalid && let Some(tenant_id) = claimed.message.tenant_id {
        tenant::Entity::update_many()
            .col_expr(tenant::Column::MobileInvalid, Expr::value(true))
            .filter(tenant::Column::Id.eq(tenant_id))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Rows stuck in `sending` since before `now − SENDING_TIMEOUT`: the worker died between
/// claiming and recording. Whether the provider got it is unknown, so they are not resent.
pub async fn mark_abandoned_unknown(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    Ok(message::Entity::update_many()
        .col_expr(message::Column::Status, Expr::value("unknown"))
        .col_expr(message::Column::UpdatedAt, Expr::value(now))
        .filter(message::Column::Status.eq("sending"))
        .filter(message::Column::UpdatedAt.lt(now - SENDING_TIMEOUT))
        .exec(db)
        .await?
        .rows_affected)
}
