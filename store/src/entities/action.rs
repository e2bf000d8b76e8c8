use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "actions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenancy_id: i64,
    pub kind: crate::vocab::Stored<crate::vocab::ActionKind>,
    pub outcome: Option<String>,
    pub body: String,
    pub author_staff_id: Option<i64>,
    pub rule_id: Option<String>,
    pub facts: Option<String>,
    #[sea_orm(unique)]
    pub client_id: Option<String>,
    pub occurred_at: DateTimeUtc,
    /// Why a visit was made, when a rule depends on it: `tenancy_audit`.
    pub purpose: Option<String>,
    pub created_at: DateTimeUtc,
    /// An imported entry's reference in the landlord's old system (unique); `None` for entries
    /// written in Rentdesk.
    pub external_ref: Option<String>,
    pub import_batch_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
