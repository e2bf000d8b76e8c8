//! `/unsubscribe/email/{token}`: the https link in every email's `List-Unsubscribe` header
//! (RFC 8058 one-click). The token is the message id signed with the server's key, so nobody can
//! unsubscribe someone else. GET shows a confirmation button (mail scanners follow links);
//! POST — the button, or a mail client's one-click — switches emails off.

use crate::problem::Problem;
use crate::state::AppState;
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};

fn page(title: &str, body: &str) -> Response {
    Response::builder()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
             content=\"width=device-width\"><title>{title}</title></head><body><main><h1>{title}</h1>\
             {body}</main></body></html>"
        ))
}

fn verify(state: &AppState, token: &str) -> Option<i64> {
    rentdesk_wire::unsubscribe::verify_unsubscribe_token(
        state.settings.auth.token_signing_key.expose(),
        token,
    )
}

fn invalid_link() -> Response {
    Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found")
        .detail("this unsubscribe link is not valid")
        .into_response()
}

#[handler]
pub async fn confirm(state: Data<&AppState>, Path(token): Path<String>) -> Response {
    if verify(&state, &token).is_none() {
        return invalid_link();
    }
    page(
        "Stop emails about your rent account?",
        "<p>You will no longer get emails from us about your rent account. Texts and app \
         notifications are not affected; you can change all of this in the app.</p>\
         <form method=\"post\"><button type=\"submit\">Stop emails</button></form>",
    )
}

#[handler]
pub async fn unsubscribe(state: Data<&AppState>, Path(token): Path<String>) -> Response {
    let Some(id) = verify(&state, &token) else {
        return invalid_link();
    };
    match rentdesk_store::tenant_app::unsubscribe_email(&state.db, id, state.now()).await {
        Ok(true) => page(
            "You will get no more emails",
            "<p>Done. You can switch emails back on in the app at any time.</p>",
        ),
        Ok(false) => Problem::not_found("this message").into_response(),
        Err(e) => Problem::internal(&e).into_response(),
    }
}
