//! The new-case form: every field of the case format as one HTML form (three child slots, two
//! companions, three destinations), turned into the case document and checked by the same parser
//! as the API. Photos are normalised and saved as soon as they arrive, so a form sent back with an
//! error keeps them; places are found in the bundled US places ("Alexandria, VA") or typed as
//! coordinates. Nothing typed is lost: the form comes back with every value and each error beside
//! its field.

use std::sync::Arc;

use axum::extract::{Extension, Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde_json::{Map, Value, json};

mod document;

use document::{Fields, document, form_field, missing};

use super::session::Viewer;
use super::{Console, ConsoleError};
use crate::app::AppState;
use crate::cases::{CaseError, CaseType, parse_case};
use crate::store::Created;

/// One photo, as sent, at most; the whole form at most this times five (three children and two
/// companions) and a little for the text.
pub const PHOTO_MAX: usize = 25_000_000;
pub const FORM_MAX: usize = 5 * PHOTO_MAX + 1_000_000;

fn choices(values: &[&'static str]) -> Vec<(&'static str, String)> {
    values
        .iter()
        .map(|v| {
            (
                *v,
                if v.is_empty() {
                    "—".to_string()
                } else {
                    v.replace('_', " ")
                },
            )
        })
        .collect()
}

fn render(
    console: &Console,
    viewer: &Viewer,
    v: &Fields,
    languages: &[String],
    errors: &Fields,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let mut values: Map<String, Value> = v.iter().map(|(k, x)| (k.clone(), json!(x))).collect();
    values.insert("languages".into(), json!(languages));
    values.insert(
        "amber_alert".into(),
        json!(v.get("amber_alert").is_some_and(|x| x == "true")),
    );
    let types: Vec<&'static str> = CaseType::ALL.iter().map(|t| t.as_str()).collect();
    let offsets: Vec<(&str, String)> = [
        "-04:00", "-05:00", "-06:00", "-07:00", "-08:00", "-09:00", "-10:00", "+00:00",
    ]
    .iter()
    .map(|o| (*o, format!("UTC{o}")))
    .collect();
    let html = console.pages.render(
        "case_form.html",
        context! {
            user => viewer.view(), csrf => &viewer.csrf, heading => "New case", action => "/cases/new",
            submit => "Save the case", cancel => "/cases", v => values, errors => errors,
            case_types => choices(&types),
            travels => choices(&["unknown", "foot", "vehicle", "transit", "air"]),
            sexes => choices(&["", "female", "male", "unknown"]),
            roles => choices(&["abductor", "companion"]),
            offsets => offsets,
            languages => [("en", "English"), ("es", "Spanish")],
        },
    )?;
    Ok((status, html).into_response())
}

pub async fn form(
    Extension(console): Extension<Arc<Console>>,
    viewer: Viewer,
) -> Result<Response, ConsoleError> {
    let v: Fields = [
        ("case_type", "endangered_missing"),
        ("missing_since_offset", "-05:00"),
        ("travel", "unknown"),
    ]
    .into_iter()
    .map(|(k, x)| (k.to_string(), x.to_string()))
    .collect();
    render(
        &console,
        &viewer,
        &v,
        &["en".into()],
        &Fields::new(),
        StatusCode::OK,
    )
}

pub async fn create(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: Viewer,
    mut multipart: Multipart,
) -> Result<Response, ConsoleError> {
    let mut v = Fields::new();
    let mut languages = Vec::new();
    let mut errors = Fields::new();
    let mut files: Vec<(String, bytes::Bytes)> = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                errors.insert(
                    "form".into(),
                    format!("the form did not arrive whole ({e}); send it again"),
                );
                break;
            }
        };
        let name = field.name().unwrap_or_default().to_string();
        if let Some(prefix) = name.strip_suffix(".file") {
            let prefix = prefix.to_string();
            match field.bytes().await {
                Ok(b) if !b.is_empty() => files.push((prefix, b)),
                Ok(_) => {}
                Err(_) => {
                    errors.insert(
                        prefix,
                        format!("the photo is larger than {} MB", PHOTO_MAX / 1_000_000),
                    );
                }
            }
            continue;
        }
        let text = field.text().await.unwrap_or_default();
        if name == "languages" {
            languages.push(text);
        } else {
            v.insert(name, text);
        }
    }
    viewer.check(v.get("csrf").map_or("", String::as_str))?;
    v.remove("csrf");
    // photos first: saved at once, so the form keeps them whatever else is wrong
    for (prefix, bytes) in files {
        match tokio::task::spawn_blocking(move || crate::posters::normalize_photo(&bytes)).await {
            Ok(Ok(prepared)) => {
                let meta = app
                    .store
                    .put_photo(&prepared, &viewer.actor(), None)
                    .await?;
                v.insert(format!("{prefix}.photo_id"), meta.id.to_string());
            }
            Ok(Err(e)) => {
                errors.insert(prefix, format!("{e}"));
            }
            Err(e) => return Err(ConsoleError::Internal(e.to_string())),
        }
    }
    missing(&v, &mut errors);
    let doc = document(&mut v, &languages, &mut errors);
    if errors.is_empty() {
        let bytes = serde_json::to_vec(&doc).expect("plain data serialises");
        // the latest date anywhere on earth: a child last seen "today" in Hawaii is not in the future
        let today = (app.distributor.clock().now() + chrono::Duration::hours(14)).date_naive();
        match parse_case(&bytes, today) {
            Ok(case) => {
                let record = match app
                    .store
                    .create_case(&case, false, &viewer.actor(), None)
                    .await
                {
                    Ok(Created::New(r) | Created::Replayed(r)) => r,
                    Err(crate::store::StoreError::CaseNumberTaken(n)) => {
                        errors.insert("case_number".into(), format!("{n} is already in use"));
                        return render(
                            &console,
                            &viewer,
                            &v,
                            &languages,
                            &errors,
                            StatusCode::UNPROCESSABLE_ENTITY,
                        );
                    }
                    Err(e) => return Err(e.into()),
                };
                tracing::info!(case_id = %record.id, "case created in the console");
                return Ok(Redirect::to(&format!("/cases/{}", record.id)).into_response());
            }
            Err(CaseError::Invalid(list)) => {
                for f in list {
                    errors.entry(form_field(&f.field)).or_insert(f.reason);
                }
            }
            Err(CaseError::Malformed(f)) => {
                errors.insert(form_field(&f.field), f.reason);
            }
        }
    }
    render(
        &console,
        &viewer,
        &v,
        &languages,
        &errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}
