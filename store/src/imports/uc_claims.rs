//! Universal Credit claims as a landlord holds them (issue 16), from DWP's verification and the
//! landlord portal: the first date of entitlement, the housing element, the managed payment to
//! the landlord (APA), the day the landlord learned of the claim and the Housing Benefit run-on.
//! An imported claim is the same `uc_claims` row a claim reported in Rentdesk is (the tenant
//! app's `POST /tenant/v1/me/universal-credit`, or an officer recording the APA as in place),
//! with the source's `external_ref` and the batch, so technical arrears, next-step, the caseload
//! and early intervention treat the account exactly alike; it goes in the account's diary as
//! imported.
//!
//! The app's rule holds: one open claim per tenancy (the latest by start date is the one the
//! figures use). A second open claim for the same tenancy in the file, or one for a tenancy that
//! already has an open claim in Rentdesk, is an error on that line. An ended claim (`ended_on`)
//! may sit beside them: its last assessment period (the one `ended_on` falls in) is still paid
//! and is technical arrears until it is late; nothing is expected after it.

use super::{
    AsyncChunkHandler, Errors, ImportFailure, ImportOutcome, ImportSource, RefUse, Row, SeenRefs,
    TenancyIds, for_each_chunk, parse_bounded_amount, parse_date, rejected, succeeded,
};
use crate::entities::uc_claim;
use crate::facts::managed_payment_on;
use chrono::{Datelike, Duration, NaiveDate};
use rentdesk_domain::Pence;
use rentdesk_domain::benefits::uc_period_start;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use std::collections::{HashMap, HashSet};

pub const COLUMNS: &[&str] = &["external_ref", "tenancy_reference", "claim_start"];
pub const OPTIONAL: &[&str] = &[
    "assessment_period_day",
    "housing_element",
    "apa_from",
    "apa_to",
    "learned_on",
    "hb_run_on_until",
    "ended_on",
];

/// The Housing Benefit run-on (transitional housing payment) lasts two weeks from the first
/// day of UC entitlement: its last day is at most this many days after `claim_start`.
pub const HB_RUN_ON_MAX_DAYS: i64 = 14;

/// One claim as the file gives it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ClaimRow {
    line: u64,
    external_ref: String,
    tenancy_reference: String,
    claim_start: NaiveDate,
    housing_element: Option<Pence>,
    apa_from: Option<NaiveDate>,
    apa_to: Option<NaiveDate>,
    learned_on: Option<NaiveDate>,
    hb_run_on_until: Option<NaiveDate>,
    ended_on: Option<NaiveDate>,
}

impl ClaimRow {
    /// What must match for a re-imported reference to be the same claim.
    fn content(&self) -> impl PartialEq + std::hash::Hash + '_ {
        (
            &self.tenancy_reference,
            self.claim_start,
            self.housing_element.map(|p| p.0),
            self.apa_from,
            self.apa_to,
            self.learned_on,
            self.hb_run_on_until,
            self.ended_on,
        )
    }

    fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.content().hash(&mut h);
        h.finish()
    }

    fn same_as_stored(&self, tenancy_id: i64, c: &uc_claim::Model) -> bool {
        c.tenancy_id == tenancy_id
            && c.claim_start == self.claim_start
            && c.monthly_housing_pence == self.housing_element.map(|p| p.0)
            && c.apa_from == self.apa_from
            && c.apa_to == self.apa_to
            && c.learned_on == self.learned_on
            && c.hb_run_on_until == self.hb_run_on_until
            && c.ended_on == self.ended_on
    }
}

fn parse_row(
    row: &Row<'_>,
    errors: &mut Errors,
    today: NaiveDate,
    max_amount: Pence,
) -> Option<ClaimRow> {
    let line = row.line;
    let external_ref = row.required("external_ref", errors).map(str::to_owned);
    let tenancy_reference = row.required("tenancy_reference", errors).map(str::to_owned);
    let not_future = |s: &str| {
        let d = parse_date(s)?;
        if d > today {
            Err(format!("{d} is in the future"))
        } else {
            Ok(d)
        }
    };
    let claim_start = row.parse_required("claim_start", errors, not_future);
    let day = row.parse("assessment_period_day", errors, |s| {
        match s.parse::<u32>() {
            Ok(d) if (1..=31).contains(&d) => Ok(d),
            _ => Err(format!("{s:?} is not a day of the month (1 to 31)")),
        }
    });
    let housing_element = row.parse("housing_element", errors, |s| {
        let p = parse_bounded_amount(s, max_amount)?;
        if p.0 <= 0 {
            Err("must be more than £0 (leave it empty when not known)".to_owned())
        } else {
            Ok(p)
        }
    });
    let apa_from = row.parse("apa_from", errors, parse_date);
    let apa_to = row.parse("apa_to", errors, parse_date);
    let learned_on = row.parse("learned_on", errors, not_future);
    let hb_run_on_until = row.parse("hb_run_on_until", errors, parse_date);
    let ended_on = row.parse("ended_on", errors, not_future);
    let (Ok(claim_start), Ok(day), Ok(housing_element)) = (claim_start, day, housing_element)
    else {
        return None;
    };
    let (Ok(apa_from), Ok(apa_to), Ok(learned_on), Ok(hb_run_on_until), Ok(ended_on)) =
        (apa_from, apa_to, learned_on, hb_run_on_until, ended_on)
    else {
        return None;
    };
    let before = errors.total;
    // UC Regs 2013 reg 21: the assessment periods start on the claim's day of the month (the
    // last day of the month for a claim on the 31st; the 27th/28th in February for the 29th
    // and 30th). The portal's day is a check on `claim_start`, which fixes them.
    if let Some(day) = day
        && day != claim_start.day()
    {
        let next = uc_period_start(claim_start, 1);
        errors.push(
            line,
            "assessment_period_day",
            format!(
                "a claim starting {claim_start} has assessment periods starting on day {} \
                 (next {next}; UC Regulations 2013 reg 21): check claim_start",
                claim_start.day()
            ),
        );
    }
    match (apa_from, apa_to) {
        (None, Some(_)) => errors.push(line, "apa_to", "given without apa_from"),
        (Some(from), _) if from < claim_start => {
            errors.push(line, "apa_from", "is before claim_start")
        }
        (Some(from), Some(to)) if to < from => errors.push(line, "apa_to", "is before apa_from"),
        _ => {}
    }
    if let Some(h) = hb_run_on_until
        && (h < claim_start || h > claim_start + Duration::days(HB_RUN_ON_MAX_DAYS))
    {
        errors.push(
            line,
            "hb_run_on_until",
            format!(
                "the Housing Benefit run-on ends within two weeks of claim_start \
                 ({claim_start} to {})",
                claim_start + Duration::days(HB_RUN_ON_MAX_DAYS)
            ),
        );
    }
    if let Some(end) = ended_on
        && end < claim_start
    {
        errors.push(line, "ended_on", "is before claim_start");
    }
    if errors.total > before {
        return None;
    }
    Some(ClaimRow {
        line,
        external_ref: external_ref?,
        tenancy_reference: tenancy_reference?,
        claim_start,
        housing_element,
        apa_from,
        apa_to,
        learned_on,
        hb_run_on_until,
        ended_on,
    })
}

async fn stored<C: ConnectionTrait>(
    db: &C,
    refs: Vec<String>,
) -> Result<HashMap<String, uc_claim::Model>, sea_orm::DbErr> {
    Ok(uc_claim::Entity::find()
        .filter(uc_claim::Column::ExternalRef.is_in(refs))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|c| Some((c.external_ref.clone()?, c)))
        .collect())
}

/// Each tenancy's open claims already stored: tenancy id → (id, external_ref, reported_by).
async fn stored_open<C: ConnectionTrait>(
    db: &C,
    tenancy_ids: Vec<i64>,
) -> Result<HashMap<i64, Vec<uc_claim::Model>>, sea_orm::DbErr> {
    let mut out: HashMap<i64, Vec<uc_claim::Model>> = HashMap::new();
    for c in uc_claim::Entity::find()
        .filter(uc_claim::Column::TenancyId.is_in(tenancy_ids))
        .filter(uc_claim::Column::EndedOn.is_null())
        .all(db)
        .await?
    {
        out.entry(c.tenancy_id).or_default().push(c);
    }
    Ok(out)
}

struct Validate<'a> {
    db: &'a DatabaseConnection,
    tenancies: TenancyIds,
    seen: SeenRefs,
    /// tenancy reference → (line, external_ref) of the file's claim for it.
    per_tenancy: HashMap<String, (u64, String)>,
}

impl AsyncChunkHandler<ClaimRow> for Validate<'_> {
    async fn handle(
        &mut self,
        chunk: Vec<ClaimRow>,
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
        let open = stored_open(
            self.db,
            chunk
                .iter()
                .filter_map(|r| self.tenancies.get(&r.tenancy_reference))
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
            // One open claim per tenancy; ended ones may sit beside it.
            if row.ended_on.is_none()
                && let Some((line, other)) = self.per_tenancy.get(&row.tenancy_reference)
            {
                errors.push(
                    row.line,
                    "tenancy_reference",
                    format!(
                        "tenancy {} already has a claim on line {line} ({other}): one current \
                         Universal Credit claim per tenancy",
                        row.tenancy_reference
                    ),
                );
                continue;
            }
            if row.ended_on.is_none() {
                self.per_tenancy.insert(
                    row.tenancy_reference.clone(),
                    (row.line, row.external_ref.clone()),
                );
            }
            if let Some(c) = existing.get(&row.external_ref) {
                if !row.same_as_stored(tenancy_id, c) {
                    errors.push(
                        row.line,
                        "external_ref",
                        "duplicate reference with different content (already imported)",
                    );
                }
                continue;
            }
            if let Some(c) = open
                .get(&tenancy_id)
                .filter(|_| row.ended_on.is_none())
                .and_then(|cs| {
                    cs.iter()
                        .find(|c| c.external_ref != Some(row.external_ref.clone()))
                })
            {
                errors.push(
                    row.line,
                    "tenancy_reference",
                    format!(
                        "tenancy {} already has an open Universal Credit claim (id {}, started \
                         {}, {}): one current claim per tenancy",
                        row.tenancy_reference,
                        c.id,
                        c.claim_start,
                        match &c.external_ref {
                            Some(r) => format!("imported as {r}"),
                            None => format!("reported by {}", c.reported_by),
                        }
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
    today: NaiveDate,
    tenancies: TenancyIds,
    inserted: u64,
    affected: HashSet<i64>,
}

impl<C: ConnectionTrait> AsyncChunkHandler<ClaimRow> for Write<'_, C> {
    async fn handle(
        &mut self,
        chunk: Vec<ClaimRow>,
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
            // the same claim.
            let Some(tenancy_id) = self.tenancies.get(&row.tenancy_reference) else {
                continue;
            };
            if !existing.insert(row.external_ref.clone()) {
                continue;
            }
            let (apa_status, paid_to_landlord) =
                managed_payment_on(row.apa_from, row.apa_to, self.today);
            uc_claim::ActiveModel {
                tenancy_id: Set(tenancy_id),
                claim_start: Set(row.claim_start),
                housing_costs_claimed: Set(true),
                monthly_housing_pence: Set(row.housing_element.map(|p| p.0)),
                apa_status: Set(apa_status.to_owned()),
                paid_to_landlord: Set(paid_to_landlord),
                reported_by: Set("import".into()),
                ended_on: Set(row.ended_on),
                created_at: Set(now),
                external_ref: Set(Some(row.external_ref.clone())),
                import_batch_id: Set(Some(self.batch_id)),
                apa_from: Set(row.apa_from),
                apa_to: Set(row.apa_to),
                learned_on: Set(row.learned_on),
                hb_run_on_until: Set(row.hb_run_on_until),
                ..Default::default()
            }
            .insert(self.db)
            .await?;
            let mut parts = vec![format!(
                "Universal Credit claim imported ({}): started {}",
                row.external_ref, row.claim_start
            )];
            parts.push(match row.housing_element {
                Some(p) => format!("housing element {p} a month"),
                None => "housing element not known".to_owned(),
            });
            if let Some(from) = row.apa_from {
                parts.push(format!(
                    "managed payment from {from}{}",
                    row.apa_to.map(|t| format!(" to {t}")).unwrap_or_default()
                ));
            }
            if let Some(l) = row.learned_on {
                parts.push(format!("landlord learned of it on {l}"));
            }
            if let Some(h) = row.hb_run_on_until {
                parts.push(format!("Housing Benefit run-on to {h}"));
            }
            if let Some(e) = row.ended_on {
                parts.push(format!("ended on {e}"));
            }
            crate::diary::write(
                self.db,
                crate::diary::Entry {
                    tenancy_id,
                    kind: crate::vocab::ActionKind::UcClaim,
                    body: &format!("{}.", parts.join(", ")),
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
        per_tenancy: HashMap::new(),
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
        today,
        tenancies: TenancyIds::default(),
        inserted: 0,
        affected: HashSet::new(),
    };
    for_each_chunk(source, columns, &mut errors, parse, &mut write).await?;
    let (inserted, affected) = (write.inserted, write.affected);
    succeeded(txn, batch_id, rows_total, inserted, 0, affected, now).await
}
