//! The partners, for administrators: who they are, how each takes posters, whether deliveries
//! reach them, each one's locations on a map, the button that lets a disabled partner's queue flow
//! again (its takedowns first), and the import of partner files with a report of every bad row.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Form;
use axum::extract::{Extension, Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::app::partner_import;
use crate::console::session::Viewer;
use crate::console::upload;
use crate::console::{Console, ConsoleError};
use crate::partners::{Delivery, PartnerId};
use crate::store::outbox::{self, PartnerHealth};
use crate::targeting::{MapOptions, PartnerSelection, Region, SelectedLocation, Selection};

/// A partner file as uploaded, at most (a million-row location list is about 100 MB; larger
/// files go through `lookout partners import`).
pub const IMPORT_MAX: usize = 120_000_000;

#[derive(Serialize)]
struct Row {
    id: String,
    name: String,
    kind: String,
    channel: &'static str,
    active: bool,
    locations: i64,
    health: Option<PartnerHealth>,
}

fn channel(d: &Delivery) -> &'static str {
    match d {
        Delivery::Email(_) => "email",
        Delivery::Webhook(_) => "webhook",
        Delivery::Pull(_) => "pull",
    }
}

fn kind(k: crate::partners::PartnerKind) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

pub async fn list(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: Viewer,
) -> Result<Response, ConsoleError> {
    viewer.require_admin()?;
    let mut health: HashMap<String, PartnerHealth> = outbox::health(&app.store)
        .await?
        .into_iter()
        .map(|h| (h.partner_id.clone(), h))
        .collect();
    let rows: Vec<Row> = app
        .store
        .partners(false)
        .await?
        .into_iter()
        .map(|r| Row {
            id: r.partner.id.to_string(),
            name: r.partner.name.clone(),
            kind: kind(r.partner.kind),
            channel: channel(&r.partner.delivery),
            active: r.partner.active,
            locations: r.locations,
            health: health.remove(r.partner.id.as_str()),
        })
        .collect();
    let disabled = rows
        .iter()
        .filter(|r| r.health.as_ref().is_some_and(|h| h.disabled_at.is_some()))
        .count();
    let html = console.pages.render(
        "partners.html",
        context! { user => viewer.view(), csrf => &viewer.csrf, partners => rows, disabled => disabled },
    )?;
    Ok(html.into_response())
}

async fn partner_of(
    app: &AppState,
    raw: &str,
) -> Result<(PartnerId, crate::store::PartnerRecord), ConsoleError> {
    let id = PartnerId::parse(raw).map_err(|_| ConsoleError::NotFound)?;
    let record = app
        .store
        .partner(&id)
        .await?
        .ok_or(ConsoleError::NotFound)?;
    Ok((id, record))
}

pub async fn show(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    viewer.require_admin()?;
    let (id, record) = partner_of(&app, &id).await?;
    let p = &record.partner;
    let health = outbox::partner_health(&app.store, id.as_str()).await?;
    // where it goes, without its secret
    let target = match &p.delivery {
        Delivery::Email(to) => to.join(", "),
        Delivery::Webhook(w) => w.url.clone(),
        Delivery::Pull(_) => "fetches its deliveries with its token".into(),
    };
    let locations = app.store.locations(&id).await?;
    let shown: Vec<_> = locations
        .iter()
        .take(100)
        .map(
            |l| context! { reference => &l.reference, name => &l.name, lat => l.lat, lon => l.lon },
        )
        .collect();
    let reach = crate::console::reach::of_partner(&app, &id).await?;
    let html = console.pages.render(
        "partner.html",
        context! {
            user => viewer.view(), csrf => &viewer.csrf, id => id.to_string(), name => &p.name,
            kind => kind(p.kind), channel => channel(&p.delivery), target => target,
            active => p.active, per_location => p.per_location,
            languages => p.languages.iter().map(|l| l.code()).collect::<Vec<_>>(),
            formats => p.formats.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
            case_types => p.case_types.len(), daily_cap => p.daily_cap,
            cadence => p.cadence.describe(),
            health => health, locations => shown, location_count => locations.len(),
            reach => reach,
        },
    )?;
    Ok(html.into_response())
}

/// The partner's locations on the map of the states.
pub async fn map(
    State(app): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    viewer.require_admin()?;
    let (id, record) = partner_of(&app, &id).await?;
    let locations = app.store.locations(&id).await?;
    let svg = locations_map(app.targeting.as_ref(), &record.partner, &locations);
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

/// A partner's locations on the map of the states, as SVG: the admin's partner page and the
/// partner's own portal show the same map.
pub(crate) fn locations_map(
    targeting: &crate::distribution::TargetingIndex,
    partner: &crate::partners::Partner,
    locations: &[crate::partners::Location],
) -> String {
    let id = partner.id.clone();
    let selection = Selection {
        partners: vec![PartnerSelection {
            partner_id: id.clone(),
            name: partner.name.clone(),
            kind: partner.kind,
            per_location: partner.per_location,
            locations: locations
                .iter()
                .map(|l| SelectedLocation {
                    partner_id: id.clone(),
                    reference: l.reference.clone(),
                    name: l.name.clone(),
                    lat: l.lat,
                    lon: l.lon,
                    email: None,
                    distance_m: 0.0,
                })
                .collect(),
        }],
        skipped: Vec::new(),
    };
    let options = MapOptions::locations(format!("{}: its locations", partner.name));
    crate::targeting::render_svg(
        &Region { pieces: Vec::new() },
        &selection,
        &targeting.states,
        &options,
    )
}

#[derive(Deserialize)]
pub struct Confirm {
    #[serde(default)]
    csrf: String,
}

/// Let a disabled partner's deliveries flow again, its takedowns first and at once.
pub async fn enable(
    State(app): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(f): Form<Confirm>,
) -> Result<Response, ConsoleError> {
    viewer.require_admin()?;
    viewer.check(&f.csrf)?;
    let (id, _) = partner_of(&app, &id).await?;
    outbox::enable(&app.store, id.as_str(), app.distributor.clock().now()).await?;
    app.distributor.wake_handle().notify_one();
    app.store
        .record_audit(crate::store::AuditEvent {
            actor: &viewer.actor(),
            action: "partner.enable",
            case_id: None,
            subject: Some(id.to_string()),
            version: None,
        })
        .await?;
    tracing::info!(partner_id = %id, "partner enabled in the console");
    Ok(Redirect::to(&format!("/admin/partners/{id}")).into_response())
}

fn import_page(
    console: &Console,
    viewer: &Viewer,
    report: minijinja::Value,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let html = console.pages.render(
        "partner_import.html",
        context! { user => viewer.view(), csrf => &viewer.csrf, ..report },
    )?;
    Ok((status, html).into_response())
}

pub async fn import_form(
    Extension(console): Extension<Arc<Console>>,
    viewer: Viewer,
) -> Result<Response, ConsoleError> {
    viewer.require_admin()?;
    import_page(&console, &viewer, context! {}, StatusCode::OK)
}

/// Import an uploaded partner file: the good rows stored, every bad row listed with where it is.
pub async fn import(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: Viewer,
    mut multipart: Multipart,
) -> Result<Response, ConsoleError> {
    viewer.require_admin()?;
    let upload = upload::read(&mut multipart).await;
    viewer.check(&upload.csrf)?;
    if upload.too_large {
        let error = format!(
            "The file is larger than {} MB: import it with `lookout partners import` on the server.",
            IMPORT_MAX / 1_000_000
        );
        return import_page(
            &console,
            &viewer,
            context! { error },
            StatusCode::PAYLOAD_TOO_LARGE,
        );
    }
    let Some((name, bytes)) = upload.file else {
        let error = "Choose a file: partners.json, or locations as .csv or .geojson.";
        return import_page(
            &console,
            &viewer,
            context! { error },
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    let known = partner_import::known_partners(&app.store).await?;
    let read_name = name.clone();
    let private_targets = app.settings.private_targets.clone();
    let report = tokio::task::spawn_blocking(move || {
        partner_import::read_checked(
            &read_name,
            &bytes[..],
            &known,
            &private_targets,
            &mut |_| {},
        )
    })
    .await
    .map_err(|e| ConsoleError::Internal(e.to_string()))?;
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            let error = format!("{name}: nothing was imported: {e}");
            return import_page(
                &console,
                &viewer,
                context! { error },
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
    };
    let errors = report.errors.clone();
    let nothing = report.partners.is_empty() && report.locations.is_empty();
    let stored = if nothing {
        Default::default()
    } else {
        partner_import::store_report(&app.store, report, &viewer.actor(), &mut |_| {}).await?
    };
    tracing::info!(
        rows_bad = errors.len(),
        locations = stored.locations,
        "partner file imported in the console"
    );
    let status = if nothing {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let summary = upload::report(&name, &stored, &errors);
    import_page(&console, &viewer, context! { summary }, status)
}
