//! Pending work as the database sees it (issue 21). The job queue only wakes workers: if it
//! loses a job (Redis restarted without persistence, a failover, an eviction), the row that
//! asked for the work still says it is pending. [`claim_stranded`] finds such rows — a
//! campaign launched but never planned, an import batch still queued, a subject-access export
//! still queued or left `running` by a worker that died — with no progress for [`STRANDED_AFTER`], and claims each for one process to queue
//! again (`queued_at`). Every job is idempotent (a fan-out plans each recipient once, a batch or
//! export already run is left alone), so a job queued twice does its work once.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
};

use crate::entities::{campaign, export, import_batch};

/// How long pending work may show no progress before its job is queued again. Far longer than
/// a healthy queue takes to start a job (seconds), shorter than anyone would wait.
pub const STRANDED_AFTER: Duration = Duration::minutes(5);

/// An export is pending while queued, and while `running` (its `queued_at` is when the run
/// started: an export takes seconds, so one running for [`STRANDED_AFTER`] lost its worker).
/// Running it again is harmless: it rebuilds the same document, and a `done` one is left alone.
const EXPORT_PENDING: [&str; 2] = ["queued", "running"];

/// Whether pending work is stuck at `now`: asked for at `since`, and nothing about it (a queue
/// claim, a sign of progress) has moved for longer than [`STRANDED_AFTER`]. The sweep then
/// queues it again; if it stays stuck, the workers are down or cannot reach the database.
pub fn stuck(
    since: DateTime<Utc>,
    moved: impl IntoIterator<Item = Option<DateTime<Utc>>>,
    now: DateTime<Utc>,
) -> bool {
    let last = moved.into_iter().flatten().fold(since, DateTime::max);
    now - last > STRANDED_AFTER
}

/// While an import batch is pending (queued or running), since when; `None` once finished.
pub fn import_pending_since(b: &import_batch::Model) -> Option<DateTime<Utc>> {
    matches!(b.status.as_str(), "queued" | "running").then_some(b.created_at)
}

/// Whether an uploaded import is stuck: still queued (a running one is inside its own
/// transaction, and a long file takes minutes), with no queue claim for [`STRANDED_AFTER`].
pub fn import_stuck(b: &import_batch::Model, now: DateTime<Utc>) -> bool {
    b.status == "queued" && stuck(b.created_at, [b.queued_at], now)
}

/// While an export is pending (queued or running), since when; `None` once finished.
pub fn export_pending_since(status: &str, created_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    EXPORT_PENDING.contains(&status).then_some(created_at)
}

/// Whether an export is stuck: pending with nothing moved for [`STRANDED_AFTER`] (its run
/// stamps `queued_at` as it starts, and an export takes seconds).
pub fn export_stuck(
    status: &str,
    created_at: DateTime<Utc>,
    queued_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    EXPORT_PENDING.contains(&status) && stuck(created_at, [queued_at], now)
}

/// Rows whose job this process should queue again.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stranded {
    pub campaigns: Vec<i64>,
    pub imports: Vec<i64>,
    pub exports: Vec<i64>,
}

impl Stranded {
    pub fn is_empty(&self) -> bool {
        self.campaigns.is_empty() && self.imports.is_empty() && self.exports.is_empty()
    }
}

/// The pending work with no progress since `now - STRANDED_AFTER`, each row claimed (its
/// `queued_at` set to `now` only if nobody else claimed it meanwhile), so that of several
/// workers sweeping at once one queues it. Cheap when there is nothing: three indexed reads.
pub async fn claim_stranded<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
) -> Result<Stranded, DbErr> {
    let cutoff = now - STRANDED_AFTER;
    let mut out = Stranded::default();
    // A live campaign the fan-out never finished planning (a paused one waits for its resume,
    // which queues the fan-out itself).
    let quiet = |queued: campaign::Column, since: campaign::Column| {
        Condition::any()
            .add(queued.lt(cutoff))
            .add(Condition::all().add(queued.is_null()).add(since.lt(cutoff)))
    };
    let campaigns: Vec<i64> = campaign::Entity::find()
        .select_only()
        .column(campaign::Column::Id)
        .filter(campaign::Column::Status.is_in(["running", "scheduled"]))
        .filter(campaign::Column::PlannedAt.is_null())
        .filter(quiet(
            campaign::Column::QueuedAt,
            campaign::Column::LaunchedAt,
        ))
        .into_tuple()
        .all(db)
        .await?;
    for id in campaigns {
        let claimed = campaign::Entity::update_many()
            .col_expr(campaign::Column::QueuedAt, Expr::value(now))
            .filter(campaign::Column::Id.eq(id))
            .filter(campaign::Column::PlannedAt.is_null())
            .filter(quiet(
                campaign::Column::QueuedAt,
                campaign::Column::LaunchedAt,
            ))
            .exec(db)
            .await?;
        if claimed.rows_affected == 1 {
            out.campaigns.push(id);
        }
    }
    let quiet = |queued: import_batch::Column, since: import_batch::Column| {
        Condition::any()
            .add(queued.lt(cutoff))
            .add(Condition::all().add(queued.is_null()).add(since.lt(cutoff)))
    };
    let imports: Vec<i64> = import_batch::Entity::find()
        .select_only()
        .column(import_batch::Column::Id)
        .filter(import_batch::Column::Status.eq("queued"))
        .filter(quiet(
            import_batch::Column::QueuedAt,
            import_batch::Column::CreatedAt,
        ))
        .into_tuple()
        .all(db)
        .await?;
    for id in imports {
        let claimed = import_batch::Entity::update_many()
            .col_expr(import_batch::Column::QueuedAt, Expr::value(now))
            .filter(import_batch::Column::Id.eq(id))
            .filter(import_batch::Column::Status.eq("queued"))
            .filter(quiet(
                import_batch::Column::QueuedAt,
                import_batch::Column::CreatedAt,
            ))
            .exec(db)
            .await?;
        if claimed.rows_affected == 1 {
            out.imports.push(id);
        }
    }
    let quiet = |queued: export::Column, since: export::Column| {
        Condition::any()
            .add(queued.lt(cutoff))
            .add(Condition::all().add(queued.is_null()).add(since.lt(cutoff)))
    };
    let exports: Vec<i64> = export::Entity::find()
        .select_only()
        .column(export::Column::Id)
        .filter(export::Column::Status.is_in(EXPORT_PENDING))
        .filter(quiet(export::Column::QueuedAt, export::Column::CreatedAt))
        .into_tuple()
        .all(db)
        .await?;
    for id in exports {
        let claimed = export::Entity::update_many()
            .col_expr(export::Column::QueuedAt, Expr::value(now))
            .filter(export::Column::Id.eq(id))
            .filter(export::Column::Status.is_in(EXPORT_PENDING))
            .filter(quiet(export::Column::QueuedAt, export::Column::CreatedAt))
            .exec(db)
            .await?;
        if claimed.rows_affected == 1 {
            out.exports.push(id);
        }
    }
    Ok(out)
}

/// Give back claims whose job could not be queued (the queue went away between the claim and
/// the push): without this the work would wait another [`STRANDED_AFTER`] for nothing. The next
/// sweep finds them stranded again (`queued_at` empty: judged from when they were asked for).
pub async fn release<C: ConnectionTrait>(db: &C, claims: &Stranded) -> Result<(), DbErr> {
    if !claims.campaigns.is_empty() {
        campaign::Entity::update_many()
            .col_expr(
                campaign::Column::QueuedAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(campaign::Column::Id.is_in(claims.campaigns.clone()))
            .exec(db)
            .await?;
    }
    if !claims.imports.is_empty() {
        import_batch::Entity::update_many()
            .col_expr(
                import_batch::Column::QueuedAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(import_batch::Column::Id.is_in(claims.imports.clone()))
            .exec(db)
            .await?;
    }
    if !claims.exports.is_empty() {
        export::Entity::update_many()
            .col_expr(
                export::Column::QueuedAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(export::Column::Id.is_in(claims.exports.clone()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Pending work as the database sees it, for monitoring (`/health`): how many of each kind and
/// when the oldest was asked for. A queue that lost its jobs looks empty; this does not.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pending {
    /// Campaigns launched (running or scheduled) whose fan-out has not finished planning.
    pub campaigns: u64,
    /// Import batches queued or running.
    pub imports: u64,
    /// Subject-access exports queued or running.
    pub exports: u64,
    /// When the oldest of them was launched or stored.
    pub oldest: Option<DateTime<Utc>>,
}

pub async fn pending<C: ConnectionTrait>(db: &C) -> Result<Pending, DbErr> {
    let campaigns: Vec<Option<DateTime<Utc>>> = campaign::Entity::find()
        .select_only()
        .column(campaign::Column::LaunchedAt)
        .filter(campaign::Column::Status.is_in(["running", "scheduled"]))
        .filter(campaign::Column::PlannedAt.is_null())
        .into_tuple()
        .all(db)
        .await?;
    let imports: Vec<DateTime<Utc>> = import_batch::Entity::find()
        .select_only()
        .column(import_batch::Column::CreatedAt)
        .filter(import_batch::Column::Status.is_in(["queued", "running"]))
        .into_tuple()
        .all(db)
        .await?;
    let exports: Vec<DateTime<Utc>> = export::Entity::find()
        .select_only()
        .column(export::Column::CreatedAt)
        .filter(export::Column::Status.is_in(EXPORT_PENDING))
        .into_tuple()
        .all(db)
        .await?;
    let oldest = campaigns
        .iter()
        .flatten()
        .chain(&imports)
        .chain(&exports)
        .min()
        .copied();
    Ok(Pending {
        campaigns: campaigns.len() as u64,
        imports: imports.len() as u64,
        exports: exports.len() as u64,
        oldest,
    })
}
