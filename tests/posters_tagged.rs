//! Print posters are tagged PDFs (Section 508 asks for accessible exported PDF): poppler's pdfinfo
//! says "Tagged: yes" and reads the structure tree's text in reading order; the tree, walked here
//! with lopdf, holds the headline, each child's name and facts, the circumstances, the abductor and
//! the contact in that order, each photo with its alternative text, and the language.

#[path = "common/posters.rs"]
mod common;

use common::*;
use lookout::cases::Lang;
use lookout::config::Organisation;
use lookout::posters::{Format, render};
use lopdf::{Dictionary, Document, Object};

fn example_pdf(lang: Lang, format: Format) -> Vec<u8> {
    let case = example_case();
    let photos = photos_for(&case);
    let org = Organisation::default();
    render(&input(&case, &photos, &org, lang), format).unwrap()
}

fn dict<'a>(doc: &'a Document, o: &'a Object) -> &'a Dictionary {
    match o {
        Object::Reference(id) => doc.get_dictionary(*id).unwrap(),
        Object::Dictionary(d) => d,
        other => panic!("not a dictionary: {other:?}"),
    }
}

fn text(o: &Object) -> String {
    let Object::String(bytes, _) = o else {
        panic!("not a string: {o:?}")
    };
    match bytes.strip_prefix(&[0xFE, 0xFF]) {
        Some(utf16) => String::from_utf16(
            &utf16
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect::<Vec<_>>(),
        )
        .unwrap(),
        None => String::from_utf8(bytes.clone()).unwrap(),
    }
}

/// Every structure element under `o`, depth first (the reading order): its type and its Alt.
fn walk(doc: &Document, o: &Object, out: &mut Vec<(String, Option<String>)>) {
    let d = dict(doc, o);
    let kind = d.get(b"S").unwrap().as_name().unwrap();
    out.push((
        String::from_utf8_lossy(kind).into_owned(),
        d.get(b"Alt").ok().map(text),
    ));
    if let Ok(Object::Array(kids)) = d.get(b"K") {
        for k in kids {
            if matches!(k, Object::Reference(_) | Object::Dictionary(_)) {
                walk(doc, k, out);
            }
        }
    } else if let Ok(k @ Object::Reference(_)) = d.get(b"K") {
        walk(doc, k, out);
    }
}

fn structure(pdf: &[u8]) -> (Document, Vec<(String, Option<String>)>) {
    let doc = Document::load_mem(pdf).unwrap();
    let root = doc.catalog().unwrap();
    let tree = dict(&doc, root.get(b"StructTreeRoot").unwrap());
    let mut out = Vec::new();
    walk(&doc, tree.get(b"K").unwrap(), &mut out);
    (doc, out)
}

#[test]
fn the_structure_tree_reads_in_order_with_alternative_texts() {
    let case = example_case();
    for (lang, photo_of) in [(Lang::En, "Photo of"), (Lang::Es, "Foto de")] {
        for format in [Format::Letter, Format::A4] {
            let pdf = example_pdf(lang, format);
            let (doc, elements) = structure(&pdf);
            let root = doc.catalog().unwrap();
            assert_eq!(text(root.get(b"Lang").unwrap()), lang.bcp47());
            let marked = dict(&doc, root.get(b"MarkInfo").unwrap());
            assert_eq!(marked.get(b"Marked").unwrap(), &Object::Boolean(true));

            let kinds: Vec<&str> = elements.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(kinds[0], "Document");
            let first_leaf = kinds.iter().find(|k| !matches!(**k, "Document" | "Sect"));
            assert_eq!(first_leaf, Some(&"H1"), "the headline first: {kinds:?}");
            // every photo has its alternative text, in the order the people appear
            let alts: Vec<&str> = elements
                .iter()
                .filter(|(k, _)| k == "Figure")
                .map(|(_, a)| a.as_deref().expect("a figure without Alt"))
                .collect();
            let people: Vec<String> = case
                .children
                .iter()
                .map(|c| c.name.clone())
                .chain(case.companions.iter().map(|c| c.name.clone()))
                .collect();
            let expected: Vec<String> = people.iter().map(|n| format!("{photo_of} {n}")).collect();
            assert_eq!(alts, expected, "{lang:?} {format:?}");
            assert_eq!(kinds.iter().filter(|k| **k == "H1").count(), 1);
            // each person's facts are a table: a row per fact, headed by its label
            let count = |kind: &str| kinds.iter().filter(|k| **k == kind).count();
            assert_eq!(count("Table"), people.len(), "{kinds:?}");
            assert!(count("TR") >= 5 * people.len(), "{kinds:?}");
            assert_eq!(count("TH"), count("TR"));
            assert_eq!(count("TD"), count("TR"));
            assert!(kinds.iter().filter(|k| **k == "H2").count() >= people.len());
        }
    }
}

#[test]
fn pdfinfo_reads_a_tagged_poster_in_reading_order() {
    if !have("pdfinfo") {
        return;
    }
    let case = example_case();
    let pdf = example_pdf(Lang::En, Format::Letter);
    let (_dir, path) = write_temp(&pdf, "pdf");
    let path = path.to_str().unwrap();
    let (ok, info) = run("pdfinfo", &[path]);
    assert!(ok, "{info}");
    assert!(
        info.lines()
            .any(|l| l.starts_with("Tagged:") && l.ends_with("yes")),
        "{info}"
    );
    let title = info
        .lines()
        .find_map(|l| l.strip_prefix("Title:"))
        .unwrap_or_default()
        .trim()
        .to_string();
    for c in &case.children {
        assert!(
            title.contains(&c.name),
            "the title names {}: {title}",
            c.name
        );
    }
    assert!(title.contains(&case.case_number), "{title}");
    // the same title, and the language, in the XMP metadata where PDF/UA readers look
    let (ok, xmp) = run("pdfinfo", &["-meta", path]);
    assert!(ok, "{xmp}");
    assert!(
        xmp.contains(&format!("<rdf:li xml:lang=\"x-default\">{title}</rdf:li>"))
            && xmp.contains("<rdf:li>en-US</rdf:li>"),
        "{xmp}"
    );

    let (ok, tree) = run("pdfinfo", &["-struct-text", path]);
    assert!(ok, "{tree}");
    let flat = collapse(&tree);
    // where each thing first appears in the structure's text: the reading order
    let at = |needle: &str| {
        flat.find(needle)
            .unwrap_or_else(|| panic!("{needle:?} not in the structure:\n{tree}"))
    };
    // the title starts with the headline
    let headline = title.split(':').next().unwrap();
    let order = [
        at(headline),
        at(&case.children[0].name),
        at(&case.children[1].name),
        at(&collapse(case.circumstances.as_deref().unwrap())[..40]),
        at(&case.companions[0].name),
        at(&case.contact.phone),
        at(&format!("Case {}", case.case_number)),
    ];
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "reading order {order:?}:\n{tree}"
    );
}

/// A case too long for one page at a readable size goes on over more pages: each says which page
/// it is, whose case and whom to call; the structure tree reads the whole case once, in order, and
/// leaves out what a continuation page repeats.
#[test]
fn a_long_case_goes_on_over_pages_and_reads_once_in_order() {
    if !have("pdfinfo") || !have("qpdf") {
        return;
    }
    let mut doc = longest_case(3);
    for (i, name) in ["Alpha Sample", "Bravo Sample", "Charlie Sample"]
        .iter()
        .enumerate()
    {
        doc["children"][i]["name"] = serde_json::json!(name);
    }
    doc["companions"][0]["name"] = serde_json::json!("Delta Sample");
    doc["companions"][1]["name"] = serde_json::json!("Echo Sample");
    let case = case_from(&doc);
    let photos = photos_for(&case);
    let org = Organisation::default();
    let pdf = render(&input(&case, &photos, &org, Lang::En), Format::Letter).unwrap();
    let (_dir, path) = write_temp(&pdf, "pdf");
    let path = path.to_str().unwrap();
    let (ok, check) = run("qpdf", &["--check", path]);
    assert!(ok, "{check}");
    let (ok, info) = run("pdfinfo", &[path]);
    assert!(ok, "{info}");
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap();
    assert!(pages >= 2, "{info}");
    for k in 1..=pages {
        let k = k.to_string();
        let (ok, text) = run("pdftotext", &["-f", &k, "-l", &k, path, "-"]);
        assert!(ok, "{text}");
        let text = collapse(&text);
        for wanted in [
            format!("Page {k} of {pages}"),
            case.case_number.clone(),
            "1-800-THE-LOST".to_string(),
        ] {
            assert!(text.contains(&wanted), "page {k} lacks {wanted:?}: {text}");
        }
    }
    let (ok, tree) = run("pdfinfo", &["-struct-text", path]);
    assert!(ok, "{tree}");
    let flat = collapse(&tree);
    assert_eq!(
        flat.matches("1-800-THE-LOST").count(),
        1,
        "the contact is read once: {flat}"
    );
    let at = |needle: &str| {
        flat.find(needle)
            .unwrap_or_else(|| panic!("{needle:?} not in the structure: {flat}"))
    };
    let order = [
        at("Alpha Sample"),
        at("Bravo Sample"),
        at("Charlie Sample"),
        at("Wwwwwww mmmmm"),
        at("Delta Sample"),
        at("Echo Sample"),
        at("1-800-THE-LOST"),
    ];
    assert!(order.is_sorted(), "{order:?}: {flat}");
}
