//! "My locations": the partner's stores, billboards and screens as lookout knows them, in a list and
//! on a map, so the partner can see where its posters are aimed; a location file it uploads
//! replaces the list, and each location has its print pack.

use std::sync::Arc;

use axum::extract::{Extension, Multipart, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::context;

use super::pack::print_formats;
use crate::app::AppState;
use crate::app::partner_import::{self, Stored};
use crate::console::admin::partners::locations_map;
use crate::console::session::PartnerViewer;
use crate::console::{Console, ConsoleError, upload};
use crate::partners::{self, FileKind};

/// A location file a partner sends from its portal, at most: a 5,000-store chain's list is about
/// half a megabyte as CSV, several as GeoJSON with coverage areas.
pub const UPLOAD_MAX: usize = 50_000_000;

/// Locations a page of the list shows: a national chain has thousands.
const PER_PAGE: usize = 200;

#[derive(serde::Deserialize)]
pub struct ListQuery {
    /// 1 is the first page; anything else that is not a page number shows the first.
    page: Option<String>,
}

pub async fn list(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: PartnerViewer,
    Query(q): Query<ListQuery>,
) -> Result<Response, ConsoleError> {
    let number = q.page.and_then(|p| p.trim().parse().ok()).unwrap_or(1);
    page(&app, &console, &viewer, number, context! {}, StatusCode::OK).await
}

/// Which rows page `number` (from 1; past the end, the last page) shows of `total`, and its
/// number as shown.
fn window(total: usize, number: usize) -> (std::ops::Range<usize>, usize) {
    let pages = total.div_ceil(PER_PAGE).max(1);
    let number = number.clamp(1, pages);
    let start = (number - 1) * PER_PAGE;
    (start..(start + PER_PAGE).min(total), number)
}

/// Page `number` of the list, and the map, with what an upload just did (`outcome`: an `error` or
/// a `summary`).
async fn page(
    app: &AppState,
    console: &Console,
    viewer: &PartnerViewer,
    number: usize,
    outcome: minijinja::Value,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let p = super::own_partner(app, viewer)?;
    let locations = app.store.locations(&viewer.partner).await?;
    let total = locations.len();
    let (shown, number) = window(total, number);
    let link = |n: usize| format!("/portal/locations?page={n}");
    let prev_link = (number > 1).then(|| link(number - 1));
    let next_link = (shown.end < total).then(|| link(number + 1));
    let (first, last) = (shown.start + 1, shown.end);
    let rows: Vec<_> = locations[shown]
        .iter()
        .map(|l| {
            context! {
                reference => &l.reference, name => &l.name, lat => format!("{:.5}", l.lat),
                lon => format!("{:.5}", l.lon), email => &l.email, reach_m => l.reach_m,
            }
        })
        .collect();
    let printable = !print_formats(&p.formats).is_empty();
    let html = console.pages.render(
        "portal_locations.html",
        context! {
            user => viewer.view(), csrf => &viewer.csrf, partner => &p.name, id => p.id.as_str(),
            locations => rows, printable => printable, max_mb => UPLOAD_MAX / 1_000_000,
            total => total, first => first, last => last, prev_link => prev_link,
            next_link => next_link, ..outcome
        },
    )?;
    Ok((status, html).into_response())
}

/// Replace my location list with the good rows of an uploaded CSV or GeoJSON file, and report every
/// bad row. A file with no good row changes nothing: an empty list would stop every poster.
pub async fn upload(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: PartnerViewer,
    mut multipart: Multipart,
) -> Result<Response, ConsoleError> {
    let sent = upload::read(&mut multipart).await;
    viewer.check(&sent.csrf)?;
    let refuse =
        |error: String, status| page(&app, &console, &viewer, 1, context! { error }, status);
    if sent.too_large {
        let error = format!(
            "The file is larger than {} MB. Send it to the organisation to import, or split coverage areas out of it.",
            UPLOAD_MAX / 1_000_000
        );
        return refuse(error, StatusCode::PAYLOAD_TOO_LARGE).await;
    }
    let Some((name, bytes)) = sent.file else {
        let error = "Choose a file: your locations as .csv or .geojson.".to_string();
        return refuse(error, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    if FileKind::detect(&name, &bytes) == FileKind::Partners {
        let error = format!(
            "{name} is a partner list, not a location file: nothing was changed. Upload your locations as .csv or .geojson."
        );
        return refuse(error, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let own = viewer.partner.clone();
    let read_name = name.clone();
    let report = tokio::task::spawn_blocking(move || {
        partners::import_checked(&read_name, &bytes[..], &[], &mut |_| {}, &mut |l| {
            if l.partner_id == own {
                Ok(())
            } else {
                Err((
                    "partner_id".into(),
                    format!("you can only send locations of {own}"),
                ))
            }
        })
    })
    .await
    .map_err(|e| ConsoleError::Internal(e.to_string()))?;
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            let error = format!("{name}: nothing was changed: {e}");
            return refuse(error, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let errors = report.errors.clone();
    let stored = if report.locations.is_empty() {
        Stored::default()
    } else {
        let stored =
            partner_import::store_report(&app.store, report, &viewer.actor(), &mut |_| {}).await?;
        app.targeting.changed(&app.store).await;
        stored
    };
    tracing::info!(
        partner_id = %viewer.partner,
        locations = stored.locations,
        rows_bad = errors.len(),
        "partner uploaded its locations"
    );
    let status = if stored.locations == 0 {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let summary = upload::report(&name, &stored, &errors);
    page(&app, &console, &viewer, 1, context! { summary }, status).await
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

#[cfg(test)]
mod tests {
    use super::{PER_PAGE, window};

    #[test]
    fn a_page_number_past_the_end_or_before_the_start_is_clamped() {
        // brute force: every row is on exactly one page, in order
        for total in [0, 1, PER_PAGE - 1, PER_PAGE, PER_PAGE + 1, 3 * PER_PAGE + 7] {
            let pages = total.div_ceil(PER_PAGE).max(1);
            let mut seen = Vec::new();
            for n in 1..=pages {
                let (rows, shown) = window(total, n);
                assert_eq!(shown, n);
                assert!(rows.len() <= PER_PAGE);
                seen.extend(rows);
            }
            assert_eq!(seen, (0..total).collect::<Vec<_>>(), "total {total}");
            assert_eq!(window(total, 0), window(total, 1));
            assert_eq!(window(total, pages + 5), window(total, pages));
        }
    }
}
