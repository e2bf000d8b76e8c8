use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "arrangements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenancy_id: i64,
    pub status: String,
    pub frequency: String,
    pub instalment_pence: i64,
    pub includes_rent: bool,
    pub start_date: Date,
    pub end_date: Option<Date>,
    pub arrears_at_start_pence: i64,
    pub created_by_staff_id: Option<i64>,
    pub proposed_by_tenant: bool,
    pub agreement_text: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub income_expenditure: Option<String>,
    pub review_reason: Option<String>,
    pub cancel_reason: Option<String>,
    pub cancelled_at: Option<DateTimeUtc>,
    /// An imported arrangement's reference in the landlord's old system (unique); `None` for
    /// arrangements made in Rentdesk.
    pub external_ref: Option<String>,
    pub import_batch_id: Option<i64>,
    /// Imported: the day it was agreed in the old system.
    pub agreed_on: Option<Date>,
    /// Imported: who agreed it, as the file names them (a staff email is also resolved to
    /// `created_by_staff_id`).
    pub agreed_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
