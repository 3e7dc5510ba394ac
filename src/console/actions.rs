//! What a case manager does to a case from its page: send it to partners and resolve it. Each shows
//! its consequences first (how many partners and locations receive it, how many are told to take it
//! down) and acts only on the confirming form, which carries the session's token.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

use super::session::Viewer;
use super::{Console, ConsoleError};
use crate::app::AppState;
use crate::distribution::DispatchError;
use crate::store::outbox::{self, Kind};
use crate::store::{CaseId, CaseRecord, Outcome, Resolution};

async fn open_case(app: &AppState, id: &str) -> Result<(CaseId, CaseRecord), ConsoleError> {
    let id: CaseId = id.parse().map_err(|_| ConsoleError::NotFound)?;
    let record = app.store.case(id).await?.ok_or(ConsoleError::NotFound)?;
    Ok((id, record))
}

/// Back to the case page after an action that cannot apply (the case was closed meanwhile).
fn to_case(id: CaseId) -> Response {
    Redirect::to(&format!("/cases/{id}")).into_response()
}

/// Partners and locations the region reaches now, and those left out.
fn reach(
    app: &AppState,
    record: &CaseRecord,
    states: &[String],
) -> Result<(usize, usize, usize), String> {
    let (_, s) = super::preview(app, &record.document, states).map_err(|e| e.to_string())?;
    Ok((s.partners.len(), s.location_count(), s.skipped.len()))
}

#[derive(Deserialize, Default)]
pub struct StatesQuery {
    #[serde(default)]
    states: String,
}

pub async fn send_form(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<StatesQuery>,
) -> Result<Response, ConsoleError> {
    let (id, record) = open_case(&app, &id).await?;
    if !record.document.is_active() {
        return Ok(to_case(id));
    }
    let approval = super::approval::needed(&app, id).await?;
    send_page(
        &app,
        &console,
        &viewer,
        (id, &record, approval),
        &q.states,
        None,
        StatusCode::OK,
    )
}

fn send_page(
    app: &AppState,
    console: &Console,
    viewer: &Viewer,
    (id, record, approval): (CaseId, &CaseRecord, bool),
    states: &str,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let (partners, locations, skipped) =
        reach(app, record, &super::state_codes(states)).unwrap_or((0, 0, 0));
    let html = console.pages.render(
        "send.html",
        context! {
            user => viewer.view(), csrf => &viewer.csrf, id => id.to_string(),
            case_number => &record.document.case_number, partners => partners,
            locations => locations, skipped => skipped, states => states, error => error,
            approval => approval,
        },
    )?;
    Ok((status, html).into_response())
}

#[derive(Deserialize)]
pub struct SendForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    states: String,
}

pub async fn send(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(f): Form<SendForm>,
) -> Result<Response, ConsoleError> {
    viewer.check(&f.csrf)?;
    let (id, record) = open_case(&app, &id).await?;
    let states = super::state_codes(&f.states);
    if let Err(e) = reach(&app, &record, &states) {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        let approval = super::approval::needed(&app, id).await?;
        return send_page(
            &app,
            &console,
            &viewer,
            (id, &record, approval),
            &f.states,
            Some(e),
            status,
        );
    }
    if super::approval::needed(&app, id).await? {
        super::approval::request(&app, &viewer, id, &states).await?;
        return Ok(to_case(id));
    }
    match app.distributor.dispatch(id, &states, &viewer.actor()).await {
        Ok(Some((dist, planned))) => {
            tracing::info!(case_id = %id, queued = planned.queued, "sent to partners from the console");
            app.store
                .record_audit(crate::store::AuditEvent {
                    actor: &viewer.actor(),
                    action: "case.dispatch",
                    case_id: Some(id),
                    subject: (!states.is_empty()).then(|| states.join(",")),
                    version: Some(i64::from(dist.poster_version)),
                })
                .await?;
            Ok(to_case(id))
        }
        Ok(None) => Err(ConsoleError::NotFound),
        Err(DispatchError::CaseClosed(_)) => Ok(to_case(id)),
        Err(DispatchError::Plan(e)) => Err(ConsoleError::Internal(format!(
            "dispatch of case {id}: {e}"
        ))),
    }
}

/// Recipients that ever received a poster of the case: who a takedown reaches.
async fn holders(app: &AppState, id: CaseId) -> Result<usize, ConsoleError> {
    let mut who: Vec<(String, Option<String>)> = outbox::timeline(&app.store, id)
        .await?
        .into_iter()
        .filter(|d| d.kind != Kind::Withdrawn && (d.attempts > 0 || d.delivered_at.is_some()))
        .map(|d| (d.partner_id, d.location_ref))
        .collect();
    who.sort();
    who.dedup();
    Ok(who.len())
}

#[derive(Deserialize, Default)]
pub struct ResolveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    base_version: i64,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    reason: String,
}

pub async fn resolve_form(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let (id, record) = open_case(&app, &id).await?;
    if !record.document.is_active() {
        return Ok(to_case(id));
    }
    let form = ResolveForm {
        base_version: record.version,
        outcome: "found_safe".into(),
        ..ResolveForm::default()
    };
    resolve_page(
        &app,
        &console,
        &viewer,
        id,
        &record,
        &form,
        context! {},
        StatusCode::OK,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn resolve_page(
    app: &AppState,
    console: &Console,
    viewer: &Viewer,
    id: CaseId,
    record: &CaseRecord,
    form: &ResolveForm,
    errors: minijinja::Value,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let html = console.pages.render(
        "resolve.html",
        context! {
            user => viewer.view(), csrf => &viewer.csrf, id => id.to_string(),
            case_number => &record.document.case_number, holders => holders(app, id).await?,
            version => form.base_version, outcome => &form.outcome, reason => &form.reason,
            errors => errors,
        },
    )?;
    Ok((status, html).into_response())
}

pub async fn resolve(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(f): Form<ResolveForm>,
) -> Result<Response, ConsoleError> {
    viewer.check(&f.csrf)?;
    let (id, record) = open_case(&app, &id).await?;
    if !record.document.is_active() {
        return Ok(to_case(id));
    }
    let outcome = match f.outcome.as_str() {
        "found_safe" => Some(Outcome::FoundSafe),
        "closed" => Some(Outcome::Closed),
        _ => None,
    };
    let reason = f.reason.trim();
    if outcome.is_none() || reason.is_empty() || reason.chars().count() > 500 {
        let errors = context! {
            outcome => outcome.is_none().then_some("Choose found safe or closed."),
            reason => (reason.is_empty() || reason.chars().count() > 500)
                .then_some("Say why, in 1 to 500 characters. It stays in the record; partners never see it."),
        };
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return resolve_page(&app, &console, &viewer, id, &record, &f, errors, status).await;
    }
    let resolution = Resolution {
        outcome: outcome.unwrap_or(Outcome::FoundSafe),
        reason: reason.to_string(),
    };
    let mut case = record.document.clone();
    case.status = resolution.outcome.status();
    // the version the form was made from: a change made since is not overwritten unseen
    let base = if f.base_version > 0 {
        f.base_version
    } else {
        record.version
    };
    match app
        .distributor
        .resolve_case(id, base, &case, &resolution, &viewer.actor())
        .await
    {
        Ok(_) => {
            tracing::info!(case_id = %id, "resolved from the console");
            Ok(to_case(id))
        }
        Err(crate::distribution::reissue::ReissueError::Store(
            crate::store::StoreError::VersionConflict,
        )) => {
            let errors = context! { reason => "The case changed while you were on this page. Check it, then resolve again." };
            let fresh = ResolveForm {
                base_version: record.version,
                ..f
            };
            resolve_page(
                &app,
                &console,
                &viewer,
                id,
                &record,
                &fresh,
                errors,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(ConsoleError::Internal(format!("resolve of case {id}: {e}"))),
    }
}

/// The targeting map of the case, as the region stands now (widened by `?states=`).
pub async fn map(
    State(app): State<AppState>,
    _viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<StatesQuery>,
) -> Result<Response, ConsoleError> {
    let (id, record) = open_case(&app, &id).await?;
    let states = super::widened_by(&app, id, &q.states).await?;
    // an unknown state typed into the preview is named on the page; the map leaves it out
    let (region, selection) = super::preview(&app, &record.document, &states)
        .or_else(|_| super::preview(&app, &record.document, &[]))
        .map_err(|e| ConsoleError::Internal(e.to_string()))?;
    let title = format!("Case {} — targeting preview", record.document.case_number);
    let svg = crate::targeting::render_svg(
        &region,
        &selection,
        &app.targeting.states,
        &crate::targeting::MapOptions::region(title),
    );
    Ok(([(axum::http::header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}
