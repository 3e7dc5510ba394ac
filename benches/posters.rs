//! Poster benchmarks: `cargo bench --bench posters`. Prints the median of repeated runs of
//! - rendering the example case to a letter PDF with its photos already normalised (target ≤ 1.5 ms),
//!   the layout alone (target ≤ 0.5 ms), and the same with the names in Arabic and Hebrew, and in
//!   Chinese (target: no more than 0.5 ms more), and the intake check (every format laid out in
//!   each of the case's languages),
//! - normalising a 12-megapixel phone photo (4032×3024 JPEG, generated; target ≤ 150 ms),
//! - rendering the example case to a square PNG (target ≤ 30 ms),
//!
//! - a weekly digest's bulletin of 40 posters: the cover and the 40 letter PDFs as partners get
//!   them, merged (target ≤ 200 ms); and, for reference, with the 40 posters rendered first,
//!
//! and, for reference, the other formats.

use std::collections::HashMap;
use std::hint::black_box;
use std::io::Cursor;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use lookout::cases::{Lang, PhotoSource, parse_case};
use lookout::config::Organisation;
use lookout::posters::bulletin::{Cover, CoverEntry};
use lookout::posters::{Format, PosterInput, Renderer, normalize_photo, render};

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

/// Run `f` for at least `min_runs` times and about `budget`, after a few warm-up runs.
fn measure(name: &str, min_runs: usize, budget: Duration, mut f: impl FnMut()) {
    for _ in 0..3 {
        f();
    }
    let start = Instant::now();
    let mut runs = Vec::new();
    while runs.len() < min_runs || start.elapsed() < budget {
        let t = Instant::now();
        f();
        runs.push(t.elapsed());
    }
    let m = median(runs.clone());
    println!(
        "{name:<40} median {:>9.3} ms   ({} runs)",
        m.as_secs_f64() * 1e3,
        runs.len()
    );
}

/// Run `pair` (which times a base and a variant, one after the other) for about `budget`; prints
/// the variant's median and the median of its paired differences from the base.
fn measure_extra(name: &str, budget: Duration, mut pair: impl FnMut() -> (Duration, Duration)) {
    for _ in 0..3 {
        pair();
    }
    let start = Instant::now();
    let (mut variant, mut extra) = (Vec::new(), Vec::new());
    while variant.len() < 200 || start.elapsed() < budget {
        let (b, v) = pair();
        variant.push(v.as_secs_f64() * 1e3);
        extra.push((v.as_secs_f64() - b.as_secs_f64()) * 1e3);
    }
    let mid = |mut xs: Vec<f64>| {
        xs.sort_by(f64::total_cmp);
        xs[xs.len() / 2]
    };
    let runs = variant.len();
    println!(
        "{name:<40} median {:>9.3} ms   ({runs} runs; {:+.3} ms over the example, paired)",
        mid(variant),
        mid(extra),
    );
}

/// A deterministic 4032×3024 "phone photo": smooth gradients plus fine texture, so the JPEG is of
/// realistic size (a flat image would decode unrealistically fast).
fn phone_photo() -> Vec<u8> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let img = RgbImage::from_fn(4032, 3024, |x, y| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let noise = (state & 0x1F) as u8;
        Rgb([
            ((x * 255 / 4032) as u8).wrapping_add(noise),
            ((y * 255 / 3024) as u8).wrapping_add(noise / 2),
            (((x + y) / 28) as u8).wrapping_add(noise),
        ])
    });
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(img)
        .write_to(&mut out, ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

fn main() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let json = std::fs::read(fixtures.join("case-example.json")).unwrap();
    let date = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let case = parse_case(&json, date).unwrap();
    let mut photos = HashMap::new();
    for (_, p) in case.photos() {
        if let PhotoSource::File(f) = &p.source {
            let bytes = std::fs::read(fixtures.join(f)).unwrap();
            photos.insert(p.source.clone(), normalize_photo(&bytes).unwrap());
        }
    }
    let org = Organisation::default();
    let input = PosterInput {
        case: &case,
        photos: &photos,
        lang: Lang::En,
        issue_date: date,
        version: 1,
        organisation: &org,
        case_page_url: Some("https://lookout.example/cases/{case_number}"),
        mark: None,
    };
    let second = Duration::from_secs(2);
    println!("lookout poster benchmarks (medians)");
    measure("render letter PDF, example case", 200, second, || {
        black_box(render(&input, Format::Letter).unwrap());
    });
    measure(
        "  of which: lay out letter (no writer)",
        200,
        second,
        || {
            black_box(lookout::posters::lay_out(&input, Format::Letter).unwrap());
        },
    );
    // Each run with a case page address not seen before: what the first poster of a case pays
    // for its QR code, which the renderer then keeps for the case's other posters.
    let mut n = 0u64;
    measure(
        "  lay out letter, its QR code not yet made",
        200,
        second,
        || {
            n += 1;
            let url = format!("https://lookout.example/cases/{{case_number}}?n={n}");
            let fresh = PosterInput {
                case_page_url: Some(&url),
                ..input
            };
            black_box(lookout::posters::lay_out(&fresh, Format::Letter).unwrap());
        },
    );
    // The same case with the children's names in Arabic and Hebrew: what shaping and right-to-left
    // ordering add (target: no more than 0.5 ms).
    let mut scripts = case.clone();
    for (child, name) in scripts.children.iter_mut().zip(["ليلى حسن", "נועה כהן"]) {
        child.name = name.to_string();
    }
    let scripts_input = PosterInput {
        case: &scripts,
        ..input
    };
    // And in Chinese: the CJK face is a CID-keyed CFF, subset apart from the TrueType faces.
    let mut chinese = case.clone();
    for (child, name) in chinese.children.iter_mut().zip(["陈美玲", "陈志明"]) {
        child.name = name.to_string();
    }
    let chinese_input = PosterInput {
        case: &chinese,
        ..input
    };
    // Each against the example case in the same loop, so a busy moment of the machine weighs on
    // both: the extra is the median of the paired differences.
    for (name, variant) in [
        ("names in Arabic and Hebrew", &scripts_input),
        ("names in Chinese", &chinese_input),
    ] {
        measure_extra(&format!("render letter PDF, {name}"), second, || {
            let t = Instant::now();
            black_box(render(&input, Format::Letter).unwrap());
            let base = t.elapsed();
            let t = Instant::now();
            black_box(render(variant, Format::Letter).unwrap());
            (base, t.elapsed())
        });
    }
    // What intake adds to a case's entry: every character checked against the fonts, every format
    // laid out in each of the case's languages.
    measure(
        "intake check: prints and fits, example case",
        50,
        second,
        || {
            black_box(lookout::posters::unprintable(&case).unwrap());
        },
    );
    let phone = phone_photo();
    println!(
        "generated phone photo: 4032x3024 JPEG, {} KB",
        phone.len() / 1024
    );
    measure("normalise 12 MP JPEG", 15, second * 3, || {
        black_box(normalize_photo(&phone).unwrap());
    });
    for format in [
        Format::Square,
        Format::A4,
        Format::Story,
        Format::Landscape,
        Format::Billboard,
        Format::BillboardPoster,
        Format::BillboardWide,
        Format::BillboardSquare,
    ] {
        measure(
            &format!("render {} ({})", format.as_str(), format.extension()),
            20,
            second,
            || {
                black_box(render(&input, format).unwrap());
            },
        );
    }
    let letter = render(&input, Format::Letter).unwrap();
    println!("example letter PDF size: {} KB", letter.len() / 1024);
    bulletin(&case, &input);
}

/// A weekly bulletin: 40 cases (the example under 40 numbers), each for a few stores.
fn bulletin(case: &lookout::cases::Case, input: &PosterInput<'_>) {
    let cases: Vec<lookout::cases::Case> = (0..40)
        .map(|i| {
            let mut c = case.clone();
            c.case_number = format!("2026-W{i:04}");
            c
        })
        .collect();
    let render_all = || -> Vec<Vec<u8>> {
        cases
            .iter()
            .map(|c| {
                let one = PosterInput { case: c, ..*input };
                render(&one, Format::Letter).unwrap()
            })
            .collect()
    };
    let posters = render_all();
    let entries: Vec<CoverEntry> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| CoverEntry {
            case_number: c.case_number.clone(),
            case_type: c.case_type,
            updated: i % 4 == 0,
            version: 1 + (i % 4 == 0) as u32,
            locations: (0..1 + i % 6)
                .map(|s| format!("SAMPLE Store #{s} ({s})"))
                .collect(),
        })
        .collect();
    let cover = Cover {
        lang: Lang::En,
        title: "Poster bulletin for SAMPLE Stores, 2026-11-23",
        date: input.issue_date,
        entries: &entries,
    };
    let renderer = Renderer::shared().unwrap();
    let refs: Vec<&[u8]> = posters.iter().map(Vec::as_slice).collect();
    let pdf = renderer.bulletin(&cover, &refs, Format::Letter).unwrap();
    println!("weekly bulletin: 40 posters, {} KB", pdf.len() / 1024);
    measure(
        "bulletin of 40 rendered posters",
        20,
        Duration::from_secs(3),
        || {
            black_box(renderer.bulletin(&cover, &refs, Format::Letter).unwrap());
        },
    );
    measure(
        "  with the 40 posters rendered first",
        5,
        Duration::from_secs(3),
        || {
            let fresh = render_all();
            let refs: Vec<&[u8]> = fresh.iter().map(Vec::as_slice).collect();
            black_box(renderer.bulletin(&cover, &refs, Format::Letter).unwrap());
        },
    );
}
