//! Offline sync for the officer app: everything that changed in the officer's patches since the
//! last sync, the accounts that came into their scope since (in full), and the ones that left it
//! (to drop). The answer's time overlaps the previous window by a few seconds (a write committed
//! late is not missed); the app upserts by id, so overlap is harmless.
//!
//! Scope changes with no row written (cover is by dates: a cover starting today, or one that
//! ended yesterday), so each sync is told the patches the app saw last time
//! ([`Since::seen`], carried in the app's cursor) and compares them with the patches seen now
//! (`rentdesk_domain::sync::scope_change`). Single accounts moved between patches are in
//! `tenancy_moves`.

use crate::audit::{self, Actor};
use crate::entities::visit;
use crate::entities::{
    account_summary, action, arrangement, audit_entry, flag, task, tenancy, tenancy_move,
};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rentdesk_domain::sync::{Patches, scope_change};
use sea_orm::sea_query::Condition;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use std::collections::BTreeSet;

/// How far each window reaches back into the previous one.
pub const OVERLAP: Duration = Duration::seconds(5);
/// A first sync (no cursor), and an account new to the app, bring this much diary history.
pub const FIRST_SYNC_DAYS: i64 = 90;

/// The patches a member of staff sees: `None` = every patch (admin).
pub type Scope = Option<BTreeSet<i64>>;

/// What the app has from its previous sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Since {
    pub at: DateTime<Utc>,
    /// The patches it saw then; `Unknown` for an app that sends only a time (scope is then
    /// taken as unchanged).
    pub seen: Seen,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    Unknown,
    Scope(Scope),
}

pub struct Changes {
    /// Accounts whose row or nightly figures changed, and every account sent in full.
    pub tenancies: Vec<tenancy::Model>,
    pub summaries: Vec<account_summary::Model>,
    pub actions: Vec<action::Model>,
    pub tasks: Vec<task::Model>,
    pub flags: Vec<flag::Model>,
    pub arrangements: Vec<arrangement::Model>,
    /// Visits on those accounts (any officer's), with the account; an account sent in full
    /// brings the planned ones from today on.
    pub visits: Vec<(visit::Model, tenancy::Model)>,
    /// Accounts sent in full because the app cannot have them (first sync, they came into
    /// scope with a patch, or moved here from another patch).
    pub full: Vec<i64>,
    /// Accounts that left the caller's scope since the last sync: the app drops them.
    pub removed: Vec<i64>,
    /// The patches seen now: the next sync's [`Since::seen`].
    pub scope: Scope,
    /// Pass back (with `scope`) next time.
    pub next: DateTime<Utc>,
}

impl Changes {
    /// Every account this answer says anything about (sent or removed), for the audit log.
    pub fn accounts(&self) -> BTreeSet<i64> {
        let mut ids: BTreeSet<i64> = self.tenancies.iter().map(|t| t.id).collect();
        ids.extend(self.summaries.iter().map(|s| s.tenancy_id));
        ids.extend(self.actions.iter().map(|a| a.tenancy_id));
        ids.extend(self.tasks.iter().map(|t| t.tenancy_id));
        ids.extend(self.flags.iter().map(|f| f.tenancy_id));
        ids.extend(self.arrangements.iter().map(|a| a.tenancy_id));
        ids.extend(self.visits.iter().map(|(v, _)| v.tenancy_id));
        ids
    }
}

pub async fn changes(
    db: &DatabaseConnection,
    staff: &crate::entities::staff_user::Model,
    today: NaiveDate,
    since: Option<Since>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Changes, sea_orm::DbErr> {
    let patches = crate::staff::visible_patches(db, staff, today).await?;
    let ids = crate::staff::tenancies_in(db, patches.as_ref()).await?;
    let mut out = Changes {
        tenancies: vec![],
        summaries: vec![],
        actions: vec![],
        tasks: vec![],
        flags: vec![],
        arrangements: vec![],
        visits: vec![],
        full: vec![],
        removed: vec![],
        scope: patches.clone(),
        next: now - OVERLAP,
    };
    let history = now - Duration::days(FIRST_SYNC_DAYS);
    let Some(since) = since else {
        out.full = ids;
        collect(db, &out.full.clone(), None, history, today, &mut out).await?;
        return Ok(out);
    };
    let visible: BTreeSet<i64> = ids.iter().copied().collect();
    // An app that sent only a time is taken to have seen what the caller sees now.
    let seen = match since.seen {
        Seen::Scope(s) => s,
        Seen::Unknown => patches.clone(),
    };
    let change = scope_change(seen.as_ref(), patches.as_ref());
    let mut fresh: BTreeSet<i64> = tenancies_of(db, &change.entered, None)
        .await?
        .into_iter()
        .filter(|id| visible.contains(id))
        .collect();
    // Only accounts that existed when the app last synced (`at` is that sync's time less the
    // overlap): it cannot hold later ones.
    let mut removed: BTreeSet<i64> = tenancies_of(db, &change.left, Some(since.at + OVERLAP))
        .await?
        .into_iter()
        .filter(|id| !visible.contains(id))
        .collect();
    // Accounts moved between patches: one moved here may come from a patch the app never saw;
    // one moved out of a patch the app saw must be dropped.
    let moves = tenancy_move::Entity::find()
        .filter(tenancy_move::Column::MovedAt.gte(since.at))
        .order_by_asc(tenancy_move::Column::Id)
        .all(db)
        .await?;
    let was_seen = |p: Option<i64>| match (&seen, p) {
        (None, _) => true,
        (Some(s), Some(p)) => s.contains(&p),
        (Some(_), None) => false,
    };
    for m in moves {
        if visible.contains(&m.tenancy_id) {
            fresh.insert(m.tenancy_id);
        } else if was_seen(m.from_patch_id) {
            removed.insert(m.tenancy_id);
        }
    }
    out.removed = removed.into_iter().collect();
    out.full = fresh.iter().copied().collect();
    let rest: Vec<i64> = ids.into_iter().filter(|id| !fresh.contains(id)).collect();
    collect(db, &out.full.clone(), None, history, today, &mut out).await?;
    collect(db, &rest, Some(since.at), history, today, &mut out).await?;
    Ok(out)
}

/// Note that an account moved between patches (inside the caller's transaction).
pub async fn record_move<C: ConnectionTrait>(
    db: &C,
    tenancy_id: i64,
    from: Option<i64>,
    to: Option<i64>,
    at: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    tenancy_move::Entity::insert(tenancy_move::ActiveModel {
        tenancy_id: Set(tenancy_id),
        from_patch_id: Set(from),
        to_patch_id: Set(to),
        moved_at: Set(at),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(())
}

/// Tenancy ids in `patches` (created before `created_before`, when given).
async fn tenancies_of<C: ConnectionTrait>(
    db: &C,
    patches: &Patches,
    created_before: Option<DateTime<Utc>>,
) -> Result<Vec<i64>, sea_orm::DbErr> {
    if patches.is_empty() {
        return Ok(vec![]);
    }
    let mut q = tenancy::Entity::find()
        .select_only()
        .column(tenancy::Column::Id);
    q = match patches {
        Patches::Only(p) => q.filter(tenancy::Column::PatchId.is_in(p.iter().copied())),
        Patches::AllBut(p) => q.filter(
            Condition::any()
                .add(tenancy::Column::PatchId.is_null())
                .add(tenancy::Column::PatchId.is_not_in(p.iter().copied())),
        ),
    };
    if let Some(t) = created_before {
        q = q.filter(tenancy::Column::CreatedAt.lt(t));
    }
    q.order_by_asc(tenancy::Column::Id)
        .into_tuple()
        .all(db)
        .await
}

/// What the app needs of accounts `ids`: what changed since `from`, or everything it keeps
/// (`from` = `None`: the account, open tasks, planned visits from today, flags, arrangements
/// and the diary since `history`).
async fn collect(
    db: &DatabaseConnection,
    ids: &[i64],
    from: Option<DateTime<Utc>>,
    history: DateTime<Utc>,
    today: NaiveDate,
    out: &mut Changes,
) -> Result<(), sea_orm::DbErr> {
    for chunk in ids.chunks(500) {
        let chunk = chunk.to_vec();
        let mut s = account_summary::Entity::find()
            .filter(account_summary::Column::TenancyId.is_in(chunk.clone()));
        let mut tk = task::Entity::find().filter(task::Column::TenancyId.is_in(chunk.clone()));
        let mut f = flag::Entity::find().filter(flag::Column::TenancyId.is_in(chunk.clone()));
        let mut a =
            arrangement::Entity::find().filter(arrangement::Column::TenancyId.is_in(chunk.clone()));
        let mut v = visit::Entity::find().filter(visit::Column::TenancyId.is_in(chunk.clone()));
        let mut act = action::Entity::find().filter(action::Column::TenancyId.is_in(chunk.clone()));
        match from {
            Some(from) => {
                s = s.filter(account_summary::Column::ComputedAt.gte(from));
                // Completing or reassigning a task sets `updated_at` (NULL: never changed).
                tk = tk.filter(
                    Condition::any()
                        .add(task::Column::CreatedAt.gte(from))
                        .add(task::Column::UpdatedAt.gte(from))
                        .add(task::Column::CompletedAt.gte(from)),
                );
                // Set, or changed since (ended, withdrawn, end moved, redacted: each sets
                // `updated_at`; `ended_at` for rows written before it existed).
                f = f.filter(
                    Condition::any()
                        .add(flag::Column::CreatedAt.gte(from))
                        .add(flag::Column::UpdatedAt.gte(from))
                        .add(flag::Column::EndedAt.gte(from)),
                );
                a = a.filter(arrangement::Column::UpdatedAt.gte(from));
                v = v.filter(visit::Column::UpdatedAt.gte(from));
                act = act.filter(action::Column::CreatedAt.gte(from));
            }
            None => {
                tk = tk.filter(task::Column::Status.eq("open"));
                v = v
                    .filter(visit::Column::VisitDate.gte(today))
                    .filter(visit::Column::Status.eq(crate::visits::PLANNED));
                act = act.filter(action::Column::CreatedAt.gte(history));
            }
        }
        let summaries = s.all(db).await?;
        // An account whose figures changed is sent even if its row did not.
        let mut t = tenancy::Entity::find().filter(tenancy::Column::Id.is_in(chunk.clone()));
        if let Some(from) = from {
            let figures: Vec<i64> = summaries.iter().map(|s| s.tenancy_id).collect();
            t = t.filter(
                Condition::any()
                    .add(tenancy::Column::UpdatedAt.gte(from))
                    .add(tenancy::Column::Id.is_in(figures)),
            );
        }
        out.tenancies
            .extend(t.order_by_asc(tenancy::Column::Id).all(db).await?);
        out.summaries.extend(summaries);
        out.tasks
            .extend(tk.order_by_asc(task::Column::Id).all(db).await?);
        out.actions
            .extend(act.order_by_asc(action::Column::Id).all(db).await?);
        out.flags.extend(f.all(db).await?);
        out.arrangements.extend(a.all(db).await?);
        let visits = v.order_by_asc(visit::Column::Id).all(db).await?;
        out.visits
            .extend(crate::visits::with_accounts(db, visits).await?);
    }
    Ok(())
}

/// The audit trail of one sync: an entry per account the answer carried (so "who read this
/// account" finds it) or told the app to drop, and one for the sync, all from `client_addr`.
pub async fn record_read(
    db: &DatabaseConnection,
    staff_id: i64,
    since: Option<DateTime<Utc>>,
    c: &Changes,
    client_addr: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sea_orm::DbErr> {
    let at = now;
    let full: BTreeSet<i64> = c.full.iter().copied().collect();
    let entry =
        |action: &str, kind: &str, id: Option<String>, detail: String| audit_entry::ActiveModel {
            at: Set(at),
            actor_kind: Set("staff".into()),
            actor_id: Set(Some(staff_id.to_string())),
            action: Set(action.into()),
            subject_kind: Set(kind.into()),
            subject_id: Set(id),
            detail: Set(Some(detail)),
            client_addr: Set(client_addr.map(str::to_owned)),
            ..Default::default()
        };
    let mut rows: Vec<audit_entry::ActiveModel> = c
        .accounts()
        .into_iter()
        .map(|id| {
            let what = if full.contains(&id) {
                "sent in full"
            } else {
                "changes sent"
            };
            entry("sync.read", "tenancy", Some(id.to_string()), what.into())
        })
        .collect();
    rows.extend(c.removed.iter().map(|id| {
        entry(
            "sync.removed",
            "tenancy",
            Some(id.to_string()),
            "left the caller's patches; the app drops it".into(),
        )
    }));
    let txn = crate::db::begin_write(db).await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: Actor::Staff(staff_id),
            action: "sync",
            subject_kind: "patches",
            subject_id: None,
            detail: Some(format!(
                "since {since:?}: {} accounts ({} in full), {} removed, {} actions, {} tasks",
                rows.len() - c.removed.len(),
                c.full.len(),
                c.removed.len(),
                c.actions.len(),
                c.tasks.len()
            )),
            client_addr,
        },
    )
    .await?;
    while !rows.is_empty() {
        let rest = rows.split_off(rows.len().min(200));
        audit_entry::Entity::insert_many(std::mem::replace(&mut rows, rest))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}
