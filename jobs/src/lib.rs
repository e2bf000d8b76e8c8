//! What the API needs to hand work to the worker: the queue handle ([`Queues`], over
//! apalis-sqlite or apalis-redis), the job payloads, and one `enqueue_*` per kind of job.
//! The worker (`rentdesk-worker`) runs them; this crate links no provider client and no job
//! logic, so the HTTP server depends on it instead of on the worker.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use rentdesk_jobs::{QueueBackend, Queues};
//! let backend = QueueBackend::Sqlite { url: "sqlite://rentdesk.sqlite?mode=rwc".into() };
//! let queues = Queues::connect(&backend).await?;
//! queues.enqueue_import(42).await?; // from an API handler
//! # Ok(()) }
//! ```

use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

mod queue;

pub use queue::{MAX_ATTEMPTS, QueueConn, Queues, sqlite_config};
pub use rentdesk_config::QueueBackend;

/// A kind of job as stored: its payload (JSON) and the queue (apalis `job_type`) it goes to.
/// The worker adds how it runs (`rentdesk_worker`'s `Job`).
pub trait Payload: Serialize + DeserializeOwned + Clone + Send + Sync + Unpin + 'static {
    /// Queue (apalis `job_type`) name; also prefixes the worker names.
    const QUEUE: &'static str;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignFanOut {
    pub campaign_id: i64,
}

impl Payload for CampaignFanOut {
    const QUEUE: &'static str = "rentdesk.campaign-fan-out";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvaluateTenancies {
    pub tenancy_ids: Vec<i64>,
    /// Also plan outreach for them now. Imports leave this off: their accounts are planned by
    /// the nightly run (a large file should not fan out contact mid-day).
    #[serde(default)]
    pub plan_outreach: bool,
}

impl Payload for EvaluateTenancies {
    const QUEUE: &'static str = "rentdesk.evaluate";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectAccessExport {
    pub export_id: i64,
}

impl Payload for SubjectAccessExport {
    const QUEUE: &'static str = "rentdesk.subject-access-export";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportJob {
    pub batch_id: i64,
}

impl Payload for ImportJob {
    const QUEUE: &'static str = "rentdesk.import";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NightlyEvaluation {
    /// The date the evaluation is "as of": the tick's date, not the date the job happens to
    /// run (a retry after midnight still evaluates the night it was meant for).
    pub date: NaiveDate,
}

impl NightlyEvaluation {
    pub fn idempotency_key(date: NaiveDate) -> String {
        format!("nightly-evaluation:{date}")
    }

    /// The job a cron tick at `timestamp` (Unix seconds) stands for.
    pub fn for_tick(timestamp: u64, tz: Tz) -> NightlyEvaluation {
        let utc = DateTime::from_timestamp(timestamp as i64, 0).unwrap_or_default();
        NightlyEvaluation {
            date: utc.with_timezone(&tz).date_naive(),
        }
    }
}

impl Payload for NightlyEvaluation {
    const QUEUE: &'static str = "rentdesk.nightly-evaluation";
}
