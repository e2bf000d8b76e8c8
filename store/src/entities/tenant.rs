use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tenants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenancy_id: i64,
    pub full_name: String,
    pub date_of_birth: Option<Date>,
    pub is_lead: bool,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub preferred_channel: Option<String>,
    pub language: String,
    pub sms_enabled: bool,
    pub email_enabled: bool,
    pub push_enabled: bool,
    pub mobile_invalid: bool,
    pub email_invalid: bool,
    pub amounts_in_previews: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
