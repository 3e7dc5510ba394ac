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
mod ops;
mod partner_feed;
mod partners;
mod patch;
mod photos;
mod poster_memory;
mod posters;
mod targeting;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, Method};
use axum::routing::{MethodFilter, MethodRouter, on};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use crate::app::{IndexError, TargetingIndex, WATCH_EVERY};
pub use error::ApiError;
pub use extract::{JSON_LIMIT, PHOTO_LIMIT};
pub use patch::{changed_paths, merge_patch};
pub use poster_memory::PosterMemory;

use crate::app::PosterSource;
use crate::config::{Config, Organisation};
use crate::dispatch::worker::{DispatchMetrics, Worker, WorkerSettings};
use crate::dispatch::{Channels, SetupError};
use crate::distribution::Distributor;
use crate::store::Store;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    /// Rendered posters, cached by content key.
    pub poster_source: PosterSource,
    /// The live partner-location index and the region policy.
    pub targeting: Arc<TargetingIndex>,
    /// Starts distributions and keeps them current as cases change.
    pub distributor: Distributor,
    /// What the pull API, the poster links and `/metrics` share with the dispatch worker.
    pub dispatch: Arc<DispatchState>,
}

/// The dispatch side of the service.
#[derive(Debug)]
pub struct DispatchState {
    pub channels: Arc<Channels>,
    pub metrics: Arc<DispatchMetrics>,
    pub worker: WorkerSettings,
}

/// The parts of the configuration the API needs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub organisation: Organisation,
    pub case_page_url: Option<String>,
}

impl AppState {
    /// The state of a service configured by `config`, over an opened store, on the system clock.
    pub fn new(store: Store, config: &Config) -> Result<AppState, SetupError> {
        AppState::with_clock(store, config, crate::clock::system())
    }

    /// As [`AppState::new`], with time from `clock` (tests move it).
    pub fn with_clock(
        store: Store,
        config: &Config,
        clock: crate::clock::SharedClock,
    ) -> Result<AppState, SetupError> {
        let settings = Arc::new(Settings {
            organisation: config.organisation.clone(),
            case_page_url: config.case_page_url.clone(),
        });
        let memory = Arc::new(PosterMemory::new(poster_memory::DEFAULT_BUDGET));
        let targeting = Arc::new(TargetingIndex::shipped());
        let distributor = Distributor::new(
            store.clone(),
            targeting.clone(),
            clock,
            Duration::from_secs(config.reissue_quiet_secs),
            Duration::from_secs(config.retarget_interval_secs),
        );
        let dispatch = DispatchState {
            channels: Arc::new(Channels::from_config(config)?),
            metrics: Arc::new(DispatchMetrics::default()),
            worker: WorkerSettings::from_config(config),
        };
        Ok(AppState {
            poster_source: PosterSource::new(store.clone(), settings.clone(), memory),
            store,
            settings,
            targeting,
            distributor,
            dispatch: Arc::new(dispatch),
        })
    }

    /// The dispatch worker for this state: started by `serve`, or by a test that drives it.
    pub fn worker(&self) -> Worker {
        Worker::new(
            self.store.clone(),
            self.dispatch.channels.clone(),
            self.poster_source.clone(),
            self.targeting.clone(),
            self.dispatch.worker.clone(),
            self.dispatch.metrics.clone(),
            &self.distributor,
        )
    }
}

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

/// The OpenAPI document served at `/openapi.json`.
pub const OPENAPI: &str = include_str!("openapi.json");

/// The whole application: routes, error shapes for unmatched requests, request ids, tracing.
pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    routes()
        .router
        .fallback(ops::no_route)
        .method_not_allowed_fallback(ops::method_not_allowed)
        // Bodies are bounded per route by the extractors (JSON and photo limits).
        .layer(DefaultBodyLimit::disable())
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
