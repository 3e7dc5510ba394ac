//! Operations endpoints and the answers for requests no route takes.

use std::any::Any;
use std::time::Duration;

use super::views::Status;
use axum::Json;
use axum::extract::{Request, State};
use axum::http::{Method, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::{ApiError, Problem};

/// Middleware: a request still unanswered after the request timeout is stopped (its work dropped,
/// an open transaction rolled back) and answered 503, in JSON on the API's paths and as a page
/// elsewhere.
pub async fn deadline(
    State((limit, page)): State<(Duration, fn() -> Response)>,
    req: Request,
    next: Next,
) -> Response {
    let api = is_api_path(req.uri().path());
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(
                timeout_secs = limit.as_secs(),
                "request stopped by the timeout"
            );
            if api {
                ApiError::TimedOut(limit.as_secs()).into_response()
            } else {
                page()
            }
        }
    }
}

/// Alive: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Status)))]
pub async fn healthz() -> Json<Status> {
    Json(Status { status: "ok" })
}

/// Ready when the database answers.
/// Ready: the database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, body = Status), (status = 503, description = "The database does not answer", body = Problem, content_type = "application/problem+json")))]
pub async fn readyz(State(app): State<AppState>) -> Result<Json<Status>, ApiError> {
    app.store.ping().await?;
    Ok(Json(Status { status: "ready" }))
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object)))]
pub async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        super::openapi::document(),
    )
        .into_response()
}

/// The API's own paths, where an unmatched request is answered in JSON.
pub fn is_api_path(path: &str) -> bool {
    [
        "/v1/",
        "/partner/",
        "/p/",
        "/metrics",
        "/healthz",
        "/readyz",
        "/openapi",
    ]
    .iter()
    .any(|p| path.starts_with(p))
}

pub async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::NoRoute(format!("{method} {}", uri.path()))
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

pub fn panic_response(_panic: Box<dyn Any + Send + 'static>) -> Response {
    // The panic message may hold request data, so it is not logged here; the trace span has the id.
    tracing::error!("handler panicked");
    ApiError::Internal.into_response()
}
