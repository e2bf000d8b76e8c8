//! Retention: anonymising the personal data of tenancies that `domain::retention` says have
//! been closed, with nothing owed, for longer than the retention period.
//!
//! Removed: tenants' names (→ "Former tenant #id"), dates of birth, mobile numbers and email
//! addresses; the first address line (→ "[redacted]"), second line and map position; free text
//! written about people (action notes, message bodies and provider errors, flag details, task
//! details, plan agreements, income and expenditure statements and review/cancel reasons);
//! push devices, app sessions, sign-in codes and sign-in attempts; stored subject-access
//! exports. Kept, so reports still add up: the tenancy row (reference, tenure, patch, town,
//! postcode, dates, rent), every ledger row (the ledger is append-only), arrangements'
//! figures, UC claims, the case and its stage history, action/message kinds, dates, outcomes
//! and rule facts.
//!
//! The audit log is append-only and is not touched: its entries name people by id (the ids now
//! point at "Former tenant #id"); the few with free text (a plan's cancel reason) or a client
//! address keep them under the log's own retention. A run adds one `retention.anonymised`
//! entry per tenancy, without personal data.
//!
//! [`plan`] lists exactly what [`run`] would change, without changing anything (the dry run);
//! `run` applies the same plan, one tenancy per transaction, and marks `anonymised_at`, so a
//! second run finds nothing to do.

use crate::audit::{self, Actor};
use crate::entities::{
    action, arrangement, device, export, flag, message, session, sign_in_code, sign_in_start, task,
    tenancy, tenant, transaction,
};
use chrono::NaiveDate;
use rentdesk_domain::Pence;
use rentdesk_domain::retention::{Retention, RetentionFacts, RetentionPolicy};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use std::collections::HashMap;

pub const REDACTED: &str = "[redacted]";

/// One change to one field (or a whole row) of one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub table: &'static str,
    pub id: i64,
    /// The column, or `*` when the row is deleted.
    pub field: &'static str,
    /// `null`, `deleted`, or the replacement text.
    pub to: String,
}

/// A tenancy that qualifies, and what anonymising it changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    pub tenancy_id: i64,
    pub reference: String,
    pub closed_on: NaiveDate,
    /// The retention period ended on this date.
    pub due_since: NaiveDate,
    pub changes: Vec<Change>,
}

/// Tenancies whose personal data the policy says to remove as of `today`, with every change.
pub async fn plan(
    db: &DatabaseConnection,
    policy: RetentionPolicy,
    today: NaiveDate,
) -> Result<Vec<Candidate>, sea_orm::DbErr> {
    let mut out = vec![];
    for (t, closed_on, due_since) in qualifying(db, policy, today).await? {
        let changes = changes_for(db, &t).await?;
        out.push(Candidate {
            tenancy_id: t.id,
            reference: t.reference,
            closed_on,
            due_since,
            changes,
        });
    }
    Ok(out)
}

/// Anonymise every qualifying tenancy; what was changed. Audited as `actor`.
pub async fn run(
    db: &DatabaseConnection,
    policy: RetentionPolicy,
    today: NaiveDate,
    actor: Actor,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<Candidate>, sea_orm::DbErr> {
    let mut done = vec![];
    for (t, closed_on, due_since) in qualifying(db, policy, today).await? {
        let txn = crate::db::begin_write(db).await?;
        // Re-read inside the transaction: another worker may have done it meanwhile.
        let current = tenancy::Entity::find_by_id(t.id).one(&txn).await?;
        if current.is_none_or(|c| c.anonymised_at.is_some()) {
            txn.rollback().await?;
            continue;
        }
        let changes = changes_for(&txn, &t).await?;
        apply(&txn, &t, &changes, now).await?;
        audit::record(
            &txn,
            audit::Entry {
                actor: actor.clone(),
                action: "retention.anonymised",
                subject_kind: "tenancy",
                subject_id: Some(t.id.to_string()),
                detail: Some(format!(
                    "closed {closed_on}; retention ended {due_since}; {} changes",
                    changes.len()
                )),
                client_addr: None,
            },
        )
        .await?;
        txn.commit().await?;
        done.push(Candidate {
            tenancy_id: t.id,
            reference: t.reference,
            closed_on,
            due_since,
            changes,
        });
    }
    Ok(done)
}

/// Closed, not yet anonymised tenancies the domain rule selects, oldest closure first.
async fn qualifying(
    db: &DatabaseConnection,
    policy: RetentionPolicy,
    today: NaiveDate,
) -> Result<Vec<(tenancy::Model, NaiveDate, NaiveDate)>, sea_orm::DbErr> {
    let closed = tenancy::Entity::find()
        .filter(tenancy::Column::Status.eq("closed"))
        .filter(tenancy::Column::AnonymisedAt.is_null())
        .order_by_asc(tenancy::Column::EndDate)
        .order_by_asc(tenancy::Column::Id)
        .all(db)
        .await?;
    let mut out = vec![];
    for chunk in closed.chunks(500) {
        let ids: Vec<i64> = chunk.iter().map(|t| t.id).collect();
        // Added up here, not by SQL `SUM()`, which fails outright on a corrupt amount near
        // i64::MAX (issue 15) and would stop the whole nightly run; `Pence` saturates.
        let mut balances: HashMap<i64, Vec<Pence>> = HashMap::new();
        for (id, amount) in transaction::Entity::find()
            .select_only()
            .column(transaction::Column::TenancyId)
            .column(transaction::Column::AmountPence)
            .filter(transaction::Column::TenancyId.is_in(ids))
            .into_tuple::<(i64, i64)>()
            .all(db)
            .await?
        {
            balances.entry(id).or_default().push(Pence(amount));
        }
        for t in chunk {
            let facts = RetentionFacts {
                status: &t.status,
                end_date: t.end_date,
                balance: balances
                    .get(&t.id)
                    .map(|a| a.iter().sum())
                    .unwrap_or_default(),
                already_anonymised: t.anonymised_at.is_some(),
            };
            if let Retention::Anonymise {
                closed_on,
                due_since,
            } = policy.decide(facts, today)
            {
                out.push((t.clone(), closed_on, due_since));
            }
        }
    }
    Ok(out)
}

fn set(table: &'static str, id: i64, field: &'static str, to: &str) -> Change {
    Change {
        table,
        id,
        field,
        to: to.to_owned(),
    }
}

fn null(table: &'static str, id: i64, field: &'static str) -> Change {
    set(table, id, field, "null")
}

fn deleted(table: &'static str, id: i64) -> Change {
    set(table, id, "*", "deleted")
}

/// Every change anonymising `t` makes: only fields that still hold something.
async fn changes_for<C: ConnectionTrait>(
    db: &C,
    t: &tenancy::Model,
) -> Result<Vec<Change>, sea_orm::DbErr> {
    let mut c = vec![];
    if t.address_line1 != REDACTED {
        c.push(set("tenancies", t.id, "address_line1", REDACTED));
    }
    if t.address_line2.is_some() {
        c.push(null("tenancies", t.id, "address_line2"));
    }
    if t.latitude.is_some() || t.longitude.is_some() {
        c.push(null("tenancies", t.id, "latitude"));
        c.push(null("tenancies", t.id, "longitude"));
    }
    let people = tenant::Entity::find()
        .filter(tenant::Column::TenancyId.eq(t.id))
        .order_by_asc(tenant::Column::Id)
        .all(db)
        .await?;
    let tenant_ids: Vec<i64> = people.iter().map(|p| p.id).collect();
    for p in &people {
        let name = former_name(p.id);
        if p.full_name != name {
            c.push(set("tenants", p.id, "full_name", &name));
        }
        if p.date_of_birth.is_some() {
            c.push(null("tenants", p.id, "date_of_birth"));
        }
        if p.mobile.is_some() {
            c.push(null("tenants", p.id, "mobile"));
        }
        if p.email.is_some() {
            c.push(null("tenants", p.id, "email"));
        }
    }
    for a in action::Entity::find()
        .filter(action::Column::TenancyId.eq(t.id))
        .order_by_asc(action::Column::Id)
        .all(db)
        .await?
    {
        if !a.body.is_empty() && a.body != REDACTED {
            c.push(set("actions", a.id, "body", REDACTED));
        }
    }
    for m in message::Entity::find()
        .filter(message::Column::TenancyId.eq(t.id))
        .order_by_asc(message::Column::Id)
        .all(db)
        .await?
    {
        if !m.body.is_empty() && m.body != REDACTED {
            c.push(set("messages", m.id, "body", REDACTED));
        }
        if m.error.is_some() {
            c.push(null("messages", m.id, "error"));
        }
    }
    for f in flag::Entity::find()
        .filter(flag::Column::TenancyId.eq(t.id))
        .order_by_asc(flag::Column::Id)
        .all(db)
        .await?
    {
        if !f.detail.is_empty() && f.detail != REDACTED {
            c.push(set("flags", f.id, "detail", REDACTED));
        }
        if f.end_note.is_some() {
            c.push(null("flags", f.id, "end_note"));
        }
    }
    for k in task::Entity::find()
        .filter(task::Column::TenancyId.eq(t.id))
        .order_by_asc(task::Column::Id)
        .all(db)
        .await?
    {
        if !k.detail.is_empty() && k.detail != REDACTED {
            c.push(set("tasks", k.id, "detail", REDACTED));
        }
    }
    for a in arrangement::Entity::find()
        .filter(arrangement::Column::TenancyId.eq(t.id))
        .order_by_asc(arrangement::Column::Id)
        .all(db)
        .await?
    {
        for (field, value) in [
            ("agreement_text", &a.agreement_text),
            ("income_expenditure", &a.income_expenditure),
            ("review_reason", &a.review_reason),
            ("cancel_reason", &a.cancel_reason),
        ] {
            if value.is_some() {
                c.push(null("arrangements", a.id, field));
            }
        }
    }
    for id in ids_of::<device::Entity, _, _>(
        db,
        device::Column::Id,
        device::Column::TenantId.is_in(tenant_ids.clone()),
    )
    .await?
    {
        c.push(deleted("devices", id));
    }
    for id in ids_of::<session::Entity, _, _>(
        db,
        session::Column::Id,
        sea_orm::Condition::all()
            .add(session::Column::SubjectKind.eq("tenant"))
            .add(session::Column::SubjectId.is_in(tenant_ids.clone())),
    )
    .await?
    {
        c.push(deleted("sessions", id));
    }
    for id in ids_of::<sign_in_code::Entity, _, _>(
        db,
        sign_in_code::Column::Id,
        sign_in_code::Column::TenantId.is_in(tenant_ids),
    )
    .await?
    {
        c.push(deleted("sign_in_codes", id));
    }
    for id in ids_of::<sign_in_start::Entity, _, _>(
        db,
        sign_in_start::Column::Id,
        sign_in_start::Column::Reference.eq(t.reference.as_str()),
    )
    .await?
    {
        c.push(deleted("sign_in_starts", id));
    }
    for id in
        ids_of::<export::Entity, _, _>(db, export::Column::Id, export::Column::TenancyId.eq(t.id))
            .await?
    {
        c.push(deleted("exports", id));
    }
    Ok(c)
}

pub fn former_name(tenant_id: i64) -> String {
    format!("Former tenant #{tenant_id}")
}

async fn ids_of<E, Col, F>(
    db: &impl ConnectionTrait,
    id: Col,
    filter: F,
) -> Result<Vec<i64>, sea_orm::DbErr>
where
    E: EntityTrait,
    Col: ColumnTrait,
    F: sea_orm::sea_query::IntoCondition,
{
    E::find()
        .select_only()
        .column(id)
        .filter(filter)
        .order_by_asc(id)
        .into_tuple()
        .all(db)
        .await
}

/// Carry out `changes` (from [`changes_for`]) and mark the tenancy anonymised.
async fn apply<C: ConnectionTrait>(
    db: &C,
    t: &tenancy::Model,
    changes: &[Change],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sea_orm::DbErr> {
    let ids = |table: &str, field: &str| -> Vec<i64> {
        changes
            .iter()
            .filter(|c| c.table == table && c.field == field)
            .map(|c| c.id)
            .collect()
    };
    tenancy::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(t.id),
        address_line1: Set(REDACTED.to_owned()),
        address_line2: Set(None),
        latitude: Set(None),
        longitude: Set(None),
        anonymised_at: Set(Some(now)),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(db)
    .await?;
    for p in tenant::Entity::find()
        .filter(tenant::Column::TenancyId.eq(t.id))
        .all(db)
        .await?
    {
        tenant::ActiveModel {
            id: sea_orm::ActiveValue::Unchanged(p.id),
            full_name: Set(former_name(p.id)),
            date_of_birth: Set(None),
            mobile: Set(None),
            email: Set(None),
            ..Default::default()
        }
        .update(db)
        .await?;
    }
    let redact = |ids: Vec<i64>| (!ids.is_empty()).then_some(ids);
    if let Some(ids) = redact(ids("actions", "body")) {
        action::Entity::update_many()
            .col_expr(action::Column::Body, Expr::value(REDACTED))
            .filter(action::Column::Id.is_in(ids))
            .exec(db)
            .await?;
    }
    if let Some(ids) = redact(ids("messages", "body")) {
        message::Entity::update_many()
            .col_expr(message::Column::Body, Expr::value(REDACTED))
            .filter(message::Column::Id.is_in(ids))
            .exec(db)
            .await?;
    }
    if let Some(ids) = redact(ids("messages", "error")) {
        message::Entity::update_many()
            .col_expr(message::Column::Error, Expr::value(Option::<String>::None))
            .filter(message::Column::Id.is_in(ids))
            .exec(db)
            .await?;
    }
    if let Some(ids) = redact(ids("flags", "detail")) {
        flag::Entity::update_many()
            .col_expr(flag::Column::Detail, Expr::value(REDACTED))
            // So a synced phone replaces its copy with the redacted one.
            .col_expr(flag::Column::UpdatedAt, Expr::value(now))
            .filter(flag::Column::Id.is_in(ids))
            .exec(db)
            .await?;
    }
    if let Some(ids) = redact(ids("flags", "end_note")) {
        flag::Entity::update_many()
            .col_expr(flag::Column::EndNote, Expr::value(Option::<String>::None))
            .col_expr(flag::Column::UpdatedAt, Expr::value(now))
            .filter(flag::Column::Id.is_in(ids))
            .exec(db)
            .await?;
    }
    if let Some(ids) = redact(ids("tasks", "detail")) {
        task::Entity::update_many()
            .col_expr(task::Column::Detail, Expr::value(REDACTED))
            // So a synced phone replaces its copy with the redacted one.
            .col_expr(task::Column::UpdatedAt, Expr::value(now))
            .filter(task::Column::Id.is_in(ids))
            .exec(db)
            .await?;
    }
    let none = || Expr::value(Option::<String>::None);
    arrangement::Entity::update_many()
        .col_expr(arrangement::Column::AgreementText, none())
        .col_expr(arrangement::Column::IncomeExpenditure, none())
        .col_expr(arrangement::Column::ReviewReason, none())
        .col_expr(arrangement::Column::CancelReason, none())
        .filter(arrangement::Column::TenancyId.eq(t.id))
        .exec(db)
        .await?;
    for (table, ids) in [
        "devices",
        "sessions",
        "sign_in_codes",
        "sign_in_starts",
        "exports",
    ]
    .map(|table| (table, ids(table, "*")))
    {
        if ids.is_empty() {
            continue;
        }
        match table {
            "devices" => {
                device::Entity::delete_many()
                    .filter(device::Column::Id.is_in(ids))
                    .exec(db)
                    .await?
            }
            "sessions" => {
                session::Entity::delete_many()
                    .filter(session::Column::Id.is_in(ids))
                    .exec(db)
                    .await?
            }
            "sign_in_codes" => {
                sign_in_code::Entity::delete_many()
                    .filter(sign_in_code::Column::Id.is_in(ids))
                    .exec(db)
                    .await?
            }
            "sign_in_starts" => {
                sign_in_start::Entity::delete_many()
                    .filter(sign_in_start::Column::Id.is_in(ids))
                    .exec(db)
                    .await?
            }
            _ => {
                export::Entity::delete_many()
                    .filter(export::Column::Id.is_in(ids))
                    .exec(db)
                    .await?
            }
        };
    }
    Ok(())
}
