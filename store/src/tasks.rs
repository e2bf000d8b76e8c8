//! The officer's task list: things software or tenants raise that a person must look at.
//! A task goes to the officer of the account's patch (unassigned when the patch has none).

use crate::entities::{patch, task, tenancy};
use chrono::NaiveDate;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

/// Every status a task row holds: `open` until done (whatever its outcome).
pub const STATUSES: [&str; 2] = ["open", "done"];

pub struct NewTask<'a> {
    pub tenancy_id: i64,
    pub kind: &'a str,
    pub title: String,
    pub detail: String,
    pub due_on: NaiveDate,
    pub rule_id: Option<&'a str>,
    /// Set when a rerun could raise the same task twice.
    pub idempotency_key: Option<String>,
}

/// The officer responsible for a tenancy's patch, if any.
pub async fn patch_officer<C: ConnectionTrait>(
    db: &C,
    tenancy_id: i64,
) -> Result<Option<i64>, sea_orm::DbErr> {
    let Some(t) = tenancy::Entity::find_by_id(tenancy_id).one(db).await? else {
        return Ok(None);
    };
    Ok(match t.patch_id {
        Some(p) => patch::Entity::find_by_id(p)
            .one(db)
            .await?
            .and_then(|p| p.officer_id),
        None => None,
    })
}

/// A diary action (what happened) and the officer's task (what to do about it), together.
/// Returns the task id, or `None` when a task with the same idempotency key exists. Call it
/// inside the caller's transaction so the action and task are stored together or not at all.
pub async fn raise<C: ConnectionTrait>(
    db: &C,
    action_kind: crate::vocab::ActionKind,
    action_body: &str,
    new: NewTask<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<i64>, sea_orm::DbErr> {
    if let Some(key) = &new.idempotency_key
        && task::Entity::find()
            .filter(task::Column::IdempotencyKey.eq(key.as_str()))
            .one(db)
            .await?
            .is_some()
    {
        return Ok(None);
    }
    let act = crate::diary::write(
        db,
        crate::diary::Entry {
            tenancy_id: new.tenancy_id,
            kind: action_kind,
            body: action_body,
            rule_id: new.rule_id,
            outcome: None,
            author_staff_id: None,
            facts: None,
            client_id: None,
            occurred_at: None,
            purpose: None,
        },
        now,
    )
    .await?;
    create(db, new, Some(act.id), now).await
}

/// Just the task (the caller has written the diary). `None` when the key exists already.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    new: NewTask<'_>,
    action_id: Option<i64>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<i64>, sea_orm::DbErr> {
    let officer = patch_officer(db, new.tenancy_id).await?;
    let row = task::ActiveModel {
        tenancy_id: Set(new.tenancy_id),
        kind: Set(new.kind.to_owned()),
        title: Set(new.title),
        detail: Set(new.detail),
        due_on: Set(new.due_on),
        status: Set(crate::vocab::TaskStatus::Open.into()),
        assigned_staff_id: Set(officer),
        action_id: Set(action_id),
        rule_id: Set(new.rule_id.map(str::to_owned)),
        idempotency_key: Set(new.idempotency_key),
        created_at: Set(now),
        completed_at: Set(None),
        ..Default::default()
    };
    let inserted = task::Entity::insert(row)
        .on_conflict(
            OnConflict::column(task::Column::IdempotencyKey)
                .do_nothing()
                .to_owned(),
        )
        .exec(db)
        .await;
    match inserted {
        Ok(r) => Ok(Some(r.last_insert_id)),
        Err(sea_orm::DbErr::RecordNotInserted) => Ok(None),
        Err(e) => Err(e),
    }
}
