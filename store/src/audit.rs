//! The append-only audit log: who did what to whom, when and from where. Nothing updates or
//! deletes these rows (database triggers refuse it, see migration `m20261129_000003`).

use crate::entities::{arrangement, audit_entry, staff_user, tenancy, tenant};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use std::collections::BTreeSet;

/// Every `actor_kind` an audit row holds (`Actor`, and staff edits synced from a phone).
pub const ACTOR_KINDS: [&str; 4] = ["staff", "tenant", "system", "anonymous"];

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Tenant(i64),
    Staff(i64),
    System,
    /// Someone not (yet) identified, e.g. a failed sign-in.
    Anonymous,
}

impl Actor {
    fn parts(&self) -> (&'static str, Option<String>) {
        match self {
            Actor::Tenant(id) => ("tenant", Some(id.to_string())),
            Actor::Staff(id) => ("staff", Some(id.to_string())),
            Actor::System => ("system", None),
            Actor::Anonymous => ("anonymous", None),
        }
    }
}

/// One audit entry: `action` on `subject_kind`/`subject_id`, with optional detail (JSON or
/// text; never a secret) and the client's address.
pub struct Entry<'a> {
    pub actor: Actor,
    pub action: &'a str,
    pub subject_kind: &'a str,
    pub subject_id: Option<String>,
    pub detail: Option<String>,
    pub client_addr: Option<&'a str>,
}

pub async fn record<C: ConnectionTrait>(db: &C, e: Entry<'_>) -> Result<(), sea_orm::DbErr> {
    let (actor_kind, actor_id) = e.actor.parts();
    audit_entry::ActiveModel {
        // Evidence of when the row was written: the real time, never the rules' clock.
        at: Set(chrono::Utc::now()),
        actor_kind: Set(actor_kind.to_owned()),
        actor_id: Set(actor_id),
        action: Set(e.action.to_owned()),
        subject_kind: Set(e.subject_kind.to_owned()),
        subject_id: Set(e.subject_id),
        detail: Set(e.detail),
        client_addr: Set(e.client_addr.map(str::to_owned)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Reading the log: entries about one tenancy, and the paged query behind `/manage/v1/audit`.

/// Entries are about a tenancy when their subject is the tenancy, one of its tenants or
/// arrangements, or its reference (sign-in attempts), or when one of its tenants acted.
pub async fn about_tenancy<C: ConnectionTrait>(
    db: &C,
    t: &tenancy::Model,
) -> Result<Condition, sea_orm::DbErr> {
    let tenants: Vec<String> = tenant::Entity::find()
        .select_only()
        .column(tenant::Column::Id)
        .filter(tenant::Column::TenancyId.eq(t.id))
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .map(|id| id.to_string())
        .collect();
    let arrangements: Vec<String> = arrangement::Entity::find()
        .select_only()
        .column(arrangement::Column::Id)
        .filter(arrangement::Column::TenancyId.eq(t.id))
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .map(|id| id.to_string())
        .collect();
    use audit_entry::Column as A;
    let subject = |kind: &str, ids: Vec<String>| {
        Condition::all()
            .add(A::SubjectKind.eq(kind))
            .add(A::SubjectId.is_in(ids))
    };
    Ok(Condition::any()
        .add(subject("tenancy", vec![t.id.to_string()]))
        .add(subject("tenancy_reference", vec![t.reference.clone()]))
        .add(subject("tenant", tenants.clone()))
        .add(subject("arrangement", arrangements))
        .add(
            Condition::all()
                .add(A::ActorKind.eq("tenant"))
                .add(A::ActorId.is_in(tenants)),
        ))
}

/// Entries a team leader may read: about the tenancies in `patches`, or by the staff in
/// `staff_ids`. Written as sub-selects so a large patch list costs no bound parameters.
pub fn within_scope(patches: &BTreeSet<i64>, staff_ids: &[i64]) -> Condition {
    let list = |ids: &mut dyn Iterator<Item = i64>| {
        let s: Vec<String> = ids.map(|i| i.to_string()).collect();
        if s.is_empty() {
            "NULL".to_owned()
        } else {
            s.join(",")
        }
    };
    let patches = list(&mut patches.iter().copied());
    let tenancies = format!("SELECT id FROM tenancies WHERE patch_id IN ({patches})");
    let tenants = format!("SELECT id FROM tenants WHERE tenancy_id IN ({tenancies})");
    let arrangements = format!("SELECT id FROM arrangements WHERE tenancy_id IN ({tenancies})");
    let staff = staff_ids
        .iter()
        .map(|i| format!("'{i}'"))
        .collect::<Vec<_>>()
        .join(",");
    let about = |kind: &str, ids: &str| {
        Expr::cust(format!(
            "(subject_kind = '{kind}' AND subject_id IN (SELECT CAST(x.id AS TEXT) FROM ({ids}) x))"
        ))
    };
    let mut c = Condition::any()
        .add(about("tenancy", &tenancies))
        .add(about("tenant", &tenants))
        .add(about("arrangement", &arrangements))
        .add(Expr::cust(format!(
            "(subject_kind = 'tenancy_reference' AND subject_id IN \
             (SELECT reference FROM tenancies WHERE patch_id IN ({patches})))"
        )))
        .add(Expr::cust(format!(
            "(actor_kind = 'tenant' AND actor_id IN (SELECT CAST(x.id AS TEXT) FROM ({tenants}) x))"
        )));
    if !staff.is_empty() {
        c = c.add(Expr::cust(format!(
            "(actor_kind = 'staff' AND actor_id IN ({staff}))"
        )));
    }
    c
}

/// The ids of the staff in `staff`'s team (just themselves without a team).
pub async fn team_staff<C: ConnectionTrait>(
    db: &C,
    staff: &staff_user::Model,
) -> Result<Vec<i64>, sea_orm::DbErr> {
    match &staff.team {
        None => Ok(vec![staff.id]),
        Some(team) => {
            staff_user::Entity::find()
                .select_only()
                .column(staff_user::Column::Id)
                .filter(staff_user::Column::Team.eq(team.as_str()))
                .into_tuple()
                .all(db)
                .await
        }
    }
}

/// What to look for; every filter is optional and they combine with AND.
#[derive(Debug, Default, Clone)]
pub struct Query {
    /// Entries about this tenancy (see [`about_tenancy`]).
    pub about: Option<Condition>,
    /// Entries made by this member of staff.
    pub staff_id: Option<i64>,
    /// From this instant (inclusive) to this one (exclusive).
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Only what the caller may see (`None` = everything, an administrator).
    pub scope: Option<Condition>,
    /// Entries older than this id (the previous page's cursor).
    pub before_id: Option<i64>,
    pub limit: u64,
}

/// One page of entries, newest first, and the cursor of the next page if there is one.
pub async fn query<C: ConnectionTrait>(
    db: &C,
    q: Query,
) -> Result<(Vec<audit_entry::Model>, Option<i64>), sea_orm::DbErr> {
    use audit_entry::Column as A;
    let mut find = audit_entry::Entity::find();
    if let Some(c) = q.about {
        find = find.filter(c);
    }
    if let Some(id) = q.staff_id {
        find = find
            .filter(A::ActorKind.eq("staff"))
            .filter(A::ActorId.eq(id.to_string()));
    }
    if let Some(from) = q.from {
        find = find.filter(A::At.gte(from));
    }
    if let Some(to) = q.to {
        find = find.filter(A::At.lt(to));
    }
    if let Some(c) = q.scope {
        find = find.filter(c);
    }
    if let Some(before) = q.before_id {
        find = find.filter(A::Id.lt(before));
    }
    let limit = q.limit.max(1);
    let mut rows = find.order_by_desc(A::Id).limit(limit + 1).all(db).await?;
    let next = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.id)
    } else {
        None
    };
    Ok((rows, next))
}
