use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "import_batches")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub filename: String,
    pub status: crate::vocab::Stored<crate::vocab::ImportBatchStatus>,
    pub content: Option<Vec<u8>>,
    pub rows_total: i64,
    pub rows_inserted: i64,
    pub rows_unchanged: i64,
    pub errors: Option<String>,
    pub source: Option<String>,
    pub created_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    /// When the sweep last queued its job again (issue 21); null: never.
    pub queued_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
