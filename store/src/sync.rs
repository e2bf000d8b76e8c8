//! Offline sync for the officer app: everything that changed in the officer's patches since a
//! point in time. The answer's cursor overlaps the previous window by a few seconds (a write
//! committed late is not missed); the app upserts by id, so overlap is harmless.

use crate::entities::visit;
use crate::entities::{account_summary, action, arrangement, flag, task, tenancy};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

/// How far each window reaches back into the previous one.
pub const OVERLAP: Duration = Duration::seconds(5);
/// A first sync (no cursor) brings this much diary history.
pub const FIRST_SYNC_DAYS: i64 = 90;

pub struct Changes {
    pub tenancies: Vec<tenancy::Model>,
    pub summaries: Vec<account_summary::Model>,
    pub actions: Vec<action::Model>,
    pub tasks: Vec<task::Model>,
    pub flags: Vec<flag::Model>,
    pub arrangements: Vec<arrangement::Model>,
    /// Visits on those accounts (any officer's), with the account; a first sync brings the
    /// planned ones from today on.
    pub visits: Vec<(visit::Model, tenancy::Model)>,
    /// Pass back as `since` next time.
    pub next: DateTime<Utc>,
}

pub async fn changes(
    db: &DatabaseConnection,
    staff: &crate::entities::staff_user::Model,
    today: NaiveDate,
    since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Changes, sea_orm::DbErr> {
    let patches = crate::staff::visible_patches(db, staff, today).await?;
    let ids = crate::staff::tenancies_in(db, patches.as_ref()).await?;
    let from = since.unwrap_or(now - Duration::days(FIRST_SYNC_DAYS));
    let mut out = Changes {
        tenancies: vec![],
        summaries: vec![],
        actions: vec![],
        tasks: vec![],
        flags: vec![],
        arrangements: vec![],
        visits: vec![],
        next: now - OVERLAP,
    };
    for chunk in ids.chunks(500) {
        let chunk = chunk.to_vec();
        let mut t = tenancy::Entity::find().filter(tenancy::Column::Id.is_in(chunk.clone()));
        let mut s = account_summary::Entity::find()
            .filter(account_summary::Column::TenancyId.is_in(chunk.clone()));
        let mut tk = task::Entity::find().filter(task::Column::TenancyId.is_in(chunk.clone()));
        if since.is_some() {
            t = t.filter(tenancy::Column::UpdatedAt.gte(from));
            s = s.filter(account_summary::Column::ComputedAt.gte(from));
            tk = tk.filter(
                Condition::any()
                    .add(task::Column::CreatedAt.gte(from))
                    .add(task::Column::CompletedAt.gte(from)),
            );
        } else {
            tk = tk.filter(task::Column::Status.eq("open"));
        }
        out.tenancies.extend(t.all(db).await?);
        out.summaries.extend(s.all(db).await?);
        out.tasks
            .extend(tk.order_by_asc(task::Column::Id).all(db).await?);
        out.actions.extend(
            action::Entity::find()
                .filter(action::Column::TenancyId.is_in(chunk.clone()))
                .filter(action::Column::CreatedAt.gte(from))
                .order_by_asc(action::Column::Id)
                .all(db)
                .await?,
        );
        let mut f = flag::Entity::find().filter(flag::Column::TenancyId.is_in(chunk.clone()));
        let mut a =
            arrangement::Entity::find().filter(arrangement::Column::TenancyId.is_in(chunk.clone()));
        if since.is_some() {
            // Set, or ended / withdrawn, since.
            f = f.filter(
                Condition::any()
                    .add(flag::Column::CreatedAt.gte(from))
                    .add(flag::Column::EndedAt.gte(from)),
            );
            a = a.filter(arrangement::Column::UpdatedAt.gte(from));
        }
        out.flags.extend(f.all(db).await?);
        out.arrangements.extend(a.all(db).await?);
        let mut v = visit::Entity::find().filter(visit::Column::TenancyId.is_in(chunk.clone()));
        v = match since {
            Some(_) => v.filter(visit::Column::UpdatedAt.gte(from)),
            None => v
                .filter(visit::Column::VisitDate.gte(today))
                .filter(visit::Column::Status.eq(crate::visits::PLANNED)),
        };
        let visits = v.order_by_asc(visit::Column::Id).all(db).await?;
        out.visits
            .extend(crate::visits::with_accounts(db, visits).await?);
    }
    Ok(out)
}
