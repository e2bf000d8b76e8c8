//! Which flags count, and ending, withdrawing or moving the end of one. `domain::flags` decides
//! whether a change is allowed; this module reads the flag, writes the change (with
//! `updated_at`, so the officer app's sync brings it) with its diary entry and audit entry in
//! one transaction.

use crate::audit::{self, Actor};
use crate::entities::flag;
use chrono::NaiveDate;
use rentdesk_domain::flags::{EndChange, EndReason, EndRequest, Ending, FlagState, Refused};
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
        no_automated_contact: f.no_automated_contact,
    }
}

/// The day the landlord was notified of a Breathing Space: as recorded, or the London day the
/// flag was set.
pub fn notified_on(f: &flag::Model) -> NaiveDate {
    f.notified_on
        .unwrap_or_else(|| rentdesk_domain::time::london_date(f.created_at))
}

/// The last day the landlord may ask for a review of a Breathing Space (`None`: another kind):
/// 20 days beginning with its start, however late the landlord was notified (SI 2020/1311
/// reg 17(3)).
pub fn review_by(f: &flag::Model) -> Option<NaiveDate> {
    rentdesk_domain::flags::review_by(&f.kind, f.starts_on)
}

/// What became of a request to end a flag or move its end.
pub enum FlagOutcome {
    /// Done: the flag as it now stands.
    Done(Box<flag::Model>),
    /// No such flag on this account.
    NotFound,
    Refused(Refused),
}

/// The flag `flag_id` of account `tenancy_id`, locked for the rest of `txn` (PostgreSQL;
/// SQLite's write lock is already held), so two officers changing the same flag at once are
/// decided one after the other.
async fn locked(
    txn: &sea_orm::DatabaseTransaction,
    tenancy_id: i64,
    flag_id: i64,
) -> Result<Option<flag::Model>, sea_orm::DbErr> {
    Ok(flag::Entity::find_by_id(flag_id)
        .lock_exclusive()
        .one(txn)
        .await?
        .filter(|f| f.tenancy_id == tenancy_id))
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
    now: chrono::DateTime<chrono::Utc>,
) -> Result<FlagOutcome, sea_orm::DbErr> {
    let EndFlag {
        tenancy_id,
        flag_id,
        request: ref req,
        note,
    } = e;
    let txn = crate::db::begin_write(db).await?;
    let Some(f) = locked(&txn, tenancy_id, flag_id).await? else {
        txn.commit().await?;
        return Ok(FlagOutcome::NotFound);
    };
    let ending = match rentdesk_domain::flags::end(&state(&f), req, today) {
        Ok(e) => e,
        Err(r) => {
            txn.commit().await?;
            return Ok(FlagOutcome::Refused(r));
        }
    };
    let kind = f.kind.replace('_', " ");
    let was = f.ends_on;
    let mut row: flag::ActiveModel = f.into();
    row.end_reason = Set(Some(req.reason.as_str().to_owned()));
    row.end_note = Set((!note.is_empty()).then(|| note.to_owned()));
    row.ended_by_staff_id = Set(Some(staff_id));
    row.ended_at = Set(Some(now));
    row.updated_at = Set(Some(now));
    let body = match ending {
        Ending::EndsOn(last) => {
            row.ends_on = Set(Some(last));
            if req.treatment_ended_on.is_some() {
                row.treatment_ended_on = Set(req.treatment_ended_on);
            }
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
            kind: crate::vocab::ActionKind::Flag,
            outcome: Some(req.reason.as_str()),
            body: &body,
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
    Ok(FlagOutcome::Done(Box::new(row)))
}

pub struct ChangeEnd<'a> {
    pub tenancy_id: i64,
    pub flag_id: i64,
    pub request: EndChange,
    /// The officer's note (trimmed; may be empty).
    pub note: &'a str,
}

/// Move a flag's end (later, earlier, or none) as `domain::flags::change_end` allows, with a
/// diary entry and an audit entry, in one transaction.
pub async fn change_end(
    db: &DatabaseConnection,
    staff_id: i64,
    c: ChangeEnd<'_>,
    client_addr: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<FlagOutcome, sea_orm::DbErr> {
    let ChangeEnd {
        tenancy_id,
        flag_id,
        request: ref req,
        note,
    } = c;
    let txn = crate::db::begin_write(db).await?;
    let Some(f) = locked(&txn, tenancy_id, flag_id).await? else {
        txn.commit().await?;
        return Ok(FlagOutcome::NotFound);
    };
    let last = match rentdesk_domain::flags::change_end(&state(&f), req) {
        Ok(last) => last,
        Err(r) => {
            txn.commit().await?;
            return Ok(FlagOutcome::Refused(r));
        }
    };
    let kind = f.kind.replace('_', " ");
    let was = f.ends_on;
    let mut row: flag::ActiveModel = f.into();
    row.ends_on = Set(last);
    // The treatment end is known only when given; a last day given directly replaces it.
    row.treatment_ended_on = Set(req.treatment_ended_on);
    if last.is_none() {
        // Running again with no end: it is no longer ended.
        row.end_reason = Set(None);
        row.ended_by_staff_id = Set(None);
        row.ended_at = Set(None);
    }
    row.updated_at = Set(Some(now));
    let was = was.map_or("no end".to_owned(), |w| w.to_string());
    let body = match (last, req.treatment_ended_on) {
        (Some(l), Some(t)) => {
            format!("Flag end moved: {kind}, crisis treatment ended {t}, last day {l} (was {was}).")
        }
        (Some(l), None) => format!("Flag end moved: {kind}, last day {l} (was {was})."),
        (None, _) => format!("Flag end moved: {kind}, now open-ended (was {was})."),
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
            kind: crate::vocab::ActionKind::Flag,
            outcome: Some("end_moved"),
            body: &body,
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
    audit::record(
        &txn,
        audit::Entry {
            actor: Actor::Staff(staff_id),
            action: "flag.end_moved",
            subject_kind: "tenancy",
            subject_id: Some(tenancy_id.to_string()),
            detail: Some(format!(
                "{} {} to {} (was {was})",
                row.kind,
                row.id,
                row.ends_on.map_or("no end".to_owned(), |e| e.to_string()),
            )),
            client_addr,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(FlagOutcome::Done(Box::new(row)))
}
