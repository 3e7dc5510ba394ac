//! Layout geometry: every text inside the page margins, none over a photo, nothing cut, for the example
//! and for the longest values the case format allows, in every format and language.

#[path = "common/posters.rs"]
mod common;

use common::*;
use lookout::cases::{Case, Lang};
use lookout::config::Organisation;
use lookout::posters::layout::{Element, Page, Role};
use lookout::posters::{Fonts, Format, lay_out};

/// Names set side by side keep at least 0.8 em between them (two names that almost touch read as one).
fn names_apart(page: &Page<'_>, what: &str) {
    let names: Vec<_> = page
        .texts()
        .filter(|t| t.tag.role == Role::Heading)
        .collect();
    for (i, a) in names.iter().enumerate() {
        for b in &names[i + 1..] {
            let same_line = a.bounds.y < b.bounds.bottom() && b.bounds.y < a.bounds.bottom();
            if !same_line || a.tag.section == b.tag.section {
                continue;
            }
            let apart = (b.bounds.x - a.bounds.right()).max(a.bounds.x - b.bounds.right());
            let least = 0.8 * a.size.min(b.size);
            assert!(
                apart >= least - 0.01,
                "{what}: {:?} and {:?} are {apart:.1} apart, less than {least:.1}",
                a.text,
                b.text
            );
        }
    }
}

fn check(page: &Page<'_>, what: &str, fonts: &Fonts) {
    names_apart(page, what);
    let content = page.content_box();
    let photos: Vec<_> = page.photo_rects().collect();
    assert!(!photos.is_empty(), "{what}: no photo");
    for t in page.texts() {
        assert!(
            content.contains(&t.bounds),
            "{what}: {:?} at {:?} leaves the margins {content:?}",
            t.text,
            t.bounds
        );
        for p in &photos {
            assert!(
                !t.bounds.intersects(p),
                "{what}: {:?} over a photo {p:?}",
                t.text
            );
        }
        let measured = fonts.width(t.font, &t.text, t.size);
        assert!(
            (measured - t.bounds.w).abs() < 0.01,
            "{what}: bounds are the measured width"
        );
    }
    for (i, a) in photos.iter().enumerate() {
        assert!(
            content.contains(a),
            "{what}: photo {a:?} leaves the page margins"
        );
        for b in &photos[i + 1..] {
            assert!(!a.intersects(b), "{what}: photos overlap");
        }
    }
}

/// Every word of `text` appears, in order, in the page's text runs (so nothing was cut off).
fn all_words_present(page: &Page<'_>, text: &str, what: &str) {
    let printed: String = page
        .texts()
        .map(|t| t.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let printed = printed.replace(' ', "");
    let wanted = text.replace(' ', "");
    assert!(
        printed.contains(&wanted),
        "{what}: {text:?} is not printed whole"
    );
}

fn each_format(case: &Case, what: &str) {
    let fonts = Fonts::load().unwrap();
    let photos = photos_for(case);
    let org = Organisation::default();
    for lang in Lang::ALL {
        for format in Format::ALL {
            let mut inp = input(case, &photos, &org, lang);
            inp.case_page_url = Some("https://lookout.example/cases/{case_number}");
            let page =
                lay_out(&inp, format).unwrap_or_else(|e| panic!("{what} {format:?} {lang:?}: {e}"));
            let what = format!("{what} {format:?} {lang:?}");
            check(&page, &what, &fonts);
            for c in &case.children {
                all_words_present(&page, &c.name, &what);
            }
            if format.is_print() {
                if let Some(text) = &case.circumstances {
                    all_words_present(&page, text, &what);
                }
                for c in &case.companions {
                    all_words_present(&page, &c.name, &what);
                }
                all_words_present(&page, &case.contact.agency, &what);
            }
        }
    }
}

#[test]
fn the_example_lays_out_cleanly_everywhere() {
    each_format(&example_case(), "example");
}

#[test]
fn the_longest_allowed_values_still_fit_without_cuts_or_overlaps() {
    for n in 1..=3 {
        let case = case_from(&longest_case(n));
        each_format(&case, &format!("longest, {n} children"));
    }
}

/// In an abduction a passer-by can act on the abductor and the car: every screen format of the
/// example shows the abductor's photo, role and name and the vehicle with its plate.
#[test]
fn screen_posters_of_an_abduction_show_the_abductor_and_the_plate() {
    let case = example_case();
    let photos = photos_for(&case);
    let org = Organisation::default();
    let abductor = &case.companions[0];
    let plate = abductor.vehicle.as_ref().unwrap().plate.clone().unwrap();
    for format in Format::ALL.into_iter().filter(|f| !f.is_print()) {
        let page = lay_out(&input(&case, &photos, &org, Lang::En), format).unwrap();
        let what = format!("{format:?}");
        let alts: Vec<&str> = page
            .elements
            .iter()
            .filter_map(|e| match e {
                Element::Photo { alt, .. } => Some(alt.as_str()),
                _ => None,
            })
            .collect();
        assert!(
            alts.contains(&format!("Photo of {}", abductor.name).as_str()),
            "{what}: {alts:?}"
        );
        all_words_present(&page, &abductor.name, &what);
        all_words_present(&page, "ABDUCTOR (father)", &what);
        all_words_present(&page, &plate, &what);
        // the children come first: their photos stand before the abductor's
        assert_eq!(alts.len(), case.children.len() + 1, "{what}: {alts:?}");
    }
    // not an abduction: no abductor is shown, whoever the companions are
    let mut doc = example_json();
    doc["case_type"] = serde_json::json!("endangered_missing");
    let other = case_from(&doc);
    let page = lay_out(&input(&other, &photos, &org, Lang::En), Format::Story).unwrap();
    assert_eq!(page.photo_rects().count(), other.children.len());
}

#[test]
fn one_two_and_three_children_lay_out_cleanly() {
    for n in 1..=3 {
        let mut json = example_json();
        json["children"] = (0..n)
            .map(|i| child(&format!("Child {i}"), "2016-05-01", &format!("gen-{i}.jpg")))
            .collect();
        json["amber_alert"] = serde_json::json!(true);
        each_format(&case_from(&json), &format!("{n} children"));
    }
}

#[test]
fn a_short_case_prints_at_full_size() {
    let case = example_case();
    let photos = photos_for(&case);
    let org = Organisation::default();
    let page = lay_out(&input(&case, &photos, &org, Lang::En), Format::Letter).unwrap();
    assert_eq!(page.scale, 1.0, "the example fits without shrinking");
    let long = case_from(&longest_case(3));
    let photos = photos_for(&long);
    let page = lay_out(&input(&long, &photos, &org, Lang::En), Format::Letter).unwrap();
    assert!(page.scale < 1.0, "the longest case is set smaller");
    let watermark = page
        .elements
        .iter()
        .any(|e| matches!(e, Element::Watermark { .. }));
    assert!(!watermark, "no SAMPLE unless asked");
}

#[test]
#[ignore = "a preview: writes every format of the example and the longest case to $LOOKOUT_PREVIEW_DIR"]
fn write_previews() {
    let dir = std::path::PathBuf::from(
        std::env::var("LOOKOUT_PREVIEW_DIR").unwrap_or("/tmp/lookout-preview".into()),
    );
    std::fs::create_dir_all(&dir).unwrap();
    let org = Organisation::default();
    let mut amber = example_json();
    amber["amber_alert"] = serde_json::json!(true);
    let one = {
        let mut j = example_json();
        j["children"] = serde_json::json!([j["children"][0].clone()]);
        j
    };
    for (name, json) in [
        ("example", example_json()),
        ("longest3", longest_case(3)),
        ("longest1", longest_case(1)),
        ("amber", amber),
        ("one", one),
    ] {
        let case = case_from(&json);
        let photos = photos_for(&case);
        for lang in Lang::ALL {
            for format in Format::ALL {
                let mut inp = input(&case, &photos, &org, lang);
                inp.case_page_url = Some("https://lookout.example/cases/{case_number}");
                inp.mark = (name == "amber").then_some(lookout::posters::Mark::Sample);
                let bytes = lookout::posters::render(&inp, format).unwrap();
                let file = dir.join(format!(
                    "{name}-{}-{}.{}",
                    format.as_str(),
                    lang.code(),
                    format.extension()
                ));
                std::fs::write(file, bytes).unwrap();
            }
        }
    }
}

#[test]
fn a_photo_the_caller_did_not_prepare_is_named_by_its_field() {
    let mut json = example_json();
    json["children"][1]["photos"] = serde_json::json!([{"photo_id": "ph_123"}]);
    let case = case_from(&json);
    let photos = photos_for(&case);
    let mut missing = photos.clone();
    missing.retain(|k, _| *k != lookout::cases::PhotoSource::Id("ph_123".into()));
    let org = Organisation::default();
    let err = lay_out(&input(&case, &missing, &org, Lang::En), Format::Square)
        .err()
        .expect("a missing photo is an error");
    assert_eq!(
        err.to_string(),
        "children[1].photos[0].photo_id: photo missing"
    );
}

/// An Arabic poster mirrors its layout: the first child stands on the right, each photo on the side
/// of its child's name, and a fact's label to the right of its value.
#[test]
fn an_arabic_poster_mirrors_its_layout() {
    let case = example_case();
    let photos = photos_for(&case);
    let org = Organisation::default();
    for format in [Format::Letter, Format::A4, Format::Landscape, Format::Story] {
        let ar = lay_out(&input(&case, &photos, &org, Lang::Ar), format).unwrap();
        let en = lay_out(&input(&case, &photos, &org, Lang::En), format).unwrap();
        // the first line of each child's name
        let names = |page: &Page<'_>| -> Vec<f32> {
            let mut seen = Vec::new();
            page.texts()
                .filter(|t| t.tag.role == Role::Heading && t.tag.section < 20)
                .filter(|t| {
                    let first = !seen.contains(&t.tag.section);
                    seen.push(t.tag.section);
                    first
                })
                .map(|t| t.bounds.x + t.bounds.w / 2.0)
                .collect()
        };
        let (a, e) = (names(&ar), names(&en));
        assert_eq!(a.len(), 2, "{format:?}");
        // in English the first child's name is left of the second's or above it; in Arabic, right
        // of it or above it
        assert!(
            e[0] <= e[1] + 1.0 && a[0] >= a[1] - 1.0,
            "{format:?}: {e:?} {a:?}"
        );
        if (e[0] - e[1]).abs() > 1.0 {
            assert!(a[0] > a[1], "{format:?}: side by side, mirrored");
        }
        if format == Format::Letter {
            // a label and its value on one line: the label is on the right
            let label = ar
                .texts()
                .find(|t| t.text == "تاريخ الميلاد")
                .expect("the date of birth label");
            let value = ar
                .texts()
                .find(|t| {
                    t.tag.section == label.tag.section
                        && (t.baseline - label.baseline).abs() < 0.5
                        && t.text != label.text
                })
                .expect("its value");
            assert!(value.bounds.right() < label.bounds.x, "{label:?} {value:?}");
        }
    }
}
