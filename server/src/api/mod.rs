//! The HTTP API, one module per audience, each a small `#[OpenApi]` impl.

pub mod health;
pub mod manage;
pub mod tenant;
pub mod webhooks;

use poem_openapi::Tags;

#[derive(Tags)]
pub enum ApiTags {
    /// Liveness and readiness.
    Service,
    /// Team leaders and administrators: accounts, imports.
    Manage,
    /// The tenant app: sign-in, account, statement, plans, reports, preferences.
    Tenant,
}
