//! Home visits an officer plans: storing one (idempotent on the phone's client id), the day's
//! visits with their addresses (what the route is planned from), cancelling, and recording a
//! visit as done in the action diary. Each write and its audit entry are stored together.
//!
//! Who may touch which visit (patch scope) is decided by the caller with
//! `crate::staff::visible_tenancy`; these functions only store.

use crate::audit::{self, Actor};
use crate::entities::{action, tenancy, visit};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    SqlErr,
};
use std::collections::{BTreeSet, HashMap};

pub const PLANNED: &str = "planned";
pub const CANCELLED: &str = "cancelled";
pub const DONE: &str = "done";
/// Every status a visit row holds.
pub const STATUSES: [&str; 3] = [PLANNED, CANCELLED, DONE];

/// What a visit is for: an ordinary home visit, or a tenancy audit (which the audit rule
/// counts once done with an outcome that completes it).
pub const KINDS: [&str; 2] = [
    HOME_VISIT,
    rentdesk_domain::outreach::tenancy_audit::TENANCY_AUDIT,
];
pub const HOME_VISIT: &str = "home_visit";

pub struct NewVisit<'a> {
    pub client_id: &'a str,
    pub tenancy_id: i64,
    pub officer_id: i64,
    pub visit_date: NaiveDate,
    /// London "HH:MM" opening and closing of the appointment window.
    pub window: Option<(String, String)>,
    pub duration_minutes: i32,
    pub purpose: &'a str,
    /// One of [`KINDS`].
    pub kind: &'a str,
}

pub enum Saved {
    New(visit::Model),
    /// Sent before (same client id, same visit): the stored one.
    Replay(visit::Model),
    /// The client id belongs to a different visit.
    Conflict(visit::Model),
}

/// Store a planned visit. The unique client id makes a resend store once: the insert fails on
/// the constraint and the stored visit is answered instead.
pub async fn plan(
    db: &DatabaseConnection,
    actor_staff_id: i64,
    v: NewVisit<'_>,
    client_addr: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Saved, sea_orm::DbErr> {
    match insert(db, actor_staff_id, &v, client_addr, now).await {
        Ok(row) => Ok(Saved::New(row)),
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            let Some(existing) = visit::Entity::find()
                .filter(visit::Column::ClientId.eq(v.client_id))
                .one(db)
                .await?
            else {
                return Err(e);
            };
            let (ws, we) = v.window.clone().unzip();
            let same = existing.tenancy_id == v.tenancy_id
                && existing.officer_id == v.officer_id
                && existing.visit_date == v.visit_date
                && existing.window_start == ws
                && existing.window_end == we
                && existing.kind == v.kind;
            Ok(if same {
                Saved::Replay(existing)
            } else {
                Saved::Conflict(existing)
            })
        }
        Err(e) => Err(e),
    }
}

async fn insert(
    db: &DatabaseConnection,
    actor_staff_id: i64,
    v: &NewVisit<'_>,
    client_addr: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<visit::Model, sea_orm::DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let (ws, we) = v.window.clone().unzip();
    let row = visit::ActiveModel {
        tenancy_id: Set(v.tenancy_id),
        officer_id: Set(v.officer_id),
        visit_date: Set(v.visit_date),
        window_start: Set(ws),
        window_end: Set(we),
        duration_minutes: Set(v.duration_minutes),
        purpose: Set(v.purpose.to_owned()),
        kind: Set(v.kind.to_owned()),
        status: Set(crate::vocab::VisitStatus::Planned.into()),
        client_id: Set(v.client_id.to_owned()),
        action_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: Actor::Staff(actor_staff_id),
            action: "visit.planned",
            subject_kind: "tenancy",
            subject_id: Some(v.tenancy_id.to_string()),
            detail: Some(format!("visit {} on {}", row.id, row.visit_date)),
            client_addr,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// A visit and the account it is to.
pub async fn find(
    db: &DatabaseConnection,
    id: i64,
) -> Result<Option<(visit::Model, tenancy::Model)>, sea_orm::DbErr> {
    let Some(v) = visit::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    Ok(tenancy::Entity::find_by_id(v.tenancy_id)
        .one(db)
        .await?
        .map(|t| (v, t)))
}

/// `officer_id`'s visits on `date` with their accounts, oldest first; only accounts in
/// `patches` (`None` = all). `planned_only` leaves out cancelled and done visits (the route).
pub async fn on_day(
    db: &DatabaseConnection,
    officer_id: i64,
    date: NaiveDate,
    patches: Option<&BTreeSet<i64>>,
    planned_only: bool,
) -> Result<Vec<(visit::Model, tenancy::Model)>, sea_orm::DbErr> {
    let mut q = visit::Entity::find()
        .filter(visit::Column::OfficerId.eq(officer_id))
        .filter(visit::Column::VisitDate.eq(date));
    if planned_only {
        q = q.filter(visit::Column::Status.eq(PLANNED));
    }
    let visits = q.order_by_asc(visit::Column::Id).all(db).await?;
    let mut accounts = with_accounts(db, visits).await?;
    accounts.retain(|(_, t)| patches.is_none_or(|p| t.patch_id.is_some_and(|id| p.contains(&id))));
    Ok(accounts)
}

/// Pair visits with their accounts (one query).
pub async fn with_accounts(
    db: &DatabaseConnection,
    visits: Vec<visit::Model>,
) -> Result<Vec<(visit::Model, tenancy::Model)>, sea_orm::DbErr> {
    let ids: BTreeSet<i64> = visits.iter().map(|v| v.tenancy_id).collect();
    let mut accounts: HashMap<i64, tenancy::Model> = HashMap::new();
    let ids: Vec<i64> = ids.into_iter().collect();
    for chunk in ids.chunks(500) {
        for t in tenancy::Entity::find()
            .filter(tenancy::Column::Id.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            accounts.insert(t.id, t);
        }
    }
    Ok(visits
        .into_iter()
        .filter_map(|v| accounts.get(&v.tenancy_id).cloned().map(|t| (v, t)))
        .collect())
}

/// Of `done` visits (status [`DONE`]), the one completed last: latest by when it took place
/// (its diary entry's `occurred_at`, which the officer may give when recording it later), else
/// by when it was recorded done (`updated_at`); a tie goes to the later-recorded visit. Mid-day
/// this is where the officer is (the route re-plans from there).
pub async fn completed_last<'a>(
    db: &DatabaseConnection,
    done: &'a [(visit::Model, tenancy::Model)],
) -> Result<Option<&'a (visit::Model, tenancy::Model)>, sea_orm::DbErr> {
    let ids: Vec<i64> = done.iter().filter_map(|(v, _)| v.action_id).collect();
    let mut occurred: HashMap<i64, DateTime<Utc>> = HashMap::new();
    for chunk in ids.chunks(500) {
        for a in action::Entity::find()
            .filter(action::Column::Id.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            occurred.insert(a.id, a.occurred_at);
        }
    }
    Ok(done
        .iter()
        .filter(|(v, _)| v.status == DONE)
        .max_by_key(|(v, _)| {
            let at = v.action_id.and_then(|id| occurred.get(&id).copied());
            (at.unwrap_or(v.updated_at), v.updated_at, v.id)
        }))
}

pub enum Change {
    Changed(visit::Model),
    /// Already in that state: nothing written.
    Unchanged(visit::Model),
    /// The visit's state does not allow it (e.g. cancelling a visit already done).
    Refused(visit::Model),
    /// Already done with a different outcome or note (an offline edit made against an older
    /// copy): nothing written; the visit and the diary entry recorded for it.
    Conflict(visit::Model, Option<Box<action::Model>>),
}

/// Cancel a planned visit (the next route is planned without it).
pub async fn cancel(
    db: &DatabaseConnection,
    actor_staff_id: i64,
    v: visit::Model,
    client_addr: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Change, sea_orm::DbErr> {
    if v.status == CANCELLED {
        return Ok(Change::Unchanged(v));
    }
    if v.status != PLANNED {
        return Ok(Change::Refused(v));
    }
    let txn = crate::db::begin_write(db).await?;
    let changed = visit::Entity::update_many()
        .col_expr(
            visit::Column::Status,
            Expr::value(crate::vocab::VisitStatus::Cancelled),
        )
        .col_expr(visit::Column::UpdatedAt, Expr::value(now))
        .filter(visit::Column::Id.eq(v.id))
        .filter(visit::Column::Status.eq(PLANNED))
        .exec(&txn)
        .await?
        .rows_affected;
    if changed == 1 {
        audit::record(
            &txn,
            audit::Entry {
                actor: Actor::Staff(actor_staff_id),
                action: "visit.cancelled",
                subject_kind: "tenancy",
                subject_id: Some(v.tenancy_id.to_string()),
                detail: Some(format!("visit {}", v.id)),
                client_addr,
            },
        )
        .await?;
    }
    txn.commit().await?;
    let now = visit::Entity::find_by_id(v.id).one(db).await?.unwrap_or(v);
    Ok(if changed == 1 {
        Change::Changed(now)
    } else if now.status == CANCELLED {
        Change::Unchanged(now)
    } else {
        Change::Refused(now)
    })
}

pub struct Outcome<'a> {
    /// contact_made | no_access | card_left | promise_to_pay | arrangement_agreed | refused
    pub outcome: &'a str,
    pub body: &'a str,
    pub occurred_at: DateTime<Utc>,
}

/// Mark a planned visit done: one diary entry (kind `visit`) through `crate::diary`, linked
/// from the visit.
pub async fn done(
    db: &DatabaseConnection,
    actor_staff_id: i64,
    v: visit::Model,
    o: Outcome<'_>,
    client_addr: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Change, sea_orm::DbErr> {
    if v.status == DONE {
        return already_done(db, v, &o).await;
    }
    if v.status != PLANNED {
        return Ok(Change::Refused(v));
    }
    let txn = crate::db::begin_write(db).await?;
    let claimed = visit::Entity::update_many()
        .col_expr(
            visit::Column::Status,
            Expr::value(crate::vocab::VisitStatus::Done),
        )
        .col_expr(visit::Column::UpdatedAt, Expr::value(now))
        .filter(visit::Column::Id.eq(v.id))
        .filter(visit::Column::Status.eq(PLANNED))
        .exec(&txn)
        .await?
        .rows_affected;
    if claimed == 0 {
        txn.commit().await?;
        let now = visit::Entity::find_by_id(v.id).one(db).await?.unwrap_or(v);
        return if now.status == DONE {
            already_done(db, now, &o).await
        } else {
            Ok(Change::Refused(now))
        };
    }
    let facts = serde_json::json!({
        "visit_id": v.id,
        "visit_date": v.visit_date.to_string(),
        "window": v.window_start.as_ref().zip(v.window_end.as_ref())
            .map(|(a, b)| format!("{a}–{b}")),
        "purpose": v.purpose,
        "kind": v.kind,
    });
    let audit = v.kind == rentdesk_domain::outreach::tenancy_audit::TENANCY_AUDIT;
    let action = crate::diary::write(
        &txn,
        crate::diary::Entry {
            tenancy_id: v.tenancy_id,
            kind: crate::vocab::ActionKind::Visit,
            outcome: Some(o.outcome),
            body: o.body,
            author_staff_id: Some(actor_staff_id),
            facts: Some(facts.to_string()),
            occurred_at: Some(o.occurred_at),
            purpose: audit.then_some(v.kind.as_str()),
            rule_id: None,
            client_id: None,
        },
        now,
    )
    .await?;
    if audit {
        crate::tenancy_audits::audit_recorded(
            &txn,
            v.tenancy_id,
            Some(o.outcome),
            actor_staff_id,
            action.id,
            now,
        )
        .await?;
    }
    visit::Entity::update_many()
        .col_expr(visit::Column::ActionId, Expr::value(action.id))
        .filter(visit::Column::Id.eq(v.id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: Actor::Staff(actor_staff_id),
            action: "visit.done",
            subject_kind: "tenancy",
            subject_id: Some(v.tenancy_id.to_string()),
            detail: Some(format!("visit {} action {}", v.id, action.id)),
            client_addr,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Change::Changed(
        visit::Entity::find_by_id(v.id).one(db).await?.unwrap_or(v),
    ))
}

/// A visit done already: the same outcome and note again is a retry (nothing to do); anything
/// else would overwrite what was recorded, so it is a conflict
/// (`rentdesk_domain::sync::repeats_recorded`).
async fn already_done(
    db: &DatabaseConnection,
    v: visit::Model,
    o: &Outcome<'_>,
) -> Result<Change, sea_orm::DbErr> {
    let recorded = match v.action_id {
        Some(id) => action::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let same = recorded.as_ref().is_some_and(|a| {
        rentdesk_domain::sync::repeats_recorded(a.outcome.as_deref(), &a.body, o.outcome, o.body)
    });
    Ok(if same {
        Change::Unchanged(v)
    } else {
        Change::Conflict(v, recorded.map(Box::new))
    })
}
