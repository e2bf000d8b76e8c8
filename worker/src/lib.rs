//! Rentdesk's job-queue workers (apalis 1.0).
//!
//! * [`Queues`] (from `rentdesk-jobs`) is the handle the API uses to enqueue jobs, over
//!   apalis-sqlite (embedded, one process) or apalis-redis (any number of server and worker
//!   processes).
//! * [`run`] runs the apalis `Monitor` with a worker per job type plus the nightly cron, until a
//!   shutdown future resolves.
//!
//! Jobs are thin shells around `rentdesk_store` calls; see [`jobs`].
//!
//! ```no_run
//! # async fn demo(db: sea_orm::DatabaseConnection) -> anyhow::Result<()> {
//! use rentdesk_worker::{QueueBackend, Queues, WorkerConfig};
//! let backend = QueueBackend::Sqlite { url: "sqlite://rentdesk.sqlite?mode=rwc".into() };
//! let queues = Queues::connect(&backend).await?;
//! queues.enqueue_import(42).await?; // from an API handler
//! let shutdown = async { let _ = tokio::signal::ctrl_c().await; };
//! tokio::spawn(rentdesk_worker::run(db, queues.clone(), WorkerConfig::default(), shutdown));
//! # Ok(()) }
//! ```

pub mod dispatch;
pub mod email;
#[cfg(feature = "test-fakes")]
pub mod fake_fcm;
#[cfg(feature = "test-fakes")]
pub mod fake_smtp;
#[cfg(feature = "test-fakes")]
pub mod fake_twilio;
pub mod jobs;
mod poll;
pub mod push;
mod retry;
pub mod retry_after;
mod runner;
pub mod sms;

pub use jobs::SubjectAccessExport;
pub use jobs::{
    EvaluateTenancies, ImportJob, JobContext, NightlyEvaluation, NightlyProgress, NightlyReport,
    NightlyStep, run_nightly,
};
pub use rentdesk_jobs::{MAX_ATTEMPTS, QueueBackend, Queues};
pub use runner::{DEFAULT_NIGHTLY_CRON, WorkerConfig, parse_cron, run};

#[cfg(test)]
mod config_tests;
#[cfg(test)]
mod tests;
