//! Recording the escalation process: protocol steps (diary actions of kind `protocol`), stage
//! changes (the `cases` row plus a diary action), and notices with their computed dates. The
//! gates in `domain::possession::protocol` decide; this module gathers their facts and stores the result.

use crate::accounts::FullAccount;
use crate::audit::{self, Actor};
use crate::entities::{action, case, flag, uc_claim};
use chrono::NaiveDate;
use rentdesk_domain::possession::court::OrderStep;
use rentdesk_domain::possession::next_step::{CaseFacts, PlanState};
use rentdesk_domain::possession::order::{CourtOrder, Hearing};
use rentdesk_domain::possession::protocol::{
    self, GateFacts, NoticeDates, ProtocolStep, TimeLimit, grounds_label,
};
use rentdesk_domain::possession::types::Stage;
use rentdesk_domain::time::london_date;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

/// The facts the protocol gates need for this account today.
pub async fn gate_facts<C: ConnectionTrait>(
    db: &C,
    account: &FullAccount,
    case: &CaseFacts,
    today: NaiveDate,
) -> anyhow::Result<GateFacts> {
    let id = account.view.tenancy.id;
    let (recorded, time_limits) = recorded_protocol(db, id).await?;
    let breathing_space = case.breathing_space.is_some();
    let arrangement_kept = matches!(case.plan, Some(PlanState::Kept { .. }));
    // A UC claim with housing costs whose first payment is not due yet (protocol para 2.5),
    // and what it will not cover against what the tenant paid since it started (2.5(c)).
    let pending: Vec<_> = uc_claim::Entity::find()
        .filter(uc_claim::Column::TenancyId.eq(id))
        .filter(uc_claim::Column::EndedOn.is_null())
        .all(db)
        .await?
        .into_iter()
        .filter(|c| {
            c.housing_costs_claimed
                && rentdesk_domain::benefits::uc_first_payment_due(c.claim_start) >= today
        })
        .collect();
    let benefit_claim_pending = !pending.is_empty();
    // The earliest pending claim: the longest stretch the tenant must have paid for.
    let benefit_shortfall = pending.iter().min_by_key(|c| c.claim_start).map(|c| {
        protocol::benefit_shortfall(
            c.claim_start,
            c.monthly_housing_pence.map(rentdesk_domain::Pence),
            &account.entries,
            today,
        )
    });
    // Every stage recorded, oldest first, for the order of the court steps.
    let stages = action::Entity::find()
        .filter(action::Column::TenancyId.eq(id))
        .filter(action::Column::Kind.is_in([
            crate::vocab::ActionKind::Stage,
            crate::vocab::ActionKind::Notice,
        ]))
        .order_by_asc(action::Column::OccurredAt)
        .order_by_asc(action::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|a| a.outcome?.parse::<Stage>().ok())
        .collect();
    // Every Breathing Space there has been (one entered in error never was), with its end.
    let breathing_spaces = flag::Entity::find()
        .filter(flag::Column::TenancyId.eq(id))
        .filter(flag::Column::Kind.starts_with("breathing_space"))
        .filter(crate::flags::not_withdrawn())
        .all(db)
        .await?
        .into_iter()
        .map(|f| (f.starts_on, f.ends_on))
        .collect();
    Ok(GateFacts {
        stages,
        order: case.court.order.clone(),
        order_breached: case.court.terms_breached(),
        warrant_permission_on: None,
        breathing_spaces,
        recorded,
        breathing_space,
        arrangement_kept,
        benefit_claim_pending,
        benefit_shortfall,
        time_limits,
        plan_broken_on: case.plan_broken_on,
        tenancy_start: Some(account.view.tenancy.start_date),
        notice: current_notice(db, id).await?,
    })
}

/// The time limit kept with a protocol step (the diary action's facts).
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct ProtocolStepFacts {
    pub time_limit_ends_on: NaiveDate,
}

/// Every protocol step recorded on the tenancy (diary actions of kind `protocol`, the step in
/// `outcome`) with its London date, and those kept with a time limit.
pub async fn recorded_protocol<C: ConnectionTrait>(
    db: &C,
    tenancy_id: i64,
) -> Result<(Vec<(ProtocolStep, NaiveDate)>, Vec<TimeLimit>), sea_orm::DbErr> {
    let mut recorded = vec![];
    let mut limits = vec![];
    for a in action::Entity::find()
        .filter(action::Column::TenancyId.eq(tenancy_id))
        .filter(action::Column::Kind.eq(crate::vocab::ActionKind::Protocol))
        .all(db)
        .await?
    {
        let Some(step) = a.outcome.as_deref().and_then(ProtocolStep::parse) else {
            continue;
        };
        let on = london_date(a.occurred_at);
        recorded.push((step, on));
        if let Some(f) = a
            .facts
            .as_deref()
            .and_then(|f| serde_json::from_str::<ProtocolStepFacts>(f).ok())
        {
            limits.push(TimeLimit {
                step,
                given_on: on,
                ends_on: f.time_limit_ends_on,
            });
        }
    }
    Ok((recorded, limits))
}

/// The latest notice served on the tenancy, with its dates.
pub async fn current_notice<C: ConnectionTrait>(
    db: &C,
    tenancy_id: i64,
) -> anyhow::Result<Option<NoticeDates>> {
    let latest = action::Entity::find()
        .filter(action::Column::TenancyId.eq(tenancy_id))
        .filter(action::Column::Kind.eq(crate::vocab::ActionKind::Notice))
        .order_by_desc(action::Column::OccurredAt)
        .one(db)
        .await?;
    Ok(latest
        .and_then(|a| a.facts)
        .and_then(|f| serde_json::from_str(&f).ok()))
}

/// The day of the latest court application (the claim's issue) recorded on the tenancy.
pub async fn court_application_on<C: ConnectionTrait>(
    db: &C,
    tenancy_id: i64,
) -> Result<Option<NaiveDate>, sea_orm::DbErr> {
    Ok(action::Entity::find()
        .filter(action::Column::TenancyId.eq(tenancy_id))
        .filter(action::Column::Kind.eq(crate::vocab::ActionKind::Stage))
        .filter(action::Column::Outcome.eq(Stage::CourtApplication.as_str()))
        .order_by_desc(action::Column::OccurredAt)
        .order_by_desc(action::Column::Id)
        .one(db)
        .await?
        .map(|a| london_date(a.occurred_at)))
}

/// Keep a step's letter with its diary action, and say in the diary that it was sent.
async fn keep_letter<C: ConnectionTrait>(
    txn: &C,
    tenancy_id: i64,
    letter: crate::letters::Rendered,
    action_id: i64,
    staff_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<crate::entities::letter::Model, sea_orm::DbErr> {
    let title = letter.title.clone();
    let what = letter.stage.as_str();
    let kept = crate::letters::store(txn, tenancy_id, letter, action_id, staff_id, now).await?;
    crate::diary::write(
        txn,
        crate::diary::Entry {
            tenancy_id,
            kind: crate::vocab::ActionKind::Letter,
            outcome: Some(what),
            body: &format!("Letter sent: {title} (letter {}, PDF kept).", kept.id),
            author_staff_id: Some(staff_id),
            rule_id: None,
            facts: None,
            client_id: None,
            occurred_at: None,
            purpose: None,
        },
        now,
    )
    .await?;
    Ok(kept)
}

/// A protocol step as the officer gave it.
pub struct ProtocolStepEntry<'a> {
    pub step: ProtocolStep,
    /// The last day of the time limit its letter gave (para 2.9's warning, Part 3's letter).
    pub time_limit_ends_on: Option<NaiveDate>,
    pub note: &'a str,
    /// The step's letter (para 2.9's warning, Part 3's letter), kept with the diary entry.
    pub letter: Option<crate::letters::Rendered>,
}

/// Record a protocol step: a diary action of kind `protocol` (the step in `outcome`, its time
/// limit in `facts`), its letter if it is one, and the audit entry, together. The action and
/// the letter's id.
pub async fn record_protocol_step<C: crate::db::Connection>(
    db: &C,
    staff_id: i64,
    tenancy_id: i64,
    entry: ProtocolStepEntry<'_>,
    client_addr: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<(action::Model, Option<i64>)> {
    let ProtocolStepEntry {
        step,
        time_limit_ends_on,
        note,
        letter,
    } = entry;
    let txn = crate::db::begin_write(db).await?;
    let limit = time_limit_ends_on
        .map(|d| format!(" Time limit given: until {d}."))
        .unwrap_or_default();
    let row = crate::diary::write(
        &txn,
        crate::diary::Entry {
            tenancy_id,
            kind: crate::vocab::ActionKind::Protocol,
            outcome: Some(step.as_str()),
            body: format!("Pre-action protocol: {}.{limit} {note}", step.describe()).trim(),
            author_staff_id: Some(staff_id),
            facts: time_limit_ends_on
                .map(|d| {
                    serde_json::to_string(&ProtocolStepFacts {
                        time_limit_ends_on: d,
                    })
                })
                .transpose()?,
            rule_id: None,
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
            action: "protocol_step.recorded",
            subject_kind: "tenancy",
            subject_id: Some(tenancy_id.to_string()),
            detail: Some(step.as_str().into()),
            client_addr,
        },
    )
    .await?;
    let letter_id = match letter {
        Some(l) => Some(
            keep_letter(&txn, tenancy_id, l, row.id, staff_id, now)
                .await?
                .id,
        ),
        None => None,
    };
    txn.commit().await?;
    Ok((row, letter_id))
}

/// What is kept with a written notice of the intention to apply to fix a date (the diary
/// action's facts): when it was sent, how, and when it counts as given (deemed served).
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct FixDateNotice {
    pub sent_on: NaiveDate,
    pub service_method: rentdesk_domain::possession::protocol::ServiceMethod,
    pub given_on: NaiveDate,
}

/// A step after a postponed order, as the officer gave it.
pub struct OrderStepEntry<'a> {
    pub step: OrderStep,
    /// The written notice's dates (the notice step only).
    pub notice: Option<FixDateNotice>,
    pub note: &'a str,
}

/// Record a step after a postponed order (PD 55A para 10): the written notice (with its
/// dates) or the application to fix a date; a diary action of kind `order_step` and the audit
/// entry, together.
pub async fn record_order_step<C: crate::db::Connection>(
    db: &C,
    staff_id: i64,
    tenancy_id: i64,
    s: OrderStepEntry<'_>,
    client_addr: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<action::Model> {
    let OrderStepEntry { step, notice, note } = s;
    let txn = crate::db::begin_write(db).await?;
    let when = notice
        .map(|n| format!(" Sent {}, given {}.", n.sent_on, n.given_on))
        .unwrap_or_default();
    let row = crate::diary::write(
        &txn,
        crate::diary::Entry {
            tenancy_id,
            kind: crate::vocab::ActionKind::OrderStep,
            outcome: Some(step.as_str()),
            body: format!("Postponed order: {}.{when} {note}", step.describe()).trim(),
            author_staff_id: Some(staff_id),
            facts: notice.map(|n| serde_json::to_string(&n)).transpose()?,
            rule_id: None,
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
            action: "order_step.recorded",
            subject_kind: "tenancy",
            subject_id: Some(tenancy_id.to_string()),
            detail: Some(step.as_str().into()),
            client_addr,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// The latest of each order step recorded up to `today`.
#[derive(Debug, Default)]
pub struct RecordedOrderSteps {
    /// The latest written notice of intention to apply to fix a date: the day it was given
    /// (deemed served).
    pub fix_date_notice_on: Option<NaiveDate>,
    /// The latest application to fix a date: the day it was recorded.
    pub fix_date_applied_on: Option<NaiveDate>,
    /// The latest record that the court was told of a Breathing Space (SI 2020/1311 reg 10).
    pub told_of_breathing_space_on: Option<NaiveDate>,
}

/// The order steps recorded on the account up to `today` ([`RecordedOrderSteps`]).
pub async fn recorded_order_steps<C: ConnectionTrait>(
    db: &C,
    tenancy_id: i64,
    today: NaiveDate,
) -> Result<RecordedOrderSteps, sea_orm::DbErr> {
    let rows = action::Entity::find()
        .filter(action::Column::TenancyId.eq(tenancy_id))
        .filter(action::Column::Kind.eq(crate::vocab::ActionKind::OrderStep))
        .all(db)
        .await?;
    let mut notice = None;
    let mut applied = None;
    let mut told = None;
    for a in rows
        .into_iter()
        .filter(|a| london_date(a.occurred_at) <= today)
    {
        match a.outcome.as_deref().and_then(OrderStep::parse) {
            Some(OrderStep::FixDateNotice) => {
                let given = a
                    .facts
                    .as_deref()
                    .and_then(|f| serde_json::from_str::<FixDateNotice>(f).ok())
                    .map_or_else(|| london_date(a.occurred_at), |n| n.given_on);
                // A posted notice counts from its deemed service, which may be after today.
                notice = notice.max(Some(given));
            }
            Some(OrderStep::FixDateApplication) => {
                applied = applied.max(Some(london_date(a.occurred_at)));
            }
            Some(OrderStep::CourtToldOfBreathingSpace) => {
                told = told.max(Some(london_date(a.occurred_at)));
            }
            None => {}
        }
    }
    Ok(RecordedOrderSteps {
        fix_date_notice_on: notice,
        fix_date_applied_on: applied,
        told_of_breathing_space_on: told,
    })
}

pub struct StageChange<'a> {
    pub stage: Stage,
    pub note: &'a str,
    /// Why the officer went ahead despite a kept arrangement or a pending claim.
    pub override_reason: Option<&'a str>,
    /// For a notice: its dates (stored with the diary entry).
    pub notice: Option<NoticeDates>,
    /// For a hearing: its date and time if known (stored with the diary entry).
    pub hearing: Option<Hearing>,
    /// For an order: its type, date for possession and terms (stored with the diary entry).
    pub order: Option<CourtOrder>,
    /// The stage's letter (`crate::letters::render`), kept with the diary entry.
    pub letter: Option<crate::letters::Rendered>,
    /// Plain-words warnings about the step (e.g. an unusual hearing date), kept in the diary.
    pub warnings: &'a [String],
}

/// Move the case to a stage: the `cases` row, a diary action (kind `notice` for a notice, with
/// its dates; `stage` otherwise) and the audit entry, together.
pub async fn record_stage<C: crate::db::Connection>(
    db: &C,
    staff_id: i64,
    tenancy_id: i64,
    change: StageChange<'_>,
    today: NaiveDate,
    client_addr: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<action::Model, sea_orm::DbErr> {
    let txn = crate::db::begin_write(db).await?;
    match case::Entity::find()
        .filter(case::Column::TenancyId.eq(tenancy_id))
        .one(&txn)
        .await?
    {
        Some(c) => {
            let mut c: case::ActiveModel = c.into();
            c.stage = Set(change.stage.as_str().into());
            c.stage_since = Set(today);
            c.owner_id = Set(Some(staff_id));
            c.updated_at = Set(now);
            c.update(&txn).await?;
        }
        None => {
            case::ActiveModel {
                tenancy_id: Set(tenancy_id),
                stage: Set(change.stage.as_str().into()),
                priority: Set(0),
                reasons: Set(String::new()),
                owner_id: Set(Some(staff_id)),
                stage_since: Set(today),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    let mut body = format!("Stage: {}.", change.stage.as_str().replace('_', " "));
    if let Some(n) = &change.notice {
        let grounds = n.grounds_given();
        body = format!(
            "Notice served {} ({:?}){}; proceedings from {}; valid until {}.",
            n.served_on,
            n.kind,
            if grounds.is_empty() {
                String::new()
            } else {
                format!(" on {}", grounds_label(&grounds))
            },
            n.earliest_proceedings,
            n.expires
        );
    }
    if let Some(h) = &change.hearing {
        body = match h.time {
            Some(t) => format!(
                "Stage: hearing on {} at {}.",
                h.hearing_on,
                t.format("%H:%M")
            ),
            None => format!("Stage: hearing on {}.", h.hearing_on),
        };
    }
    if let Some(o) = &change.order {
        body = format!("Stage: order ({}).", o.kind.as_str());
        if !o.grounds.is_empty() {
            body = format!(
                "Stage: order ({}) on {}.",
                o.kind.as_str(),
                grounds_label(&o.grounds)
            );
        }
        if let Some(d) = o.ordered_on {
            body.push_str(&format!(" Made {d}."));
        }
        if let Some(d) = o.possession_date {
            body.push_str(&format!(" Possession date {d}."));
        }
        if let Some(t) = &o.terms {
            body.push_str(&format!(
                " Terms: the current rent plus {} {} towards the arrears from {}.",
                t.towards_arrears,
                t.frequency.as_str().replace('_', "-"),
                t.from
            ));
        }
    }
    for w in change.warnings {
        body.push_str(&format!(" Warning: {w}"));
    }
    if let Some(r) = change.override_reason {
        body.push_str(&format!(
            " Went ahead despite the protocol's postponement: {r}."
        ));
    }
    if !change.note.is_empty() {
        body.push(' ');
        body.push_str(change.note);
    }
    let row = crate::diary::write(
        &txn,
        crate::diary::Entry {
            tenancy_id,
            kind: if change.notice.is_some() {
                crate::vocab::ActionKind::Notice
            } else {
                crate::vocab::ActionKind::Stage
            },
            outcome: Some(change.stage.as_str()),
            body: &body,
            author_staff_id: Some(staff_id),
            facts: match (&change.notice, &change.hearing, &change.order) {
                (Some(n), _, _) => serde_json::to_string(n).ok(),
                (_, Some(h), _) => serde_json::to_string(h).ok(),
                (_, _, Some(o)) => serde_json::to_string(o).ok(),
                _ => None,
            },
            rule_id: None,
            client_id: None,
            occurred_at: None,
            purpose: None,
        },
        now,
    )
    .await?;
    if let Some(letter) = change.letter {
        keep_letter(&txn, tenancy_id, letter, row.id, staff_id, now).await?;
    }
    audit::record(
        &txn,
        audit::Entry {
            actor: Actor::Staff(staff_id),
            action: "stage.recorded",
            subject_kind: "tenancy",
            subject_id: Some(tenancy_id.to_string()),
            detail: Some(change.stage.as_str().into()),
            client_addr,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}
