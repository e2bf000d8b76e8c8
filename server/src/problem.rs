//! RFC 9457 problem details: every error the API gives is `application/problem+json` with
//! `type`, `title`, `status`, `detail` and, for bad input, `errors: [{field, reason}]`.
//! Internal detail is logged, never returned.

use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::Object;
use poem_openapi::payload::Json;
use poem_openapi::types::ToJSON;

pub const CONTENT_TYPE: &str = "application/problem+json";

#[derive(Debug, Clone, PartialEq, Eq, Object, serde::Serialize, serde::Deserialize)]
pub struct FieldError {
    /// The request field (or CSV column) at fault.
    pub field: String,
    pub reason: String,
}

/// RFC 9457 problem details.
#[derive(Debug, Clone, PartialEq, Eq, Object, serde::Serialize, serde::Deserialize)]
#[oai(example)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[oai(rename = "type")]
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[oai(skip_serializing_if_is_none)]
    pub detail: Option<String>,
    /// The fields at fault; empty when the problem is not about one field. Always sent.
    #[serde(default)]
    pub errors: Vec<FieldError>,
    /// A conflicting edit (409): the record as the server has it now…
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_version: Option<Box<serde_json::Value>>,
    /// …and the edit that was not applied, so the app can show both and let the person choose.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub your_version: Option<Box<serde_json::Value>>,
}

impl Problem {
    pub fn new(status: StatusCode, slug: &str, title: &str) -> Problem {
        Problem {
            kind: format!("https://rentdesk.dev/problems/{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: None,
            errors: vec![],
            server_version: None,
            your_version: None,
        }
    }

    /// A 409 for an edit that lost to a newer server change: both versions, nothing
    /// overwritten.
    pub fn versions(mut self, server: impl ToJSON, yours: impl ToJSON) -> Problem {
        self.server_version = server.to_json().map(Box::new);
        self.your_version = yours.to_json().map(Box::new);
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Problem {
        self.detail = Some(detail.into());
        self
    }

    pub fn field(mut self, field: impl Into<String>, reason: impl Into<String>) -> Problem {
        self.errors.push(FieldError {
            field: field.into(),
            reason: reason.into(),
        });
        self
    }

    pub fn not_found(what: &str) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found")
            .detail(format!("{what} was not found"))
    }

    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-input",
            "The request has invalid fields",
        )
        .field(field, reason)
    }

    /// A failure that is ours, not the caller's. The cause is logged with an id the caller can
    /// quote; it is not returned.
    pub fn internal(cause: &dyn std::fmt::Display) -> Problem {
        let id = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() % 1_000_000_000)
            .unwrap_or_default();
        tracing::error!(error_id = id, "internal error: {cause}");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Something went wrong on our side",
        )
        .detail(format!("quote error id {id} to support"))
    }

    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl poem_openapi::types::Example for Problem {
    fn example() -> Problem {
        Problem::invalid("amount", "more than two decimal places: \"12.345\"")
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let mut resp = Json(self).into_response();
        resp.set_status(status);
        resp.headers_mut().insert(
            poem::http::header::CONTENT_TYPE,
            poem::http::HeaderValue::from_static(CONTENT_TYPE),
        );
        resp
    }
}

impl From<Problem> for poem::Error {
    fn from(p: Problem) -> poem::Error {
        poem::Error::from_response(p.into_response())
    }
}

/// Turn any error poem or poem-openapi produced (bad path parameter, unparsable JSON, missing
/// token, unknown route) into problem+json with the field at fault where it is known.
pub async fn any_error_as_problem(err: poem::Error) -> Response {
    use poem_openapi::error::{
        AuthorizationError, ParseMultipartError, ParseParamError, ParseRequestPayloadError,
    };
    if err.is_from_response() {
        // Already a response we built (a Problem): pass it through untouched.
        return err.into_response();
    }
    let status = err.status();
    let problem = if let Some(e) = err.downcast_ref::<ParseParamError>() {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-parameter",
            "A parameter is invalid",
        )
        .field(e.name, e.reason.clone())
    } else if let Some(e) = err.downcast_ref::<ParseRequestPayloadError>() {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-body",
            "The request body could not be read",
        )
        .field("body", e.reason.clone())
    } else if let Some(e) = err.downcast_ref::<ParseMultipartError>() {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-body",
            "The multipart form could not be read",
        )
        .field("body", e.reason.clone())
    } else if err.is::<AuthorizationError>() || status == StatusCode::UNAUTHORIZED {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication required",
        )
        .detail("send a valid bearer token in the Authorization header")
    } else if status == StatusCode::NOT_FOUND {
        Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found")
    } else if status == StatusCode::METHOD_NOT_ALLOWED {
        Problem::new(status, "method-not-allowed", "Method not allowed")
    } else if status == StatusCode::PAYLOAD_TOO_LARGE {
        Problem::new(status, "too-large", "The request body is too large")
    } else if status.is_server_error() {
        Problem::internal(&err)
    } else {
        Problem::new(
            status,
            "bad-request",
            status.canonical_reason().unwrap_or("Bad request"),
        )
        .detail(err.to_string())
    };
    problem.into_response()
}
