//! The PDF writer: draws a laid-out page with printpdf. Photos go in as the prepared JPEG bytes
//! (`/DCTDecode`, never re-encoded); fonts are subset here to the glyphs the page uses and embedded.
//!
//! Deterministic: resource names are fixed, dates come from the issue date, and the document id is a
//! hash of what the page shows, so the same input gives the same bytes.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::NaiveDate;
use printpdf::{
    Codepoint, Color, DictItem, ExtendedGraphicsState, ExtendedGraphicsStateId, ExternalStream,
    ExternalXObject, FontId, Op, PaintMode, ParsedFont, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Pt, Px, TextItem, TextMatrix, WindingOrder, XObject, XObjectId,
    XObjectTransform,
};
use sha2::{Digest, Sha256};

use super::RenderError;
use super::fonts::{FaceId, Fonts};
use super::layout::{Element, Page, Rect, TextRun};
use super::tagged::{self, Marked};
use super::template::Rgb;

const WATERMARK_GS: &str = "GSsample";
/// zlib level for text and font streams. Measured on the example letter: level 1 makes the whole PDF
/// 3% larger than level 9 (photos dominate it) and the render 1.3 ms faster (2.2 ms instead of 3.5).
const FLATE_LEVEL: u32 = 1;

/// Write `page` as a one-page, tagged PDF: `title` in its metadata, `lang` (BCP 47, `en-US`) its
/// language.
pub fn write(
    page: &Page<'_>,
    fonts: &Fonts,
    title: &str,
    lang: &str,
    date: NaiveDate,
) -> Result<Vec<u8>, RenderError> {
    let mut doc = PdfDocument::new(title);
    let stamp = printpdf::OffsetDateTime::from_unix_timestamp(
        date.and_hms_opt(0, 0, 0)
            .map_or(0, |d| d.and_utc().timestamp()),
    )
    .map_err(|e| RenderError::Write(format!("issue date: {e}")))?;
    let info = &mut doc.metadata.info;
    info.creation_date = stamp;
    info.modification_date = stamp;
    info.metadata_date = stamp;
    info.producer = "lookout".into();
    info.creator = "lookout".into();

    let subsets = subset_fonts(page)?;
    let mut glyph_ids = GlyphIds::new();
    for Subset { face, font, ids } in subsets {
        doc.resources
            .fonts
            .map
            .insert(font_id(face), printpdf::PdfFont::new(font));
        glyph_ids.insert(face, ids);
    }
    for (i, photo) in page.photos.iter().enumerate() {
        doc.resources.xobjects.map.insert(
            photo_id(i),
            XObject::External(jpeg_xobject(&photo.jpeg, photo.width, photo.height)),
        );
    }
    doc.resources.extgstates.map.insert(
        ExtendedGraphicsStateId(WATERMARK_GS.into()),
        ExtendedGraphicsState::default().with_current_fill_alpha(0.28),
    );

    let (ops, marks) = page_ops(page, fonts, &glyph_ids);
    doc.pages.push(PdfPage::new(
        printpdf::Mm::from(Pt(page.width)),
        printpdf::Mm::from(Pt(page.height)),
        ops,
    ));

    let opts = PdfSaveOptions {
        subset_fonts: false, // already subset above
        image_optimization: None,
        ..PdfSaveOptions::default()
    };
    let mut warnings = Vec::new();
    let mut lo = doc.to_lopdf_document(&opts, &mut warnings);
    tagged::structure(&mut lo, &marks, lang, title)
        .map_err(|e| RenderError::Write(format!("tags: {e}")))?;
    let id = document_id(page);
    lo.trailer.set(
        "ID",
        lopdf::Object::Array(vec![
            lopdf::Object::String(id.clone(), lopdf::StringFormat::Hexadecimal),
            lopdf::Object::String(id, lopdf::StringFormat::Hexadecimal),
        ]),
    );
    compress(&mut lo)?;
    let mut out = Vec::new();
    lo.save_to(&mut out)
        .map_err(|e| RenderError::Write(e.to_string()))?;
    Ok(out)
}

/// Deflate every stream that may be compressed and is not already (photos stay DCT as they are).
/// lopdf's own `compress` uses the slowest level, which costs more than the whole rest of a poster
/// for a few percent of size.
fn compress(doc: &mut lopdf::Document) -> Result<(), RenderError> {
    use std::io::Write;
    for object in doc.objects.values_mut() {
        let lopdf::Object::Stream(stream) = object else {
            continue;
        };
        if !stream.allows_compression || stream.dict.get(b"Filter").is_ok() {
            continue;
        }
        let mut encoder =
            flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(FLATE_LEVEL));
        encoder
            .write_all(&stream.content)
            .map_err(|e| RenderError::Write(e.to_string()))?;
        let packed = encoder
            .finish()
            .map_err(|e| RenderError::Write(e.to_string()))?;
        if packed.len() < stream.content.len() {
            stream.dict.set("Filter", "FlateDecode");
            stream.set_content(packed);
        }
    }
    Ok(())
}

/// Each embedded face's glyph ids, original to subset.
type GlyphIds = BTreeMap<FaceId, BTreeMap<u16, u16>>;

fn font_id(face: FaceId) -> FontId {
    FontId(format!("F{:?}{:?}", face.family, face.kind))
}

fn photo_id(i: usize) -> XObjectId {
    XObjectId(format!("Photo{i}"))
}

/// A stable document id: a hash of the page's text, where it stands, and its photos.
fn document_id(page: &Page<'_>) -> Vec<u8> {
    let mut h = Sha256::new();
    for e in &page.elements {
        if let Element::Text(run) | Element::Watermark { run, .. } = e {
            h.update(run.text.as_bytes());
            for v in [run.x, run.baseline, run.size] {
                h.update(v.to_le_bytes());
            }
        }
    }
    for p in &page.photos {
        h.update(&p.jpeg);
    }
    h.finalize()[..16].to_vec()
}

/// The prepared JPEG as an image XObject, bytes untouched.
fn jpeg_xobject(jpeg: &[u8], width: u32, height: u32) -> ExternalXObject {
    let name = |n: &str| DictItem::Name(n.as_bytes().to_vec());
    let dict = BTreeMap::from([
        ("Type".to_string(), name("XObject")),
        ("Subtype".to_string(), name("Image")),
        ("Width".to_string(), DictItem::Int(i64::from(width))),
        ("Height".to_string(), DictItem::Int(i64::from(height))),
        ("ColorSpace".to_string(), name("DeviceRGB")),
        ("BitsPerComponent".to_string(), DictItem::Int(8)),
        ("Filter".to_string(), name("DCTDecode")),
    ]);
    ExternalXObject {
        stream: ExternalStream {
            dict,
            content: jpeg.to_vec(),
            compress: false,
        },
        width: Some(Px(width as usize)),
        height: Some(Px(height as usize)),
        dpi: None,
    }
}

/// A face cut down to the glyphs a page draws, and each glyph's id in it.
struct Subset {
    face: FaceId,
    font: ParsedFont,
    ids: BTreeMap<u16, u16>,
}

/// Each used face cut down to the glyphs the page draws, named with a subset tag, with the new
/// id of each glyph (the subset keeps the order of the ids it is given).
fn subset_fonts(page: &Page<'_>) -> Result<Vec<Subset>, RenderError> {
    let mut used: BTreeMap<FaceId, BTreeSet<u16>> = BTreeMap::new();
    for e in &page.elements {
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

fn color(c: Rgb) -> Color {
    let [r, g, b] = c.0;
    Color::Rgb(printpdf::Rgb::new(
        f32::from(r) / 255.0,
        f32::from(g) / 255.0,
        f32::from(b) / 255.0,
        None,
    ))
}

/// The page's elements as PDF operations, each text run and photo a marked-content sequence of its
/// own (numbered in the order of the returned marks), the rest artifacts; the layout's y runs down,
/// PDF's up.
fn page_ops(page: &Page<'_>, fonts: &Fonts, ids: &GlyphIds) -> (Vec<Op>, Vec<Marked>) {
    let h = page.height;
    let mut ops = Vec::new();
    let mut marks = Vec::new();
    for e in &page.elements {
        let mark = match e {
            Element::Text(run) => Some(Marked::Text(run.tag)),
            Element::Photo { alt, section, .. } => Some(Marked::Figure {
                section: *section,
                alt: alt.clone(),
            }),
            _ => None,
        };
        match &mark {
            Some(m) => ops.push(tagged::begin(m, marks.len())),
            None => ops.push(Op::BeginMarkedContent {
                tag: "Artifact".into(),
            }),
        }
        marks.extend(mark);
        element_ops(&mut ops, e, h, fonts, ids);
        ops.push(Op::EndMarkedContent);
    }
    (ops, marks)
}

fn element_ops(ops: &mut Vec<Op>, e: &Element, h: f32, fonts: &Fonts, ids: &GlyphIds) {
    match e {
        Element::Fill { rect, color: c } => {
            ops.push(Op::SetFillColor { col: color(*c) });
            ops.push(fill_rect(*rect, h));
        }
        Element::Text(run) => {
            let spelled = !drawn_in_reading_order(run) && !run.glyphs.iter().any(|g| g.rtl);
            if spelled {
                ops.push(actual_text(&run.text));
            }
            ops.push(Op::StartTextSection);
            glyph_ops(ops, run, fonts, ids, |x, y| [1.0, 0.0, 0.0, 1.0, x, h - y]);
            ops.push(Op::EndTextSection);
            if spelled {
                ops.push(Op::EndMarkedContent);
            }
        }
        Element::Photo { rect, photo, .. } => ops.push(Op::UseXobject {
            id: photo_id(*photo),
            transform: XObjectTransform {
                translate_x: Some(Pt(rect.x)),
                translate_y: Some(Pt(h - rect.bottom())),
                scale_x: Some(rect.w),
                scale_y: Some(rect.h),
                no_auto_scale: true,
                ..XObjectTransform::default()
            },
        }),
        Element::Qr {
            rect,
            modules,
            dark,
            color: c,
        } => {
            ops.push(Op::SetFillColor { col: color(*c) });
            qr_ops(ops, *rect, *modules, dark, h);
        }
        Element::Watermark {
            run,
            center,
            angle_deg,
            ..
        } => {
            ops.push(Op::SaveGraphicsState);
            ops.push(Op::LoadGraphicsState {
                gs: ExtendedGraphicsStateId(WATERMARK_GS.into()),
            });
            let (sin, cos) = angle_deg.to_radians().sin_cos();
            // Each glyph segment's start relative to the centre, rotated, in PDF coordinates.
            let rotated = |x: f32, y: f32| {
                let (dx, dy) = (x - center.0, -(y - center.1));
                let tx = center.0 + cos * dx - sin * dy;
                let ty = (h - center.1) + sin * dx + cos * dy;
                [cos, sin, -sin, cos, tx, ty]
            };
            ops.push(Op::StartTextSection);
            glyph_ops(ops, run, fonts, ids, rotated);
            ops.push(Op::EndTextSection);
            ops.push(Op::RestoreGraphicsState);
        }
    }
}

fn fill_rect(r: Rect, page_h: f32) -> Op {
    Op::DrawRectangle {
        rectangle: printpdf::Rect {
            x: Pt(r.x),
            y: Pt(page_h - r.bottom()),
            width: Pt(r.w),
            height: Pt(r.h),
            mode: Some(PaintMode::Fill),
            winding_order: Some(WindingOrder::NonZero),
        },
    }
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
fn drawn_in_reading_order(run: &TextRun) -> bool {
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
fn actual_text(text: &str) -> Op {
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
fn glyph_ops(
    ops: &mut Vec<Op>,
    run: &TextRun,
    fonts: &Fonts,
    ids: &GlyphIds,
    matrix: impl Fn(f32, f32) -> [f32; 6],
) {
    let glyphs = &run.glyphs;
    let mut seen = HashSet::new();
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
        let codes = (i..end)
            .map(|k| {
                let g = &glyphs[k];
                let offset = glyphs
                    .get(k + 1)
                    .filter(|_| k + 1 < end)
                    .map_or(0.0, |next| (g.x + face.pdf_advance(g.id) - next.x) * 1000.0);
                let text = if seen.insert(g.chars.start) {
                    cluster_text(run.text.get(g.chars.clone()).unwrap_or_default(), g.rtl)
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

/// Dark modules as rectangles, one per horizontal run, slightly overlapping so no hairline shows.
fn qr_ops(ops: &mut Vec<Op>, rect: Rect, modules: usize, dark: &[bool], page_h: f32) {
    let m = rect.w / modules as f32;
    for row in 0..modules {
        let mut col = 0;
        while col < modules {
            if !dark[row * modules + col] {
                col += 1;
                continue;
            }
            let start = col;
            while col < modules && dark[row * modules + col] {
                col += 1;
            }
            let r = Rect::new(
                rect.x + start as f32 * m,
                rect.y + row as f32 * m,
                (col - start) as f32 * m,
                m + 0.05,
            );
            ops.push(fill_rect(r, page_h));
        }
    }
}
