//! `/console`: the team leader's console in the browser (issue 17). Server-rendered HTML
//! (minijinja templates in `server/templates/console/`), a little htmx for the live parts, every
//! asset served from this binary. Each page is its own module; each calls the same use cases
//! the `/manage/v1` handlers call, so no rule is written twice.
//!
//! Sign-in is the staff password check the apps use ([`crate::api::officer::signin`]), then a
//! session cookie (`HttpOnly`, `SameSite=Lax`, `Secure` when the public URL is https) naming a
//! row in the same sessions table, so signing out or deactivating the member of staff ends it.
//! Every form carries a CSRF token bound to that session; a POST without it is refused.

mod assets;
mod campaigns;
mod format;
mod session;
mod signin;

use crate::state::AppState;
use poem::http::StatusCode;
use poem::{Response, Route, get, post};
use serde::Serialize;
use std::sync::LazyLock;

pub use session::SESSION_COOKIE;

/// Every console page and asset, nested at `/console` by [`crate::startup::routes`].
pub fn routes() -> Route {
    Route::new()
        .at("/", get(signin::home))
        .at("/sign-in", get(signin::form).post(signin::sign_in))
        .at("/sign-out", post(signin::sign_out))
        .at("/assets/:name", get(assets::serve))
        .at("/campaigns", get(campaigns::list::page))
        .at(
            "/campaigns/new",
            get(campaigns::new::page).post(campaigns::new::submit),
        )
        .at("/campaigns/preview", post(campaigns::new::preview_panel))
        .at("/campaigns/:id", get(campaigns::show::page))
        .at("/campaigns/:id/events", get(campaigns::show::events))
        .at("/campaigns/:id/outcome", get(campaigns::outcome::page))
        .at("/campaigns/:id/:action", post(campaigns::show::act))
}

/// What a browser may load on a console page: this origin only, no inline script or style.
pub const CONSOLE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

static TEMPLATES: LazyLock<minijinja::Environment<'static>> = LazyLock::new(|| {
    let mut env = minijinja::Environment::new();
    for (name, source) in [
        (
            "base.html",
            include_str!("../../templates/console/base.html"),
        ),
        (
            "macros.html",
            include_str!("../../templates/console/macros.html"),
        ),
        (
            "sign_in.html",
            include_str!("../../templates/console/sign_in.html"),
        ),
        (
            "message.html",
            include_str!("../../templates/console/message.html"),
        ),
        (
            "campaigns.html",
            include_str!("../../templates/console/campaigns.html"),
        ),
        (
            "campaign_new.html",
            include_str!("../../templates/console/campaign_new.html"),
        ),
        (
            "campaign_preview.html",
            include_str!("../../templates/console/campaign_preview.html"),
        ),
        (
            "campaign.html",
            include_str!("../../templates/console/campaign.html"),
        ),
        (
            "campaign_outcome.html",
            include_str!("../../templates/console/campaign_outcome.html"),
        ),
    ] {
        if let Err(e) = env.add_template(name, source) {
            panic!("console template {name}: {e}");
        }
    }
    format::register(&mut env);
    env
});

/// A page (or fragment) rendered from `template` with `ctx`, as `status`. Pages are never
/// cached: they show tenants' data and live counts.
pub(crate) fn render(status: StatusCode, template: &str, ctx: impl Serialize) -> Response {
    let body = TEMPLATES
        .get_template(template)
        .and_then(|t| t.render(minijinja::value::Serde(&ctx)));
    match body {
        Ok(html) => Response::builder()
            .status(status)
            .content_type("text/html; charset=utf-8")
            .header("cache-control", "no-store")
            .body(html),
        Err(e) => {
            tracing::error!("console template {template} did not render: {e:#}");
            Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .content_type("text/plain; charset=utf-8")
                .body("Something went wrong showing this page. It has been logged.")
        }
    }
}

/// A page saying one thing (refused, not found, expired form), with the signed-in frame when
/// there is someone signed in.
pub(crate) fn message(
    status: StatusCode,
    who: Option<&session::Console>,
    title: &str,
    text: &str,
) -> Response {
    render(
        status,
        "message.html",
        serde_json::json!({ "console": who, "title": title, "text": text }),
    )
}

/// The page for an internal error (logged; nothing of it shown).
pub(crate) fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!("console: {e}");
    message(
        StatusCode::INTERNAL_SERVER_ERROR,
        None,
        "Something went wrong",
        "The error has been logged. Try again in a moment.",
    )
}

/// 303 to `to` (after a form's POST, so a reload does not post again).
pub(crate) fn see_other(to: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header("location", to)
        .header("cache-control", "no-store")
        .finish()
}

/// The fields of a form body (`application/x-www-form-urlencoded`), in order, repeated
/// names kept (a group of checkboxes).
pub(crate) async fn form_fields(body: poem::Body) -> poem::Result<Vec<(String, String)>> {
    let bytes = body.into_bytes().await?;
    Ok(form_urlencoded::parse(&bytes).into_owned().collect())
}

pub(crate) fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The state every console handler reaches (added by [`crate::startup::routes`]).
pub(crate) fn state(req: &poem::Request) -> Option<&AppState> {
    req.data::<AppState>()
}
