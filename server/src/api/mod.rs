//! The HTTP API, one module per audience, each a small `#[OpenApi]` impl.

pub mod health;
pub mod manage;

use poem_openapi::Tags;

#[derive(Tags)]
pub enum ApiTags {
    /// Liveness and readiness.
    Service,
    /// Team leaders and administrators: accounts, imports.
    Manage,
}
