//! Building the application and running it: the HTTP server, and in `dev` the worker beside it.

use crate::api::campaigns::CampaignsApi;
use crate::api::officer::routes::OfficerRoutesApi;
use crate::api::officer::{
    accounts::OfficerAccountsApi, arrangements::OfficerArrangementsApi,
    caseload::OfficerCaseloadApi, history::OfficerHistoryApi, signin::OfficerSignInApi,
    steps::OfficerStepsApi, sync::OfficerSyncApi,
};
use crate::api::outreach_config::OutreachConfigApi;
use crate::api::tenant::{
    account::TenantAccountApi, plans::TenantPlansApi, profile::TenantProfileApi,
    signin::TenantSignInApi,
};
use crate::api::{health::HealthApi, manage::ManageApi};
use crate::api::{people::PeopleApi, reports::ReportsApi};
use crate::config::Settings;
use crate::problem::any_error_as_problem;
use crate::state::AppState;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::middleware::Tracing;
use poem::{EndpointExt, Route, Server};
use poem_openapi::OpenApiService;
use std::net::SocketAddr;

pub const TITLE: &str = "Rentdesk API";

/// One group per audience (poem-openapi implements `OpenApi` for tuples of up to 16).
type ManageApis = (
    ManageApi,
    OutreachConfigApi,
    crate::api::data_protection::DataProtectionApi,
    ReportsApi,
    PeopleApi,
    CampaignsApi,
);
type TenantApis = (
    TenantSignInApi,
    TenantAccountApi,
    TenantPlansApi,
    TenantProfileApi,
);
type OfficerApis = (
    OfficerSignInApi,
    OfficerAccountsApi,
    OfficerHistoryApi,
    OfficerStepsApi,
    OfficerArrangementsApi,
    OfficerCaseloadApi,
    OfficerSyncApi,
    OfficerRoutesApi,
);
type Apis = (HealthApi, ManageApis, TenantApis, OfficerApis);

pub fn api_service() -> OpenApiService<Apis, ()> {
    let apis = (
        HealthApi,
        (
            ManageApi,
            OutreachConfigApi,
            crate::api::data_protection::DataProtectionApi,
            ReportsApi,
            PeopleApi,
            CampaignsApi,
        ),
        (
            TenantSignInApi,
            TenantAccountApi,
            TenantPlansApi,
            TenantProfileApi,
        ),
        (
            OfficerSignInApi,
            OfficerAccountsApi,
            OfficerHistoryApi,
            OfficerStepsApi,
            OfficerArrangementsApi,
            OfficerCaseloadApi,
            OfficerSyncApi,
            OfficerRoutesApi,
        ),
    );
    OpenApiService::new(apis, TITLE, env!("CARGO_PKG_VERSION"))
        .summary("Income recovery for UK social landlords")
        .description(
            "The API behind Rentdesk's tenant, officer and team-leader apps. Money is integer \
             pence; dates are Europe/London calendar dates; errors are RFC 9457 \
             application/problem+json.",
        )
}

/// The OpenAPI document the mobile apps are generated from (`mobile-api-spec/openapi.yaml`).
/// Deterministic: no server URL or other machine-specific detail.
pub fn spec_yaml() -> String {
    api_service().spec_yaml()
}

pub fn routes(state: AppState) -> impl poem::Endpoint {
    let api = api_service().server(state.settings.public_url.clone());
    let docs = api.swagger_ui();
    let spec_json = api.spec_endpoint();
    let spec_yaml = api.spec_endpoint_yaml();
    Route::new()
        .nest("/", api)
        .nest("/docs", docs)
        .at("/openapi.json", spec_json)
        .at("/openapi.yaml", spec_yaml)
        .at(
            "/unsubscribe/email/:token",
            poem::get(crate::api::unsubscribe::confirm).post(crate::api::unsubscribe::unsubscribe),
        )
        .at(
            "/webhooks/twilio/status",
            poem::post(crate::api::webhooks::twilio_status),
        )
        .at(
            "/webhooks/twilio/inbound",
            poem::post(crate::api::webhooks::twilio_inbound),
        )
        .around(refuse_oversized_bodies)
        .with(Tracing)
        .data(state)
        .catch_all_error(any_error_as_problem)
}

/// Refuse a declared body larger than any request needs (an import file plus its form), before
/// reading it. poem's `SizeLimit` would also refuse every request without a Content-Length.
async fn refuse_oversized_bodies<E: poem::Endpoint>(
    next: E,
    req: poem::Request,
) -> poem::Result<poem::Response> {
    const MAX: usize = crate::api::manage::MAX_IMPORT_BYTES + 1024 * 1024;
    let declared = req
        .headers()
        .get(poem::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX) {
        return Err(crate::problem::Problem::new(
            poem::http::StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "The request body is too large",
        )
        .detail(format!("at most {MAX} bytes"))
        .into());
    }
    next.call(req).await.map(poem::IntoResponse::into_response)
}

/// A bound, not yet serving, HTTP server; `addr` is known (tests bind port 0).
pub struct Bound {
    pub addr: SocketAddr,
    acceptor: poem::listener::TcpAcceptor,
}

pub async fn bind(addr: SocketAddr) -> std::io::Result<Bound> {
    let acceptor = TcpListener::bind(addr).into_acceptor().await?;
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .unwrap_or(addr);
    Ok(Bound { addr, acceptor })
}

impl Bound {
    /// Serve until `shutdown` resolves, then finish in-flight requests (bounded by the
    /// configured timeout).
    pub async fn serve(
        self,
        state: AppState,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let timeout = state.settings.shutdown_timeout;
        Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(routes(state), shutdown, Some(timeout))
            .await
    }
}

pub use rentdesk_worker::settings::{init_tracing, shutdown_signal};

/// Connect to the database (migrating it) and the queue.
pub async fn connect(settings: &Settings) -> anyhow::Result<AppState> {
    let db = rentdesk_store::db::connect(&settings.database_url, settings.db_max_connections)
        .await
        .map_err(|e| anyhow::anyhow!("DATABASE_URL: cannot connect: {e}"))?;
    rentdesk_store::db::migrate(&db).await?;
    let queues = rentdesk_worker::Queues::connect(&settings.queue_backend())
        .await
        .map_err(|e| anyhow::anyhow!("job queue: cannot connect: {e}"))?;
    Ok(AppState {
        db,
        queues,
        settings: settings.clone(),
    })
}

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
        state.settings.worker_config(),
        stopped(),
    ));
    let bound = bind(state.settings.bind).await?;
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
