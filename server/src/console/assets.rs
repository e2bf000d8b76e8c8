//! The console's static files, compiled into the binary: nothing is fetched from anywhere else
//! at run time. Each answer carries a validator (`ETag`, the content's SHA-256) and may be
//! cached for a day; a conditional request for an unchanged file gets 304.

use crate::auth::sha256_hex;
use poem::http::StatusCode;
use poem::web::Path;
use poem::{Request, Response, handler};
use std::sync::LazyLock;

/// htmx 2.0.11 (0BSD, from the npm package `htmx.org`; its LICENSE beside it).
const HTMX: &str = include_str!("../../assets/console/htmx-2.0.11.min.js");
const CSS: &str = include_str!("../../assets/console/console.css");
const JS: &str = include_str!("../../assets/console/console.js");

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
    etag: String,
}

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    [
        ("htmx.min.js", "text/javascript; charset=utf-8", HTMX),
        ("console.css", "text/css; charset=utf-8", CSS),
        ("console.js", "text/javascript; charset=utf-8", JS),
    ]
    .into_iter()
    .map(|(name, content_type, body)| Asset {
        name,
        content_type,
        body,
        etag: format!("\"{}\"", &sha256_hex(body)[..32]),
    })
    .collect()
});

pub const CACHE_CONTROL: &str = "public, max-age=86400";

#[handler]
pub fn serve(req: &Request, Path(name): Path<String>) -> Response {
    let Some(a) = ASSETS.iter().find(|a| a.name == name) else {
        return Response::builder()
            .status(StatusCode::NOT_FOUND)
            .content_type("text/plain; charset=utf-8")
            .body("no such file");
    };
    let unchanged = req
        .headers()
        .get(poem::http::header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == a.etag));
    let resp = Response::builder()
        .header("cache-control", CACHE_CONTROL)
        .header("etag", a.etag.as_str());
    if unchanged {
        return resp.status(StatusCode::NOT_MODIFIED).finish();
    }
    resp.content_type(a.content_type).body(a.body)
}
