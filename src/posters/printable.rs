//! Can every word of a case be printed? Asked when a case is entered (API, console, command line),
//! so a case whose text the poster fonts cannot show is refused there, with the field named, and
//! never accepted only for every poster of it to fail later in dispatch.

use unicode_normalization::UnicodeNormalization;

use super::RenderError;
use super::fonts::Fonts;
use crate::cases::{Case, FieldError};

/// Each text field of `case` holding a character the fonts have no glyph for, with the first such
/// character named in the reason. Empty when everything prints.
pub fn unprintable(case: &Case) -> Result<Vec<FieldError>, RenderError> {
    let fonts = super::Renderer::shared()?.fonts();
    let doc = serde_json::to_value(case).expect("plain data serialises");
    let mut found = Vec::new();
    walk(fonts, &doc, &mut String::new(), &mut found);
    Ok(found)
}

fn walk(fonts: &Fonts, v: &serde_json::Value, path: &mut String, found: &mut Vec<FieldError>) {
    match v {
        serde_json::Value::String(s) => {
            // as the poster prints it: composed (NFC), control characters as spaces
            let text: String = s
                .nfc()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            if let Some(u) = fonts.missing(&text) {
                found.push(FieldError::new(path.clone(), u.reason()));
            }
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk(fonts, item, path, found);
                path.truncate(len);
            }
        }
        serde_json::Value::Object(members) => {
            for (key, item) in members {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                walk(fonts, item, path, found);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(name: &str) -> Case {
        let doc = serde_json::json!({
            "case_number": "P-1", "case_type": "endangered_missing",
            "missing_since": "2026-11-01T18:30:00-05:00",
            "missing_from": {"city": "Alexandria", "region": "VA", "country": "US", "lat": 38.8, "lon": -77.05},
            "children": [{"name": name, "date_of_birth": "2015-03-02", "sex": "female",
                          "photos": [{"photo_id": "ph_1"}]}],
            "contact": {"agency": "Test Police Department", "phone": "1-555-555-0100"}
        });
        crate::cases::parse_case(doc.to_string().as_bytes(), "2026-11-30".parse().unwrap()).unwrap()
    }

    #[test]
    fn latin_names_print_and_scripts_without_a_font_are_named_by_field() {
        for ok in [
            "Mara Ortega",
            "Zoë Nguyễn",
            "Łukasz Żółć",
            "Ана Петрова",
            "ليلى",
            "נועה",
            "अनन्या",
            "李明",
            "김민지",
        ] {
            assert!(unprintable(&case(ok)).unwrap().is_empty(), "{ok}");
        }
        for (name, c) in [("\u{20BB7}田", '\u{20BB7}'), ("สมชาย", 'ส'), ("ሰላም", 'ሰ')]
        {
            let found = unprintable(&case(name)).unwrap();
            assert_eq!(found.len(), 1, "{name}: {found:?}");
            assert_eq!(found[0].field, "children[0].name");
            assert!(found[0].reason.contains(&format!("U+{:04X}", c as u32)));
        }
    }
}
