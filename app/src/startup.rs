//! Running the API and the worker in one process (`rentdesk dev`, and the end-to-end tests):
//! the composition the HTTP server crate leaves to the binary, so it does not depend on the
//! worker.

pub use rentdesk_config::{init_tracing, shutdown_signal};
pub use rentdesk_server::startup::{
    Bound, HSTS, api_service, bind, connect, routes, spec_json, spec_yaml,
};
use rentdesk_server::state::AppState;
use std::net::SocketAddr;

/// The API and the worker running in this process (`rentdesk dev`, and the end-to-end tests).
pub struct Running {
    pub addr: SocketAddr,
    stop: tokio::sync::watch::Sender<bool>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    worker: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// Start the worker and the HTTP server on `state`, both stopping on one signal.
pub async fn start_all(state: AppState) -> std::io::Result<Running> {
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = move || {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };
    let worker = tokio::spawn(rentdesk_worker::run(
        state.db.clone(),
        state.queues.clone(),
        rentdesk_worker::WorkerConfig {
            clock: state.clock.clone(),
            ..rentdesk_worker::WorkerConfig::from_settings(&state.settings)
        },
        stopped(),
    ));
    let bound = bind(state.settings.http.bind).await?;
    let addr = bound.addr;
    let server = tokio::spawn(bound.serve(state, stopped()));
    Ok(Running {
        addr,
        stop,
        server,
        worker,
    })
}

impl Running {
    /// Ask both to stop, then wait: in-flight requests and jobs finish first.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        self.server.await??;
        self.worker.await??;
        Ok(())
    }
}
