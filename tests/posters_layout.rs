//! Layout geometry: every text inside the page margins, none over a photo, nothing cut, for the example
//! and for the longest values the case format allows, in every format and language.

#[path = "common/posters.rs"]
mod common;

use common::*;
use lookout::cases::{Case, Lang};
use lookout::config::Organisation;
use lookout::posters::layout::{Element, Page, Rect, Role, TextRun, section};
use lookout::posters::{Fonts, Format, lay_out};

/// Names set side by side keep at least 0.8 em between them (two names that almost touch read as one).
fn names_apart(texts: &[&TextRun], what: &str) {
    let names: Vec<_> = texts
        .iter()
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

/// Each page on its own: text inside the margins and off the photos, photos apart, names apart.
fn check(page: &Page<'_>, what: &str, fonts: &Fonts) {
    assert!(page.photo_rects().count() > 0, "{what}: no photo");
    let content = page.content_box();
    for (k, elements) in page.pages().enumerate() {
        let what = format!("{what}, page {}", k + 1);
        let texts: Vec<&TextRun> = elements
            .iter()
            .filter_map(|e| match e {
                Element::Text(t) => Some(t),
                _ => None,
            })
            .collect();
        let photos: Vec<Rect> = elements
            .iter()
            .filter_map(|e| match e {
                Element::Photo { rect, .. } => Some(*rect),
                _ => None,
            })
            .collect();
        names_apart(&texts, &what);
        for t in &texts {
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
}

/// Every word of `text` appears, in order, in the page's text runs (so nothing was cut off); a
/// paragraph that goes on on the next page is read across the repeated header and footer.
fn all_words_present(page: &Page<'_>, text: &str, what: &str) {
    let joined = |flow_only: bool| -> String {
        page.texts()
            .filter(|t| {
                !flow_only
                    || ![section::HEADER, section::CONTACT, section::FOOTER]
                        .contains(&t.tag.section)
            })
            .map(|t| t.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
            .replace(' ', "")
    };
    let wanted = text.replace(' ', "");
    assert!(
        joined(true).contains(&wanted) || joined(false).contains(&wanted),
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
                // the facts stay readable: a long case takes a second page instead
                assert!(page.scale >= 0.95 - 1e-4, "{what}: set at {}", page.scale);
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

/// The longest values in Chinese letters, which are wider than Latin ones and break anywhere: the
/// widest text the case format lets in still fits every format and language, so no valid case is
/// refused for its length.
#[test]
fn the_longest_values_in_chinese_letters_fit_too() {
    use lookout::cases::limits;
    let han = |n: usize| "欧阳明华张伟".chars().cycle().take(n).collect::<String>();
    let mut doc = longest_case(3);
    for i in 0..3 {
        let kid = &mut doc["children"][i];
        kid["name"] = serde_json::json!(han(limits::NAME));
        kid["marks"] = serde_json::json!(han(limits::LONG_TEXT));
        kid["clothing"] = serde_json::json!(han(limits::LONG_TEXT));
        kid["hair"] = serde_json::json!(han(limits::SHORT_TEXT));
    }
    for i in 0..2 {
        doc["companions"][i]["name"] = serde_json::json!(han(limits::NAME));
    }
    doc["circumstances"] = serde_json::json!(han(limits::CIRCUMSTANCES));
    doc["contact"]["agency"] = serde_json::json!(han(limits::AGENCY));
    doc["missing_from"]["city"] = serde_json::json!(han(limits::SHORT_TEXT));
    each_format(&case_from(&doc), "longest, in Chinese letters");
}

/// A screen poster keeps its size and leaves the least important parts out (its template says which
/// first) before it sets anything smaller; when it leaves something out it says where the rest is.
#[test]
fn a_screen_poster_that_leaves_something_out_says_more_at_the_case_page() {
    let org = Organisation::default();
    let joined = |page: &Page<'_>| {
        page.texts()
            .map(|t| t.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let example = example_case();
    let photos = photos_for(&example);
    let mut inp = input(&example, &photos, &org, Lang::En);
    inp.case_page_url = Some("https://lookout.example/c/{case_number}");
    let page = lay_out(&inp, Format::Story).unwrap();
    assert!(
        joined(&page).contains("lookout.example/c/2026-004217"),
        "{}",
        joined(&page)
    );
    assert!(!joined(&page).contains("More at"), "nothing was left out");

    let mut doc = longest_case(3);
    doc["case_number"] = serde_json::json!("2026-1");
    let long = case_from(&doc);
    let photos = photos_for(&long);
    let mut inp = input(&long, &photos, &org, Lang::En);
    inp.case_page_url = Some("https://lookout.example/c/{case_number}");
    let mut left_out = 0;
    for format in Format::ALL.into_iter().filter(|f| !f.is_print()) {
        let page = lay_out(&inp, format).unwrap();
        let text = joined(&page);
        // when and where the child went missing is the first part to go
        let dropped = !text.contains("Missing since");
        left_out += usize::from(dropped);
        assert_eq!(
            text.contains("More at lookout.example/c/2026-1"),
            dropped,
            "{format:?}: {text}"
        );
    }
    assert!(
        left_out > 0,
        "the longest case leaves something out somewhere"
    );
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
fn a_short_case_prints_at_full_size_and_a_long_one_on_more_pages() {
    let case = example_case();
    let photos = photos_for(&case);
    let org = Organisation::default();
    let page = lay_out(&input(&case, &photos, &org, Lang::En), Format::Letter).unwrap();
    assert_eq!(page.scale, 1.0, "the example fits without shrinking");
    assert!(page.continuation.is_empty(), "the example is one page");
    let footer = |elements: &[Element]| -> String {
        elements
            .iter()
            .filter_map(|e| match e {
                Element::Text(t) if t.tag.section == section::FOOTER => Some(t.text.as_str()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert!(
        !footer(&page.elements).contains("Page"),
        "one page is not numbered"
    );

    let long = case_from(&longest_case(3));
    let photos = photos_for(&long);
    for format in [Format::Letter, Format::A4] {
        let page = lay_out(&input(&long, &photos, &org, Lang::En), format).unwrap();
        let n = 1 + page.continuation.len();
        assert!(
            n >= 2,
            "{format:?}: the longest case takes more than one page"
        );
        assert_eq!(page.scale, 1.0, "{format:?}: and is set at full size");
        for (k, elements) in page.pages().enumerate() {
            // every page says whose case it is, whom to call and which page it is
            let texts: String = elements
                .iter()
                .filter_map(|e| match e {
                    Element::Text(t) => Some(t.text.as_str()),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join(" ");
            assert!(texts.contains(&long.case_number), "{format:?} page {k}");
            assert!(texts.contains(&org.hotline), "{format:?} page {k}");
            assert!(
                footer(elements).contains(&format!("Page {} of {n}", k + 1)),
                "{format:?} page {k}: {}",
                footer(elements)
            );
            if k > 0 {
                assert!(texts.contains("continued"), "{format:?} page {k}");
            }
        }
    }
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

/// The same Chinese name is drawn in Traditional forms on a Traditional Chinese poster and in
/// Simplified ones on a Simplified Chinese poster; a name with kana in Japanese forms on any.
#[test]
fn cjk_names_are_drawn_in_the_forms_of_their_region() {
    let org = Organisation::default();
    let glyphs_of = |name: &str, lang: Lang| -> Vec<u16> {
        let mut doc = example_json();
        doc["children"][0]["name"] = serde_json::json!(name);
        let case = case_from(&doc);
        let photos = photos_for(&case);
        let page = lay_out(&input(&case, &photos, &org, lang), Format::Letter).unwrap();
        let run = page
            .texts()
            .find(|t| t.text == name)
            .unwrap_or_else(|| panic!("{name} is not printed whole on one line"));
        run.glyphs.iter().map(|g| g.id).collect()
    };
    assert_ne!(
        glyphs_of("李說", Lang::ZhHant),
        glyphs_of("李說", Lang::ZhHans)
    );
    assert_eq!(glyphs_of("李說", Lang::En), glyphs_of("李說", Lang::ZhHans));
    // 骨 with kana beside it is Japanese; alone, the face's default
    assert_ne!(
        glyphs_of("骨川すずこ", Lang::En)[0],
        glyphs_of("骨川", Lang::En)[0]
    );
}
