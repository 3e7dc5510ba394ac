//! Photo normalisation: a user's JPEG, PNG or WebP in; an upright, metadata-free JPEG sized for the
//! largest poster slot out. Done once per photo so rendering can pass the JPEG through as it is.

use std::io::Cursor;

use fast_image_resize::images::Image as FirImage;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::codecs::jpeg::JpegEncoder;
use image::{
    DynamicImage, ExtendedColorType, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits,
    RgbImage,
};

/// Longest side of a prepared photo: the largest slot (a one-child letter poster, about 3.5 × 4.9 in)
/// at about 300 dpi when the photo is portrait. Larger would only make every PDF heavier.
pub const PRINT_LONG_SIDE: u32 = 1200;
/// The largest photo accepted, a side; modern phones shoot at most about 8,000 px.
pub const MAX_SIDE: u32 = 10_000;
/// Memory the decoder may use, which bounds what a decompression bomb can cost.
pub const MAX_ALLOC: u64 = 300 * 1024 * 1024;
const JPEG_QUALITY: u8 = 85;

/// A photo made ready for posters: upright, stripped of all metadata, scaled for print, JPEG.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedPhoto {
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    #[error("not a JPEG, PNG or WebP image")]
    UnknownFormat,
    #[error("image is damaged or truncated: {0}")]
    Corrupt(String),
    #[error("image is too large ({width}×{height}); at most {max} pixels a side")]
    TooLarge { width: u32, height: u32, max: u32 },
    #[error("image is empty (no pixels)")]
    Empty,
    #[error("image could not be re-encoded: {0}")]
    Encode(String),
}

/// Decode a user's photo, apply its EXIF orientation, drop its metadata and scale it for print.
pub fn normalize_photo(bytes: &[u8]) -> Result<PreparedPhoto, PhotoError> {
    let image = decode_upright(bytes)?;
    let rgb = flatten(image);
    let rgb = shrink(rgb, PRINT_LONG_SIDE)?;
    let (width, height) = rgb.dimensions();
    let mut jpeg = Vec::with_capacity((width * height / 4) as usize);
    // Encoding from pixels writes a fresh JFIF file: nothing of the source's EXIF, GPS or maker notes
    // can survive, because none of it is ever read into what is written.
    JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY)
        .encode(rgb.as_raw(), width, height, ExtendedColorType::Rgb8)
        .map_err(|e| PhotoError::Encode(e.to_string()))?;
    Ok(PreparedPhoto {
        jpeg,
        width,
        height,
    })
}

/// Decode any accepted format (sniffed from the bytes, never from a file name) within the limits,
/// and turn it upright.
pub fn decode_upright(bytes: &[u8]) -> Result<DynamicImage, PhotoError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| PhotoError::Corrupt(e.to_string()))?;
    match reader.format() {
        None => return Err(PhotoError::UnknownFormat),
        Some(ImageFormat::Jpeg) if !jpeg_is_complete(bytes) => {
            return Err(PhotoError::Corrupt(
                "the JPEG stops before its end-of-image marker".into(),
            ));
        }
        Some(_) => {}
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| match e {
        ImageError::Limits(_) => too_large(bytes),
        other => classify(other),
    })?;
    let (width, height) = decoder.dimensions();
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(PhotoError::TooLarge {
            width,
            height,
            max: MAX_SIDE,
        });
    }
    if width == 0 || height == 0 {
        return Err(PhotoError::Empty);
    }
    // A photo whose orientation tag is unreadable is still a photo: show it as stored.
    let orientation = decoder.orientation().ok();
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        ImageError::Limits(_) => PhotoError::TooLarge {
            width,
            height,
            max: MAX_SIDE,
        },
        other => classify(other),
    })?;
    if let Some(o) = orientation {
        image.apply_orientation(o);
    }
    Ok(image)
}

/// Whether the last scan of a JPEG is followed by its end-of-image marker. The decoder quietly pads a
/// cut-off file with grey, which would print as half a face; a cut-off file lacks the marker. Inside
/// scan data 0xFF is always followed by 0x00 or a restart marker, so neither marker can occur there,
/// and an embedded EXIF thumbnail's scan and marker both come before the main image's last scan.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let last = |marker: u8| bytes.windows(2).rposition(|w| w == [0xFF, marker]);
    match (last(0xDA), last(0xD9)) {
        (Some(scan), Some(end)) => end > scan,
        _ => false,
    }
}

/// The refusal of an image over the limits, with the size its header claims.
fn too_large(bytes: &[u8]) -> PhotoError {
    let claimed = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .ok()
        .and_then(|r| r.into_dimensions().ok());
    let (width, height) = claimed.unwrap_or((0, 0));
    PhotoError::TooLarge {
        width,
        height,
        max: MAX_SIDE,
    }
}

fn classify(e: ImageError) -> PhotoError {
    match e {
        ImageError::Unsupported(_) => PhotoError::UnknownFormat,
        ImageError::Limits(l) => PhotoError::Corrupt(format!("beyond the decoding limits: {l}")),
        other => PhotoError::Corrupt(other.to_string()),
    }
}

/// 8-bit RGB; transparent parts of a PNG or WebP become white, as on paper.
fn flatten(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let (w, h) = rgba.dimensions();
    let mut rgb = RgbImage::new(w, h);
    for (src, dst) in rgba.pixels().zip(rgb.pixels_mut()) {
        let a = u32::from(src[3]);
        for i in 0..3 {
            dst[i] = ((u32::from(src[i]) * a + 255 * (255 - a) + 127) / 255) as u8;
        }
    }
    rgb
}

/// Scale so the long side is at most `long_side` (never up), with a Lanczos filter.
pub fn shrink(rgb: RgbImage, long_side: u32) -> Result<RgbImage, PhotoError> {
    let (w, h) = rgb.dimensions();
    if w.max(h) <= long_side {
        return Ok(rgb);
    }
    let (nw, nh) = if w >= h {
        (
            long_side,
            ((h as f64 * long_side as f64 / w as f64).round() as u32).max(1),
        )
    } else {
        (
            ((w as f64 * long_side as f64 / h as f64).round() as u32).max(1),
            long_side,
        )
    };
    resize_rgb(rgb, nw, nh)
}

/// Resize RGB pixels to exactly `nw`×`nh`.
pub fn resize_rgb(rgb: RgbImage, nw: u32, nh: u32) -> Result<RgbImage, PhotoError> {
    let (w, h) = rgb.dimensions();
    let src = FirImage::from_vec_u8(w, h, rgb.into_raw(), PixelType::U8x3)
        .map_err(|e| PhotoError::Encode(e.to_string()))?;
    let mut dst = FirImage::new(nw, nh, PixelType::U8x3);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    Resizer::new()
        .resize(&src, &mut dst, &options)
        .map_err(|e| PhotoError::Encode(e.to_string()))?;
    RgbImage::from_raw(nw, nh, dst.into_vec())
        .ok_or_else(|| PhotoError::Encode("resized buffer has the wrong size".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, Rgba, RgbaImage};

    fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    #[test]
    fn large_photos_shrink_to_print_size_and_small_ones_stay() {
        let big = DynamicImage::ImageRgb8(RgbImage::from_pixel(3000, 2000, Rgb([10, 120, 200])));
        let p = normalize_photo(&encode(&big, ImageFormat::Png)).unwrap();
        assert_eq!((p.width, p.height), (1200, 800));
        assert_eq!(&p.jpeg[..2], &[0xFF, 0xD8]);
        let small = DynamicImage::ImageRgb8(RgbImage::from_pixel(300, 400, Rgb([1, 2, 3])));
        let p = normalize_photo(&encode(&small, ImageFormat::Png)).unwrap();
        assert_eq!((p.width, p.height), (300, 400));
    }

    #[test]
    fn transparency_becomes_white() {
        let img = DynamicImage::ImageRgba8(RgbaImage::from_pixel(8, 8, Rgba([0, 0, 0, 0])));
        let p = normalize_photo(&encode(&img, ImageFormat::Png)).unwrap();
        let back = image::load_from_memory(&p.jpeg).unwrap().into_rgb8();
        assert!(back.pixels().all(|px| px.0.iter().all(|&v| v > 245)));
    }

    #[test]
    fn garbage_and_truncation_are_refused() {
        assert!(matches!(
            normalize_photo(b"hello, not a photo"),
            Err(PhotoError::UnknownFormat)
        ));
        assert!(matches!(
            normalize_photo(b""),
            Err(PhotoError::UnknownFormat)
        ));
        let img = DynamicImage::ImageRgb8(RgbImage::from_pixel(64, 64, Rgb([200, 30, 30])));
        let png = encode(&img, ImageFormat::Png);
        let err = normalize_photo(&png[..png.len() / 2]).unwrap_err();
        assert!(matches!(err, PhotoError::Corrupt(_)), "{err:?}");
        let jpeg = encode(&img, ImageFormat::Jpeg);
        for cut in [jpeg.len() - 2, jpeg.len() / 2, 700] {
            let err = normalize_photo(&jpeg[..cut]).unwrap_err();
            assert!(
                matches!(err, PhotoError::Corrupt(_)),
                "cut at {cut}: {err:?}"
            );
        }
        assert!(normalize_photo(&jpeg).is_ok());
    }
}
