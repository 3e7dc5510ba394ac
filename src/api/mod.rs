//! The HTTP API: cases, photos, posters, partners, tokens, and the operations endpoints.
//!
//! Every route is registered through [`Routes`], which keeps a table of (method, path) so a test can
//! check the OpenAPI document against what is really served.

mod admin;
mod auth;
mod cases;
mod dispatch;
mod error;
mod extract;
mod openapi;
mod ops;
mod paging;
mod partner_feed;
mod partners;
mod photos;
mod posters;
mod targeting;
mod views;

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, Method};
use axum::response::IntoResponse;
use axum::routing::{MethodFilter, MethodRouter, on};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use error::ApiError;
pub use extract::{JSON_LIMIT, PHOTO_LIMIT};

use crate::app::AppState;

/// A router that remembers what it serves.
struct Routes {
    router: Router<AppState>,
    table: Vec<(Method, &'static str)>,
}

impl Routes {
    fn new() -> Routes {
        Routes {
            router: Router::new(),
            table: Vec::new(),
        }
    }

    fn add(mut self, method: Method, path: &'static str, route: MethodRouter<AppState>) -> Routes {
        self.table.push((method, path));
        self.router = self.router.route(path, route);
        self
    }

    fn get<H, T>(self, path: &'static str, h: H) -> Routes
    where
        H: axum::handler::Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::GET, path, on(MethodFilter::GET, h))
    }

    fn post<H, T>(self, path: &'static str, h: H) -> Routes
    where
        H: axum::handler::Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::POST, path, on(MethodFilter::POST, h))
    }

    fn patch<H, T>(self, path: &'static str, h: H) -> Routes
    where
        H: axum::handler::Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::PATCH, path, on(MethodFilter::PATCH, h))
    }

    fn put<H, T>(self, path: &'static str, h: H) -> Routes
    where
        H: axum::handler::Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::PUT, path, on(MethodFilter::PUT, h))
    }

    fn delete<H, T>(self, path: &'static str, h: H) -> Routes
    where
        H: axum::handler::Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::DELETE, path, on(MethodFilter::DELETE, h))
    }
}

fn routes() -> Routes {
    Routes::new()
        .get("/healthz", ops::healthz)
        .get("/readyz", ops::readyz)
        .get("/openapi.json", ops::openapi)
        .get("/metrics", dispatch::metrics)
        .post("/v1/cases", cases::create)
        .get("/v1/cases", cases::list)
        .get("/v1/cases/{id}", cases::show)
        .patch("/v1/cases/{id}", cases::update)
        .post("/v1/cases/{id}/resolve", cases::resolve)
        .get("/v1/cases/{id}/versions", cases::versions)
        .get("/v1/cases/{id}/versions/{version}", cases::version)
        .get("/v1/cases/{id}/posters/{format}", posters::poster)
        .get("/v1/cases/{id}/targeting", targeting::geojson)
        .get("/v1/cases/{id}/targeting.svg", targeting::svg)
        .post("/v1/cases/{id}/dispatch", dispatch::dispatch)
        .get("/v1/cases/{id}/distributions", dispatch::distributions)
        .post("/v1/photos", photos::upload)
        .post("/v1/partners", partners::create)
        .get("/v1/partners", partners::list)
        .get("/v1/partners/{id}", partners::show)
        .patch("/v1/partners/{id}", partners::update)
        .put("/v1/partners/{id}/locations", partners::put_locations)
        .get("/v1/partners/{id}/locations", partners::locations)
        .post("/v1/partners/{id}/enable", dispatch::enable_partner)
        .get("/partner/v1/deliveries", partner_feed::deliveries)
        .get("/partner/v1/deliveries/{id}", partner_feed::delivery)
        .post("/partner/v1/deliveries/{id}/ack", partner_feed::ack)
        .get(
            "/partner/v1/deliveries/{id}/posters/{format}",
            partner_feed::poster,
        )
        .get("/partner/v1/deliveries/{id}/cap", partner_feed::cap)
        .get("/partner/v1/cap", partner_feed::cap_feed)
        .get(
            "/p/{case_number}/{version}/{format}",
            partner_feed::signed_poster,
        )
        .post("/v1/tokens", admin::create_token)
        .get("/v1/tokens", admin::tokens)
        .delete("/v1/tokens/{id}", admin::revoke_token)
        .get("/v1/audit", admin::audit)
}

/// Every (method, path) the router serves, in OpenAPI's path notation.
pub fn route_table() -> Vec<(Method, &'static str)> {
    routes().table
}

/// The OpenAPI document served at `/openapi.json`, derived from the code.
pub fn openapi_document() -> &'static str {
    openapi::document()
}

/// What the `metrics_listen` address serves: `/metrics` alone, without a token.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", axum::routing::get(dispatch::open_metrics))
        .with_state(state)
}

/// The pages a person gets for requests outside the API's paths.
#[derive(Clone, Copy)]
pub struct Pages {
    pub not_found: fn() -> axum::response::Response,
    /// A request stopped by the request timeout.
    pub timed_out: fn() -> axum::response::Response,
}

/// The whole application: the API's routes and `beside` them (the console), error shapes for
/// unmatched requests, request ids, tracing. An unmatched path outside the API's own prefixes is
/// answered by `page_not_found` (a page for a person), an API path by the API's JSON error.
pub fn router(state: AppState, beside: Router<AppState>, pages: Pages) -> Router {
    let page_not_found = pages.not_found;
    let request_id = HeaderName::from_static("x-request-id");
    let fallback = move |method: Method, uri: axum::http::Uri| async move {
        if ops::is_api_path(uri.path()) {
            ops::no_route(method, uri).await.into_response()
        } else {
            page_not_found()
        }
    };
    routes()
        .router
        .merge(beside)
        .fallback(fallback)
        .method_not_allowed_fallback(ops::method_not_allowed)
        // Bodies are bounded per route by the extractors (JSON and photo limits).
        .layer(DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn_with_state(
            (state.settings.request_timeout, pages.timed_out),
            ops::deadline,
        ))
        .layer(axum::middleware::from_fn(error::instance))
        .layer(CatchPanicLayer::custom(ops::panic_response))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    // The path holds ids only; the query string and bodies are never logged.
                    let id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
                })
                .on_response(
                    |res: &axum::response::Response, latency: Duration, _span: &tracing::Span| {
                        tracing::info!(status = res.status().as_u16(), latency_ms = latency.as_secs_f64() * 1e3, "response");
                    },
                ),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}
