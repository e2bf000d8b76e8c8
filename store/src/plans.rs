//! Repayment plans a tenant proposes in the app, stored as `arrangements` rows
//! (`proposed_by_tenant`). Within policy a plan is active at once; outside it waits for the
//! patch officer (a task). One current plan per tenancy: a change replaces it, a cancellation
//! ends it and escalation may resume.

use crate::audit::{self, Actor};
use crate::entities::{arrangement, tenant};
use crate::tasks::{self, NewTask};
use chrono::NaiveDate;
use rentdesk_domain::tasks::DueIn;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

/// Statuses of a plan that is still in force or waiting.
pub const CURRENT: [&str; 3] = ["active", "pending_review", "broken"];

/// Every status an arrangement row holds: the current ones, then those that end a plan
/// (`end_current`, `review`, the arrangements import). The API's `PlanStatus` lists the same.
pub const STATUSES: [&str; 7] = [
    "active",
    "pending_review",
    "broken",
    "cancelled",
    "replaced",
    "completed",
    "declined",
];

/// The details a tenant plan keeps beside the arrangement row (JSON in `income_expenditure`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PlanDetails {
    pub statement: rentdesk_domain::affordability::Statement,
    /// Towards the arrears, per payment.
    pub instalment_pence: i64,
    /// Rent paid alongside, per payment.
    pub rent_per_period_pence: i64,
    pub arrears_pence: i64,
}

pub async fn current<C: ConnectionTrait>(
    db: &C,
    tenancy_id: i64,
) -> Result<Option<arrangement::Model>, sea_orm::DbErr> {
    arrangement::Entity::find()
        .filter(arrangement::Column::TenancyId.eq(tenancy_id))
        .filter(arrangement::Column::Status.is_in(CURRENT))
        .order_by_desc(arrangement::Column::Id)
        .one(db)
        .await
}

pub struct Proposal {
    pub frequency: rentdesk_domain::tenancy::Frequency,
    pub first_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub details: PlanDetails,
    /// `None` = within policy (active now); `Some(reasons)` = an officer reviews it.
    pub review: Option<Vec<String>>,
    pub agreement_text: String,
}

/// Who sets a plan up: the tenant in the app, or an officer on their behalf.
#[derive(Debug, Clone, Copy)]
pub enum By<'a> {
    Tenant(&'a tenant::Model),
    Officer { staff_id: i64, tenancy_id: i64 },
}

impl By<'_> {
    fn tenancy_id(&self) -> i64 {
        match self {
            By::Tenant(p) => p.tenancy_id,
            By::Officer { tenancy_id, .. } => *tenancy_id,
        }
    }

    fn actor(&self) -> Actor {
        match self {
            By::Tenant(p) => Actor::Tenant(p.id),
            By::Officer { staff_id, .. } => Actor::Staff(*staff_id),
        }
    }
}

/// Store a plan, replacing the current one if any (recorded as `replaced`). A tenant's plan
/// outside policy waits for the patch officer (a review task); an officer's plan is active at
/// once, its policy concerns recorded as the officer's decision.
pub async fn propose(
    db: &DatabaseConnection,
    by: By<'_>,
    p: Proposal,
    client_addr: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<arrangement::Model, sea_orm::DbErr> {
    let tenancy_id = by.tenancy_id();
    let officer = match by {
        By::Officer { staff_id, .. } => Some(staff_id),
        By::Tenant(_) => None,
    };
    let txn = crate::db::begin_write(db).await?;
    let replaced = end_current(
        &txn,
        tenancy_id,
        "replaced",
        Some("replaced by a new plan"),
        now,
    )
    .await?;
    let status = if p.review.is_some() && officer.is_none() {
        "pending_review"
    } else {
        "active"
    };
    let total = p.details.instalment_pence + p.details.rent_per_period_pence;
    let row = arrangement::ActiveModel {
        tenancy_id: Set(tenancy_id),
        status: Set(status.into()),
        frequency: Set(p.frequency.as_str().into()),
        instalment_pence: Set(total),
        includes_rent: Set(p.details.rent_per_period_pence > 0),
        start_date: Set(p.first_date),
        end_date: Set(p.end_date),
        arrears_at_start_pence: Set(p.details.arrears_pence),
        created_by_staff_id: Set(officer),
        proposed_by_tenant: Set(officer.is_none()),
        agreement_text: Set(Some(p.agreement_text)),
        created_at: Set(now),
        updated_at: Set(now),
        income_expenditure: Set(Some(serde_json::to_string(&p.details).unwrap_or_default())),
        review_reason: Set(p.review.as_ref().map(|r| r.join("; "))),
        cancel_reason: Set(None),
        cancelled_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if let (Some(reasons), None) = (&p.review, officer) {
        tasks::raise(
            &txn,
            crate::vocab::ActionKind::PlanProposed,
            &format!(
                "Tenant proposed a repayment plan outside policy: {} {} from {}.",
                rentdesk_domain::Pence(total),
                p.frequency.as_str().replace('_', "-"),
                p.first_date.format("%-d %b %Y")
            ),
            NewTask {
                tenancy_id,
                kind: "review_plan",
                title: "Review a repayment plan the tenant proposed".into(),
                detail: format!("Outside policy because: {}.", reasons.join("; ")),
                due_on: rentdesk_domain::tasks::due_on(
                    rentdesk_domain::time::london_date(now),
                    DueIn::PlanOutsidePolicy,
                ),
                rule_id: Some(rentdesk_domain::tasks::PLAN_OUTSIDE_POLICY),
                idempotency_key: Some(format!("review_plan:{}", row.id)),
            },
            now,
        )
        .await?;
    } else {
        let who = if officer.is_some() {
            "Officer set up a repayment plan with the tenant"
        } else {
            "Tenant agreed a repayment plan in the app"
        };
        let outside = p
            .review
            .as_ref()
            .map(|r| format!(" Agreed outside policy: {}.", r.join("; ")))
            .unwrap_or_default();
        crate::diary::note(
            &txn,
            tenancy_id,
            crate::vocab::ActionKind::Arrangement,
            &format!(
                "{who}: {} {} from {}.{outside}",
                rentdesk_domain::Pence(total),
                p.frequency.as_str().replace('_', "-"),
                p.first_date.format("%-d %b %Y")
            ),
            now,
        )
        .await?;
    }
    audit::record(
        &txn,
        audit::Entry {
            actor: by.actor(),
            action: if replaced > 0 {
                "plan.changed"
            } else {
                "plan.proposed"
            },
            subject_kind: "arrangement",
            subject_id: Some(row.id.to_string()),
            detail: Some(format!("status {status}; agreement accepted")),
            client_addr,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Cancel the tenant's current plan. `None` when there is none.
pub async fn cancel(
    db: &DatabaseConnection,
    person: &tenant::Model,
    reason: &str,
    client_addr: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<i64>, sea_orm::DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let Some(plan) = current(&txn, person.tenancy_id).await? else {
        txn.commit().await?;
        return Ok(None);
    };
    end_current(&txn, person.tenancy_id, "cancelled", Some(reason), now).await?;
    crate::diary::note(
        &txn,
        person.tenancy_id,
        crate::vocab::ActionKind::Arrangement,
        &format!("Tenant cancelled their repayment plan in the app: {reason}"),
        now,
    )
    .await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: Actor::Tenant(person.id),
            action: "plan.cancelled",
            subject_kind: "arrangement",
            subject_id: Some(plan.id.to_string()),
            detail: Some(reason.to_owned()),
            client_addr,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Some(plan.id))
}

/// An officer's decision on a plan waiting for review: approved → active; declined →
/// `declined` with the reason. The review task is closed either way. `None` if the plan is not
/// waiting for review.
pub async fn review(
    db: &DatabaseConnection,
    staff_id: i64,
    arrangement_id: i64,
    approve: bool,
    reason: &str,
    client_addr: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<arrangement::Model>, sea_orm::DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let status = if approve { "active" } else { "declined" };
    let changed = arrangement::Entity::update_many()
        .col_expr(arrangement::Column::Status, Expr::value(status))
        .col_expr(arrangement::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            arrangement::Column::CancelReason,
            Expr::value((!approve).then(|| reason.to_owned())),
        )
        .col_expr(
            arrangement::Column::CreatedByStaffId,
            Expr::value(Some(staff_id)),
        )
        .filter(arrangement::Column::Id.eq(arrangement_id))
        .filter(arrangement::Column::Status.eq("pending_review"))
        .exec(&txn)
        .await?
        .rows_affected;
    if changed == 0 {
        txn.commit().await?;
        return Ok(None);
    }
    let row = arrangement::Entity::find_by_id(arrangement_id)
        .one(&txn)
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("arrangement after review".into()))?;
    crate::entities::task::Entity::update_many()
        .col_expr(
            crate::entities::task::Column::Status,
            Expr::value(crate::vocab::TaskStatus::Done),
        )
        .col_expr(crate::entities::task::Column::CompletedAt, Expr::value(now))
        .col_expr(crate::entities::task::Column::UpdatedAt, Expr::value(now))
        .filter(
            crate::entities::task::Column::IdempotencyKey
                .eq(format!("review_plan:{arrangement_id}")),
        )
        .filter(crate::entities::task::Column::Status.eq("open"))
        .exec(&txn)
        .await?;
    crate::diary::note(
        &txn,
        row.tenancy_id,
        crate::vocab::ActionKind::Arrangement,
        &format!(
            "Officer {} the repayment plan the tenant proposed. {reason}",
            if approve { "approved" } else { "declined" }
        ),
        now,
    )
    .await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: Actor::Staff(staff_id),
            action: if approve {
                "plan.approved"
            } else {
                "plan.declined"
            },
            subject_kind: "arrangement",
            subject_id: Some(arrangement_id.to_string()),
            detail: Some(reason.to_owned()),
            client_addr,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Some(row))
}

/// An officer ends the current arrangement (e.g. the tenant stopped paying, or it is replaced
/// by a court order's terms). `None` if `arrangement_id` is not current.
pub async fn end_by_officer(
    db: &DatabaseConnection,
    staff_id: i64,
    arrangement_id: i64,
    reason: &str,
    client_addr: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<i64>, sea_orm::DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let Some(plan) = arrangement::Entity::find_by_id(arrangement_id)
        .filter(arrangement::Column::Status.is_in(CURRENT))
        .one(&txn)
        .await?
    else {
        txn.commit().await?;
        return Ok(None);
    };
    end_current(&txn, plan.tenancy_id, "cancelled", Some(reason), now).await?;
    crate::diary::note(
        &txn,
        plan.tenancy_id,
        crate::vocab::ActionKind::Arrangement,
        &format!("Officer ended the repayment plan: {reason}"),
        now,
    )
    .await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: Actor::Staff(staff_id),
            action: "plan.ended",
            subject_kind: "arrangement",
            subject_id: Some(arrangement_id.to_string()),
            detail: Some(reason.to_owned()),
            client_addr,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Some(plan.tenancy_id))
}

async fn end_current<C: ConnectionTrait>(
    db: &C,
    tenancy_id: i64,
    status: &str,
    reason: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<u64, sea_orm::DbErr> {
    Ok(arrangement::Entity::update_many()
        .col_expr(arrangement::Column::Status, Expr::value(status))
        .col_expr(arrangement::Column::CancelReason, Expr::value(reason))
        .col_expr(arrangement::Column::CancelledAt, Expr::value(now))
        .col_expr(arrangement::Column::UpdatedAt, Expr::value(now))
        .filter(arrangement::Column::TenancyId.eq(tenancy_id))
        .filter(arrangement::Column::Status.is_in(CURRENT))
        .exec(db)
        .await?
        .rows_affected)
}
