//! Tokens and the audit log: for admins only.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::auth::{Caller, Can};
use super::error::ApiError;
use super::extract::{ApiPath, ApiQuery, JsonBody, parse_json};
use crate::partners::PartnerId;
use crate::store::{AuditFilter, Role, TokenId};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTokenBody {
    role: Role,
    #[serde(default)]
    partner_id: Option<PartnerId>,
    #[serde(default)]
    label: Option<String>,
}

pub async fn create_token(
    State(app): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Can::Administer)?;
    let body: NewTokenBody = parse_json(&body)?;
    match (body.role, &body.partner_id) {
        (Role::Partner, None) => {
            return Err(ApiError::invalid(
                "partner_id",
                "required for a partner token",
            ));
        }
        (Role::Admin | Role::CaseManager, Some(_)) => {
            return Err(ApiError::invalid(
                "partner_id",
                "only a partner token names a partner",
            ));
        }
        _ => {}
    }
    if body
        .label
        .as_deref()
        .is_some_and(|l| l.chars().count() > 100)
    {
        return Err(ApiError::invalid("label", "at most 100 characters"));
    }
    let token = app
        .store
        .create_token(
            body.role,
            body.partner_id.as_ref(),
            body.label.as_deref(),
            &caller.actor(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({"id": token.id, "role": body.role, "partner_id": body.partner_id, "token": token.secret}),
        ),
    ))
}

pub async fn tokens(State(app): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.require(Can::Administer)?;
    Ok(Json(json!({"tokens": app.store.tokens().await?})))
}

pub async fn revoke_token(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(Can::Administer)?;
    let id: TokenId = id.parse().map_err(|_| ApiError::NotFound("token"))?;
    app.store.revoke_token(id, &caller.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    case_id: Option<String>,
    action: Option<String>,
    before: Option<i64>,
    limit: Option<i64>,
}

pub async fn audit(
    State(app): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Can::Administer)?;
    let case_id = match q.case_id {
        Some(c) => Some(
            c.parse()
                .map_err(|_| ApiError::parameter("case_id", "not a case id"))?,
        ),
        None => None,
    };
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::parameter("limit", "between 1 and 1000"));
    }
    let entries = app
        .store
        .audit_entries(&AuditFilter {
            case_id,
            action: q.action,
            before: q.before,
            limit,
        })
        .await?;
    Ok(Json(json!({"entries": entries})))
}
