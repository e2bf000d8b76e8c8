use sea_orm::entity::prelude::*;

/// The rent from one date on (issue 16): amounts per `rent_period`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "rent_changes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenancy_id: i64,
    pub effective_from: Date,
    pub rent_period: String,
    pub rent_pence: i64,
    pub service_charge_pence: i64,
    pub import_batch_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
