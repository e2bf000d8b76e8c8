//! `rentdesk-worker`: runs Rentdesk's job-queue workers until Ctrl-C or SIGTERM.

use anyhow::Context as _;
use rentdesk_config::{Mode, Settings, init_tracing, shutdown_signal};
use rentdesk_worker::{Queues, WorkerConfig};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::from_env(Mode::Worker)?;
    init_tracing(settings.log_format);
    rentdesk_store::facts::set_benefit_timing(settings.policy.benefit_timing);
    let db = rentdesk_store::db::connect(&settings.database.url, settings.database.max_connections)
        .await
        .context("cannot connect to DATABASE_URL")?;
    let queues = Queues::connect(&settings.queue_backend()).await?;
    let config = WorkerConfig::from_settings(&settings);
    rentdesk_worker::run(db, queues, config, shutdown_signal()).await
}
