//! Flags from a landlord's old system (issue 16): vulnerability, safeguarding and Breathing
//! Space, each with its dates, optionally stopping all automated contact. An imported flag is
//! the same row a flag set in the officer app is (with the source's `external_ref` and the
//! batch), so the caseload, early intervention, the protocol gates and the officer app treat
//! both alike, and it goes in the account's diary as imported.
//!
//! The rules are the officer app's (`POST /officer/v1/accounts/{id}/flags` and `…/end`): a
//! standard Breathing Space lasts at most 60 days and must give its last day; `notified_on`
//! is for a Breathing Space only and not in the future; `treatment_ended_on` only for a mental
//! health crisis one (the last day is then 30 days later, docs/breathing-space.md#how-long-a-breathing-space-lasts); an ended flag gives
//! why (`ended`, `cancelled`, `entered_in_error`).

use super::{
    AsyncChunkHandler, Errors, ImportFailure, ImportOutcome, ImportSource, RefUse, Row, SeenRefs,
    TenancyIds, for_each_chunk, parse_bool, parse_date, rejected, succeeded,
};
use crate::entities::flag;
use chrono::NaiveDate;
use rentdesk_domain::flags::{self, EndReason, MENTAL_HEALTH_EXTRA_DAYS};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use std::collections::{HashMap, HashSet};

pub const COLUMNS: &[&str] = &["external_ref", "tenancy_reference", "kind", "starts_on"];
pub const OPTIONAL: &[&str] = &[
    "ends_on",
    "no_automated_contact",
    "notified_on",
    "treatment_ended_on",
    "end_reason",
    "note",
];

/// One flag as the file gives it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FlagRow {
    line: u64,
    external_ref: String,
    tenancy_reference: String,
    kind: String,
    starts_on: NaiveDate,
    ends_on: Option<NaiveDate>,
    no_automated_contact: bool,
    notified_on: Option<NaiveDate>,
    treatment_ended_on: Option<NaiveDate>,
    end_reason: Option<EndReason>,
    note: String,
}

impl FlagRow {
    /// What must match for a re-imported reference to be the same flag.
    fn content(&self) -> impl PartialEq + std::hash::Hash + '_ {
        (
            &self.tenancy_reference,
            &self.kind,
            self.starts_on,
            self.ends_on,
            self.no_automated_contact,
            self.notified_on,
            self.treatment_ended_on,
            self.end_reason.map(EndReason::as_str),
            &self.note,
        )
    }

    fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.content().hash(&mut h);
        h.finish()
    }

    fn same_as_stored(&self, tenancy_id: i64, f: &flag::Model) -> bool {
        f.tenancy_id == tenancy_id
            && f.kind == self.kind
            && f.starts_on == self.starts_on
            && f.ends_on == self.ends_on
            && f.no_automated_contact == self.no_automated_contact
            && f.notified_on == self.notified_on
            && f.treatment_ended_on == self.treatment_ended_on
            && f.end_reason.as_deref() == self.end_reason.map(EndReason::as_str)
            && f.detail == self.note
    }
}

fn parse_row(row: &Row<'_>, errors: &mut Errors, today: NaiveDate) -> Option<FlagRow> {
    let line = row.line;
    let external_ref = row.required("external_ref", errors).map(str::to_owned);
    let tenancy_reference = row.required("tenancy_reference", errors).map(str::to_owned);
    let kind = row.parse_required("kind", errors, |s| {
        flags::KINDS
            .iter()
            .find(|k| **k == s)
            .map(|k| (*k).to_owned())
            .ok_or_else(|| format!("{s:?} is not one of {}", flags::KINDS.join(", ")))
    });
    let starts_on = row.parse_required("starts_on", errors, parse_date);
    let ends_on = row.parse("ends_on", errors, parse_date);
    let no_automated_contact = row.parse("no_automated_contact", errors, parse_bool);
    let not_future = |s: &str| {
        let d = parse_date(s)?;
        if d > today {
            Err(format!("{d} is in the future"))
        } else {
            Ok(d)
        }
    };
    let notified_on = row.parse("notified_on", errors, not_future);
    let treatment_ended_on = row.parse("treatment_ended_on", errors, not_future);
    let end_reason = row.parse("end_reason", errors, |s| {
        EndReason::parse(s).ok_or_else(|| {
            let all: Vec<&str> = EndReason::ALL.iter().map(|r| r.as_str()).collect();
            format!("{s:?} is not one of {}", all.join(", "))
        })
    });
    let note = row.get("note").unwrap_or_default().to_owned();
    if note.chars().count() > 2000 {
        errors.push(line, "note", "longer than 2000 characters");
    }
    let (Ok(kind), Ok(starts_on), Ok(mut ends_on)) = (kind, starts_on, ends_on) else {
        return None;
    };
    let (Ok(notified_on), Ok(treatment_ended_on), Ok(end_reason)) =
        (notified_on, treatment_ended_on, end_reason)
    else {
        return None;
    };
    let breathing_space = kind.starts_with("breathing_space");
    let before = errors.total;
    if notified_on.is_some() && !breathing_space {
        errors.push(line, "notified_on", "only for a Breathing Space");
    }
    if let Some(t) = treatment_ended_on {
        if kind != "breathing_space_mental_health" {
            errors.push(
                line,
                "treatment_ended_on",
                "only for a mental health crisis Breathing Space",
            );
        } else if t < starts_on {
            errors.push(line, "treatment_ended_on", "is before starts_on");
        } else {
            let last = t + chrono::Duration::days(MENTAL_HEALTH_EXTRA_DAYS);
            match ends_on {
                Some(e) if e != last => errors.push(
                    line,
                    "ends_on",
                    format!("a crisis Breathing Space ends 30 days after treatment: {last}"),
                ),
                _ => ends_on = Some(last),
            }
        }
    }
    match ends_on {
        Some(end) if end < starts_on => errors.push(line, "ends_on", "is before starts_on"),
        Some(end)
            if kind == "breathing_space_standard"
                && end > flags::standard_latest_end(starts_on) =>
        {
            errors.push(
                line,
                "ends_on",
                "a standard Breathing Space lasts at most 60 days",
            )
        }
        None if kind == "breathing_space_standard" => errors.push(
            line,
            "ends_on",
            "required: a standard Breathing Space lasts up to 60 days",
        ),
        _ => {}
    }
    match end_reason {
        // Withdrawn flags count on no day: the dates stay as the source had them.
        Some(EndReason::EnteredInError) | None => {}
        Some(r) if ends_on.is_none() => errors.push(
            line,
            "ends_on",
            format!("required when end_reason is {}", r.as_str()),
        ),
        Some(_) => {}
    }
    if errors.total > before {
        return None;
    }
    Some(FlagRow {
        line,
        external_ref: external_ref?,
        tenancy_reference: tenancy_reference?,
        kind,
        starts_on,
        ends_on,
        no_automated_contact: no_automated_contact.ok().flatten().unwrap_or(false),
        notified_on,
        treatment_ended_on,
        end_reason,
        note,
    })
}

async fn stored<C: ConnectionTrait>(
    db: &C,
    refs: Vec<String>,
) -> Result<HashMap<String, flag::Model>, sea_orm::DbErr> {
    Ok(flag::Entity::find()
        .filter(flag::Column::ExternalRef.is_in(refs))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|f| Some((f.external_ref.clone()?, f)))
        .collect())
}

struct Validate<'a> {
    db: &'a DatabaseConnection,
    tenancies: TenancyIds,
    seen: SeenRefs,
}

impl AsyncChunkHandler<FlagRow> for Validate<'_> {
    async fn handle(
        &mut self,
        chunk: Vec<FlagRow>,
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
            if let Some(f) = existing.get(&row.external_ref)
                && !row.same_as_stored(tenancy_id, f)
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
    inserted: u64,
    affected: HashSet<i64>,
}

impl<C: ConnectionTrait> AsyncChunkHandler<FlagRow> for Write<'_, C> {
    async fn handle(
        &mut self,
        chunk: Vec<FlagRow>,
        _errors: &mut Errors,
    ) -> Result<(), ImportFailure> {
        if chunk.is_empty() {
            return Ok(());
        }
        self.tenancies
            .resolve(self.db, chunk.iter().map(|r| &r.tenancy_reference))
            .await?;
        let mut existing: HashSet<String> = stored(
            self.db,
            chunk.iter().map(|r| r.external_ref.clone()).collect(),
        )
        .await?
        .into_keys()
        .collect();
        let now = self.now;
        for row in chunk {
            // Validation proved every tenancy exists; a repeat of a stored or earlier row is
            // the same flag.
            let Some(tenancy_id) = self.tenancies.get(&row.tenancy_reference) else {
                continue;
            };
            if !existing.insert(row.external_ref.clone()) {
                continue;
            }
            let ended = row.end_reason.is_some();
            flag::ActiveModel {
                tenancy_id: Set(tenancy_id),
                tenant_id: Set(None),
                kind: Set(row.kind.clone()),
                no_automated_contact: Set(row.no_automated_contact),
                starts_on: Set(row.starts_on),
                ends_on: Set(row.ends_on),
                detail: Set(row.note.clone()),
                set_by_staff_id: Set(None),
                created_at: Set(now),
                end_reason: Set(row.end_reason.map(|r| r.as_str().to_owned())),
                end_note: Set(None),
                ended_by_staff_id: Set(None),
                ended_at: Set(ended.then_some(now)),
                updated_at: Set(Some(now)),
                notified_on: Set(row.notified_on),
                treatment_ended_on: Set(row.treatment_ended_on),
                external_ref: Set(Some(row.external_ref.clone())),
                import_batch_id: Set(Some(self.batch_id)),
                ..Default::default()
            }
            .insert(self.db)
            .await?;
            crate::diary::write(
                self.db,
                crate::diary::Entry {
                    tenancy_id,
                    kind: crate::vocab::ActionKind::Flag,
                    body: &format!(
                        "Flag imported ({}): {}{} from {}{}{}.",
                        row.external_ref,
                        row.kind.replace('_', " "),
                        if row.no_automated_contact {
                            " (no automated contact)"
                        } else {
                            ""
                        },
                        row.starts_on,
                        row.ends_on.map(|e| format!(" to {e}")).unwrap_or_default(),
                        row.end_reason
                            .map(|r| format!(", {}", r.as_str().replace('_', " ")))
                            .unwrap_or_default(),
                    ),
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
    today: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ImportOutcome, ImportFailure> {
    let mut errors = Errors::default();
    let columns = (COLUMNS, OPTIONAL);
    let parse = |row: &Row<'_>, errors: &mut Errors| parse_row(row, errors, today);
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
        inserted: 0,
        affected: HashSet::new(),
    };
    for_each_chunk(source, columns, &mut errors, parse, &mut write).await?;
    let (inserted, affected) = (write.inserted, write.affected);
    succeeded(txn, batch_id, rows_total, inserted, 0, affected, now).await
}
