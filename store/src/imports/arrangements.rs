//! Repayment arrangements from a landlord's old system (issue 16), as they were agreed in the
//! past. An imported arrangement is the same `arrangements` row an officer's plan is
//! (`POST /officer/v1/accounts/{id}/arrangements`), with the source's `external_ref`, the batch,
//! the day it was agreed and who agreed it. So from then on it is judged by the same rules: an
//! active one's instalments fall due from `first_due_on` at its frequency and are kept or missed
//! by what the ledger shows the tenant paid (`cases::plan_state`, `arrangements::adherence`, the
//! broken-arrangement rule); a broken one is the account's current, broken plan (escalation
//! resumes, the caseload's `broken` filter); a cancelled or completed one is history.
//!
//! The app's rule holds: at most one current (active or broken) arrangement per tenancy, in the
//! file and beside what Rentdesk already holds. An arrangement made in Rentdesk is never
//! replaced by an import.

use super::{
    AsyncChunkHandler, Errors, ImportFailure, ImportOutcome, ImportSource, RefUse, Row, SeenRefs,
    TenancyIds, for_each_chunk, parse_bool, parse_bounded_amount, parse_date, parse_enum, rejected,
    succeeded,
};
use crate::entities::{arrangement, staff_user, transaction};
use chrono::{NaiveDate, Utc};
use rentdesk_domain::Pence;
use rentdesk_domain::tenancy::Frequency;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, Set,
};
use std::collections::{HashMap, HashSet};

pub const COLUMNS: &[&str] = &[
    "external_ref",
    "tenancy_reference",
    "agreed_on",
    "frequency",
    "instalment",
    "first_due_on",
    "status",
];
pub const OPTIONAL: &[&str] = &[
    "agreed_by",
    "includes_rent",
    "last_due_on",
    "ended_on",
    "end_reason",
    "note",
];

const MAX_TEXT: usize = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Status {
    Active,
    Broken,
    Cancelled,
    Completed,
}

impl Status {
    const ALL: [Status; 4] = [
        Status::Active,
        Status::Broken,
        Status::Cancelled,
        Status::Completed,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Broken => "broken",
            Status::Cancelled => "cancelled",
            Status::Completed => "completed",
        }
    }

    fn parse(s: &str) -> Result<Status, String> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("{s:?} is not one of active, broken, cancelled, completed"))
    }

    /// Counts as the tenancy's current plan (`plans::CURRENT`).
    fn is_current(self) -> bool {
        matches!(self, Status::Active | Status::Broken)
    }
}

/// One arrangement as the file gives it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ArrangementRow {
    line: u64,
    external_ref: String,
    tenancy_reference: String,
    agreed_on: NaiveDate,
    agreed_by: Option<String>,
    frequency: Frequency,
    instalment: Pence,
    includes_rent: bool,
    first_due_on: NaiveDate,
    last_due_on: Option<NaiveDate>,
    status: Status,
    ended_on: Option<NaiveDate>,
    end_reason: Option<String>,
    note: Option<String>,
}

impl ArrangementRow {
    fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (
            &self.tenancy_reference,
            self.agreed_on,
            &self.agreed_by,
            self.frequency,
            self.instalment.0,
            self.includes_rent,
            self.first_due_on,
            self.last_due_on,
            self.status,
            self.ended_on,
            &self.end_reason,
            &self.note,
        )
            .hash(&mut h);
        h.finish()
    }

    /// The row's `end_date`: the last instalment of an active plan (if the agreement sets
    /// one), else the day it ended (no instalment falls due after it).
    fn end_date(&self) -> Option<NaiveDate> {
        match self.status {
            Status::Active => self.last_due_on,
            _ => self.ended_on,
        }
    }

    /// Same reference, same arrangement. One that was imported active and has since been ended
    /// or replaced in Rentdesk is still the same arrangement: re-importing the old file leaves
    /// the officer's decision alone.
    fn same_as_stored(&self, tenancy_id: i64, a: &arrangement::Model) -> bool {
        let terms = a.tenancy_id == tenancy_id
            && a.agreed_on == Some(self.agreed_on)
            && a.agreed_by == self.agreed_by
            && a.frequency == self.frequency.as_str()
            && a.instalment_pence == self.instalment.0
            && a.includes_rent == self.includes_rent
            && a.start_date == self.first_due_on
            && a.agreement_text == self.note;
        let ending = a.status == self.status.as_str()
            && a.end_date == self.end_date()
            && a.cancel_reason == self.end_reason;
        let ended_here = self.status == Status::Active
            && matches!(a.status.as_str(), "cancelled" | "replaced")
            && a.cancelled_at.is_some();
        terms && (ending || ended_here)
    }
}

fn parse_row(
    row: &Row<'_>,
    errors: &mut Errors,
    today: NaiveDate,
    max_amount: Pence,
) -> Option<ArrangementRow> {
    let line = row.line;
    let not_future = |s: &str| {
        let d = parse_date(s)?;
        if d > today {
            Err(format!("{d} is in the future"))
        } else {
            Ok(d)
        }
    };
    let text = |column: &str, errors: &mut Errors| {
        let v = row.get(column).map(str::to_owned);
        if v.as_ref().is_some_and(|v| v.chars().count() > MAX_TEXT) {
            errors.push(line, column, "longer than 2000 characters");
        }
        v
    };
    let external_ref = row.required("external_ref", errors).map(str::to_owned);
    let tenancy_reference = row.required("tenancy_reference", errors).map(str::to_owned);
    let agreed_on = row.parse_required("agreed_on", errors, not_future);
    let agreed_by = row.get("agreed_by").map(str::to_owned);
    if agreed_by.as_ref().is_some_and(|v| v.chars().count() > 200) {
        errors.push(line, "agreed_by", "longer than 200 characters");
    }
    let frequency = row.parse_required("frequency", errors, parse_enum::<Frequency>);
    let instalment = row.parse_required("instalment", errors, |s| {
        let p = parse_bounded_amount(s, max_amount)?;
        if p.0 <= 0 {
            Err("must be more than £0.00".to_owned())
        } else {
            Ok(p)
        }
    });
    let includes_rent = row.parse("includes_rent", errors, parse_bool);
    let first_due_on = row.parse_required("first_due_on", errors, parse_date);
    let last_due_on = row.parse("last_due_on", errors, parse_date);
    let status = row.parse_required("status", errors, Status::parse);
    let ended_on = row.parse("ended_on", errors, not_future);
    let end_reason = text("end_reason", errors);
    let note = text("note", errors);

    let (Ok(agreed_on), Ok(frequency), Ok(instalment), Ok(first_due_on), Ok(status)) =
        (agreed_on, frequency, instalment, first_due_on, status)
    else {
        return None;
    };
    let (Ok(includes_rent), Ok(last_due_on), Ok(ended_on)) = (includes_rent, last_due_on, ended_on)
    else {
        return None;
    };
    let before = errors.total;
    if first_due_on < agreed_on {
        errors.push(line, "first_due_on", "is before agreed_on");
    }
    match (status, ended_on) {
        (Status::Active, Some(_)) => errors.push(
            line,
            "ended_on",
            "only for a broken, cancelled or completed arrangement",
        ),
        (Status::Active, None) => {}
        (s, None) => errors.push(
            line,
            "ended_on",
            format!("required for a {} arrangement", s.as_str()),
        ),
        (_, Some(end)) if end < agreed_on => errors.push(line, "ended_on", "is before agreed_on"),
        _ => {}
    }
    match (status, last_due_on) {
        (Status::Active, Some(last)) if last < first_due_on => {
            errors.push(line, "last_due_on", "is before first_due_on")
        }
        (Status::Active, _) | (_, None) => {}
        (_, Some(_)) => errors.push(
            line,
            "last_due_on",
            "only for an active arrangement (an ended one gives ended_on)",
        ),
    }
    if status == Status::Active && end_reason.is_some() {
        errors.push(
            line,
            "end_reason",
            "only for a broken, cancelled or completed arrangement",
        );
    }
    if errors.total > before {
        return None;
    }
    Some(ArrangementRow {
        line,
        external_ref: external_ref?,
        tenancy_reference: tenancy_reference?,
        agreed_on,
        agreed_by,
        frequency,
        instalment,
        includes_rent: includes_rent.unwrap_or(true),
        first_due_on,
        last_due_on,
        status,
        ended_on,
        end_reason,
        note,
    })
}

async fn stored<C: ConnectionTrait>(
    db: &C,
    refs: Vec<String>,
) -> Result<HashMap<String, arrangement::Model>, sea_orm::DbErr> {
    Ok(arrangement::Entity::find()
        .filter(arrangement::Column::ExternalRef.is_in(refs))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|a| Some((a.external_ref.clone()?, a)))
        .collect())
}

/// Each tenancy's current arrangement already stored: tenancy id → (id, external_ref).
async fn stored_current<C: ConnectionTrait>(
    db: &C,
    tenancy_ids: Vec<i64>,
) -> Result<HashMap<i64, (i64, Option<String>)>, sea_orm::DbErr> {
    let rows: Vec<(i64, i64, Option<String>)> = arrangement::Entity::find()
        .select_only()
        .columns([
            arrangement::Column::TenancyId,
            arrangement::Column::Id,
            arrangement::Column::ExternalRef,
        ])
        .filter(arrangement::Column::TenancyId.is_in(tenancy_ids))
        .filter(arrangement::Column::Status.is_in(crate::plans::CURRENT))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(t, id, r)| (t, (id, r))).collect())
}

struct Validate<'a> {
    db: &'a DatabaseConnection,
    tenancies: TenancyIds,
    /// external_ref → (line, fingerprint), for repeats within the file.
    seen: SeenRefs,
    /// tenancy reference → (line, external_ref) of the file's current arrangement for it.
    current: HashMap<String, (u64, String)>,
}

impl AsyncChunkHandler<ArrangementRow> for Validate<'_> {
    async fn handle(
        &mut self,
        chunk: Vec<ArrangementRow>,
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
        let in_force = stored_current(
            self.db,
            chunk
                .iter()
                .filter_map(|r| self.tenancies.get(&r.tenancy_reference))
                .collect::<HashSet<_>>()
                .into_iter()
                .collect(),
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
            // The same row again is already checked.
            if self.seen.add(
                &row.external_ref,
                row.line,
                fingerprint,
                "external_ref",
                errors,
            ) != RefUse::First
            {
                continue;
            }
            if let Some(a) = existing.get(&row.external_ref) {
                if !row.same_as_stored(tenancy_id, a) {
                    errors.push(
                        row.line,
                        "external_ref",
                        "duplicate reference with different content (already imported)",
                    );
                }
                continue;
            }
            if !row.status.is_current() {
                continue;
            }
            if let Some((line, other)) = self.current.get(&row.tenancy_reference) {
                errors.push(
                    row.line,
                    "status",
                    format!(
                        "tenancy {} already has a current arrangement on line {line} ({other}): \
                         at most one active or broken arrangement per tenancy; give the earlier \
                         one as cancelled or completed with its ended_on",
                        row.tenancy_reference
                    ),
                );
                continue;
            }
            self.current.insert(
                row.tenancy_reference.clone(),
                (row.line, row.external_ref.clone()),
            );
            if let Some((id, other)) = in_force.get(&tenancy_id)
                && other.as_deref() != Some(row.external_ref.as_str())
            {
                let what = match other {
                    Some(r) => format!("imported as {r}"),
                    None => "made in Rentdesk".to_owned(),
                };
                errors.push(
                    row.line,
                    "status",
                    format!(
                        "tenancy {} already has a current arrangement (id {id}, {what}): at \
                         most one active or broken arrangement per tenancy",
                        row.tenancy_reference
                    ),
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
    /// Staff emails (lower case) → id.
    staff: HashMap<String, i64>,
    inserted: u64,
    affected: HashSet<i64>,
}

/// The tenancy's balance at the end of `day` (what was owed when the plan was agreed).
async fn balance_on<C: ConnectionTrait>(
    db: &C,
    tenancy_id: i64,
    day: NaiveDate,
) -> Result<i64, sea_orm::DbErr> {
    let amounts: Vec<i64> = transaction::Entity::find()
        .select_only()
        .column(transaction::Column::AmountPence)
        .filter(transaction::Column::TenancyId.eq(tenancy_id))
        .filter(transaction::Column::PostedOn.lte(day))
        .into_tuple()
        .all(db)
        .await?;
    Ok(amounts.into_iter().fold(0i64, i64::saturating_add))
}

fn midday(d: NaiveDate) -> chrono::DateTime<Utc> {
    d.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc()
}

impl<C: ConnectionTrait> AsyncChunkHandler<ArrangementRow> for Write<'_, C> {
    async fn handle(
        &mut self,
        chunk: Vec<ArrangementRow>,
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
            // the same arrangement.
            let Some(tenancy_id) = self.tenancies.get(&row.tenancy_reference) else {
                continue;
            };
            if !existing.insert(row.external_ref.clone()) {
                continue;
            }
            let staff_id = row
                .agreed_by
                .as_ref()
                .and_then(|by| self.staff.get(&by.to_lowercase()).copied());
            let owed = balance_on(self.db, tenancy_id, row.agreed_on).await?;
            arrangement::ActiveModel {
                tenancy_id: Set(tenancy_id),
                status: Set(row.status.as_str().to_owned()),
                frequency: Set(row.frequency.as_str().to_owned()),
                instalment_pence: Set(row.instalment.0),
                includes_rent: Set(row.includes_rent),
                start_date: Set(row.first_due_on),
                end_date: Set(row.end_date()),
                arrears_at_start_pence: Set(owed.max(0)),
                created_by_staff_id: Set(staff_id),
                proposed_by_tenant: Set(false),
                agreement_text: Set(row.note.clone()),
                created_at: Set(midday(row.agreed_on)),
                updated_at: Set(now),
                income_expenditure: Set(None),
                review_reason: Set(None),
                cancel_reason: Set(row.end_reason.clone()),
                cancelled_at: Set(row.ended_on.map(midday)),
                external_ref: Set(Some(row.external_ref.clone())),
                import_batch_id: Set(Some(self.batch_id)),
                agreed_on: Set(Some(row.agreed_on)),
                agreed_by: Set(row.agreed_by.clone()),
                ..Default::default()
            }
            .insert(self.db)
            .await?;
            let body = format!(
                "Arrangement imported ({}): {} {}{} from {}, agreed on {}{}; {}{}{}.",
                row.external_ref,
                row.instalment,
                row.frequency.as_str().replace('_', "-"),
                if row.includes_rent {
                    " including rent"
                } else {
                    ""
                },
                row.first_due_on,
                row.agreed_on,
                row.agreed_by
                    .as_ref()
                    .map(|b| format!(" by {b}"))
                    .unwrap_or_default(),
                row.status.as_str(),
                row.ended_on.map(|e| format!(" on {e}")).unwrap_or_default(),
                row.end_reason
                    .as_ref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default(),
            );
            crate::diary::write(
                self.db,
                crate::diary::Entry {
                    tenancy_id,
                    kind: crate::vocab::ActionKind::Arrangement,
                    body: &body,
                    author_staff_id: staff_id,
                    // Agreeing a plan is contact with the tenant (the caseload's last contact):
                    // on the day it was agreed, not the day of the import.
                    occurred_at: Some(midday(row.agreed_on)),
                    outcome: None,
                    rule_id: None,
                    facts: None,
                    client_id: None,
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

async fn staff_emails<C: ConnectionTrait>(db: &C) -> Result<HashMap<String, i64>, sea_orm::DbErr> {
    let rows: Vec<(i64, String)> = staff_user::Entity::find()
        .select_only()
        .columns([staff_user::Column::Id, staff_user::Column::Email])
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, email)| (email.to_lowercase(), id))
        .collect())
}

pub(super) async fn import(
    db: &DatabaseConnection,
    batch_id: i64,
    source: &ImportSource,
    today: NaiveDate,
    max_amount: Pence,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ImportOutcome, ImportFailure> {
    let mut errors = Errors::default();
    let columns = (COLUMNS, OPTIONAL);
    let parse = |row: &Row<'_>, errors: &mut Errors| parse_row(row, errors, today, max_amount);
    let validate = Validate {
        db,
        tenancies: TenancyIds::default(),
        seen: SeenRefs::default(),
        current: HashMap::new(),
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
        staff: staff_emails(&txn).await?,
        inserted: 0,
        affected: HashSet::new(),
    };
    for_each_chunk(source, columns, &mut errors, parse, &mut write).await?;
    let (inserted, affected) = (write.inserted, write.affected);
    succeeded(txn, batch_id, rows_total, inserted, 0, affected, now).await
}
