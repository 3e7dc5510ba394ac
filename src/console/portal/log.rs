//! The delivery log: every attempt to reach the partner, newest first, with its answer or error,
//! so the partner's IT can see what arrived and what did not.

use std::sync::Arc;

use axum::extract::{Extension, State};
use axum::response::{IntoResponse, Response};
use minijinja::context;

use crate::app::AppState;
use crate::console::session::PartnerViewer;
use crate::console::{Console, ConsoleError};
use crate::store::outbox::delivery_log;

/// Attempts shown; older ones stay in the database.
const SHOWN: i64 = 200;

pub async fn page(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: PartnerViewer,
) -> Result<Response, ConsoleError> {
    let attempts = delivery_log(&app.store, &viewer.partner, SHOWN).await?;
    let rows: Vec<_> = attempts
        .iter()
        .map(|a| {
            context! {
                at => a.at.get(0..19).map(|s| s.replace('T', " ")), case_number => &a.case_number,
                kind => a.kind.as_str(), location => &a.location_ref, version => a.version,
                attempt => a.attempt, outcome => &a.outcome, error => &a.error,
                latency => format!("{:.0}", a.latency_ms), delivery => &a.delivery_id,
            }
        })
        .collect();
    let html = console.pages.render(
        "portal_log.html",
        context! {
            user => viewer.view(), csrf => &viewer.csrf, attempts => rows, shown => SHOWN,
        },
    )?;
    Ok(html.into_response())
}
