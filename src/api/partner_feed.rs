//! The partner API, for partner tokens: its deliveries after a cursor, one delivery, the poster
//! files, acknowledgements and a CAP 1.2 feed. A partner sees its own deliveries and nothing else.
//! Also the signed poster links sent in messages, which need no token.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, Problem};
use super::extract::{ApiPath, ApiQuery};
use super::paging::{self, Page};
use super::posters::{format_param, lang_param, serve};
use super::views::{Acked, FeedItem, FeedPage};
use crate::app::issue_date;
use crate::cases::{CaseStatus, Lang};
use crate::dispatch::cap::{escape, to_xml};
use crate::dispatch::links::{LinkError, LinkQuery};
use crate::dispatch::payload::CaseSummary;
use crate::dispatch::worker::{About, Earlier, cap_alert, webhook_payload};
use crate::partners::{Partner, PartnerId};
use crate::posters::Format;
use crate::store::outbox::{self, DeliveryView, Kind, State as DState};
use crate::store::{Actor, CaseFilter, CaseId, VersionRecord, Via};
use crate::targeting::{RegionExtras, region_for};

const FEED_MAX: i64 = 500;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FeedQuery {
    /// The older paging parameter, still accepted and not documented: `cursor` replaces it.
    #[param(ignore)]
    after: Option<i64>,
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
    #[param(minimum = 1, maximum = 500, default = 100)]
    limit: Option<i64>,
}

async fn partner_of(app: &AppState, caller: &Caller) -> Result<Partner, ApiError> {
    let id = caller.partner()?;
    Ok(app
        .store
        .partner(id)
        .await?
        .ok_or(ApiError::NotFound("partner"))?
        .partner)
}

/// Versions read for one response, each once.
#[derive(Default)]
struct Versions(HashMap<(String, u32), Arc<VersionRecord>>);

impl Versions {
    async fn get(
        &mut self,
        app: &AppState,
        d: &DeliveryView,
    ) -> Result<Arc<VersionRecord>, ApiError> {
        let key = (d.case_id.clone(), d.version);
        if let Some(v) = self.0.get(&key) {
            return Ok(v.clone());
        }
        let id: CaseId = d.case_id.parse().map_err(|_| ApiError::Internal)?;
        let v = app
            .store
            .case_version(id, Some(i64::from(d.version)))
            .await?
            .ok_or(ApiError::NotFound("case version"))?;
        let v = Arc::new(v);
        self.0.insert(key, v.clone());
        Ok(v)
    }
}

fn about<'a>(
    app: &'a AppState,
    d: &'a DeliveryView,
    v: &'a VersionRecord,
    partner: &'a Partner,
    now: DateTime<Utc>,
) -> Result<About<'a>, ApiError> {
    Ok(About {
        delivery_id: &d.id,
        kind: d.kind,
        reason: d.reason,
        version: d.version,
        case: &v.document,
        issue_date: issue_date(v)?,
        locations: &d.locations,
        partner,
        organisation: &app.settings.organisation,
        now,
    })
}

/// A delivery as the partner reads it: the webhook body plus its feed position and state. Of a
/// closed case, the body of a withdrawal: its number and status, nothing of the child.
fn item(
    app: &AppState,
    d: &DeliveryView,
    v: &VersionRecord,
    p: &Partner,
) -> Result<FeedItem, ApiError> {
    let mut payload = webhook_payload(
        &about(app, d, v, p, Utc::now())?,
        &app.dispatch.channels.links,
    );
    if d.case_closed && d.kind != Kind::Withdrawn {
        let case = &v.document;
        payload.case = CaseSummary::withdrawn(&case.case_number, case.case_type, d.case_status);
        payload.posters = Vec::new();
        payload.pdf_base64 = None;
    }
    Ok(FeedItem {
        payload,
        seq: d.seq,
        state: d.state,
        created_at: d.created_at.clone(),
    })
}

/// The partner's deliveries after a cursor, oldest first: new posters, updates and takedowns.
///
/// Fetching a takedown confirms it.
#[utoipa::path(get, path = "/partner/v1/deliveries", tag = "partner feed", security(("partner" = [])), params(FeedQuery),
    responses((status = 200, body = FeedPage)))]
pub async fn deliveries(
    State(app): State<AppState>,
    caller: Caller,
    uri: Uri,
    ApiQuery(q): ApiQuery<FeedQuery>,
) -> Result<Page, ApiError> {
    let partner = partner_of(&app, &caller).await?;
    let legacy = q.after.map(|a| ("after", a.to_string()));
    let (field, reason) = match q.cursor {
        Some(_) => ("cursor", "not a cursor of this list"),
        None => ("after", "a cursor from an earlier answer, 0 or more"),
    };
    let after = paging::start("deliveries", q.cursor.as_deref(), legacy)?
        .map(|a| {
            a.parse::<i64>()
                .map_err(|_| ApiError::parameter(field, reason))
        })
        .transpose()?
        .unwrap_or(0);
    if after < 0 {
        return Err(ApiError::parameter(field, reason));
    }
    let limit = paging::limit(q.limit, 100, FEED_MAX)?;
    let (list, done) = outbox::feed(
        &app.store,
        partner.id.as_str(),
        after,
        limit,
        app.distributor.clock().now(),
    )
    .await?;
    observe_takedowns(&app, &done);
    let mut versions = Versions::default();
    let mut items = Vec::with_capacity(list.len());
    for d in &list {
        let v = versions.get(&app, d).await?;
        items.push(item(&app, d, &v, &partner)?);
    }
    // a feed: the cursor to resume from is given even when nothing more is there yet; fetching
    // marks takedowns as taken, so no look-ahead row is read to know whether more exist
    let next = list.last().map_or(after, |d| d.seq);
    let more = list.len() as i64 == limit;
    let cursor = paging::encode("deliveries", &next.to_string());
    let link = cursor.clone();
    let body = FeedPage {
        deliveries: items,
        next_after: next,
        next_cursor: Some(cursor),
    };
    Ok(Page::new(&uri, body, Some(&link), more))
}

/// Takedowns the partner's fetch or acknowledgement completed, for `/metrics`.
fn observe_takedowns(app: &AppState, done: &[outbox::TakedownDone]) {
    for t in done {
        tracing::info!(case_id = %t.case_id, secs = t.took.as_secs_f64(), "every poster of the case is down");
        app.dispatch.metrics.observe_takedown(t.took);
    }
}

async fn own_delivery(
    app: &AppState,
    partner: &PartnerId,
    id: &str,
) -> Result<DeliveryView, ApiError> {
    outbox::delivery(&app.store, id)
        .await?
        .filter(|d| d.partner_id == partner.as_str() && d.state != DState::Superseded)
        .ok_or(ApiError::NotFound("delivery"))
}

/// One delivery.
#[utoipa::path(get, path = "/partner/v1/deliveries/{id}", tag = "partner feed", security(("partner" = [])), params(("id" = String, Path, description = "The delivery id")),
    responses((status = 200, body = FeedItem)))]
pub async fn delivery(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<FeedItem>, ApiError> {
    let partner = partner_of(&app, &caller).await?;
    let d = own_delivery(&app, &partner.id, &id).await?;
    let v = Versions::default().get(&app, &d).await?;
    Ok(Json(item(&app, &d, &v, &partner)?))
}

/// Confirm a delivery: the poster is up, or (for a takedown) down.
#[utoipa::path(post, path = "/partner/v1/deliveries/{id}/ack", tag = "partner feed", security(("partner" = [])), params(("id" = String, Path, description = "The delivery id")),
    responses((status = 200, body = Acked)))]
pub async fn ack(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Acked>, ApiError> {
    let partner = caller.partner()?.clone();
    own_delivery(&app, &partner, &id).await?;
    let (d, done) = outbox::ack(
        &app.store,
        partner.as_str(),
        &id,
        app.distributor.clock().now(),
    )
    .await?;
    observe_takedowns(&app, &done);
    let d = d.ok_or(ApiError::NotFound("delivery"))?;
    Ok(Json(Acked {
        id: d.id,
        state: d.state,
        acked_at: d.acked_at,
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FileQuery {
    /// One of the partner's languages; default `en`.
    #[param(value_type = Option<Lang>)]
    lang: Option<String>,
}

/// A delivery's poster file, as it was sent.
#[utoipa::path(get, path = "/partner/v1/deliveries/{id}/posters/{format}", tag = "partner feed", security(("partner" = [])),
    params(("id" = String, Path, description = "The delivery id"), ("format" = Format, Path), FileQuery, ("If-None-Match" = Option<String>, Header)),
    responses(
        (status = 200, description = "The poster", headers(("ETag" = String)),
            content((Vec<u8> = "application/pdf"), (Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"))),
        (status = 304, description = "Not modified"),
        (status = 410, description = "The case is closed", body = Problem, content_type = "application/problem+json")))]
pub async fn poster(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath((id, format)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<FileQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let partner = caller.partner()?.clone();
    let format = format_param(&format)?;
    let lang = lang_param(q.lang.as_deref())?;
    let d = own_delivery(&app, &partner, &id).await?;
    if d.kind == Kind::Withdrawn {
        return Err(ApiError::NotFound("poster (this delivery withdraws it)"));
    }
    if d.case_closed {
        return Err(ApiError::CaseGone("poster"));
    }
    let v = Versions::default().get(&app, &d).await?;
    let case: CaseId = d.case_id.parse().map_err(|_| ApiError::Internal)?;
    let via = Via {
        partner_id: d.partner_id.clone(),
        location_ref: d.location_ref.clone().unwrap_or_default(),
        format,
    };
    serve(
        &app,
        &caller.actor(),
        case,
        &v,
        lang,
        format,
        Some(&via),
        &headers,
    )
    .await
}

/// The `sender` of CAP messages: the public host, or the service's name.
fn cap_sender(app: &AppState) -> String {
    url::Url::parse(app.dispatch.channels.links.base())
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "lookout".into())
}

fn parse_time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).map_or_else(|_| Utc::now(), |t| t.with_timezone(&Utc))
}

/// One delivery as a CAP 1.2 alert.
/// One delivery as an OASIS CAP 1.2 alert (a takedown is a Cancel).
#[utoipa::path(get, path = "/partner/v1/deliveries/{id}/cap", tag = "partner feed", security(("partner" = [])), params(("id" = String, Path, description = "The delivery id")),
    responses(
        (status = 200, description = "A CAP 1.2 alert", content_type = "application/cap+xml", body = String),
        (status = 410, description = "The case is closed", body = Problem, content_type = "application/problem+json")))]
pub async fn cap(
    State(app): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let partner = partner_of(&app, &caller).await?;
    let d = own_delivery(&app, &partner.id, &id).await?;
    // a closed case's alerts that showed the child are gone; its Cancel stays
    if d.case_closed && d.kind != Kind::Withdrawn {
        return Err(ApiError::CaseGone("alert"));
    }
    let v = Versions::default().get(&app, &d).await?;
    let case: CaseId = d.case_id.parse().map_err(|_| ApiError::Internal)?;
    let earlier: Vec<Earlier> = outbox::timeline(&app.store, case)
        .await?
        .into_iter()
        .filter(|e| {
            e.partner_id == d.partner_id
                && e.location_ref == d.location_ref
                && e.seq < d.seq
                && e.state != DState::Superseded
        })
        .map(|e| Earlier {
            identifier: e.id,
            sent: parse_time(&e.created_at),
        })
        .collect();
    let sent = parse_time(&d.created_at);
    let states = outbox::distribution(&app.store, case)
        .await?
        .map(|x| x.states)
        .unwrap_or_default();
    let codes: Vec<&str> = states.iter().map(String::as_str).collect();
    let extras = RegionExtras::new(&codes, Vec::new(), &app.targeting.states).unwrap_or_default();
    let region = region_for(&v.document, &app.targeting.policy, sent, &extras);
    let a = about(&app, &d, &v, &partner, sent)?;
    let msg = cap_alert(
        &a,
        &region,
        &earlier,
        &cap_sender(&app),
        &app.dispatch.channels.links,
        sent,
    );
    let xml = to_xml(&msg).map_err(|_| ApiError::Internal)?;
    Ok(([(header::CONTENT_TYPE, "application/cap+xml")], xml).into_response())
}

/// An Atom feed of the partner's newest deliveries, each linking to its CAP alert.
/// An Atom feed (RFC 4287) of the partner's newest deliveries, each linking to its CAP alert.
#[utoipa::path(get, path = "/partner/v1/cap", tag = "partner feed", security(("partner" = [])),
    responses((status = 200, description = "An Atom feed", content_type = "application/atom+xml", body = String)))]
pub async fn cap_feed(State(app): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let partner = partner_of(&app, &caller).await?;
    let recent = outbox::recent(&app.store, partner.id.as_str(), 100).await?;
    let base = app
        .dispatch
        .channels
        .links
        .base()
        .trim_end_matches('/')
        .to_string();
    let updated = recent.first().map_or_else(
        || "1970-01-01T00:00:00Z".to_string(),
        |d| d.updated_at.clone(),
    );
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    // RFC 4287: a feed names its author (here the organisation issuing the alerts, since no
    // entry names one) and should link to itself.
    xml.push_str(&format!(
        "  <id>{base}/partner/v1/cap</id>\n  <title>Posters for {}</title>\n  <updated>{}</updated>\n  \
         <author><name>{}</name></author>\n  <link rel=\"self\" type=\"application/atom+xml\" href=\"{base}/partner/v1/cap\"/>\n",
        escape(&partner.name),
        escape(&updated),
        escape(&app.settings.organisation.name),
    ));
    for d in &recent {
        let title = match d.kind {
            Kind::Issued => "Alert",
            Kind::Updated => "Update",
            Kind::Withdrawn => "Cancel",
        };
        xml.push_str(&format!(
            "  <entry>\n    <id>{base}/partner/v1/deliveries/{id}/cap</id>\n    <title>{title}: version {v}</title>\n    <updated>{u}</updated>\n    <link rel=\"alternate\" type=\"application/cap+xml\" href=\"{base}/partner/v1/deliveries/{id}/cap\"/>\n  </entry>\n",
            id = escape(&d.id),
            v = d.version,
            u = escape(&d.updated_at),
        ));
    }
    xml.push_str("</feed>\n");
    Ok(([(header::CONTENT_TYPE, "application/atom+xml")], xml).into_response())
}

/// A signed poster link from a message: no token, the signature and its expiry are the permission.
/// A signed poster link from a message: the signature and its expiry are the permission.
#[utoipa::path(get, path = "/p/{case_number}/{version}/{format}", tag = "partner feed",
    params(("case_number" = String, Path), ("version" = u32, Path), ("format" = Format, Path), LinkQuery,
        ("If-None-Match" = Option<String>, Header)),
    responses(
        (status = 200, description = "The poster", headers(("ETag" = String)),
            content((Vec<u8> = "application/pdf"), (Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"))),
        (status = 304, description = "Not modified"),
        (status = 403, description = "Not a genuine link, or expired", body = Problem, content_type = "application/problem+json")))]
pub async fn signed_poster(
    State(app): State<AppState>,
    ApiPath((number, version, format)): ApiPath<(String, String, String)>,
    ApiQuery(q): ApiQuery<LinkQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let version: u32 = version.parse().map_err(|_| ApiError::NotFound("poster"))?;
    let format = format_param(&format)?;
    let link = app
        .dispatch
        .channels
        .links
        .verify(&number, version, format, &q, Utc::now())
        .map_err(|e| match e {
            LinkError::Malformed(what) => ApiError::parameter(what, "malformed poster link"),
            _ => ApiError::Forbidden("a genuine poster link that has not expired"),
        })?;
    let cases = app
        .store
        .list_cases(&CaseFilter {
            case_number: Some(link.case_number.clone()),
            limit: 1,
            ..CaseFilter::default()
        })
        .await?;
    let case = cases.first().ok_or(ApiError::NotFound("case"))?;
    let id: CaseId = case.id.parse().map_err(|_| ApiError::Internal)?;
    let v = app
        .store
        .case_version(id, Some(i64::from(link.version)))
        .await?
        .ok_or(ApiError::NotFound("case version"))?;
    // a found child's poster is not handed out any more, whatever link is still around
    if case.status != CaseStatus::Active.as_str() {
        return Err(ApiError::NotFound("poster (the case is closed)"));
    }
    // a link sent in a delivery hands out that partner's own poster
    let via = match &link.delivery {
        Some(d) => outbox::delivery(&app.store, d)
            .await?
            .filter(|d| d.case_id == case.id)
            .map(|d| Via {
                partner_id: d.partner_id,
                location_ref: d.location_ref.unwrap_or_default(),
                format: link.format,
            }),
        None => None,
    };
    serve(
        &app,
        &Actor::System("link"),
        id,
        &v,
        link.lang,
        link.format,
        via.as_ref(),
        &headers,
    )
    .await
}
