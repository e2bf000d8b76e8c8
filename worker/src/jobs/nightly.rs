//! Nightly evaluation of every tenancy, then early-intervention planning, then tenancy audits
//! falling due, then retention
//! (anonymising tenancies closed with nothing owed for longer than `RETENTION_MONTHS`).
//!
//! apalis-cron fires in every worker process, so the tick does not evaluate anything itself: it
//! pushes a [`NightlyEvaluation`] for the tick's date (in the configured zone) into the shared
//! queue storage with the idempotency key `nightly-evaluation:<date>`. Both apalis-sqlite
//! (unique index on `job_type, idempotency_key`) and apalis-redis (`SETNX` on the key) drop
//! duplicates, so N processes ticking at 02:00 yield one job, run once by whichever worker
//! fetches it.

use std::time::Duration;

use apalis::prelude::{BoxDynError, Data};
use apalis_cron::Tick;
use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::{Job, JobContext};
use crate::queue::Queues;

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

impl Job for NightlyEvaluation {
    const QUEUE: &'static str = "rentdesk.nightly-evaluation";
    const TIMEOUT: Duration = Duration::from_secs(3 * 3600);
    type Context = JobContext;

    async fn run(self, ctx: JobContext) -> anyhow::Result<()> {
        let report = rentdesk_store::evaluation::evaluate_all(&ctx.db, self.date).await?;
        tracing::info!(accounts = report.accounts, in_arrears = report.in_arrears, date = %self.date, "nightly evaluation finished");
        // Early intervention: who needs contact, planned once per event (the idempotency keys
        // make a retried job harmless). Quiet hours are decided against the real clock.
        let outreach =
            rentdesk_store::outreach::plan_all(&ctx.db, self.date, chrono::Utc::now(), &ctx.policy)
                .await?;
        tracing::info!(
            queued = outreach.queued,
            suppressed = outreach.suppressed,
            officer_tasks = outreach.officer_tasks,
            already_planned = outreach.already_planned,
            "nightly outreach planned"
        );
        // Tenancy audits falling due: one task per due audit for the patch officer.
        let audits = rentdesk_store::tenancy_audits::plan_all(&ctx.db, self.date).await?;
        tracing::info!(
            tasks = audits.tasks,
            already_open = audits.already_open,
            "nightly tenancy audits planned"
        );
        // Retention last: it only touches closed accounts, which the steps above skip.
        let anonymised = rentdesk_store::retention::run(
            &ctx.db,
            ctx.retention,
            self.date,
            rentdesk_store::audit::Actor::System,
        )
        .await?;
        tracing::info!(
            anonymised = anonymised.len(),
            months = ctx.retention.months,
            "nightly retention finished"
        );
        Ok(())
    }
}

/// Data for the cron worker.
#[derive(Clone)]
pub(crate) struct NightlyTick {
    pub queues: Queues,
    pub timezone: Tz,
}

/// The cron handler: only enqueues (idempotently), see the module docs.
pub(crate) async fn on_nightly_tick(
    tick: Tick<Tz>,
    data: Data<NightlyTick>,
) -> Result<(), BoxDynError> {
    let job = NightlyEvaluation::for_tick(tick.get_timestamp(), data.timezone);
    tracing::info!(date = %job.date, "nightly tick: enqueueing evaluation (once per date)");
    data.queues
        .enqueue_nightly(job.date)
        .await
        .map_err(|e| format!("{e:#}").into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::London;

    fn ts(s: &str) -> u64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp() as u64
    }

    #[test]
    fn tick_date_is_the_london_date() {
        // 02:00 BST on 1 July is 01:00 UTC the same day.
        let job = NightlyEvaluation::for_tick(ts("2026-07-01T01:00:00Z"), London);
        assert_eq!(job.date, NaiveDate::from_ymd_opt(2026, 7, 1).unwrap());
        // 23:30 UTC on 30 June is already 1 July in London (BST).
        let job = NightlyEvaluation::for_tick(ts("2026-06-30T23:30:00Z"), London);
        assert_eq!(job.date, NaiveDate::from_ymd_opt(2026, 7, 1).unwrap());
        // In winter London is UTC.
        let job = NightlyEvaluation::for_tick(ts("2026-12-31T23:30:00Z"), London);
        assert_eq!(job.date, NaiveDate::from_ymd_opt(2026, 12, 31).unwrap());
    }

    #[test]
    fn key_is_per_date() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        assert_eq!(
            NightlyEvaluation::idempotency_key(d),
            "nightly-evaluation:2026-03-29"
        );
    }
}
