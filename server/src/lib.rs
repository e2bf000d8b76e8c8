//! Rentdesk's HTTP server (poem + poem-openapi). The `rentdesk` binary (`app/`) runs it beside
//! the worker.

pub mod api;
pub mod auth;
pub mod console;
pub mod contract;
/// The one typed configuration, shared with `rentdesk-worker` (`rentdesk-config`).
pub use rentdesk_config as config;
pub mod problem;
pub mod spec;
pub mod startup;
pub mod state;
