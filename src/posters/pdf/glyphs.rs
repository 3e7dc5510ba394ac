//! The text of a PDF page: each face subset to the glyphs the page draws, and each run's shaped
//! glyphs as text operations that a reader's text layer turns back into the words.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::super::fonts::{FaceId, Fonts};
use super::super::layout::{Element, Page, TextRun};
use super::content::Content;
use super::embed::Embedded;

/// Each embedded face's glyph ids, original to the code it is drawn with.
pub(super) type Codes = BTreeMap<FaceId, BTreeMap<u16, u16>>;
/// Each embedded face's codes and the characters they stand for, as the text layer reads them.
pub(super) type Texts = BTreeMap<FaceId, BTreeMap<u16, String>>;

/// The glyphs each face draws on any page of the poster.
pub(super) fn used_glyphs(page: &Page<'_>) -> BTreeMap<FaceId, BTreeSet<u16>> {
    let mut used: BTreeMap<FaceId, BTreeSet<u16>> = BTreeMap::new();
    for e in page.pages().flatten() {
        if let Element::Text(run) | Element::Watermark { run, .. } = e {
            for g in &run.glyphs {
                used.entry(g.face).or_default().insert(g.id);
            }
        }
    }
    used
}

/// What one glyph cluster's ToUnicode entry says. Extractors put a right-to-left word back in
/// reading order by reversing its characters as they stand on the page, those of a ligature too,
/// so a right-to-left ligature (Arabic lam with alef maksura) is given last letter first.
fn cluster_text(chars: &str, rtl: bool) -> String {
    if rtl {
        chars.chars().rev().collect()
    } else {
        chars.to_string()
    }
}

/// Whether each glyph of the run stands for one character, in reading order: then the font's
/// ToUnicode map alone gives the text back.
pub(super) fn drawn_in_reading_order(run: &TextRun) -> bool {
    run.glyphs.len() == run.text.chars().count()
        && run
            .glyphs
            .windows(2)
            .all(|w| w[0].chars.end == w[1].chars.start)
}

/// A run's shaped glyphs as text operations: one segment per face (and per glyph raised off the
/// baseline), each started with an absolute text matrix from `matrix(x, y)` at its first glyph;
/// within a segment, each glyph is moved from where the font's width would put it to where the
/// shaper placed it. Each cluster's first glyph's code is given, in `texts`, the characters it
/// stands for, so the text layer reads them back.
pub(super) fn glyph_ops(
    out: &mut Content,
    run: &TextRun,
    fonts: &Fonts,
    codes: &Codes,
    texts: &mut Texts,
    matrix: impl Fn(f32, f32) -> [f32; 6],
) {
    let glyphs = &run.glyphs;
    let mut seen = HashSet::new();
    let mut per_cluster: HashMap<usize, usize> = HashMap::new();
    for g in glyphs {
        *per_cluster.entry(g.chars.start).or_default() += 1;
    }
    let mut face_set = None;
    let mut i = 0;
    while i < glyphs.len() {
        let first = &glyphs[i];
        let mut end = i + 1;
        if first.y == 0.0 {
            while end < glyphs.len() && glyphs[end].face == first.face && glyphs[end].y == 0.0 {
                end += 1;
            }
        }
        if face_set != Some(first.face) {
            out.font(&Embedded::resource(first.face), run.size);
            out.fill_color(run.color);
            face_set = Some(first.face);
        }
        let (x, y) = (
            run.x + first.x * run.size,
            run.baseline - first.y * run.size,
        );
        out.text_matrix(matrix(x, y));
        let face = fonts.face(first.face);
        let face_codes = codes.get(&first.face);
        let face_texts = texts.entry(first.face).or_default();
        // Where the reader's pen stands, in ems from the segment's start: each offset, rounded
        // to a tenth of a thousandth of an em, is taken from there, so rounding never adds up.
        let mut pen = first.x;
        out.begin_shown();
        for k in i..end {
            let g = &glyphs[k];
            let advance = face.pdf_advance(g.id);
            let offset = glyphs
                .get(k + 1)
                .filter(|_| k + 1 < end)
                .map_or(0.0, |next| {
                    ((pen + advance - next.x) * 10_000.0).round() / 10.0
                });
            pen += advance - offset / 1000.0;
            let code = face_codes.and_then(|m| m.get(&g.id)).copied().unwrap_or(0);
            let text = cluster_text_of(run, g, fonts, &per_cluster, &mut seen);
            if !text.is_empty() {
                face_texts.entry(code).or_insert(text);
            }
            out.code(code);
            if offset != 0.0 {
                out.offset(offset);
            }
        }
        out.end_shown();
        i = end;
    }
}

/// The characters glyph `g` of `run` says in the text layer.
fn cluster_text_of(
    run: &TextRun,
    g: &super::super::shape::Glyph,
    fonts: &Fonts,
    per_cluster: &HashMap<usize, usize>,
    seen: &mut HashSet<usize>,
) -> String {
    let glyphs = &run.glyphs;
    let face = fonts.face(g.face);
    let chars = run.text.get(g.chars.clone()).unwrap_or_default();
    if per_cluster[&g.chars.start] == 1 {
        cluster_text(chars, g.rtl)
    } else if let Some(own) = chars.chars().find(|&c| face.glyph(c).0 == g.id) {
        // a letter and its mark drawn apart: each says its own character, as the
        // ToUnicode map must for every other place the same glyph stands
        own.to_string()
    } else if seen.insert(g.chars.start) {
        // a contextual form beside its mark: the characters no other glyph of the
        // cluster says
        let said = |c: char| {
            glyphs
                .iter()
                .any(|o| o.chars == g.chars && fonts.face(o.face).glyph(c).0 == o.id)
        };
        let rest: String = chars.chars().filter(|&c| !said(c)).collect();
        cluster_text(&rest, g.rtl)
    } else {
        String::new()
    }
}
