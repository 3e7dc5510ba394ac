//! The case form, new and edit: every field of the case format as one HTML form (three child
//! slots, two companions, three destinations), turned into the case document and checked by the
//! same parser as the API. Photos are normalised and saved as soon as they arrive, so a form sent back with an
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
mod edit;
mod fields;

pub use edit::{edit_form, update};

use document::{Fields, document, form_field, missing};

use super::session::Viewer;
use super::{Console, ConsoleError};
use crate::app::AppState;
use crate::cases::{Case, CaseError, CaseType, Lang, PhotoSource, parse_case};
use crate::cpu::{CpuError, Turn};
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

/// What the form is for: a new case, or a new version of a saved one.
pub struct Mode {
    heading: String,
    action: String,
    submit: &'static str,
    cancel: String,
    /// The version an edit was made from (absent for a new case).
    base_version: Option<i64>,
    /// Someone else saved the case while this form was open: who, when, and what they changed.
    conflict: Option<minijinja::Value>,
}

impl Mode {
    fn new_case() -> Mode {
        Mode {
            heading: "New case".into(),
            action: "/cases/new".into(),
            submit: "Save the case",
            cancel: "/cases".into(),
            base_version: None,
            conflict: None,
        }
    }
}

fn render(
    console: &Console,
    viewer: &Viewer,
    form: &Submitted,
    mode: &Mode,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let v = &form.v;
    let mut values: Map<String, Value> = v.iter().map(|(k, x)| (k.clone(), json!(x))).collect();
    values.insert("languages".into(), json!(form.languages));
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
            user => viewer.view(), csrf => &viewer.csrf, heading => &mode.heading,
            action => &mode.action, submit => mode.submit, cancel => &mode.cancel,
            base_version => mode.base_version, conflict => &mode.conflict,
            v => values, errors => &form.errors,
            case_types => choices(&types),
            travels => choices(&["unknown", "foot", "vehicle", "transit", "air"]),
            sexes => choices(&["", "female", "male", "unknown"]),
            roles => choices(&["abductor", "companion"]),
            offsets => offsets,
            languages => Lang::ALL.map(|l| (l.code(), l.english_name())),
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
    let form = Submitted {
        v,
        languages: vec!["en".into()],
        errors: Fields::new(),
    };
    render(&console, &viewer, &form, &Mode::new_case(), StatusCode::OK)
}

/// A form as it came back: what was typed (saved photos as their ids), and the problems so far.
pub struct Submitted {
    v: Fields,
    languages: Vec<String>,
    errors: Fields,
}

/// Read a sent form: its token checked, every photo normalised and saved at once (so the form
/// keeps it whatever else is wrong).
async fn read(
    app: &AppState,
    viewer: &Viewer,
    mut multipart: Multipart,
) -> Result<Submitted, ConsoleError> {
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
                Ok(b) if b.len() > PHOTO_MAX => {
                    errors.insert(
                        prefix,
                        format!("the photo is larger than {} MB", PHOTO_MAX / 1_000_000),
                    );
                }
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
    for (prefix, bytes) in files {
        let decoded = app
            .cpu
            .run(Turn::Request, move || {
                crate::posters::normalize_photo(&bytes)
            })
            .await;
        match decoded {
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
            // everything typed is shown again; only the photo needs sending once more
            Err(CpuError::Busy) => {
                let busy = "The service is busy with other photos: choose this photo again and save in a few seconds.";
                errors.insert(prefix, busy.to_string());
            }
            Err(e @ CpuError::Join(_)) => return Err(ConsoleError::Internal(e.to_string())),
        }
    }
    Ok(Submitted {
        v,
        languages,
        errors,
    })
}

/// The case the form describes, checked as the API checks it; `None` with the problems put
/// beside their fields. `saved` is the document an edit started from: what the form does not
/// show is carried over from it.
async fn check(
    app: &AppState,
    form: &mut Submitted,
    saved: Option<&Case>,
) -> Result<Option<Case>, ConsoleError> {
    missing(&form.v, &mut form.errors);
    let mut doc = document(&mut form.v, &form.languages, &mut form.errors);
    if let Some(saved) = saved {
        let saved = serde_json::to_value(saved).expect("plain data serialises");
        fields::carry_over(&saved, &mut doc);
    }
    if !form.errors.is_empty() {
        return Ok(None);
    }
    let bytes = serde_json::to_vec(&doc).expect("plain data serialises");
    // the latest date anywhere on earth: a child last seen "today" in Hawaii is not in the future
    let today = (app.distributor.clock().now() + chrono::Duration::hours(14)).date_naive();
    let case = match parse_case(&bytes, today) {
        Ok(case) => case,
        Err(CaseError::Invalid(list)) => {
            for f in list {
                form.errors.entry(form_field(&f.field)).or_insert(f.reason);
            }
            return Ok(None);
        }
        Err(CaseError::Malformed(f)) => {
            form.errors.insert(form_field(&f.field), f.reason);
            return Ok(None);
        }
    };
    let unprintable = crate::posters::unprintable(&case)
        .map_err(|e| ConsoleError::Internal(format!("the poster fonts: {e}")))?;
    if !unprintable.is_empty() {
        for f in unprintable {
            form.errors.entry(form_field(&f.field)).or_insert(f.reason);
        }
        return Ok(None);
    }
    // a photo id the form carried must be one saved here (a forged or stale form may not)
    let ids: Vec<crate::store::PhotoId> = case
        .photos()
        .filter_map(|(_, p)| match &p.source {
            PhotoSource::Id(raw) => raw.parse().ok(),
            PhotoSource::File(_) => None,
        })
        .collect();
    let stored = app.store.stored_photos(&ids).await?;
    for (path, photo) in case.photos() {
        let known = match &photo.source {
            PhotoSource::Id(raw) => raw.parse().is_ok_and(|id| stored.contains(&id)),
            PhotoSource::File(_) => false,
        };
        if !known {
            form.errors.insert(
                form_field(&path),
                "this photo is no longer here: choose the file again".into(),
            );
        }
    }
    Ok(form.errors.is_empty().then_some(case))
}

pub async fn create(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: Viewer,
    multipart: Multipart,
) -> Result<Response, ConsoleError> {
    let mut form = read(&app, &viewer, multipart).await?;
    let mode = Mode::new_case();
    let Some(case) = check(&app, &mut form, None).await? else {
        return render(
            &console,
            &viewer,
            &form,
            &mode,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    let record = match app
        .store
        .create_case(&case, false, &viewer.actor(), None)
        .await
    {
        Ok(Created::New(r) | Created::Replayed(r)) => r,
        Err(crate::store::StoreError::CaseNumberTaken(n)) => {
            form.errors
                .insert("case_number".into(), format!("{n} is already in use"));
            return render(
                &console,
                &viewer,
                &form,
                &mode,
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(case_id = %record.id, "case created in the console");
    Ok(Redirect::to(&format!("/cases/{}", record.id)).into_response())
}
