use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "visits")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenancy_id: i64,
    pub officer_id: i64,
    pub visit_date: Date,
    pub window_start: Option<String>,
    pub window_end: Option<String>,
    pub duration_minutes: i32,
    pub purpose: String,
    /// home_visit | tenancy_audit
    pub kind: String,
    pub status: crate::vocab::Stored<crate::vocab::VisitStatus>,
    #[sea_orm(unique)]
    pub client_id: String,
    pub action_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
