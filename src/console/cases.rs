//! The case pages: the list a case manager starts from, and one case with its posters, partners,
//! targeting and versions.

use std::sync::Arc;

use axum::extract::{Extension, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::session::Viewer;
use super::{Console, ConsoleError};
use crate::app::AppState;
use crate::cases::{Case, CaseStatus, CaseType, Lang};
use crate::posters::Format;
use crate::store::outbox::{self, DeliveryView, Kind, State as DState};
use crate::store::{CaseFilter, CaseId, CaseRecord};

const PAGE: i64 = 25;

/// `/`: the cases, or sign-in first.
/// `/`: the case list for the organisation's people, the portal for a partner user.
pub async fn home(viewer: Result<Viewer, ConsoleError>) -> Result<Redirect, ConsoleError> {
    match viewer {
        Ok(_) => Ok(Redirect::to("/cases")),
        Err(ConsoleError::Forbidden) => Ok(Redirect::to("/portal")),
        Err(e) => Err(e),
    }
}

pub(crate) fn type_label(t: &str) -> String {
    let mut s = t.replace('_', " ");
    if let Some(first) = s.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    s
}

fn names(case: &Case) -> String {
    case.children
        .iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `2026-11-30T12:34:56.123456Z` → `2026-11-30 12:34 UTC`.
fn short(stamp: &str) -> String {
    match (stamp.get(0..10), stamp.get(11..16)) {
        (Some(d), Some(t)) => format!("{d} {t} UTC"),
        _ => stamp.to_string(),
    }
}

async fn case_of(app: &AppState, id: &str) -> Result<(CaseId, CaseRecord), ConsoleError> {
    let id: CaseId = id.parse().map_err(|_| ConsoleError::NotFound)?;
    let record = app.store.case(id).await?.ok_or(ConsoleError::NotFound)?;
    Ok((id, record))
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default, rename = "type")]
    case_type: String,
    #[serde(default)]
    before: String,
}

#[derive(Serialize)]
struct Row {
    id: String,
    case_number: String,
    names: String,
    type_label: String,
    status: String,
    amber_alert: bool,
    sample: bool,
    version: i64,
    updated_at: String,
    updated_short: String,
    /// Tips no case manager has looked at yet.
    new_tips: i64,
}

pub async fn list(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> Result<Response, ConsoleError> {
    let statuses = [
        CaseStatus::Active,
        CaseStatus::Resolved,
        CaseStatus::Cancelled,
    ]
    .map(|s| s.as_str());
    let types: Vec<(&str, String)> = CaseType::ALL
        .iter()
        .map(|t| (t.as_str(), type_label(t.as_str())))
        .collect();
    let keep = |v: &str, allowed: &[&str]| allowed.contains(&v).then(|| v.to_string());
    let type_names: Vec<&str> = types.iter().map(|t| t.0).collect();
    let filter = CaseFilter {
        status: keep(&q.status, &statuses),
        case_type: keep(&q.case_type, &type_names),
        search: (!q.q.trim().is_empty()).then(|| q.q.trim().to_string()),
        before: q.before.parse().ok(),
        limit: PAGE + 1,
        ..CaseFilter::default()
    };
    let mut found = app.store.list_cases(&filter).await?;
    let more = found.len() as i64 > PAGE;
    found.truncate(PAGE as usize);
    let ids: Vec<CaseId> = found.iter().filter_map(|c| c.id.parse().ok()).collect();
    let new_tips = app.store.new_tip_counts(&ids).await?;
    let mut rows = Vec::with_capacity(found.len());
    for c in &found {
        let id: CaseId =
            c.id.parse()
                .map_err(|_| ConsoleError::Internal("case id".into()))?;
        let names = match app.store.case(id).await? {
            Some(r) if r.erased_at.is_some() => "(erased)".to_string(),
            Some(r) => names(&r.document),
            None => String::new(),
        };
        rows.push(Row {
            id: c.id.clone(),
            case_number: c.case_number.clone(),
            names,
            type_label: type_label(&c.case_type),
            status: c.status.clone(),
            amber_alert: c.amber_alert,
            sample: c.sample,
            version: c.version,
            updated_at: c.updated_at.clone(),
            updated_short: short(&c.updated_at),
            new_tips: new_tips.get(&id).copied().unwrap_or(0),
        });
    }
    let link = |before: Option<&str>| {
        let mut params = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [("q", &q.q), ("status", &q.status), ("type", &q.case_type)] {
            if !v.is_empty() {
                params.append_pair(k, v);
            }
        }
        if let Some(b) = before {
            params.append_pair("before", b);
        }
        format!("/cases?{}", params.finish())
    };
    let next_link = more.then(|| link(rows.last().map(|r| r.id.as_str())));
    let first_page_link = (!q.before.is_empty()).then(|| link(None));
    let html = console.pages.render(
        "cases.html",
        context! {
            user => viewer.view(), csrf => &viewer.csrf, cases => rows, q => q.q.trim(),
            status => &q.status, case_type => &q.case_type, statuses => statuses, types => types,
            next_link => next_link, first_page_link => first_page_link,
        },
    )?;
    Ok(html.into_response())
}

/// One recipient's line in the distribution table.
#[derive(Serialize)]
struct Recipient {
    partner_id: String,
    location: Option<String>,
    state: &'static str,
    holds: Option<u32>,
    attempts: u32,
    last_error: Option<String>,
    updated_at: String,
    updated_short: String,
    /// Each delivery to this recipient, oldest first, as a line.
    timeline: Vec<String>,
}

/// Rows shown on the page at most; the API has them all.
const RECIPIENTS_SHOWN: usize = 200;

/// The distribution as the page shows it, and whether any delivery is still under way.
async fn distribution_context(
    app: &AppState,
    id: CaseId,
) -> Result<(minijinja::Value, bool), ConsoleError> {
    let dist = outbox::distribution(&app.store, id).await?;
    let deliveries = outbox::timeline(&app.store, id).await?;
    let mut recipients = Vec::new();
    let mut in_flight = false;
    let (mut delivered, mut pending_takedowns) = (0, 0);
    for group in
        deliveries.chunk_by(|a, b| a.partner_id == b.partner_id && a.location_ref == b.location_ref)
    {
        let r = recipient(group);
        in_flight |= matches!(r.state, "pending" | "sending");
        delivered += usize::from(matches!(
            r.state,
            "delivered" | "acknowledged" | "withdrawn"
        ));
        pending_takedowns += usize::from(awaiting_takedown(group));
        recipients.push(r);
    }
    let total = recipients.len();
    let more = total.saturating_sub(RECIPIENTS_SHOWN);
    recipients.truncate(RECIPIENTS_SHOWN);
    let summary = match &dist {
        Some(d) => format!(
            "Version {} to {total} partners and locations: {delivered} done, {} under way.",
            d.poster_version,
            total - delivered
        ),
        None => String::new(),
    };
    let ctx = context! {
        dispatched => dist.is_some(), recipients => recipients, more => more, summary => summary,
        takedown_pending => pending_takedowns,
    };
    Ok((ctx, in_flight))
}

fn recipient(group: &[DeliveryView]) -> Recipient {
    let newest = group
        .iter()
        .rev()
        .find(|d| d.state != DState::Superseded)
        .unwrap_or(&group[group.len() - 1]);
    let mut holds = None;
    for d in group {
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
        location: newest.location_ref.clone(),
        state,
        holds,
        attempts: group.iter().map(|d| d.attempts).sum(),
        last_error: newest.last_error.clone(),
        updated_at: newest.updated_at.clone(),
        updated_short: short(&newest.updated_at),
        timeline: group.iter().map(event).collect(),
    }
}

/// "Version 2 updated by webhook: delivered 2026-11-30 12:34 UTC after 1 attempt".
fn event(d: &DeliveryView) -> String {
    let when = d
        .acked_at
        .as_deref()
        .or(d.delivered_at.as_deref())
        .unwrap_or(&d.updated_at);
    let attempts = match d.attempts {
        0 => String::new(),
        1 => " after 1 attempt".into(),
        n => format!(" after {n} attempts"),
    };
    format!(
        "Version {} {} by {}: {} {}{attempts}",
        d.version,
        d.kind.as_str(),
        d.channel.as_str(),
        d.state.as_str(),
        short(when)
    )
}

fn awaiting_takedown(group: &[DeliveryView]) -> bool {
    group.iter().any(|d| {
        d.kind == Kind::Withdrawn
            && d.reason.is_some_and(|r| r.is_final())
            && matches!(d.state, DState::Pending | DState::Sending | DState::Failed)
    })
}

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    /// Whole states typed into the targeting preview.
    #[serde(default)]
    states: String,
}

pub async fn show(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, ConsoleError> {
    let (id, record) = case_of(&app, &id).await?;
    let case = &record.document;
    let active = case.is_active();
    let (distribution, in_flight) = distribution_context(&app, id).await?;
    let versions = app.store.versions(id).await?.unwrap_or_default();
    let who = super::who::Names::load(&app).await?;
    let versions: Vec<_> = versions
        .iter()
        .rev()
        .map(|v| {
            context! {
                version => v.version, created_at => &v.created_at, when => short(&v.created_at),
                actor => who.of(&v.actor), changed => super::who::fields(&v.changed),
            }
        })
        .collect();
    let langs: Vec<&str> = case.languages.iter().map(|l| l.code()).collect();
    let formats: Vec<(&str, &str, &str)> = Format::ALL
        .iter()
        .map(|f| {
            let kind = if f.is_print() { "PDF" } else { "image" };
            (f.as_str(), kind, f.size())
        })
        .collect();
    let states = super::widened_by(&app, id, &q.states).await?;
    let targeting = targeting_summary(&app, case, &states, q.states.trim());
    let approval = super::approval::waiting(&app, &viewer, id).await?;
    // the public page the posters' QR codes open, while there is an appeal to show
    let public_page = if active {
        Some(format!("/c/{}", app.store.public_code(id).await?))
    } else {
        None
    };
    let tips = super::tips::context_of(&app, id).await?;
    let reach = super::reach::of_case(&app, id).await?;
    let html = console.pages.render(
        "case.html",
        context! {
            user => viewer.view(), csrf => &viewer.csrf, id => id.to_string(), case => case,
            status => case.status.as_str(), active => active, version => record.version,
            type_label => type_label(case.case_type.as_str()), names => names(case),
            langs => langs, formats => formats, versions => versions, targeting => targeting,
            in_flight => in_flight, approval => approval, public_page => public_page, tips => tips,
            reach => reach, agency_email => &case.contact.email,
            erased => record.erased_at.as_deref().map(short), ..distribution,
        },
    )?;
    Ok(html.into_response())
}

/// Partners and locations inside the region now (widened by `states`), and who is left out and
/// why; `typed` is what the case manager typed into the preview.
fn targeting_summary(
    app: &AppState,
    case: &Case,
    states: &[String],
    typed: &str,
) -> minijinja::Value {
    let (region, selection, error) = match super::preview(app, case, states) {
        Ok((r, s)) => (r, s, None),
        Err(e) => match super::preview(app, case, &[]) {
            Ok((r, s)) => (r, s, Some(e.to_string())),
            Err(_) => return context! {},
        },
    };
    let query = if typed.is_empty() {
        String::new()
    } else {
        format!(
            "?states={}",
            url::form_urlencoded::byte_serialize(typed.as_bytes()).collect::<String>()
        )
    };
    let skipped: Vec<_> = selection
        .skipped
        .iter()
        .map(|s| context! { name => &s.name, reason => format!("{:?}", s.reason), refs => s.refs.len() })
        .collect();
    let reasons: Vec<String> = region.pieces.iter().map(|p| p.reason.clone()).collect();
    context! {
        partners => selection.partners.len(),
        locations => selection.partners.iter().map(|p| p.locations.len()).sum::<usize>(),
        skipped => skipped, reasons => reasons, typed => typed, error => error,
        states => states.join(", "), query => query,
    }
}

/// The distribution table alone, for the page's script to refresh while deliveries are under way.
pub async fn distribution(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    _viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let (id, _) = case_of(&app, &id).await?;
    let (ctx, in_flight) = distribution_context(&app, id).await?;
    let html = console.pages.render("distribution.html", ctx)?;
    let settled = if in_flight { "false" } else { "true" };
    Ok(([("x-lookout-settled", settled)], html).into_response())
}

#[derive(Deserialize)]
pub struct PosterQuery {
    lang: Option<String>,
}

/// A poster file of an active case, behind sign-in. A closed case's posters are not shown.
pub async fn poster(
    State(app): State<AppState>,
    viewer: Viewer,
    Path((id, format)): Path<(String, String)>,
    Query(q): Query<PosterQuery>,
) -> Result<Response, ConsoleError> {
    let (id, record) = case_of(&app, &id).await?;
    if !record.document.is_active() {
        return Err(ConsoleError::NotFound);
    }
    let lang = match q.lang.as_deref() {
        None => Lang::En,
        Some(l) => Lang::parse(l).ok_or(ConsoleError::NotFound)?,
    };
    let version = app
        .store
        .case_version(id, None)
        .await?
        .ok_or(ConsoleError::NotFound)?;
    if format == "letter.png" {
        let file = app.poster_source.print_preview(id, &version, lang).await?;
        return Ok(([(header::CONTENT_TYPE, "image/png")], file.bytes.clone()).into_response());
    }
    let format = Format::parse(&format).ok_or(ConsoleError::NotFound)?;
    let poster = app
        .poster_source
        .get(&viewer.actor(), id, &version, lang, format)
        .await?;
    Ok((
        [(header::CONTENT_TYPE, poster.file.content_type.clone())],
        poster.file.bytes.clone(),
    )
        .into_response())
}

/// A saved photo as it will be printed (normalised: upright, no metadata), behind sign-in. The
/// original a case manager uploaded is never kept, so never shown.
pub async fn photo(
    State(app): State<AppState>,
    _viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let id: crate::store::PhotoId = id.parse().map_err(|_| ConsoleError::NotFound)?;
    let photo = app.store.photo(&id).await?.ok_or(ConsoleError::NotFound)?;
    Ok(([(header::CONTENT_TYPE, "image/jpeg")], photo.jpeg).into_response())
}
