//! One account as people see it: the tenancy, its patch and lead tenant, and its summary
//! computed live from the ledger through `domain::arrears::summarise`.

use crate::entities::{patch, rent_change, tenancy, tenant, transaction, uc_claim};
use crate::facts::{account_facts, ledger_entry};
use chrono::NaiveDate;
use rentdesk_domain::arrears::{AccountFacts, AccountSummary, summarise};
use rentdesk_domain::ledger::LedgerEntry;
use rentdesk_domain::rent::RentChange;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

pub struct AccountView {
    pub tenancy: tenancy::Model,
    pub patch: Option<patch::Model>,
    pub lead_tenant: Option<tenant::Model>,
    pub summary: AccountSummary,
    /// The rent in force on the day summarised (`ChargeSchedule::rent_on`): its period and the
    /// rent and service charge per period as charged. Without a rent history, today's weekly
    /// figures carried onto the tenancy's period.
    pub rent: RentChange,
    /// The day `rent` took effect, when the rent history says (none without a history).
    pub rent_since: Option<NaiveDate>,
}

/// The open UC claim a tenancy's figures should use: the latest by start date.
pub async fn current_uc_claim<C: ConnectionTrait>(
    db: &C,
    tenancy_id: i64,
) -> Result<Option<uc_claim::Model>, sea_orm::DbErr> {
    uc_claim::Entity::find()
        .filter(uc_claim::Column::TenancyId.eq(tenancy_id))
        .order_by_desc(uc_claim::Column::ClaimStart)
        .one(db)
        .await
}

/// A tenancy's rent history rows (issue 16), oldest first.
pub async fn rent_changes<C: ConnectionTrait>(
    db: &C,
    tenancy_id: i64,
) -> Result<Vec<rent_change::Model>, sea_orm::DbErr> {
    rent_change::Entity::find()
        .filter(rent_change::Column::TenancyId.eq(tenancy_id))
        .order_by_asc(rent_change::Column::EffectiveFrom)
        .all(db)
        .await
}

pub async fn ledger<C: ConnectionTrait>(
    db: &C,
    tenancy_id: i64,
    up_to: NaiveDate,
) -> anyhow::Result<Vec<LedgerEntry>> {
    let rows: Vec<(i64, NaiveDate, String, i64, Option<String>)> = transaction::Entity::find()
        .select_only()
        .columns([
            transaction::Column::Id,
            transaction::Column::PostedOn,
            transaction::Column::Kind,
            transaction::Column::AmountPence,
            transaction::Column::Method,
        ])
        .filter(transaction::Column::TenancyId.eq(tenancy_id))
        .filter(transaction::Column::PostedOn.lte(up_to))
        .order_by_asc(transaction::Column::PostedOn)
        .order_by_asc(transaction::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, d, k, a, m)| ledger_entry(id, d, &k, a, m.as_deref()))
        .collect::<Result<_, _>>()?)
}

pub async fn account_by_reference<C: ConnectionTrait>(
    db: &C,
    reference: &str,
    today: NaiveDate,
) -> anyhow::Result<Option<AccountView>> {
    let Some(t) = tenancy::Entity::find()
        .filter(tenancy::Column::Reference.eq(reference))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(full_account_of(db, t, today).await?.view))
}

/// An account with everything the rules ran on: the view, the facts and the ledger.
pub struct FullAccount {
    pub view: AccountView,
    pub facts: AccountFacts,
    pub entries: Vec<LedgerEntry>,
    pub claim: Option<uc_claim::Model>,
    /// The configured broken-arrangement grace (`cases::instalment_grace_days`) the plan's
    /// progress is judged with.
    pub instalment_grace_days: u32,
}

pub async fn full_account<C: ConnectionTrait>(
    db: &C,
    tenancy_id: i64,
    today: NaiveDate,
) -> anyhow::Result<Option<FullAccount>> {
    match tenancy::Entity::find_by_id(tenancy_id).one(db).await? {
        Some(t) => Ok(Some(full_account_of(db, t, today).await?)),
        None => Ok(None),
    }
}

/// [`full_account`] of a tenancy row the caller already holds (the API's `me` loaded it with
/// the caller's person): one statement fewer than loading it again by id.
pub async fn full_account_of<C: ConnectionTrait>(
    db: &C,
    t: tenancy::Model,
    today: NaiveDate,
) -> anyhow::Result<FullAccount> {
    let claim = current_uc_claim(db, t.id).await?;
    let rents = rent_changes(db, t.id).await?;
    let facts = account_facts(&t, claim.as_ref(), &rents, today)?;
    let entries = ledger(db, t.id, today).await?;
    let summary = summarise(&facts, &entries, today);
    let patch = match t.patch_id {
        Some(id) => patch::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let lead_tenant = tenant::Entity::find()
        .filter(tenant::Column::TenancyId.eq(t.id))
        .order_by_desc(tenant::Column::IsLead)
        .order_by_asc(tenant::Column::Id)
        .one(db)
        .await?;
    let rent = facts.schedule.rent_on(today);
    let rent_since = (!facts.schedule.rent_changes.is_empty()).then_some(rent.effective_from);
    Ok(FullAccount {
        view: AccountView {
            tenancy: t,
            patch,
            lead_tenant,
            summary,
            rent,
            rent_since,
        },
        facts,
        entries,
        claim,
        instalment_grace_days: crate::cases::instalment_grace_days(db).await?,
    })
}
