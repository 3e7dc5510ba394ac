//! Editing a case: the form starts from the saved version and carries that version back. When
//! someone else saved the case meanwhile, the two edits are merged field by field, so neither is
//! lost; only when both changed the same field does the form come back, with everything typed,
//! saying who changed what and when and which fields clash, and linking to the case as it is now.
//! Saving again then puts this edit's values over theirs. A saved edit reissues the posters to every partner
//! that holds them (the distributor's update).

use std::sync::Arc;

use axum::extract::{Extension, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;

use super::fields::fields_of;
use super::{Mode, Submitted, check, read, render};
use crate::app::AppState;
use crate::cases::{Case, changed_paths, merge3, parse_case};
use crate::console::session::Viewer;
use crate::console::who::Names;
use crate::console::{Console, ConsoleError};
use crate::distribution::reissue::ReissueError;
use crate::store::{CaseId, CaseRecord, StoreError};

fn mode(id: CaseId, record: &CaseRecord, base: i64) -> Mode {
    Mode {
        heading: format!("Edit case {}", record.document.case_number),
        action: format!("/cases/{id}/edit"),
        submit: "Save and reissue the posters",
        cancel: format!("/cases/{id}"),
        base_version: Some(base),
        conflict: None,
    }
}

async fn open(app: &AppState, raw: &str) -> Result<(CaseId, CaseRecord), ConsoleError> {
    let id: CaseId = raw.parse().map_err(|_| ConsoleError::NotFound)?;
    let record = app.store.case(id).await?.ok_or(ConsoleError::NotFound)?;
    Ok((id, record))
}

pub async fn edit_form(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let (id, record) = open(&app, &id).await?;
    if !record.document.is_active() {
        return Ok(Redirect::to(&format!("/cases/{id}")).into_response());
    }
    let (v, languages) = fields_of(&record.document);
    let form = Submitted {
        v,
        languages,
        errors: Default::default(),
    };
    let mode = mode(id, &record, record.version);
    render(&console, &viewer, &form, &mode, StatusCode::OK)
}

/// Who saved which versions after `base`, what they changed, and which of the fields this edit
/// also changed (where saving again puts this edit's value over theirs).
async fn conflict(
    app: &AppState,
    id: CaseId,
    base: i64,
    clashes: &[String],
) -> Result<minijinja::Value, ConsoleError> {
    let names = Names::load(app).await?;
    let versions = app.store.versions(id).await?.unwrap_or_default();
    let since: Vec<_> = versions
        .iter()
        .filter(|v| v.version > base)
        .map(|v| {
            context! {
                version => v.version, who => names.of(&v.actor), when => &v.created_at,
                changed => crate::console::who::fields(&v.changed),
            }
        })
        .collect();
    Ok(context! {
        base => base, since => since, case => format!("/cases/{id}"),
        clashes => crate::console::who::fields(clashes),
    })
}

/// This edit, made from version `base`, over the case as it is now: a change of theirs to a field
/// this edit left alone is kept. `None` when the two edits changed the same field.
async fn over_newer(
    app: &AppState,
    id: CaseId,
    base: i64,
    mine: &Case,
    now: &CaseRecord,
) -> Result<(Option<Case>, Case, Vec<String>), ConsoleError> {
    let base_doc = app
        .store
        .case_version(id, Some(base))
        .await?
        .ok_or(ConsoleError::NotFound)?
        .document;
    let json = |c: &Case| serde_json::to_value(c).expect("plain data serialises");
    let (merged, clashes) = merge3(&json(&base_doc), &json(mine), &json(&now.document));
    let bytes = serde_json::to_vec(&merged).expect("plain data serialises");
    // both edits were valid cases; their merge is checked again all the same
    let merged = match parse_case(&bytes, chrono::NaiveDate::MAX) {
        Ok(c) => c,
        Err(_) => return Ok((None, mine.clone(), vec!["the whole case".into()])),
    };
    if clashes.is_empty() {
        Ok((Some(merged.clone()), merged, clashes))
    } else {
        Ok((None, merged, clashes))
    }
}

pub async fn update(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: Viewer,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<Response, ConsoleError> {
    let mut form = read(&app, &viewer, multipart).await?;
    let (id, record) = open(&app, &id).await?;
    if !record.document.is_active() {
        return Ok(Redirect::to(&format!("/cases/{id}")).into_response());
    }
    let base = form
        .v
        .remove("base_version")
        .and_then(|b| b.parse::<i64>().ok())
        .unwrap_or(record.version);
    let Some(mut case) = check(&app, &mut form, Some(&record.document)).await? else {
        let mut mode = mode(id, &record, base);
        if base != record.version {
            mode.conflict = Some(conflict(&app, id, base, &[]).await?);
        }
        return render(
            &console,
            &viewer,
            &form,
            &mode,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    if base != record.version {
        let (merged, shown, clashes) = over_newer(&app, id, base, &case, &record).await?;
        match merged {
            Some(m) => case = m,
            None => {
                // both changed the same fields: shown with this edit's values over theirs, to be
                // saved again knowingly over the version that is current now
                let (v, languages) = super::fields::fields_of(&shown);
                let form = Submitted {
                    v,
                    languages,
                    errors: Default::default(),
                };
                let mut mode = mode(id, &record, record.version);
                mode.conflict = Some(conflict(&app, id, base, &clashes).await?);
                return render(&console, &viewer, &form, &mode, StatusCode::CONFLICT);
            }
        }
    }
    let before = serde_json::to_value(&record.document).expect("plain data serialises");
    let after = serde_json::to_value(&case).expect("plain data serialises");
    let changed = changed_paths(&before, &after);
    if changed.is_empty() {
        return Ok(Redirect::to(&format!("/cases/{id}")).into_response());
    }
    match app
        .distributor
        .update_case(id, record.version, &case, &changed, &viewer.actor())
        .await
    {
        Ok(updated) => {
            tracing::info!(case_id = %id, version = updated.version, "case edited in the console");
            Ok(Redirect::to(&format!("/cases/{id}")).into_response())
        }
        Err(ReissueError::Store(StoreError::VersionConflict)) => {
            // saved by someone else between the read above and this write: shown again as it is
            let (_, now) = open(&app, &id.to_string()).await?;
            let mut mode = mode(id, &now, now.version);
            mode.conflict = Some(conflict(&app, id, record.version, &[]).await?);
            render(&console, &viewer, &form, &mode, StatusCode::CONFLICT)
        }
        Err(e) => Err(ConsoleError::Internal(format!("edit of case {id}: {e}"))),
    }
}
