//! `/webhooks/twilio/*`: delivery status callbacks and replies from tenants. Twilio signs every
//! request (`X-Twilio-Signature`: HMAC-SHA1 over the full URL and the sorted form parameters);
//! anything unsigned or wrongly signed is refused before it is read further. The URL is the one
//! Twilio called: `PUBLIC_URL` plus the path and query, with or without the scheme's default
//! port, as Twilio's own validators accept (`rentdesk_wire::twilio::validate_signature`).

use crate::problem::Problem;
use crate::state::AppState;
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Body, IntoResponse, Request, Response, handler};
use rentdesk_store::sms_events::{self, Keyword};

/// Twilio posts at most a few KB; anything larger is not Twilio.
const MAX_BODY: usize = 64 * 1024;

fn forbidden(detail: &str) -> Response {
    Problem::new(
        StatusCode::FORBIDDEN,
        "bad-signature",
        "Request not signed by Twilio",
    )
    .detail(detail)
    .into_response()
}

/// The form parameters of a request whose Twilio signature is valid; else the refusal.
async fn signed_form(
    req: &Request,
    state: &AppState,
    body: Body,
) -> Result<Vec<(String, String)>, Response> {
    let Some(twilio) = &state.settings.providers.twilio else {
        return Err(forbidden(
            "Twilio is not configured here (TWILIO_ACCOUNT_SID)",
        ));
    };
    let Some(signature) = req
        .headers()
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
    else {
        return Err(forbidden("missing X-Twilio-Signature"));
    };
    let bytes = body
        .into_bytes_limit(MAX_BODY)
        .await
        .map_err(|_| forbidden("body unreadable or too large"))?;
    let params: Vec<(String, String)> = form_urlencoded::parse(&bytes).into_owned().collect();
    let path = req
        .uri()
        .path_and_query()
        .map_or(req.uri().path(), |p| p.as_str());
    let url = format!(
        "{}{path}",
        state.settings.http.public_url.trim_end_matches('/')
    );
    if !rentdesk_wire::twilio::validate_signature(&twilio.auth_token, &url, &params, signature) {
        tracing::warn!(%url, "Twilio webhook with a bad signature refused");
        return Err(forbidden("signature does not match"));
    }
    if params
        .iter()
        .any(|(k, v)| k == "AccountSid" && *v != twilio.account_sid)
    {
        return Err(forbidden("another Twilio account"));
    }
    Ok(params)
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn twiml(message: Option<&str>) -> Response {
    let body = match message {
        Some(m) => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>{}</Message></Response>",
            m.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        ),
        None => "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>".to_owned(),
    };
    Response::builder()
        .content_type("text/xml; charset=utf-8")
        .body(body)
}

/// Delivery status: `MessageSid`, `MessageStatus`, `ErrorCode`.
#[handler]
pub async fn twilio_status(req: &Request, state: Data<&AppState>, body: Body) -> Response {
    let params = match signed_form(req, &state, body).await {
        Ok(p) => p,
        Err(refused) => return refused,
    };
    let (Some(sid), Some(status)) = (
        param(&params, "MessageSid"),
        param(&params, "MessageStatus"),
    ) else {
        return Problem::invalid("MessageSid", "MessageSid and MessageStatus are required")
            .into_response();
    };
    match sms_events::apply_status(
        &state.db,
        sid,
        status,
        param(&params, "ErrorCode"),
        state.now(),
    )
    .await
    {
        Ok(outcome) => {
            tracing::info!(sid, status, ?outcome, "Twilio status callback");
            StatusCode::NO_CONTENT.into_response()
        }
        // Twilio retries on a 5xx: nothing is lost.
        Err(e) => Problem::internal(&e).into_response(),
    }
}

pub const HELP_REPLY: &str = "Rentdesk: texts about your rent account. Reply STOP to stop texts, \
START to restart them. For help, contact your housing officer or use the app.";

/// A text from a tenant: `From`, `Body`, `MessageSid`.
#[handler]
pub async fn twilio_inbound(req: &Request, state: Data<&AppState>, body: Body) -> Response {
    let params = match signed_form(req, &state, body).await {
        Ok(p) => p,
        Err(refused) => return refused,
    };
    let (Some(from), Some(sid)) = (param(&params, "From"), param(&params, "MessageSid")) else {
        return Problem::invalid("From", "From and MessageSid are required").into_response();
    };
    let text = param(&params, "Body").unwrap_or_default();
    match sms_events::inbound(&state.db, from, text, sid, state.now()).await {
        Ok(outcome) => {
            tracing::info!(sid, keyword = ?outcome.keyword, tenancies = outcome.tenancies, new = outcome.new, "text from a tenant");
            twiml((outcome.keyword == Some(Keyword::Help)).then_some(HELP_REPLY))
        }
        Err(e) => Problem::internal(&e).into_response(),
    }
}
