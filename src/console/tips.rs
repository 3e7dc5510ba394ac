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
use std::collections::HashMap;

use crate::partners::PartnerId;
use crate::store::{CaseId, Forwarded, TipMessageKind, TipRecord};
use crate::tips::TipState;

/// The case page's tips, newest first, urgent ones marked, each with the poster it came from and
/// the messages sent about it.
pub(super) async fn context_of(
    app: &AppState,
    id: CaseId,
) -> Result<minijinja::Value, ConsoleError> {
    let tips = app.store.tips(id).await?;
    let who = super::who::Names::load(app).await?;
    let mut messages: HashMap<String, Vec<minijinja::Value>> = HashMap::new();
    for (tip, m) in app.store.tip_messages(id).await? {
        let forwarded = m.kind == TipMessageKind::Forward && m.state != "failed";
        messages.entry(tip).or_default().push(context! {
            forward => m.kind == TipMessageKind::Forward, forwarded => forwarded,
            to => m.recipients.join(", "),
            state => m.state, attempts => m.attempts, error => m.last_error,
            sent_at => m.sent_at.as_deref().and_then(|s| s.get(0..16)).map(|s| s.replace('T', " ")),
        });
    }
    let mut vias = Vias::default();
    let mut rows = Vec::with_capacity(tips.len());
    for t in &tips {
        let via = vias.words(app, t.source.as_deref()).await?;
        let sent = messages.remove(&t.id).unwrap_or_default();
        rows.push(row(t, &who, via, sent));
    }
    let new = tips.iter().filter(|t| t.state == TipState::New).count();
    let states: Vec<&str> = TipState::ALL.iter().map(|s| s.as_str()).collect();
    Ok(context! { rows => rows, new => new, states => states })
}

/// Via codes in words (partner name, location, format), each looked up once per page.
#[derive(Default)]
pub(super) struct Vias {
    known: HashMap<String, Option<String>>,
}

impl Vias {
    pub(super) async fn words(
        &mut self,
        app: &AppState,
        code: Option<&str>,
    ) -> Result<Option<String>, ConsoleError> {
        let Some(code) = code else { return Ok(None) };
        if let Some(w) = self.known.get(code) {
            return Ok(w.clone());
        }
        let words = match app.store.via(code).await? {
            Some(via) => {
                let name = match PartnerId::parse(&via.partner_id) {
                    Ok(p) => app.store.partner(&p).await?.map(|r| r.partner.name),
                    Err(_) => None,
                };
                let mut w = name.unwrap_or_else(|| via.partner_id.clone());
                if !via.location_ref.is_empty() {
                    w.push_str(&format!(", location {}", via.location_ref));
                }
                w.push_str(&format!(", {} poster", via.format.as_str()));
                Some(w)
            }
            None => None,
        };
        self.known.insert(code.to_string(), words.clone());
        Ok(words)
    }
}

fn row(
    t: &TipRecord,
    who: &super::who::Names,
    via: Option<String>,
    messages: Vec<minijinja::Value>,
) -> minijinja::Value {
    context! {
        via => via, messages => messages,
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

#[derive(Deserialize)]
pub struct Forwarding {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
}

/// A case manager forwards a tip to the investigating agency's address on the case: queued in
/// the outbox (durable, retried, audited) and the tip marked forwarded.
pub async fn forward(
    State(app): State<AppState>,
    viewer: Viewer,
    Path((id, tip)): Path<(String, String)>,
    Form(f): Form<Forwarding>,
) -> Result<Response, ConsoleError> {
    viewer.check(&f.csrf)?;
    let id: CaseId = id.parse().map_err(|_| ConsoleError::NotFound)?;
    let version = app
        .store
        .case_version(id, None)
        .await?
        .ok_or(ConsoleError::NotFound)?;
    // the form is offered only when the case has an address; a stale page learns it here
    let Some(to) = version.document.contact.email.clone() else {
        return Err(ConsoleError::NoAgencyEmail);
    };
    let note: String = f.note.trim().chars().take(NOTE_MAX).collect();
    let note = (!note.is_empty()).then_some(note);
    let now = app.distributor.clock().now();
    match app
        .store
        .forward_tip(id, &tip, &to, note.as_deref(), &viewer.actor(), now)
        .await?
    {
        Forwarded::Queued => {
            tracing::info!(case_id = %id, tip = %tip, "tip forwarded to the agency")
        }
        // a second click, or a colleague's: the page shows the forward already under way
        Forwarded::Already => {}
        Forwarded::NoSuchTip => return Err(ConsoleError::NotFound),
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
