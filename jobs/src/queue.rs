//! The queue handle the API (and the cron tick) use to enqueue jobs, over either apalis storage.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context as _;
use apalis::prelude::{TaskBuilder, TaskSink};
use apalis_redis::{ConnectionManager, RedisStorage};
use apalis_sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteStorage};
use chrono::NaiveDate;

use crate::{
    CampaignFanOut, EvaluateTenancies, ImportJob, NightlyEvaluation, Payload as Job, QueueBackend,
    SubjectAccessExport,
};

/// Every job gets this many attempts in total (first run + retries), on both backends.
pub const MAX_ATTEMPTS: usize = 5;

/// How long a request waits for the queue to take a job before leaving it to the sweep
/// ([`Queues::wake`]): a healthy push takes milliseconds; an unreachable Redis would otherwise
/// hold the request for its whole reconnect (about 9 s measured).
pub const WAKE_TIMEOUT: Duration = Duration::from_secs(2);

/// How long Redis remembers an idempotency key (only the nightly job uses keys).
const REDIS_IDEMPOTENCY_TTL: Duration = Duration::from_secs(8 * 24 * 3600);

/// Handle the API uses to enqueue jobs (cheap to clone, Send + Sync).
#[derive(Clone)]
pub struct Queues {
    conn: QueueConn,
    /// Prefix of every queue name (Redis only).
    namespace: Option<String>,
}

/// The storage connection behind [`Queues`] (the worker builds its apalis backends on it).
#[derive(Clone)]
pub enum QueueConn {
    Sqlite(SqlitePool),
    Redis(ConnectionManager),
}

impl std::fmt::Debug for Queues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.conn {
            QueueConn::Sqlite(_) => "sqlite",
            QueueConn::Redis(_) => "redis",
        };
        f.debug_struct("Queues").field("backend", &kind).finish()
    }
}

impl Queues {
    /// A handle on an open connection (tests build one on a pool of their own).
    pub fn from_conn(conn: QueueConn, namespace: Option<String>) -> Queues {
        Queues { conn, namespace }
    }

    /// The storage connection, for the worker's apalis backends.
    pub fn conn(&self) -> &QueueConn {
        &self.conn
    }

    /// Connect to the queue backend. For SQLite this also runs apalis' own migrations (tables
    /// `Jobs` and `Workers`, tracked in `_sqlx_migrations`), so it is safe on a fresh file.
    pub async fn connect(backend: &QueueBackend) -> anyhow::Result<Queues> {
        let namespace = match backend {
            QueueBackend::Redis { namespace, .. } => Some(namespace.clone()),
            QueueBackend::Sqlite { .. } => None,
        };
        let conn = match backend {
            QueueBackend::Sqlite { url } => {
                let options = SqliteConnectOptions::from_str(url)
                    .with_context(|| format!("invalid SQLite queue URL {url:?}"))?
                    .create_if_missing(true);
                let pool = SqlitePoolOptions::new()
                    .connect_with(options)
                    .await
                    .with_context(|| format!("cannot open the SQLite job queue at {url:?}"))?;
                SqliteStorage::setup(&pool)
                    .await
                    .context("cannot set up the apalis SQLite job tables")?;
                QueueConn::Sqlite(pool)
            }
            QueueBackend::Redis { url, .. } => {
                let conn = apalis_redis::connect(url.as_str())
                    .await
                    .with_context(|| format!("cannot connect to Redis at {}", redact(url)))?;
                QueueConn::Redis(conn)
            }
        };
        Ok(Queues { conn, namespace })
    }

    /// Queue an uploaded import batch (stored in `import_batches`) to be run.
    pub async fn enqueue_import(&self, batch_id: i64) -> anyhow::Result<()> {
        self.push(ImportJob { batch_id }, None).await
    }

    /// Queue a stored subject-access export (`exports` row) to be produced.
    pub async fn enqueue_subject_access_export(&self, export_id: i64) -> anyhow::Result<()> {
        self.push(SubjectAccessExport { export_id }, None).await
    }

    /// Queue the fan-out of a launched campaign into its messages.
    pub async fn enqueue_campaign_fan_out(&self, campaign_id: i64) -> anyhow::Result<()> {
        self.push(CampaignFanOut { campaign_id }, None).await
    }

    /// Queue a re-evaluation of some tenancies (after new data about them arrived).
    pub async fn enqueue_evaluation(&self, tenancy_ids: Vec<i64>) -> anyhow::Result<()> {
        if tenancy_ids.is_empty() {
            return Ok(());
        }
        self.push(
            EvaluateTenancies {
                tenancy_ids,
                plan_outreach: false,
            },
            None,
        )
        .await
    }

    /// Re-evaluate some tenancies and plan their early-intervention contact now (a tenant just
    /// reported something that starts a sequence), instead of waiting for the night.
    pub async fn enqueue_evaluation_and_outreach(
        &self,
        tenancy_ids: Vec<i64>,
    ) -> anyhow::Result<()> {
        if tenancy_ids.is_empty() {
            return Ok(());
        }
        self.push(
            EvaluateTenancies {
                tenancy_ids,
                plan_outreach: true,
            },
            None,
        )
        .await
    }

    /// Queue the nightly evaluation for `date`. Keyed by the date in the shared storage, so
    /// however many processes (or ticks) ask, one job per date exists.
    pub async fn enqueue_nightly(&self, date: NaiveDate) -> anyhow::Result<()> {
        let key = NightlyEvaluation::idempotency_key(date);
        self.push(NightlyEvaluation { date }, Some(key)).await
    }

    /// Wake a worker for work the caller has already stored as pending in the database (a
    /// launched campaign, an uploaded import, a requested export): the queue is only the bell.
    /// If the queue does not take the job within [`WAKE_TIMEOUT`] (Redis down, restarting,
    /// unreachable), the request still succeeds, since what it asked for is stored, and the
    /// worker's sweep queues the job once the queue is back (issue 21). `false` when it did not.
    pub async fn wake(
        job: &'static str,
        push: impl std::future::Future<Output = anyhow::Result<()>>,
    ) -> bool {
        match tokio::time::timeout(WAKE_TIMEOUT, push).await {
            Ok(Ok(())) => true,
            Ok(Err(e)) => {
                tracing::warn!(job, error = %format!("{e:#}"), "queue unavailable: the sweep will queue the job");
                false
            }
            Err(_) => {
                tracing::warn!(
                    job,
                    timeout_ms = WAKE_TIMEOUT.as_millis() as u64,
                    "queue did not answer: the sweep will queue the job"
                );
                false
            }
        }
    }

    /// Health check: the queue backend answers a round trip.
    pub async fn ping(&self) -> anyhow::Result<()> {
        match &self.conn {
            QueueConn::Sqlite(pool) => {
                sea_orm::sqlx::query("SELECT 1")
                    .execute(pool)
                    .await
                    .context("SQLite job queue does not answer")?;
            }
            QueueConn::Redis(conn) => {
                let mut conn = conn.clone();
                let pong: String = redis::cmd("PING")
                    .query_async(&mut conn)
                    .await
                    .context("Redis job queue does not answer")?;
                anyhow::ensure!(pong == "PONG", "Redis answered {pong:?} to PING");
            }
        }
        Ok(())
    }

    /// Push one job; `key` makes the push a no-op if a job with that key was pushed before.
    pub async fn push<J: Job>(&self, job: J, key: Option<String>) -> anyhow::Result<()> {
        let mut task = TaskBuilder::new(job).max_attempts(MAX_ATTEMPTS);
        if let Some(key) = key {
            task = task.idempotency_key(key);
        }
        let task = task.build();
        match &self.conn {
            QueueConn::Sqlite(pool) => {
                let mut storage = SqliteStorage::<J>::new(pool).with_config(sqlite_config::<J>(1));
                let pushed = storage.push_task(task).await;
                pushed.with_context(|| format!("cannot enqueue a {} job in SQLite", J::QUEUE))
            }
            QueueConn::Redis(conn) => {
                let mut storage =
                    RedisStorage::<J>::new(conn.clone()).with_config(self.redis_config::<J>(1));
                let pushed = storage.push_task(task).await;
                pushed.with_context(|| format!("cannot enqueue a {} job in Redis", J::QUEUE))
            }
        }
    }
}

/// apalis-sqlite settings for one job type; `batch` = how many tasks a worker locks per fetch.
pub fn sqlite_config<J: Job>(batch: usize) -> apalis_sqlite::Config {
    apalis_sqlite::Config::default()
        .queue(J::QUEUE)
        .batch_size(batch.max(1))
}

impl Queues {
    /// apalis-redis settings for one job type, its queue name under the namespace.
    pub fn redis_config<J: Job>(&self, batch: usize) -> apalis_redis::Config {
        redis_config::<J>(self.namespace.as_deref(), batch)
    }
}

/// apalis-redis settings for one job type.
fn redis_config<J: Job>(namespace: Option<&str>, batch: usize) -> apalis_redis::Config {
    let queue = match namespace {
        Some(ns) => format!("{ns}:{}", J::QUEUE),
        None => J::QUEUE.to_owned(),
    };
    apalis_redis::Config::default()
        .queue(queue)
        .batch_size(batch.max(1))
        .idempotency_ttl(Some(REDIS_IDEMPOTENCY_TTL))
}

/// `redis://user:secret@host` → `redis://user:***@host`, for error messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redacts_redis_passwords() {
        assert_eq!(redact("redis://:pw@host:6379"), "redis://:***@host:6379");
        assert_eq!(redact("redis://u:pw@host"), "redis://u:***@host");
        assert_eq!(redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
    }
}
