//! Posters of a case version: rendered once, then served from the cache by content key.
//!
//! The content key is the SHA-256 of everything the poster is made from (the version's document,
//! whose photo ids are content hashes, the language, format, issue date, version, organisation,
//! case page and the renderer's release). Its issue date is the version's own date, so rendering the
//! same version again gives the same bytes, and the key doubles as a strong ETag.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::auth::{Caller, Can};
use super::cases::case_id;
use super::error::ApiError;
use super::extract::{ApiPath, ApiQuery};
use super::{AppState, Settings};
use crate::cases::{Lang, PhotoSource};
use crate::posters::{Format, PosterInput, PreparedPhoto, render};
use crate::store::{Actor, CachedPoster, PhotoId, VersionRecord};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PosterQuery {
    lang: Option<String>,
    version: Option<i64>,
}

fn issue_date(v: &VersionRecord) -> Result<NaiveDate, ApiError> {
    chrono::DateTime::parse_from_rfc3339(&v.meta.created_at)
        .map(|t| t.date_naive())
        .map_err(|_| ApiError::Internal)
}

/// The content key of a poster: the SHA-256 of everything it is made from.
pub fn content_key(
    s: &Settings,
    v: &VersionRecord,
    lang: Lang,
    format: Format,
) -> Result<String, ApiError> {
    let material = json!({
        "renderer": env!("CARGO_PKG_VERSION"),
        "format": format,
        "lang": lang,
        "version": v.meta.version,
        "issue_date": issue_date(v)?.to_string(),
        "sample": v.sample,
        "organisation": {"name": s.organisation.name, "hotline": s.organisation.hotline, "web": s.organisation.web},
        "case_page_url": s.case_page_url,
        "case": v.document,
    });
    let bytes = serde_json::to_vec(&material).expect("plain data serialises");
    Ok(hex::encode(Sha256::digest(bytes)))
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

pub async fn poster(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath((id, format)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<PosterQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    caller.require(Can::WorkCases)?;
    let id = case_id(&id)?;
    let format = Format::parse(&format).ok_or_else(|| {
        ApiError::parameter(
            "format",
            "one of letter, a4, square, story, landscape, billboard",
        )
    })?;
    let lang = match q.lang.as_deref() {
        None => Lang::En,
        Some(l) => Lang::parse(l).ok_or_else(|| ApiError::parameter("lang", "one of en, es"))?,
    };
    if q.version.is_some_and(|v| v < 1) {
        return Err(ApiError::parameter("version", "a version number from 1"));
    }
    let version = app
        .store
        .case_version(id, q.version)
        .await?
        .ok_or(ApiError::NotFound("case version"))?;
    let key = content_key(&app.settings, &version, lang, format)?;
    let etag = format!("\"{key}\"");
    if etag_matches(&headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    let poster = match app.posters.get(&key) {
        Some(p) => p,
        None => {
            let p = Arc::new(
                load_or_render(&app, &caller.actor(), id, &version, lang, format, &key).await?,
            );
            app.posters.put(&key, p.clone());
            p
        }
    };
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

async fn load_or_render(
    app: &AppState,
    actor: &Actor,
    id: crate::store::CaseId,
    version: &VersionRecord,
    lang: Lang,
    format: Format,
    key: &str,
) -> Result<CachedPoster, ApiError> {
    if let Some(p) = app.store.cached_poster(key).await? {
        return Ok(p);
    }
    let photos = load_photos(app, version).await?;
    let issue_date = issue_date(version)?;
    let settings = app.settings.clone();
    let document = version.document.clone();
    let (number, sample) = (version.meta.version, version.sample);
    let bytes = tokio::task::spawn_blocking(move || {
        let input = PosterInput {
            case: &document,
            photos: &photos,
            lang,
            issue_date,
            version: u32::try_from(number).unwrap_or(u32::MAX),
            organisation: &settings.organisation,
            case_page_url: settings.case_page_url.as_deref(),
            sample,
        };
        render(&input, format)
    })
    .await
    .map_err(|_| ApiError::Internal)?
    .map_err(ApiError::Render)?;
    let poster = CachedPoster {
        content_type: format.content_type().to_string(),
        bytes,
    };
    app.store.cache_poster(key, &poster).await?;
    app.store
        .record_audit(crate::store::AuditEvent {
            actor,
            action: "poster.render",
            case_id: Some(id),
            subject: Some(format!(
                "{}:{}:{}",
                format.as_str(),
                lang.code(),
                &key[..16]
            )),
            version: Some(version.meta.version),
        })
        .await?;
    tracing::info!(case_id = %id, version = version.meta.version, format = format.as_str(), "poster rendered");
    Ok(poster)
}

async fn load_photos(
    app: &AppState,
    version: &VersionRecord,
) -> Result<HashMap<PhotoSource, PreparedPhoto>, ApiError> {
    let mut photos = HashMap::new();
    for (_, photo) in version.document.photos() {
        if let PhotoSource::Id(raw) = &photo.source
            && let Ok(id) = raw.parse::<PhotoId>()
            && let Some(p) = app.store.photo(&id).await?
        {
            photos.insert(photo.source.clone(), p);
        }
    }
    // A photo that is missing is named by the renderer (RenderError::MissingPhoto).
    Ok(photos)
}
