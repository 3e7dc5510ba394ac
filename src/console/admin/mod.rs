//! Pages for administrators only; a case manager who opens one is refused.

pub mod partners;
pub mod people;

use std::sync::Arc;

use axum::extract::{Extension, Query, State};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use serde::Deserialize;

use super::session::Viewer;
use super::{Console, ConsoleError};
use crate::app::AppState;
use crate::store::AuditFilter;

const PAGE: i64 = 100;

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    before: Option<i64>,
}

pub async fn audit(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: Viewer,
    Query(q): Query<AuditQuery>,
) -> Result<Response, ConsoleError> {
    viewer.require_admin()?;
    let entries = app
        .store
        .audit_entries(&AuditFilter {
            before: q.before,
            limit: PAGE,
            ..AuditFilter::default()
        })
        .await?;
    let older = (entries.len() as i64 == PAGE).then(|| entries.last().map(|e| e.id));
    let html = console.pages.render(
        "audit.html",
        context! { user => viewer.view(), csrf => &viewer.csrf, entries => entries, older => older },
    )?;
    Ok(html.into_response())
}
