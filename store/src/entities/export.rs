use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "exports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub tenancy_id: i64,
    pub requested_by: Option<i64>,
    pub status: crate::vocab::Stored<crate::vocab::ExportStatus>,
    pub json: Option<String>,
    pub pdf: Option<Vec<u8>>,
    pub error: Option<String>,
    pub created_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    /// When the sweep last queued its job again (issue 21); null: never.
    pub queued_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
