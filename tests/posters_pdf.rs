//! Print posters checked by real tools: qpdf, pdftotext, pdfimages, pdffonts.

#[path = "common/posters.rs"]
mod common;

use common::*;
use lookout::cases::{Lang, age_on, cm_to_feet_inches, kg_to_pounds};
use lookout::config::Organisation;
use lookout::posters::{Format, Mark, lay_out, layout::Element, render};

/// Every value of the example case that a print poster must show, as the oracle for pdftotext.
fn printed_values(lang: Lang) -> Vec<String> {
    let case = example_case();
    let mut v = vec![
        case.case_number.clone(),
        "1-800-THE-LOST (1-800-843-5678)".into(),
    ];
    v.push("National Center for Missing & Exploited Children".into());
    v.push(format!("{} (Virginia)", case.contact.agency));
    v.push(case.contact.phone.clone());
    v.push(case.missing_from.display());
    v.push(collapse(case.circumstances.as_deref().unwrap()));
    for c in &case.children {
        v.push(c.name.clone());
        v.extend(c.aliases.iter().cloned());
        v.push(age_on(c.date_of_birth.0, issue_date()).to_string());
        let (ft, inch) = cm_to_feet_inches(c.height_cm.unwrap());
        v.push(match lang {
            Lang::En => format!("{ft} ft {inch} in"),
            Lang::Es => format!("{ft} pies {inch} pulg."),
            Lang::Fr => format!("{ft} pi {inch} po"),
            Lang::Vi => format!("{ft} ft {inch} in"),
            Lang::Tl => format!("{ft} talampakan {inch} pulgada"),
            Lang::ZhHans | Lang::ZhHant => format!("{ft}英尺{inch}英寸"),
            Lang::Ko => format!("{ft}피트 {inch}인치"),
            Lang::Ar => format!("{ft} قدم {inch} بوصة"),
        });
        let lb = kg_to_pounds(c.weight_kg.unwrap());
        v.push(match lang {
            Lang::ZhHans | Lang::ZhHant => format!("{lb}磅"),
            Lang::Ko => format!("{lb}파운드"),
            _ => format!("{lb} lb"),
        });
        v.extend([&c.marks, &c.clothing].into_iter().flatten().cloned());
        if lang == Lang::En {
            v.extend([&c.race, &c.hair, &c.eyes].into_iter().flatten().cloned());
        }
    }
    let d = &case.companions[0];
    v.push(d.name.clone());
    v.push(d.relation.clone().unwrap());
    let vehicle = d.vehicle.as_ref().unwrap();
    v.push(vehicle.description());
    v.push(format!(
        "{} ({})",
        vehicle.plate.as_ref().unwrap(),
        vehicle.plate_region.as_ref().unwrap()
    ));
    v
}

fn example_pdf(lang: Lang, format: Format) -> Vec<u8> {
    let case = example_case();
    let photos = photos_for(&case);
    let org = Organisation::default();
    render(&input(&case, &photos, &org, lang), format).unwrap()
}

#[test]
fn example_letter_passes_qpdf_and_shows_every_field() {
    let pdf = example_pdf(Lang::En, Format::Letter);
    assert!(pdf.len() < 500 * 1024, "letter PDF is {} bytes", pdf.len());
    if !have("qpdf") || !have("pdftotext") {
        return;
    }
    let (_dir, path) = write_temp(&pdf, "pdf");
    let (ok, out) = run("qpdf", &["--check", path.to_str().unwrap()]);
    assert!(ok, "qpdf --check: {out}");
    let text = pdf_text(&pdf);
    for value in printed_values(Lang::En) {
        assert!(text.contains(&value), "pdftotext lacks {value:?}\n{text}");
    }
    for label in [
        "FAMILY ABDUCTION",
        "Missing since November 18, 2026, 9:30 PM from Alexandria, VA, US",
        "Date of birth",
        "March 2, 2015",
        "Age now",
        "Also known as",
        "ABDUCTOR (father)",
        "Issued November 23, 2026",
        "Version 1",
        "Female",
        "Male",
    ] {
        assert!(text.contains(label), "pdftotext lacks {label:?}\n{text}");
    }
    assert!(
        !text.contains("AMBER ALERT"),
        "no AMBER band unless the case says so"
    );
}

#[test]
fn spanish_poster_is_complete() {
    if !have("pdftotext") {
        return;
    }
    let text = pdf_text(&example_pdf(Lang::Es, Format::Letter));
    for value in printed_values(Lang::Es) {
        assert!(text.contains(&value), "pdftotext lacks {value:?}\n{text}");
    }
    for label in [
        "SUSTRACCIÓN FAMILIAR",
        "18 de noviembre de 2026, 21:30 h",
        "Fecha de nacimiento",
        "2 de marzo de 2015",
        "Edad actual",
        "Estatura",
        "Castaño",
        "Marrones",
        "Hispano",
        "SUSTRACTOR (father)",
        "SI TIENE INFORMACIÓN, COMUNÍQUESE CON",
        "Emitido el 23 de noviembre de 2026",
        "Femenino",
    ] {
        assert!(text.contains(label), "pdftotext lacks {label:?}\n{text}");
    }
    for english in ["Date of birth", "Missing since", "Height", "Hair"] {
        assert!(
            !text.contains(english),
            "English label {english:?} on the Spanish poster"
        );
    }
}

/// The French, Vietnamese and Tagalog posters show every value and their own words, none English.
#[test]
fn french_vietnamese_tagalog_chinese_and_korean_posters_are_complete() {
    if !have("pdftotext") {
        return;
    }
    for (lang, labels) in [
        (
            Lang::Fr,
            &[
                "ENLÈVEMENT FAMILIAL",
                "18 novembre 2026, 21 h 30",
                "Date de naissance",
                "2 mars 2015",
            ][..],
        ),
        (
            Lang::Vi,
            &[
                "BỊ NGƯỜI THÂN BẮT CÓC",
                "ngày 18 tháng 11 năm 2026",
                "Ngày sinh",
                "AI CÓ THÔNG TIN XIN LIÊN LẠC",
            ][..],
        ),
        (
            Lang::Tl,
            &[
                "DINUKOT NG KAPAMILYA",
                "Nobyembre 18, 2026",
                "Petsa ng kapanganakan",
                "Marso 2, 2015",
            ][..],
        ),
        (
            Lang::ZhHans,
            &[
                "遭亲属绑架",
                "2026年11月18日",
                "出生日期",
                "2015年3月2日",
                "体重",
            ][..],
        ),
        (
            Lang::ZhHant,
            &[
                "遭親屬綁架",
                "2026年11月18日",
                "出生日期",
                "2015年3月2日",
                "體重",
            ][..],
        ),
        (
            Lang::Ko,
            &[
                "가족에 의한 납치",
                "2026년 11월 18일",
                "생년월일",
                "2015년 3월 2일",
                "체중",
            ][..],
        ),
    ] {
        let text = pdf_text(&example_pdf(lang, Format::Letter));
        for value in printed_values(lang)
            .iter()
            .map(String::as_str)
            .chain(labels.iter().copied())
        {
            assert!(
                text.contains(value),
                "{lang:?}: pdftotext lacks {value:?}\n{text}"
            );
        }
        for english in ["Date of birth", "Missing since", "Hair", "FAMILY ABDUCTION"] {
            assert!(!text.contains(english), "{lang:?}: English {english:?}");
        }
    }
}

/// The Arabic poster reads back in Arabic, in reading order: its headline, its labels, and the
/// children's names and the case number as entered.
#[test]
fn the_arabic_poster_reads_back_in_arabic() {
    if !have("pdftotext") {
        return;
    }
    let text = pdf_text(&example_pdf(Lang::Ar, Format::Letter));
    // The case number is drawn "2026-004217", as the bidirectional algorithm orders a number
    // with a hyphen; poppler reorders such a number in a right-to-left line by a rule of its own
    // ("004217-2026"), so only its parts are looked for.
    for value in [
        "اختطاف على يد أحد أفراد الأسرة",
        "تاريخ الميلاد",
        "أنثى",
        "نوفمبر",
        "Mara Ortega",
        "Tomás Ortega",
        "004217",
    ] {
        assert!(text.contains(value), "pdftotext lacks {value:?}\n{text}");
    }
    for english in ["Date of birth", "FAMILY ABDUCTION"] {
        assert!(!text.contains(english), "English {english:?}");
    }
}

#[test]
fn photos_are_jpeg_and_fonts_embedded_and_subset() {
    if !have("pdfimages") || !have("pdffonts") {
        return;
    }
    for format in [Format::Letter, Format::A4] {
        let pdf = example_pdf(Lang::En, format);
        let (_dir, path) = write_temp(&pdf, "pdf");
        let (ok, list) = run("pdfimages", &["-list", path.to_str().unwrap()]);
        assert!(ok, "{list}");
        let rows: Vec<&str> = list
            .lines()
            .skip(2)
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert_eq!(rows.len(), 3, "three photos in the example:\n{list}");
        for row in rows {
            assert_eq!(row.split_whitespace().nth(8), Some("jpeg"), "{row}");
        }
        let (ok, fonts) = run("pdffonts", &[path.to_str().unwrap()]);
        assert!(ok, "{fonts}");
        let rows: Vec<&str> = fonts
            .lines()
            .skip(2)
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert_eq!(rows.len(), 2, "regular and bold:\n{fonts}");
        for row in rows {
            let cols: Vec<&str> = row.split_whitespace().collect();
            let n = cols.len();
            assert_eq!(
                &cols[n - 5..n - 2],
                &["yes", "yes", "yes"],
                "emb sub uni: {row}"
            );
            assert!(
                cols[0].contains('+') && cols[0].contains("DejaVuSans"),
                "{row}"
            );
        }
    }
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let case = example_case();
    let photos = photos_for(&case);
    let org = Organisation::default();
    for format in Format::ALL {
        let a = render(&input(&case, &photos, &org, Lang::En), format).unwrap();
        let b = render(&input(&case, &photos, &org, Lang::En), format).unwrap();
        assert!(a == b, "{format:?} differs between two renders");
    }
    // Photos normalised again from their files give the same poster too.
    let again = photos_for(&case);
    let a = render(&input(&case, &photos, &org, Lang::En), Format::Letter).unwrap();
    assert!(a == render(&input(&case, &again, &org, Lang::En), Format::Letter).unwrap());
    assert_ne!(
        a,
        render(&input(&case, &photos, &org, Lang::Es), Format::Letter).unwrap()
    );
}

#[test]
fn names_in_other_scripts_come_back_from_pdftotext() {
    let mut json = example_json();
    let names = [
        "Nguyễn Thị Ánh",
        "Σοφία Παπαδοπούλου",
        "Анастасия Кузнецова",
    ];
    json["children"] = names
        .iter()
        .enumerate()
        .map(|(i, n)| child(n, &format!("2016-05-0{}", i + 1), &format!("gen-{i}.jpg")))
        .collect();
    let case = case_from(&json);
    let photos = photos_for(&case);
    let org = Organisation::default();
    let pdf = render(&input(&case, &photos, &org, Lang::En), Format::Letter).unwrap();
    if !have("pdftotext") {
        return;
    }
    let text = pdf_text(&pdf);
    // A long name may wrap inside its column, so each word must come back whole.
    for word in names.iter().flat_map(|n| n.split(' ')) {
        assert!(text.contains(word), "pdftotext lacks {word:?}\n{text}");
    }
}

/// A letter poster of the example case with these children's names and circumstances.
fn letter_with_names(names: &[&str], circumstances: &str) -> Vec<u8> {
    let mut json = example_json();
    json["children"] = names
        .iter()
        .enumerate()
        .map(|(i, n)| child(n, &format!("2016-05-0{}", i + 1), &format!("gen-{i}.jpg")))
        .collect();
    json["circumstances"] = serde_json::json!(circumstances);
    let case = case_from(&json);
    let photos = photos_for(&case);
    let org = Organisation::default();
    render(&input(&case, &photos, &org, Lang::En), Format::Letter).unwrap()
}

/// Every word of `names` comes back from pdftotext whole, and each of `faces` is embedded as a
/// subset.
fn assert_names_and_faces(pdf: &[u8], names: &[&str], faces: &[&str]) -> String {
    let text = pdf_text(pdf);
    for word in names.iter().flat_map(|n| n.split(' ')) {
        assert!(text.contains(word), "pdftotext lacks {word:?}\n{text}");
    }
    let (_dir, path) = write_temp(pdf, "pdf");
    let (ok, fonts) = run("pdffonts", &[path.to_str().unwrap()]);
    assert!(ok, "{fonts}");
    for face in faces {
        assert!(
            fonts.lines().any(|l| l.contains(face) && l.contains('+')),
            "{face} not embedded as a subset:\n{fonts}"
        );
    }
    text
}

/// Names in scripts that are shaped and run right to left come back from the text layer in
/// the order they are written (logical order), each word whole; and the faces that drew them are
/// embedded as subsets.
#[test]
fn shaped_and_right_to_left_names_come_back_in_logical_order() {
    let names = ["ليلى حسن", "נועה כהן", "अनन्या क्षत्रिय"];
    // a bidirectional line: English with an Arabic name inside it
    let line = "They were last seen with ليلى حسن near the station.";
    let pdf = letter_with_names(&names, line);
    if !have("pdftotext") || !have("pdffonts") {
        return;
    }
    let faces = ["NotoSansArabic", "NotoSansHebrew", "NotoSansDevanagari"];
    let text = assert_names_and_faces(&pdf, &names, &faces);
    // Every character in reading order; poppler places the spaces at the edges of a right-to-left
    // stretch by its own rule, so they are left out of the comparison.
    let bare = |t: &str| -> String {
        t.chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '\u{202b}' | '\u{202c}'))
            .collect()
    };
    assert!(
        bare(&text).contains(&bare(line)),
        "pdftotext lacks {line:?}\n{text}"
    );
}

/// Chinese (simplified and traditional), Korean and Japanese names print and come back.
#[test]
fn chinese_korean_and_japanese_names_come_back() {
    let names = ["王秀英", "김민지", "佐藤 さくら"];
    let line = "They were last seen with 陳美玲 near the station.";
    let pdf = letter_with_names(&names, line);
    if !have("pdftotext") || !have("pdffonts") {
        return;
    }
    let text = assert_names_and_faces(&pdf, &names, &["NotoSansCJKsc"]);
    assert!(text.contains(line), "pdftotext lacks {line:?}\n{text}");
    // the names (bold) and the circumstances (regular) are one file, embedded once
    let (_dir, path) = write_temp(&pdf, "pdf");
    let (_, fonts) = run("pdffonts", &[path.to_str().unwrap()]);
    assert_eq!(
        fonts
            .lines()
            .filter(|l| l.contains("NotoSansCJKsc"))
            .count(),
        1,
        "{fonts}"
    );
}

#[test]
fn one_two_and_three_children_each_get_a_photo_and_a_name() {
    for n in 1..=3usize {
        let mut json = example_json();
        json["children"] = (0..n)
            .map(|i| {
                child(
                    &format!("Child Number{i}"),
                    "2016-05-01",
                    &format!("gen-{i}.jpg"),
                )
            })
            .collect();
        let case = case_from(&json);
        let photos = photos_for(&case);
        let org = Organisation::default();
        let pdf = render(&input(&case, &photos, &org, Lang::En), Format::Letter).unwrap();
        if have("pdfimages") {
            let (_dir, path) = write_temp(&pdf, "pdf");
            let (_, list) = run("pdfimages", &["-list", path.to_str().unwrap()]);
            let count = list
                .lines()
                .skip(2)
                .filter(|l| !l.trim().is_empty())
                .count();
            assert_eq!(count, n + 1, "{n} children and the abductor:\n{list}");
        }
        if have("pdftotext") {
            let text = pdf_text(&pdf);
            for i in 0..n {
                assert!(text.contains(&format!("Child Number{i}")), "{text}");
            }
        }
    }
}

#[test]
fn amber_alert_sample_and_qr_code_appear_when_asked() {
    let mut json = example_json();
    json["amber_alert"] = serde_json::json!(true);
    let case = case_from(&json);
    let photos = photos_for(&case);
    let org = Organisation::default();
    let mut inp = input(&case, &photos, &org, Lang::En);
    inp.mark = Some(Mark::Sample);
    inp.case_page_url = Some("https://lookout.example/cases/{case_number}");
    let page = lay_out(&inp, Format::Letter).unwrap();
    let qr = page
        .elements
        .iter()
        .filter(|e| matches!(e, Element::Qr { .. }))
        .count();
    assert_eq!(qr, 1);
    assert!(
        matches!(page.elements.last(), Some(Element::Watermark { .. })),
        "SAMPLE is drawn last"
    );
    let pdf = render(&inp, Format::Letter).unwrap();
    if have("pdftotext") {
        let text = pdf_text(&pdf);
        // SAMPLE runs diagonally, which pdftotext reads as scattered letters; the layout test above
        // checks it is drawn, and these check the rest.
        for s in ["AMBER ALERT", "Scan for case updates"] {
            assert!(text.contains(s), "pdftotext lacks {s:?}\n{text}");
        }
    }
    // a test send's poster says TEST, in the poster's language
    for (lang, word) in [(Lang::En, "TEST"), (Lang::Es, "PRUEBA")] {
        let mut inp = input(&case, &photos, &org, lang);
        inp.mark = Some(Mark::Test);
        let page = lay_out(&inp, Format::Letter).unwrap();
        match page.elements.last() {
            Some(Element::Watermark { run, .. }) => assert_eq!(run.text, word),
            other => panic!("no {word} mark last: {other:?}"),
        }
    }
    inp.case_page_url = None;
    let page = lay_out(&inp, Format::Letter).unwrap();
    assert!(
        !page
            .elements
            .iter()
            .any(|e| matches!(e, Element::Qr { .. }))
    );
}

/// A Spanish or French headline agrees with who is missing: a girl, a boy, several girls, boys and
/// girls.
#[test]
fn headlines_agree_with_the_children() {
    if !have("pdftotext") {
        return;
    }
    let org = Organisation::default();
    for (lang, sexes, headline) in [
        (Lang::Es, &["female"][..], "DESAPARECIDA EN PELIGRO"),
        (Lang::Es, &["male"][..], "DESAPARECIDO EN PELIGRO"),
        (
            Lang::Es,
            &["female", "female"][..],
            "DESAPARECIDAS EN PELIGRO",
        ),
        (
            Lang::Es,
            &["female", "male"][..],
            "DESAPARECIDOS EN PELIGRO",
        ),
        (Lang::Fr, &["female"][..], "DISPARUE EN DANGER"),
        (Lang::Fr, &["male"][..], "DISPARU EN DANGER"),
        (Lang::Fr, &["female", "female"][..], "DISPARUES EN DANGER"),
        (Lang::Fr, &["female", "male"][..], "DISPARUS EN DANGER"),
    ] {
        let mut doc = example_json();
        doc["case_type"] = serde_json::json!("endangered_missing");
        let first = doc["children"][0].clone();
        doc["children"] = serde_json::Value::Array(
            sexes
                .iter()
                .map(|sex| {
                    let mut c = first.clone();
                    c["sex"] = serde_json::json!(sex);
                    c
                })
                .collect(),
        );
        let case = case_from(&doc);
        let photos = photos_for(&case);
        let pdf = render(&input(&case, &photos, &org, lang), Format::Letter).unwrap();
        let text = pdf_text(&pdf);
        assert!(
            text.contains(headline),
            "{lang:?} {sexes:?}: no {headline:?}\n{text}"
        );
    }
}
