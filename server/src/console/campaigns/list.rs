//! The team's campaigns, newest first, with their status and live counts.

use super::json;
use crate::api::campaigns::use_cases;
use crate::console::session;
use crate::console::{internal, render};
use crate::state::AppState;
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Request, Response, handler};

#[handler]
pub async fn page(req: &Request, state: Data<&AppState>) -> Response {
    let (who, staff) = match session::team_leader(req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let campaigns = match use_cases::list(&state, &staff).await {
        Ok(c) => c,
        Err(e) => return internal(e),
    };
    let campaigns: Vec<serde_json::Value> = campaigns.iter().map(json).collect();
    render(
        StatusCode::OK,
        "campaigns.html",
        serde_json::json!({ "console": who, "campaigns": campaigns }),
    )
}
