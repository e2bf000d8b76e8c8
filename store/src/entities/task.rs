use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "tasks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenancy_id: i64,
    pub kind: String,
    pub title: String,
    pub detail: String,
    pub due_on: Date,
    pub status: crate::vocab::Stored<crate::vocab::TaskStatus>,
    pub assigned_staff_id: Option<i64>,
    pub action_id: Option<i64>,
    pub rule_id: Option<String>,
    #[sea_orm(unique)]
    pub idempotency_key: Option<String>,
    pub created_at: DateTimeUtc,
    pub completed_at: Option<DateTimeUtc>,
    /// Last change (`None`: never changed since `created_at`).
    pub updated_at: Option<DateTimeUtc>,
    /// What the person who completed it recorded (`domain::tasks::outcomes`).
    pub outcome: Option<String>,
}

impl Model {
    /// The version an offline edit is checked against.
    pub fn version(&self) -> DateTimeUtc {
        self.updated_at.unwrap_or(self.created_at)
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
