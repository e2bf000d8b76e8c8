//! The HTTP API, one module per audience, each a small `#[OpenApi]` impl.

pub mod campaigns;
pub mod common;
pub mod data_protection;
pub mod dev_outbox;
pub mod health;
pub mod manage;
pub mod officer;
pub mod outreach_config;
pub mod people;
pub mod reports;
pub mod sign_in_limits;
pub mod tenant;
pub mod unsubscribe;
pub mod vocab;
pub mod webhooks;

use poem_openapi::Tags;

#[derive(Tags)]
pub enum ApiTags {
    /// Liveness and readiness.
    Service,
    /// Team leaders and administrators: accounts, imports.
    Manage,
    /// The officer app: staff sign-in, accounts, the action diary, tasks, flags, cover.
    Officer,
    /// The tenant app: sign-in, account, statement, plans, reports, preferences.
    Tenant,
}
