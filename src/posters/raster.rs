//! The raster writer: draws a laid-out page into pixels (page units are pixels for screen formats)
//! with the same shaped glyphs as the PDF writer, then encodes PNG or JPEG.

use ab_glyph::{Font, GlyphId, PxScale, point};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder, ImageFormat, RgbImage};

use super::RenderError;
use super::fonts::{Face, Fonts};
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
fn px_scale(face: &Face, size: f32) -> PxScale {
    PxScale::from(size * face.outlines.height_unscaled() / face.em)
}

/// Draw a run's shaped glyphs through `plot(x, y, coverage)`, each where the layout placed it.
fn glyphs(fonts: &Fonts, run: &TextRun, mut plot: impl FnMut(i64, i64, f32)) {
    for g in &run.glyphs {
        let face = fonts.face(g.face);
        let at = point(run.x + g.x * run.size, run.baseline - g.y * run.size);
        let glyph = GlyphId(g.id).with_scale_and_position(px_scale(face, run.size), at);
        if let Some(outline) = face.outlines.outline_glyph(glyph) {
            let b = outline.px_bounds();
            outline.draw(|gx, gy, cov| {
                plot(
                    b.min.x as i64 + i64::from(gx),
                    b.min.y as i64 + i64::from(gy),
                    cov,
                )
            });
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::posters::fonts::FontKind;
    use crate::posters::layout::Tag;
    use crate::posters::shape::{self, Glyph};

    fn run(text: &str, glyphs: Vec<Glyph>) -> TextRun {
        TextRun {
            x: 10.0,
            baseline: 60.0,
            text: text.to_string(),
            glyphs,
            font: FontKind::Bold,
            size: 40.0,
            color: Rgb([0, 0, 0]),
            bounds: Rect::new(10.0, 20.0, 200.0, 50.0),
            tag: Tag::default(),
        }
    }

    fn pixels(fonts: &Fonts, r: &TextRun) -> RgbImage {
        let mut canvas = RgbImage::from_pixel(260, 90, image::Rgb(Rgb::WHITE.0));
        text(&mut canvas, fonts, r, 1.0);
        canvas
    }

    /// A shaped Arabic word is drawn joined: not the picture of its letters' own glyphs side by side.
    #[test]
    fn a_shaped_arabic_word_is_drawn_unlike_its_separate_letters() {
        let fonts = Fonts::load().unwrap();
        let word = "محمد";
        let shaped = shape::line(&fonts, FontKind::Bold, word);
        let face = shaped.glyphs[0].face;
        let f = fonts.face(face);
        let mut x = 0.0;
        let mut separate = Vec::new();
        for c in word.chars().rev() {
            let id = f.outlines.glyph_id(c);
            separate.push(Glyph {
                face,
                id: id.0,
                x,
                y: 0.0,
                chars: 0..0,
                rtl: true,
            });
            x += f.outlines.h_advance_unscaled(id) / f.em;
        }
        let (joined, apart) = (
            pixels(&fonts, &run(word, shaped.glyphs)),
            pixels(&fonts, &run(word, separate)),
        );
        let ink = |img: &RgbImage| img.pixels().filter(|p| p.0[0] < 128).count();
        let differ = joined
            .pixels()
            .zip(apart.pixels())
            .filter(|(a, b)| a.0[0].abs_diff(b.0[0]) > 96)
            .count();
        assert!(ink(&joined) > 200 && ink(&apart) > 200);
        assert!(differ > ink(&joined) / 4, "{differ} of {}", ink(&joined));
    }
}
