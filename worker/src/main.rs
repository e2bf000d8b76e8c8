//! `rentdesk-worker`: runs Rentdesk's job-queue workers until Ctrl-C or SIGTERM.

use anyhow::Context as _;
use rentdesk_worker::Queues;
use rentdesk_worker::settings::{Mode, Settings, init_tracing, shutdown_signal};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::from_env(Mode::Worker)?;
    init_tracing(settings.log_format);
    rentdesk_store::facts::set_benefit_timing(settings.benefit_timing);
    let db = rentdesk_store::db::connect(&settings.database_url, settings.db_max_connections)
        .await
        .context("cannot connect to DATABASE_URL")?;
    let queues = Queues::connect(&settings.queue_backend()).await?;
    rentdesk_worker::run(db, queues, settings.worker_config(), shutdown_signal()).await
}
