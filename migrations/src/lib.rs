//! Rentdesk's schema, one file per change, each with `up` and `down`, portable across
//! PostgreSQL and SQLite (no backend-specific SQL).

pub use sea_orm_migration::prelude::*;

mod common;
mod m20261125_000001_foundation;
mod m20261125_000002_tenant_app;
mod m20261125_000004_officer_app;
mod m20261126_000001_message_dispatch_index;
mod m20261126_000002_message_language;
mod m20261129_000001_visits;
mod m20261129_000002_campaigns;
mod m20261129_000003_data_protection;
mod m20261129_000004_outreach_config;
mod m20261129_000005_task_versions;
mod m20261129_000006_letters;
mod m20261130_000101_tenancy_audits;
mod m20261130_000201_task_outcomes;
mod m20261130_000301_tenancy_moves;
mod m20261130_000401_flag_ends;
mod m20261130_000501_flag_changes;
mod m20261207_000101_flag_imports;
mod m20261207_000201_arrangement_imports;
mod m20261207_000301_action_imports;
mod m20261207_000401_uc_claim_imports;
mod m20261207_000501_queued_at;
mod m20261208_000201_rent_changes;
mod m20261208_000202_rent_period;
mod m20261208_000501_audit_seals;
mod m20261209_000401_account_weeks;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_foundation::Migration),
            Box::new(m20261125_000002_tenant_app::Migration),
            Box::new(m20261125_000004_officer_app::Migration),
            Box::new(m20261126_000001_message_dispatch_index::Migration),
            Box::new(m20261126_000002_message_language::Migration),
            Box::new(m20261129_000001_visits::Migration),
            Box::new(m20261129_000002_campaigns::Migration),
            Box::new(m20261129_000003_data_protection::Migration),
            Box::new(m20261129_000004_outreach_config::Migration),
            Box::new(m20261129_000005_task_versions::Migration),
            Box::new(m20261129_000006_letters::Migration),
            Box::new(m20261130_000101_tenancy_audits::Migration),
            Box::new(m20261130_000201_task_outcomes::Migration),
            Box::new(m20261130_000301_tenancy_moves::Migration),
            Box::new(m20261130_000401_flag_ends::Migration),
            Box::new(m20261130_000501_flag_changes::Migration),
            Box::new(m20261207_000101_flag_imports::Migration),
            Box::new(m20261207_000201_arrangement_imports::Migration),
            Box::new(m20261207_000301_action_imports::Migration),
            Box::new(m20261207_000401_uc_claim_imports::Migration),
            Box::new(m20261207_000501_queued_at::Migration),
            Box::new(m20261208_000201_rent_changes::Migration),
            Box::new(m20261208_000202_rent_period::Migration),
            Box::new(m20261208_000501_audit_seals::Migration),
            Box::new(m20261209_000401_account_weeks::Migration),
        ]
    }
}
