//! The append-only audit log: who did what to whom, when and from where. Nothing updates or
//! deletes these rows.

use crate::entities::audit_entry;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

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
