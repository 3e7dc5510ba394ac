//! "To take down": the partner's withdrawn posters, kept until it confirms each is down, with the
//! same acknowledgement as the pull API's `ack`.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Extension, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

use crate::app::AppState;
use crate::console::session::PartnerViewer;
use crate::console::{Console, ConsoleError};
use crate::store::outbox::{self, Takedown, WithdrawReason, takedowns_due};

#[derive(Deserialize, Default)]
pub struct Done {
    /// The case number just confirmed, to say so.
    #[serde(default)]
    done: String,
}

pub async fn list(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: PartnerViewer,
    Query(q): Query<Done>,
) -> Result<Response, ConsoleError> {
    let due = takedowns_due(&app.store, &viewer.partner).await?;
    let rows: Vec<_> = due.iter().map(row).collect();
    let flash = (!q.done.is_empty())
        .then(|| format!("Thank you: case {} is marked as taken down.", q.done));
    let html = console.pages.render(
        "portal_takedowns.html",
        context! {
            user => viewer.view(), csrf => &viewer.csrf, takedowns => rows, flash => flash,
        },
    )?;
    Ok(html.into_response())
}

fn row(t: &Takedown) -> minijinja::Value {
    let places: Vec<String> = t
        .locations
        .iter()
        .map(|l| format!("{} ({})", l.name, l.reference))
        .collect();
    let why = match t.reason {
        Some(WithdrawReason::OutsideRegion) => "your location is no longer in the search area",
        Some(WithdrawReason::FoundSafe) => "the case has been resolved",
        _ => "the case has been closed",
    };
    context! {
        delivery => &t.delivery_id, case_number => &t.case_number, why => why, places => places,
        since => t.created_at.get(0..16).map(|s| s.replace('T', " ")),
    }
}

#[derive(Deserialize, Default)]
pub struct Ack {
    #[serde(default)]
    csrf: String,
}

/// "It is down": the takedown is acknowledged, as by the pull API. Another partner's, or one
/// already confirmed, answers 404.
pub async fn acknowledge(
    State(app): State<AppState>,
    viewer: PartnerViewer,
    Path(id): Path<String>,
    Form(f): Form<Ack>,
) -> Result<Response, ConsoleError> {
    viewer.check(&f.csrf)?;
    let due = takedowns_due(&app.store, &viewer.partner).await?;
    let takedown = due
        .into_iter()
        .find(|t| t.delivery_id == id)
        .ok_or(ConsoleError::NotFound)?;
    let now = app.distributor.clock().now();
    let (_, done) = outbox::ack(&app.store, viewer.partner.as_str(), &id, now).await?;
    for t in &done {
        tracing::info!(case_id = %t.case_id, secs = t.took.as_secs_f64(), "every poster of the case is down");
        app.dispatch.metrics.observe_takedown(t.took);
    }
    tracing::info!(delivery_id = %id, user_id = %viewer.user.id, "takedown confirmed in the portal");
    let number: String =
        url::form_urlencoded::byte_serialize(takedown.case_number.as_bytes()).collect();
    Ok(Redirect::to(&format!("/portal/takedowns?done={number}")).into_response())
}
