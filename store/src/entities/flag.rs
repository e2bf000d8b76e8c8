use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "flags")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenancy_id: i64,
    pub tenant_id: Option<i64>,
    pub kind: String,
    pub no_automated_contact: bool,
    pub starts_on: Date,
    pub ends_on: Option<Date>,
    pub detail: String,
    pub set_by_staff_id: Option<i64>,
    pub created_at: DateTimeUtc,
    /// ended | cancelled | entered_in_error (`domain::flags::EndReason`); `None` while the
    /// flag runs as set. `entered_in_error`: withdrawn, it counts on no day.
    pub end_reason: Option<String>,
    pub end_note: Option<String>,
    pub ended_by_staff_id: Option<i64>,
    /// When the end or withdrawal was recorded.
    pub ended_at: Option<DateTimeUtc>,
    /// When the row last changed (set, ended, its end moved, redacted): the officer app's sync
    /// sends a flag changed since its cursor. `None` only on rows written without it.
    pub updated_at: Option<DateTimeUtc>,
    /// Breathing Space: the day the landlord was notified (`None`: the day it was recorded,
    /// `created_at`'s London date). The review deadline runs from it.
    pub notified_on: Option<Date>,
    /// Mental health crisis Breathing Space: the day the crisis treatment ended, when known
    /// (the last day is 30 days later).
    pub treatment_ended_on: Option<Date>,
    /// An imported flag's reference in the landlord's old system (unique); `None` for flags
    /// set in Rentdesk.
    pub external_ref: Option<String>,
    pub import_batch_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
