//! The raster writer: draws a laid-out page into pixels (page units are pixels for screen formats)
//! with the same fonts and advance widths as the PDF writer, then encodes PNG or JPEG.

use ab_glyph::{Font, PxScale, ScaleFont, point};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder, ImageFormat, RgbImage};

use super::RenderError;
use super::fonts::{FontKind, Fonts};
use super::layout::{Element, Page, Rect, TextRun};
use super::photo::resize_rgb;
use super::template::Rgb;

const JPEG_QUALITY: u8 = 90;

#[derive(Debug, Clone, Copy)]
pub enum Encoding {
    Png,
    Jpeg,
}

/// Draw `page` and encode it.
pub fn write(page: &Page<'_>, fonts: &Fonts, encoding: Encoding) -> Result<Vec<u8>, RenderError> {
    let canvas = draw(page, fonts)?;
    let (w, h) = canvas.dimensions();
    let mut out = Vec::new();
    match encoding {
        // Fast compression: a screen poster is mostly flat colour, which compresses well anyway.
        Encoding::Png => {
            PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Sub)
                .write_image(canvas.as_raw(), w, h, ExtendedColorType::Rgb8)
        }
        Encoding::Jpeg => JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY).write_image(
            canvas.as_raw(),
            w,
            h,
            ExtendedColorType::Rgb8,
        ),
    }
    .map_err(|e| RenderError::Write(e.to_string()))?;
    Ok(out)
}

/// The page as RGB pixels.
pub fn draw(page: &Page<'_>, fonts: &Fonts) -> Result<RgbImage, RenderError> {
    let (w, h) = (page.width.round() as u32, page.height.round() as u32);
    let mut canvas = RgbImage::from_pixel(w, h, image::Rgb(Rgb::WHITE.0));
    for e in &page.elements {
        match e {
            Element::Fill { rect, color } => fill(&mut canvas, *rect, *color),
            Element::Text(run) => text(&mut canvas, fonts, run, 1.0),
            Element::Photo { rect, photo, .. } => {
                let prepared = page.photos[*photo];
                photo_into(&mut canvas, *rect, &prepared.jpeg)?;
            }
            Element::Qr {
                rect,
                modules,
                dark,
                color,
            } => {
                let m = rect.w / *modules as f32;
                for (i, _) in dark.iter().enumerate().filter(|(_, d)| **d) {
                    let (row, col) = (i / modules, i % modules);
                    let r = Rect::new(rect.x + col as f32 * m, rect.y + row as f32 * m, m, m);
                    fill(&mut canvas, r, *color);
                }
            }
            Element::Watermark {
                run,
                center,
                angle_deg,
                opacity,
            } => watermark(&mut canvas, fonts, run, *center, *angle_deg, *opacity),
        }
    }
    Ok(canvas)
}

/// Integer pixel span of `[a, b)`, clamped to `[0, max)`.
fn span(a: f32, b: f32, max: u32) -> std::ops::Range<u32> {
    let lo = a.round().clamp(0.0, max as f32) as u32;
    let hi = b.round().clamp(0.0, max as f32) as u32;
    lo..hi.max(lo)
}

fn fill(canvas: &mut RgbImage, r: Rect, color: Rgb) {
    let (w, h) = canvas.dimensions();
    for y in span(r.y, r.bottom(), h) {
        for x in span(r.x, r.right(), w) {
            canvas.put_pixel(x, y, image::Rgb(color.0));
        }
    }
}

fn blend(canvas: &mut RgbImage, x: i64, y: i64, color: Rgb, alpha: f32) {
    let (w, h) = canvas.dimensions();
    if x < 0 || y < 0 || x >= i64::from(w) || y >= i64::from(h) || alpha <= 0.0 {
        return;
    }
    let a = alpha.min(1.0);
    let px = canvas.get_pixel_mut(x as u32, y as u32);
    for i in 0..3 {
        let v = f32::from(px[i]) * (1.0 - a) + f32::from(color.0[i]) * a;
        px[i] = v.round() as u8;
    }
}

/// The ab_glyph scale whose em is `size` pixels, so advances match the layout's measurements.
fn px_scale(fonts: &Fonts, kind: FontKind, size: f32) -> PxScale {
    let face = fonts.face(kind);
    let em = face.units_per_em().unwrap_or(2048.0);
    PxScale::from(size * face.height_unscaled() / em)
}

/// Draw a run's glyphs through `plot(x, y, coverage)`, advancing exactly as the layout measured.
fn glyphs(fonts: &Fonts, run: &TextRun, mut plot: impl FnMut(i64, i64, f32)) {
    let face = fonts.face(run.font);
    let scaled = face.as_scaled(px_scale(fonts, run.font, run.size));
    let em = face.units_per_em().unwrap_or(2048.0);
    let mut x = run.x;
    for c in run.text.chars() {
        let id = face.glyph_id(c);
        let glyph = id.with_scale_and_position(scaled.scale(), point(x, run.baseline));
        if let Some(outline) = face.outline_glyph(glyph) {
            let b = outline.px_bounds();
            outline.draw(|gx, gy, cov| {
                plot(
                    b.min.x as i64 + i64::from(gx),
                    b.min.y as i64 + i64::from(gy),
                    cov,
                )
            });
        }
        x += face.h_advance_unscaled(id) * run.size / em;
    }
}

fn text(canvas: &mut RgbImage, fonts: &Fonts, run: &TextRun, opacity: f32) {
    glyphs(fonts, run, |x, y, cov| {
        blend(canvas, x, y, run.color, cov * opacity)
    });
}

/// The SAMPLE mark: the run drawn upright into a mask, then rotated onto the canvas.
fn watermark(
    canvas: &mut RgbImage,
    fonts: &Fonts,
    run: &TextRun,
    center: (f32, f32),
    angle_deg: f32,
    opacity: f32,
) {
    let pad = run.size;
    let (mw, mh) = (
        (run.bounds.w + 2.0 * pad) as usize,
        (run.bounds.h + 2.0 * pad) as usize,
    );
    let mut mask = vec![0f32; mw * mh];
    let (ox, oy) = (run.bounds.x - pad, run.bounds.y - pad);
    glyphs(fonts, run, |x, y, cov| {
        let (mx, my) = (x as f32 - ox, y as f32 - oy);
        if mx >= 0.0 && my >= 0.0 && (mx as usize) < mw && (my as usize) < mh {
            mask[my as usize * mw + mx as usize] = cov.min(1.0);
        }
    });
    // Counter-clockwise on screen: y runs down, so the visual rotation uses -angle.
    let (sin, cos) = (-angle_deg.to_radians()).sin_cos();
    let half = ((mw * mw + mh * mh) as f32).sqrt() / 2.0;
    let (w, h) = canvas.dimensions();
    for y in span(center.1 - half, center.1 + half, h) {
        for x in span(center.0 - half, center.0 + half, w) {
            // Inverse rotation about the centre gives the mask position this pixel shows.
            let (dx, dy) = (x as f32 + 0.5 - center.0, y as f32 + 0.5 - center.1);
            let ux = cos * dx + sin * dy + center.0 - ox;
            let uy = -sin * dx + cos * dy + center.1 - oy;
            if ux < 0.0 || uy < 0.0 || ux >= mw as f32 || uy >= mh as f32 {
                continue;
            }
            let cov = mask[uy as usize * mw + ux as usize];
            if cov > 0.0 {
                blend(canvas, i64::from(x), i64::from(y), run.color, cov * opacity);
            }
        }
    }
}

fn photo_into(canvas: &mut RgbImage, r: Rect, jpeg: &[u8]) -> Result<(), RenderError> {
    let img = image::load_from_memory_with_format(jpeg, ImageFormat::Jpeg)
        .map_err(|e| RenderError::Write(format!("prepared photo: {e}")))?
        .into_rgb8();
    let (x0, y0) = (r.x.round().max(0.0) as u32, r.y.round().max(0.0) as u32);
    let (w, h) = (r.w.round().max(1.0) as u32, r.h.round().max(1.0) as u32);
    let scaled = resize_rgb(img, w, h).map_err(|e| RenderError::Write(e.to_string()))?;
    image::imageops::replace(canvas, &scaled, i64::from(x0), i64::from(y0));
    Ok(())
}
