use sea_orm::entity::prelude::*;

/// One account's figures at the end of `on_date` (issue 22): a cache for the performance
/// report, valid while `facts_hash` matches the account's facts (`store::snapshots`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_weeks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenancy_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub on_date: Date,
    pub facts_hash: i64,
    /// Every ledger row posted on or before `on_date`, summed (wrapping: only differences of
    /// these running totals are read).
    pub balance_pence: i64,
    pub rent_due_to_date_pence: i64,
    pub collected_to_date_pence: i64,
    pub written_off_to_date_pence: i64,
    pub arrears_pence: i64,
    pub real_arrears_pence: i64,
    pub technical_arrears_pence: i64,
    pub weeks_in_arrears_hundredths: Option<i64>,
    pub annual_rent_debit_pence: i64,
    pub in_range: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
