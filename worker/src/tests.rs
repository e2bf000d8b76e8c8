//! End-to-end tests of the queue machinery against the real apalis storages, with a test-only
//! job (the store's functions are not needed). The real workers are registered too, so the
//! monitor under test is the one `run` builds, plus one extra worker.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apalis::prelude::Monitor;
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, mpsc, oneshot};

use crate::jobs::{Job, NightlyEvaluation};
use crate::runner::{Tuning, WorkerConfig, build_monitor, register_job, supervise};
use rentdesk_jobs::{MAX_ATTEMPTS, Payload, QueueBackend, QueueConn, Queues};

const WAIT: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Behaviour {
    Succeed,
    /// Fail the first n attempts, then succeed.
    Fail(u32),
    /// Wait until the test releases it.
    Block,
    Panic,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct TestJob {
    id: u64,
    behaviour: Behaviour,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Started { id: u64, attempt: u32 },
    Failed { id: u64, attempt: u32 },
    Finished { id: u64 },
}

#[derive(Clone)]
struct TestCtx {
    seen: mpsc::UnboundedSender<Seen>,
    release: Arc<Notify>,
    attempts: Arc<Mutex<HashMap<u64, u32>>>,
}

impl Payload for TestJob {
    const QUEUE: &'static str = "rentdesk.test";
}

impl Job for TestJob {
    const TIMEOUT: Duration = Duration::from_secs(60);
    type Context = TestCtx;

    async fn run(self, ctx: TestCtx) -> anyhow::Result<()> {
        let attempt = {
            let mut attempts = ctx.attempts.lock().unwrap();
            let n = attempts.entry(self.id).or_default();
            *n += 1;
            *n
        };
        let _ = ctx.seen.send(Seen::Started {
            id: self.id,
            attempt,
        });
        match self.behaviour {
            Behaviour::Succeed => {}
            Behaviour::Fail(n) if attempt <= n => {
                let _ = ctx.seen.send(Seen::Failed {
                    id: self.id,
                    attempt,
                });
                anyhow::bail!("planned failure {attempt}")
            }
            Behaviour::Fail(_) => {}
            Behaviour::Block => ctx.release.notified().await,
            Behaviour::Panic => panic!("planned panic"),
        }
        let _ = ctx.seen.send(Seen::Finished { id: self.id });
        Ok(())
    }
}

fn fast() -> Tuning {
    Tuning {
        backoff_min: Duration::from_millis(10),
        backoff_max: Duration::from_millis(40),
        poll_interval: Duration::from_millis(50),
        shutdown_grace: Duration::from_secs(10),
    }
}

fn unique_id() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(0u8) >> 12
}

struct Harness {
    queues: Queues,
    seen: mpsc::UnboundedReceiver<Seen>,
    release: Arc<Notify>,
    attempts: Arc<Mutex<HashMap<u64, u32>>>,
    stop: Option<oneshot::Sender<()>>,
    running: tokio::task::JoinHandle<anyhow::Result<()>>,
    _dir: Option<tempfile::TempDir>,
}

async fn sqlite_queues() -> (Queues, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("queue.sqlite").display()
    );
    let queues = Queues::connect(&QueueBackend::Sqlite { url })
        .await
        .unwrap();
    (queues, dir)
}

/// Start the full monitor (real workers + the test worker) on `queues`.
async fn start(queues: Queues, dir: Option<tempfile::TempDir>, tuning: Tuning) -> Harness {
    start_with(queues, dir, tuning, WorkerConfig::default()).await
}

async fn start_with(
    queues: Queues,
    dir: Option<tempfile::TempDir>,
    tuning: Tuning,
    config: WorkerConfig,
) -> Harness {
    launch(queues, dir, tuning, Some(config)).await
}

/// The test worker, plus the real ones if `config` is given.
async fn launch(
    queues: Queues,
    dir: Option<tempfile::TempDir>,
    tuning: Tuning,
    config: Option<WorkerConfig>,
) -> Harness {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let db = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
    let (tx, seen) = mpsc::unbounded_channel();
    let release = Arc::new(Notify::new());
    let attempts = Arc::new(Mutex::new(HashMap::new()));
    let ctx = TestCtx {
        seen: tx,
        release: release.clone(),
        attempts: attempts.clone(),
    };
    let instance = format!("test-{:x}", unique_id());
    let monitor = match config {
        Some(config) => build_monitor(db, &queues, &config, &tuning, &instance).unwrap(),
        None => Monitor::new(),
    };
    let monitor = register_job::<TestJob>(monitor, &queues, ctx, 2, &tuning, &instance).unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let running = tokio::spawn(supervise(
        monitor,
        async move {
            let _ = stopped.await;
        },
        tuning.shutdown_grace,
    ));
    Harness {
        queues,
        seen,
        release,
        attempts,
        stop: Some(stop),
        running,
        _dir: dir,
    }
}

impl Harness {
    async fn push(&self, id: u64, behaviour: Behaviour) {
        self.queues
            .push(TestJob { id, behaviour }, None)
            .await
            .unwrap();
    }

    /// Wait (bounded) for `want`, skipping other events (e.g. leftovers in a shared Redis).
    async fn expect(&mut self, want: Seen) {
        let found = tokio::time::timeout(WAIT, async {
            while let Some(seen) = self.seen.recv().await {
                if seen == want {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(found, Ok(true), "did not see {want:?} within {WAIT:?}");
    }

    async fn shutdown(mut self) -> anyhow::Result<()> {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(WAIT, self.running)
            .await
            .expect("monitor did not stop in time")
            .expect("monitor task panicked")
    }
}

fn pool(queues: &Queues) -> apalis_sqlite::SqlitePool {
    match queues.conn() {
        QueueConn::Sqlite(pool) => pool.clone(),
        QueueConn::Redis(_) => unreachable!(),
    }
}

/// (status, attempts) of the only job in the test queue, once it reaches a final status.
async fn final_state(queues: &Queues) -> (String, i64) {
    let pool = pool(queues);
    tokio::time::timeout(WAIT, async {
        loop {
            let row: Option<(String, i64)> =
                sea_orm::sqlx::query_as("SELECT status, attempts FROM Jobs WHERE job_type = ?")
                    .bind(TestJob::QUEUE)
                    .fetch_optional(&pool)
                    .await
                    .unwrap();
            if let Some((status, attempts)) = row
                && matches!(status.as_str(), "Done" | "Killed" | "Failed")
            {
                return (status, attempts);
            }
            tokio::time::sleep(Duration::from_millis(20)).await; // bounded by the timeout
        }
    })
    .await
    .expect("job did not reach a final status")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_job_is_picked_up_and_shutdown_waits_for_it() {
    let (queues, dir) = sqlite_queues().await;
    let mut h = start(queues.clone(), Some(dir), fast()).await;
    queues.ping().await.unwrap();

    h.push(1, Behaviour::Block).await;
    h.expect(Seen::Started { id: 1, attempt: 1 }).await;

    // Shut down while the job runs: the monitor must wait for it.
    let _ = h.stop.take().unwrap().send(());
    let still_running = tokio::time::timeout(Duration::from_millis(300), &mut h.running).await;
    assert!(
        still_running.is_err(),
        "monitor stopped before its in-flight job finished"
    );

    h.release.notify_one();
    h.expect(Seen::Finished { id: 1 }).await;
    let result = tokio::time::timeout(WAIT, &mut h.running).await;
    assert!(matches!(result, Ok(Ok(Ok(())))), "{result:?}");
    assert_eq!(final_state(&queues).await, ("Done".to_owned(), 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_failed_job_is_retried_with_backoff() {
    let (queues, dir) = sqlite_queues().await;
    let mut h = start(queues.clone(), Some(dir), fast()).await;
    h.push(2, Behaviour::Fail(2)).await;
    h.expect(Seen::Finished { id: 2 }).await;
    assert_eq!(h.attempts.lock().unwrap()[&2], 3);
    assert_eq!(final_state(&queues).await, ("Done".to_owned(), 3));
    h.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_job_gives_up_after_max_attempts() {
    let (queues, dir) = sqlite_queues().await;
    let h = start(queues.clone(), Some(dir), fast()).await;
    h.push(3, Behaviour::Fail(u32::MAX)).await;
    assert_eq!(
        final_state(&queues).await,
        ("Killed".to_owned(), MAX_ATTEMPTS as i64)
    );
    assert_eq!(h.attempts.lock().unwrap()[&3], MAX_ATTEMPTS as u32);
    h.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_panicking_job_is_caught_and_not_retried() {
    let (queues, dir) = sqlite_queues().await;
    let mut h = start(queues.clone(), Some(dir), fast()).await;
    h.push(4, Behaviour::Panic).await;
    assert_eq!(final_state(&queues).await, ("Killed".to_owned(), 1));
    // The worker survived the panic and still takes jobs.
    h.push(5, Behaviour::Succeed).await;
    h.expect(Seen::Finished { id: 5 }).await;
    assert_eq!(h.attempts.lock().unwrap()[&4], 1);
    h.shutdown().await.unwrap();
}

/// apalis-sqlite fetches with BEGIN / UPDATE … RETURNING / COMMIT. When the poll tick comes due
/// while that is in flight and the fetch then completes empty in the same poll, apalis' own
/// interval timer was left without a waker and the idle worker slept until its next heartbeat
/// (30 s) — the stall behind the occasional CI failures of the tests above. A COMMIT slower than
/// two poll intervals (a commit hook that sleeps here; a loaded machine on CI) makes that happen
/// every time. See `crate::poll`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_worker_keeps_polling_after_a_fetch_slower_than_the_interval() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("queue.sqlite");
    let options = apalis_sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true);
    let slow = Arc::new(AtomicBool::new(false));
    let hook = slow.clone();
    let pool = apalis_sqlite::SqlitePoolOptions::new()
        .after_connect(move |conn, _| {
            let slow = hook.clone();
            Box::pin(async move {
                conn.lock_handle().await?.set_commit_hook(move || {
                    if slow.load(Ordering::SeqCst) {
                        std::thread::sleep(Duration::from_millis(150));
                    }
                    true // commit
                });
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .unwrap();
    apalis_sqlite::SqliteStorage::setup(&pool).await.unwrap();
    let queues = Queues::from_conn(QueueConn::Sqlite(pool), None);
    // The test worker alone, so that its fetches are the only slow commits.
    let mut h = launch(queues, Some(dir), fast(), None).await;
    tokio::time::sleep(Duration::from_millis(200)).await; // registered and polling

    // A few poll intervals of slow commits, then let the last slow fetch finish.
    slow.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(400)).await;
    slow.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(300)).await;

    h.push(9, Behaviour::Succeed).await;
    // Far more than the 50 ms poll interval, far less than the 30 s heartbeat.
    let picked_up = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(seen) = h.seen.recv().await {
            if seen == (Seen::Finished { id: 9 }) {
                return;
            }
        }
    })
    .await;
    assert!(
        picked_up.is_ok(),
        "a job pushed after a slow fetch was not picked up within 5 s"
    );
    h.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_grace_period_bounds_a_stuck_job() {
    let (queues, dir) = sqlite_queues().await;
    let tuning = Tuning {
        shutdown_grace: Duration::from_millis(200),
        ..fast()
    };
    let mut h = start(queues, Some(dir), tuning).await;
    h.push(6, Behaviour::Block).await; // never released
    h.expect(Seen::Started { id: 6, attempt: 1 }).await;
    h.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_waiting_to_retry_does_not_hold_up_shutdown_and_runs_after_restart() {
    let (queues, dir) = sqlite_queues().await;
    let slow = Duration::from_secs(120);
    let tuning = Tuning {
        backoff_min: slow,
        backoff_max: slow,
        ..fast()
    };
    let mut h = start(queues.clone(), None, tuning).await;
    h.push(8, Behaviour::Fail(1)).await;
    h.expect(Seen::Failed { id: 8, attempt: 1 }).await;
    // Let the retry policy schedule the next attempt, two minutes away.
    let next = tokio::time::timeout(Duration::from_millis(200), h.seen.recv()).await;
    assert!(next.is_err(), "unexpected {next:?}");

    // Shutdown must not wait for the backoff.
    let _ = h.stop.take().unwrap().send(());
    let stopped = tokio::time::timeout(Duration::from_secs(5), &mut h.running).await;
    assert!(matches!(stopped, Ok(Ok(Ok(())))), "{stopped:?}");
    assert_eq!(final_state(&queues).await, ("Failed".to_owned(), 1));

    // The next worker process picks it up again (its own attempt count restarts at 1).
    let mut h = start(queues.clone(), Some(dir), fast()).await;
    h.expect(Seen::Finished { id: 8 }).await;
    assert_eq!(final_state(&queues).await, ("Done".to_owned(), 3));
    h.shutdown().await.unwrap();
}

#[tokio::test]
async fn nightly_job_is_enqueued_once_per_date() {
    let (queues, _dir) = sqlite_queues().await;
    let night = chrono::NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
    for _ in 0..3 {
        // e.g. three worker processes ticking at 02:00
        queues.enqueue_nightly(night).await.unwrap();
    }
    queues
        .enqueue_nightly(night.succ_opt().unwrap())
        .await
        .unwrap();
    let count: i64 = sea_orm::sqlx::query_scalar("SELECT count(*) FROM Jobs WHERE job_type = ?")
        .bind(NightlyEvaluation::QUEUE)
        .fetch_one(&pool(&queues))
        .await
        .unwrap();
    assert_eq!(count, 2);
}

#[tokio::test]
async fn empty_evaluation_is_not_enqueued() {
    let (queues, _dir) = sqlite_queues().await;
    queues.enqueue_evaluation(vec![]).await.unwrap();
    queues.enqueue_import(7).await.unwrap();
    let count: i64 = sea_orm::sqlx::query_scalar("SELECT count(*) FROM Jobs")
        .fetch_one(&pool(&queues))
        .await
        .unwrap();
    assert_eq!(count, 1);
}

/// Redis at `TEST_REDIS_URL`, under a namespace of its own. The production-shaped test pass
/// (`RENTDESK_TEST_BACKEND=postgres`) must have it: there a missing Redis fails the test
/// instead of skipping it.
fn redis_backend() -> Option<QueueBackend> {
    match std::env::var("TEST_REDIS_URL") {
        Ok(url) => Some(QueueBackend::Redis {
            url,
            namespace: format!("worker-test-{}", unique_id()),
        }),
        Err(_) if std::env::var("RENTDESK_TEST_BACKEND").as_deref() == Ok("postgres") => {
            panic!("RENTDESK_TEST_BACKEND=postgres needs TEST_REDIS_URL")
        }
        Err(_) => {
            eprintln!("TEST_REDIS_URL not set; skipping the Redis test");
            None
        }
    }
}

/// Runs when `TEST_REDIS_URL` is set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_job_is_picked_up_and_shutdown_is_graceful() {
    let Some(backend) = redis_backend() else {
        return;
    };
    let queues = Queues::connect(&backend).await.unwrap();
    queues.ping().await.unwrap();
    let mut h = start(queues, None, fast()).await;
    let id = unique_id();
    h.push(id, Behaviour::Fail(1)).await;
    h.expect(Seen::Started { id, attempt: 2 }).await;
    h.expect(Seen::Finished { id }).await;

    let blocked = unique_id();
    h.push(blocked, Behaviour::Block).await;
    h.expect(Seen::Started {
        id: blocked,
        attempt: 1,
    })
    .await;
    let _ = h.stop.take().unwrap().send(());
    let still_running = tokio::time::timeout(Duration::from_millis(300), &mut h.running).await;
    assert!(
        still_running.is_err(),
        "monitor stopped before its in-flight job finished"
    );
    h.release.notify_one();
    h.expect(Seen::Finished { id: blocked }).await;
    let result = tokio::time::timeout(WAIT, &mut h.running).await;
    assert!(matches!(result, Ok(Ok(Ok(())))), "{result:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cron_tick_enqueues_the_nightly_job_keyed_by_date() {
    let (queues, dir) = sqlite_queues().await;
    let config = WorkerConfig {
        nightly_cron: "* * * * * *".into(),
        ..WorkerConfig::default()
    };
    let tz = config.timezone;
    let h = start_with(queues.clone(), Some(dir), fast(), config).await;
    let pool = pool(&queues);
    let count = tokio::time::timeout(WAIT, async {
        loop {
            let key = NightlyEvaluation::idempotency_key(crate::jobs::today_in(
                tz,
                &rentdesk_store::Clock::system(),
            ));
            let count: i64 = sea_orm::sqlx::query_scalar(
                "SELECT count(*) FROM Jobs WHERE job_type = ? AND idempotency_key = ?",
            )
            .bind(NightlyEvaluation::QUEUE)
            .bind(key)
            .fetch_one(&pool)
            .await
            .unwrap();
            if count > 0 {
                return count;
            }
            tokio::time::sleep(Duration::from_millis(50)).await; // bounded by the timeout
        }
    })
    .await
    .expect("the cron tick did not enqueue the nightly evaluation");
    assert_eq!(count, 1);
    h.shutdown().await.unwrap();
}

/// Runs when `TEST_REDIS_URL` is set.
#[tokio::test]
async fn redis_nightly_job_is_enqueued_once_per_date() {
    let Some(backend) = redis_backend() else {
        return;
    };
    let queues = Queues::connect(&backend).await.unwrap();
    let QueueConn::Redis(conn) = queues.conn() else {
        unreachable!()
    };
    let mut conn = conn.clone();
    let data = queues.redis_config::<NightlyEvaluation>(1).job_data_hash();
    let len = |mut conn: apalis_redis::ConnectionManager, key: String| async move {
        redis::cmd("HLEN")
            .arg(key)
            .query_async::<i64>(&mut conn)
            .await
            .unwrap()
    };
    let before = len(conn.clone(), data.clone()).await;
    // A date no other run uses (keys live for days in Redis).
    let night = chrono::NaiveDate::from_ymd_opt(3000, 1, 1).unwrap()
        + chrono::Days::new(unique_id() % 300_000);
    for _ in 0..3 {
        queues.enqueue_nightly(night).await.unwrap();
    }
    assert_eq!(len(conn.clone(), data.clone()).await - before, 1);
    let key = format!(
        "{}:{}",
        queues
            .redis_config::<NightlyEvaluation>(1)
            .idempotency_key_set(),
        NightlyEvaluation::idempotency_key(night)
    );
    let _: () = redis::cmd("DEL")
        .arg(key)
        .query_async(&mut conn)
        .await
        .unwrap();
}

/// The server spawns `run` and shares `Queues` across handlers.
#[allow(dead_code)]
fn api_types_are_send_and_sync(db: sea_orm::DatabaseConnection, queues: Queues) {
    fn send_static<T: Send + 'static>(_: &T) {}
    fn shareable<T: Clone + Send + Sync + 'static>(_: &T) {}
    shareable(&queues);
    send_static(&crate::run(db, queues, WorkerConfig::default(), async {}));
}
