//! The text of a PDF page: each face subset to the glyphs the page draws, and each run's shaped
//! glyphs as text operations that a reader's text layer turns back into the words.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use printpdf::{
    Codepoint, DictItem, FontId, Op, ParsedFont, PdfFontHandle, Pt, TextItem, TextMatrix,
};
use sha2::{Digest, Sha256};

use super::super::RenderError;
use super::super::fonts::{FaceId, Fonts};
use super::super::layout::{Element, Page, TextRun};
use super::color;

/// Each embedded face's glyph ids, original to subset.
pub(super) type GlyphIds = BTreeMap<FaceId, BTreeMap<u16, u16>>;

pub(super) fn font_id(face: FaceId) -> FontId {
    FontId(format!("F{:?}{:?}", face.family, face.kind))
}

/// A face cut down to the glyphs a page draws, and each glyph's id in it.
pub(super) struct Subset {
    pub face: FaceId,
    pub font: ParsedFont,
    pub ids: BTreeMap<u16, u16>,
}

/// Each used face cut down to the glyphs the page draws, named with a subset tag, with the new
/// id of each glyph (the subset keeps the order of the ids it is given).
pub(super) fn subset_fonts(page: &Page<'_>) -> Result<Vec<Subset>, RenderError> {
    let mut used: BTreeMap<FaceId, BTreeSet<u16>> = BTreeMap::new();
    for e in page.pages().flatten() {
        if let Element::Text(run) | Element::Watermark { run, .. } = e {
            for g in &run.glyphs {
                used.entry(g.face)
                    .or_insert_with(|| BTreeSet::from([0]))
                    .insert(g.id);
            }
        }
    }
    let mut out = Vec::new();
    for (face, gids) in used {
        let gids: Vec<u16> = gids.into_iter().collect();
        let name = face.postscript_name();
        let bytes = subset(face.bytes(), &gids)
            .map_err(|e| RenderError::Write(format!("font {name}: {e}")))?;
        let mut warnings = Vec::new();
        let mut parsed = ParsedFont::from_bytes(&bytes, 0, &mut warnings)
            .ok_or_else(|| RenderError::Write(format!("font {name}: subset unreadable")))?;
        parsed.font_name = Some(format!("{}+{name}", subset_tag(&gids)));
        let ids = gids
            .iter()
            .enumerate()
            .map(|(new, &old)| (old, new as u16))
            .collect();
        out.push(Subset {
            face,
            font: parsed,
            ids,
        });
    }
    Ok(out)
}

fn subset(font: &[u8], gids: &[u16]) -> Result<Vec<u8>, String> {
    use allsorts::binary::read::ReadScope;
    use allsorts::font_data::FontData;
    use allsorts::subset::{CmapTarget, SubsetProfile};
    let data = ReadScope::new(font)
        .read::<FontData<'_>>()
        .map_err(|e| e.to_string())?;
    let provider = data.table_provider(0).map_err(|e| e.to_string())?;
    allsorts::subset::subset(&provider, gids, &SubsetProfile::Pdf, CmapTarget::Unicode)
        .map_err(|e| e.to_string())
}

/// The six capital letters that mark a subset font (ISO 32000-1, 9.6.4), derived from its glyphs.
fn subset_tag(gids: &[u16]) -> String {
    let mut h = Sha256::new();
    for g in gids {
        h.update(g.to_be_bytes());
    }
    h.finalize()[..6]
        .iter()
        .map(|b| char::from(b'A' + b % 26))
        .collect()
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

/// `/Span <</ActualText (…)>> BDC`: what a run of combined or reordered glyphs says, in reading
/// order (ISO 32000-1, 14.9.4). A glyph's ToUnicode entry is one for the whole page, which cannot
/// say which vowel sign a Devanagari cluster carries here; the actual text can. Right-to-left runs
/// do without: text extractors (poppler's among them) lay actual text out left to right and then
/// reverse it as right-to-left, which would turn the name around.
pub(super) fn actual_text(text: &str) -> Op {
    let data: Vec<u8> = [0xFE, 0xFF]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
        .collect();
    Op::BeginMarkedContentWithProperties {
        tag: "Span".into(),
        properties: DictItem::Dict {
            map: BTreeMap::from([(
                "ActualText".to_string(),
                DictItem::String {
                    data,
                    literal: false,
                },
            )]),
        },
    }
}

/// A run's shaped glyphs as text operations: one segment per face (and per glyph raised off the
/// baseline), each started with an absolute text matrix from `matrix(x, y)` at its first glyph;
/// within a segment, each glyph is moved from where the font's width would put it to where the
/// shaper placed it. Each cluster's first glyph carries the characters it stands for, so the
/// text layer reads them back.
pub(super) fn glyph_ops(
    ops: &mut Vec<Op>,
    run: &TextRun,
    fonts: &Fonts,
    ids: &GlyphIds,
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
            ops.push(Op::SetFont {
                font: PdfFontHandle::External(font_id(first.face)),
                size: Pt(run.size),
            });
            ops.push(Op::SetFillColor {
                col: color(run.color),
            });
            face_set = Some(first.face);
        }
        let (x, y) = (
            run.x + first.x * run.size,
            run.baseline - first.y * run.size,
        );
        ops.push(Op::SetTextMatrix {
            matrix: TextMatrix::Raw(matrix(x, y)),
        });
        let face = fonts.face(first.face);
        // Where the reader's pen stands, in ems from the segment's start: each offset, rounded
        // to a tenth of a thousandth of an em, is taken from there, so rounding never adds up.
        let mut pen = first.x;
        let codes = (i..end)
            .map(|k| {
                let g = &glyphs[k];
                let advance = face.pdf_advance(g.id);
                let offset = glyphs
                    .get(k + 1)
                    .filter(|_| k + 1 < end)
                    .map_or(0.0, |next| {
                        ((pen + advance - next.x) * 10_000.0).round() / 10.0
                    });
                pen += advance - offset / 1000.0;
                let chars = run.text.get(g.chars.clone()).unwrap_or_default();
                let text = if per_cluster[&g.chars.start] == 1 {
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
                };
                let gid = ids
                    .get(&g.face)
                    .and_then(|m| m.get(&g.id))
                    .copied()
                    .unwrap_or(0);
                Codepoint::with_cid(gid, offset, text)
            })
            .collect();
        ops.push(Op::ShowText {
            items: vec![TextItem::GlyphIds(codes)],
        });
        i = end;
    }
}
