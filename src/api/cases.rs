//! Case routes: create, read, list, correct (merge patch → new version), resolve, versions.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::AppState;
use super::auth::{Caller, Can};
use super::error::ApiError;
use super::error::Problem;
use super::extract::{ApiPath, ApiQuery, JsonBody, parse_json};
use super::paging::{self, Page};
use super::views::{CaseList, CaseView, VersionList, VersionView};
use crate::cases::{Case, CaseStatus, CaseType, FieldError, PhotoSource, parse_case};
use crate::cases::{changed_paths, merge_patch};
use crate::distribution::reissue::ReissueError;
use crate::store::{
    CaseFilter, CaseId, CaseRecord, Created, IdempotencyKey, Outcome, PhotoId, Resolution,
    StoreError,
};

/// How many times an update is tried when other updates keep winning the race for the next version.
const UPDATE_ATTEMPTS: usize = 16;
const REASON_MAX: usize = 500;

/// The latest calendar date anywhere on Earth (UTC+14): "missing since" may be today where the
/// child went missing even when it is still yesterday in UTC.
pub fn latest_today() -> NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(14)).date_naive()
}

pub fn case_id(raw: &str) -> Result<CaseId, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound("case"))
}

fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"v{version}\"")).expect("ascii")
}

fn respond(status: StatusCode, r: &CaseRecord) -> Response {
    let mut res = (status, Json(CaseView::of(r))).into_response();
    res.headers_mut().insert(header::ETAG, etag(r.version));
    res
}

/// Every photo must be one uploaded through `/v1/photos`.
async fn check_photos(app: &AppState, case: &Case) -> Result<(), ApiError> {
    let ids: Vec<PhotoId> = case
        .photos()
        .filter_map(|(_, photo)| match &photo.source {
            PhotoSource::Id(raw) => raw.parse().ok(),
            PhotoSource::File(_) => None,
        })
        .collect();
    // One query for all of them; the problems are still listed in the document's order.
    let stored = app.store.stored_photos(&ids).await?;
    let mut problems = Vec::new();
    for (path, photo) in case.photos() {
        match &photo.source {
            PhotoSource::File(_) => problems.push(FieldError::new(
                format!("{path}.file"),
                "the API takes photo_id: upload the photo to /v1/photos first",
            )),
            PhotoSource::Id(raw) => match raw.parse::<PhotoId>() {
                Err(why) => problems.push(FieldError::new(format!("{path}.photo_id"), why)),
                Ok(id) if !stored.contains(&id) => problems.push(FieldError::new(
                    format!("{path}.photo_id"),
                    "no such photo: upload it to /v1/photos first",
                )),
                Ok(_) => {}
            },
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Invalid(problems))
    }
}

/// The `Idempotency-Key` of a request, if it has one, bound to the caller and the request's content.
pub fn idempotency_key(
    headers: &HeaderMap,
    scope: &'static str,
    caller: &Caller,
    content: &[u8],
) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(raw) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = raw
        .to_str()
        .ok()
        .filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::parameter(
                "Idempotency-Key",
                "must be 1 to 255 visible ASCII characters",
            )
        })?;
    Ok(Some(IdempotencyKey {
        scope,
        actor: caller.actor().to_string(),
        key: key.to_string(),
        request_hash: hex::encode(Sha256::digest(content)),
    }))
}

/// Report a case: the document is checked whole, its photos uploaded first.
///
/// With an `Idempotency-Key`, a retry of the same request answers the same case (and the header
/// `Idempotent-Replayed: true`) instead of making another.
#[utoipa::path(post, path = "/v1/cases", tag = "cases", security(("case_manager" = []), ("admin" = [])),
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$", description = "A retry with the same key answers the first request's result")),
    request_body = Case,
    responses(
        (status = 201, body = CaseView, headers(("ETag" = String, description = "\"v<version>\""), ("Location" = String))),
        (status = 409, description = "The case number is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The document is invalid: each field named", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(app): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    caller.require(Can::WorkCases)?;
    let case = parse_case(&body, latest_today())?;
    printable(&case)?;
    if case.status != CaseStatus::Active {
        return Err(ApiError::invalid("status", "a new case is active"));
    }
    check_photos(&app, &case).await?;
    // The parsed case, serialised, is the request's content: spacing and key order do not matter.
    let canonical = serde_json::to_vec(&case).expect("plain data serialises");
    let key = idempotency_key(&headers, "cases", &caller, &canonical)?;
    let (record, replayed) = match app
        .store
        .create_case(&case, false, &caller.actor(), key.as_ref())
        .await?
    {
        Created::New(r) => (r, false),
        Created::Replayed(r) => (r, true),
    };
    tracing::info!(case_id = %record.id, replayed, "case created");
    let mut res = respond(StatusCode::CREATED, &record);
    let location = format!("/v1/cases/{}", record.id);
    res.headers_mut().insert(
        header::LOCATION,
        HeaderValue::from_str(&location).expect("ascii"),
    );
    if replayed {
        res.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(res)
}

/// A case as it is now.
#[utoipa::path(get, path = "/v1/cases/{id}", tag = "cases", security(("case_manager" = []), ("admin" = [])), params(("id" = String, Path, description = "The case id", format = Uuid)),
    responses((status = 200, body = CaseView, headers(("ETag" = String, description = "\"v<version>\"")))))]
pub async fn show(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    caller.require(Can::WorkCases)?;
    let record = app
        .store
        .case(case_id(&id)?)
        .await?
        .ok_or(ApiError::NotFound("case"))?;
    Ok(respond(StatusCode::OK, &record))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    #[param(value_type = Option<CaseStatus>)]
    status: Option<String>,
    #[param(value_type = Option<CaseType>)]
    case_type: Option<String>,
    /// The organisation's case number, exactly.
    case_number: Option<String>,
    /// The older paging parameter, still accepted and not documented: `cursor` replaces it.
    #[param(ignore)]
    before: Option<String>,
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
    #[param(minimum = 1, maximum = 500, default = 50)]
    limit: Option<i64>,
}

/// Cases, newest first.
#[utoipa::path(get, path = "/v1/cases", tag = "cases", security(("case_manager" = []), ("admin" = [])), params(ListQuery),
    responses((status = 200, body = CaseList)))]
pub async fn list(
    State(app): State<AppState>,
    caller: Caller,
    uri: Uri,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Page, ApiError> {
    caller.require(Can::WorkCases)?;
    if let Some(s) = &q.status
        && !["active", "resolved", "cancelled"].contains(&s.as_str())
    {
        return Err(ApiError::parameter(
            "status",
            "one of active, resolved, cancelled",
        ));
    }
    if let Some(t) = &q.case_type
        && CaseType::parse(t).is_none()
    {
        return Err(ApiError::parameter("case_type", "not a case type"));
    }
    let field = if q.cursor.is_some() {
        "cursor"
    } else {
        "before"
    };
    let before = paging::start(
        "cases",
        q.cursor.as_deref(),
        q.before.map(|b| ("before", b)),
    )?
    .map(|b| {
        b.parse::<CaseId>()
            .map_err(|_| ApiError::parameter(field, "not a case id"))
    })
    .transpose()?;
    let limit = paging::limit(q.limit, 50, 500)?;
    let mut cases = app
        .store
        .list_cases(&CaseFilter {
            status: q.status,
            case_type: q.case_type,
            case_number: q.case_number,
            search: None,
            before,
            // one more than asked: whether there is a next page
            limit: limit + 1,
        })
        .await?;
    let more = cases.len() as i64 > limit;
    cases.truncate(limit as usize);
    let next = more.then(|| cases.last().map(|c| c.id.clone())).flatten();
    let cursor = next.as_deref().map(|id| paging::encode("cases", id));
    let link = cursor.clone();
    let body = CaseList {
        cases,
        next_before: next,
        next_cursor: cursor,
    };
    Ok(Page::new(&uri, body, link.as_deref(), more))
}

/// `If-Match: "vN"`: the version the client last saw, if it says.
fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    v.to_str()
        .ok()
        .and_then(|s| {
            s.trim()
                .trim_start_matches("W/")
                .trim_matches('"')
                .strip_prefix('v')
        })
        .and_then(|n| n.parse().ok())
        .map(Some)
        .ok_or_else(|| ApiError::parameter("If-Match", "an ETag of this API, like \"v3\""))
}

/// The case as it is now, refused when it is closed or (with `expected`) has moved on.
pub(super) async fn current(
    app: &AppState,
    id: CaseId,
    expected: Option<i64>,
) -> Result<CaseRecord, ApiError> {
    let record = app
        .store
        .case(id)
        .await?
        .ok_or(ApiError::NotFound("case"))?;
    if record.document.status != CaseStatus::Active {
        return Err(ApiError::CaseClosed(record.document.status.as_str()));
    }
    if let Some(v) = expected
        && v != record.version
    {
        return Err(ApiError::PreconditionFailed(v));
    }
    Ok(record)
}

/// Correct a case with a JSON merge patch (RFC 7396): a new version, reissued to its partners.
#[utoipa::path(patch, path = "/v1/cases/{id}", tag = "cases", security(("case_manager" = []), ("admin" = [])),
    params(("id" = String, Path, description = "The case id", format = Uuid), ("If-Match" = Option<String>, Header, pattern = "^(W/)?\"v[0-9]{1,18}\"$", description = "The ETag last seen, \"v<version>\"")),
    request_body(content = Object, content_type = "application/merge-patch+json", description = "Members to set; null removes one"),
    responses(
        (status = 200, body = CaseView, headers(("ETag" = String))),
        (status = 409, description = "The case is closed", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The case has moved on from the If-Match version", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The patched document is invalid", body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    caller.require(Can::WorkCases)?;
    let id = case_id(&id)?;
    let patch: Value = parse_json(&body)?;
    if !patch.is_object() {
        return Err(ApiError::Malformed(FieldError::new(
            "body",
            "a merge patch is a JSON object",
        )));
    }
    let expected = if_match(&headers)?;
    for _ in 0..UPDATE_ATTEMPTS {
        let record = current(&app, id, expected).await?;
        let before = serde_json::to_value(&record.document).expect("plain data serialises");
        let mut merged = before.clone();
        merge_patch(&mut merged, &patch);
        if merged.get("status") != before.get("status") {
            return Err(ApiError::invalid(
                "status",
                "resolve a case with POST /v1/cases/{id}/resolve",
            ));
        }
        let bytes = serde_json::to_vec(&merged).expect("plain data serialises");
        // The patch was well-formed JSON; a document it breaks is an invalid change, not bad syntax.
        let case = parse_case(&bytes, latest_today()).map_err(|e| ApiError::Invalid(e.fields()))?;
        printable(&case)?;
        check_photos(&app, &case).await?;
        let after = serde_json::to_value(&case).expect("plain data serialises");
        let changed = changed_paths(&before, &after);
        if changed.is_empty() {
            return Ok(respond(StatusCode::OK, &record));
        }
        match app
            .distributor
            .update_case(id, record.version, &case, &changed, &caller.actor())
            .await
        {
            Ok(updated) => {
                tracing::info!(case_id = %id, version = updated.version, "case updated");
                return Ok(respond(StatusCode::OK, &updated));
            }
            Err(ReissueError::Store(StoreError::VersionConflict)) if expected.is_none() => continue,
            Err(ReissueError::Store(StoreError::VersionConflict)) => {
                return Err(ApiError::PreconditionFailed(record.version));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::Busy)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"outcome": "found_safe", "reason": "Found by a store employee who saw the poster"}))]
pub struct ResolveBody {
    outcome: Outcome,
    /// Why, for the record: 1 to 500 characters. Partners are never told it.
    #[schema(min_length = 1, max_length = 500)]
    reason: String,
}

/// Close a case: found safe, or closed. Every partner is told to take its poster down at once.
#[utoipa::path(post, path = "/v1/cases/{id}/resolve", tag = "cases", security(("case_manager" = []), ("admin" = [])),
    params(("id" = String, Path, description = "The case id", format = Uuid), ("If-Match" = Option<String>, Header, pattern = "^(W/)?\"v[0-9]{1,18}\"$", description = "The ETag last seen")),
    request_body = ResolveBody,
    responses(
        (status = 200, body = CaseView, headers(("ETag" = String))),
        (status = 409, description = "The case is already closed", body = Problem, content_type = "application/problem+json")))]
pub async fn resolve(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    caller.require(Can::WorkCases)?;
    let id = case_id(&id)?;
    let body: ResolveBody = parse_json(&body)?;
    let reason = body.reason.trim().to_string();
    if reason.is_empty() || reason.chars().count() > REASON_MAX {
        return Err(ApiError::invalid(
            "reason",
            format!("1 to {REASON_MAX} characters"),
        ));
    }
    let resolution = Resolution {
        outcome: body.outcome,
        reason,
    };
    let expected = if_match(&headers)?;
    for _ in 0..UPDATE_ATTEMPTS {
        let record = current(&app, id, expected).await?;
        let mut case = record.document.clone();
        case.status = resolution.outcome.status();
        match app
            .distributor
            .resolve_case(id, record.version, &case, &resolution, &caller.actor())
            .await
        {
            Ok(resolved) => {
                tracing::info!(case_id = %id, outcome = resolution.outcome.as_str(), "case resolved");
                return Ok(respond(StatusCode::OK, &resolved));
            }
            Err(ReissueError::Store(StoreError::VersionConflict)) if expected.is_none() => continue,
            Err(ReissueError::Store(StoreError::VersionConflict)) => {
                return Err(ApiError::PreconditionFailed(record.version));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::Busy)
}

/// Every version of a case: who changed what, and when.
#[utoipa::path(get, path = "/v1/cases/{id}/versions", tag = "cases", security(("case_manager" = []), ("admin" = [])), params(("id" = String, Path, description = "The case id", format = Uuid)),
    responses((status = 200, body = VersionList)))]
pub async fn versions(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<VersionList>, ApiError> {
    caller.require(Can::WorkCases)?;
    let versions = app
        .store
        .versions(case_id(&id)?)
        .await?
        .ok_or(ApiError::NotFound("case"))?;
    Ok(Json(VersionList { versions }))
}

/// One version of a case, as it was written.
#[utoipa::path(get, path = "/v1/cases/{id}/versions/{version}", tag = "cases", security(("case_manager" = []), ("admin" = [])),
    params(("id" = String, Path, description = "The case id", format = Uuid), ("version" = i64, Path, minimum = 1)),
    responses((status = 200, body = VersionView)))]
pub async fn version(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath((id, version)): ApiPath<(String, String)>,
) -> Result<Json<VersionView>, ApiError> {
    caller.require(Can::WorkCases)?;
    let id = case_id(&id)?;
    let n: i64 = version
        .parse()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| ApiError::parameter("version", "a version number from 1"))?;
    let v = app
        .store
        .case_version(id, Some(n))
        .await?
        .ok_or(ApiError::NotFound("case version"))?;
    Ok(Json(VersionView::of(&v)))
}

/// A case whose text the poster fonts cannot show is refused here, with each field named, rather
/// than accepted only for every poster of it to fail in dispatch.
fn printable(case: &Case) -> Result<(), ApiError> {
    let found = crate::posters::unprintable(case).map_err(ApiError::Render)?;
    if found.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Invalid(found))
    }
}
