//! Tokens and the audit log: for admins only.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use serde::Deserialize;

use super::AppState;
use super::auth::{Caller, Can};
use super::error::ApiError;
use super::extract::{ApiPath, ApiQuery, JsonBody, parse_json};
use super::paging::{self, Page};
use super::views::{AuditList, NewToken, TokenList};
use crate::partners::PartnerId;
use crate::store::{AuditFilter, Role, TokenId};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "partner", "partner_id": "northwind-retail", "label": "Northwind IT"}))]
pub struct NewTokenBody {
    role: Role,
    /// Required for a partner token, refused for the others.
    #[serde(default)]
    partner_id: Option<PartnerId>,
    #[serde(default)]
    #[schema(max_length = 100)]
    label: Option<String>,
}

/// Make an API token; its secret is shown once.
#[utoipa::path(post, path = "/v1/tokens", tag = "administration", security(("admin" = [])), request_body = NewTokenBody,
    responses((status = 201, body = NewToken)))]
pub async fn create_token(
    State(app): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<NewToken>), ApiError> {
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
        Json(NewToken {
            id: token.id.to_string(),
            role: body.role,
            partner_id: body.partner_id,
            token: token.secret,
        }),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
    #[param(minimum = 1, maximum = 1000, default = 100)]
    limit: Option<i64>,
}

/// Tokens, without their secrets.
#[utoipa::path(get, path = "/v1/tokens", tag = "administration", security(("admin" = [])), params(PageQuery),
    responses((status = 200, body = TokenList)))]
pub async fn tokens(
    State(app): State<AppState>,
    caller: Caller,
    uri: Uri,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Page, ApiError> {
    caller.require(Can::Administer)?;
    let limit = paging::limit(q.limit, 100, 1000)?;
    let after = paging::start("tokens", q.cursor.as_deref(), None)?;
    let mut tokens = app.store.tokens_page(after.as_deref(), limit + 1).await?;
    let more = tokens.len() as i64 > limit;
    tokens.truncate(limit as usize);
    let next = more
        .then(|| tokens.last().map(|t| paging::encode("tokens", &t.id)))
        .flatten();
    let link = next.clone();
    let body = TokenList {
        tokens,
        next_cursor: next,
    };
    Ok(Page::new(&uri, body, link.as_deref(), more))
}

/// Revoke a token: it stops working at once.
#[utoipa::path(delete, path = "/v1/tokens/{id}", tag = "administration", security(("admin" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 204, description = "Revoked")))]
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

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Only entries about this case.
    #[param(format = Uuid)]
    case_id: Option<String>,
    /// Only this action, like `case.create`.
    action: Option<String>,
    /// The older paging parameter, still accepted and not documented: `cursor` replaces it.
    #[param(ignore)]
    before: Option<i64>,
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
    #[param(minimum = 1, maximum = 1000, default = 100)]
    limit: Option<i64>,
}

/// The audit log, newest first.
#[utoipa::path(get, path = "/v1/audit", tag = "administration", security(("admin" = [])), params(AuditQuery),
    responses((status = 200, body = AuditList)))]
pub async fn audit(
    State(app): State<AppState>,
    caller: Caller,
    uri: Uri,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Page, ApiError> {
    caller.require(Can::Administer)?;
    let case_id = match q.case_id {
        Some(c) => Some(
            c.parse()
                .map_err(|_| ApiError::parameter("case_id", "not a case id"))?,
        ),
        None => None,
    };
    let limit = paging::limit(q.limit, 100, 1000)?;
    let legacy = q.before.map(|b| ("before", b.to_string()));
    let before = paging::start("audit", q.cursor.as_deref(), legacy)?
        .map(|b| {
            b.parse::<i64>()
                .map_err(|_| ApiError::parameter("cursor", "not a cursor of this list"))
        })
        .transpose()?;
    let mut entries = app
        .store
        .audit_entries(&AuditFilter {
            case_id,
            action: q.action,
            before,
            limit: limit + 1,
        })
        .await?;
    let more = entries.len() as i64 > limit;
    entries.truncate(limit as usize);
    let next = more
        .then(|| {
            entries
                .last()
                .map(|e| paging::encode("audit", &e.id.to_string()))
        })
        .flatten();
    let link = next.clone();
    let body = AuditList {
        entries,
        next_cursor: next,
    };
    Ok(Page::new(&uri, body, link.as_deref(), more))
}
