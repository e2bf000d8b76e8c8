//! What Twilio tells us after a send: delivery status callbacks, and replies from tenants
//! (STOP/START/HELP keywords and free text). Every inbound message is stored once per
//! Twilio MessageSid, so Twilio's retries change nothing.

use crate::audit::{self, Actor};
use crate::entities::{message, tenant};
use crate::tasks::{self, NewTask};
use rentdesk_domain::contact::MobileNumber;
use rentdesk_domain::tasks::DueIn;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

/// Twilio error codes that mean the number cannot receive texts from us (unreachable, unknown,
/// landline, not a mobile, invalid).
const NUMBER_DEAD: &[&str] = &["30003", "30005", "30006", "21211", "21614"];

fn rank(status: &str) -> u8 {
    match status {
        "queued" => 0,
        "sending" | "unknown" => 1,
        "sent" => 2,
        "delivered" | "failed" => 3,
        _ => 0,
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum StatusOutcome {
    Updated,
    /// Older news than what we hold (callbacks can arrive out of order).
    Stale,
    UnknownMessage,
    /// A status we don't track (queued, accepted, sending…).
    Ignored,
}

/// Apply a status callback for the message Twilio knows as `sid`.
pub async fn apply_status(
    db: &DatabaseConnection,
    sid: &str,
    twilio_status: &str,
    error_code: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<StatusOutcome, sea_orm::DbErr> {
    let ours = match twilio_status {
        "sent" => "sent",
        "delivered" | "read" => "delivered",
        "undelivered" | "failed" => "failed",
        _ => return Ok(StatusOutcome::Ignored),
    };
    let Some(m) = message::Entity::find()
        .filter(message::Column::ProviderId.eq(sid))
        .one(db)
        .await?
    else {
        return Ok(StatusOutcome::UnknownMessage);
    };
    if rank(ours) <= rank(&m.status) && !(ours == "failed" && m.status == "sent") {
        return Ok(StatusOutcome::Stale);
    }
    let txn = crate::db::begin_write(db).await?;
    let error = error_code.map(|c| format!("twilio error {c}"));
    let updated = message::Entity::update_many()
        .col_expr(message::Column::Status, Expr::value(ours))
        .col_expr(message::Column::Error, Expr::value(error))
        .col_expr(message::Column::UpdatedAt, Expr::value(now))
        .filter(message::Column::Id.eq(m.id))
        .filter(message::Column::Status.eq(m.status.as_str()))
        .exec(&txn)
        .await?
        .rows_affected;
    if updated == 1
        && ours == "failed"
        && error_code.is_some_and(|c| NUMBER_DEAD.contains(&c))
        && let Some(tenant_id) = m.tenant_id
    {
        tenant::Entity::update_many()
            .col_expr(tenant::Column::MobileInvalid, Expr::value(true))
            .filter(tenant::Column::Id.eq(tenant_id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(if updated == 1 {
        StatusOutcome::Updated
    } else {
        StatusOutcome::Stale
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    Stop,
    Start,
    Help,
}

/// Twilio's standard opt-out, opt-in and help keywords (the whole message, any case).
pub fn keyword(body: &str) -> Option<Keyword> {
    match body
        .trim()
        .trim_end_matches(['.', '!'])
        .to_uppercase()
        .as_str()
    {
        "STOP" | "STOPALL" | "UNSUBSCRIBE" | "CANCEL" | "END" | "QUIT" | "OPTOUT" => {
            Some(Keyword::Stop)
        }
        "START" | "YES" | "UNSTOP" | "OPTIN" => Some(Keyword::Start),
        "HELP" | "INFO" => Some(Keyword::Help),
        _ => None,
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct InboundOutcome {
    pub keyword: Option<Keyword>,
    /// Tenancies the number belongs to.
    pub tenancies: usize,
    /// False when this MessageSid was handled before.
    pub new: bool,
}

/// A text from a tenant: recorded against every tenancy the number is on. STOP/START switch
/// SMS off/on for the people with that number; anything else becomes a diary action and a
/// task for the patch officer.
pub async fn inbound(
    db: &DatabaseConnection,
    from: &str,
    body: &str,
    sid: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<InboundOutcome, sea_orm::DbErr> {
    let number = MobileNumber::parse(from)
        .map(|m| m.to_string())
        .unwrap_or_else(|_| from.to_owned());
    let kw = keyword(body);
    let people = tenant::Entity::find()
        .filter(tenant::Column::Mobile.eq(number.as_str()))
        .all(db)
        .await?;
    if people.is_empty() {
        audit::record(
            db,
            audit::Entry {
                actor: Actor::Anonymous,
                action: "sms.inbound_unknown_number",
                subject_kind: "sms",
                subject_id: Some(sid.to_owned()),
                detail: None,
                client_addr: None,
            },
        )
        .await?;
        return Ok(InboundOutcome {
            keyword: kw,
            tenancies: 0,
            new: false,
        });
    }
    let txn = crate::db::begin_write(db).await?;
    let mut new = false;
    for person in &people {
        let inserted = message::Entity::insert(message::ActiveModel {
            idempotency_key: Set(format!("inbound:{sid}:{}", person.id)),
            tenancy_id: Set(person.tenancy_id),
            tenant_id: Set(Some(person.id)),
            channel: Set("sms".into()),
            template: Set("inbound".into()),
            rule_id: Set(None),
            campaign_id: Set(None),
            body: Set(body.to_owned()),
            status: Set("received".into()),
            provider_id: Set(Some(sid.to_owned())),
            sent_at: Set(Some(now)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::column(message::Column::IdempotencyKey)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        if inserted == 0 {
            continue;
        }
        new = true;
        match kw {
            Some(k @ (Keyword::Stop | Keyword::Start)) => {
                let on = k == Keyword::Start;
                tenant::Entity::update_many()
                    .col_expr(tenant::Column::SmsEnabled, Expr::value(on))
                    .filter(tenant::Column::Id.eq(person.id))
                    .exec(&txn)
                    .await?;
                let what = if on {
                    "Tenant texted START: texts switched back on."
                } else {
                    "Tenant texted STOP: no more texts will be sent."
                };
                crate::diary::note(
                    &txn,
                    person.tenancy_id,
                    if on {
                        crate::vocab::ActionKind::OptIn
                    } else {
                        crate::vocab::ActionKind::OptOut
                    },
                    what,
                    now,
                )
                .await?;
                audit::record(
                    &txn,
                    audit::Entry {
                        actor: Actor::Tenant(person.id),
                        action: if on { "sms.opted_in" } else { "sms.opted_out" },
                        subject_kind: "tenant",
                        subject_id: Some(person.id.to_string()),
                        detail: Some(format!("by text {sid}")),
                        client_addr: None,
                    },
                )
                .await?;
            }
            Some(Keyword::Help) => {
                crate::diary::note(
                    &txn,
                    person.tenancy_id,
                    crate::vocab::ActionKind::SmsHelp,
                    "Tenant texted HELP.",
                    now,
                )
                .await?;
            }
            None => {
                tasks::raise(
                    &txn,
                    crate::vocab::ActionKind::Reply,
                    &format!("Text from the tenant: {body}"),
                    NewTask {
                        tenancy_id: person.tenancy_id,
                        kind: "reply",
                        title: "The tenant replied to a text".into(),
                        detail: body.chars().take(500).collect(),
                        due_on: rentdesk_domain::tasks::due_on(
                            rentdesk_domain::time::london_date(now),
                            DueIn::SmsReply,
                        ),
                        rule_id: Some(rentdesk_domain::tasks::SMS_REPLY_FOLLOW_UP),
                        idempotency_key: Some(format!("reply:{sid}:{}", person.id)),
                    },
                    now,
                )
                .await?;
            }
        }
    }
    txn.commit().await?;
    Ok(InboundOutcome {
        keyword: kw,
        tenancies: people.len(),
        new,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_the_whole_message_in_any_case() {
        assert_eq!(keyword(" stop "), Some(Keyword::Stop));
        assert_eq!(keyword("Unsubscribe."), Some(Keyword::Stop));
        assert_eq!(keyword("start"), Some(Keyword::Start));
        assert_eq!(keyword("HELP!"), Some(Keyword::Help));
        assert_eq!(keyword("please stop calling"), None);
        assert_eq!(keyword("I can pay on Friday"), None);
    }

    #[test]
    fn statuses_only_move_forward() {
        assert!(rank("delivered") > rank("sent"));
        assert!(rank("sent") > rank("sending"));
        assert_eq!(rank("failed"), rank("delivered"));
    }
}
