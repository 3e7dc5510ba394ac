//! A location's print pack: one PDF with every poster that should be on that location's wall now,
//! one poster a page, newest first, so a store manager prints once and puts up everything.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{chosen_lang, own_partner, poster_bytes};
use crate::app::AppState;
use crate::console::ConsoleError;
use crate::console::session::PartnerViewer;
use crate::posters::{Format, pack};
use crate::store::Via;
use crate::store::outbox::{PosterFilter, active_posters, handed_out};

#[derive(Deserialize, Default)]
pub struct PackQuery {
    lang: Option<String>,
    format: Option<String>,
}

/// The print formats the partner takes, in its order of preference: a pack is for printing.
pub(super) fn print_formats(formats: &[Format]) -> Vec<Format> {
    formats.iter().copied().filter(|f| f.is_print()).collect()
}

pub async fn download(
    State(app): State<AppState>,
    viewer: PartnerViewer,
    Path(reference): Path<String>,
    Query(q): Query<PackQuery>,
) -> Result<Response, ConsoleError> {
    let partner = own_partner(&app, &viewer)?;
    let locations = app.store.locations(&viewer.partner).await?;
    let location = locations
        .iter()
        .find(|l| l.reference == reference)
        .ok_or(ConsoleError::NotFound)?;
    let printable = print_formats(&partner.formats);
    let format = match q.format.as_deref() {
        None => printable.first().copied(),
        Some(f) => Format::parse(f).filter(|f| printable.contains(f)),
    }
    .ok_or(ConsoleError::NotFound)?;
    let lang = chosen_lang(&partner, q.lang.as_deref())?;
    let filter = PosterFilter {
        location: Some(location.reference.clone()),
        case_type: None,
    };
    let now = app.distributor.clock().now();
    let posters = active_posters(&app.store, &viewer.partner, &filter, now).await?;
    if posters.is_empty() {
        // the posters page says there is nothing to put up here, and why
        let to = format!(
            "/portal?location={}",
            percent_encoding::utf8_percent_encode(
                &location.reference,
                percent_encoding::NON_ALPHANUMERIC
            )
        );
        return Ok(Redirect::to(&to).into_response());
    }
    let mut files = Vec::with_capacity(posters.len());
    // this wall's own posters: a lead they bring is traced to this store
    let via = Via {
        partner_id: viewer.partner.to_string(),
        location_ref: location.reference.clone(),
        format,
    };
    for p in &posters {
        let (_, file) = poster_bytes(&app, &viewer, p.case_id, p.version, lang, &via).await?;
        files.push(file);
    }
    let title = format!("Posters for {} ({})", location.name, location.reference);
    let bytes = tokio::task::spawn_blocking(move || {
        let refs: Vec<&[u8]> = files.iter().map(|f| f.bytes.as_slice()).collect();
        pack::merge(&refs, &title)
    })
    .await
    .map_err(|e| ConsoleError::Internal(e.to_string()))?
    .map_err(|e| ConsoleError::Internal(e.to_string()))?;
    // every poster in the pack is in the partner's hands now: each one's takedown will follow
    for p in &posters {
        handed_out(&app.store, &viewer.partner, p.case_id, p.version, now).await?;
    }
    tracing::info!(
        partner_id = %viewer.partner,
        posters = posters.len(),
        "print pack downloaded"
    );
    let name = format!(
        "posters-{}-{}-{}.pdf",
        safe_name(&location.reference),
        format.as_str(),
        lang.code()
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// A location reference as a file name: letters, digits, `-` and `_`; anything else becomes `_`.
fn safe_name(reference: &str) -> String {
    reference
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_makes_a_plain_file_name() {
        assert_eq!(safe_name("KY-17"), "KY-17");
        assert_eq!(safe_name("Store #4/\"12\""), "Store__4__12_");
    }

    #[test]
    fn only_print_formats_go_in_a_pack() {
        let all = Format::ALL.to_vec();
        let print = print_formats(&all);
        assert!(!print.is_empty());
        assert!(print.iter().all(|f| f.is_print()));
        assert!(print.len() < all.len());
    }
}
