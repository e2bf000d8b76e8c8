//! Tenancy audit visits (issue 7), planned: the nightly run asks `domain::outreach::tenancy_audit` which
//! active tenancies are due their audit and gives the patch officer one task for each, with a
//! diary entry naming the rule and the facts. One open audit task per tenancy at most: while
//! one is open nothing more is raised, and the idempotency key (rule, tenancy, the date the
//! audit fell due) keeps a rerun from raising the same one twice.
//!
//! The last audit is the later of the date imported from the housing system (`last_audit_on`)
//! and the latest diary visit with the purpose `tenancy_audit` and an outcome that completes
//! it. Such a visit is the audit done: it closes the open audit task and moves the next due date on by the interval.

use crate::entities::{action, task, tenancy};
use chrono::{DateTime, NaiveDate, Utc};
use rentdesk_domain::outreach::tenancy_audit::{
    self, AuditFacts, COMPLETING_OUTCOMES, TENANCY_AUDIT, TENANCY_AUDIT_DUE,
};
use rentdesk_domain::tasks::DueIn;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditReport {
    /// New audit tasks on officers' lists.
    pub tasks: u64,
    /// Due, but an audit task is open already (or this due date was raised before).
    pub already_open: u64,
}

/// The London date of each tenancy's latest completed audit (among `ids`).
pub async fn last_audits<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> Result<HashMap<i64, NaiveDate>, sea_orm::DbErr> {
    let rows: Vec<(i64, DateTime<Utc>)> = action::Entity::find()
        .select_only()
        .column(action::Column::TenancyId)
        .column(action::Column::OccurredAt)
        .filter(action::Column::Purpose.eq(TENANCY_AUDIT))
        .filter(action::Column::Outcome.is_in(COMPLETING_OUTCOMES))
        .filter(action::Column::TenancyId.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    let mut last: HashMap<i64, NaiveDate> = HashMap::new();
    for (id, at) in rows {
        let day = rentdesk_domain::time::london_date(at);
        last.entry(id)
            .and_modify(|d| *d = (*d).max(day))
            .or_insert(day);
    }
    Ok(last)
}

/// One tenancy's audit dates for the officer's account view: the latest completed audit (the
/// later of the housing system's record and the diary) and when the next falls due under the
/// council's rule (`None` when audits are switched off or the tenancy is not active).
pub async fn audit_dates(
    db: &DatabaseConnection,
    tenancy: &tenancy::Model,
) -> anyhow::Result<(Option<NaiveDate>, Option<NaiveDate>)> {
    let (cfg, _) = crate::outreach_config::current(db).await?;
    let last = last_audits(db, &[tenancy.id])
        .await?
        .get(&tenancy.id)
        .copied()
        .max(tenancy.last_audit_on);
    let active = tenancy.status == "active";
    let next = (cfg.tenancy_audit.enabled && active).then(|| {
        tenancy_audit::next_audit_due(
            &AuditFacts {
                active,
                start_date: tenancy.start_date,
                last_audit: last,
            },
            &cfg.tenancy_audit,
        )
    });
    Ok((last, next))
}

/// Raise the audit tasks due on `today` for every active tenancy (the nightly run).
pub async fn plan_all(
    db: &DatabaseConnection,
    today: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<AuditReport> {
    let (cfg, _) = crate::outreach_config::current(db).await?;
    let mut report = AuditReport::default();
    if !cfg.tenancy_audit.enabled {
        return Ok(report);
    }
    let accounts: Vec<(i64, NaiveDate, Option<NaiveDate>)> = tenancy::Entity::find()
        .select_only()
        .column(tenancy::Column::Id)
        .column(tenancy::Column::StartDate)
        .column(tenancy::Column::LastAuditOn)
        .filter(tenancy::Column::Status.eq("active"))
        .order_by_asc(tenancy::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let due_in = DueIn::Configured(cfg.task_due_days);
    for chunk in accounts.chunks(1000) {
        let ids: Vec<i64> = chunk.iter().map(|(id, _, _)| *id).collect();
        let last = last_audits(db, &ids).await?;
        let open: HashSet<i64> = task::Entity::find()
            .select_only()
            .column(task::Column::TenancyId)
            .filter(task::Column::RuleId.eq(TENANCY_AUDIT_DUE))
            .filter(task::Column::Status.eq("open"))
            .filter(task::Column::TenancyId.is_in(ids.iter().copied()))
            .into_tuple::<i64>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        let txn = crate::db::begin_write(db).await?;
        for &(id, start_date, imported) in chunk {
            let facts = AuditFacts {
                active: true,
                start_date,
                // The later of the housing system's record and Rentdesk's diary.
                last_audit: last.get(&id).copied().max(imported),
            };
            let Some(t) = tenancy_audit::tenancy_audit_due(&facts, &cfg.tenancy_audit, today)
            else {
                continue;
            };
            if open.contains(&id) {
                report.already_open += 1;
                continue;
            }
            let key = format!("rule:{}:tenancy:{id}:{}:{}", t.rule, t.period, t.step);
            let exists = task::Entity::find()
                .filter(task::Column::IdempotencyKey.eq(key.as_str()))
                .one(&txn)
                .await?
                .is_some();
            if exists {
                report.already_open += 1;
                continue;
            }
            let act = crate::diary::write(
                &txn,
                crate::diary::Entry {
                    tenancy_id: id,
                    kind: crate::vocab::ActionKind::Task,
                    outcome: Some("officer_task"),
                    body: &format!("Task for the officer: {}", t.reason),
                    rule_id: Some(t.rule),
                    facts: Some(serde_json::to_string(&t.facts)?),
                    author_staff_id: None,
                    client_id: None,
                    occurred_at: None,
                    purpose: None,
                },
                now,
            )
            .await?;
            let created = crate::tasks::create(
                &txn,
                crate::tasks::NewTask {
                    tenancy_id: id,
                    kind: t.rule,
                    title: "Tenancy audit visit due".into(),
                    detail: t.reason.clone(),
                    due_on: rentdesk_domain::tasks::due_on(today, due_in),
                    rule_id: Some(t.rule),
                    idempotency_key: Some(key),
                },
                Some(act.id),
                now,
            )
            .await?;
            if created.is_some() {
                report.tasks += 1;
            } else {
                report.already_open += 1;
            }
        }
        txn.commit().await?;
    }
    Ok(report)
}

/// A visit with the purpose `tenancy_audit` was recorded (diary entry `action_id`). If its
/// outcome completes the audit, the tenancy's open audit tasks are done, each with a diary
/// line. Call inside the transaction that wrote the visit. Returns the tasks closed.
pub async fn audit_recorded<C: ConnectionTrait>(
    db: &C,
    tenancy_id: i64,
    outcome: Option<&str>,
    staff_id: i64,
    action_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<u64, sea_orm::DbErr> {
    if !outcome.is_some_and(tenancy_audit::completes_audit) {
        return Ok(0);
    }
    let open = task::Entity::find()
        .filter(task::Column::TenancyId.eq(tenancy_id))
        .filter(task::Column::RuleId.eq(TENANCY_AUDIT_DUE))
        .filter(task::Column::Status.eq("open"))
        .all(db)
        .await?;
    let mut closed = 0;
    for t in open {
        let done = task::Entity::update_many()
            .col_expr(
                task::Column::Status,
                Expr::value(crate::vocab::TaskStatus::Done),
            )
            .col_expr(task::Column::CompletedAt, Expr::value(now))
            .col_expr(task::Column::UpdatedAt, Expr::value(now))
            .filter(task::Column::Id.eq(t.id))
            .filter(task::Column::Status.eq("open"))
            .exec(db)
            .await?
            .rows_affected;
        if done == 1 {
            closed += 1;
            crate::diary::write(
                db,
                crate::diary::Entry {
                    tenancy_id,
                    kind: crate::vocab::ActionKind::TaskDone,
                    body: &format!(
                        "Task done: {} (the audit visit was recorded, diary entry {action_id})",
                        t.title
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
        }
    }
    Ok(closed)
}
