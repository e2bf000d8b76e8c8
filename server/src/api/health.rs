use super::ApiTags;
use crate::api::vocab::Availability;
use crate::state::AppState;
use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json};

/// Whether the service and what it depends on answer.
#[derive(Debug, Object)]
pub struct Health {
    pub status: Availability,
    pub database: Availability,
    pub queue: Availability,
    /// True once the process has begun to stop: it still answers, but take it out of rotation
    /// (the status is then 503).
    pub draining: bool,
    /// Work the database says is pending (null when the database does not answer). A queue
    /// that lost its jobs looks empty; this does not: alert on `oldest_seconds` (the worker
    /// queues stranded work again after 5 minutes without progress).
    pub pending: Option<PendingWork>,
}

/// Pending work by kind, and the age of the oldest.
#[derive(Debug, Object)]
pub struct PendingWork {
    /// Campaigns launched whose fan-out has not finished planning.
    pub campaigns: u64,
    /// Import batches queued or running.
    pub imports: u64,
    /// Subject-access exports queued or running.
    pub exports: u64,
    /// Seconds since the oldest of them was launched or stored; null when nothing is pending.
    pub oldest_seconds: Option<i64>,
}

#[derive(ApiResponse)]
pub enum HealthResponse {
    /// Database and job queue answer.
    #[oai(status = 200)]
    Ok(Json<Health>),
    /// Something the service needs does not answer, or the process is stopping (`draining`).
    #[oai(status = 503)]
    Unavailable(Json<Health>),
}

pub struct HealthApi;

#[OpenApi(tag = "ApiTags::Service")]
impl HealthApi {
    /// Health check
    ///
    /// Checks the database and the job queue (SQLite or Redis) with a round trip each.
    #[oai(path = "/health", method = "get")]
    async fn health(&self, state: Data<&AppState>) -> HealthResponse {
        let database = match rentdesk_store::db::ping(&state.db).await {
            Ok(()) => Availability::Ok,
            Err(e) => {
                tracing::warn!("health: database: {e}");
                Availability::Unavailable
            }
        };
        let queue = match state.queues.ping().await {
            Ok(()) => Availability::Ok,
            Err(e) => {
                tracing::warn!("health: queue: {e}");
                Availability::Unavailable
            }
        };
        let pending = match rentdesk_store::sweep::pending(&state.db).await {
            Ok(p) => Some(PendingWork {
                campaigns: p.campaigns,
                imports: p.imports,
                exports: p.exports,
                oldest_seconds: p
                    .oldest
                    .map(|t| (chrono::Utc::now() - t).num_seconds().max(0)),
            }),
            Err(e) => {
                tracing::warn!("health: pending work: {e}");
                None
            }
        };
        let draining = state.is_draining();
        let healthy = database == Availability::Ok && queue == Availability::Ok && !draining;
        let body = Health {
            status: if healthy {
                Availability::Ok
            } else {
                Availability::Unavailable
            },
            database,
            queue,
            draining,
            pending,
        };
        if healthy {
            HealthResponse::Ok(Json(body))
        } else {
            HealthResponse::Unavailable(Json(body))
        }
    }
}
