//! Patches and people: who holds which patch, cover between officers, creating and
//! deactivating staff, and moving patches or tenancies in bulk. A team leader manages the
//! officers of their own team and the patches those officers hold; an admin manages all.
//! Every write and its audit entries are stored in one transaction.

use crate::audit::{self, Actor};
use crate::entities::{account_summary, cover, patch, staff_user, task, tenancy};
use crate::staff::{Role, visible_patches};
use chrono::NaiveDate;
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::{BTreeMap, BTreeSet};

/// May `manager` manage `other`? Admins: everyone; team leaders: themselves and the officers
/// of their team (not other team leaders or admins).
pub fn manages(manager: &staff_user::Model, other: &staff_user::Model) -> bool {
    match Role::parse(&manager.role) {
        Some(Role::Admin) => true,
        Some(Role::TeamLeader) => {
            manager.id == other.id
                || (manager.team.is_some()
                    && manager.team == other.team
                    && Role::parse(&other.role) == Some(Role::Officer))
        }
        _ => false,
    }
}

/// The staff `manager` manages (see [`manages`]), by name.
pub async fn managed_staff<C: ConnectionTrait>(
    db: &C,
    manager: &staff_user::Model,
) -> Result<Vec<staff_user::Model>, sea_orm::DbErr> {
    let mut q = staff_user::Entity::find();
    if Role::parse(&manager.role) != Some(Role::Admin) {
        q = match &manager.team {
            Some(team) => q.filter(
                Condition::any()
                    .add(
                        Condition::all()
                            .add(staff_user::Column::Team.eq(team.as_str()))
                            .add(staff_user::Column::Role.eq("officer")),
                    )
                    .add(staff_user::Column::Id.eq(manager.id)),
            ),
            None => q.filter(staff_user::Column::Id.eq(manager.id)),
        };
    }
    q.order_by_asc(staff_user::Column::Name)
        .order_by_asc(staff_user::Column::Id)
        .all(db)
        .await
}

/// The patches `manager` manages: those held by staff they manage. `None` = all (admin).
pub async fn managed_patches<C: ConnectionTrait>(
    db: &C,
    manager: &staff_user::Model,
) -> Result<Option<BTreeSet<i64>>, sea_orm::DbErr> {
    if Role::parse(&manager.role) == Some(Role::Admin) {
        return Ok(None);
    }
    let people: Vec<i64> = managed_staff(db, manager)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    Ok(Some(
        patch::Entity::find()
            .select_only()
            .column(patch::Column::Id)
            .filter(patch::Column::OfficerId.is_in(people))
            .into_tuple::<i64>()
            .all(db)
            .await?
            .into_iter()
            .collect(),
    ))
}

/// A patch `manager` manages, by code.
pub async fn managed_patch<C: ConnectionTrait>(
    db: &C,
    manager: &staff_user::Model,
    code: &str,
) -> Result<Option<patch::Model>, sea_orm::DbErr> {
    let scope = managed_patches(db, manager).await?;
    Ok(patch::Entity::find()
        .filter(patch::Column::Code.eq(code))
        .one(db)
        .await?
        .filter(|p| scope.as_ref().is_none_or(|s| s.contains(&p.id))))
}

/// An active member of staff `manager` manages, who can hold a caseload.
pub async fn managed_officer<C: ConnectionTrait>(
    db: &C,
    manager: &staff_user::Model,
    id: i64,
) -> Result<Option<staff_user::Model>, sea_orm::DbErr> {
    Ok(crate::staff::by_id(db, id)
        .await?
        .filter(|o| o.active && manages(manager, o) && o.role != "admin"))
}

/// Accounts and accounts in arrears (as of the last evaluation) per patch.
async fn account_counts<C: ConnectionTrait>(
    db: &C,
    patch_ids: &[i64],
) -> Result<BTreeMap<i64, (u64, u64)>, sea_orm::DbErr> {
    let rows: Vec<(i64, Option<i64>)> = tenancy::Entity::find()
        .select_only()
        .column(tenancy::Column::Id)
        .column(tenancy::Column::PatchId)
        .filter(tenancy::Column::PatchId.is_in(patch_ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    let mut in_arrears: BTreeSet<i64> = BTreeSet::new();
    for chunk in rows.chunks(1000) {
        in_arrears.extend(
            account_summary::Entity::find()
                .select_only()
                .column(account_summary::Column::TenancyId)
                .filter(account_summary::Column::TenancyId.is_in(chunk.iter().map(|(id, _)| *id)))
                .filter(account_summary::Column::Status.eq("in_arrears"))
                .into_tuple::<i64>()
                .all(db)
                .await?,
        );
    }
    let mut out: BTreeMap<i64, (u64, u64)> = BTreeMap::new();
    for (id, p) in rows {
        if let Some(p) = p {
            let e = out.entry(p).or_default();
            e.0 += 1;
            if in_arrears.contains(&id) {
                e.1 += 1;
            }
        }
    }
    Ok(out)
}

pub struct PatchRow {
    pub patch: patch::Model,
    pub officer: Option<staff_user::Model>,
    pub accounts: u64,
    pub in_arrears: u64,
    /// Cover in force today or later.
    pub covers: Vec<(cover::Model, Option<staff_user::Model>)>,
}

/// The patches `manager` manages, by code, with their officer, size and cover.
pub async fn patches(
    db: &DatabaseConnection,
    manager: &staff_user::Model,
    today: NaiveDate,
) -> Result<Vec<PatchRow>, sea_orm::DbErr> {
    let mut q = patch::Entity::find();
    if let Some(ids) = managed_patches(db, manager).await? {
        q = q.filter(patch::Column::Id.is_in(ids));
    }
    let rows = q.order_by_asc(patch::Column::Code).all(db).await?;
    let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
    let counts = account_counts(db, &ids).await?;
    let covers = cover::Entity::find()
        .filter(cover::Column::PatchId.is_in(ids.iter().copied()))
        .filter(cover::Column::EndsOn.gte(today))
        .order_by_asc(cover::Column::StartsOn)
        .all(db)
        .await?;
    let staff: BTreeMap<i64, staff_user::Model> = staff_user::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    Ok(rows
        .into_iter()
        .map(|p| {
            let (accounts, in_arrears) = counts.get(&p.id).copied().unwrap_or_default();
            PatchRow {
                officer: p.officer_id.and_then(|id| staff.get(&id).cloned()),
                accounts,
                in_arrears,
                covers: covers
                    .iter()
                    .filter(|c| c.patch_id == p.id)
                    .map(|c| (c.clone(), staff.get(&c.officer_id).cloned()))
                    .collect(),
                patch: p,
            }
        })
        .collect())
}

pub struct OfficerRow {
    pub staff: staff_user::Model,
    /// Patches they hold.
    pub patches: Vec<String>,
    /// Patches they cover today.
    pub covering: Vec<String>,
    /// Accounts in the patches they see today (held and covered).
    pub caseload: u64,
    pub in_arrears: u64,
    /// Open tasks on their caseload or assigned to them.
    pub open_tasks: u64,
    /// Of those, due before today.
    pub overdue_tasks: u64,
}

/// The staff `manager` manages, each with their caseload and task load today.
pub async fn officers(
    db: &DatabaseConnection,
    manager: &staff_user::Model,
    today: NaiveDate,
) -> Result<Vec<OfficerRow>, sea_orm::DbErr> {
    let people = managed_staff(db, manager).await?;
    let all_patches: BTreeMap<i64, patch::Model> = patch::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut out = Vec::with_capacity(people.len());
    for s in people {
        let held: BTreeSet<i64> = all_patches
            .values()
            .filter(|p| p.officer_id == Some(s.id))
            .map(|p| p.id)
            .collect();
        // An officer's visible patches are exactly what their app shows (held + cover).
        let seen: BTreeSet<i64> = if s.role == "officer" {
            visible_patches(db, &s, today).await?.unwrap_or_default()
        } else {
            held.clone()
        };
        let ids: Vec<i64> = seen.iter().copied().collect();
        let counts = account_counts(db, &ids).await?;
        let (caseload, in_arrears) = counts
            .values()
            .fold((0, 0), |(a, b), (c, d)| (a + c, b + d));
        let tenancies: Vec<i64> = crate::staff::tenancies_in(db, Some(&seen)).await?;
        let mine = Condition::any()
            .add(task::Column::AssignedStaffId.eq(s.id))
            .add(task::Column::TenancyId.is_in(tenancies));
        let open = task::Entity::find()
            .filter(task::Column::Status.eq("open"))
            .filter(mine.clone())
            .count(db)
            .await?;
        let overdue = task::Entity::find()
            .filter(task::Column::Status.eq("open"))
            .filter(task::Column::DueOn.lt(today))
            .filter(mine)
            .count(db)
            .await?;
        out.push(OfficerRow {
            patches: held
                .iter()
                .filter_map(|id| all_patches.get(id).map(|p| p.code.clone()))
                .collect(),
            covering: seen
                .difference(&held)
                .filter_map(|id| all_patches.get(id).map(|p| p.code.clone()))
                .collect(),
            caseload,
            in_arrears,
            open_tasks: open,
            overdue_tasks: overdue,
            staff: s,
        });
    }
    Ok(out)
}

/// A unique value (patch code, email) already taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken;

fn is_unique_violation(e: &sea_orm::DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

pub async fn create_patch(
    db: &DatabaseConnection,
    manager_id: i64,
    code: &str,
    name: &str,
    officer_id: Option<i64>,
    client_addr: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Result<patch::Model, Taken>, sea_orm::DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let inserted = patch::ActiveModel {
        code: Set(code.to_owned()),
        name: Set(name.to_owned()),
        officer_id: Set(officer_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let row = match inserted {
        Ok(r) => r,
        Err(e) if is_unique_violation(&e) => return Ok(Err(Taken)),
        Err(e) => return Err(e),
    };
    audit::record(
        &txn,
        audit::Entry {
            actor: Actor::Staff(manager_id),
            action: "patch.created",
            subject_kind: "patch",
            subject_id: Some(row.id.to_string()),
            detail: Some(format!(
                "{code} {name:?} officer {}",
                officer_id.map_or("none".into(), |o| o.to_string())
            )),
            client_addr,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Ok(row))
}

/// Rename a patch and/or give it to another officer.
pub async fn update_patch(
    db: &DatabaseConnection,
    manager_id: i64,
    p: &patch::Model,
    name: Option<&str>,
    officer_id: Option<i64>,
    client_addr: Option<&str>,
) -> Result<patch::Model, sea_orm::DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let mut row: patch::ActiveModel = p.clone().into();
    let mut detail = vec![];
    if let Some(n) = name {
        row.name = Set(n.to_owned());
        detail.push(format!("name {:?} -> {n:?}", p.name));
    }
    if let Some(o) = officer_id {
        row.officer_id = Set(Some(o));
        detail.push(format!(
            "officer {} -> {o}",
            p.officer_id.map_or("none".into(), |x| x.to_string())
        ));
    }
    let row = row.update(&txn).await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: Actor::Staff(manager_id),
            action: "patch.updated",
            subject_kind: "patch",
            subject_id: Some(p.id.to_string()),
            detail: Some(detail.join("; ")),
            client_addr,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

pub struct NewStaff<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub team: Option<&'a str>,
    pub password: &'a str,
}

/// Create a member of staff with a first password. `actor` is the manager who asked, or
/// `Actor::System` for `rentdesk staff create` (the first administrator has nobody above them).
pub async fn create_staff(
    db: &DatabaseConnection,
    actor: Actor,
    s: NewStaff<'_>,
    client_addr: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Result<staff_user::Model, Taken>, sea_orm::DbErr> {
    let email = s.email.trim().to_lowercase();
    let role = s.role.as_str();
    // Hash before the transaction: argon2 is deliberately slow.
    let hash = crate::staff::hash_password(s.password);
    let txn = crate::db::begin_write(db).await?;
    let inserted = staff_user::ActiveModel {
        email: Set(email.clone()),
        name: Set(s.name.trim().to_owned()),
        role: Set(role.to_owned()),
        team: Set(s.team.map(str::to_owned)),
        password_hash: Set(Some(hash)),
        active: Set(true),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let row = match inserted {
        Ok(r) => r,
        Err(e) if is_unique_violation(&e) => return Ok(Err(Taken)),
        Err(e) => return Err(e),
    };
    audit::record(
        &txn,
        audit::Entry {
            actor,
            action: "staff.created",
            subject_kind: "staff",
            subject_id: Some(row.id.to_string()),
            detail: Some(format!("{email} {role} team {}", s.team.unwrap_or("none"))),
            client_addr,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Ok(row))
}

/// Deactivate a member of staff: their tokens stop working at once (every request checks
/// `active`). Their patches keep them as officer until reassigned; the answer says which.
pub async fn deactivate(
    db: &DatabaseConnection,
    manager_id: i64,
    s: &staff_user::Model,
    client_addr: Option<&str>,
) -> Result<staff_user::Model, sea_orm::DbErr> {
    let txn = crate::db::begin_write(db).await?;
    staff_user::Entity::update_many()
        .col_expr(staff_user::Column::Active, Expr::value(false))
        .filter(staff_user::Column::Id.eq(s.id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: Actor::Staff(manager_id),
            action: "staff.deactivated",
            subject_kind: "staff",
            subject_id: Some(s.id.to_string()),
            detail: Some(s.email.clone()),
            client_addr,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(staff_user::Model {
        active: false,
        ..s.clone()
    })
}

/// What a bulk reassignment moves: patches to an officer, tenancies to a patch.
pub struct Reassignment<'a> {
    pub patches: &'a [String],
    pub tenancies: &'a [String],
    pub to_officer_id: Option<i64>,
    pub to_patch_code: Option<&'a str>,
}

/// A bad item, named as in the request (`patches[2]`, `to_officer_id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemError {
    pub field: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Moved {
    pub patches: u64,
    pub tenancies: u64,
}

/// Move patches to an officer and tenancies to a patch, all or nothing: every item is checked
/// inside the write transaction, and if any is bad nothing is written and each bad one is named.
pub async fn reassign(
    db: &DatabaseConnection,
    manager: &staff_user::Model,
    r: Reassignment<'_>,
    client_addr: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Result<Moved, Vec<ItemError>>, sea_orm::DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let mut errors = vec![];
    let err = |field: String, reason: &str| ItemError {
        field,
        reason: reason.to_owned(),
    };
    if r.patches.is_empty() && r.tenancies.is_empty() {
        errors.push(err("patches".into(), "name at least one patch or tenancy"));
    }
    let officer = match r.to_officer_id {
        Some(id) => {
            let o = managed_officer(&txn, manager, id).await?;
            if o.is_none() {
                errors.push(err(
                    "to_officer_id".into(),
                    "not an active officer in your team",
                ));
            }
            o
        }
        None => {
            if !r.patches.is_empty() {
                errors.push(err("to_officer_id".into(), "required to move patches"));
            }
            None
        }
    };
    let target_patch = match r.to_patch_code {
        Some(code) => {
            let p = managed_patch(&txn, manager, code).await?;
            if p.is_none() {
                errors.push(err("to_patch_code".into(), "no such patch in your team"));
            }
            p
        }
        None => {
            if !r.tenancies.is_empty() {
                errors.push(err("to_patch_code".into(), "required to move tenancies"));
            }
            None
        }
    };
    let scope = managed_patches(&txn, manager).await?;
    let mut patch_rows = vec![];
    for (i, code) in r.patches.iter().enumerate() {
        match managed_patch(&txn, manager, code).await? {
            Some(p) => patch_rows.push(p),
            None => errors.push(err(format!("patches[{i}]"), "no such patch in your team")),
        }
    }
    let mut tenancy_rows = vec![];
    for (i, reference) in r.tenancies.iter().enumerate() {
        let t = tenancy::Entity::find()
            .filter(tenancy::Column::Reference.eq(reference.as_str()))
            .one(&txn)
            .await?
            .filter(|t| match &scope {
                None => true,
                Some(s) => t.patch_id.is_some_and(|p| s.contains(&p)),
            });
        match t {
            Some(t) => tenancy_rows.push(t),
            None => errors.push(err(
                format!("tenancies[{i}]"),
                "no such tenancy in your team's patches",
            )),
        }
    }
    if !errors.is_empty() {
        txn.rollback().await?;
        return Ok(Err(errors));
    }
    let mut moved = Moved::default();
    if let Some(o) = &officer {
        for p in &patch_rows {
            patch::Entity::update_many()
                .col_expr(patch::Column::OfficerId, Expr::value(o.id))
                .filter(patch::Column::Id.eq(p.id))
                .exec(&txn)
                .await?;
            audit::record(
                &txn,
                audit::Entry {
                    actor: Actor::Staff(manager.id),
                    action: "patch.reassigned",
                    subject_kind: "patch",
                    subject_id: Some(p.id.to_string()),
                    detail: Some(format!(
                        "{} officer {} -> {}",
                        p.code,
                        p.officer_id.map_or("none".into(), |x| x.to_string()),
                        o.id
                    )),
                    client_addr,
                },
            )
            .await?;
            moved.patches += 1;
        }
    }
    if let Some(target) = &target_patch {
        for t in &tenancy_rows {
            tenancy::Entity::update_many()
                .col_expr(tenancy::Column::PatchId, Expr::value(target.id))
                .col_expr(tenancy::Column::UpdatedAt, Expr::value(now))
                .filter(tenancy::Column::Id.eq(t.id))
                .exec(&txn)
                .await?;
            if t.patch_id != Some(target.id) {
                crate::sync::record_move(&txn, t.id, t.patch_id, Some(target.id), now).await?;
            }
            audit::record(
                &txn,
                audit::Entry {
                    actor: Actor::Staff(manager.id),
                    action: "tenancy.reassigned",
                    subject_kind: "tenancy",
                    subject_id: Some(t.id.to_string()),
                    detail: Some(format!(
                        "{} patch {} -> {}",
                        t.reference,
                        t.patch_id.map_or("none".into(), |x| x.to_string()),
                        target.code
                    )),
                    client_addr,
                },
            )
            .await?;
            moved.tenancies += 1;
        }
    }
    txn.commit().await?;
    Ok(Ok(moved))
}
