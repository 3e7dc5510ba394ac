//! "My locations": the partner's stores, billboards and screens as lookout knows them, in a list and
//! on a map, so the partner can see where its posters are aimed.

use std::sync::Arc;

use axum::extract::{Extension, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use minijinja::context;

use crate::app::AppState;
use crate::console::admin::partners::locations_map;
use crate::console::session::PartnerViewer;
use crate::console::{Console, ConsoleError};

pub async fn list(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: PartnerViewer,
) -> Result<Response, ConsoleError> {
    let p = super::own_partner(&app, &viewer)?;
    let locations = app.store.locations(&viewer.partner).await?;
    let rows: Vec<_> = locations
        .iter()
        .map(|l| {
            context! {
                reference => &l.reference, name => &l.name, lat => format!("{:.5}", l.lat),
                lon => format!("{:.5}", l.lon), email => &l.email, reach_m => l.reach_m,
            }
        })
        .collect();
    let html = console.pages.render(
        "portal_locations.html",
        context! {
            user => viewer.view(), csrf => &viewer.csrf, partner => &p.name, locations => rows,
        },
    )?;
    Ok(html.into_response())
}

pub async fn map(
    State(app): State<AppState>,
    viewer: PartnerViewer,
) -> Result<Response, ConsoleError> {
    let p = super::own_partner(&app, &viewer)?;
    let locations = app.store.locations(&viewer.partner).await?;
    let svg = locations_map(&app.targeting, &p, &locations);
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}
