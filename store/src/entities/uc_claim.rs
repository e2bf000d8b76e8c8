use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "uc_claims")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenancy_id: i64,
    pub claim_start: Date,
    pub housing_costs_claimed: bool,
    pub monthly_housing_pence: Option<i64>,
    pub apa_status: String,
    pub paid_to_landlord: bool,
    pub reported_by: String,
    pub ended_on: Option<Date>,
    pub created_at: DateTimeUtc,
    /// The source's reference for an imported claim (unique); None for claims made in Rentdesk.
    pub external_ref: Option<String>,
    pub import_batch_id: Option<i64>,
    /// Managed payment to the landlord (APA) in place from / to (inclusive), when known.
    pub apa_from: Option<Date>,
    pub apa_to: Option<Date>,
    /// The day the landlord learned of the claim.
    pub learned_on: Option<Date>,
    /// The last day of the two-week Housing Benefit run-on when the tenant moved from HB to UC.
    pub hb_run_on_until: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
