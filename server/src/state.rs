//! What every request handler can reach.

use crate::config::Settings;
use rentdesk_jobs::Queues;
use sea_orm::DatabaseConnection;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub queues: Queues,
    pub settings: Settings,
    /// The clock the rules run on: the system clock, or the one an end-to-end test moves.
    pub clock: rentdesk_store::Clock,
    /// Set when the process begins to stop: `/health` then answers 503 while in-flight and
    /// new requests are still served for `SHUTDOWN_DRAIN_SECS`.
    pub draining: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl AppState {
    /// Today in Europe/London: the date rent and arrears rules run on.
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.today()
    }

    /// Now, on the rules' clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Whether the process is stopping (see `draining`).
    pub fn is_draining(&self) -> bool {
        self.draining.load(std::sync::atomic::Ordering::SeqCst)
    }
}
