use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "campaigns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub team: Option<String>,
    pub created_by: Option<i64>,
    pub segment: String,
    pub channels: String,
    pub templates: String,
    pub schedule_at: Option<DateTimeUtc>,
    pub throttle_per_minute: Option<i32>,
    pub ends_on: Option<Date>,
    pub ends_at: Option<DateTimeUtc>,
    pub control_percent: i32,
    pub status: String,
    pub launched_at: Option<DateTimeUtc>,
    pub planned_at: Option<DateTimeUtc>,
    /// When the sweep last queued its job again (issue 21); null: never.
    pub queued_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
