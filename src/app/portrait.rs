//! Invented portraits for demo cases: simple drawn faces, the same picture for the same seed.
//! Never a photo of a real person.

use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};

pub const WIDTH: u32 = 600;
pub const HEIGHT: u32 = 750;

const BACKGROUNDS: [[u8; 3]; 4] = [
    [196, 214, 230],
    [222, 214, 196],
    [205, 226, 208],
    [226, 205, 214],
];
const SKIN: [[u8; 3]; 4] = [
    [241, 204, 170],
    [214, 164, 122],
    [166, 116, 80],
    [110, 74, 50],
];
const HAIR: [[u8; 3]; 4] = [[40, 30, 24], [98, 64, 36], [176, 130, 70], [20, 20, 20]];
const SHIRT: [[u8; 3]; 4] = [[180, 40, 40], [40, 80, 160], [60, 130, 70], [120, 90, 150]];

/// Is (x, y) inside the ellipse centred at (cx, cy) with radii (rx, ry)?
fn inside(x: u32, y: u32, cx: f32, cy: f32, rx: f32, ry: f32) -> bool {
    let dx = (x as f32 - cx) / rx;
    let dy = (y as f32 - cy) / ry;
    dx * dx + dy * dy <= 1.0
}

fn pick(palette: &[[u8; 3]; 4], seed: u32, shift: u32) -> Rgb<u8> {
    Rgb(palette[((seed >> shift) & 3) as usize])
}

/// A 600×750 JPEG of an invented face chosen by `seed`.
pub fn portrait_jpeg(seed: u32) -> Vec<u8> {
    let (bg, skin, hair, shirt) = (
        pick(&BACKGROUNDS, seed, 0),
        pick(&SKIN, seed, 2),
        pick(&HAIR, seed, 4),
        pick(&SHIRT, seed, 6),
    );
    let long_hair = seed & 0x100 != 0;
    let (w, h) = (WIDTH as f32, HEIGHT as f32);
    let img = RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
        let (cx, cy) = (w / 2.0, h * 0.42);
        let eye_y = cy - 10.0;
        let eye = |ex: f32| inside(x, y, ex, eye_y, 14.0, 9.0);
        let pupil = |ex: f32| inside(x, y, ex, eye_y, 6.0, 6.0);
        let mouth =
            inside(x, y, cx, cy + 80.0, 45.0, 14.0) && !inside(x, y, cx, cy + 72.0, 45.0, 12.0);
        if pupil(cx - 60.0) || pupil(cx + 60.0) {
            Rgb([30, 30, 40])
        } else if eye(cx - 60.0) || eye(cx + 60.0) {
            Rgb([250, 250, 250])
        } else if mouth {
            Rgb([150, 60, 60])
        } else if inside(x, y, cx, cy, 150.0, 190.0) && !inside(x, y, cx, cy - 150.0, 170.0, 90.0) {
            skin
        } else if inside(x, y, cx, cy - 70.0, 175.0, 160.0)
            || (long_hair && inside(x, y, cx, cy + 40.0, 185.0, 230.0))
        {
            hair
        } else if inside(x, y, cx, h, 280.0, 190.0) {
            shirt
        } else {
            bg
        }
    });
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 88)
        .encode_image(&img)
        .expect("encoding to memory does not fail");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portraits_are_deterministic_jpegs_that_differ_by_seed() {
        let a = portrait_jpeg(7);
        assert_eq!(a, portrait_jpeg(7));
        assert_ne!(a, portrait_jpeg(8));
        let decoded = image::load_from_memory(&a).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (WIDTH, HEIGHT));
    }
}
