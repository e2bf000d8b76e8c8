//! What officers write: diary actions (idempotent on the phone's client id), flags, task
//! completion and cover. Each write and its audit entry are stored together.

use crate::audit::{self, Actor};
use crate::entities::{action, cover, flag, staff_user, task, tenancy};
use crate::vocab::Stored;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, SqlErr,
};

pub struct NewAction<'a> {
    pub client_id: &'a str,
    pub tenancy_id: i64,
    pub kind: crate::vocab::ActionKind,
    pub outcome: Option<&'a str>,
    pub body: &'a str,
    pub occurred_at: DateTime<Utc>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub referral_to: Option<&'a str>,
    /// A visit's purpose when a rule depends on it (`tenancy_audit`).
    pub purpose: Option<&'a str>,
}

pub enum Recorded {
    New(action::Model),
    /// Sent before (same client id, same action): the stored one.
    Replay(action::Model),
    /// The client id is another action's (a different action, or another officer's).
    Conflict(action::Model),
}

/// Store a diary action once per client id. A resend (the phone never heard the answer, or
/// sent twice at once) answers with the stored action when everything it says is the same,
/// and as a conflict otherwise: a resend never overwrites, and is never silently dropped.
pub async fn record_action(
    db: &DatabaseConnection,
    staff_id: i64,
    a: NewAction<'_>,
    client_addr: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Recorded, sea_orm::DbErr> {
    if let Some(existing) = by_client_id(db, a.client_id).await? {
        return Ok(replay_or_conflict(existing, staff_id, &a));
    }
    match insert_action(db, staff_id, &a, client_addr, now).await {
        Ok(row) => Ok(Recorded::New(row)),
        // Two resends at once: the other one stored it first.
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            match by_client_id(db, a.client_id).await? {
                Some(existing) => Ok(replay_or_conflict(existing, staff_id, &a)),
                None => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

async fn by_client_id(
    db: &DatabaseConnection,
    client_id: &str,
) -> Result<Option<action::Model>, sea_orm::DbErr> {
    action::Entity::find()
        .filter(action::Column::ClientId.eq(client_id))
        .one(db)
        .await
}

/// What [`insert_action`] stores besides the columns: where a visit took place, who a referral
/// went to.
fn action_facts(a: &NewAction<'_>) -> Option<String> {
    let mut facts = serde_json::Map::new();
    if let (Some(lat), Some(lon)) = (a.latitude, a.longitude) {
        facts.insert("latitude".into(), lat.into());
        facts.insert("longitude".into(), lon.into());
    }
    if let Some(r) = a.referral_to {
        facts.insert("referral_to".into(), r.into());
    }
    (!facts.is_empty()).then(|| serde_json::Value::Object(facts).to_string())
}

fn replay_or_conflict(existing: action::Model, staff_id: i64, a: &NewAction<'_>) -> Recorded {
    // Timestamps are stored to the microsecond.
    let micros = |t: DateTime<Utc>| t.timestamp_micros();
    let same = existing.author_staff_id == Some(staff_id)
        && existing.tenancy_id == a.tenancy_id
        && existing.kind == Stored::from(a.kind)
        && existing.outcome.as_deref() == a.outcome
        && existing.body == a.body
        && micros(existing.occurred_at) == micros(a.occurred_at)
        && existing.purpose.as_deref() == a.purpose
        && existing.facts == action_facts(a);
    if same {
        Recorded::Replay(existing)
    } else {
        Recorded::Conflict(existing)
    }
}

async fn insert_action(
    db: &DatabaseConnection,
    staff_id: i64,
    a: &NewAction<'_>,
    client_addr: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<action::Model, sea_orm::DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let row = crate::diary::write(
        &txn,
        crate::diary::Entry {
            tenancy_id: a.tenancy_id,
            kind: a.kind,
            outcome: a.outcome,
            body: a.body,
            author_staff_id: Some(staff_id),
            facts: action_facts(a),
            client_id: Some(a.client_id),
            occurred_at: Some(a.occurred_at),
            purpose: a.purpose,
            rule_id: None,
        },
        now,
    )
    .await?;
    if a.purpose == Some(rentdesk_domain::outreach::tenancy_audit::TENANCY_AUDIT) {
        crate::tenancy_audits::audit_recorded(&txn, a.tenancy_id, a.outcome, staff_id, row.id, now)
            .await?;
    }
    audit::record(
        &txn,
        audit::Entry {
            actor: Actor::Staff(staff_id),
            action: "action.recorded",
            subject_kind: "tenancy",
            subject_id: Some(a.tenancy_id.to_string()),
            detail: Some(format!("{} {}", Stored::from(a.kind), row.id)),
            client_addr,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

pub struct NewFlag<'a> {
    pub kind: &'a str,
    pub no_automated_contact: bool,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub detail: &'a str,
    /// Breathing Space: the day the landlord was notified (`None`: today).
    pub notified_on: Option<NaiveDate>,
}

pub async fn add_flag(
    db: &DatabaseConnection,
    staff_id: i64,
    tenancy_id: i64,
    f: NewFlag<'_>,
    client_addr: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<flag::Model, sea_orm::DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let row = flag::ActiveModel {
        tenancy_id: Set(tenancy_id),
        tenant_id: Set(None),
        kind: Set(f.kind.to_owned()),
        no_automated_contact: Set(f.no_automated_contact),
        starts_on: Set(f.starts_on),
        ends_on: Set(f.ends_on),
        detail: Set(f.detail.to_owned()),
        set_by_staff_id: Set(Some(staff_id)),
        created_at: Set(now),
        updated_at: Set(Some(now)),
        notified_on: Set(f.notified_on),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    crate::diary::write(
        &txn,
        crate::diary::Entry {
            tenancy_id,
            kind: crate::vocab::ActionKind::Flag,
            body: &format!(
                "Flag set: {}{} from {}{}.",
                f.kind.replace('_', " "),
                if f.no_automated_contact {
                    " (no automated contact)"
                } else {
                    ""
                },
                f.starts_on,
                f.ends_on.map(|e| format!(" to {e}")).unwrap_or_default()
            ),
            author_staff_id: Some(staff_id),
            outcome: None,
            rule_id: None,
            facts: None,
            client_id: None,
            occurred_at: None,
            purpose: None,
        },
        now,
    )
    .await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: Actor::Staff(staff_id),
            action: "flag.added",
            subject_kind: "tenancy",
            subject_id: Some(tenancy_id.to_string()),
            detail: Some(format!("{} {}", f.kind, row.id)),
            client_addr,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Where a task page ends: due date and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskCursor {
    pub due_on: NaiveDate,
    pub id: i64,
}

impl TaskCursor {
    pub fn encode(&self) -> String {
        format!("{}.{}", self.due_on, self.id)
    }

    pub fn decode(s: &str) -> Result<TaskCursor, String> {
        let bad = || "not a cursor this API gave out".to_owned();
        let (d, id) = s.split_once('.').ok_or_else(bad)?;
        Ok(TaskCursor {
            due_on: NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| bad())?,
            id: id.parse().map_err(|_| bad())?,
        })
    }
}

/// Open tasks on the tenancies `staff` sees today, soonest due first.
pub async fn open_tasks(
    db: &DatabaseConnection,
    staff: &staff_user::Model,
    today: NaiveDate,
    after: Option<TaskCursor>,
    limit: u64,
) -> Result<(Vec<task::Model>, Option<TaskCursor>), sea_orm::DbErr> {
    let patches = crate::staff::visible_patches(db, staff, today).await?;
    let mut q = task::Entity::find().filter(task::Column::Status.eq("open"));
    if let Some(p) = &patches {
        let ids: Vec<i64> = tenancy::Entity::find()
            .select_only()
            .column(tenancy::Column::Id)
            .filter(tenancy::Column::PatchId.is_in(p.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        q = q.filter(task::Column::TenancyId.is_in(ids));
    }
    if let Some(c) = after {
        q = q.filter(
            Condition::any().add(task::Column::DueOn.gt(c.due_on)).add(
                Condition::all()
                    .add(task::Column::DueOn.eq(c.due_on))
                    .add(task::Column::Id.gt(c.id)),
            ),
        );
    }
    let mut rows = q
        .order_by_asc(task::Column::DueOn)
        .order_by_asc(task::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next = if more {
        rows.last().map(|t| TaskCursor {
            due_on: t.due_on,
            id: t.id,
        })
    } else {
        None
    };
    Ok((rows, next))
}

/// Mark an open task done (with a diary note); `None` if it is not open or not visible.
/// What became of an edit to a task.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskEdit {
    Done(task::Model),
    /// No open task the caller can see.
    NotFound,
    /// The edit was made against `base`, and the task changed since (done or given to someone
    /// else): nothing was changed; here is the task as it is now.
    Conflict(task::Model),
    /// The outcome is not one this kind of task can have: these are.
    InvalidOutcome(&'static [&'static str]),
}

/// Complete a task. `base`: the task's `updated_at` as the app last saw it (offline edits), so a
/// newer change on the server is answered with both versions rather than overwritten.
#[allow(clippy::too_many_arguments)]
pub async fn complete_task(
    db: &DatabaseConnection,
    staff: &staff_user::Model,
    task_id: i64,
    outcome: &str,
    note: &str,
    base: Option<DateTime<Utc>>,
    today: NaiveDate,
    client_addr: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<TaskEdit, sea_orm::DbErr> {
    let Some(t) = task::Entity::find_by_id(task_id).one(db).await? else {
        return Ok(TaskEdit::NotFound);
    };
    if crate::staff::visible_tenancy(db, staff, t.tenancy_id, today)
        .await?
        .is_none()
    {
        return Ok(TaskEdit::NotFound);
    }
    let stale = |t: &task::Model| base.is_some_and(|b| t.status != "open" || t.version() > b);
    if stale(&t) {
        return Ok(TaskEdit::Conflict(t));
    }
    if t.status != "open" {
        return Ok(TaskEdit::NotFound);
    }
    let allowed = rentdesk_domain::tasks::outcomes(&t.kind);
    if !allowed.contains(&outcome) {
        return Ok(TaskEdit::InvalidOutcome(allowed));
    }
    let txn = crate::db::begin_write(db).await?;
    let done = task::Entity::update_many()
        .col_expr(
            task::Column::Status,
            Expr::value(crate::vocab::TaskStatus::Done),
        )
        .col_expr(task::Column::CompletedAt, Expr::value(now))
        .col_expr(task::Column::UpdatedAt, Expr::value(now))
        .col_expr(task::Column::Outcome, Expr::value(outcome))
        .filter(task::Column::Id.eq(task_id))
        .filter(task::Column::Status.eq("open"))
        .filter(match t.updated_at {
            Some(u) => task::Column::UpdatedAt.eq(u),
            None => task::Column::UpdatedAt.is_null(),
        })
        .exec(&txn)
        .await?
        .rows_affected;
    if done == 0 {
        // Changed between reading and writing.
        txn.commit().await?;
        let now = task::Entity::find_by_id(task_id).one(db).await?;
        return Ok(match now {
            Some(t) if base.is_some() => TaskEdit::Conflict(t),
            _ => TaskEdit::NotFound,
        });
    }
    crate::diary::write(
        &txn,
        crate::diary::Entry {
            tenancy_id: t.tenancy_id,
            kind: crate::vocab::ActionKind::TaskDone,
            outcome: Some(outcome),
            body: format!(
                "Task done: {} ({}). {note}",
                t.title,
                outcome.replace('_', " ")
            )
            .trim(),
            author_staff_id: Some(staff.id),
            rule_id: None,
            facts: None,
            client_id: None,
            occurred_at: None,
            purpose: None,
        },
        now,
    )
    .await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: Actor::Staff(staff.id),
            action: "task.completed",
            subject_kind: "tenancy",
            subject_id: Some(t.tenancy_id.to_string()),
            detail: Some(format!("task {task_id}: {outcome}")),
            client_addr,
        },
    )
    .await?;
    // The APA was asked for: the open claim says so, and the APA rule stops asking.
    if rentdesk_domain::tasks::requests_apa(&t.kind, outcome) {
        crate::entities::uc_claim::Entity::update_many()
            .col_expr(
                crate::entities::uc_claim::Column::ApaStatus,
                Expr::value("requested"),
            )
            .filter(crate::entities::uc_claim::Column::TenancyId.eq(t.tenancy_id))
            .filter(crate::entities::uc_claim::Column::EndedOn.is_null())
            .filter(crate::entities::uc_claim::Column::ApaStatus.is_in(["none", "wanted"]))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(task::Entity::find_by_id(task_id)
        .one(db)
        .await?
        .map_or(TaskEdit::NotFound, TaskEdit::Done))
}

/// Why a task could not be given to someone else.
#[derive(Debug, Clone, PartialEq)]
pub enum ReassignRefused {
    /// No open task the caller can see.
    NoTask,
    /// The new owner is not an active officer or team leader who can see the account.
    NotEligible,
    /// The edit was made against an older copy (`base`) and the task changed since: nothing was
    /// changed; here is the task as it is now.
    Conflict(Box<task::Model>),
}

/// Give an open task to another member of staff who can see its account (their patch, their
/// cover, or their team for a team leader). Recorded in the diary and the audit log. `base`:
/// the task's `updated_at` as the app last saw it (offline edits), as for [`complete_task`].
#[allow(clippy::too_many_arguments)]
pub async fn reassign_task(
    db: &DatabaseConnection,
    staff: &staff_user::Model,
    task_id: i64,
    to: i64,
    note: &str,
    base: Option<DateTime<Utc>>,
    today: NaiveDate,
    client_addr: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Result<task::Model, ReassignRefused>, sea_orm::DbErr> {
    let Some(t) = task::Entity::find_by_id(task_id).one(db).await? else {
        return Ok(Err(ReassignRefused::NoTask));
    };
    if crate::staff::visible_tenancy(db, staff, t.tenancy_id, today)
        .await?
        .is_none()
    {
        return Ok(Err(ReassignRefused::NoTask));
    }
    if base.is_some_and(|b| t.status != "open" || t.version() > b) {
        return Ok(Err(ReassignRefused::Conflict(Box::new(t))));
    }
    if t.status != "open" {
        return Ok(Err(ReassignRefused::NoTask));
    }
    let Some(owner) = staff_user::Entity::find_by_id(to).one(db).await? else {
        return Ok(Err(ReassignRefused::NotEligible));
    };
    let eligible = owner.active
        && matches!(owner.role.as_str(), "officer" | "team_leader")
        && crate::staff::visible_tenancy(db, &owner, t.tenancy_id, today)
            .await?
            .is_some();
    if !eligible {
        return Ok(Err(ReassignRefused::NotEligible));
    }
    let txn = crate::db::begin_write(db).await?;
    let mut update = task::Entity::update_many()
        .col_expr(task::Column::AssignedStaffId, Expr::value(owner.id))
        .col_expr(task::Column::UpdatedAt, Expr::value(now))
        .filter(task::Column::Id.eq(task_id))
        .filter(task::Column::Status.eq("open"));
    if base.is_some() {
        // Still the version checked against `base` above.
        update = update.filter(match t.updated_at {
            Some(u) => task::Column::UpdatedAt.eq(u),
            None => task::Column::UpdatedAt.is_null(),
        });
    }
    let moved = update.exec(&txn).await?.rows_affected;
    if moved == 0 {
        // Changed between reading and writing.
        txn.commit().await?;
        let now = task::Entity::find_by_id(task_id).one(db).await?;
        return Ok(Err(match now {
            Some(t) if base.is_some() => ReassignRefused::Conflict(Box::new(t)),
            _ => ReassignRefused::NoTask,
        }));
    }
    crate::diary::write(
        &txn,
        crate::diary::Entry {
            tenancy_id: t.tenancy_id,
            kind: crate::vocab::ActionKind::Note,
            body: format!("Task \"{}\" given to {}. {note}", t.title, owner.name).trim(),
            author_staff_id: Some(staff.id),
            outcome: None,
            rule_id: None,
            facts: None,
            client_id: None,
            occurred_at: None,
            purpose: None,
        },
        now,
    )
    .await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: Actor::Staff(staff.id),
            action: "task.reassigned",
            subject_kind: "tenancy",
            subject_id: Some(t.tenancy_id.to_string()),
            detail: Some(format!(
                "task {task_id} from {:?} to {}",
                t.assigned_staff_id, owner.id
            )),
            client_addr,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(task::Entity::find_by_id(task_id)
        .one(db)
        .await?
        .ok_or(ReassignRefused::NoTask))
}

pub async fn set_cover(
    db: &DatabaseConnection,
    staff_id: i64,
    c: cover::Model,
    client_addr: Option<&str>,
) -> Result<cover::Model, sea_orm::DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let row = cover::ActiveModel {
        patch_id: Set(c.patch_id),
        officer_id: Set(c.officer_id),
        starts_on: Set(c.starts_on),
        ends_on: Set(c.ends_on),
        set_by_staff_id: Set(c.set_by_staff_id),
        created_at: Set(c.created_at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: Actor::Staff(staff_id),
            action: "cover.set",
            subject_kind: "patch",
            subject_id: Some(c.patch_id.to_string()),
            detail: Some(format!(
                "officer {} from {} to {}",
                c.officer_id, c.starts_on, c.ends_on
            )),
            client_addr,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}
