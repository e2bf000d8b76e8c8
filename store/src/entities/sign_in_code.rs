use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "sign_in_codes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: i64,
    #[sea_orm(unique)]
    pub challenge: String,
    pub code_hash: String,
    pub expires_at: DateTimeUtc,
    pub attempts: i32,
    pub consumed_at: Option<DateTimeUtc>,
    pub client_addr: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
