//! The rent history (issue 16): the rent and service charge a tenancy was charged from each
//! date, as the housing system holds it (social rents change every April; service charges at
//! other times), with the period the amounts are for (issue 20). Every figure about a day —
//! weeks in arrears then, the ground 8 threshold at a notice's deemed service date or at the
//! hearing — takes the rent in force that day (`rentdesk_domain::rent::rent_on`).
//!
//! A row is keyed on its tenancy and `effective_from`: the same row again changes nothing, a
//! row with new amounts for a date already held replaces them (the housing system corrected
//! it), and two different rows for one tenancy and date in one file are an error. After the
//! file, each tenancy's current figures (`weekly_rent_pence`, `weekly_service_charge_pence`)
//! are set from the row in force today.

use super::{
    AsyncChunkHandler, Errors, ImportFailure, ImportOutcome, ImportSource, RefUse, Row, SeenRefs,
    TenancyIds, for_each_chunk, parse_bounded_amount, parse_date, parse_enum, rejected, succeeded,
};
use crate::entities::{rent_change, tenancy};
use chrono::NaiveDate;
use rentdesk_domain::Pence;
use rentdesk_domain::rent::{RentPeriod, rent_on};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use std::collections::{HashMap, HashSet};

pub const COLUMNS: &[&str] = &["tenancy_reference", "effective_from", "rent"];
pub const OPTIONAL: &[&str] = &["rent_period", "service_charge"];

/// One rent change as the file gives it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RentRow {
    line: u64,
    tenancy_reference: String,
    effective_from: NaiveDate,
    /// `None`: the file leaves it to the tenancy's own period.
    period: Option<RentPeriod>,
    rent: Pence,
    service_charge: Pence,
}

impl RentRow {
    fn key(&self) -> String {
        format!("{} {}", self.tenancy_reference, self.effective_from)
    }

    fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (
            self.period.map(RentPeriod::as_str),
            self.rent.0,
            self.service_charge.0,
        )
            .hash(&mut h);
        h.finish()
    }
}

fn parse_row(row: &Row<'_>, errors: &mut Errors, max_amount: Pence) -> Option<RentRow> {
    let tenancy_reference = row.required("tenancy_reference", errors).map(str::to_owned);
    let effective_from = row.parse_required("effective_from", errors, parse_date);
    let period = row.parse("rent_period", errors, parse_enum::<RentPeriod>);
    let not_negative = |s: &str| {
        let p = parse_bounded_amount(s, max_amount)?;
        if p.0 < 0 {
            Err("must not be negative".to_owned())
        } else {
            Ok(p)
        }
    };
    let rent = row.parse_required("rent", errors, not_negative);
    let service_charge = row.parse("service_charge", errors, not_negative);
    Some(RentRow {
        line: row.line,
        tenancy_reference: tenancy_reference?,
        effective_from: effective_from.ok()?,
        period: period.ok()?,
        rent: rent.ok()?,
        service_charge: service_charge.ok()?.unwrap_or_default(),
    })
}

/// The rows already stored for these tenancies: (tenancy id, effective_from) → row.
async fn stored<C: ConnectionTrait>(
    db: &C,
    tenancy_ids: Vec<i64>,
) -> Result<HashMap<(i64, NaiveDate), rent_change::Model>, sea_orm::DbErr> {
    Ok(rent_change::Entity::find()
        .filter(rent_change::Column::TenancyId.is_in(tenancy_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|r| ((r.tenancy_id, r.effective_from), r))
        .collect())
}

struct Validate<'a> {
    db: &'a DatabaseConnection,
    tenancies: TenancyIds,
    seen: SeenRefs,
}

impl AsyncChunkHandler<RentRow> for Validate<'_> {
    async fn handle(
        &mut self,
        chunk: Vec<RentRow>,
        errors: &mut Errors,
    ) -> Result<(), ImportFailure> {
        self.tenancies
            .resolve(self.db, chunk.iter().map(|r| &r.tenancy_reference))
            .await?;
        for row in &chunk {
            if self.tenancies.get(&row.tenancy_reference).is_none() {
                errors.push(
                    row.line,
                    "tenancy_reference",
                    format!("unknown tenancy {:?}", row.tenancy_reference),
                );
                continue;
            }
            // One rent per tenancy and date: the same row again is harmless.
            if self.seen.add(
                &row.key(),
                row.line,
                row.fingerprint(),
                "effective_from",
                errors,
            ) == RefUse::Clash
            {
                continue;
            }
        }
        Ok(())
    }
}

struct Write<'a, C: ConnectionTrait> {
    now: chrono::DateTime<chrono::Utc>,
    db: &'a C,
    batch_id: i64,
    tenancies: TenancyIds,
    /// Each tenancy's own rent period, for rows that leave it out.
    periods: HashMap<i64, RentPeriod>,
    inserted: u64,
    updated: u64,
    affected: HashSet<i64>,
}

impl<C: ConnectionTrait> AsyncChunkHandler<RentRow> for Write<'_, C> {
    async fn handle(
        &mut self,
        chunk: Vec<RentRow>,
        _errors: &mut Errors,
    ) -> Result<(), ImportFailure> {
        if chunk.is_empty() {
            return Ok(());
        }
        self.tenancies
            .resolve(self.db, chunk.iter().map(|r| &r.tenancy_reference))
            .await?;
        let ids: Vec<i64> = chunk
            .iter()
            .filter_map(|r| self.tenancies.get(&r.tenancy_reference))
            .collect();
        for t in tenancy::Entity::find()
            .filter(tenancy::Column::Id.is_in(ids.clone()))
            .all(self.db)
            .await?
        {
            let period = t.rent_period.parse().unwrap_or_default();
            self.periods.insert(t.id, period);
        }
        let mut existing = stored(self.db, ids).await?;
        for row in chunk {
            let Some(tenancy_id) = self.tenancies.get(&row.tenancy_reference) else {
                continue;
            };
            let period = row
                .period
                .or_else(|| self.periods.get(&tenancy_id).copied())
                .unwrap_or_default();
            match existing.get(&(tenancy_id, row.effective_from)) {
                Some(r)
                    if r.rent_period == period.as_str()
                        && r.rent_pence == row.rent.0
                        && r.service_charge_pence == row.service_charge.0 =>
                {
                    continue;
                }
                Some(r) => {
                    let mut a: rent_change::ActiveModel = r.clone().into();
                    a.rent_period = Set(period.as_str().to_owned());
                    a.rent_pence = Set(row.rent.0);
                    a.service_charge_pence = Set(row.service_charge.0);
                    a.import_batch_id = Set(Some(self.batch_id));
                    let stored = a.update(self.db).await?;
                    existing.insert((tenancy_id, row.effective_from), stored);
                    self.updated += 1;
                }
                None => {
                    let stored = rent_change::ActiveModel {
                        tenancy_id: Set(tenancy_id),
                        effective_from: Set(row.effective_from),
                        rent_period: Set(period.as_str().to_owned()),
                        rent_pence: Set(row.rent.0),
                        service_charge_pence: Set(row.service_charge.0),
                        import_batch_id: Set(Some(self.batch_id)),
                        created_at: Set(self.now),
                        ..Default::default()
                    }
                    .insert(self.db)
                    .await?;
                    existing.insert((tenancy_id, row.effective_from), stored);
                    self.inserted += 1;
                }
            }
            self.affected.insert(tenancy_id);
        }
        Ok(())
    }
}

/// Set a tenancy's current figures from the rent in force on `today` (its period and its
/// weekly equivalents).
pub(crate) async fn refresh_current<C: ConnectionTrait>(
    db: &C,
    tenancy_id: i64,
    today: NaiveDate,
) -> Result<(), sea_orm::DbErr> {
    let rows = crate::accounts::rent_changes(db, tenancy_id).await?;
    let changes =
        crate::facts::rent_changes_of(&rows).map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?;
    let Some(now) = rent_on(&changes, today) else {
        return Ok(());
    };
    let Some(t) = tenancy::Entity::find_by_id(tenancy_id).one(db).await? else {
        return Ok(());
    };
    let (rent, service) = (now.weekly_rent().0, now.weekly_service_charge().0);
    if t.weekly_rent_pence == rent
        && t.weekly_service_charge_pence == service
        && t.rent_period == now.period.as_str()
    {
        return Ok(());
    }
    let mut a: tenancy::ActiveModel = t.into();
    a.weekly_rent_pence = Set(rent);
    a.weekly_service_charge_pence = Set(service);
    a.rent_period = Set(now.period.as_str().to_owned());
    a.update(db).await?;
    Ok(())
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
    let parse = |row: &Row<'_>, errors: &mut Errors| parse_row(row, errors, max_amount);
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
        periods: HashMap::new(),
        inserted: 0,
        updated: 0,
        affected: HashSet::new(),
    };
    for_each_chunk(source, columns, &mut errors, parse, &mut write).await?;
    let (inserted, updated, affected) = (write.inserted, write.updated, write.affected);
    for &id in &affected {
        refresh_current(&txn, id, today).await?;
    }
    succeeded(txn, batch_id, rows_total, inserted, updated, affected, now).await
}
