//! The new-case form: every field of the case format as one HTML form (three child slots, two
//! companions, three destinations), turned into the case document and checked by the same parser
//! as the API. Photos are normalised and saved as soon as they arrive, so a form sent back with an
//! error keeps them; places are found in the bundled US places ("Alexandria, VA") or typed as
//! coordinates. Nothing typed is lost: the form comes back with every value and each error beside
//! its field.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use axum::extract::{Extension, Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde_json::{Map, Value, json};

use super::session::Viewer;
use super::{Console, ConsoleError};
use crate::app::AppState;
use crate::cases::{CaseError, CaseType, parse_case};
use crate::store::Created;

/// What was typed, by field name, and the problems, by field name.
type Fields = BTreeMap<String, String>;

/// One photo, as sent, at most; the whole form at most this times five (three children and two
/// companions) and a little for the text.
pub const PHOTO_MAX: usize = 25_000_000;
pub const FORM_MAX: usize = 5 * PHOTO_MAX + 1_000_000;

const CHILDREN: usize = 3;
const COMPANIONS: usize = 2;
const DESTINATIONS: usize = 3;
const PERSON: [&str; 9] = [
    "name",
    "date_of_birth",
    "sex",
    "race",
    "hair",
    "eyes",
    "marks",
    "clothing",
    "relation",
];

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

/// The bundled US places by (lower-case name, state).
fn places() -> &'static HashMap<(String, String), (f64, f64)> {
    static PLACES: OnceLock<HashMap<(String, String), (f64, f64)>> = OnceLock::new();
    PLACES.get_or_init(|| {
        let mut map = HashMap::new();
        // largest first: a name that repeats in a state keeps its largest place
        for c in crate::targeting::geodata::us_cities().unwrap_or_default() {
            map.entry((c.name.to_lowercase(), c.state.clone()))
                .or_insert((c.lat, c.lon));
        }
        map
    })
}

/// The place `prefix` as the case format has it, from its text and coordinates; `None` when the
/// slot is empty. Found coordinates are written back into `v`, so the form shows them.
fn place(prefix: &str, v: &mut Fields, errors: &mut Fields) -> Option<Value> {
    let get = |v: &Fields, k: &str| v.get(&format!("{prefix}.{k}")).cloned().unwrap_or_default();
    let (text, lat, lon) = (get(v, "place"), get(v, "lat"), get(v, "lon"));
    if text.is_empty() && lat.is_empty() && lon.is_empty() {
        return None;
    }
    let (city, region) = match text.rsplit_once(',') {
        Some((c, r)) => (c.trim().to_string(), r.trim().to_ascii_uppercase()),
        None => (text.trim().to_string(), String::new()),
    };
    let mut doc = json!({"country": "US"});
    if !city.is_empty() {
        doc["city"] = json!(city);
        doc["label"] = json!(text.trim());
    }
    if !region.is_empty() {
        doc["region"] = json!(region);
    }
    if lat.is_empty() && lon.is_empty() {
        match places().get(&(city.to_lowercase(), region.clone())) {
            Some((la, lo)) => {
                v.insert(format!("{prefix}.lat"), la.to_string());
                v.insert(format!("{prefix}.lon"), lo.to_string());
                doc["lat"] = json!(la);
                doc["lon"] = json!(lo);
            }
            None => {
                errors.insert(
                    format!("{prefix}.place"),
                    "not a US place we know: type it as “City, ST”, or give its coordinates".into(),
                );
            }
        }
        return Some(doc);
    }
    for (k, raw) in [("lat", lat), ("lon", lon)] {
        match raw.trim().parse::<f64>() {
            Ok(x) => doc[k] = json!(x),
            Err(_) => {
                errors.insert(
                    format!("{prefix}.{k}"),
                    "a number in degrees, like 38.8048".into(),
                );
            }
        }
    }
    Some(doc)
}

/// A number field, written in when typed.
fn number(doc: &mut Value, key: &str, field: &str, v: &Fields, errors: &mut Fields) {
    let Some(raw) = v.get(field).filter(|x| !x.trim().is_empty()) else {
        return;
    };
    match raw.trim().parse::<f64>() {
        // whole numbers as integers: a year is one
        Ok(x) if x.fract() == 0.0 && x.abs() < 1e15 => doc[key] = json!(x as i64),
        Ok(x) => doc[key] = json!(x),
        Err(_) => {
            errors.insert(field.to_string(), "a number".into());
        }
    }
}

/// A child or companion from its slot; `None` when nothing of it was typed.
fn person(prefix: &str, v: &Fields, errors: &mut Fields, photos: usize) -> Option<Value> {
    let typed = v.iter().any(|(k, x)| {
        k.starts_with(&format!("{prefix}.")) && !x.trim().is_empty() && !k.ends_with(".role")
    });
    if !typed {
        return None;
    }
    let mut doc = json!({});
    for key in PERSON {
        if let Some(x) = v
            .get(&format!("{prefix}.{key}"))
            .filter(|x| !x.trim().is_empty())
        {
            doc[key] = json!(x.trim());
        }
    }
    if let Some(a) = v
        .get(&format!("{prefix}.aliases"))
        .filter(|x| !x.trim().is_empty())
    {
        doc["aliases"] = json!(
            a.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
        );
    }
    number(
        &mut doc,
        "height_cm",
        &format!("{prefix}.height_cm"),
        v,
        errors,
    );
    number(
        &mut doc,
        "weight_kg",
        &format!("{prefix}.weight_kg"),
        v,
        errors,
    );
    let list: Vec<Value> = (0..photos)
        .filter_map(|j| v.get(&format!("{prefix}.photos[{j}].photo_id")))
        .filter(|id| !id.is_empty())
        .map(|id| json!({"photo_id": id}))
        .collect();
    if !list.is_empty() {
        doc["photos"] = json!(list);
    }
    Some(doc)
}

fn vehicle(prefix: &str, v: &Fields, errors: &mut Fields) -> Option<Value> {
    let mut doc = json!({});
    for key in ["make", "model", "color", "plate", "plate_region"] {
        if let Some(x) = v
            .get(&format!("{prefix}.vehicle.{key}"))
            .filter(|x| !x.trim().is_empty())
        {
            doc[key] = json!(x.trim());
        }
    }
    number(
        &mut doc,
        "year",
        &format!("{prefix}.vehicle.year"),
        v,
        errors,
    );
    doc.as_object()
        .is_some_and(|o| !o.is_empty())
        .then_some(doc)
}

/// The case document the form describes, and the problems found before the parser sees it.
fn document(v: &mut Fields, languages: &[String], errors: &mut Fields) -> Value {
    let mut doc = json!({"status": "active"});
    for key in ["case_number", "case_type", "circumstances", "travel"] {
        if let Some(x) = v.get(key).filter(|x| !x.trim().is_empty()) {
            doc[key] = json!(x.trim());
        }
    }
    doc["amber_alert"] = json!(v.get("amber_alert").is_some_and(|x| x == "true"));
    if let Some(at) = v.get("missing_since").filter(|x| !x.is_empty()) {
        let offset = v
            .get("missing_since_offset")
            .cloned()
            .unwrap_or_else(|| "+00:00".into());
        // datetime-local sends minutes only
        let at = if at.len() == 16 {
            format!("{at}:00")
        } else {
            at.clone()
        };
        doc["missing_since"] = json!(format!("{at}{offset}"));
    }
    if let Some(p) = place("missing_from", v, errors) {
        doc["missing_from"] = p;
    }
    let children: Vec<Value> = (0..CHILDREN)
        .filter_map(|i| person(&format!("children[{i}]"), v, errors, 2))
        .collect();
    doc["children"] = json!(children);
    let companions: Vec<Value> = (0..COMPANIONS)
        .filter_map(|i| {
            let prefix = format!("companions[{i}]");
            let mut p = person(&prefix, v, errors, 1)?;
            p["role"] = json!(
                v.get(&format!("{prefix}.role"))
                    .cloned()
                    .unwrap_or_else(|| "abductor".into())
            );
            if let Some(car) = vehicle(&prefix, v, errors) {
                p["vehicle"] = car;
            }
            Some(p)
        })
        .collect();
    if !companions.is_empty() {
        doc["companions"] = json!(companions);
    }
    let destinations: Vec<Value> = (0..DESTINATIONS)
        .filter_map(|i| place(&format!("destinations[{i}]"), v, errors))
        .collect();
    if !destinations.is_empty() {
        doc["destinations"] = json!(destinations);
    }
    let mut contact = json!({});
    for key in ["agency", "phone", "region"] {
        if let Some(x) = v
            .get(&format!("contact.{key}"))
            .filter(|x| !x.trim().is_empty())
        {
            contact[key] = json!(x.trim());
        }
    }
    doc["contact"] = contact;
    doc["languages"] = json!(if languages.is_empty() {
        vec!["en".to_string()]
    } else {
        languages.to_vec()
    });
    doc
}

/// Required fields left empty, all at once (the parser would name only the first).
fn missing(v: &Fields, errors: &mut Fields) {
    let required = [
        ("case_number", "the organisation's case number"),
        ("missing_since", "when the child was last seen"),
        ("children[0].name", "the child's name"),
        ("children[0].date_of_birth", "the child's date of birth"),
        ("children[0].sex", "the child's sex"),
        ("contact.agency", "the investigating agency"),
        ("contact.phone", "the agency's phone number"),
    ];
    for (field, what) in required {
        if v.get(field).is_none_or(|x| x.trim().is_empty()) {
            errors
                .entry(field.to_string())
                .or_insert_with(|| format!("required: {what}"));
        }
    }
    if v.get("missing_from.place")
        .is_none_or(|x| x.trim().is_empty())
        && v.get("missing_from.lat")
            .is_none_or(|x| x.trim().is_empty())
    {
        errors
            .entry("missing_from.place".into())
            .or_insert_with(|| "required: where the child was last seen".into());
    }
    if v.get("children[0].photos[0].photo_id")
        .is_none_or(String::is_empty)
        && v.get("children[0].photos[1].photo_id")
            .is_none_or(String::is_empty)
    {
        errors
            .entry("children[0].photos[0]".into())
            .or_insert_with(|| "required: at least one photo of the child".into());
    }
}

/// A parser's field name as the form's: a list's problem goes to its first slot, a place's to its text.
fn form_field(field: &str) -> String {
    if field.ends_with(".photos") {
        return format!("{field}[0]");
    }
    if field == "missing_from" || (field.starts_with("destinations[") && !field.contains('.')) {
        return format!("{field}.place");
    }
    if field.starts_with("languages") {
        return "languages".into();
    }
    field.to_string()
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
