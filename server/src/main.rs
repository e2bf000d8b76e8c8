use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    rentdesk_server::cli::run(rentdesk_server::cli::Cli::parse()).await
}
