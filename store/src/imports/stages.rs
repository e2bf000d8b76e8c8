//! Case stages from a landlord's old system (issue 16): the pre-action protocol steps taken,
//! letters sent, notices served, court applications, hearings, orders with their terms,
//! warrants, and the steps after a postponed order. Each row is run through the very use case
//! an officer's step goes through (`crate::possession::record_step`), with the clock set to the
//! row's `occurred_at`: so the case, its diary entries, notice dates, letters and audit entries
//! are exactly what Rentdesk would have recorded had the step been taken in it on that day, and
//! a step the rules would have refused then (a notice before the protocol steps, a hearing
//! before the application, an order on a ground the notice did not give, a warrant without a
//! breach…) is refused, named with its line, column and reason.
//!
//! Rows are taken in file order and each tenancy's rows must be in the order they happened
//! (their `occurred_at` never going back): a step is judged on the steps before it. The whole
//! file runs in one transaction; a refused row rolls everything back. A tenancy whose row was
//! refused has its later rows left untried (they would be judged on a case that is not there).
//!
//! The step is attributed to the staff user named in `officer` (an email, as in the history
//! import): they are its diary entries' author, the case's owner and the audit entry's actor,
//! and, as in the officer app, the tenancy must be one they could see on that day (an
//! administrator sees every tenancy). Unlike the history import an unknown officer is refused:
//! a step in Rentdesk always has an officer.

use super::history::parse_time;
use super::{
    AsyncChunkHandler, Errors, ImportFailure, ImportOutcome, ImportSource, RefUse, Row, SeenRefs,
    TenancyIds, for_each_chunk, parse_bounded_amount, parse_date, rejected, succeeded,
};
use crate::entities::{action, staff_user};
use crate::possession::{StepPolicy, StepRefusal, StepRequest, TermsRequest};
use chrono::{DateTime, Utc};
use rentdesk_domain::Pence;
use rentdesk_domain::possession::protocol::ServiceMethod;
use rentdesk_domain::possession::step::{self, StepKind};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use std::collections::{HashMap, HashSet};

pub const COLUMNS: &[&str] = &[
    "external_ref",
    "tenancy_reference",
    "occurred_at",
    "step",
    "officer",
];
pub const OPTIONAL: &[&str] = &[
    "protocol_step",
    "sent_on",
    "service_method",
    "sent_time",
    "hearing_on",
    "hearing_time",
    "order_type",
    "possession_date",
    "terms_towards_arrears",
    "terms_frequency",
    "terms_from",
    "grounds",
    "ordered_on",
    "permission_granted_on",
    "time_limit_ends_on",
    "override_reason",
    "note",
];

/// An imported step's `external_ref` is kept with this prefix: diary entries share one set of
/// references, and a history row and a stage row of the old system may be numbered alike.
const REF_PREFIX: &str = "stage:";

#[derive(Debug, Clone)]
struct StageRow {
    line: u64,
    external_ref: String,
    tenancy_reference: String,
    occurred_at: DateTime<Utc>,
    /// Lower case.
    officer: String,
    request: StepRequest,
    /// What the diary entry's outcome is (the protocol step, the order step or the stage).
    outcome: &'static str,
    /// Every cell but the reference, for "same content".
    fingerprint: u64,
}

impl StageRow {
    fn stored_ref(&self) -> String {
        format!("{REF_PREFIX}{}", self.external_ref)
    }

    fn same_as_stored(&self, tenancy_id: i64, a: &action::Model) -> bool {
        a.tenancy_id == tenancy_id
            && a.occurred_at == self.occurred_at
            && a.outcome.as_deref() == Some(self.outcome)
    }
}

/// The CSV column a field of the step request is read from.
fn column_of(field: &str) -> &str {
    match field {
        "terms.towards_arrears_pence" | "terms_towards_arrears_pence" => "terms_towards_arrears",
        "terms.frequency" => "terms_frequency",
        "terms.from" => "terms_from",
        "terms" => "terms_towards_arrears",
        other => other,
    }
}

/// Grounds as `8;10;11` (or separated by commas or spaces).
fn parse_grounds(s: &str) -> Result<Vec<u8>, String> {
    s.split([';', ',', ' '])
        .filter(|g| !g.is_empty())
        .map(|g| {
            g.trim()
                .parse::<u8>()
                .map_err(|_| format!("{g:?} is not a ground number (e.g. 8;10;11)"))
        })
        .collect()
}

fn parse_row(
    row: &Row<'_>,
    errors: &mut Errors,
    now: DateTime<Utc>,
    max_amount: Pence,
) -> Option<StageRow> {
    use std::hash::{Hash, Hasher};
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
    let officer = row.parse_required("officer", errors, |s| {
        if s.contains('@') {
            Ok(s.trim().to_lowercase())
        } else {
            Err(format!(
                "{s:?} is not an email: the step is attributed to the Rentdesk staff user with \
                 this email"
            ))
        }
    });
    let step_name = row.required("step", errors).map(str::to_owned);
    let date = |column: &str, errors: &mut Errors| row.parse(column, errors, parse_date).ok()?;
    let sent_on = date("sent_on", errors);
    let hearing_on = date("hearing_on", errors);
    let possession_date = date("possession_date", errors);
    let terms_from = date("terms_from", errors);
    let ordered_on = date("ordered_on", errors);
    let permission_granted_on = date("permission_granted_on", errors);
    let time_limit_ends_on = date("time_limit_ends_on", errors);
    let service_method = row
        .parse("service_method", errors, |s| {
            ServiceMethod::parse(s).ok_or_else(|| format!("{s:?} is not hand or first_class_post"))
        })
        .ok()
        .flatten();
    let towards = row
        .parse("terms_towards_arrears", errors, |s| {
            parse_bounded_amount(s, max_amount)
        })
        .ok()
        .flatten();
    let grounds = row.parse("grounds", errors, parse_grounds).ok().flatten();
    let text = |column: &str| row.get(column).map(str::to_owned);
    let note = row.get("note").unwrap_or_default().to_owned();
    if note.chars().count() > 2000 {
        errors.push(line, "note", "longer than 2000 characters");
    }
    let terms_frequency = text("terms_frequency");
    let terms =
        (towards.is_some() || terms_frequency.is_some() || terms_from.is_some()).then(|| {
            TermsRequest {
                towards_arrears_pence: towards.map(|p| p.0),
                frequency: terms_frequency,
                from: terms_from,
            }
        });
    let request = StepRequest {
        step: step_name.clone().unwrap_or_default(),
        protocol_step: text("protocol_step"),
        sent_on,
        service_method,
        sent_time: text("sent_time"),
        hearing_on,
        hearing_time: text("hearing_time"),
        order_type: text("order_type"),
        possession_date,
        terms,
        grounds,
        ordered_on,
        permission_granted_on,
        time_limit_ends_on,
        override_reason: text("override_reason"),
        note,
    };
    let outcome = match step_name.as_ref().map(|_| step::step_kind(&request)) {
        Some(Ok(StepKind::Protocol(p))) => Some(p.as_str()),
        Some(Ok(StepKind::AfterOrder(s))) => Some(s.as_str()),
        Some(Ok(StepKind::Stage(s))) => Some(s.as_str()),
        Some(Err((field, reason))) => {
            errors.push(line, column_of(&field), reason);
            None
        }
        None => None,
    };
    if errors.total > before {
        return None;
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for (i, cell) in row.record.iter().enumerate() {
        if row.columns.get("external_ref") != Some(&i) {
            (i, cell).hash(&mut h);
        }
    }
    Some(StageRow {
        line,
        external_ref: external_ref?,
        tenancy_reference: tenancy_reference?,
        occurred_at: occurred_at.ok()?,
        officer: officer.ok()?,
        request,
        outcome: outcome?,
        fingerprint: h.finish(),
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

/// Staff users by lower-case email, looked up once each.
#[derive(Default)]
struct Officers(HashMap<String, Option<staff_user::Model>>);

impl Officers {
    async fn get<C: ConnectionTrait>(
        &mut self,
        db: &C,
        email: &str,
    ) -> Result<Option<staff_user::Model>, sea_orm::DbErr> {
        if let Some(s) = self.0.get(email) {
            return Ok(s.clone());
        }
        let s = crate::staff::by_email(db, email).await?;
        self.0.insert(email.to_owned(), s.clone());
        Ok(s)
    }
}

struct Validate<'a> {
    db: &'a DatabaseConnection,
    tenancies: TenancyIds,
    officers: Officers,
    /// Reference → (line, fingerprint).
    seen: SeenRefs,
    /// Tenancy reference → the line and time of its latest row so far.
    latest: HashMap<String, (u64, DateTime<Utc>)>,
}

impl AsyncChunkHandler<StageRow> for Validate<'_> {
    async fn handle(
        &mut self,
        chunk: Vec<StageRow>,
        errors: &mut Errors,
    ) -> Result<(), ImportFailure> {
        self.tenancies
            .resolve(self.db, chunk.iter().map(|r| &r.tenancy_reference))
            .await?;
        let existing = stored(self.db, chunk.iter().map(StageRow::stored_ref).collect()).await?;
        for row in &chunk {
            if self.officers.get(self.db, &row.officer).await?.is_none() {
                errors.push(
                    row.line,
                    "officer",
                    format!("no Rentdesk staff user has the email {:?}", row.officer),
                );
            }
            let Some(tenancy_id) = self.tenancies.get(&row.tenancy_reference) else {
                errors.push(
                    row.line,
                    "tenancy_reference",
                    format!("unknown tenancy {:?}", row.tenancy_reference),
                );
                continue;
            };
            match self.latest.get(&row.tenancy_reference) {
                Some(&(line, at)) if row.occurred_at < at => errors.push(
                    row.line,
                    "occurred_at",
                    format!(
                        "before line {line}'s step on the same tenancy: a tenancy's steps go in \
                         the order they happened"
                    ),
                ),
                _ => {
                    self.latest
                        .insert(row.tenancy_reference.clone(), (row.line, row.occurred_at));
                }
            }
            if self.seen.add(
                &row.external_ref,
                row.line,
                row.fingerprint,
                "external_ref",
                errors,
            ) == RefUse::Clash
            {
                continue;
            }
            if let Some(a) = existing.get(&row.stored_ref())
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
    db: &'a C,
    policy: &'a StepPolicy<'a>,
    batch_id: i64,
    tenancies: TenancyIds,
    officers: Officers,
    /// Tenancies with a refused row: their later rows are not tried.
    refused: HashSet<i64>,
    inserted: u64,
    affected: HashSet<i64>,
}

impl<C: crate::db::Connection> Write<'_, C> {
    /// One row through the officer's use case at the row's time; its refusal as row errors.
    async fn record(
        &mut self,
        row: StageRow,
        tenancy_id: i64,
        errors: &mut Errors,
    ) -> Result<(), ImportFailure> {
        // Validation proved the officer exists.
        let Some(officer) = self.officers.get(self.db, &row.officer).await? else {
            return Ok(());
        };
        let on = rentdesk_domain::time::london_date(row.occurred_at);
        let answer = crate::possession::record_step(
            self.db,
            self.policy,
            &officer,
            tenancy_id,
            row.request,
            row.occurred_at,
            None,
        )
        .await;
        let refusals: Vec<(String, String)> = match answer {
            Ok(outcome) => {
                action::ActiveModel {
                    id: Set(outcome.action_id),
                    external_ref: Set(Some(format!("{REF_PREFIX}{}", row.external_ref))),
                    import_batch_id: Set(Some(self.batch_id)),
                    ..Default::default()
                }
                .update(self.db)
                .await?;
                self.inserted += 1;
                self.affected.insert(tenancy_id);
                return Ok(());
            }
            Err(StepRefusal::Invalid(fields)) => fields
                .into_iter()
                .map(|(field, reason)| (column_of(&field).to_owned(), reason))
                .collect(),
            Err(StepRefusal::Blocked(missing)) => missing
                .into_iter()
                .map(|m| {
                    (
                        "step".to_owned(),
                        format!("not allowed on {on}: {} ({})", m.reason, m.id),
                    )
                })
                .collect(),
            Err(StepRefusal::NotFound) => vec![(
                "officer".to_owned(),
                format!(
                    "{} could not see this tenancy on {on} (not their patch or a patch they \
                     covered; an administrator sees every tenancy)",
                    row.officer
                ),
            )],
            Err(StepRefusal::Internal(e)) => {
                return Err(ImportFailure::Db(sea_orm::DbErr::Custom(format!("{e:#}"))));
            }
        };
        for (column, reason) in refusals {
            errors.push(row.line, &column, reason);
        }
        self.refused.insert(tenancy_id);
        Ok(())
    }
}

impl<C: crate::db::Connection> AsyncChunkHandler<StageRow> for Write<'_, C> {
    async fn handle(
        &mut self,
        chunk: Vec<StageRow>,
        errors: &mut Errors,
    ) -> Result<(), ImportFailure> {
        if chunk.is_empty() {
            return Ok(());
        }
        self.tenancies
            .resolve(self.db, chunk.iter().map(|r| &r.tenancy_reference))
            .await?;
        let mut done: HashSet<String> =
            stored(self.db, chunk.iter().map(StageRow::stored_ref).collect())
                .await?
                .into_keys()
                .collect();
        for row in chunk {
            // Validation proved every tenancy exists; a repeat is the same step.
            let Some(tenancy_id) = self.tenancies.get(&row.tenancy_reference) else {
                continue;
            };
            if self.refused.contains(&tenancy_id) || !done.insert(row.stored_ref()) {
                continue;
            }
            self.record(row, tenancy_id, errors).await?;
        }
        Ok(())
    }
}

pub(super) async fn import(
    db: &DatabaseConnection,
    batch_id: i64,
    source: &ImportSource,
    policy: &StepPolicy<'_>,
    now: DateTime<Utc>,
) -> Result<ImportOutcome, ImportFailure> {
    let mut errors = Errors::default();
    let columns = (COLUMNS, OPTIONAL);
    let max_amount = policy.max_row_amount;
    let parse = |row: &Row<'_>, errors: &mut Errors| parse_row(row, errors, now, max_amount);
    let validate = Validate {
        db,
        tenancies: TenancyIds::default(),
        officers: Officers::default(),
        seen: SeenRefs::default(),
        latest: HashMap::new(),
    };
    let rows_total = for_each_chunk(source, columns, &mut errors, parse, validate).await?;
    if errors.total > 0 {
        return Ok(rejected(batch_id, rows_total, errors));
    }
    let txn = crate::db::begin_write(db).await?;
    let mut write = Write {
        db: &txn,
        policy,
        batch_id,
        tenancies: TenancyIds::default(),
        officers: Officers::default(),
        refused: HashSet::new(),
        inserted: 0,
        affected: HashSet::new(),
    };
    for_each_chunk(source, columns, &mut errors, parse, &mut write).await?;
    let (inserted, affected) = (write.inserted, write.affected);
    if errors.total > 0 {
        // The rules refused a step: nothing of the file stays.
        txn.rollback().await?;
        return Ok(rejected(batch_id, rows_total, errors));
    }
    succeeded(txn, batch_id, rows_total, inserted, 0, affected, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grounds_are_numbers_separated_by_semicolons_commas_or_spaces() {
        assert_eq!(parse_grounds("8;10;11"), Ok(vec![8, 10, 11]));
        assert_eq!(parse_grounds("8, 10"), Ok(vec![8, 10]));
        assert!(parse_grounds("8;x").is_err());
    }
}
