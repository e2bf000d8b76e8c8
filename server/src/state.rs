//! What every request handler can reach.

use crate::config::Settings;
use rentdesk_jobs::Queues;
use sea_orm::DatabaseConnection;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub queues: Queues,
    pub settings: Settings,
}

impl AppState {
    /// Today in Europe/London: the date rent and arrears rules run on.
    pub fn today(&self) -> chrono::NaiveDate {
        rentdesk_domain::time::london_date(chrono::Utc::now())
    }
}
