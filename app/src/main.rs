use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    rentdesk::cli::run(rentdesk::cli::Cli::parse()).await
}
