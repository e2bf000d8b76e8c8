//! sea-orm entities, one per table of the `rentdesk-migrations` schema.

pub mod account_summary;
pub mod action;
pub mod arrangement;
pub mod audit_entry;
pub mod campaign;
pub mod campaign_recipient;
pub mod case;
pub mod cover;
pub mod device;
pub mod export;
pub mod flag;
pub mod import_batch;
pub mod letter;
pub mod message;
pub mod outreach_config;
pub mod patch;
pub mod session;
pub mod sign_in_code;
pub mod sign_in_start;
pub mod staff_user;
pub mod task;
pub mod tenancy;
pub mod tenant;
pub mod transaction;
pub mod uc_claim;
pub mod visit;
