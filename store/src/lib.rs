//! sea-orm entities and the queries Rentdesk's server and worker need, named as intents
//! (`evaluate_all`, `account_view`, `import_transactions`), not as SQL.

pub mod accounts;
pub mod audit;
pub mod audit_chain;
pub mod auth;
pub mod campaigns;
pub mod caseload;
pub mod cases;
pub mod clock;
pub mod db;
pub mod diary;
pub mod entities;
pub mod evaluation;
pub mod facts;
pub mod flags;
pub mod imports;
pub mod letters;
pub mod lived_in;
pub mod officer;
pub mod outbox;
pub mod outreach;
pub mod outreach_config;
pub mod pdf;
pub mod people;
pub mod plans;
pub mod possession;
pub mod reports;
pub mod retention;
pub mod seed;
pub mod sms_events;
pub mod snapshots;
pub mod staff;
pub mod statement;
pub mod steps;
pub mod subject_access;
pub mod sweep;
pub mod sync;
pub mod tasks;
pub mod tenancy_audits;
pub mod tenant_app;
pub mod visits;
pub mod vocab;

pub use sea_orm::DatabaseConnection as Db;

pub use clock::Clock;
