use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "uc_claims")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenancy_id: i64,
    pub claim_start: Date,
    pub housing_costs_claimed: bool,
    pub monthly_housing_pence: Option<i64>,
    pub apa_status: String,
    pub paid_to_landlord: bool,
    pub reported_by: String,
    pub ended_on: Option<Date>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
