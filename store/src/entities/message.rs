use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub idempotency_key: String,
    pub tenancy_id: i64,
    pub tenant_id: Option<i64>,
    pub channel: String,
    pub template: String,
    pub rule_id: Option<String>,
    pub campaign_id: Option<i64>,
    pub body: String,
    pub status: String,
    pub suppression_reason: Option<String>,
    pub provider_id: Option<String>,
    pub error: Option<String>,
    pub scheduled_for: Option<DateTimeUtc>,
    pub sent_at: Option<DateTimeUtc>,
    pub attempts: i32,
    pub language: String,
    /// Email subject and push title, as worded when the message was planned.
    pub subject: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
