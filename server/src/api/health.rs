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
}

#[derive(ApiResponse)]
pub enum HealthResponse {
    /// Database and job queue answer.
    #[oai(status = 200)]
    Ok(Json<Health>),
    /// Something the service needs does not answer.
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
        let healthy = database == Availability::Ok && queue == Availability::Ok;
        let body = Health {
            status: if healthy {
                Availability::Ok
            } else {
                Availability::Unavailable
            },
            database,
            queue,
        };
        if healthy {
            HealthResponse::Ok(Json(body))
        } else {
            HealthResponse::Unavailable(Json(body))
        }
    }
}
