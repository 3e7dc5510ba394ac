//! The case document a new-case form describes: places found in the bundled US places, people
//! from their slots, numbers checked, required fields named all at once, and the parser's field
//! names turned into the form's.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde_json::{Value, json};

/// What was typed, by field name, and the problems, by field name.
pub type Fields = BTreeMap<String, String>;

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
pub fn document(v: &mut Fields, languages: &[String], errors: &mut Fields) -> Value {
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
    for key in ["agency", "phone", "region", "email"] {
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
pub fn missing(v: &Fields, errors: &mut Fields) {
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
pub fn form_field(field: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_typed_place_is_found_and_its_coordinates_shown() {
        let mut v = fields(&[("missing_from.place", "alexandria, va")]);
        let mut errors = Fields::new();
        let p = place("missing_from", &mut v, &mut errors).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert!((p["lat"].as_f64().unwrap() - 38.80).abs() < 0.05, "{p}");
        assert_eq!(p["region"], "VA");
        assert!(v["missing_from.lat"].starts_with("38.8"), "{v:?}");
        let mut v = fields(&[("missing_from.place", "Nowhere Town, VA")]);
        assert!(place("missing_from", &mut v, &mut errors).is_some());
        assert!(errors["missing_from.place"].contains("City, ST"));
    }

    #[test]
    fn typed_coordinates_win_and_bad_ones_are_named() {
        let mut v = fields(&[
            ("destinations[0].lat", "39.29"),
            ("destinations[0].lon", "west"),
        ]);
        let mut errors = Fields::new();
        place("destinations[0]", &mut v, &mut errors).unwrap();
        assert_eq!(errors.keys().collect::<Vec<_>>(), ["destinations[0].lon"]);
    }

    #[test]
    fn the_parsers_names_land_on_the_forms_fields() {
        assert_eq!(form_field("children[0].photos"), "children[0].photos[0]");
        assert_eq!(form_field("missing_from"), "missing_from.place");
        assert_eq!(form_field("destinations[1]"), "destinations[1].place");
        assert_eq!(form_field("languages[0]"), "languages");
        assert_eq!(
            form_field("children[1].date_of_birth"),
            "children[1].date_of_birth"
        );
    }

    #[test]
    fn an_empty_slot_is_no_person_and_a_year_is_a_whole_number() {
        let mut errors = Fields::new();
        assert!(person("children[1]", &Fields::new(), &mut errors, 2).is_none());
        let v = fields(&[
            ("companions[0].vehicle.year", "2014"),
            ("companions[0].name", "X"),
        ]);
        let car = vehicle("companions[0]", &v, &mut errors).unwrap();
        assert_eq!(car["year"], json!(2014));
        assert!(errors.is_empty());
    }
}
