use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "transactions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenancy_id: i64,
    pub posted_on: Date,
    pub kind: String,
    pub amount_pence: i64,
    pub method: Option<String>,
    #[sea_orm(unique)]
    pub external_ref: String,
    pub description: Option<String>,
    pub import_batch_id: Option<i64>,
    pub reverses_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
