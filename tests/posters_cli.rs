//! `lookout render`, run as the real binary.

#[path = "common/posters.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use image::ImageFormat;

fn lookout(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lookout"))
        .arg("render")
        .args(args)
        .env_remove("LOOKOUT_CASE_PAGE_URL")
        .output()
        .unwrap()
}

/// A copy of the example case and its photos in a fresh directory, with `edit` applied to the JSON.
fn case_dir(edit: impl FnOnce(&mut serde_json::Value)) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("photos")).unwrap();
    for p in ["mara.jpg", "tomas.jpg", "daniel.jpg"] {
        std::fs::copy(
            fixtures().join("photos").join(p),
            dir.path().join("photos").join(p),
        )
        .unwrap();
    }
    let mut json = example_json();
    edit(&mut json);
    let case = dir.path().join("case.json");
    std::fs::write(&case, json.to_string()).unwrap();
    (dir, case)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn renders_the_example_letter_by_default() {
    let (dir, case) = case_dir(|_| {});
    let out = dir.path().join("poster.pdf");
    let o = lookout(&["--case", s(&case), "--out", s(&out), "--date", "2026-11-23"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let pdf = std::fs::read(&out).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(pdf.len() < 500 * 1024, "{} bytes", pdf.len());
    if have("pdftotext") {
        let text = pdf_text(&pdf);
        assert!(
            text.contains("Age now 11") || text.contains("Age now"),
            "{text}"
        );
        assert!(text.contains("Issued November 23, 2026"), "{text}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn all_writes_every_format_in_every_language_with_the_right_sizes() {
    let (dir, case) = case_dir(|_| {});
    let out = dir.path().join("posters");
    let o = lookout(&[
        "--case",
        s(&case),
        "--format",
        "all",
        "--out",
        s(&out),
        "--date",
        "2026-11-23",
        "--sample",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 18, "{names:?}");
    assert!(names.contains(&"2026-004217-letter-en.pdf".to_string()));
    assert!(names.contains(&"2026-004217-billboard-es.jpg".to_string()));
    for (format, w, h, kind) in [
        ("square", 1080, 1080, ImageFormat::Png),
        ("story", 1080, 1920, ImageFormat::Png),
        ("landscape", 1200, 628, ImageFormat::Png),
        ("billboard", 1400, 400, ImageFormat::Jpeg),
        ("billboard_poster", 840, 400, ImageFormat::Jpeg),
        ("billboard_wide", 1600, 400, ImageFormat::Jpeg),
        ("billboard_square", 600, 600, ImageFormat::Jpeg),
    ] {
        let ext = if kind == ImageFormat::Png {
            "png"
        } else {
            "jpg"
        };
        let bytes = std::fs::read(out.join(format!("2026-004217-{format}-en.{ext}"))).unwrap();
        assert_eq!(image::guess_format(&bytes).unwrap(), kind, "{format}");
        let img = image::load_from_memory(&bytes).unwrap().into_rgb8();
        assert_eq!(img.dimensions(), (w, h), "{format}");
        // The photo region is not blank: the children's photos put many colours there.
        let (cx, cy) = (w / 4, h / 2);
        let mut colours = std::collections::HashSet::new();
        for y in (cy - h / 8..cy + h / 8).step_by(3) {
            for x in (cx - w / 8..cx + w / 8).step_by(3) {
                colours.insert(img.get_pixel(x, y).0);
            }
        }
        assert!(
            colours.len() > 50,
            "{format}: photo region looks blank ({} colours)",
            colours.len()
        );
    }
}

#[test]
fn a_bad_field_exits_2_naming_it_and_writes_nothing() {
    let (dir, case) =
        case_dir(|j| j["children"][0]["date_of_birth"] = serde_json::json!("yesterday"));
    let out = dir.path().join("poster.pdf");
    let o = lookout(&["--case", s(&case), "--out", s(&out), "--date", "2026-11-23"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("children[0].date_of_birth: not a date"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
}

#[test]
fn a_letter_the_fonts_lack_exits_2_naming_the_field_and_writes_nothing() {
    let (dir, case) = case_dir(|j| j["children"][0]["name"] = serde_json::json!("SAMPLE ሰላም"));
    let out = dir.path().join("poster.pdf");
    let o = lookout(&["--case", s(&case), "--out", s(&out), "--date", "2026-11-23"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("children[0].name: \u{201c}ሰ\u{201d} (U+1230) cannot be printed"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
}

#[test]
fn a_name_too_wide_for_every_size_exits_2_naming_the_field_and_the_format() {
    let too_wide = format!("SAMPLE {}", "\u{FDFD}".repeat(73));
    let (dir, case) = case_dir(|j| j["children"][0]["name"] = serde_json::json!(too_wide));
    let out = dir.path().join("poster.pdf");
    let o = lookout(&["--case", s(&case), "--out", s(&out), "--date", "2026-11-23"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("children[0].name: too long for the")
            && stderr(&o).contains("even at its smallest text size"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
}

#[test]
fn a_damaged_photo_exits_2_and_all_writes_nothing() {
    let (dir, case) = case_dir(|_| {});
    let tomas = dir.path().join("photos/tomas.jpg");
    let bytes = std::fs::read(&tomas).unwrap();
    std::fs::write(&tomas, &bytes[..bytes.len() / 3]).unwrap();
    let out = dir.path().join("posters");
    let o = lookout(&[
        "--case",
        s(&case),
        "--format",
        "all",
        "--out",
        s(&out),
        "--date",
        "2026-11-23",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with("children[1].photos[0].file: image is damaged"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists() || std::fs::read_dir(&out).unwrap().next().is_none());
}

#[test]
fn a_png_named_jpg_still_works_and_garbage_does_not() {
    let (dir, case) = case_dir(|_| {});
    let png = encode(&portrait(300, 400, 9), ImageFormat::Png);
    std::fs::write(dir.path().join("photos/tomas.jpg"), png).unwrap();
    let out = dir.path().join("p.png");
    let o = lookout(&[
        "--case",
        s(&case),
        "--format",
        "square",
        "--out",
        s(&out),
        "--date",
        "2026-11-23",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(
        dir.path().join("photos/tomas.jpg"),
        b"<html>not a photo</html>",
    )
    .unwrap();
    std::fs::remove_file(&out).unwrap();
    let o = lookout(&[
        "--case",
        s(&case),
        "--format",
        "square",
        "--out",
        s(&out),
        "--date",
        "2026-11-23",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("children[1].photos[0].file: not a JPEG, PNG or WebP image"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
}

#[test]
fn bad_flags_and_missing_files_exit_2() {
    let (dir, case) = case_dir(|_| {});
    let out = dir.path().join("p.pdf");
    for (args, wanted) in [
        (vec!["--format", "poster"], "--format:"),
        (vec!["--lang", "de"], "--lang:"),
        (vec!["--date", "23/11/2026"], "--date:"),
    ] {
        let mut all = vec!["--case", s(&case), "--out", s(&out)];
        all.extend(args);
        let o = lookout(&all);
        assert_eq!(o.status.code(), Some(2), "{all:?}");
        assert!(stderr(&o).contains(wanted), "{}", stderr(&o));
    }
    let o = lookout(&["--case", "/nonexistent/case.json", "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(2));
    std::fs::remove_file(dir.path().join("photos/daniel.jpg")).unwrap();
    let o = lookout(&["--case", s(&case), "--out", s(&out), "--date", "2026-11-23"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with("companions[0].photos[0].file: cannot read"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
}

#[test]
fn the_configured_case_page_becomes_a_qr_code_and_the_date_is_respected() {
    let (dir, case) = case_dir(|_| {});
    let config = dir.path().join("lookout.toml");
    std::fs::write(
        &config,
        "case_page_url = \"https://lookout.example/cases/{case_number}\"\n",
    )
    .unwrap();
    let a = dir.path().join("a.pdf");
    let b = dir.path().join("b.pdf");
    for out in [&a, &b] {
        let o = lookout(&[
            "--case",
            s(&case),
            "--out",
            s(out),
            "--date",
            "2026-11-23",
            "--config",
            s(&config),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let (a, b) = (std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
    assert!(a == b, "two runs with the same input differ");
    if have("pdftotext") {
        assert!(pdf_text(&a).contains("Scan for case updates"));
    }
}
