//! Contact and action history from a landlord's old system (issue 16): calls, visits, letters,
//! texts, emails and notes, each with when, which way, who and what came of it. Each row becomes
//! the diary entry Rentdesk itself would have written for it, so "last contact", the caseload's
//! no-contact filter, the court rules' "visit or contact" and the officer app read imported
//! history and Rentdesk's own alike:
//! - a call, visit, letter or note is the action an officer records (`call`, `visit`, `letter`,
//!   `note`; calls and visits with the officer app's outcomes);
//! - a text or email we sent is a `sms` / `email` diary entry with outcome `sent` (Rentdesk's own
//!   messages live in the outbox; these are history, never sent again and not in the tenant's
//!   inbox);
//! - a text or email from the tenant is a `reply`, as an inbound reply is in Rentdesk.
//!
//! Times are London wall-clock times unless they carry an offset (see [`parse_time`]).

use super::{
    AsyncChunkHandler, Errors, ImportFailure, ImportOutcome, ImportSource, RefUse, Row, SeenRefs,
    TenancyIds, for_each_chunk, parse_date, rejected, succeeded,
};
use crate::entities::{action, staff_user};
use chrono::{DateTime, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::London;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, Set,
};
use std::collections::{HashMap, HashSet};

pub const COLUMNS: &[&str] = &["external_ref", "tenancy_reference", "occurred_at", "kind"];
pub const OPTIONAL: &[&str] = &["direction", "officer", "outcome", "note"];

/// What the file may call a contact.
pub const KINDS: &[&str] = &["call", "visit", "letter", "sms", "email", "note"];
/// Call outcomes, as the officer app takes them.
pub const CALL_OUTCOMES: &[&str] = &[
    "answered",
    "no_answer",
    "voicemail",
    "wrong_number",
    "promise_to_pay",
    "arrangement_agreed",
    "refused",
];
/// Visit outcomes, as the officer app takes them.
pub const VISIT_OUTCOMES: &[&str] = &[
    "contact_made",
    "no_access",
    "card_left",
    "promise_to_pay",
    "arrangement_agreed",
    "refused",
];

#[derive(Debug, Clone, PartialEq, Eq)]
struct HistoryRow {
    line: u64,
    external_ref: String,
    tenancy_reference: String,
    occurred_at: DateTime<Utc>,
    kind: &'static str,
    inbound: bool,
    officer: Option<String>,
    outcome: Option<String>,
    note: String,
}

impl HistoryRow {
    /// The diary entry's kind and outcome (see the module docs).
    fn diary(&self) -> (&'static str, Option<String>) {
        match (self.kind, self.inbound) {
            ("sms" | "email", true) => ("reply", None),
            ("sms" | "email", false) => (self.kind, Some("sent".to_owned())),
            (kind, _) => (kind, self.outcome.clone()),
        }
    }

    fn facts(&self) -> String {
        serde_json::json!({
            "imported": self.external_ref,
            "channel": self.kind,
            "direction": if self.inbound { "in" } else { "out" },
            "officer": self.officer,
        })
        .to_string()
    }

    fn body(&self) -> String {
        if self.note.is_empty() {
            let way = if self.inbound {
                "from the tenant"
            } else {
                "to the tenant"
            };
            format!("Imported {} {way}.", self.kind)
        } else {
            self.note.clone()
        }
    }

    fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (
            &self.tenancy_reference,
            self.occurred_at,
            self.kind,
            self.inbound,
            &self.officer,
            &self.outcome,
            &self.note,
        )
            .hash(&mut h);
        h.finish()
    }

    fn same_as_stored(&self, tenancy_id: i64, a: &action::Model) -> bool {
        let (kind, outcome) = self.diary();
        a.tenancy_id == tenancy_id
            && a.occurred_at == self.occurred_at
            && a.kind == kind
            && a.outcome == outcome
            && a.body == self.body()
            && a.facts.as_deref() == Some(self.facts().as_str())
    }
}

/// When a contact happened: RFC 3339 with an offset (`2026-11-03T10:15:00Z`), or a London
/// wall-clock time `YYYY-MM-DD HH:MM[:SS]` (or `DD/MM/YYYY HH:MM`), or a date alone (taken as
/// 12:00 London, the old system having kept no time). In the hour the clocks go back an
/// ambiguous time is the first of the two; a time the clocks skip in spring is refused.
pub fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let local = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .chain(&["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M"])
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .or_else(|| {
        parse_date(s)
            .ok()
            .map(|d| d.and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap_or(NaiveTime::MIN)))
    })
    .ok_or_else(|| {
        format!(
            "{s:?} is not a time (YYYY-MM-DD HH:MM London time, RFC 3339 with an offset, or a date)"
        )
    })?;
    London
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| format!("{local} did not happen in London (the clocks went forward)"))
}

fn one_of(s: &str, allowed: &[&'static str]) -> Result<&'static str, String> {
    allowed
        .iter()
        .find(|a| **a == s)
        .copied()
        .ok_or_else(|| format!("{s:?} is not one of {}", allowed.join(", ")))
}

fn parse_row(
    row: &Row<'_>,
    errors: &mut Errors,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<HistoryRow> {
    let line = row.line;
    let before = errors.total;
    let external_ref = row.required("external_ref", errors).map(str::to_owned);
    let tenancy_reference = row.required("tenancy_reference", errors).map(str::to_owned);
    let occurred_at = row.parse_required("occurred_at", errors, |s| {
        let t = parse_time(s)?;
        if t > now + chrono::Duration::minutes(5) {
            Err(format!("{s} is in the future"))
        } else {
            Ok(t)
        }
    });
    let kind = row.parse_required("kind", errors, |s| one_of(s, KINDS));
    let inbound = row.parse("direction", errors, |s| match s {
        "in" | "inbound" => Ok(true),
        "out" | "outbound" => Ok(false),
        _ => Err(format!("{s:?} is not in or out")),
    });
    let officer = row.get("officer").map(str::to_owned);
    let outcome = row.get("outcome");
    let note = row.get("note").unwrap_or_default().to_owned();
    if note.chars().count() > 5000 {
        errors.push(line, "note", "longer than 5000 characters");
    }
    let (Ok(kind), Ok(inbound)) = (kind, inbound) else {
        return None;
    };
    let inbound = inbound.unwrap_or(false);
    match (kind, inbound) {
        ("visit", true) => errors.push(line, "direction", "a visit is ours: out"),
        ("note", true) => errors.push(line, "direction", "a note has no direction"),
        _ => {}
    }
    let outcome = match (kind, outcome) {
        ("call", Some(o)) => one_of(o, CALL_OUTCOMES)
            .map(|o| Some(o.to_owned()))
            .unwrap_or_else(|e| {
                errors.push(line, "outcome", e);
                None
            }),
        ("visit", Some(o)) => one_of(o, VISIT_OUTCOMES)
            .map(|o| Some(o.to_owned()))
            .unwrap_or_else(|e| {
                errors.push(line, "outcome", e);
                None
            }),
        ("call" | "visit", None) => {
            errors.push(line, "outcome", "required for calls and visits");
            None
        }
        (_, Some(_)) => {
            errors.push(line, "outcome", "only for calls and visits");
            None
        }
        (_, None) => None,
    };
    if errors.total > before {
        return None;
    }
    Some(HistoryRow {
        line,
        external_ref: external_ref?,
        tenancy_reference: tenancy_reference?,
        occurred_at: occurred_at.ok()?,
        kind,
        inbound,
        officer,
        outcome,
        note,
    })
}

async fn stored<C: ConnectionTrait>(
    db: &C,
    refs: Vec<String>,
) -> Result<HashMap<String, action::Model>, sea_orm::DbErr> {
    Ok(action::Entity::find()
        .filter(action::Column::ExternalRef.is_in(refs))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|a| Some((a.external_ref.clone()?, a)))
        .collect())
}

struct Validate<'a> {
    db: &'a DatabaseConnection,
    tenancies: TenancyIds,
    seen: SeenRefs,
}

impl AsyncChunkHandler<HistoryRow> for Validate<'_> {
    async fn handle(
        &mut self,
        chunk: Vec<HistoryRow>,
        errors: &mut Errors,
    ) -> Result<(), ImportFailure> {
        self.tenancies
            .resolve(self.db, chunk.iter().map(|r| &r.tenancy_reference))
            .await?;
        let existing = stored(
            self.db,
            chunk.iter().map(|r| r.external_ref.clone()).collect(),
        )
        .await?;
        for row in &chunk {
            let Some(tenancy_id) = self.tenancies.get(&row.tenancy_reference) else {
                errors.push(
                    row.line,
                    "tenancy_reference",
                    format!("unknown tenancy {:?}", row.tenancy_reference),
                );
                continue;
            };
            let fingerprint = row.fingerprint();
            if self.seen.add(
                &row.external_ref,
                row.line,
                fingerprint,
                "external_ref",
                errors,
            ) == RefUse::Clash
            {
                continue;
            }
            if let Some(a) = existing.get(&row.external_ref)
                && !row.same_as_stored(tenancy_id, a)
            {
                errors.push(
                    row.line,
                    "external_ref",
                    "duplicate reference with different content (already imported)",
                );
            }
        }
        Ok(())
    }
}

struct Write<'a, C: ConnectionTrait> {
    /// When the import runs, on the caller's clock: the time its rows are written at.
    now: chrono::DateTime<chrono::Utc>,
    db: &'a C,
    batch_id: i64,
    tenancies: TenancyIds,
    /// Staff by lower-case email, looked up once each.
    staff: HashMap<String, Option<i64>>,
    inserted: u64,
    affected: HashSet<i64>,
}

impl<C: ConnectionTrait> Write<'_, C> {
    async fn author(&mut self, officer: Option<&str>) -> Result<Option<i64>, sea_orm::DbErr> {
        let Some(email) = officer.map(|o| o.trim().to_lowercase()) else {
            return Ok(None);
        };
        if !email.contains('@') {
            return Ok(None);
        }
        if let Some(id) = self.staff.get(&email) {
            return Ok(*id);
        }
        let id: Option<i64> = staff_user::Entity::find()
            .select_only()
            .column(staff_user::Column::Id)
            .filter(staff_user::Column::Email.eq(email.clone()))
            .into_tuple()
            .one(self.db)
            .await?;
        self.staff.insert(email, id);
        Ok(id)
    }
}

impl<C: ConnectionTrait> AsyncChunkHandler<HistoryRow> for Write<'_, C> {
    async fn handle(
        &mut self,
        chunk: Vec<HistoryRow>,
        _errors: &mut Errors,
    ) -> Result<(), ImportFailure> {
        if chunk.is_empty() {
            return Ok(());
        }
        self.tenancies
            .resolve(self.db, chunk.iter().map(|r| &r.tenancy_reference))
            .await?;
        let mut done: HashSet<String> = stored(
            self.db,
            chunk.iter().map(|r| r.external_ref.clone()).collect(),
        )
        .await?
        .into_keys()
        .collect();
        let now = self.now;
        for row in chunk {
            // Validation proved every tenancy exists; a repeat is the same entry.
            let Some(tenancy_id) = self.tenancies.get(&row.tenancy_reference) else {
                continue;
            };
            if !done.insert(row.external_ref.clone()) {
                continue;
            }
            let author = self.author(row.officer.as_deref()).await?;
            let (kind, outcome) = row.diary();
            action::ActiveModel {
                tenancy_id: Set(tenancy_id),
                // Validation took the kind from `KINDS`, each a diary kind.
                kind: Set(
                    <crate::vocab::ActionKind as sea_orm::ActiveEnum>::try_from_value(
                        &kind.to_owned(),
                    )?
                    .into(),
                ),
                outcome: Set(outcome),
                body: Set(row.body()),
                author_staff_id: Set(author),
                rule_id: Set(None),
                facts: Set(Some(row.facts())),
                client_id: Set(None),
                occurred_at: Set(row.occurred_at),
                purpose: Set(None),
                created_at: Set(now),
                external_ref: Set(Some(row.external_ref.clone())),
                import_batch_id: Set(Some(self.batch_id)),
                ..Default::default()
            }
            .insert(self.db)
            .await?;
            self.inserted += 1;
            self.affected.insert(tenancy_id);
        }
        Ok(())
    }
}

pub(super) async fn import(
    db: &DatabaseConnection,
    batch_id: i64,
    source: &ImportSource,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ImportOutcome, ImportFailure> {
    let mut errors = Errors::default();
    let columns = (COLUMNS, OPTIONAL);
    let parse = |row: &Row<'_>, errors: &mut Errors| parse_row(row, errors, now);
    let validate = Validate {
        db,
        tenancies: TenancyIds::default(),
        seen: SeenRefs::default(),
    };
    let rows_total = for_each_chunk(source, columns, &mut errors, parse, validate).await?;
    if errors.total > 0 {
        return Ok(rejected(batch_id, rows_total, errors));
    }
    let txn = crate::db::begin_write(db).await?;
    let mut write = Write {
        now,
        db: &txn,
        batch_id,
        tenancies: TenancyIds::default(),
        staff: HashMap::new(),
        inserted: 0,
        affected: HashSet::new(),
    };
    for_each_chunk(source, columns, &mut errors, parse, &mut write).await?;
    let (inserted, affected) = (write.inserted, write.affected);
    succeeded(txn, batch_id, rows_total, inserted, 0, affected, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn times_are_london_wall_clock_across_the_clock_changes() {
        for (text, expected) in [
            // Winter: London is UTC.
            ("2026-01-14 09:30", "2026-01-14T09:30:00Z"),
            // Summer: BST, an hour ahead.
            ("2026-07-14 09:30", "2026-07-14T08:30:00Z"),
            ("14/07/2026 09:30", "2026-07-14T08:30:00Z"),
            // An offset is taken as written.
            ("2026-07-14T09:30:00+00:00", "2026-07-14T09:30:00Z"),
            // A date alone: noon London.
            ("2026-07-14", "2026-07-14T11:00:00Z"),
            // 25 Oct 2026, clocks go back at 02:00 BST: 01:30 happens twice; the first.
            ("2026-10-25 01:30", "2026-10-25T00:30:00Z"),
        ] {
            assert_eq!(parse_time(text), Ok(utc(expected)), "{text}");
        }
        // 29 Mar 2026, clocks go forward at 01:00: 01:30 never happened.
        assert!(
            parse_time("2026-03-29 01:30")
                .unwrap_err()
                .contains("did not happen")
        );
        assert!(parse_time("yesterday").is_err());
        assert!(parse_time("2026-02-30 10:00").is_err());
    }
}
