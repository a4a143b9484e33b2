//! API errors and JSON responses.
//!
//! Every error leaves the server as JSON, `{"error": "…"}`, with the status
//! its [`ApiError`] variant maps to: a bad parameter is 400 and names the
//! parameter, a missing item 404, an unreadable store or a query past its
//! deadline 503, anything else 500. A 5xx body never carries the underlying
//! error (it can name files); the log does.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Why a request could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A query or path parameter is missing, malformed or out of range.
    #[error("parameter `{name}`: {reason}")]
    BadParam {
        /// The parameter's name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The thing asked for does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The method is not served on this path.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The store cannot be opened or is busy (503: try again later).
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A query failed for another reason.
    #[error("internal error: {0}")]
    Internal(String),
    /// The request's queries did not finish within their deadline and were
    /// cancelled (503: narrow the request, or try again later).
    #[error("the query did not finish within {} s and was cancelled; narrow it (fewer words, a `since` or `feed` filter)", .0.as_secs())]
    TimedOut(std::time::Duration),
}

impl ApiError {
    /// A 400 naming `name`.
    pub fn bad_param(name: &str, reason: impl Into<String>) -> ApiError {
        ApiError::BadParam {
            name: name.to_string(),
            reason: reason.into(),
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadParam { .. } => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unavailable(_) | ApiError::TimedOut(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::warn!(status = status.as_u16(), error = %self, "request failed");
        }
        // A server-side failure is logged in full (above) but answered
        // without its detail: SQLite's messages name the store's path.
        let message = match &self {
            ApiError::Internal(_) => "internal error (the server log has the detail)".to_string(),
            ApiError::Unavailable(_) => {
                "store unavailable; try again later (the server log has the detail)".to_string()
            }
            _ => self.to_string(),
        };
        let mut response = json(&ErrorBody { error: &message });
        *response.status_mut() = status;
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}

/// A 200 response with `value` as JSON.
pub fn json<T: Serialize + ?Sized>(value: &T) -> Response {
    with_body(value, "application/json")
}

/// A 200 response with `value` serialised as JSON under `content_type`.
pub fn with_body<T: Serialize + ?Sized>(value: &T, content_type: &'static str) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => ([(header::CONTENT_TYPE, content_type)], body).into_response(),
        // Our own types serialise; this guards against a non-string map key
        // or similar ever slipping in, without panicking.
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "application/json")],
            format!(
                "{{\"error\":\"internal error: cannot serialise response: {}\"}}",
                e.line()
            ),
        )
            .into_response(),
    }
}

/// The fallback for unknown paths.
pub async fn not_found() -> ApiError {
    ApiError::NotFound("path".into())
}

/// The fallback for a known path asked with another method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
