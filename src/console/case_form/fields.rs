//! The other way round: a saved case as the form's fields, so an edit starts from what is saved,
//! and what the form does not show (a photo's date taken, its caption) is carried over on save.

use serde_json::Value;

use super::document::Fields;
use crate::cases::{Case, Companion, MissingSince, Person, Photo, PhotoSource, Place};

fn put(v: &mut Fields, key: String, value: Option<impl ToString>) {
    if let Some(x) = value {
        let x = x.to_string();
        if !x.is_empty() {
            v.insert(key, x);
        }
    }
}

/// A number as typed: `132`, not `132.0`.
fn number(x: Option<f64>) -> Option<String> {
    x.map(|n| {
        if n.fract() == 0.0 {
            format!("{}", n as i64)
        } else {
            n.to_string()
        }
    })
}

fn place(v: &mut Fields, prefix: &str, p: &Place) {
    let text = match (&p.city, &p.region) {
        (Some(c), Some(r)) => Some(format!("{c}, {r}")),
        (Some(c), None) => Some(c.clone()),
        _ => p.label.clone(),
    };
    put(v, format!("{prefix}.place"), text);
    put(v, format!("{prefix}.lat"), Some(p.lat));
    put(v, format!("{prefix}.lon"), Some(p.lon));
}

fn photos(v: &mut Fields, prefix: &str, list: &[Photo]) {
    for (j, photo) in list.iter().enumerate() {
        if let PhotoSource::Id(id) = &photo.source {
            v.insert(format!("{prefix}.photos[{j}].photo_id"), id.clone());
        }
    }
}

fn person(v: &mut Fields, prefix: &str, p: &Person) {
    put(v, format!("{prefix}.name"), Some(&p.name));
    put(v, format!("{prefix}.aliases"), Some(p.aliases.join(", ")));
    put(
        v,
        format!("{prefix}.date_of_birth"),
        Some(p.date_of_birth.0),
    );
    put(v, format!("{prefix}.sex"), Some(p.sex.as_str()));
    put(v, format!("{prefix}.race"), p.race.as_ref());
    put(v, format!("{prefix}.height_cm"), number(p.height_cm));
    put(v, format!("{prefix}.weight_kg"), number(p.weight_kg));
    put(v, format!("{prefix}.hair"), p.hair.as_ref());
    put(v, format!("{prefix}.eyes"), p.eyes.as_ref());
    put(v, format!("{prefix}.marks"), p.marks.as_ref());
    put(v, format!("{prefix}.clothing"), p.clothing.as_ref());
    photos(v, prefix, &p.photos);
}

fn companion(v: &mut Fields, prefix: &str, c: &Companion) {
    put(v, format!("{prefix}.role"), Some(c.role.as_str()));
    put(v, format!("{prefix}.relation"), c.relation.as_ref());
    put(v, format!("{prefix}.name"), Some(&c.name));
    put(v, format!("{prefix}.aliases"), Some(c.aliases.join(", ")));
    put(
        v,
        format!("{prefix}.date_of_birth"),
        c.date_of_birth.map(|d| d.0),
    );
    put(v, format!("{prefix}.sex"), Some(c.sex.as_str()));
    put(v, format!("{prefix}.race"), c.race.as_ref());
    put(v, format!("{prefix}.height_cm"), number(c.height_cm));
    put(v, format!("{prefix}.weight_kg"), number(c.weight_kg));
    put(v, format!("{prefix}.hair"), c.hair.as_ref());
    put(v, format!("{prefix}.eyes"), c.eyes.as_ref());
    put(v, format!("{prefix}.marks"), c.marks.as_ref());
    put(v, format!("{prefix}.clothing"), c.clothing.as_ref());
    photos(v, prefix, &c.photos);
    if let Some(car) = &c.vehicle {
        let p = format!("{prefix}.vehicle");
        put(v, format!("{p}.year"), car.year);
        put(v, format!("{p}.make"), car.make.as_ref());
        put(v, format!("{p}.model"), car.model.as_ref());
        put(v, format!("{p}.color"), car.color.as_ref());
        put(v, format!("{p}.plate"), car.plate.as_ref());
        put(v, format!("{p}.plate_region"), car.plate_region.as_ref());
    }
}

/// The form's fields and languages for `case`.
pub fn fields_of(case: &Case) -> (Fields, Vec<String>) {
    let mut v = Fields::new();
    v.insert("case_number".into(), case.case_number.clone());
    v.insert("case_type".into(), case.case_type.as_str().into());
    if case.amber_alert {
        v.insert("amber_alert".into(), "true".into());
    }
    let (at, offset) = match case.missing_since {
        MissingSince::At(t) => (
            t.format("%Y-%m-%dT%H:%M").to_string(),
            t.format("%:z").to_string(),
        ),
        MissingSince::Day(d) => (format!("{d}T00:00"), "+00:00".into()),
    };
    v.insert("missing_since".into(), at);
    v.insert("missing_since_offset".into(), offset);
    place(&mut v, "missing_from", &case.missing_from);
    put(&mut v, "circumstances".into(), case.circumstances.as_ref());
    v.insert("travel".into(), case.travel.as_str().into());
    for (i, c) in case.children.iter().enumerate() {
        person(&mut v, &format!("children[{i}]"), c);
    }
    for (i, c) in case.companions.iter().enumerate() {
        companion(&mut v, &format!("companions[{i}]"), c);
    }
    for (i, d) in case.destinations.iter().enumerate() {
        place(&mut v, &format!("destinations[{i}]"), d);
    }
    v.insert("contact.agency".into(), case.contact.agency.clone());
    v.insert("contact.phone".into(), case.contact.phone.clone());
    put(
        &mut v,
        "contact.region".into(),
        case.contact.region.as_ref(),
    );
    put(&mut v, "contact.email".into(), case.contact.email.as_ref());
    let languages = case
        .languages
        .iter()
        .map(|l| l.code().to_string())
        .collect();
    (v, languages)
}

/// What the form does not show, carried from the saved document into the edited one: a photo's
/// date taken, age progression and caption (matched by photo id), and a place's own label when
/// its coordinates did not change.
pub fn carry_over(saved: &Value, edited: &mut Value) {
    let mut photo_extras = std::collections::HashMap::new();
    collect_photos(saved, &mut photo_extras);
    fill_photos(edited, &photo_extras);
    keep_place(&saved["missing_from"], &mut edited["missing_from"]);
    if let (Some(old), Some(new)) = (
        saved["destinations"].as_array(),
        edited.get_mut("destinations").and_then(Value::as_array_mut),
    ) {
        for new in new.iter_mut() {
            // a destination may have moved up a slot: matched by where it is, not its position
            if let Some(o) = old.iter().find(|o| same_place(o, new)) {
                *new = o.clone();
            }
        }
    }
}

/// The same place: the same coordinates, city and state.
fn same_place(a: &Value, b: &Value) -> bool {
    ["lat", "lon", "city", "region"]
        .iter()
        .all(|k| a.get(*k) == b.get(*k))
}

fn keep_place(saved: &Value, edited: &mut Value) {
    if saved.is_object() && same_place(saved, edited) {
        *edited = saved.clone();
    }
}

fn collect_photos(doc: &Value, out: &mut std::collections::HashMap<String, Value>) {
    match doc {
        Value::Object(map) => {
            if let Some(Value::String(id)) = map.get("photo_id") {
                out.insert(id.clone(), doc.clone());
            }
            map.values().for_each(|x| collect_photos(x, out));
        }
        Value::Array(list) => list.iter().for_each(|x| collect_photos(x, out)),
        _ => {}
    }
}

fn fill_photos(doc: &mut Value, saved: &std::collections::HashMap<String, Value>) {
    match doc {
        Value::Object(map) => {
            let id = map
                .get("photo_id")
                .and_then(Value::as_str)
                .map(String::from);
            if let Some(Value::Object(old)) = id.and_then(|id| saved.get(&id)) {
                for (k, x) in old {
                    map.entry(k.clone()).or_insert_with(|| x.clone());
                }
            }
            map.values_mut().for_each(|x| fill_photos(x, saved));
        }
        Value::Array(list) => list.iter_mut().for_each(|x| fill_photos(x, saved)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::super::document::document;
    use super::*;

    fn example() -> Case {
        let raw = include_str!("../../../tests/fixtures/case-example-ids.json");
        crate::cases::parse_case(raw.as_bytes(), chrono::NaiveDate::MAX)
            .expect("the example parses")
    }

    /// The form made from a case, sent back untouched, is the same case (photo extras carried).
    #[test]
    fn a_case_survives_the_round_trip_through_its_form() {
        let case = example();
        let (mut v, languages) = fields_of(&case);
        let mut errors = Fields::new();
        let mut doc = document(&mut v, &languages, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        let saved = serde_json::to_value(&case).unwrap();
        carry_over(&saved, &mut doc);
        let back =
            crate::cases::parse_case(&serde_json::to_vec(&doc).unwrap(), chrono::NaiveDate::MAX)
                .expect("the form's document parses");
        assert_eq!(back, case);
    }
}
