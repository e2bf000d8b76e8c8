//! sea-orm entities and the queries Rentdesk's server and worker need, named as intents
//! (`evaluate_all`, `account_view`, `import_transactions`), not as SQL.

pub mod accounts;
pub mod db;
pub mod entities;
pub mod evaluation;
pub mod facts;
pub mod imports;
pub mod outbox;
pub mod outreach;
pub mod seed;

pub use sea_orm::DatabaseConnection as Db;
