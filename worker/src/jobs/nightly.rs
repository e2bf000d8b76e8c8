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
use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::Serialize;

use super::{Job, JobContext};
use rentdesk_jobs::{NightlyEvaluation, Queues};

impl Job for NightlyEvaluation {
    const TIMEOUT: Duration = Duration::from_secs(3 * 3600);
    type Context = JobContext;

    async fn run(self, ctx: JobContext) -> anyhow::Result<()> {
        run_nightly(
            &ctx.db,
            self.date,
            ctx.now(),
            &ctx.policy,
            ctx.retention,
            log_progress,
        )
        .await?;
        Ok(())
    }
}

/// The steps of the nightly run, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NightlyStep {
    /// Every account's summary recomputed as of the date.
    Evaluation,
    /// Early intervention: messages and officer tasks for the triggers that fire.
    Outreach,
    /// Tenancy audits falling due: a task for the patch officer each.
    Audits,
    /// Personal data of tenancies closed with nothing owed for longer than `RETENTION_MONTHS`.
    Retention,
}

impl NightlyStep {
    pub const ALL: [NightlyStep; 4] = [
        NightlyStep::Evaluation,
        NightlyStep::Outreach,
        NightlyStep::Audits,
        NightlyStep::Retention,
    ];

    /// 1-based position, for "step 2/4".
    pub fn number(self) -> usize {
        self as usize + 1
    }

    pub fn title(self) -> &'static str {
        match self {
            NightlyStep::Evaluation => "evaluating every account",
            NightlyStep::Outreach => "planning early intervention",
            NightlyStep::Audits => "raising tenancy audits due",
            NightlyStep::Retention => "anonymising closed tenancies past retention",
        }
    }
}

/// Where the nightly run is: a step starting, or a step done (with the report so far and how
/// long the step took).
#[derive(Debug, Clone, Copy)]
pub enum NightlyProgress<'a> {
    Started(NightlyStep),
    Finished(NightlyStep, &'a NightlyReport, Duration),
}

/// What one nightly run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NightlyReport {
    /// The date the run was "as of".
    pub date: NaiveDate,
    pub evaluation: rentdesk_store::evaluation::EvaluationReport,
    pub outreach: rentdesk_store::outreach::OutreachReport,
    pub audits: rentdesk_store::tenancy_audits::AuditReport,
    /// References of the tenancies anonymised.
    pub anonymised: Vec<String>,
}

impl NightlyReport {
    /// One line of what `step` did (for progress output and logs).
    pub fn step_line(&self, step: NightlyStep) -> String {
        match step {
            NightlyStep::Evaluation => {
                let e = &self.evaluation;
                let mut line = format!(
                    "{} accounts evaluated: {} in arrears, {} technical arrears only",
                    e.accounts, e.in_arrears, e.technical_only
                );
                if e.out_of_range > 0 {
                    line.push_str(&format!(
                        "; {} left out, figures out of range (see the log and the officers' tasks)",
                        e.out_of_range
                    ));
                }
                line
            }
            NightlyStep::Outreach => {
                let o = &self.outreach;
                let channels = if o.queued_by_channel.is_empty() {
                    String::new()
                } else {
                    let parts: Vec<String> = o
                        .queued_by_channel
                        .iter()
                        .map(|(c, n)| format!("{n} {c}"))
                        .collect();
                    format!(" ({})", parts.join(", "))
                };
                format!(
                    "{} messages queued{channels}, {} suppressed by the contact policy, {} officer \
                     tasks raised, {} already planned by an earlier run",
                    o.queued, o.suppressed, o.officer_tasks, o.already_planned
                )
            }
            NightlyStep::Audits => format!(
                "{} tenancy audit tasks raised, {} due with a task already open",
                self.audits.tasks, self.audits.already_open
            ),
            NightlyStep::Retention => {
                format!("{} closed tenancies anonymised", self.anonymised.len())
            }
        }
    }
}

/// What the 02:00 job runs, in order: evaluation of every account as of `date`, early-
/// intervention planning (quiet hours decided against the real clock), tenancy audits falling
/// due, then retention. `rentdesk nightly` and `rentdesk dev` call this too, so the command
/// does exactly what the job does. Every step is idempotent: a rerun for the same date plans
/// nothing twice.
pub async fn run_nightly(
    db: &sea_orm::DatabaseConnection,
    date: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
    policy: &rentdesk_domain::contact_policy::ContactPolicy,
    retention: rentdesk_domain::retention::RetentionPolicy,
    mut progress: impl FnMut(NightlyProgress<'_>),
) -> anyhow::Result<NightlyReport> {
    let mut report = NightlyReport {
        date,
        ..Default::default()
    };
    for step in NightlyStep::ALL {
        progress(NightlyProgress::Started(step));
        let started = std::time::Instant::now();
        match step {
            NightlyStep::Evaluation => {
                report.evaluation = rentdesk_store::evaluation::evaluate_all(db, date, now).await?;
            }
            NightlyStep::Outreach => {
                // Early intervention: who needs contact, planned once per event (the idempotency
                // keys make a retried job harmless). Quiet hours are decided against `now`, not
                // the as-of date.
                report.outreach = rentdesk_store::outreach::plan_all(db, date, now, policy).await?;
            }
            NightlyStep::Audits => {
                report.audits = rentdesk_store::tenancy_audits::plan_all(db, date, now).await?;
            }
            NightlyStep::Retention => {
                // Last: it only touches closed accounts, which the steps above skip.
                report.anonymised = rentdesk_store::retention::run(
                    db,
                    retention,
                    date,
                    rentdesk_store::audit::Actor::System,
                    now,
                )
                .await?
                .into_iter()
                .map(|c| c.reference)
                .collect();
            }
        }
        progress(NightlyProgress::Finished(step, &report, started.elapsed()));
    }
    Ok(report)
}

/// The job's progress: one log line per finished step.
fn log_progress(p: NightlyProgress<'_>) {
    if let NightlyProgress::Finished(step, report, took) = p {
        tracing::info!(
            date = %report.date,
            step = step.number(),
            ?took,
            "nightly: {}",
            report.step_line(step)
        );
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
    use chrono::DateTime;
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
