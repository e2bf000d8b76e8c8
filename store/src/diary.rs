//! The account's action diary: one way to write an entry, whoever writes it (an officer, a
//! rule, the tenant through the app, Twilio's webhook).

use crate::entities::action;
use crate::vocab::ActionKind;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub tenancy_id: i64,
    pub kind: ActionKind,
    pub outcome: Option<&'a str>,
    pub body: &'a str,
    pub author_staff_id: Option<i64>,
    pub rule_id: Option<&'a str>,
    /// JSON facts (rule inputs, a visit's location, a notice's dates).
    pub facts: Option<String>,
    /// The phone's own id for an offline-queued action.
    pub client_id: Option<&'a str>,
    /// When it happened; `None` = now.
    pub occurred_at: Option<DateTime<Utc>>,
    /// Why a visit was made, when a rule depends on it (`tenancy_audit`).
    pub purpose: Option<&'a str>,
}

pub async fn write<C: ConnectionTrait>(
    db: &C,
    e: Entry<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<action::Model, sea_orm::DbErr> {
    action::ActiveModel {
        tenancy_id: Set(e.tenancy_id),
        kind: Set(e.kind.into()),
        outcome: Set(e.outcome.map(str::to_owned)),
        body: Set(e.body.to_owned()),
        author_staff_id: Set(e.author_staff_id),
        rule_id: Set(e.rule_id.map(str::to_owned)),
        facts: Set(e.facts),
        client_id: Set(e.client_id.map(str::to_owned)),
        occurred_at: Set(e.occurred_at.unwrap_or(now)),
        purpose: Set(e.purpose.map(str::to_owned)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// A plain diary line by the software or the tenant (no author, no outcome).
pub async fn note<C: ConnectionTrait>(
    db: &C,
    tenancy_id: i64,
    kind: ActionKind,
    body: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sea_orm::DbErr> {
    write(
        db,
        Entry {
            tenancy_id,
            kind,
            body,
            outcome: None,
            author_staff_id: None,
            rule_id: None,
            facts: None,
            client_id: None,
            occurred_at: None,
            purpose: None,
        },
        now,
    )
    .await
    .map(|_| ())
}
