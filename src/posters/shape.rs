//! One line of text to positioned glyphs, the way a reader of its script expects it: each
//! character given the face that writes it, the line put in display order by the Unicode
//! bidirectional algorithm (UAX #9), and each run shaped by rustybuzz (Arabic joined, Devanagari
//! conjuncts formed, Latin kerned). Pure: text and fonts in, glyphs out.

use std::ops::Range;

use rustybuzz::{Direction, UnicodeBuffer};
use unicode_bidi::Level;

use super::bidi::{Levels, is_rtl, levels};

use super::fonts::{FaceId, Family, FontKind, Fonts};
use super::forms::CjkForms;

/// A glyph placed on its line, in ems of the run's size, from the line's start.
#[derive(Debug, Clone, PartialEq)]
pub struct Glyph {
    pub face: FaceId,
    pub id: u16,
    /// Where the glyph's origin stands, offsets included.
    pub x: f32,
    /// How far the glyph is raised above the baseline (a mark over its letter).
    pub y: f32,
    /// The characters it stands for, as a byte range of the line's text. Glyphs of one cluster
    /// (a letter and its marks drawn apart) share it.
    pub chars: Range<usize>,
    /// Set right to left (its characters are drawn last to first).
    pub rtl: bool,
}

/// A shaped line: its glyphs left to right as they are drawn, and its width in ems.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Shaped {
    pub glyphs: Vec<Glyph>,
    pub width: f32,
}

/// A stretch of the line in one face at one embedding level.
#[derive(Debug, Clone, PartialEq)]
struct Item {
    chars: Range<usize>,
    face: FaceId,
    level: Level,
}

/// Shape one line of `text` (no line breaks) in style `kind`, CJK characters in the face's
/// default (Simplified Chinese) forms.
pub fn line(fonts: &Fonts, kind: FontKind, text: &str) -> Shaped {
    simple(fonts, kind, text).unwrap_or_else(|| shaped(fonts, kind, text))
}

/// [`line`], CJK characters drawn in `forms`. Regional forms keep their advance, so the width is
/// the same.
pub fn line_in(fonts: &Fonts, kind: FontKind, text: &str, forms: CjkForms) -> Shaped {
    let mut shaped = line(fonts, kind, text);
    if forms != CjkForms::Simplified {
        for g in &mut shaped.glyphs {
            if g.face.family == Family::Cjk {
                g.id = fonts.face(g.face).forms.glyph(forms, g.id);
            }
        }
    }
    shaped
}

/// The full path: faces chosen, the bidirectional algorithm, rustybuzz.
fn shaped(fonts: &Fonts, kind: FontKind, text: &str) -> Shaped {
    let levels = levels(text);
    let mut items = itemize(fonts, kind, text, &levels);
    visual_order(&mut items);
    let mut out = Shaped::default();
    let mut buffer = UnicodeBuffer::new();
    for item in items.iter().filter(|i| !i.chars.is_empty()) {
        buffer = shape_item(fonts, text, item, buffer, &mut out);
    }
    out
}

/// The width of `text` in ems, as [`line`] would shape it, without keeping its glyphs: the layout
/// asks this of every candidate line while it wraps.
pub fn width(fonts: &Fonts, kind: FontKind, text: &str) -> f32 {
    simple_width(fonts, kind, text).unwrap_or_else(|| line(fonts, kind, text).width)
}

/// The width of `text` in ems on the simple path; `None` when it needs the shaper.
pub fn simple_width(fonts: &Fonts, kind: FontKind, text: &str) -> Option<f32> {
    let mut width = 0.0;
    let done = simple_glyphs(fonts, kind, text, |g, advance| width = g.x + advance);
    done.then_some(width)
}

/// Text that needs nothing of a shaper but kerning: left to right, in DejaVu (Latin, Greek,
/// Cyrillic, already composed at intake) or the CJK face, with no combining marks or joiners. Most
/// of a poster is such text, and this path is many times faster than shaping it.
fn simple(fonts: &Fonts, kind: FontKind, text: &str) -> Option<Shaped> {
    let mut out = Shaped::default();
    let done = simple_glyphs(fonts, kind, text, |g, advance| {
        out.width = g.x + advance;
        out.glyphs.push(g);
    });
    done.then_some(out)
}

/// Lay `text` out on the simple path, giving each glyph and its advance to `emit`; false (part
/// way) when the text needs the shaper.
fn simple_glyphs(
    fonts: &Fonts,
    kind: FontKind,
    text: &str,
    mut emit: impl FnMut(Glyph, f32),
) -> bool {
    let latin = fonts.face(FaceId::new(Family::DejaVu, kind));
    let cjk = fonts.face(FaceId::new(Family::Cjk, kind));
    let mut x = 0.0;
    let mut prev: Option<(FaceId, u16)> = None;
    for (i, c) in text.char_indices() {
        let face = match Family::of_script(c) {
            None if !needs_shaper(c) => latin,
            Some(Family::Cjk) => cjk,
            _ => return false,
        };
        let (id, advance) = face.glyph(c);
        if id == 0 {
            return false;
        }
        if let Some((_, before)) = prev.filter(|(p, _)| *p == face.id) {
            x += face.kern(before, id);
        }
        emit(
            Glyph {
                face: face.id,
                id,
                x,
                y: 0.0,
                chars: i..i + c.len_utf8(),
                rtl: false,
            },
            advance,
        );
        x += advance;
        prev = Some((face.id, id));
    }
    true
}

/// Right-to-left letters and marks, and combining marks and joiners, which only the shaper
/// places.
fn needs_shaper(c: char) -> bool {
    is_rtl(c)
        || matches!(c as u32, 0x0300..=0x036F | 0x0483..=0x0489 | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF
            | 0x200C..=0x200F | 0x202A..=0x202E | 0x2066..=0x2069 | 0x20D0..=0x20FF
            | 0xFE00..=0xFE0F | 0xFE20..=0xFE2F)
}

/// Split `text` where the face or the level changes.
fn itemize(fonts: &Fonts, kind: FontKind, text: &str, levels: &Levels) -> Vec<Item> {
    let fallback = FaceId::new(Family::DejaVu, kind);
    let mut items: Vec<Item> = Vec::new();
    let mut prev = None;
    let mut bounds = levels.isolates.iter().peekable();
    let mut bound = |items: &mut Vec<Item>, at: usize| {
        while let Some(&(_, level)) = bounds.next_if(|(pos, _)| *pos == at) {
            // an isolate's edge: an empty item at its level, which keeps what is inside
            // together when the line is put in display order
            items.push(Item {
                chars: at..at,
                face: fallback,
                level,
            });
        }
    };
    for (i, c) in text.char_indices() {
        bound(&mut items, i);
        // A character no face has is drawn as the primary face's missing-glyph box; intake
        // refuses such text, so only a stored case from before the check gets here.
        let face = fonts.face_for(kind, c, prev).unwrap_or(fallback);
        prev = Some(face);
        let level = levels.of[i];
        let end = i + c.len_utf8();
        match items.last_mut() {
            Some(last) if last.face == face && last.level == level && !last.chars.is_empty() => {
                last.chars.end = end
            }
            _ => items.push(Item {
                chars: i..end,
                face,
                level,
            }),
        }
    }
    bound(&mut items, text.len());
    items
}

/// Reorder items for display (UAX #9, rule L2): from the highest level down to the lowest odd
/// one, reverse every maximal sequence of items at that level or above.
fn visual_order(items: &mut [Item]) {
    let Some(highest) = items.iter().map(|i| i.level.number()).max() else {
        return;
    };
    let lowest_odd = items
        .iter()
        .map(|i| i.level.number())
        .filter(|l| l % 2 == 1)
        .min()
        .unwrap_or(highest + 1);
    let mut level = highest;
    while level >= lowest_odd {
        let mut i = 0;
        while i < items.len() {
            if items[i].level.number() < level {
                i += 1;
                continue;
            }
            let start = i;
            while i < items.len() && items[i].level.number() >= level {
                i += 1;
            }
            items[start..i].reverse();
        }
        level -= 1;
    }
}

/// Shape one item and append its glyphs to `out`; gives the buffer back for the next item.
fn shape_item(
    fonts: &Fonts,
    text: &str,
    item: &Item,
    mut buffer: UnicodeBuffer,
    out: &mut Shaped,
) -> UnicodeBuffer {
    let face = fonts.face(item.face);
    let rtl = item.level.is_rtl();
    buffer.push_str(&text[item.chars.clone()]);
    buffer.set_direction(if rtl {
        Direction::RightToLeft
    } else {
        Direction::LeftToRight
    });
    buffer.set_script(face.script());
    let shaped = rustybuzz::shape_with_plan(&face.shaper, face.plan(rtl), buffer);
    let em = face.em;
    let infos = shaped.glyph_infos();
    // Each cluster ends where the next one in text order begins.
    let mut starts: Vec<usize> = infos.iter().map(|g| g.cluster as usize).collect();
    starts.sort_unstable();
    starts.dedup();
    let local_len = item.chars.len();
    for (info, pos) in infos.iter().zip(shaped.glyph_positions()) {
        let start = info.cluster as usize;
        let end = starts
            .iter()
            .find(|&&s| s > start)
            .copied()
            .unwrap_or(local_len);
        out.glyphs.push(Glyph {
            face: item.face,
            id: u16::try_from(info.glyph_id).unwrap_or(0),
            x: out.width + pos.x_offset as f32 / em,
            y: pos.y_offset as f32 / em,
            chars: item.chars.start + start..item.chars.start + end,
            rtl,
        });
        out.width += pos.x_advance as f32 / em;
    }
    shaped.clear()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::posters::bidi;
    use unicode_bidi::BidiInfo;

    fn fonts() -> Fonts {
        Fonts::load().unwrap()
    }

    /// The text of the glyphs in drawing order, one cluster once.
    fn drawn(text: &str, s: &Shaped) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut last = None;
        for g in &s.glyphs {
            if last != Some(g.chars.clone()) {
                out.push(text[g.chars.clone()].to_string());
                last = Some(g.chars.clone());
            }
        }
        out
    }

    #[test]
    fn latin_is_kerned() {
        let f = fonts();
        // DejaVu kerns "AV": the pair is narrower shaped than its letters' advances
        let pair = line(&f, FontKind::Regular, "AV").width;
        let apart = line(&f, FontKind::Regular, "A").width + line(&f, FontKind::Regular, "V").width;
        assert!(pair < apart - 0.01, "{pair} {apart}");
    }

    #[test]
    fn arabic_joins_and_runs_right_to_left() {
        let f = fonts();
        let name = "علي";
        let s = line(&f, FontKind::Bold, name);
        assert!(s.glyphs.iter().all(|g| g.face.family == Family::Arabic));
        // drawn left to right: the last letter first
        let order = drawn(name, &s);
        assert_eq!(order, vec!["ي", "ل", "ع"]);
        // joined: the glyphs are contextual forms, not the letters' own (isolated) glyphs
        let face = f.face(s.glyphs[0].face);
        let isolated: Vec<u16> = name.chars().rev().map(|c| face.glyph(c).0).collect();
        let ids: Vec<u16> = s.glyphs.iter().map(|g| g.id).collect();
        assert_ne!(ids, isolated);
    }

    #[test]
    fn an_arabic_name_in_an_english_line_keeps_the_english_order() {
        let f = fonts();
        let text = "Name: علي حسن, age 9";
        let s = line(&f, FontKind::Regular, text);
        let order = drawn(text, &s).concat();
        // The Arabic words are reversed as a unit, the English around them is not.
        let want = format!("Name: {}, age 9", "نسح يلع");
        // Arabic letters shape into clusters of their own: compare as characters
        assert_eq!(order.chars().count(), want.chars().count());
        assert!(order.starts_with("Name: "), "{order}");
        assert!(order.ends_with(", age 9"), "{order}");
        let arabic: String = order.chars().skip(6).take(7).collect();
        assert_eq!(arabic, "نسح يلع");
    }

    #[test]
    fn a_hebrew_line_reads_right_to_left_with_its_digits_left_to_right() {
        let f = fonts();
        let text = "נועה 12";
        let s = line(&f, FontKind::Regular, text);
        // RTL paragraph: the number is drawn first (leftmost), in its own order
        assert_eq!(drawn(text, &s).concat(), "12 העונ");
    }

    #[test]
    fn devanagari_forms_conjuncts() {
        let f = fonts();
        // क्ष: three characters, one conjunct glyph
        let s = line(&f, FontKind::Regular, "क्ष");
        assert_eq!(s.glyphs.len(), 1, "{:?}", s.glyphs);
        assert_eq!(s.glyphs[0].chars, 0.."क्ष".len());
    }

    #[test]
    fn glyphs_advance_left_to_right_and_the_width_is_their_sum() {
        let f = fonts();
        for text in ["Mara Ortega", "علي حسن", "נועה כהן", "अनन्या", "Ali علي 7"]
        {
            let s = line(&f, FontKind::Regular, text);
            assert!(s.width > 0.0);
            for g in &s.glyphs {
                assert!(g.x >= -0.5 && g.x <= s.width + 0.5, "{text}: {g:?}");
            }
        }
    }

    /// Against the bidi crate's own reordering of whole characters, on random lines of Latin,
    /// Arabic, Hebrew, digits and punctuation, codes isolated as the poster isolates them (no lam or alef, whose ligature is one glyph for two
    /// letters, and no marks, so every cluster is one character).
    #[test]
    fn display_order_matches_the_bidirectional_algorithm() {
        use rand::{Rng, SeedableRng};
        let f = fonts();
        let alphabet: Vec<char> =
            "abcXYZ  بتثجحخدرسشعفقكمنهوي אבגדהוזחטיכמנסעפצקרשת 0123456789 .,-:()"
                .chars()
                .collect();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(14);
        for _ in 0..500 {
            let n = rng.random_range(1..24);
            let text: String = (0..n)
                .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                .collect();
            let s = line(&f, FontKind::Regular, &text);
            // the algorithm run on the text with its codes isolated, as the poster does (HL3)
            let (isolated, _) = bidi::isolate_codes(&text);
            let algorithm = BidiInfo::new(&isolated, Some(bidi::base_level(&text)));
            let para = &algorithm.paragraphs[0];
            let want: String = algorithm
                .reorder_line(para, para.range.clone())
                .chars()
                .filter(|c| *c != bidi::LRI && *c != bidi::PDI)
                .collect();
            assert_eq!(drawn(&text, &s).concat(), want, "{text:?}");
        }
    }

    #[test]
    fn the_measured_width_is_the_drawn_width() {
        let f = fonts();
        for text in [
            "AV Tomás",
            "SAMPLE 王秀英",
            "علي حسن",
            "Zoe\u{301}",
            "क्ष",
            "",
        ] {
            for kind in FontKind::ALL {
                let drawn = line(&f, kind, text).width;
                assert!((width(&f, kind, text) - drawn).abs() < 1e-5, "{text}");
            }
        }
    }

    /// The simple path against the shaper, on Latin, Greek and Cyrillic: the same glyphs, and
    /// widths within a hair (the simple path kerns from the font's `kern` table, the shaper from
    /// its GPOS table).
    #[test]
    fn the_simple_path_agrees_with_the_shaper() {
        let f = fonts();
        for text in [
            "FAMILY ABDUCTION",
            "Date of birth",
            "Mara Ortega, 11 — AVATAR Wave To",
            "Nguyễn Thị Ánh",
            "Σοφία Παπαδοπούλου",
            "Анастасия Кузнецова",
        ] {
            for kind in FontKind::ALL {
                let quick = simple(&f, kind, text).expect("simple text");
                let full = shaped(&f, kind, text);
                let ids = |s: &Shaped| s.glyphs.iter().map(|g| g.id).collect::<Vec<_>>();
                assert_eq!(ids(&quick), ids(&full), "{text}");
                let off = (quick.width - full.width).abs() / full.width;
                assert!(off < 0.01, "{text}: {} against {}", quick.width, full.width);
            }
        }
        assert!(simple(&f, FontKind::Regular, "علي").is_none());
        assert!(simple(&f, FontKind::Regular, "Zoe\u{301}").is_none());
    }

    #[test]
    fn visual_order_reverses_runs_by_level() {
        let item = |n: usize, l: u8| Item {
            chars: n..n + 1,
            face: FaceId::new(Family::DejaVu, FontKind::Regular),
            level: Level::new(l).unwrap(),
        };
        let mut items = vec![item(0, 0), item(1, 1), item(2, 2), item(3, 1), item(4, 0)];
        visual_order(&mut items);
        let order: Vec<usize> = items.iter().map(|i| i.chars.start).collect();
        assert_eq!(order, vec![0, 3, 2, 1, 4]);
    }
}
