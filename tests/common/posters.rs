//! Helpers for the poster tests: the example case, generated people and photos, and the real PDF tools.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::NaiveDate;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use lookout::cases::{Case, Lang, PhotoSource, parse_case};
use lookout::config::Organisation;
use lookout::posters::{PosterInput, PreparedPhoto, normalize_photo};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn issue_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

pub fn example_json() -> serde_json::Value {
    let text = std::fs::read_to_string(fixtures().join("case-example.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

pub fn case_from(json: &serde_json::Value) -> Case {
    parse_case(json.to_string().as_bytes(), issue_date()).unwrap_or_else(|e| panic!("{e}"))
}

pub fn example_case() -> Case {
    case_from(&example_json())
}

/// A generated portrait: a coloured background, a face-like disc and shoulders, all from `seed`.
pub fn portrait(width: u32, height: u32, seed: u8) -> RgbImage {
    let bg = Rgb([90 + seed.wrapping_mul(37) % 120, 110, 160 - seed % 60]);
    let skin = Rgb([224, 180 - seed % 40, 150]);
    let shirt = Rgb([40 + seed.wrapping_mul(53) % 180, 60, 90]);
    let (cx, cy, r) = (
        width as f32 / 2.0,
        height as f32 * 0.4,
        width.min(height) as f32 * 0.22,
    );
    RgbImage::from_fn(width, height, |x, y| {
        let (dx, dy) = (x as f32 - cx, y as f32 - cy);
        if dx * dx + dy * dy < r * r {
            skin
        } else if y as f32 > height as f32 * 0.72 && dx.abs() < width as f32 * 0.38 {
            shirt
        } else {
            bg
        }
    })
}

pub fn encode(img: &RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(img.clone())
        .write_to(&mut out, format)
        .unwrap();
    out.into_inner()
}

/// The photos of a case: the fixture files where they exist, generated portraits otherwise.
pub fn photos_for(case: &Case) -> HashMap<PhotoSource, PreparedPhoto> {
    let mut map = HashMap::new();
    for (i, (_, photo)) in case.photos().enumerate() {
        let bytes = match &photo.source {
            PhotoSource::File(f) if fixtures().join(f).exists() => {
                std::fs::read(fixtures().join(f)).unwrap()
            }
            _ => encode(&portrait(600, 800, i as u8), ImageFormat::Jpeg),
        };
        map.insert(photo.source.clone(), normalize_photo(&bytes).unwrap());
    }
    map
}

pub fn input<'a>(
    case: &'a Case,
    photos: &'a HashMap<PhotoSource, PreparedPhoto>,
    org: &'a Organisation,
    lang: Lang,
) -> PosterInput<'a> {
    PosterInput {
        case,
        photos,
        lang,
        issue_date: issue_date(),
        version: 1,
        organisation: org,
        case_page_url: None,
        mark: None,
    }
}

/// A child as the case format writes it, with a generated photo file name.
pub fn child(name: &str, dob: &str, photo: &str) -> serde_json::Value {
    serde_json::json!({
        "name": name, "date_of_birth": dob, "sex": "female", "race": "White",
        "height_cm": 140, "weight_kg": 35, "hair": "Blond", "eyes": "Blue",
        "photos": [{"file": photo}]
    })
}

/// The example case pushed to every limit of the case format.
pub fn longest_case(children: usize) -> serde_json::Value {
    use lookout::cases::limits;
    let mut json = example_json();
    let words = |n: usize, w: &str| -> String {
        let mut s = String::new();
        while s.chars().count() + w.len() < n {
            s.push_str(w);
        }
        s.trim_end().to_string()
    };
    let name = words(limits::NAME, "Wolfeschlegel ");
    let long = words(limits::LONG_TEXT, "Mmmmmmmm wwwwwww ");
    let short = words(limits::SHORT_TEXT, "Wwwwww ");
    let kid = |i: usize| {
        serde_json::json!({
            "name": name, "aliases": vec![words(limits::SHORT_TEXT, "Mmmm "); limits::ALIASES],
            "date_of_birth": "2015-03-02", "sex": "unknown", "race": short, "height_cm": 150,
            "weight_kg": 40, "hair": short, "eyes": short, "marks": long, "clothing": long,
            "photos": [
                {"file": format!("gen-{i}-a.jpg"), "age_progressed_to": 16, "caption": words(limits::CAPTION, "Wwww ")},
                {"file": format!("gen-{i}-b.jpg"), "caption": words(limits::CAPTION, "Wwww ")}
            ]
        })
    };
    json["children"] = (0..children).map(kid).collect();
    json["circumstances"] = serde_json::json!(words(limits::CIRCUMSTANCES, "Wwwwwww mmmmm "));
    let mut comp = json["companions"][0].clone();
    comp["name"] = serde_json::json!(name);
    comp["relation"] = serde_json::json!(short);
    comp["marks"] = serde_json::json!(long);
    comp["clothing"] = serde_json::json!(long);
    comp["aliases"] = serde_json::json!(vec![words(limits::SHORT_TEXT, "Mmmm "); limits::ALIASES]);
    comp["vehicle"]["make"] = serde_json::json!(short);
    comp["vehicle"]["model"] = serde_json::json!(short);
    let mut second = comp.clone();
    second["role"] = serde_json::json!("companion");
    second["photos"] = serde_json::json!([{"file": "gen-companion.jpg"}]);
    json["companions"] = serde_json::json!([comp, second]);
    json["contact"]["agency"] = serde_json::json!(words(limits::AGENCY, "Wwwwwwwww "));
    json["contact"]["phone"] = serde_json::json!("1-703-555-0100 ext. 123456789012");
    json["missing_from"]["city"] = serde_json::json!(short);
    json["case_number"] = serde_json::json!("W".repeat(limits::CASE_NUMBER));
    json
}

/// Whether an external tool is installed; says so on stderr when it is not.
pub fn have(tool: &str) -> bool {
    let ok = Command::new(tool).arg("-v").output().is_ok();
    if !ok {
        // .ci/run installs every tool: a green CI must mean these tests ran
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but {tool} is not installed"
        );
        eprintln!("skipped: {tool} is not installed (CI installs it)");
    }
    ok
}

pub fn write_temp(bytes: &[u8], ext: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("poster.{ext}"));
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

pub fn run(tool: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(tool).args(args).output().unwrap();
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// The text of a PDF as pdftotext gives it, whitespace collapsed to single spaces.
pub fn pdf_text(pdf: &[u8]) -> String {
    let (_dir, path) = write_temp(pdf, "pdf");
    let (ok, text) = run("pdftotext", &[path.to_str().unwrap(), "-"]);
    assert!(ok, "pdftotext failed: {text}");
    collapse(&text)
}

pub fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What the QR code on the first page of `pdf` says, read as a phone would (poppler draws the page,
/// zbarimg reads it); `None` only off CI, when the tools are missing.
pub fn qr_of_pdf(pdf: &[u8]) -> Option<String> {
    if !(have("pdftoppm") && have("zbarimg")) {
        return None;
    }
    let (dir, path) = write_temp(pdf, "pdf");
    let png = dir.path().join("page");
    let (ok, out) = run(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "150",
            "-singlefile",
            path.to_str().unwrap(),
            png.to_str().unwrap(),
        ],
    );
    assert!(ok, "pdftoppm: {out}");
    // stdout alone: zbarimg may warn on stderr about the desktop bus it does not need
    let out = Command::new("zbarimg")
        .args(["--quiet", "--raw"])
        .arg(dir.path().join("page.png"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        out.status.success(),
        "zbarimg found no code: {text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(text)
}
