//! Building the apalis [`Monitor`] with every worker, and running it until shutdown.

use std::future::Future;
use std::time::Duration;

use anyhow::Context as _;
use apalis::layers::retry::HasherRng;
use apalis::layers::retry::backoff::{ExponentialBackoffMaker, MakeBackoff};
use apalis::prelude::{BackendExt, Monitor, ParallelizeExt, WorkerBuilder, WorkerBuilderExt};
use apalis_cron::CronScheduler;
use apalis_redis::RedisStorage;
use apalis_sqlite::SqliteStorage;
use chrono_tz::Tz;
use sea_orm::DatabaseConnection;

use crate::jobs::{
    CampaignFanOut, EvaluateTenancies, ImportJob, Job, JobContext, NightlyEvaluation, NightlyTick,
    SubjectAccessExport, handle, on_nightly_tick,
};
use crate::poll::PollEvery;
use crate::retry::{JobRetry, ShutdownGateLayer};
use rentdesk_jobs::{MAX_ATTEMPTS, QueueConn, Queues, sqlite_config};

/// Settings of the worker process (the binary reads them from the environment).
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Jobs run at once per queue (import, evaluate); the nightly queue always runs one.
    pub concurrency: usize,
    /// When the nightly evaluation is queued: a 6-field cron expression with seconds,
    /// e.g. `"0 0 2 * * *"` (02:00 every day).
    pub nightly_cron: String,
    /// When due messages are dispatched (cron with seconds); `None` = never in this process.
    pub dispatch_cron: Option<String>,
    /// Zone of `nightly_cron` and of "today" (Europe/London).
    pub timezone: Tz,
    /// Twilio; `None` delivers SMS to the local outbox (`rentdesk dev`).
    pub sms: Option<crate::sms::TwilioConfig>,
    /// SMTP; `None` delivers email to the local outbox.
    pub email: Option<crate::email::EmailConfig>,
    /// FCM; `None` delivers push notifications to the local outbox.
    pub push: Option<crate::push::FcmConfig>,
    /// Where Twilio reports delivery status (`{PUBLIC_URL}/webhooks/twilio/status`).
    pub status_callback: Option<String>,
    /// The contact window and weekly cap, for planning and again at each send.
    pub contact_policy: rentdesk_domain::contact_policy::ContactPolicy,
    /// Messages per channel per minute across every worker (a provider's throughput limit).
    pub dispatch_rate_per_minute: Option<u32>,
    /// Sends in flight at once per channel in one dispatch run.
    pub send_concurrency: usize,
    /// Retention period the nightly job anonymises by.
    pub retention: rentdesk_domain::retention::RetentionPolicy,
    /// The most one imported amount may be, either sign (`MAX_ROW_AMOUNT_PENCE`).
    pub max_row_amount: rentdesk_domain::Pence,
    /// What an imported case stage is recorded with, as an officer's step is: the notice
    /// rules (`RENTERS_RIGHTS_SOCIAL_FROM`) and the letters' wording (`LETTER_TEMPLATES_DIR`).
    pub notice_rules: rentdesk_domain::possession::protocol::NoticeRules,
    pub letter_templates: std::sync::Arc<rentdesk_domain::letters::templates::LetterTemplates>,
    /// The clock the rules run on: the system clock, or the one a test moves.
    pub clock: rentdesk_store::Clock,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            concurrency: 4,
            nightly_cron: DEFAULT_NIGHTLY_CRON.to_owned(),
            dispatch_cron: Some(DISPATCH_CRON.to_owned()),
            timezone: chrono_tz::Europe::London,
            sms: None,
            email: None,
            push: None,
            status_callback: None,
            contact_policy: Default::default(),
            dispatch_rate_per_minute: None,
            send_concurrency: crate::dispatch::DEFAULT_SEND_CONCURRENCY,
            retention: Default::default(),
            max_row_amount: rentdesk_domain::Pence::DEFAULT_MAX_ROW_AMOUNT,
            notice_rules: Default::default(),
            letter_templates: Default::default(),
            clock: rentdesk_store::Clock::system(),
        }
    }
}

pub use rentdesk_config::worker::{DEFAULT_NIGHTLY_CRON, DISPATCH_CRON, parse_cron};

impl WorkerConfig {
    /// The worker's part of the process configuration.
    pub fn from_settings(settings: &rentdesk_config::Settings) -> WorkerConfig {
        let providers = &settings.providers;
        WorkerConfig {
            concurrency: settings.worker.concurrency,
            nightly_cron: settings.worker.nightly_cron.clone(),
            dispatch_cron: settings.worker.dispatch_cron.clone(),
            timezone: chrono_tz::Europe::London,
            sms: providers.twilio.clone(),
            email: providers.email.clone(),
            push: providers.push.clone(),
            // The webhook checks Twilio's signature against this very URL.
            status_callback: providers.twilio.as_ref().map(|_| {
                format!(
                    "{}/webhooks/twilio/status",
                    settings.http.public_url.trim_end_matches('/')
                )
            }),
            contact_policy: settings.policy.contact_policy.clone(),
            dispatch_rate_per_minute: settings.worker.dispatch_rate_per_minute,
            send_concurrency: settings.worker.send_concurrency,
            retention: settings.retention_policy(),
            max_row_amount: settings.policy.max_row_amount,
            notice_rules: settings.policy.notice_rules,
            letter_templates: settings.letters.templates.clone(),
            clock: rentdesk_store::Clock::system(),
        }
    }
}

/// Knobs that are not part of the public config (tests shorten them).
#[derive(Debug, Clone)]
pub(crate) struct Tuning {
    /// First retry delay; doubles per attempt (with up to 50% jitter) up to `backoff_max`.
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// How often an idle worker asks the storage for work (see [`crate::poll`]).
    pub poll_interval: Duration,
    /// How long shutdown waits for in-flight jobs before abandoning them.
    pub shutdown_grace: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            backoff_min: Duration::from_secs(5),
            backoff_max: Duration::from_secs(5 * 60),
            poll_interval: Duration::from_secs(1),
            // Give the orchestrator's stop timeout (e.g. compose `stop_grace_period`) more.
            shutdown_grace: Duration::from_secs(25),
        }
    }
}

/// Up to `MAX_ATTEMPTS` attempts in total, with exponential backoff (±50% jitter) between.
fn retry_policy(tuning: &Tuning) -> anyhow::Result<JobRetry> {
    let backoff = ExponentialBackoffMaker::new(
        tuning.backoff_min,
        tuning.backoff_max,
        0.5,
        HasherRng::default(),
    )
    .map_err(|e| anyhow::anyhow!("invalid retry backoff: {e:?}"))?
    .make_backoff();
    Ok(JobRetry {
        max_attempts: MAX_ATTEMPTS,
        backoff,
    })
}

/// A name unique to this process: apalis keys workers by name (SQLite `Workers.id`, Redis
/// worker set) and refuses a second live worker with the same name.
pub(crate) fn instance_id() -> String {
    use std::hash::{BuildHasher, RandomState};
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "local".to_owned());
    let pid = std::process::id();
    let salt = RandomState::new().hash_one(pid) & 0xff_ffff;
    format!("{host}-{pid}-{salt:06x}")
}

/// After a restart the worker must register under a new name, since the old one is still
/// "alive" in the storage until its heartbeat expires.
fn worker_name(queue: &str, instance: &str, restarts: usize) -> String {
    if restarts == 0 {
        format!("{queue}@{instance}")
    } else {
        format!("{queue}@{instance}~{restarts}")
    }
}

/// Register a worker for job type `J` on the configured storage.
///
/// Layers are listed outermost first (apalis checks this order and warns otherwise):
/// concurrency limit → retry with backoff → shutdown gate (see [`crate::gate`]) → tracing span
/// per attempt → run on the tokio pool → panic safety net → [`handle`] (which applies the
/// job's timeout and catches its panics).
pub(crate) fn register_job<J: Job>(
    monitor: Monitor,
    queues: &Queues,
    ctx: J::Context,
    concurrency: usize,
    tuning: &Tuning,
    instance: &str,
) -> anyhow::Result<Monitor> {
    let instance = instance.to_owned();
    let policy = retry_policy(tuning)?;
    let concurrency = concurrency.max(1);
    Ok(match queues.conn() {
        QueueConn::Sqlite(pool) => {
            let backend = SqliteStorage::<J>::new(pool)
                .with_config(sqlite_config::<J>(concurrency))
                .poll_with_strategy(PollEvery::new(tuning.poll_interval));
            monitor.register(move |restarts| {
                WorkerBuilder::new(worker_name(J::QUEUE, &instance, restarts))
                    .backend(backend.clone())
                    .concurrency(concurrency)
                    .retry(policy.clone())
                    .layer(ShutdownGateLayer)
                    .enable_tracing()
                    .parallelize(tokio::spawn)
                    .catch_panic()
                    .data(ctx.clone())
                    .build(handle::<J>)
            })
        }
        QueueConn::Redis(conn) => {
            let backend = RedisStorage::<J>::new(conn.clone())
                .with_config(queues.redis_config::<J>(concurrency))
                .poll_with_strategy(PollEvery::new(tuning.poll_interval));
            monitor.register(move |restarts| {
                WorkerBuilder::new(worker_name(J::QUEUE, &instance, restarts))
                    .backend(backend.clone())
                    .concurrency(concurrency)
                    .retry(policy.clone())
                    .layer(ShutdownGateLayer)
                    .enable_tracing()
                    .parallelize(tokio::spawn)
                    .catch_panic()
                    .data(ctx.clone())
                    .build(handle::<J>)
            })
        }
    })
}

/// The monitor with all of Rentdesk's workers: import, evaluate, nightly evaluation and the
/// nightly cron tick that queues it.
pub(crate) fn build_monitor(
    db: DatabaseConnection,
    queues: &Queues,
    config: &WorkerConfig,
    tuning: &Tuning,
    instance: &str,
) -> anyhow::Result<Monitor> {
    anyhow::ensure!(
        config.concurrency >= 1,
        "worker concurrency must be at least 1"
    );
    let schedule = parse_cron(&config.nightly_cron)?;
    let dispatch = crate::dispatch::DispatchTick {
        db: db.clone(),
        clock: config.clock.clone(),
        providers: crate::dispatch::Providers {
            sms: config
                .sms
                .clone()
                .map(crate::sms::TwilioClient::new)
                .transpose()?,
            email: config
                .email
                .clone()
                .map(crate::email::Mailer::new)
                .transpose()?,
            push: config
                .push
                .clone()
                .map(crate::push::FcmClient::new)
                .transpose()?,
            status_callback: config.status_callback.clone(),
            policy: config.contact_policy.clone(),
            rate_per_minute: config.dispatch_rate_per_minute,
            send_concurrency: config.send_concurrency,
        },
        queues: queues.clone(),
    };
    let ctx = JobContext {
        db,
        queues: queues.clone(),
        timezone: config.timezone,
        policy: config.contact_policy.clone(),
        retention: config.retention,
        max_row_amount: config.max_row_amount,
        notice_rules: config.notice_rules,
        letter_templates: config.letter_templates.clone(),
        clock: config.clock.clone(),
    };
    let mut monitor = Monitor::new();
    monitor = register_job::<ImportJob>(
        monitor,
        queues,
        ctx.clone(),
        config.concurrency,
        tuning,
        instance,
    )?;
    monitor = register_job::<EvaluateTenancies>(
        monitor,
        queues,
        ctx.clone(),
        config.concurrency,
        tuning,
        instance,
    )?;
    monitor =
        register_job::<SubjectAccessExport>(monitor, queues, ctx.clone(), 1, tuning, instance)?;
    monitor = register_job::<CampaignFanOut>(monitor, queues, ctx.clone(), 1, tuning, instance)?;
    monitor = register_job::<NightlyEvaluation>(monitor, queues, ctx, 1, tuning, instance)?;

    let tz = config.timezone;
    let tick = NightlyTick {
        queues: queues.clone(),
        timezone: tz,
    };
    let policy = retry_policy(tuning)?;
    let instance = instance.to_owned();
    let monitor = match &config.dispatch_cron {
        None => monitor,
        Some(cron) => {
            let dispatch_schedule = parse_cron(cron)?;
            let dispatch_instance = instance.clone();
            let dispatch_policy = policy.clone();
            monitor.register(move |restarts| {
                WorkerBuilder::new(worker_name(
                    "rentdesk.dispatch-cron",
                    &dispatch_instance,
                    restarts,
                ))
                .backend(CronScheduler::new(dispatch_schedule.clone()).with_timezone(tz))
                .retry(dispatch_policy.clone())
                .layer(ShutdownGateLayer)
                .enable_tracing()
                .catch_panic()
                .data(dispatch.clone())
                .build(crate::dispatch::on_dispatch_tick)
            })
        }
    };
    Ok(monitor.register(move |restarts| {
        WorkerBuilder::new(worker_name("rentdesk.nightly-cron", &instance, restarts))
            .backend(CronScheduler::new(schedule.clone()).with_timezone(tz))
            .retry(policy.clone())
            .layer(ShutdownGateLayer)
            .enable_tracing()
            .catch_panic()
            .data(tick.clone())
            .build(on_nightly_tick)
    }))
}

/// How many times one worker is restarted after a backend error (e.g. the database was
/// briefly unavailable) before the whole monitor gives up and `run` returns the error.
const MAX_RESTARTS: usize = 20;

/// Run `monitor` until `shutdown` resolves, then stop fetching, let in-flight jobs finish for
/// up to `grace`, and return. Returns an error if the workers fail on their own.
pub(crate) async fn supervise(
    monitor: Monitor,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> anyhow::Result<()> {
    let control = monitor.context();
    let on_give_up = control.clone();
    let monitor = monitor.should_restart(move |worker, error| {
        if worker.is_shutting_down() {
            return false;
        }
        if worker.restarts() >= MAX_RESTARTS {
            tracing::error!(worker = worker.name(), %error, "worker keeps failing; stopping all workers");
            let _ = on_give_up.shutdown();
            return false;
        }
        tracing::warn!(worker = worker.name(), restarts = worker.restarts(), %error, "worker failed; restarting it");
        true
    });

    let mut running = Box::pin(monitor.run());
    tokio::select! {
        result = &mut running => {
            return match result {
                Ok(()) => Err(anyhow::anyhow!("all queue workers stopped before shutdown was requested")),
                Err(e) => Err(anyhow::anyhow!("queue workers failed: {e}")),
            };
        }
        () = shutdown => {}
    }

    tracing::info!(
        ?grace,
        "shutting down: no new jobs are fetched; waiting for running jobs"
    );
    control
        .shutdown()
        .map_err(|e| anyhow::anyhow!("cannot signal the workers to stop: {e}"))?;
    match tokio::time::timeout(grace, running).await {
        Ok(Ok(())) => {
            tracing::info!("queue workers stopped");
            Ok(())
        }
        Ok(Err(e)) => Err(anyhow::anyhow!("queue workers failed while stopping: {e}")),
        Err(_) => {
            tracing::warn!(
                ?grace,
                "jobs still running after the grace period were abandoned; the storage re-queues them"
            );
            Ok(())
        }
    }
}

/// Run every worker until `shutdown` resolves, then shut down gracefully (in-flight jobs get
/// up to 25 s to finish).
pub async fn run(
    db: DatabaseConnection,
    queues: Queues,
    config: WorkerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let tuning = Tuning::default();
    let instance = instance_id();
    let monitor = build_monitor(db, &queues, &config, &tuning, &instance)
        .context("cannot set up the queue workers")?;
    tracing::info!(
        %instance,
        concurrency = config.concurrency,
        nightly_cron = %config.nightly_cron,
        timezone = %config.timezone,
        queues = ?queues,
        "queue workers starting"
    );
    supervise(monitor, shutdown, tuning.shutdown_grace).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_expressions() {
        assert!(parse_cron(DEFAULT_NIGHTLY_CRON).is_ok());
        let err = parse_cron("0 2 * * *").unwrap_err().to_string();
        assert!(err.contains("6 fields"), "{err}");
    }

    #[test]
    fn worker_names_change_on_restart() {
        assert_eq!(worker_name("q", "h-1-abc", 0), "q@h-1-abc");
        assert_eq!(worker_name("q", "h-1-abc", 2), "q@h-1-abc~2");
        assert_ne!(instance_id(), instance_id());
    }
}
