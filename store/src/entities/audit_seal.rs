use sea_orm::entity::prelude::*;

/// One link of the audit log's hash chain (`crate::audit_chain`).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_seals")]
pub struct Model {
    /// The chain position: 1, 2, 3, … without gaps.
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    /// The `audit_log` row this seal covers.
    #[sea_orm(unique)]
    pub entry_id: i64,
    /// The previous seal's `hash` (the genesis value for seq 1).
    pub prev_hash: String,
    /// SHA-256 of `prev_hash`, `seq` and the entry's content (hex).
    pub hash: String,
    pub sealed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
