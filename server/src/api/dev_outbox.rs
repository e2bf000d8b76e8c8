//! `GET /dev/outbox`: the messages Rentdesk has planned and sent, newest first — only in
//! `rentdesk dev`, where no SMS, email or push provider is configured and messages go to the
//! local outbox. A newcomer reads a tenant's sign-in code and the worker's early-intervention
//! messages here. Not part of the published API (a production server has no such route: it
//! would show sign-in codes).
//!
//! Query: `reference` (one tenancy), `template` (e.g. `sign_in_code`), `origin` (`rule`: early
//! intervention, `campaign`, `other`: sign-in codes and the like), `limit` (1–1000, default 20).

use crate::problem::Problem;
use crate::state::AppState;
use poem::web::{Data, Json, Query};
use poem::{IntoResponse, Response, handler};

#[derive(Debug, serde::Deserialize)]
pub struct OutboxQuery {
    pub reference: Option<String>,
    pub template: Option<String>,
    pub origin: Option<String>,
    pub limit: Option<u64>,
}

#[handler]
pub async fn dev_outbox(state: Data<&AppState>, query: Query<OutboxQuery>) -> Response {
    let limit = query.limit.unwrap_or(20);
    if !(1..=1000).contains(&limit) {
        return Problem::invalid("limit", "must be 1 to 1000").into_response();
    }
    use rentdesk_store::outbox::{Origin, OutboxFilter};
    let origin = match query.origin.as_deref() {
        None => None,
        Some("rule") => Some(Origin::Rule),
        Some("campaign") => Some(Origin::Campaign),
        Some("other") => Some(Origin::Other),
        Some(_) => {
            return Problem::invalid("origin", "one of rule, campaign, other").into_response();
        }
    };
    match rentdesk_store::outbox::latest(
        &state.db,
        OutboxFilter {
            reference: query.reference.as_deref(),
            template: query.template.as_deref(),
            origin,
        },
        limit,
    )
    .await
    {
        Ok(entries) => Json(entries).into_response(),
        Err(e) => Problem::internal(&e).into_response(),
    }
}
