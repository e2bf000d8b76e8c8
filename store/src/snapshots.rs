//! Each account's figures at the end of given days (`account_weeks`, issue 22), so the
//! performance report adds up stored rows instead of running `arrears::summarise` over every
//! ledger for every rent week.
//!
//! A row is a cache of what the ledger and the account's facts give, never a record:
//! - it holds running totals of the ledger up to its day (balance, rent due, collected,
//!   written off), so the money of any period between two stored days is a difference, and
//!   the summary at its day (`summarise(facts, rows up to the day, day)`);
//! - it is only used while `facts_hash` matches the account's facts as the report computes them
//!   (rent changes, benefit, UC claim and its managed payment as of the report's end: the same
//!   facts the full computation uses for every week), and otherwise computed again;
//! - only days before today are stored (a later day's ledger may still grow);
//! - an import of transactions deletes the rows of its tenancies from its earliest posted day
//!   on ([`invalidate_from`]): the ledger is otherwise append-only.

use crate::entities::account_week;
use crate::evaluation::Scope;
use chrono::NaiveDate;
use rentdesk_domain::Pence;
use rentdesk_domain::arrears::{AccountFacts, summarise};
use rentdesk_domain::calendar::RentYear;
use rentdesk_domain::kpi::{is_collection, is_rent_due};
use rentdesk_domain::ledger::{LedgerEntry, TransactionKind};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

/// A fingerprint of everything besides the ledger that the stored figures depend on.
pub fn facts_hash(facts: &AccountFacts) -> i64 {
    let mut h = DefaultHasher::new();
    format!("{facts:?}").hash(&mut h);
    h.finish() as i64
}

pub use crate::evaluation::{AccountHead, load_heads};

/// The figures at the end of each of `days` (ascending) from the account's facts and its
/// ledger (in date order).
pub fn compute(
    tenancy_id: i64,
    facts: &AccountFacts,
    entries: &[LedgerEntry],
    days: &[NaiveDate],
) -> Vec<account_week::Model> {
    let hash = facts_hash(facts);
    let (mut balance, mut due, mut collected, mut written_off) = (0i64, 0i64, 0i64, 0i64);
    let mut upto = 0;
    days.iter()
        .map(|&day| {
            while let Some(e) = entries.get(upto).filter(|e| e.posted_on <= day) {
                balance = balance.wrapping_add(e.amount.0);
                if is_rent_due(e.kind) {
                    due = due.wrapping_add(e.amount.0);
                } else if is_collection(e.kind) {
                    collected = collected.wrapping_sub(e.amount.0);
                } else if e.kind == TransactionKind::WriteOff {
                    written_off = written_off.wrapping_sub(e.amount.0);
                }
                upto += 1;
            }
            let s = summarise(facts, &entries[..upto], day);
            account_week::Model {
                tenancy_id,
                on_date: day,
                facts_hash: hash,
                balance_pence: balance,
                rent_due_to_date_pence: due,
                collected_to_date_pence: collected,
                written_off_to_date_pence: written_off,
                arrears_pence: s.arrears.0,
                real_arrears_pence: s.real_arrears.0,
                technical_arrears_pence: s.technical_arrears.0,
                weeks_in_arrears_hundredths: s.weeks_in_arrears_hundredths,
                annual_rent_debit_pence: facts.schedule.annual_debit(RentYear::containing(day)).0,
                in_range: s.in_range(),
            }
        })
        .collect()
}

/// The stored rows of the tenancies in `scope` for `days`.
pub async fn stored(
    db: &DatabaseConnection,
    scope: &Scope<'_>,
    days: &[NaiveDate],
) -> Result<HashMap<(i64, NaiveDate), account_week::Model>, sea_orm::DbErr> {
    Ok(account_week::Entity::find()
        .filter(scope.of(account_week::Column::TenancyId))
        .filter(account_week::Column::OnDate.is_in(days.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|r| ((r.tenancy_id, r.on_date), r))
        .collect())
}

/// The advisory lock (PostgreSQL) between forgetting figures and storing them: an import takes
/// it exclusively, in its own transaction, before it deletes rows ([`invalidate_from`]); storing
/// takes it shared, or stores nothing if an import holds it.
const FIGURES_LOCK: i64 = 0x0052_454e_5457_4b53; // "RENTWKS"

/// Store `rows` (those for days before `today`), replacing what was there — but only for the
/// accounts whose ledger up to `to` is still what the rows were computed from: `counts` gives,
/// per tenancy, how many ledger rows posted on or before `to` the computation read (the ledger
/// only grows, so a changed count means rows were added since). Without this check a report
/// that read the ledgers just before a back-dated import committed, and stored its rows just
/// after the import forgot the old ones, would keep figures without the import's rows for good.
/// Returns how many rows were stored.
pub async fn store(
    db: &DatabaseConnection,
    rows: &[account_week::Model],
    today: NaiveDate,
    to: NaiveDate,
    counts: &HashMap<i64, u64>,
) -> Result<u64, sea_orm::DbErr> {
    use crate::entities::transaction;
    use account_week::Column as C;

    use sea_orm::{DbBackend, QuerySelect, Statement, TransactionTrait};
    let mut ids: Vec<i64> = rows.iter().map(|r| r.tenancy_id).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(0);
    }
    let txn = db.begin().await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        let got = txn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_try_advisory_xact_lock_shared($1) AS got",
                [FIGURES_LOCK.into()],
            ))
            .await?
            .map(|r| r.try_get::<bool>("", "got"))
            .transpose()?
            .unwrap_or(false);
        if !got {
            // An import is forgetting figures right now: store nothing this time.
            txn.rollback().await?;
            return Ok(0);
        }
    }
    let mut now_counts: HashMap<i64, u64> = HashMap::new();
    for chunk in ids.chunks(1000) {
        let found: Vec<(i64, i64)> = transaction::Entity::find()
            .select_only()
            .column(transaction::Column::TenancyId)
            .column_as(transaction::Column::Id.count(), "n")
            .filter(transaction::Column::TenancyId.is_in(chunk.iter().copied()))
            .filter(transaction::Column::PostedOn.lte(to))
            .group_by(transaction::Column::TenancyId)
            .into_tuple()
            .all(&txn)
            .await?;
        now_counts.extend(found.into_iter().map(|(t, n)| (t, n.max(0) as u64)));
    }
    let unchanged =
        |t: i64| counts.get(&t).copied().unwrap_or(0) == now_counts.get(&t).copied().unwrap_or(0);
    let keep: Vec<account_week::ActiveModel> = rows
        .iter()
        .filter(|r| r.on_date < today && unchanged(r.tenancy_id))
        .map(|r| r.clone().into())
        .collect();
    for batch in keep.chunks(1000) {
        account_week::Entity::insert_many(batch.to_vec())
            .on_conflict(
                OnConflict::columns([C::TenancyId, C::OnDate])
                    .update_columns([
                        C::FactsHash,
                        C::BalancePence,
                        C::RentDueToDatePence,
                        C::CollectedToDatePence,
                        C::WrittenOffToDatePence,
                        C::ArrearsPence,
                        C::RealArrearsPence,
                        C::TechnicalArrearsPence,
                        C::WeeksInArrearsHundredths,
                        C::AnnualRentDebitPence,
                        C::InRange,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(keep.len() as u64)
}

/// Forget the stored figures of `tenancy_ids` from `from` on: rows were posted on that day.
pub async fn invalidate_from<C: ConnectionTrait>(
    db: &C,
    tenancy_ids: &[i64],
    from: NaiveDate,
) -> Result<(), sea_orm::DbErr> {
    use sea_orm::{DbBackend, Statement};
    let mut ids = tenancy_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if db.get_database_backend() == DbBackend::Postgres {
        // Held until the import commits: a report storing figures waits for it or stores
        // nothing ([`store`]), so none computed before the import survives its delete.
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [FIGURES_LOCK.into()],
        ))
        .await?;
    }
    for chunk in ids.chunks(1000) {
        account_week::Entity::delete_many()
            .filter(account_week::Column::TenancyId.is_in(chunk.iter().copied()))
            .filter(account_week::Column::OnDate.gte(from))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// The money in a period between two stored days: (rent due, collected, written off).
pub fn money_between(before: &account_week::Model, end: &account_week::Model) -> [Pence; 3] {
    [
        Pence(
            end.rent_due_to_date_pence
                .wrapping_sub(before.rent_due_to_date_pence),
        ),
        Pence(
            end.collected_to_date_pence
                .wrapping_sub(before.collected_to_date_pence),
        ),
        Pence(
            end.written_off_to_date_pence
                .wrapping_sub(before.written_off_to_date_pence),
        ),
    ]
}
