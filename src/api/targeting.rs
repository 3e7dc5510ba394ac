//! The targeting preview of a case: the region its current version gets at a moment, and the
//! partner locations inside it, as GeoJSON (`/targeting`) and as an SVG map (`/targeting.svg`).
//! What the case manager checks before anything is sent.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::auth::{Caller, Can};
use super::cases::case_id;
use super::error::ApiError;
use super::extract::{ApiPath, ApiQuery};
use super::views::TargetingPreview;
use crate::cases::parse_instant;
use crate::store::CaseRecord;
use crate::targeting::{
    Audience, MapOptions, Region, RegionError, RegionExtras, Selection, preview, region_for,
    render_svg, select,
};

/// At most this many states may be added to one preview.
const MAX_STATES: usize = 60;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TargetingQuery {
    /// The moment to target for (RFC 3339, or a date for midnight UTC); default now.
    #[param(value_type = Option<crate::cases::MissingSince>)]
    at: Option<String>,
    /// USPS codes of states to add to the region, separated by commas.
    states: Option<String>,
}

/// A case's region and selection at the asked moment.
struct Preview {
    record: CaseRecord,
    at: DateTime<Utc>,
    region: Region,
    selection: Selection,
}

fn moment(raw: Option<&str>) -> Result<DateTime<Utc>, ApiError> {
    match raw {
        None => Ok(Utc::now()),
        Some(s) => parse_instant(s.trim())
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| ApiError::parameter("at", "an RFC 3339 date-time or YYYY-MM-DD")),
    }
}

fn state_codes(raw: Option<&str>) -> Result<Vec<&str>, ApiError> {
    let codes: Vec<&str> = raw
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if codes.len() > MAX_STATES {
        return Err(ApiError::parameter(
            "states",
            format!("at most {MAX_STATES} states"),
        ));
    }
    Ok(codes)
}

fn region_error(e: RegionError) -> ApiError {
    match e {
        // the region module names the position in the list it was given: `states[2]`
        RegionError::Field { field, reason } => ApiError::parameter(field, reason),
    }
}

async fn compute(
    app: &AppState,
    caller: &Caller,
    id: &str,
    q: &TargetingQuery,
) -> Result<Preview, ApiError> {
    caller.require(Can::WorkCases)?;
    let id = case_id(id)?;
    let at = moment(q.at.as_deref())?;
    let codes = state_codes(q.states.as_deref())?;
    let t = &app.targeting;
    let extras = RegionExtras::new(&codes, Vec::new(), &t.states).map_err(region_error)?;
    let record = app
        .store
        .case(id)
        .await?
        .ok_or(ApiError::NotFound("case"))?;
    let region = region_for(&record.document, &t.policy, at, &extras);
    let index = t.snapshot();
    // Daily caps count deliveries already made today; until dispatch records them, every partner
    // has its whole cap.
    let selection = select(
        &index,
        &region,
        Audience::of(&record.document),
        &HashMap::new(),
    );
    tracing::info!(case_id = %record.id, version = record.version, locations = selection.location_count(), "targeting preview");
    Ok(Preview {
        record,
        at,
        region,
        selection,
    })
}

/// Where the poster would go at a moment: the region and the selected locations, as GeoJSON.
#[utoipa::path(get, path = "/v1/cases/{id}/targeting", tag = "targeting", security(("case_manager" = []), ("admin" = [])), params(("id" = String, Path, description = "The case id", format = Uuid), TargetingQuery),
    responses((status = 200, description = "A GeoJSON FeatureCollection", content_type = "application/geo+json", body = TargetingPreview)))]
pub async fn geojson(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<TargetingQuery>,
) -> Result<Response, ApiError> {
    let p = compute(&app, &caller, &id, &q).await?;
    let mut body = preview(&p.region, &p.selection);
    body["case_id"] = json!(p.record.id);
    body["version"] = json!(p.record.version);
    body["at"] = json!(p.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    let bytes = serde_json::to_vec(&body).map_err(|_| ApiError::Internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/geo+json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        bytes,
    )
        .into_response())
}

/// The same preview drawn as a map.
#[utoipa::path(get, path = "/v1/cases/{id}/targeting.svg", tag = "targeting", security(("case_manager" = []), ("admin" = [])), params(("id" = String, Path, description = "The case id", format = Uuid), TargetingQuery),
    responses((status = 200, description = "An SVG map", content_type = "image/svg+xml", body = String)))]
pub async fn svg(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<TargetingQuery>,
) -> Result<Response, ApiError> {
    let p = compute(&app, &caller, &id, &q).await?;
    // the case number, never a child's name
    let title = format!("Case {} — targeting preview", p.record.document.case_number);
    let svg = render_svg(
        &p.region,
        &p.selection,
        &app.targeting.states,
        &MapOptions::region(title),
    );
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        svg,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_lists_are_trimmed_and_bounded() {
        assert_eq!(state_codes(Some(" va, MD ,,")).unwrap(), vec!["va", "MD"]);
        assert!(state_codes(None).unwrap().is_empty());
        let many = vec!["VA"; MAX_STATES + 1].join(",");
        assert!(state_codes(Some(&many)).is_err());
    }

    #[test]
    fn moments_are_rfc3339_or_dates() {
        let t = moment(Some("2026-11-02T12:00:00-05:00")).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-02T17:00:00+00:00");
        assert!(moment(Some("2026-11-02")).is_ok());
        assert!(moment(Some("yesterday")).is_err());
    }
}
