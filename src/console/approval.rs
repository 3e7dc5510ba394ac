//! Optional second-person approval (the `dispatch_approval` setting, off by default): a case's
//! first send to partners waits until a case manager other than the one who asked approves it.
//! The request and the approval are both in the audit log.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::ConsoleError;
use super::session::Viewer;
use super::who::Names;
use crate::app::AppState;
use crate::distribution::DispatchError;
use crate::store::{CaseId, StoreError, outbox};

/// Whether a send of case `id` now must wait for approval: the setting is on and the case has
/// never been sent.
pub async fn needed(app: &AppState, id: CaseId) -> Result<bool, ConsoleError> {
    Ok(app.settings.dispatch_approval && outbox::distribution(&app.store, id).await?.is_none())
}

/// Ask for approval instead of sending.
pub async fn request(
    app: &AppState,
    viewer: &Viewer,
    id: CaseId,
    states: &[String],
) -> Result<(), ConsoleError> {
    let now = app.distributor.clock().now();
    app.store
        .request_dispatch(id, states, &viewer.actor(), now)
        .await?;
    tracing::info!(case_id = %id, "first dispatch waits for approval");
    Ok(())
}

/// What the case page shows of a request still waiting: who asked and when, and whether this
/// viewer may approve it.
pub async fn waiting(
    app: &AppState,
    viewer: &Viewer,
    id: CaseId,
) -> Result<Option<minijinja::Value>, ConsoleError> {
    if !app.settings.dispatch_approval {
        return Ok(None);
    }
    let Some(a) = app.store.approval(id).await? else {
        return Ok(None);
    };
    if a.approved_at.is_some() {
        return Ok(None);
    }
    let names = Names::load(app).await?;
    Ok(Some(minijinja::context! {
        who => names.of(&a.requested_by), when => a.requested_at, states => a.states.join(", "),
        mine => a.requested_by == viewer.actor().to_string(),
    }))
}

#[derive(Deserialize)]
pub struct ApproveForm {
    #[serde(default)]
    csrf: String,
}

/// Approve the waiting send and send it now.
pub async fn approve(
    State(app): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(f): Form<ApproveForm>,
) -> Result<Response, ConsoleError> {
    viewer.check(&f.csrf)?;
    let id: CaseId = id.parse().map_err(|_| ConsoleError::NotFound)?;
    let now = app.distributor.clock().now();
    let approval = match app.store.approve_dispatch(id, &viewer.actor(), now).await {
        Ok(a) => a,
        // none waiting, or this viewer asked for it: the case page says which
        Err(StoreError::NotFound(_)) => {
            return Ok(Redirect::to(&format!("/cases/{id}")).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    match app
        .distributor
        .dispatch(id, &approval.states, &viewer.actor())
        .await
    {
        Ok(Some((dist, planned))) => {
            tracing::info!(case_id = %id, queued = planned.queued, "approved and sent to partners");
            app.store
                .record_audit(crate::store::AuditEvent {
                    actor: &viewer.actor(),
                    action: "case.dispatch",
                    case_id: Some(id),
                    subject: (!approval.states.is_empty()).then(|| approval.states.join(",")),
                    version: Some(i64::from(dist.poster_version)),
                })
                .await?;
            Ok(Redirect::to(&format!("/cases/{id}")).into_response())
        }
        Ok(None) => Err(ConsoleError::NotFound),
        Err(DispatchError::CaseClosed(_)) => {
            Ok(Redirect::to(&format!("/cases/{id}")).into_response())
        }
        Err(DispatchError::Plan(e)) => Err(ConsoleError::Internal(format!(
            "dispatch of case {id}: {e}"
        ))),
    }
}
