//! Which flags count, and ending or withdrawing one. `domain::flags` decides whether an end is
//! allowed; this module reads the flag, writes the end with its diary entry and audit entry in
//! one transaction.

use crate::audit::{self, Actor};
use crate::entities::flag;
use chrono::{NaiveDate, Utc};
use rentdesk_domain::flags::{EndReason, EndRequest, Ending, FlagState, Refused};
use sea_orm::sea_query::Condition;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QuerySelect, Set};

/// Rows of flags that were not withdrawn as entered in error (those never count).
pub fn not_withdrawn() -> Condition {
    Condition::any()
        .add(flag::Column::EndReason.is_null())
        .add(flag::Column::EndReason.ne(EndReason::EnteredInError.as_str()))
}

/// The stored flag as the domain rules see it.
pub fn state(f: &flag::Model) -> FlagState<'_> {
    FlagState {
        kind: &f.kind,
        starts_on: f.starts_on,
        ends_on: f.ends_on,
        end_reason: f.end_reason.as_deref(),
    }
}

pub enum EndOutcome {
    Ended(flag::Model),
    /// No such flag on this account.
    NotFound,
    Refused(Refused),
}

pub struct EndFlag<'a> {
    pub tenancy_id: i64,
    pub flag_id: i64,
    pub request: EndRequest,
    /// The officer's note (trimmed; may be empty).
    pub note: &'a str,
}

/// End or withdraw a flag of an account as asked, on `today`.
pub async fn end(
    db: &DatabaseConnection,
    staff_id: i64,
    e: EndFlag<'_>,
    today: NaiveDate,
    client_addr: Option<&str>,
) -> Result<EndOutcome, sea_orm::DbErr> {
    let EndFlag {
        tenancy_id,
        flag_id,
        request: ref req,
        note,
    } = e;
    let txn = crate::db::begin_write(db).await?;
    // Locked (PostgreSQL; SQLite's write lock is already held): two officers ending the same
    // flag at once are decided one after the other.
    let Some(f) = flag::Entity::find_by_id(flag_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .filter(|f| f.tenancy_id == tenancy_id)
    else {
        txn.commit().await?;
        return Ok(EndOutcome::NotFound);
    };
    let ending = match rentdesk_domain::flags::end(&state(&f), req, today) {
        Ok(e) => e,
        Err(r) => {
            txn.commit().await?;
            return Ok(EndOutcome::Refused(r));
        }
    };
    let kind = f.kind.replace('_', " ");
    let was = f.ends_on;
    let mut row: flag::ActiveModel = f.into();
    row.end_reason = Set(Some(req.reason.as_str().to_owned()));
    row.end_note = Set((!note.is_empty()).then(|| note.to_owned()));
    row.ended_by_staff_id = Set(Some(staff_id));
    row.ended_at = Set(Some(Utc::now()));
    let body = match ending {
        Ending::EndsOn(last) => {
            row.ends_on = Set(Some(last));
            format!(
                "Flag {}: {kind}, last day {last}{}.",
                req.reason.as_str(),
                was.map(|w| format!(" (was {w})")).unwrap_or_default()
            )
        }
        Ending::Withdrawn => format!("Flag withdrawn, entered in error: {kind}."),
    };
    let body = if note.is_empty() {
        body
    } else {
        format!("{body} {note}")
    };
    let row = row.update(&txn).await?;
    crate::diary::write(
        &txn,
        crate::diary::Entry {
            tenancy_id,
            kind: "flag",
            outcome: Some(req.reason.as_str()),
            body: &body,
            author_staff_id: Some(staff_id),
            ..Default::default()
        },
    )
    .await?;
    audit::record(
        &txn,
        audit::Entry {
            actor: Actor::Staff(staff_id),
            action: match ending {
                Ending::EndsOn(_) => "flag.ended",
                Ending::Withdrawn => "flag.withdrawn",
            },
            subject_kind: "tenancy",
            subject_id: Some(tenancy_id.to_string()),
            detail: Some(format!(
                "{} {} {}{}",
                row.kind,
                row.id,
                req.reason.as_str(),
                row.ends_on.map(|e| format!(" to {e}")).unwrap_or_default()
            )),
            client_addr,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(EndOutcome::Ended(row))
}
