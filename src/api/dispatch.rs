//! Distribution, as case managers see it: start it, see who has which version, fix a partner that
//! was disabled. `/metrics` for the operator.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use super::auth::{Caller, Can};
use super::cases::case_id;
use super::error::{ApiError, Problem};
use super::extract::{ApiPath, OptionalJsonBody, parse_json};
use super::views::{Dispatched, DistributionView, Distributions, Recipient, TakedownPending};
use crate::distribution::DispatchError;
use crate::distribution::reissue::ReissueError;
use crate::partners::PartnerId;
use crate::store::outbox::{self, DeliveryView, Kind, PartnerHealth, State as DState};
use crate::targeting::RegionExtras;

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"states": ["MD", "PA"]}))]
pub struct DispatchBody {
    /// USPS codes of states to add to the region.
    #[serde(default)]
    states: Vec<String>,
}

impl From<DispatchError> for ApiError {
    fn from(e: DispatchError) -> Self {
        match e {
            DispatchError::CaseClosed(status) => ApiError::CaseClosed(status),
            DispatchError::Plan(e) => e.into(),
        }
    }
}

impl From<ReissueError> for ApiError {
    fn from(e: ReissueError) -> Self {
        match e {
            ReissueError::Store(e) => e.into(),
            ReissueError::Region(crate::targeting::RegionError::Field { field, reason }) => {
                ApiError::invalid(field, reason)
            }
        }
    }
}

/// Send the case's poster to the partners in its region (planned again if it was sent before).
#[utoipa::path(post, path = "/v1/cases/{id}/dispatch", tag = "distribution", security(("case_manager" = []), ("admin" = [])), params(("id" = String, Path, description = "The case id", format = Uuid)),
    request_body(content = Option<DispatchBody>, description = "Optional: states to add to the region"),
    responses(
        (status = 202, body = Dispatched),
        (status = 409, description = "The case is closed", body = Problem, content_type = "application/problem+json")))]
pub async fn dispatch(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    OptionalJsonBody(body): OptionalJsonBody,
) -> Result<Response, ApiError> {
    caller.require(Can::WorkCases)?;
    let id = case_id(&id)?;
    let body: DispatchBody = match body {
        Some(b) if !b.iter().all(u8::is_ascii_whitespace) => {
            // `null` is no body, as the document's optional body allows
            parse_json::<Option<DispatchBody>>(&b)?.unwrap_or_default()
        }
        _ => DispatchBody::default(),
    };
    let codes: Vec<&str> = body.states.iter().map(String::as_str).collect();
    RegionExtras::new(&codes, Vec::new(), &app.targeting.states).map_err(ReissueError::from)?;
    // the case's status is read under its lock, in the same transaction as the plan: a resolve
    // racing this dispatch either comes first (409 case_closed) or withdraws what it queued
    let (dist, planned) = app
        .distributor
        .dispatch(id, &body.states, &caller.actor())
        .await?
        .ok_or(ApiError::NotFound("case"))?;
    app.store
        .record_audit(crate::store::AuditEvent {
            actor: &caller.actor(),
            action: "case.dispatch",
            case_id: Some(id),
            subject: (!body.states.is_empty()).then(|| body.states.join(",")),
            version: Some(i64::from(dist.poster_version)),
        })
        .await?;
    let body = Dispatched {
        case_id: id,
        version: dist.poster_version,
        states: dist.states,
        started_at: dist.started_at,
        planned,
    };
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

/// One recipient's deliveries, oldest first, as what it holds now.
fn summarise(items: &[DeliveryView]) -> Recipient {
    let newest = items
        .iter()
        .rev()
        .find(|d| d.state != DState::Superseded)
        .or(items.last())
        .expect("a recipient has deliveries");
    let mut holds = None;
    for d in items {
        if matches!(d.state, DState::Delivered | DState::Acknowledged) {
            holds = (d.kind != Kind::Withdrawn).then_some(d.version);
        }
    }
    let state = match (newest.kind, newest.state) {
        (Kind::Withdrawn, DState::Delivered | DState::Acknowledged) => "withdrawn",
        (_, s) => s.as_str(),
    };
    Recipient {
        partner_id: newest.partner_id.clone(),
        location_ref: newest.location_ref.clone(),
        state,
        holds,
        attempts: items.iter().map(|d| d.attempts).sum(),
        last_error: newest.last_error.clone(),
        updated_at: newest.updated_at.clone(),
        timeline: items.to_vec(),
    }
}

/// Who has which version of the poster, every delivery, and what is still to come down.
#[utoipa::path(get, path = "/v1/cases/{id}/distributions", tag = "distribution", security(("case_manager" = []), ("admin" = [])), params(("id" = String, Path, description = "The case id", format = Uuid)),
    responses((status = 200, body = Distributions)))]
pub async fn distributions(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Distributions>, ApiError> {
    caller.require(Can::WorkCases)?;
    let id = case_id(&id)?;
    let record = app
        .store
        .case(id)
        .await?
        .ok_or(ApiError::NotFound("case"))?;
    let dist = outbox::distribution(&app.store, id).await?;
    let deliveries = outbox::timeline(&app.store, id).await?;
    let health: Vec<PartnerHealth> = outbox::health(&app.store).await?;
    let mut recipients = Vec::new();
    for group in
        deliveries.chunk_by(|a, b| a.partner_id == b.partner_id && a.location_ref == b.location_ref)
    {
        recipients.push(summarise(group));
    }
    let disabled: Vec<PartnerHealth> = health
        .into_iter()
        .filter(|h| h.disabled_at.is_some())
        .filter(|h| recipients.iter().any(|r| r.partner_id == h.partner_id))
        .collect();
    // of a closed case: every recipient whose takedown has not arrived yet
    let takedown_pending: Vec<TakedownPending> = if record.document.is_active() {
        Vec::new()
    } else {
        recipients
            .iter()
            .filter_map(|r| awaiting_takedown(r).map(|d| (r, d)))
            .map(|(r, d)| TakedownPending {
                partner_id: r.partner_id.clone(),
                location_ref: r.location_ref.clone(),
                delivery_id: d.id.clone(),
                channel: d.channel,
                state: d.state,
                attempts: d.attempts,
                next_attempt_at: d.next_attempt_at.clone(),
                last_error: d.last_error.clone(),
            })
            .collect()
    };
    Ok(Json(Distributions {
        case_id: id,
        case_version: record.version,
        distribution: dist.map(|d| DistributionView {
            active: d.active,
            poster_version: d.poster_version,
            states: d.states,
            started_at: d.started_at,
            planned_at: d.planned_at,
            next_retarget_at: d.next_retarget_at,
            taken_down_at: d.taken_down_at,
            takedown_done_at: d.takedown_done_at,
        }),
        recipients,
        disabled_partners: disabled,
        takedown_pending,
    }))
}

/// A recipient's takedown (found safe, closed) that has not arrived: queued, being sent, or
/// given up on.
fn awaiting_takedown(r: &Recipient) -> Option<&DeliveryView> {
    r.timeline.iter().rev().find(|d| {
        d.kind == Kind::Withdrawn
            && d.reason.is_some_and(|r| r.is_final())
            && matches!(d.state, DState::Pending | DState::Sending | DState::Failed)
    })
}

/// An operator fixed a partner's endpoint: lift its disablement; its queued deliveries flow again.
/// Lift a partner's disablement after its endpoint was fixed: its queued deliveries flow again.
#[utoipa::path(post, path = "/v1/partners/{id}/enable", tag = "partners", security(("admin" = [])),
    params(("id" = String, Path, description = "The partner id")),
    responses((status = 204, description = "Enabled")))]
pub async fn enable_partner(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    caller.require(Can::ManagePartners)?;
    let id = PartnerId::parse(&id).map_err(|_| ApiError::NotFound("partner"))?;
    app.store
        .partner(&id)
        .await?
        .ok_or(ApiError::NotFound("partner"))?;
    outbox::enable(&app.store, id.as_str(), app.distributor.clock().now()).await?;
    app.distributor.wake_handle().notify_one();
    app.store
        .record_audit(crate::store::AuditEvent {
            actor: &caller.actor(),
            action: "partner.enable",
            case_id: None,
            subject: Some(id.to_string()),
            version: None,
        })
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Prometheus text: the queue from the database, outcomes and latency from this process. On the
/// service's port it needs an admin token; `metrics_listen` serves it without one on an address
/// the operator keeps private.
/// Prometheus metrics: deliveries, queue, render and request durations.
#[utoipa::path(get, path = "/metrics", tag = "operations", security(("admin" = [])),
    responses((status = 200, description = "Prometheus text format 0.0.4", content_type = "text/plain", body = String)))]
pub async fn metrics(State(app): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require(Can::Administer)?;
    open_metrics(State(app)).await
}

/// `/metrics` on the `metrics_listen` address: no token.
pub async fn open_metrics(State(app): State<AppState>) -> Result<Response, ApiError> {
    let queue = outbox::queue_stats(&app.store, app.distributor.clock().now()).await?;
    let text = app
        .dispatch
        .metrics
        .render(&queue, app.distributor.retarget_failures());
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}
