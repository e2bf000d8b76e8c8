//! Building the HTTP application and serving it. The `rentdesk` binary (`app/src/startup.rs`)
//! runs the worker beside it.

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
    crate::spec::to_yaml(&spec_value(&api_service()))
}

/// The same document as JSON (`mobile-api-spec/openapi.json`).
pub fn spec_json() -> String {
    let mut json = serde_json::to_string_pretty(&spec_value(&api_service())).unwrap_or_default();
    json.push('\n');
    json
}

/// poem-openapi's document made exact for OpenAPI 3.0 clients ([`crate::spec::exact`]).
fn spec_value<T>(api: &OpenApiService<T, ()>) -> serde_yaml::Value
where
    T: poem_openapi::OpenApi,
{
    crate::spec::exact(serde_yaml::from_str(&api.spec_yaml()).unwrap_or_default())
}

pub fn routes(state: AppState) -> impl poem::Endpoint {
    let api = api_service().server(state.settings.http.public_url.clone());
    let docs = api.swagger_ui();
    let served = spec_value(&api);
    let contract = std::sync::Arc::new(crate::contract::Contract::new(
        &serde_json::to_value(&served).unwrap_or_default(),
    ));
    let spec_json = static_document(
        "application/json",
        serde_json::to_string(&served).unwrap_or_default(),
    );
    let spec_yaml = static_document("application/yaml", crate::spec::to_yaml(&served));
    let dev_outbox = state.settings.http.dev_outbox;
    let hsts = state.settings.http.public_url.starts_with("https://");
    let mut route = Route::new();
    if dev_outbox {
        // `rentdesk dev` only: the local outbox (sign-in codes included), outside the document.
        route = route.at("/dev/outbox", poem::get(crate::api::dev_outbox::dev_outbox));
    }
    route
        .nest("/", api)
        .nest("/docs", docs)
        .nest("/console", crate::console::routes())
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
        .around({
            let contract = contract.clone();
            move |next, req| {
                let contract = contract.clone();
                async move { check_contract(&contract, next, req).await }
            }
        })
        .around(move |next, req| {
            let contract = contract.clone();
            async move { declared_statuses(&contract, next, req).await }
        })
        .around(refuse_oversized_bodies)
        .with(catch_panics())
        .with(Tracing)
        .data(state)
        .catch_all_error(any_error_as_problem)
        .around(move |next, req| async move { security_headers(next, req, hsts).await })
}

/// A handler that panics is our bug, but its caller still gets an answer: a problem+json 500
/// with the error id (the panic's message goes to the log), never a dropped connection (issue
/// 15; ASVS 7.4.3). Found missing by SECURITY.md's review.
fn catch_panics() -> poem::middleware::CatchPanic<impl poem::middleware::PanicHandler> {
    poem::middleware::CatchPanic::new().with_handler(|err: Box<dyn std::any::Any + Send>| {
        let what = err
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| err.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_owned());
        crate::problem::Problem::internal(&format!("a handler panicked: {what}"))
    })
}

/// What a browser may do with what the API sends (issue 19, OWASP ASVS 14.4): nothing is
/// sniffed as another type, framed, or given a referrer; JSON and problem answers may load
/// nothing at all. The interactive document (`/docs`, poem-openapi's Swagger UI, which is one
/// page of inline script and style) may run its own page's script and call this origin only.
/// HSTS when the public URL is https (behind TLS; a browser ignores it over http anyway).
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; form-action 'self'";
const DOCS_CSP: &str = "default-src 'self'; script-src 'self' 'unsafe-inline'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
     frame-ancestors 'none'";
pub const HSTS: &str = "max-age=63072000; includeSubDomains";

async fn security_headers<E: poem::Endpoint>(
    next: E,
    req: poem::Request,
    hsts: bool,
) -> poem::Result<poem::Response> {
    use poem::IntoResponse as _;
    use poem::http::HeaderValue;
    let path = req.uri().path();
    let docs = path == "/docs" || path.starts_with("/docs/");
    let console = path == "/console" || path.starts_with("/console/");
    // The API's answers carry people's accounts, tokens and sign-in codes: no cache, shared or
    // the browser's, keeps them (ASVS 8.2.1). The console sets its own (its static assets are
    // cached, its pages not).
    let api = ["/tenant/", "/officer/", "/manage/", "/dev/"]
        .iter()
        .any(|p| path.starts_with(p));
    let mut resp = next.call(req).await?.into_response();
    let headers = resp.headers_mut();
    let csp = if docs {
        DOCS_CSP
    } else if console {
        crate::console::CONSOLE_CSP
    } else {
        API_CSP
    };
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
        ("content-security-policy", csp),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if hsts {
        headers.insert("strict-transport-security", HeaderValue::from_static(HSTS));
    }
    if api {
        headers.insert("cache-control", HeaderValue::from_static("no-store"));
    }
    Ok(resp)
}

/// Refuse a request that does not match the published document, naming the parameter or
/// body field at fault ([`crate::contract`]). Runs inside [`refuse_oversized_bodies`], so a
/// JSON body here is already bounded and buffered.
///
/// The operation still runs its own extractors first, so a caller who is not signed in gets
/// 401, not a list of their body's faults: a refused request goes on with the faulty part made
/// unreadable (the body replaced by a non-JSON byte, a faulty parameter by a value its type
/// cannot parse), and the parse error that follows, after authentication, is answered with the
/// fields at fault. Nothing of a refused request reaches a handler's code.
async fn check_contract<E: poem::Endpoint>(
    contract: &crate::contract::Contract,
    next: E,
    mut req: poem::Request,
) -> poem::Result<poem::Response> {
    use crate::contract::Refusal;
    use poem::IntoResponse as _;
    use poem::http::Method;
    use poem_openapi::error::{ParseParamError, ParseRequestPayloadError};
    let json = req
        .headers()
        .get(poem::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    let body = if json {
        let bytes = req.take_body().into_bytes().await?;
        req.set_body(bytes.clone());
        Some(bytes)
    } else {
        None
    };
    // A method the document does not declare at this path: 405 with the ones it does.
    if let Some(allowed) = contract.allowed_methods(req.uri().path())
        && !allowed.contains(req.method())
    {
        let allow: Vec<&str> = allowed.iter().map(Method::as_str).collect();
        let mut resp = crate::problem::Problem::new(
            poem::http::StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "Method not allowed",
        )
        .detail(format!("this path takes {}", allow.join(", ")))
        .into_response();
        if let Ok(v) = poem::http::HeaderValue::from_str(&allow.join(", ")) {
            resp.headers_mut().insert(poem::http::header::ALLOW, v);
        }
        return Ok(resp);
    }
    let refusal = match contract.check(
        req.method(),
        req.uri().path(),
        req.uri().query(),
        body.as_deref(),
    ) {
        Ok(()) => return next.call(req).await.map(poem::IntoResponse::into_response),
        Err(r) => r,
    };
    match &refusal {
        Refusal::Parameters(errors) => {
            let names: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
            let uri = contract.unreadable_parameters(req.method(), req.uri(), &names);
            *req.uri_mut() = uri;
        }
        Refusal::NotJson(_) | Refusal::Fields(_) => req.set_body(&b"\x00"[..]),
    }
    match next.call(req).await {
        // The unreadable part was refused (poem's own path errors say `param0`): answer
        // with what is wrong and where.
        Err(e)
            if e.is::<ParseParamError>()
                || e.is::<ParseRequestPayloadError>()
                || e.status() == poem::http::StatusCode::BAD_REQUEST =>
        {
            Err(refusal.into_problem().into())
        }
        Err(e) => Err(e),
        // Only a string parameter poem-openapi read as it was (the unreadable byte is still a
        // string) gets here: signed in and answered, the refusal stands; a 401/403/404 is the
        // handler's own word.
        Ok(r) => {
            let r = poem::IntoResponse::into_response(r);
            if r.status().is_success() {
                Err(refusal.into_problem().into())
            } else {
                Ok(r)
            }
        }
    }
}

/// An answer whose status the document does not declare for its operation breaks the contract
/// (a handler's `Answer<T, S>` left a status out of `S`, or a response type lists too little).
/// It is logged as an error; a debug build (the tests, the fuzzer's server) answers 500 naming
/// the operation and the status instead, so it cannot pass unnoticed. A release build passes
/// the answer on. Runs outside [`check_contract`], so its refusals are held to the document too.
async fn declared_statuses<E: poem::Endpoint>(
    contract: &crate::contract::Contract,
    next: E,
    req: poem::Request,
) -> poem::Result<poem::Response> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let answer = next.call(req).await.map(poem::IntoResponse::into_response);
    let status = match &answer {
        Ok(r) => r.status(),
        Err(e) => e.status(),
    };
    let Some(operation) = contract.undeclared(&method, &path, status) else {
        return answer;
    };
    tracing::error!(
        operation,
        status = status.as_u16(),
        "answered with a status the document does not declare for this operation"
    );
    if cfg!(debug_assertions) {
        return Err(crate::problem::Problem::new(
            poem::http::StatusCode::INTERNAL_SERVER_ERROR,
            "undeclared-status",
            "The answer's status is not declared for this operation",
        )
        .detail(format!(
            "{operation} answered {}, which the document does not declare for it",
            status.as_u16()
        ))
        .into());
    }
    answer
}

/// A fixed document served as it is.
fn static_document(content_type: &'static str, body: String) -> impl poem::Endpoint {
    poem::endpoint::make_sync(move |_| {
        poem::Response::builder()
            .content_type(content_type)
            .body(body.clone())
    })
}

/// The largest JSON (or form) body any operation takes: a sign-in, a plan, an action, a
/// campaign with its wording all fit in a few KiB. Only the import upload is bigger.
pub const MAX_JSON_BYTES: usize = 64 * 1024;
/// The import upload: the CSV plus its multipart form.
pub const MAX_UPLOAD_BYTES: usize = crate::api::manage::MAX_IMPORT_BYTES + 64 * 1024;

/// The body a request may carry. Only `POST /manage/v1/imports` with a bearer token may send
/// an import file's worth; the token itself is checked before the form is read. Everything
/// else, signed in or not, gets [`MAX_JSON_BYTES`].
fn body_limit(req: &poem::Request) -> usize {
    let bearer = req
        .headers()
        .get(poem::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer "));
    if bearer
        && req.method() == poem::http::Method::POST
        && req.uri().path() == "/manage/v1/imports"
    {
        MAX_UPLOAD_BYTES
    } else {
        MAX_JSON_BYTES
    }
}

fn too_large(limit: usize) -> poem::Error {
    crate::problem::Problem::new(
        poem::http::StatusCode::PAYLOAD_TOO_LARGE,
        "too-large",
        "The request body is too large",
    )
    .detail(format!("at most {limit} bytes"))
    .into()
}

/// Refuse a body larger than its route allows ([`body_limit`]): at once when its declared
/// length says so, and while reading when it comes without one (chunked). A JSON body is read
/// here, so no handler ever holds more than [`MAX_JSON_BYTES`]; an upload streams through a
/// counter. poem's `SizeLimit` would refuse every request without a Content-Length.
async fn refuse_oversized_bodies<E: poem::Endpoint>(
    next: E,
    mut req: poem::Request,
) -> poem::Result<poem::Response> {
    use futures::StreamExt as _;
    let limit = body_limit(&req);
    let declared = req
        .headers()
        .get(poem::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    let body = req.take_body();
    if limit <= MAX_JSON_BYTES {
        match body.into_bytes_limit(limit).await {
            Ok(bytes) => req.set_body(bytes),
            Err(poem::error::ReadBodyError::PayloadTooLarge) => return Err(too_large(limit)),
            Err(e) => return Err(e.into()),
        }
    } else {
        let mut seen = 0usize;
        let counted = body.into_bytes_stream().map(move |chunk| {
            let chunk = chunk?;
            seen += chunk.len();
            if seen > limit {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("the request body is larger than {limit} bytes"),
                ));
            }
            Ok(chunk)
        });
        req.set_body(poem::Body::from_bytes_stream(counted));
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
    /// Serve until `shutdown` resolves; then drain (`/health` answers 503 while requests are
    /// still served, for `SHUTDOWN_DRAIN_SECS`), close the listener and finish in-flight
    /// requests (bounded by `SHUTDOWN_TIMEOUT_SECS`).
    pub async fn serve(
        self,
        state: AppState,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let timeout = state.settings.http.shutdown_timeout;
        let drain = state.settings.http.shutdown_drain;
        let draining = state.draining.clone();
        let drained = async move {
            shutdown.await;
            draining.store(true, std::sync::atomic::Ordering::SeqCst);
            if !drain.is_zero() {
                tracing::info!(
                    seconds = drain.as_secs(),
                    "stopping: /health answers 503 (draining) before the listener closes"
                );
                tokio::time::sleep(drain).await;
            }
        };
        Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(routes(state), drained, Some(timeout))
            .await
    }
}

/// Connect to the database (migrating it) and the queue.
pub async fn connect(settings: &Settings) -> anyhow::Result<AppState> {
    let db = rentdesk_store::db::connect(&settings.database.url, settings.database.max_connections)
        .await
        .map_err(|e| anyhow::anyhow!("DATABASE_URL: cannot connect: {e}"))?;
    rentdesk_store::db::migrate(&db).await?;
    rentdesk_store::facts::set_benefit_timing(settings.policy.benefit_timing);
    let queues = rentdesk_jobs::Queues::connect(&settings.queue_backend())
        .await
        .map_err(|e| anyhow::anyhow!("job queue: cannot connect: {e}"))?;
    Ok(AppState {
        db,
        queues,
        settings: settings.clone(),
        clock: rentdesk_store::Clock::system(),
        draining: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use poem::http::StatusCode;
    use poem::{Endpoint, EndpointExt};

    #[tokio::test]
    async fn a_handler_that_panics_answers_a_problem_500_instead_of_dropping_the_connection() {
        let endpoint =
            poem::endpoint::make_sync(|_| -> &'static str { panic!("a bug in a handler") })
                .with(catch_panics());
        let resp = endpoint
            .call(poem::Request::builder().uri_str("/boom").finish())
            .await
            .map(poem::IntoResponse::into_response)
            .unwrap_or_else(|e| e.into_response());
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(resp.headers()["content-type"], "application/problem+json");
        let body: serde_json::Value =
            serde_json::from_slice(&resp.into_body().into_bytes().await.unwrap()).unwrap();
        assert_eq!(
            body["type"], "https://rentdesk.dev/problems/internal",
            "{body}"
        );
        assert!(
            !body.to_string().contains("a bug in a handler"),
            "the panic's text stays in the log: {body}"
        );
    }

    /// An endpoint answering `status` behind the check, for a document whose operations are
    /// `GET /things/{id}` (declaring 200 and 404) and `POST /things/special` (201).
    async fn answer(path: &str, status: StatusCode) -> poem::Response {
        let doc = serde_json::json!({"paths": {
            "/things/{id}": {"get": {
                "parameters": [{"name": "id", "in": "path", "required": true,
                                "schema": {"type": "integer"}}],
                "responses": {"200": {"description": ""}, "404": {"description": ""}}
            }},
            "/things/special": {"post": {"responses": {"201": {"description": ""}}}}
        }});
        let contract = std::sync::Arc::new(crate::contract::Contract::new(&doc));
        let endpoint = poem::endpoint::make_sync(move |_| status).around(move |next, req| {
            let contract = contract.clone();
            async move { declared_statuses(&contract, next, req).await }
        });
        let req = poem::Request::builder().uri_str(path).finish();
        match endpoint.call(req).await {
            Ok(r) => r,
            Err(e) => e.into_response(),
        }
    }

    #[tokio::test]
    #[cfg_attr(not(debug_assertions), ignore = "a release build passes the answer on")]
    async fn an_undeclared_status_is_a_500_naming_the_operation_in_debug_builds() {
        let resp = answer("/things/7", StatusCode::CONFLICT).await;
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = resp.into_body().into_string().await.unwrap();
        assert!(
            body.contains("GET /things/{id} answered 409"),
            "the operation and the status are named: {body}"
        );
    }

    #[tokio::test]
    async fn declared_statuses_server_errors_and_other_paths_pass() {
        for (path, status) in [
            ("/things/7", StatusCode::OK),
            ("/things/7", StatusCode::NOT_FOUND),
            ("/things/7", StatusCode::SERVICE_UNAVAILABLE),
            ("/other", StatusCode::CONFLICT),
            // Not `GET /things/{id}`: the path takes POST only.
            ("/things/special", StatusCode::METHOD_NOT_ALLOWED),
        ] {
            assert_eq!(
                answer(path, status).await.status(),
                status,
                "{path} {status}"
            );
        }
    }
}
