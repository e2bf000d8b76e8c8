use sea_orm::entity::prelude::*;

/// An account moved between patches (`None`: no patch).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "tenancy_moves")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenancy_id: i64,
    pub from_patch_id: Option<i64>,
    pub to_patch_id: Option<i64>,
    pub moved_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
