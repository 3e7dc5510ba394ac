//! The admin partner API: register partners, change them (merge patch), switch them off, and
//! replace their location lists. Webhook secrets are write-only: responses never carry them.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use serde::Deserialize;
use serde_json::Value;

use super::AppState;
use super::auth::{Caller, Can};
use super::error::{ApiError, Problem};
use super::extract::{ApiPath, ApiQuery, JsonBody, parse_json};
use super::paging::{self, Page};
use super::views::{LocationList, LocationsReplaced, PartnerList, PartnerView};
use crate::cases::FieldError;
use crate::cases::merge_patch;
use crate::config::Secret;
use crate::partners::{Delivery, Location, Partner, PartnerId};
use crate::store::PartnerRecord;

const MAX_LOCATIONS: usize = 50_000;

/// What a response shows for a webhook secret: they are write-only.
pub const SECRET_SHOWN: &str = "(set)";

fn partner_id(raw: &str) -> Result<PartnerId, ApiError> {
    PartnerId::parse(raw).map_err(|_| ApiError::NotFound("partner"))
}

/// The partner as shown: the webhook secrets replaced by a marker.
fn view(r: &PartnerRecord) -> PartnerView {
    let mut partner = r.partner.clone();
    if let Delivery::Webhook(hook) = &mut partner.delivery {
        hook.secret = Secret::new(SECRET_SHOWN);
        if hook.previous_secret.is_some() {
            hook.previous_secret = Some(Secret::new(SECRET_SHOWN));
        }
    }
    PartnerView {
        partner,
        locations: r.locations,
        created_at: r.created_at.clone(),
        updated_at: r.updated_at.clone(),
        delivery_status: None,
    }
}

/// What the partner format's types do not check themselves: the same check as a file import.
fn check(app: &AppState, p: &Partner) -> Result<(), ApiError> {
    crate::partners::check::check_partner(p, &app.settings.private_targets)
        .map_err(|(field, reason)| ApiError::Invalid(vec![FieldError::new(field, reason)]))
}

/// Register a partner (the partner format).
#[utoipa::path(post, path = "/v1/partners", tag = "partners", security(("admin" = [])), request_body = Partner,
    responses(
        (status = 201, body = PartnerView),
        (status = 409, description = "The id is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid: each field named", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(app): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<PartnerView>), ApiError> {
    caller.require(Can::ManagePartners)?;
    let partner: Partner = parse_json(&body)?;
    check(&app, &partner)?;
    app.store.create_partner(&partner, &caller.actor()).await?;
    app.targeting.changed(&app.store).await;
    let record = app
        .store
        .partner(&partner.id)
        .await?
        .ok_or(ApiError::NotFound("partner"))?;
    Ok((StatusCode::CREATED, Json(view(&record))))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only active partners.
    active: Option<bool>,
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
    #[param(minimum = 1, maximum = 1000, default = 100)]
    limit: Option<i64>,
}

/// Partners, by id.
#[utoipa::path(get, path = "/v1/partners", tag = "partners", security(("case_manager" = []), ("admin" = [])), params(ListQuery),
    responses((status = 200, body = PartnerList)))]
pub async fn list(
    State(app): State<AppState>,
    caller: Caller,
    uri: Uri,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Page, ApiError> {
    caller.require(Can::ReadPartners)?;
    let limit = paging::limit(q.limit, 100, 1000)?;
    let after = paging::start("partners", q.cursor.as_deref(), None)?;
    let mut partners = app
        .store
        .partners_page(q.active.unwrap_or(false), after.as_deref(), limit + 1)
        .await?;
    let more = partners.len() as i64 > limit;
    partners.truncate(limit as usize);
    let next = more
        .then(|| {
            partners
                .last()
                .map(|p| paging::encode("partners", p.partner.id.as_str()))
        })
        .flatten();
    let link = next.clone();
    let body = PartnerList {
        partners: partners.iter().map(view).collect(),
        next_cursor: next,
    };
    Ok(Page::new(&uri, body, link.as_deref(), more))
}

/// One partner, with its delivery health. A partner token reads its own.
#[utoipa::path(get, path = "/v1/partners/{id}", tag = "partners", security(("case_manager" = []), ("admin" = [])), security(("partner" = [])), params(("id" = String, Path, description = "The partner id", pattern = "^[a-z0-9-]{2,64}$")),
    responses((status = 200, body = PartnerView)))]
pub async fn show(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<PartnerView>, ApiError> {
    let id = partner_id(&id)?;
    caller.require_partner(&id)?;
    let record = app
        .store
        .partner(&id)
        .await?
        .ok_or(ApiError::NotFound("partner"))?;
    let mut body = view(&record);
    body.delivery_status = crate::store::outbox::partner_health(&app.store, id.as_str()).await?;
    Ok(Json(body))
}

/// Change a partner with a JSON merge patch; its id cannot change.
#[utoipa::path(patch, path = "/v1/partners/{id}", tag = "partners", security(("admin" = [])), params(("id" = String, Path, description = "The partner id", pattern = "^[a-z0-9-]{2,64}$")),
    request_body(content = Object, content_type = "application/merge-patch+json"),
    responses((status = 200, body = PartnerView)))]
pub async fn update(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<PartnerView>, ApiError> {
    caller.require(Can::ManagePartners)?;
    let id = partner_id(&id)?;
    let patch: Value = parse_json(&body)?;
    if !patch.is_object() {
        return Err(ApiError::Malformed(FieldError::new(
            "body",
            "a merge patch is a JSON object",
        )));
    }
    let record = app
        .store
        .partner(&id)
        .await?
        .ok_or(ApiError::NotFound("partner"))?;
    let mut doc = serde_json::to_value(&record.partner).expect("plain data serialises");
    merge_patch(&mut doc, &patch);
    // the patch was well-formed JSON; a partner it breaks is an invalid change, not bad syntax
    let partner: Partner = parse_json(&serde_json::to_vec(&doc).expect("plain data serialises"))
        .map_err(|e| match e {
            ApiError::Malformed(f) => ApiError::Invalid(vec![f]),
            e => e,
        })?;
    if partner.id != id {
        return Err(ApiError::invalid("id", "a partner's id cannot change"));
    }
    check(&app, &partner)?;
    app.store.update_partner(&partner, &caller.actor()).await?;
    app.targeting.changed(&app.store).await;
    let record = app
        .store
        .partner(&id)
        .await?
        .ok_or(ApiError::NotFound("partner"))?;
    Ok(Json(view(&record)))
}

/// A location as sent in a bulk list: the partner comes from the path.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ref": "0412", "name": "SAMPLE Northwind #412 Alexandria",
                          "lat": 38.8101, "lon": -77.0647, "email": "store412@northwind.example"}))]
pub struct LocationDoc {
    #[serde(rename = "ref")]
    reference: String,
    name: String,
    lat: f64,
    lon: f64,
    #[serde(default)]
    reach_m: Option<f64>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    #[schema(schema_with = crate::partners::coverage_schema)]
    coverage: Option<geo::MultiPolygon<f64>>,
}

/// The location a list entry describes, checked as every way in checks it (the partner format's
/// rules: the import file, the console and this API agree).
fn location(
    partner: &PartnerId,
    i: usize,
    d: LocationDoc,
    problems: &mut Vec<FieldError>,
) -> Location {
    let location = Location {
        partner_id: partner.clone(),
        reference: d.reference,
        name: d.name,
        lat: d.lat,
        lon: d.lon,
        reach_m: d.reach_m,
        email: d.email,
        coverage: d.coverage,
    };
    if let Err((field, reason)) = crate::partners::check::check_location(&location) {
        // the check speaks of a GeoJSON feature's `geometry`; here it is the `coverage` member
        let field = if field == "geometry" {
            "coverage"
        } else {
            field.as_str()
        };
        problems.push(FieldError::new(format!("[{i}].{field}"), reason));
    }
    location
}

/// Replace a partner's locations with this list.
#[utoipa::path(put, path = "/v1/partners/{id}/locations", tag = "partners", security(("admin" = [])), params(("id" = String, Path, description = "The partner id", pattern = "^[a-z0-9-]{2,64}$")),
    request_body(content = Vec<LocationDoc>, description = "At most 50,000 locations; each ref once"),
    responses((status = 200, body = LocationsReplaced)))]
pub async fn put_locations(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<LocationsReplaced>, ApiError> {
    caller.require(Can::ManagePartners)?;
    let id = partner_id(&id)?;
    let docs: Vec<LocationDoc> = parse_json(&body)?;
    if docs.len() > MAX_LOCATIONS {
        return Err(ApiError::invalid(
            "body",
            format!("at most {MAX_LOCATIONS} locations in one list"),
        ));
    }
    let mut problems = Vec::new();
    let locations: Vec<Location> = docs
        .into_iter()
        .enumerate()
        .map(|(i, d)| location(&id, i, d, &mut problems))
        .collect();
    let mut seen = std::collections::HashSet::new();
    for (i, l) in locations.iter().enumerate() {
        if !seen.insert(l.reference.as_str()) {
            problems.push(FieldError::new(
                format!("[{i}].ref"),
                "appears twice in the list",
            ));
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::Invalid(problems));
    }
    let n = app
        .store
        .replace_locations(&id, &locations, &caller.actor())
        .await?;
    app.targeting.changed(&app.store).await;
    Ok(Json(LocationsReplaced {
        partner_id: id,
        locations: n as u64,
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LocationsQuery {
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
    #[param(minimum = 1, maximum = 10000, default = 1000)]
    limit: Option<i64>,
}

/// A partner's locations, by ref. A partner token reads its own.
#[utoipa::path(get, path = "/v1/partners/{id}/locations", tag = "partners", security(("case_manager" = []), ("admin" = [])), security(("partner" = [])),
    params(("id" = String, Path, description = "The partner id", pattern = "^[a-z0-9-]{2,64}$"), LocationsQuery),
    responses((status = 200, body = LocationList)))]
pub async fn locations(
    State(app): State<AppState>,
    caller: Caller,
    uri: Uri,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<LocationsQuery>,
) -> Result<Page, ApiError> {
    let id = partner_id(&id)?;
    caller.require_partner(&id)?;
    if app.store.partner(&id).await?.is_none() {
        return Err(ApiError::NotFound("partner"));
    }
    let limit = paging::limit(q.limit, 1000, 10_000)?;
    let after = paging::start("locations", q.cursor.as_deref(), None)?;
    let mut locations = app
        .store
        .locations_page(&id, after.as_deref(), limit + 1)
        .await?;
    let more = locations.len() as i64 > limit;
    locations.truncate(limit as usize);
    let next = more
        .then(|| {
            locations
                .last()
                .map(|l| paging::encode("locations", &l.reference))
        })
        .flatten();
    let link = next.clone();
    let body = LocationList {
        partner_id: id,
        locations,
        next_cursor: next,
    };
    Ok(Page::new(&uri, body, link.as_deref(), more))
}
