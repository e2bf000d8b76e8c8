//! One campaign: what it is, its live progress (server-sent events: matched, queued, sent,
//! delivered, failed, suppressed by reason, replies, opt-outs) and the actions its state
//! allows (launch, pause, resume, cancel), each a form that works without JavaScript.

use super::{Faults, json};
use crate::api::campaigns::{CampaignProgress, Change, use_cases};
use crate::api::sign_in_limits;
use crate::console::session::{self, Console};
use crate::console::{format, internal, message, render, see_other};
use crate::problem::Problem;
use crate::state::AppState;
use futures::StreamExt;
use poem::http::StatusCode;
use poem::web::sse::{Event, SSE};
use poem::web::{Data, Path};
use poem::{Body, IntoResponse, Request, Response, handler};
use rentdesk_store::entities::staff_user;
use serde_json::json;

/// The counts the page shows, by the name its cells carry (`data-count`).
pub(crate) fn counts(p: &CampaignProgress) -> serde_json::Value {
    json!({
        "matched": p.matched,
        "held_back": p.held_back,
        "queued": p.queued,
        "sent": p.sent,
        "delivered": p.delivered,
        "failed": p.failed,
        "suppressed_total": p.suppressed.values().sum::<u64>(),
        "cancelled": p.cancelled,
        "replies": p.replies,
        "opt_outs": p.opt_outs,
    })
}

/// "Breathing space 6, No contact detail 11", or empty.
pub(crate) fn suppressed_words(p: &CampaignProgress) -> String {
    p.suppressed
        .iter()
        .map(|(k, n)| format!("{} {n}", format::words(k)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The saved segment in words: "Arrears at least: £250.00", "Patches: HD-NORTH, HD-CENTRAL".
pub(crate) fn segment_words(segment: &serde_json::Value) -> Vec<String> {
    let Some(map) = segment.as_object() else {
        return vec![];
    };
    map.iter()
        .map(|(k, v)| {
            let value = match v {
                serde_json::Value::Number(n) if k.ends_with("_pence") => {
                    format::money(n.as_i64().unwrap_or_default())
                }
                serde_json::Value::Bool(b) => if *b { "yes" } else { "no" }.to_owned(),
                serde_json::Value::Array(a) => a
                    .iter()
                    .map(|x| match x {
                        serde_json::Value::String(s) => format::words(s),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                serde_json::Value::String(s) => format::words(s),
                other => other.to_string(),
            };
            format!(
                "{}: {value}",
                super::new::label_for(&format!("segment.{k}"))
            )
        })
        .collect()
}

/// What may be done to a campaign in `status`.
fn actions(status: &str) -> Vec<&'static str> {
    match status {
        "draft" | "cancelled" => vec!["launch"],
        "scheduled" | "running" => vec!["pause", "cancel"],
        "paused" => vec!["resume", "cancel"],
        _ => vec![],
    }
}

async fn show(
    state: &AppState,
    who: &Console,
    staff: &staff_user::Model,
    id: i64,
    status: StatusCode,
    faults: Faults,
) -> Response {
    let c = match use_cases::get(state, staff, id).await {
        Err(e) => return internal(e),
        Ok(Err(p)) => return problem_page(who, &p),
        Ok(Ok(c)) => c,
    };
    let view = json(&c);
    let state_word = view["status"].as_str().unwrap_or_default().to_owned();
    render(
        status,
        "campaign.html",
        serde_json::json!({
            "console": who,
            "c": view,
            "counts": counts(&c.progress),
            "suppressed": suppressed_words(&c.progress),
            "segment": segment_words(&view["segment"]),
            "actions": actions(&state_word),
            "faults": faults,
        }),
    )
}

/// A use case's refusal as a page (404 for another team's campaign, as the API answers).
fn problem_page(who: &Console, p: &Problem) -> Response {
    let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::BAD_REQUEST);
    message(
        status,
        Some(who),
        &p.title,
        p.detail.as_deref().unwrap_or("Go back to the campaigns."),
    )
}

#[handler]
pub async fn page(req: &Request, state: Data<&AppState>, Path(id): Path<i64>) -> Response {
    let (who, staff) = match session::team_leader(req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    show(&state, &who, &staff, id, StatusCode::OK, Faults::default()).await
}

/// Launch, pause, resume or cancel; back to the campaign, or the campaign with why not.
#[handler]
pub async fn act(
    req: &Request,
    state: Data<&AppState>,
    Path((id, action)): Path<(i64, String)>,
    body: Body,
) -> Response {
    let (who, staff, _) = match session::team_leader_post(req, body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(change) = Change::parse(&action) else {
        return message(
            StatusCode::NOT_FOUND,
            Some(&who),
            "No such action",
            "A campaign can be launched, paused, resumed or cancelled.",
        );
    };
    let addr = sign_in_limits::client_addr(req, &state.settings.http.trusted_proxies);
    match use_cases::change(&state, &staff, id, change, addr.as_deref()).await {
        Err(e) => internal(e),
        Ok(Ok(_)) => see_other(&format!("/console/campaigns/{id}")),
        Ok(Err(p)) if p.status == 404 => problem_page(&who, &p),
        Ok(Err(p)) => {
            let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::CONFLICT);
            show(&state, &who, &staff, id, status, Faults::from_problem(&p)).await
        }
    }
}

/// The live counts as server-sent events (`progress`), from the same stream the API's
/// `/progress/stream` sends.
#[handler]
pub async fn events(req: &Request, state: Data<&AppState>, Path(id): Path<i64>) -> Response {
    let (who, staff) = match session::team_leader(req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match use_cases::visible(&state, &staff, id).await {
        Err(e) => return internal(e),
        Ok(Err(p)) => return problem_page(&who, &p),
        Ok(Ok(_)) => {}
    }
    let stream = use_cases::progress_events(&state, id).map(|p| {
        let status = json(&p.status);
        let over = matches!(status.as_str(), Some("cancelled" | "finished"));
        Event::message(
            json!({
                "status": status,
                "counts": counts(&p),
                "suppressed": suppressed_words(&p),
                "over": over,
            })
            .to_string(),
        )
        .event_type("progress")
    });
    SSE::new(stream)
        .keep_alive(std::time::Duration::from_secs(15))
        .into_response()
}
