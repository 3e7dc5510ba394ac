//! Can every word of a case be printed, and does it fit? Asked when a case is entered (API,
//! console, command line), so a case whose text the poster fonts cannot show, or that some poster
//! format cannot hold even at its smallest allowed size, is refused there with the field named,
//! and never accepted only for every poster of it to fail later in dispatch.

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;

use super::{Format, PosterInput, PreparedPhoto, RenderError, Renderer};
use crate::cases::{Case, FieldError};
use crate::config::Organisation;

/// Each text field of `case` holding a character the fonts have no glyph for, with the first such
/// character named in the reason; when every character prints, the field that keeps the case from
/// fitting a format in one of its languages, if any. Empty when the case prints everywhere.
pub fn unprintable(case: &Case) -> Result<Vec<FieldError>, RenderError> {
    let renderer = Renderer::shared()?;
    let fields = text_fields(case);
    let found: Vec<FieldError> = fields
        .iter()
        .filter_map(|f| {
            let missing = renderer.fonts().missing(&as_printed(&f.text))?;
            Some(FieldError::new(f.path.clone(), missing.reason()))
        })
        .collect();
    if !found.is_empty() {
        return Ok(found);
    }
    Ok(unfit(renderer, case, &fields)?.into_iter().collect())
}

/// A field as the poster prints it: composed (NFC), control characters as spaces.
fn as_printed(s: &str) -> String {
    s.nfc()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// One text field of a case: its name in the case format, where it is in the case's JSON, its text.
struct TextField {
    path: String,
    pointer: String,
    text: String,
}

fn text_fields(case: &Case) -> Vec<TextField> {
    let doc = serde_json::to_value(case).expect("plain data serialises");
    let mut found = Vec::new();
    walk(&doc, &mut String::new(), &mut String::new(), &mut found);
    found
}

fn walk(
    v: &serde_json::Value,
    path: &mut String,
    pointer: &mut String,
    found: &mut Vec<TextField>,
) {
    let (len, at) = (path.len(), pointer.len());
    match v {
        serde_json::Value::String(s) => found.push(TextField {
            path: path.clone(),
            pointer: pointer.clone(),
            text: s.clone(),
        }),
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push_str(&format!("[{i}]"));
                pointer.push_str(&format!("/{i}"));
                walk(item, path, pointer, found);
                path.truncate(len);
                pointer.truncate(at);
            }
        }
        serde_json::Value::Object(members) => {
            for (key, item) in members {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                pointer.push('/');
                pointer.push_str(key);
                walk(item, path, pointer, found);
                path.truncate(len);
                pointer.truncate(at);
            }
        }
        _ => {}
    }
}

/// The address a poster's QR code and "More at" line stand for while a case is checked: as long as
/// a deployment's usually is.
const CHECK_URL: &str = "https://lookout.example.org/cases/{case_number}";

/// Lay the case out in every format and each of its languages, the way dispatch will. The layout
/// needs a photo's size only, so each photo stands in as a portrait of the normalised size. The
/// first format that cannot hold the case names its [`culprit`].
fn unfit(
    renderer: &Renderer,
    case: &Case,
    fields: &[TextField],
) -> Result<Option<FieldError>, RenderError> {
    let photos: HashMap<_, _> = case
        .photos()
        .map(|(_, p)| {
            let stand_in = PreparedPhoto {
                jpeg: Vec::new(),
                width: 600,
                height: 800,
            };
            (p.source.clone(), stand_in)
        })
        .collect();
    let organisation = Organisation::default();
    let fits = |case: &Case, format: Format, lang| -> Result<bool, RenderError> {
        let input = PosterInput {
            case,
            photos: &photos,
            lang,
            issue_date: case.missing_since.local_date(),
            version: 1,
            organisation: &organisation,
            case_page_url: Some(CHECK_URL),
            mark: None,
        };
        match renderer.lay_out(&input, format) {
            Ok(_) => Ok(true),
            Err(RenderError::Overflow { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    };
    for &lang in &case.languages {
        for format in Format::ALL {
            if fits(case, format, lang)? {
                continue;
            }
            let culprit = culprit(case, fields, |shorter| fits(shorter, format, lang))?;
            return Ok(culprit.map(|f| {
                FieldError::new(
                    f.path.clone(),
                    format!(
                        "too long for the {} poster in {} even at its smallest text size",
                        format.as_str(),
                        lang.english_name()
                    ),
                )
            }));
        }
    }
    Ok(None)
}

/// The field to name for a case that does not fit: of the twelve longest, the first (longest
/// first) whose shortening alone makes it fit; failing that, the longest.
fn culprit<'f>(
    case: &Case,
    fields: &'f [TextField],
    mut fits: impl FnMut(&Case) -> Result<bool, RenderError>,
) -> Result<Option<&'f TextField>, RenderError> {
    let mut longest: Vec<&TextField> = fields.iter().collect();
    longest.sort_by_key(|f| std::cmp::Reverse(f.text.chars().count()));
    for f in longest.iter().take(12) {
        if let Some(shorter) = shortened(case, f)
            && fits(&shorter)?
        {
            return Ok(Some(f));
        }
    }
    Ok(longest.first().copied())
}

/// The case with field `f` cut to its first character, or `None` if that is no longer a case.
fn shortened(case: &Case, f: &TextField) -> Option<Case> {
    let mut doc = serde_json::to_value(case).expect("plain data serialises");
    *doc.pointer_mut(&f.pointer)? = serde_json::Value::String(f.text.chars().take(1).collect());
    serde_json::from_value(doc).ok()
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

    #[test]
    fn a_name_no_format_can_hold_is_refused_by_its_field_and_the_format_named() {
        // U+FDFD is one Arabic glyph nearly eight ems wide: eighty of them, the longest name the
        // case format lets in, fill more than any billboard holds at its smallest text size
        let wide = "\u{FDFD}".repeat(crate::cases::limits::NAME);
        let found = unprintable(&case(&wide)).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].field, "children[0].name");
        assert!(
            found[0].reason.contains("too long for the"),
            "{}",
            found[0].reason
        );
        assert!(
            found[0].reason.contains("poster in English"),
            "{}",
            found[0].reason
        );
        // the same glyph a few times is a name that prints
        assert!(
            unprintable(&case(&"\u{FDFD}".repeat(3)))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn the_field_named_is_the_one_whose_shortening_makes_the_case_fit() {
        let mut c = case("Mara Ortega");
        // longer than the name, but it fits: it is not the field named
        c.circumstances = Some("Wwwwww mmmm ".repeat(90).trim_end().to_string());
        assert!(unprintable(&c).unwrap().is_empty());
        c.children[0].name = "\u{FDFD}".repeat(crate::cases::limits::NAME);
        let found = unprintable(&c).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].field, "children[0].name");
    }
}
