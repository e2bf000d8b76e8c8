//! Evaluation: recompute each account's summary through `domain::arrears::summarise` and store
//! it in `account_summaries` (a cache of derived figures; the ledger stays the truth).
//!
//! Work is done in chunks of tenancy ids so memory stays bounded however many accounts there
//! are, and each chunk's summaries are written in one statement (insert … on conflict update),
//! so a crash leaves every summary either old or new, never half-written.

use crate::entities::{account_summary, rent_change, tenancy, transaction, uc_claim};
use crate::facts::{account_facts, ledger_entry};
use chrono::{NaiveDate, Utc};
use futures::{StreamExt, TryStreamExt};
use rentdesk_domain::arrears::{AccountSummary, ArrearsStatus, summarise};
use rentdesk_domain::ledger::LedgerEntry;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::HashMap;

const CHUNK: usize = 1000;
const PARALLEL_CHUNKS: usize = 4;

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EvaluationReport {
    pub accounts: u64,
    pub in_arrears: u64,
    pub technical_only: u64,
    /// Accounts skipped because their figures are out of range (corrupt stored amounts); each
    /// is logged and has an officer task.
    #[serde(default)]
    pub out_of_range: u64,
}

impl EvaluationReport {
    fn add(&mut self, other: &EvaluationReport) {
        self.accounts += other.accounts;
        self.in_arrears += other.in_arrears;
        self.technical_only += other.technical_only;
        self.out_of_range += other.out_of_range;
    }
}

/// Recompute and store the summary of every tenancy as of `today`.
#[tracing::instrument(skip_all, fields(%today))]
pub async fn evaluate_all(
    db: &DatabaseConnection,
    today: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<EvaluationReport> {
    let ids: Vec<i64> = tenancy::Entity::find()
        .select_only()
        .column(tenancy::Column::Id)
        .order_by_asc(tenancy::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    evaluate_sorted(db, &ids, today, now).await
}

/// Recompute and store the summary of the given tenancies (after new data arrives).
#[tracing::instrument(skip_all, fields(%today, count = tenancy_ids.len()))]
pub async fn evaluate_tenancies(
    db: &DatabaseConnection,
    tenancy_ids: &[i64],
    today: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<EvaluationReport> {
    let mut ids = tenancy_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    evaluate_sorted(db, &ids, today, now).await
}

async fn evaluate_sorted(
    db: &DatabaseConnection,
    ids: &[i64],
    today: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<EvaluationReport> {
    // Owned chunks: a stream of futures borrowing `ids` is not `Send` for every lifetime,
    // which the job runner needs.
    let chunks: Vec<Vec<i64>> = ids.chunks(CHUNK).map(<[i64]>::to_vec).collect();
    let reports: Vec<EvaluationReport> = futures::stream::iter(chunks)
        .map(|chunk| async move { evaluate_chunk(db, &chunk, today, now).await })
        .buffer_unordered(PARALLEL_CHUNKS)
        .try_collect()
        .await?;
    let mut total = EvaluationReport::default();
    for r in &reports {
        total.add(r);
    }
    tracing::info!(
        accounts = total.accounts,
        in_arrears = total.in_arrears,
        out_of_range = total.out_of_range,
        "evaluation finished"
    );
    Ok(total)
}

/// A sorted set of tenancy ids, queried as a range when it is one (cheaper than IN).
pub struct Scope<'a> {
    ids: &'a [i64],
    contiguous: bool,
}

impl<'a> Scope<'a> {
    /// `ids` must be sorted and free of duplicates.
    pub fn new(ids: &'a [i64]) -> Scope<'a> {
        let contiguous = match (ids.first(), ids.last()) {
            (Some(&lo), Some(&hi)) => (hi - lo) as usize + 1 == ids.len(),
            _ => true,
        };
        Scope { ids, contiguous }
    }

    /// The condition "`column` is one of these tenancy ids".
    pub fn of<C: ColumnTrait>(&self, column: C) -> sea_orm::sea_query::SimpleExpr {
        match (self.contiguous, self.ids.first(), self.ids.last()) {
            (true, Some(&lo), Some(&hi)) => column.between(lo, hi),
            _ => column.is_in(self.ids.iter().copied()),
        }
    }
}

/// One account with everything the arrears rules need, loaded in bulk.
pub struct LoadedAccount {
    pub tenancy: tenancy::Model,
    pub claim: Option<uc_claim::Model>,
    pub facts: rentdesk_domain::arrears::AccountFacts,
    pub entries: Vec<LedgerEntry>,
    pub summary: rentdesk_domain::arrears::AccountSummary,
}

/// Load and summarise the accounts in `scope` as of `today` (four queries, whatever the count).
/// An account whose figures are out of range (`AccountSummary::in_range`: a corrupt stored
/// amount) is left out with a warning: one bad account must not take down a caseload, a
/// report or a campaign (issue 15). The nightly evaluation raises the officer's task for it.
pub async fn load_accounts(
    db: &DatabaseConnection,
    scope: &Scope<'_>,
    today: NaiveDate,
) -> anyhow::Result<Vec<LoadedAccount>> {
    let (accounts, _) = load_accounts_split(db, scope, today).await?;
    Ok(accounts)
}

/// An account left out of lists because its figures are out of range.
pub struct OutOfRange {
    pub tenancy_id: i64,
    pub reference: String,
    pub reason: String,
}

/// One account's tenancy, latest UC claim and facts as of `on`, without its ledger (what [`load_accounts`] starts
/// from; the stored week figures use it too, so their facts are the same).
pub struct AccountHead {
    pub tenancy: tenancy::Model,
    pub claim: Option<uc_claim::Model>,
    pub facts: rentdesk_domain::arrears::AccountFacts,
}

pub async fn load_heads(
    db: &DatabaseConnection,
    scope: &Scope<'_>,
    on: NaiveDate,
) -> anyhow::Result<Vec<AccountHead>> {
    let tenancies = tenancy::Entity::find()
        .filter(scope.of(tenancy::Column::Id))
        .all(db)
        .await?;
    let mut claims: HashMap<i64, uc_claim::Model> = HashMap::new();
    for claim in uc_claim::Entity::find()
        .filter(scope.of(uc_claim::Column::TenancyId))
        .order_by_asc(uc_claim::Column::ClaimStart)
        .all(db)
        .await?
    {
        claims.insert(claim.tenancy_id, claim);
    }
    let mut rents: HashMap<i64, Vec<rent_change::Model>> = HashMap::new();
    for r in rent_change::Entity::find()
        .filter(scope.of(rent_change::Column::TenancyId))
        .all(db)
        .await?
    {
        rents.entry(r.tenancy_id).or_default().push(r);
    }
    let mut out = Vec::with_capacity(tenancies.len());
    for t in tenancies {
        let claim = claims.remove(&t.id);
        let rent = rents.remove(&t.id).unwrap_or_default();
        let facts = account_facts(&t, claim.as_ref(), &rent, on)?;
        out.push(AccountHead {
            tenancy: t,
            claim,
            facts,
        });
    }
    Ok(out)
}

/// [`load_accounts`], and the accounts it left out (each logged once here).
pub async fn load_accounts_split(
    db: &DatabaseConnection,
    scope: &Scope<'_>,
    today: NaiveDate,
) -> anyhow::Result<(Vec<LoadedAccount>, Vec<OutOfRange>)> {
    let heads = load_heads(db, scope, today).await?;
    let rows: Vec<(i64, i64, NaiveDate, String, i64, Option<String>)> = transaction::Entity::find()
        .select_only()
        .columns([
            transaction::Column::Id,
            transaction::Column::TenancyId,
            transaction::Column::PostedOn,
            transaction::Column::Kind,
            transaction::Column::AmountPence,
            transaction::Column::Method,
        ])
        .filter(scope.of(transaction::Column::TenancyId))
        .filter(transaction::Column::PostedOn.lte(today))
        .order_by_asc(transaction::Column::TenancyId)
        .order_by_asc(transaction::Column::PostedOn)
        .order_by_asc(transaction::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut ledgers: HashMap<i64, Vec<LedgerEntry>> = HashMap::new();
    for (id, tenancy_id, posted_on, kind, amount, method) in rows {
        ledgers.entry(tenancy_id).or_default().push(ledger_entry(
            id,
            posted_on,
            &kind,
            amount,
            method.as_deref(),
        )?);
    }
    let mut out = Vec::with_capacity(heads.len());
    let mut skipped = vec![];
    for AccountHead {
        tenancy: t,
        claim,
        facts,
    } in heads
    {
        let entries = ledgers.remove(&t.id).unwrap_or_default();
        let summary = summarise(&facts, &entries, today);
        if let Some(reason) = summary.out_of_range_reason() {
            tracing::warn!(
                tenancy_id = t.id,
                reference = %t.reference,
                "account left out: {reason}"
            );
            skipped.push(OutOfRange {
                tenancy_id: t.id,
                reference: t.reference,
                reason,
            });
            continue;
        }
        out.push(LoadedAccount {
            tenancy: t,
            claim,
            facts,
            entries,
            summary,
        });
    }
    Ok((out, skipped))
}

/// The officer's task for an account left out of lists (once per account: the ledger is
/// append-only, so it stays out until a correcting line brings it back into range).
async fn raise_out_of_range_tasks(
    db: &DatabaseConnection,
    skipped: &[OutOfRange],
    today: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sea_orm::DbErr> {
    for s in skipped {
        crate::tasks::raise(
            db,
            crate::vocab::ActionKind::Note,
            &format!(
                "Account left out of the caseload and reports: {}.",
                s.reason
            ),
            crate::tasks::NewTask {
                tenancy_id: s.tenancy_id,
                kind: rentdesk_domain::tasks::ACCOUNT_OUT_OF_RANGE,
                title: format!("Account {} has figures out of range", s.reference),
                detail: format!(
                    "{}. Find the ledger line at fault and have it reversed or corrected in the \
                     housing system; until then the account is left out of the caseload, \
                     reports and campaigns.",
                    s.reason
                ),
                due_on: rentdesk_domain::tasks::due_on(
                    today,
                    rentdesk_domain::tasks::DueIn::AccountOutOfRange,
                ),
                rule_id: Some(rentdesk_domain::tasks::ACCOUNT_OUT_OF_RANGE),
                idempotency_key: Some(format!(
                    "{}:{}",
                    rentdesk_domain::tasks::ACCOUNT_OUT_OF_RANGE,
                    s.tenancy_id
                )),
            },
            now,
        )
        .await?;
    }
    Ok(())
}

/// A tenancy's current rent figures (`weekly_rent_pence`, `weekly_service_charge_pence`,
/// `rent_period`) set from its rent history's row in force on `today`, for the tenancies whose
/// row says otherwise: a rent change dated in the future takes effect on its own day at the
/// first evaluation on or after it, not only when the history is imported again (issue 16).
/// Only a changed row is written (so a second run writes nothing), with `updated_at` so an
/// officer's device syncs it. Tenancies without a history are left as they are.
async fn refresh_rent_in_force(
    db: &DatabaseConnection,
    accounts: &[LoadedAccount],
    today: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<u64> {
    let mut written = 0;
    for a in accounts {
        let Some(rent) = rentdesk_domain::rent::rent_on(&a.facts.schedule.rent_changes, today)
        else {
            continue;
        };
        let t = &a.tenancy;
        let (weekly_rent, weekly_service, period) = (
            rent.weekly_rent().0,
            rent.weekly_service_charge().0,
            rent.period.as_str(),
        );
        if t.weekly_rent_pence == weekly_rent
            && t.weekly_service_charge_pence == weekly_service
            && t.rent_period == period
        {
            continue;
        }
        tenancy::Entity::update_many()
            .col_expr(tenancy::Column::WeeklyRentPence, Expr::value(weekly_rent))
            .col_expr(
                tenancy::Column::WeeklyServiceChargePence,
                Expr::value(weekly_service),
            )
            .col_expr(tenancy::Column::RentPeriod, Expr::value(period))
            .col_expr(tenancy::Column::UpdatedAt, Expr::value(now))
            .filter(tenancy::Column::Id.eq(t.id))
            .exec(db)
            .await?;
        tracing::info!(
            tenancy_id = t.id,
            %today,
            weekly_rent,
            weekly_service,
            period,
            "rent in force refreshed"
        );
        written += 1;
    }
    Ok(written)
}

/// `ids` is sorted; every id between its first and last that is not in it is skipped.
async fn evaluate_chunk(
    db: &DatabaseConnection,
    ids: &[i64],
    today: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<EvaluationReport> {
    let (accounts, skipped) = load_accounts_split(db, &Scope::new(ids), today).await?;
    raise_out_of_range_tasks(db, &skipped, today, now).await?;
    refresh_rent_in_force(db, &accounts, today, now).await?;
    let computed_at = now;
    let mut report = EvaluationReport {
        out_of_range: skipped.len() as u64,
        ..Default::default()
    };
    let mut models = Vec::with_capacity(accounts.len());
    for a in &accounts {
        report.accounts += 1;
        match a.summary.status {
            ArrearsStatus::InArrears => report.in_arrears += 1,
            ArrearsStatus::TechnicalOnly => report.technical_only += 1,
            ArrearsStatus::Clear => {}
        }
        models.push(summary_row(a.tenancy.id, &a.summary, computed_at));
    }
    store_summaries(db, models).await?;
    Ok(report)
}

pub fn status_str(status: ArrearsStatus) -> &'static str {
    match status {
        ArrearsStatus::Clear => "clear",
        ArrearsStatus::TechnicalOnly => "technical_only",
        ArrearsStatus::InArrears => "in_arrears",
    }
}

fn summary_row(
    tenancy_id: i64,
    s: &AccountSummary,
    computed_at: chrono::DateTime<Utc>,
) -> account_summary::ActiveModel {
    account_summary::ActiveModel {
        tenancy_id: Set(tenancy_id),
        as_of: Set(s.as_of),
        balance_pence: Set(s.balance.0),
        arrears_pence: Set(s.arrears.0),
        technical_arrears_pence: Set(s.technical_arrears.0),
        real_arrears_pence: Set(s.real_arrears.0),
        technical_reason: Set(s.technical_reason.clone()),
        weekly_charge_pence: Set(s.weekly_charge.0),
        weeks_in_arrears_hundredths: Set(s.weeks_in_arrears_hundredths),
        status: Set(status_str(s.status).to_owned()),
        last_payment_on: Set(s.last_payment.map(|p| p.date)),
        last_payment_pence: Set(s.last_payment.map(|p| p.amount.0)),
        next_charge_on: Set(s.next_charge_date),
        expected_28d_pence: Set(s.expected_last_28_days.0),
        received_28d_pence: Set(s.received_last_28_days.0),
        computed_at: Set(computed_at),
    }
}

async fn store_summaries(
    db: &DatabaseConnection,
    models: Vec<account_summary::ActiveModel>,
) -> anyhow::Result<()> {
    use account_summary::Column as C;
    if models.is_empty() {
        return Ok(());
    }
    account_summary::Entity::insert_many(models)
        .on_conflict(
            OnConflict::column(C::TenancyId)
                .update_columns([
                    C::AsOf,
                    C::BalancePence,
                    C::ArrearsPence,
                    C::TechnicalArrearsPence,
                    C::RealArrearsPence,
                    C::TechnicalReason,
                    C::WeeklyChargePence,
                    C::WeeksInArrearsHundredths,
                    C::Status,
                    C::LastPaymentOn,
                    C::LastPaymentPence,
                    C::NextChargeOn,
                    C::Expected28dPence,
                    C::Received28dPence,
                    C::ComputedAt,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}
