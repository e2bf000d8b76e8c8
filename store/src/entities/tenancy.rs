use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "tenancies")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub reference: String,
    pub tenure: String,
    pub status: String,
    pub address_line1: String,
    pub address_line2: Option<String>,
    pub town: String,
    pub postcode: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub patch_id: Option<i64>,
    pub start_date: Date,
    pub end_date: Option<Date>,
    pub weekly_rent_pence: i64,
    pub weekly_service_charge_pence: i64,
    /// How often rent is payable: weekly, fortnightly, four_weekly, monthly (issue 20). The
    /// weekly figures above are today's rent as a weekly equivalent.
    pub rent_period: String,
    pub rent_free_weeks: String,
    pub rent_free_only_when_clear: bool,
    pub periodic_service_charge_pence: Option<i64>,
    pub periodic_service_charge_frequency: Option<String>,
    pub payment_method: String,
    pub self_pay_pence: Option<i64>,
    pub self_pay_frequency: Option<String>,
    pub self_pay_anchor: Option<Date>,
    pub hb_weekly_pence: Option<i64>,
    pub hb_first_pay_date: Option<Date>,
    /// Last day of HB entitlement, when the HB team ended the claim.
    pub hb_end_date: Option<Date>,
    /// The last tenancy audit the housing system knows of (imported); audits recorded in
    /// Rentdesk's diary count too (`crate::tenancy_audits`).
    pub last_audit_on: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Set when retention removed the personal data (the figures stay).
    pub anonymised_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
