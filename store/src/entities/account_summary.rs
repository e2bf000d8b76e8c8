use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "account_summaries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenancy_id: i64,
    pub as_of: Date,
    pub balance_pence: i64,
    pub arrears_pence: i64,
    pub technical_arrears_pence: i64,
    pub real_arrears_pence: i64,
    pub technical_reason: Option<String>,
    pub weekly_charge_pence: i64,
    pub weeks_in_arrears_hundredths: Option<i64>,
    pub status: String,
    pub last_payment_on: Option<Date>,
    pub last_payment_pence: Option<i64>,
    pub next_charge_on: Option<Date>,
    pub expected_28d_pence: i64,
    pub received_28d_pence: i64,
    pub computed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
