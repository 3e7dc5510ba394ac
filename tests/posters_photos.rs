//! Photo normalisation: formats, orientation, metadata stripping and hostile files.

#[path = "common/posters.rs"]
mod common;

use std::collections::HashMap;

use common::*;
use image::{ImageFormat, RgbImage};
use lookout::cases::{Lang, PhotoSource};
use lookout::config::Organisation;
use lookout::posters::{Format, PhotoError, normalize_photo, render};

const SERIAL: &str = "SN-LOOKOUT-77231";

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A JPEG carrying an EXIF block with a camera make and serial and a GPS directory.
fn jpeg_with_exif() -> Vec<u8> {
    let plain = encode(&portrait(400, 500, 7), ImageFormat::Jpeg);
    let text = format!("LookoutCam {SERIAL}\0");
    let mut tiff: Vec<u8> = b"MM\0\x2A\0\0\0\x08".to_vec();
    let be16 = |v: u16| v.to_be_bytes();
    let be32 = |v: u32| v.to_be_bytes();
    // IFD0 at 8: Make (ASCII, at 56) and the GPS directory pointer (at 38).
    tiff.extend(be16(2));
    tiff.extend(be16(0x010F));
    tiff.extend(be16(2));
    tiff.extend(be32(text.len() as u32));
    tiff.extend(be32(56));
    tiff.extend(be16(0x8825));
    tiff.extend(be16(4));
    tiff.extend(be32(1));
    tiff.extend(be32(38));
    tiff.extend(be32(0));
    // GPS IFD at 38: GPSLatitudeRef "N".
    tiff.extend(be16(1));
    tiff.extend(be16(0x0001));
    tiff.extend(be16(2));
    tiff.extend(be32(2));
    tiff.extend(*b"N\0\0\0");
    tiff.extend(be32(0));
    assert_eq!(tiff.len(), 56);
    tiff.extend(text.as_bytes());
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff);
    let mut out = plain[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(((app1.len() + 2) as u16).to_be_bytes());
    out.extend(app1);
    out.extend(&plain[2..]);
    out
}

#[test]
fn no_metadata_survives_into_the_photo_or_any_poster() {
    let crafted = jpeg_with_exif();
    assert!(contains(&crafted, SERIAL.as_bytes()) && contains(&crafted, b"Exif"));
    let prepared = normalize_photo(&crafted).unwrap();
    for needle in [SERIAL.as_bytes(), b"Exif", b"LookoutCam"] {
        assert!(
            !contains(&prepared.jpeg, needle),
            "{:?} survived",
            String::from_utf8_lossy(needle)
        );
    }
    let mara = std::fs::read(fixtures().join("photos/mara.jpg")).unwrap();
    assert!(contains(&mara, b"VSN-000123"));
    let mara = normalize_photo(&mara).unwrap();
    assert!(!contains(&mara.jpeg, b"VSN-000123") && !contains(&mara.jpeg, b"SampleCam"));

    // Every poster of a case whose photo carries the serial is free of it.
    let case = example_case();
    let mut photos = photos_for(&case);
    photos.insert(PhotoSource::File("photos/mara.jpg".into()), prepared);
    let org = Organisation::default();
    for format in Format::ALL {
        let bytes = render(&input(&case, &photos, &org, Lang::En), format).unwrap();
        for needle in [SERIAL.as_bytes(), b"Exif", b"SampleCam", b"VSN-000123"] {
            assert!(
                !contains(&bytes, needle),
                "{format:?} poster carries metadata"
            );
        }
    }
}

#[test]
fn a_sideways_photo_is_turned_upright() {
    let bytes = std::fs::read(fixtures().join("photos/mara.jpg")).unwrap();
    let stored = image::load_from_memory(&bytes).unwrap().into_rgb8();
    assert!(
        stored.width() > stored.height(),
        "the fixture is stored sideways"
    );
    let prepared = normalize_photo(&bytes).unwrap();
    assert_eq!((prepared.width, prepared.height), (900, 1200));
    // Orientation 6: the stored pixels turned a quarter clockwise. The result must match that turn
    // and not the opposite one.
    let got = image::load_from_memory(&prepared.jpeg).unwrap().into_rgb8();
    let small = |img: &RgbImage| image::imageops::thumbnail(img, 30, 40);
    let cw = small(&image::imageops::rotate90(&stored));
    let ccw = small(&image::imageops::rotate270(&stored));
    let got = small(&got);
    let diff = |a: &RgbImage, b: &RgbImage| -> u64 {
        a.as_raw()
            .iter()
            .zip(b.as_raw())
            .map(|(x, y)| u64::from(x.abs_diff(*y)))
            .sum()
    };
    assert!(
        diff(&got, &cw) * 3 < diff(&got, &ccw),
        "turned the wrong way"
    );
}

#[test]
fn png_and_webp_are_accepted_by_their_bytes_not_their_names() {
    let img = portrait(300, 400, 3);
    for format in [ImageFormat::Png, ImageFormat::WebP, ImageFormat::Jpeg] {
        let p =
            normalize_photo(&encode(&img, format)).unwrap_or_else(|e| panic!("{format:?}: {e}"));
        assert_eq!((p.width, p.height), (300, 400), "{format:?}");
        assert_eq!(
            &p.jpeg[..3],
            &[0xFF, 0xD8, 0xFF],
            "{format:?} output is JPEG"
        );
    }
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = (data.len() as u32).to_be_bytes().to_vec();
    c.extend(kind);
    c.extend(data);
    let mut body = kind.to_vec();
    body.extend(data);
    c.extend(crc32(&body).to_be_bytes());
    c
}

#[test]
fn a_decompression_bomb_is_refused_before_decoding() {
    // A valid PNG header claiming 30,000×30,000 RGB (2.7 GB of pixels), with a tiny body.
    let mut ihdr = 30_000u32.to_be_bytes().to_vec();
    ihdr.extend(30_000u32.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &ihdr));
    png.extend(chunk(
        b"IDAT",
        &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    png.extend(chunk(b"IEND", &[]));
    match normalize_photo(&png) {
        Err(PhotoError::TooLarge { width, height, .. }) => {
            assert_eq!((width, height), (30_000, 30_000))
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    // A real, highly compressible image just over the side limit is refused too.
    let wide = RgbImage::new(10_001, 8);
    assert!(matches!(
        normalize_photo(&encode(&wide, ImageFormat::Png)),
        Err(PhotoError::TooLarge { .. })
    ));
}

#[test]
fn damaged_and_foreign_files_get_clear_errors() {
    let jpeg = encode(&portrait(300, 400, 1), ImageFormat::Jpeg);
    let err = normalize_photo(&jpeg[..jpeg.len() / 3]).unwrap_err();
    assert!(matches!(err, PhotoError::Corrupt(_)), "{err:?}");
    assert!(
        err.to_string().starts_with("image is damaged or truncated"),
        "{err}"
    );
    let mut corrupt = jpeg.clone();
    for b in corrupt.iter_mut().skip(200).step_by(7) {
        *b = 0xFF;
    }
    assert!(normalize_photo(&corrupt).is_err());
    for garbage in [
        &b"GIF89a not supported"[..],
        b"%PDF-1.7",
        b"\0\0\0\0\0\0\0\0",
    ] {
        assert!(matches!(
            normalize_photo(garbage),
            Err(PhotoError::UnknownFormat)
        ));
    }
    let _: HashMap<u8, u8> = HashMap::new();
}
