use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
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

impl ActiveModel {
    /// A person on a tenancy with the default contact preferences: every channel on, contact
    /// details presumed valid, no amounts in message previews (docs/contact.md#keep-the-debt-private).
    pub fn person(
        tenancy_id: i64,
        full_name: String,
        date_of_birth: Option<Date>,
        is_lead: bool,
        mobile: Option<String>,
        email: Option<String>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> ActiveModel {
        use sea_orm::Set;
        ActiveModel {
            tenancy_id: Set(tenancy_id),
            full_name: Set(full_name),
            date_of_birth: Set(date_of_birth),
            is_lead: Set(is_lead),
            mobile: Set(mobile),
            email: Set(email),
            preferred_channel: Set(None),
            language: Set("en".into()),
            sms_enabled: Set(true),
            email_enabled: Set(true),
            push_enabled: Set(true),
            mobile_invalid: Set(false),
            email_invalid: Set(false),
            amounts_in_previews: Set(false),
            created_at: Set(now),
            ..Default::default()
        }
    }
}
