//! Posters of a case version: rendered once, then served from the cache by content key
//! (see [`crate::app::PosterSource`]).
//!
//! The content key is the SHA-256 of everything the poster is made from (the version's document,
//! whose photo ids are content hashes, the language, format, issue date, version, organisation,
//! case page and the renderer's release). Its issue date is the version's own date, so rendering the
//! same version again gives the same bytes, and the key doubles as a strong ETag.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use super::auth::{Caller, Can};
use super::cases::case_id;
use super::error::ApiError;
use super::extract::{ApiPath, ApiQuery};
use crate::cases::Lang;
use crate::posters::Format;
use crate::store::{Actor, CaseId, VersionRecord, Via};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PosterQuery {
    /// One of the case's languages; default `en`.
    #[param(value_type = Option<Lang>)]
    lang: Option<String>,
    /// An earlier version; default the newest.
    #[param(minimum = 1)]
    version: Option<i64>,
}

fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*")
}

pub(super) fn format_param(raw: &str) -> Result<Format, ApiError> {
    Format::parse(raw).ok_or_else(|| {
        let all: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
        ApiError::parameter("format", format!("one of {}", all.join(", ")))
    })
}

pub(super) fn lang_param(raw: Option<&str>) -> Result<Lang, ApiError> {
    match raw {
        None => Ok(Lang::En),
        Some(l) => Lang::parse(l).ok_or_else(|| ApiError::parameter("lang", "one of en, es")),
    }
}

/// A poster of the case, in a format and language: PDF for print, PNG or JPEG for screens.
#[utoipa::path(get, path = "/v1/cases/{id}/posters/{format}", tag = "posters", security(("case_manager" = []), ("admin" = [])),
    params(("id" = String, Path, description = "The case id", format = Uuid), ("format" = Format, Path), PosterQuery,
        ("If-None-Match" = Option<String>, Header, description = "An ETag this poster was served with")),
    responses(
        (status = 200, description = "The poster", headers(("ETag" = String)),
            content((Vec<u8> = "application/pdf"), (Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"))),
        (status = 304, description = "Not modified")))]
pub async fn poster(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath((id, format)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<PosterQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    caller.require(Can::WorkCases)?;
    let id = case_id(&id)?;
    let format = format_param(&format)?;
    let lang = lang_param(q.lang.as_deref())?;
    if q.version.is_some_and(|v| v < 1) {
        return Err(ApiError::parameter("version", "a version number from 1"));
    }
    let version = app
        .store
        .case_version(id, q.version)
        .await?
        .ok_or(ApiError::NotFound("case version"))?;
    serve(
        &app,
        &caller.actor(),
        id,
        &version,
        lang,
        format,
        None,
        &headers,
    )
    .await
}

/// The poster file as an HTTP response, with its ETag; 304 when the client has it already.
/// `via`: the partner (and location) it is for, whose own poster it then is.
#[allow(clippy::too_many_arguments)]
pub(super) async fn serve(
    app: &AppState,
    actor: &Actor,
    id: CaseId,
    version: &VersionRecord,
    lang: Lang,
    format: Format,
    via: Option<&Via>,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let source = &app.poster_source;
    // the key is known before anything is drawn
    let key = match via {
        Some(via) => source.partner_key(version, lang, format, via).await?,
        None => source.key(version, lang, format)?,
    };
    let etag = format!("\"{key}\"");
    if etag_matches(headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    let poster = match via {
        Some(via) => {
            source
                .for_partner(actor, id, version, lang, format, via)
                .await?
        }
        None => source.get(actor, id, version, lang, format).await?,
    };
    let poster = poster.file;
    let filename = format!(
        "{}-{}-{}-v{}.{}",
        version
            .document
            .case_number
            .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_"),
        format.as_str(),
        lang.code(),
        version.meta.version,
        format.extension()
    );
    let mut res = (StatusCode::OK, poster.bytes.clone()).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&poster.content_type).map_err(|_| ApiError::Internal)?,
    );
    h.insert(header::ETAG, HeaderValue::from_str(&etag).expect("hex"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}
