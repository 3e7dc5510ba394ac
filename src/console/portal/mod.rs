//! The partner portal: a partner user signs in to the same console and sees only its own partner's
//! posters. Any other partner's delivery, case or poster answers 404, exactly like one that does
//! not exist, so an id tells a partner nothing.

pub mod locations;
pub mod log;
pub mod pack;
pub mod settings;
pub mod takedowns;

use std::sync::Arc;

use axum::extract::{Extension, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use minijinja::context;
use serde::Deserialize;

use super::session::PartnerViewer;
use super::{Console, ConsoleError};
use crate::app::AppState;
use crate::cases::{CaseType, Lang};
use crate::partners::Partner;
use crate::posters::Format;
use crate::store::outbox::{
    ActivePoster, PosterFilter, active_posters, delivery, handed_out, takedowns_count,
};
use crate::store::{CachedPoster, CaseId, Via};

/// The viewer's partner as the service holds it now (formats, languages, name).
pub(super) fn own_partner(app: &AppState, viewer: &PartnerViewer) -> Result<Partner, ConsoleError> {
    app.targeting
        .snapshot()
        .partner(&viewer.partner)
        .cloned()
        .ok_or(ConsoleError::NotFound)
}

#[derive(Deserialize, Default)]
pub struct PostersQuery {
    #[serde(default)]
    location: String,
    #[serde(default, rename = "type")]
    case_type: String,
}

/// Above this many locations, the posters page's location filter is a box to type a reference in.
const LIST_LOCATIONS_UP_TO: i64 = 300;

/// Active posters for my locations, newest first, with every file to download.
pub async fn posters(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: PartnerViewer,
    Query(q): Query<PostersQuery>,
) -> Result<Response, ConsoleError> {
    let partner = own_partner(&app, &viewer)?;
    let location_count = app
        .store
        .partner(&viewer.partner)
        .await?
        .map_or(0, |r| r.locations);
    // a chain's thousands of stores are a reference to type, not a list to load and scroll
    let locations = if location_count <= LIST_LOCATIONS_UP_TO {
        app.store.locations(&viewer.partner).await?
    } else {
        Vec::new()
    };
    let types: Vec<(&str, String)> = CaseType::ALL
        .iter()
        .map(|t| (t.as_str(), super::cases::type_label(t.as_str())))
        .collect();
    let typed = q.location.trim();
    let filter = PosterFilter {
        location: (!typed.is_empty()).then(|| typed.to_string()),
        case_type: types
            .iter()
            .any(|t| t.0 == q.case_type)
            .then(|| q.case_type.clone()),
    };
    let now = app.distributor.clock().now();
    let found = active_posters(&app.store, &viewer.partner, &filter, now).await?;
    let to_take_down = takedowns_count(&app.store, &viewer.partner).await?;
    let langs: Vec<&str> = partner.languages.iter().map(|l| l.code()).collect();
    let formats: Vec<(&str, &str)> = partner
        .formats
        .iter()
        .map(|f| (f.as_str(), if f.is_print() { "PDF" } else { "image" }))
        .collect();
    let rows = rows(&found);
    let places: Vec<(&str, &str)> = locations
        .iter()
        .map(|l| (l.reference.as_str(), l.name.as_str()))
        .collect();
    let html = console.pages.render(
        "portal.html",
        context! {
            user => viewer.view(), csrf => &viewer.csrf, partner => &partner.name,
            posters => rows, langs => langs, formats => formats, places => places,
            location_count => location_count,
            types => types, chosen => context! { location => &q.location, type => &q.case_type },
            to_take_down => to_take_down,
            pack_for => filter.location.as_ref().filter(|_| !pack::print_formats(&partner.formats).is_empty()),
        },
    )?;
    Ok(html.into_response())
}

/// Location names shown for one poster, at most; the rest are counted.
const PLACES_SHOWN: usize = 3;

/// The active posters as the page lists them: one row per poster, however many of the partner's
/// locations it is for, newest first.
fn rows(found: &[ActivePoster]) -> Vec<minijinja::Value> {
    found
        .iter()
        .map(|p| {
            let mut places: Vec<String> = p
                .locations
                .iter()
                .map(|l| format!("{} ({})", l.name, l.reference))
                .collect();
            places.sort();
            let count = (p.recipients as usize).max(places.len());
            places.truncate(PLACES_SHOWN);
            context! {
                delivery => &p.delivery_id, case_number => &p.case_number,
                type_label => super::cases::type_label(&p.case_type), version => p.version,
                kind => p.kind.as_str(), places => places, count => count,
                more => count.saturating_sub(places.len()),
                since => p.since.get(0..10),
            }
        })
        .collect()
}

/// The language asked for, one the partner takes; its first when none is asked for.
pub(super) fn chosen_lang(partner: &Partner, asked: Option<&str>) -> Result<Lang, ConsoleError> {
    match asked {
        None => Ok(partner.languages.first().copied().unwrap_or(Lang::En)),
        Some(l) => Lang::parse(l)
            .filter(|l| partner.languages.contains(l))
            .ok_or(ConsoleError::NotFound),
    }
}

#[derive(Deserialize, Default)]
pub struct FileQuery {
    lang: Option<String>,
}

/// One poster file of one of my deliveries, as it was sent: its case version, in a language and
/// format the partner takes. Nothing is served once the case is closed. A pull delivery downloaded
/// here counts as handed out, as through the pull API.
pub async fn poster_file(
    State(app): State<AppState>,
    viewer: PartnerViewer,
    Path((delivery_id, format)): Path<(String, String)>,
    Query(q): Query<FileQuery>,
) -> Result<Response, ConsoleError> {
    let d = delivery(&app.store, &delivery_id)
        .await?
        .filter(|d| d.partner_id == viewer.partner.as_str() && !d.case_closed)
        .ok_or(ConsoleError::NotFound)?;
    let partner = own_partner(&app, &viewer)?;
    let format = Format::parse(&format)
        .filter(|f| partner.formats.contains(f))
        .ok_or(ConsoleError::NotFound)?;
    let lang = chosen_lang(&partner, q.lang.as_deref())?;
    let id = d
        .case_id
        .parse()
        .map_err(|_| ConsoleError::Internal("case id".into()))?;
    // one download serves every store the poster was for: the partner's own code, no store's
    let via = Via {
        partner_id: viewer.partner.to_string(),
        location_ref: String::new(),
        format,
    };
    let (case_number, file) = poster_bytes(&app, &viewer, id, d.version, lang, &via).await?;
    // the partner has it now: when the case ends, it is told to take it down
    let now = app.distributor.clock().now();
    handed_out(&app.store, &viewer.partner, id, d.version, now).await?;
    let name = format!(
        "{}-v{}-{}.{}",
        case_number,
        d.version,
        lang.code(),
        format.extension()
    );
    Ok((
        [
            (header::CONTENT_TYPE, file.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", name.replace('"', "")),
            ),
        ],
        file.bytes.clone(),
    )
        .into_response())
}

/// One poster of a case version as the partner receives it (its own, carrying `via`), with its case
/// number. The version must still be there: a poster of an erased or missing case is not found.
pub(super) async fn poster_bytes(
    app: &AppState,
    viewer: &PartnerViewer,
    case: CaseId,
    version: u32,
    lang: Lang,
    via: &Via,
) -> Result<(String, Arc<CachedPoster>), ConsoleError> {
    let record = app
        .store
        .case_version(case, Some(i64::from(version)))
        .await?
        .ok_or(ConsoleError::NotFound)?;
    let poster = app
        .poster_source
        .for_partner(&viewer.actor(), case, &record, lang, via.format, via)
        .await?;
    Ok((record.document.case_number.clone(), poster.file))
}
