//! The console: case managers sign in and work their cases in the browser. Server-rendered HTML
//! from `templates/console/` (minijinja), its stylesheet and one small script compiled into the
//! binary; every form works without the script. It stands on `crate::app`, beside the API.

mod actions;
mod admin;
mod approval;
mod assets;
mod case_form;
mod cases;
mod error;
mod pages;
mod portal;
mod public;
mod reach;
mod session;
mod sign_in;
mod test_send;
mod throttle;
mod tips;
mod upload;
mod who;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Extension};
use axum::middleware;
use axum::routing::{get, post};

pub use error::ConsoleError;
pub use pages::Pages;

use crate::app::AppState;
use crate::cases::Case;
use crate::targeting::{
    Audience, Region, RegionError, RegionExtras, Selection, region_for, select,
};

/// What the console keeps for the life of the process: its templates and the sign-in throttle.
pub struct Console {
    pub(crate) pages: Pages,
    pub(crate) throttle: throttle::Throttle,
    /// Tips sent from each address, for the public page's limit.
    pub(crate) tip_throttle: throttle::Throttle,
    /// Session cookies only over https when the service is reached by https.
    pub(crate) secure_cookies: bool,
    /// The public pages' parsed versions and rendered pages.
    pub(crate) public: public::cache::PublicCache,
}

impl Console {
    pub fn new(secure_cookies: bool) -> Console {
        Console {
            pages: Pages::new(),
            throttle: throttle::Throttle::default(),
            tip_throttle: throttle::Throttle::default(),
            secure_cookies,
            public: Default::default(),
        }
    }
}

/// USPS codes as typed: "md, PA" → `["MD", "PA"]`.
pub(crate) fn state_codes(raw: &str) -> Vec<String> {
    raw.split([',', ' '])
        .map(|s| s.trim().to_ascii_uppercase())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The states the region of case `id` is widened by: those added when it was sent, and `typed`.
pub(crate) async fn widened_by(
    app: &AppState,
    id: crate::store::CaseId,
    typed: &str,
) -> Result<Vec<String>, ConsoleError> {
    let mut states = crate::store::outbox::distribution(&app.store, id)
        .await?
        .map(|d| d.states)
        .unwrap_or_default();
    for s in state_codes(typed) {
        if !states.contains(&s) {
            states.push(s);
        }
    }
    Ok(states)
}

/// The region of `case` now, widened by `states` (USPS codes), and the partner locations inside it:
/// what the case page, the send confirmation and the map show.
pub(crate) fn preview(
    app: &AppState,
    case: &Case,
    states: &[String],
) -> Result<(Region, Selection), RegionError> {
    let codes: Vec<&str> = states.iter().map(String::as_str).collect();
    let extras = RegionExtras::new(&codes, Vec::new(), &app.targeting.states)?;
    let now = app.distributor.clock().now();
    let region = region_for(case, &app.targeting.policy, now, &extras);
    let index = app.targeting.snapshot();
    let selection = select(&index, &region, Audience::of(case), &Default::default());
    Ok((region, selection))
}

/// The page for a path nothing serves.
pub fn not_found() -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut response = ConsoleError::NotFound.into_response();
    assets::secure(&mut response, false);
    response
}

/// The page for a console request stopped by the request timeout.
pub fn timed_out() -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut response = ConsoleError::TimedOut.into_response();
    assets::secure(&mut response, false);
    response
}

/// The console's routes, with its headers (CSP, no framing, no caching of pages).
pub fn routes(console: Arc<Console>) -> Router<AppState> {
    Router::new()
        .route("/", get(cases::home))
        .route("/sign-in", get(sign_in::form).post(sign_in::submit))
        .route("/sign-out", post(sign_in::sign_out))
        .route("/cases", get(cases::list))
        .route(
            "/cases/new",
            get(case_form::form)
                .post(case_form::create)
                .layer(DefaultBodyLimit::max(case_form::FORM_MAX)),
        )
        .route("/photos/{id}", get(cases::photo))
        .route("/c/{code}", get(public::page))
        .route("/c/{code}/poster.png", get(public::poster))
        .route(
            "/c/{code}/tips",
            post(public::tips::send).layer(DefaultBodyLimit::max(public::tips::BODY_MAX)),
        )
        .route("/portal", get(portal::posters))
        .route(
            "/portal/posters/{delivery}/{format}",
            get(portal::poster_file),
        )
        .route("/portal/takedowns", get(portal::takedowns::list))
        .route("/portal/log", get(portal::log::page))
        .route(
            "/portal/settings",
            get(portal::settings::form).post(portal::settings::save),
        )
        .route("/portal/settings/ping", post(portal::settings::ping))
        .route("/portal/settings/rotate", post(portal::settings::rotate))
        .route(
            "/portal/locations",
            get(portal::locations::list)
                .post(portal::locations::upload)
                .layer(DefaultBodyLimit::max(portal::locations::UPLOAD_MAX)),
        )
        .route(
            "/portal/locations/{reference}/pack.pdf",
            get(portal::pack::download),
        )
        .route("/portal/locations/map.svg", get(portal::locations::map))
        .route(
            "/portal/takedowns/{delivery}/ack",
            post(portal::takedowns::acknowledge),
        )
        .route("/cases/{id}", get(cases::show))
        .route(
            "/cases/{id}/edit",
            get(case_form::edit_form)
                .post(case_form::update)
                .layer(DefaultBodyLimit::max(case_form::FORM_MAX)),
        )
        .route("/cases/{id}/distribution", get(cases::distribution))
        .route("/cases/{id}/tips/{tip}", post(tips::handle))
        .route("/cases/{id}/tips/{tip}/forward", post(tips::forward))
        .route("/cases/{id}/tips/{tip}/photo", get(tips::photo))
        .route("/cases/{id}/posters/{format}", get(cases::poster))
        .route("/cases/{id}/targeting.svg", get(actions::map))
        .route(
            "/cases/{id}/send",
            get(actions::send_form).post(actions::send),
        )
        .route(
            "/cases/{id}/resolve",
            get(actions::resolve_form).post(actions::resolve),
        )
        .route(
            "/cases/{id}/test",
            get(test_send::form).post(test_send::send),
        )
        .route("/cases/{id}/approve", post(approval::approve))
        .route("/admin/audit", get(admin::audit))
        .route("/admin/partners", get(admin::partners::list))
        .route(
            "/admin/partners/import",
            get(admin::partners::import_form)
                .post(admin::partners::import)
                .layer(DefaultBodyLimit::max(admin::partners::IMPORT_MAX)),
        )
        .route("/admin/partners/{id}", get(admin::partners::show))
        .route("/admin/partners/{id}/map.svg", get(admin::partners::map))
        .route("/admin/partners/{id}/enable", post(admin::partners::enable))
        .route(
            "/admin/users",
            get(admin::people::users).post(admin::people::create_user),
        )
        .route(
            "/admin/users/reset-password",
            post(admin::people::reset_password),
        )
        .route(
            "/admin/tokens",
            get(admin::people::tokens).post(admin::people::create_token),
        )
        .route("/admin/tokens/revoke", post(admin::people::revoke_token))
        .route("/console/static/{file}", get(assets::file))
        .layer(middleware::from_fn(assets::headers))
        .layer(Extension(console))
}
