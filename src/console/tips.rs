//! Tips on a case's console page: each with what was seen, where and when, how to reach its sender,
//! the poster that brought it, and its state (new, reviewed, forwarded, dismissed) with a note and
//! who handled it. A tip's photo is shown only here, behind sign-in, as it was sent.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

use super::ConsoleError;
use super::session::Viewer;
use crate::app::AppState;
use crate::store::{CaseId, TipRecord};
use crate::tips::TipState;

/// The case page's tips, newest first, urgent ones marked.
pub(super) async fn context_of(
    app: &AppState,
    id: CaseId,
) -> Result<minijinja::Value, ConsoleError> {
    let tips = app.store.tips(id).await?;
    let who = super::who::Names::load(app).await?;
    let rows: Vec<_> = tips.iter().map(|t| row(t, &who)).collect();
    let new = tips.iter().filter(|t| t.state == TipState::New).count();
    let states: Vec<&str> = TipState::ALL.iter().map(|s| s.as_str()).collect();
    Ok(context! { rows => rows, new => new, states => states })
}

fn row(t: &TipRecord, who: &super::who::Names) -> minijinja::Value {
    context! {
        id => &t.id, received => t.received_at.get(0..16).map(|s| s.replace('T', " ")),
        version => t.case_version, what => &t.what, place => &t.place, when => t.when,
        time => &t.time, urgent => t.urgent, name => &t.name, phone => &t.phone, email => &t.email,
        lang => &t.lang, source => &t.source, after_close => t.after_close,
        state => t.state.as_str(), note => &t.note,
        handled_by => t.handled_by.as_deref().map(|a| who.of(a)),
        handled_at => t.handled_at.as_deref().and_then(|s| s.get(0..16)).map(|s| s.replace('T', " ")),
        has_photo => t.has_photo,
    }
}

#[derive(Deserialize)]
pub struct Handling {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    note: String,
}

/// Longest note kept.
const NOTE_MAX: usize = 2000;

/// A case manager sets a tip's state and note.
pub async fn handle(
    State(app): State<AppState>,
    viewer: Viewer,
    Path((id, tip)): Path<(String, String)>,
    Form(f): Form<Handling>,
) -> Result<Response, ConsoleError> {
    viewer.check(&f.csrf)?;
    let id: CaseId = id.parse().map_err(|_| ConsoleError::NotFound)?;
    let state = TipState::parse(&f.state).ok_or(ConsoleError::NotFound)?;
    let note: String = f.note.trim().chars().take(NOTE_MAX).collect();
    let note = (!note.is_empty()).then_some(note);
    let now = app.distributor.clock().now();
    let done = app
        .store
        .handle_tip(id, &tip, state, note.as_deref(), &viewer.actor(), now)
        .await?;
    if !done {
        return Err(ConsoleError::NotFound);
    }
    Ok(Redirect::to(&format!("/cases/{id}#tip-{tip}")).into_response())
}

/// A tip's photo, as it was sent, for the case managers alone.
pub async fn photo(
    State(app): State<AppState>,
    _viewer: Viewer,
    Path((id, tip)): Path<(String, String)>,
) -> Result<Response, ConsoleError> {
    let id: CaseId = id.parse().map_err(|_| ConsoleError::NotFound)?;
    let photo = app
        .store
        .tip_photo(id, &tip)
        .await?
        .ok_or(ConsoleError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, photo.content_type),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{tip}-photo\""),
            ),
        ],
        photo.bytes,
    )
        .into_response())
}
