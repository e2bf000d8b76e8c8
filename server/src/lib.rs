//! Rentdesk's HTTP server (poem + poem-openapi) and the `rentdesk` command line.

pub mod api;
pub mod auth;
pub mod cli;
pub mod contract;
/// The one typed configuration, shared with `rentdesk-worker`.
pub use rentdesk_worker::settings as config;
pub mod problem;
pub mod spec;
pub mod startup;
pub mod state;
