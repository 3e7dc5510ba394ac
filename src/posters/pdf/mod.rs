//! The PDF writer: printpdf makes the document (its pages, photos and metadata); each page's
//! content stream is written here as bytes (`content`), and so are the fonts (`embed`). Photos go in as the prepared JPEG bytes
//! (`/DCTDecode`, never re-encoded); fonts are subset here to the glyphs the page uses and embedded.
//!
//! Deterministic: resource names are fixed, dates come from the issue date, and the document id is a
//! hash of what the page shows, so the same input gives the same bytes.

mod content;
mod embed;
mod glyphs;
mod truetype;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use printpdf::{
    DictItem, ExtendedGraphicsState, ExtendedGraphicsStateId, ExternalStream, ExternalXObject,
    PdfDocument, PdfPage, PdfSaveOptions, Pt, Px, XObject, XObjectId,
};
use sha2::{Digest, Sha256};

use super::RenderError;
use super::fonts::Fonts;
use super::layout::{Element, Page, Rect, Role};
use super::tagged::{self, Marked};
use content::Content;
use embed::Embedded;
use glyphs::{Codes, Texts, drawn_in_reading_order, glyph_ops, used_glyphs};

const WATERMARK_GS: &str = "GSsample";
/// zlib level for text and font streams. Measured on the example letter: level 1 makes the whole PDF
/// 3% larger than level 9 (photos dominate it) and the render 1.3 ms faster (2.2 ms instead of 3.5).
const FLATE_LEVEL: u32 = 1;

/// Write `page` (with its continuation pages, if any) as a tagged PDF: `title` in its metadata,
/// `lang` (BCP 47, `en-US`) its language.
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

    let embedded = embed::subset_faces(fonts, used_glyphs(page))?;
    let codes: Codes = embedded
        .iter()
        .flat_map(|e| e.faces.iter().map(|&f| (f, e.codes.clone())))
        .collect();
    let mut texts = Texts::new();
    for (i, photo) in page.photos.iter().enumerate() {
        doc.resources.xobjects.map.insert(
            XObjectId(photo_name(i)),
            XObject::External(jpeg_xobject(&photo.jpeg, photo.width, photo.height)),
        );
    }
    doc.resources.extgstates.map.insert(
        ExtendedGraphicsStateId(WATERMARK_GS.into()),
        ExtendedGraphicsState::default().with_current_fill_alpha(0.28),
    );

    let mut marks = Vec::new();
    let mut contents = Vec::new();
    for elements in page.pages() {
        let (content, marked) = page_content(elements, page.height, fonts, &codes, &mut texts);
        // printpdf makes the page; its content stream is ours, put in below
        doc.pages.push(PdfPage::new(
            printpdf::Mm::from(Pt(page.width)),
            printpdf::Mm::from(Pt(page.height)),
            Vec::new(),
        ));
        contents.push(content);
        marks.push(marked);
    }

    let opts = PdfSaveOptions {
        subset_fonts: false, // the fonts are not printpdf's: `embed` writes them
        image_optimization: None,
        // the text operators are written as raw operators (`Tf`, `TJ`) naming our own fonts
        secure: false,
        ..PdfSaveOptions::default()
    };
    let mut warnings = Vec::new();
    let mut lo = doc.to_lopdf_document(&opts, &mut warnings);
    put_contents(&mut lo, contents)?;
    add_fonts(&mut lo, fonts, &embedded, &texts)?;
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
    // The photos are most of the file: room for them and the rest up front, not grown by copying.
    let photos: usize = page.photos.iter().map(|p| p.jpeg.len()).sum();
    let mut out = Vec::with_capacity(photos + 256 * 1024);
    lo.save_to(&mut out)
        .map_err(|e| RenderError::Write(e.to_string()))?;
    Ok(out)
}

/// Each page's content stream, in page order, into the page printpdf made.
fn put_contents(doc: &mut lopdf::Document, contents: Vec<Vec<u8>>) -> Result<(), RenderError> {
    let missing = || RenderError::Write("a page has no content stream".into());
    let pages: Vec<lopdf::ObjectId> = doc.get_pages().into_values().collect();
    if pages.len() != contents.len() {
        return Err(RenderError::Write(format!(
            "{} pages drawn, {} in the document",
            contents.len(),
            pages.len()
        )));
    }
    for (page, content) in pages.into_iter().zip(contents) {
        let id = doc
            .get_dictionary(page)
            .and_then(|d| d.get(b"Contents"))
            .and_then(lopdf::Object::as_reference)
            .map_err(|_| missing())?;
        match doc.get_object_mut(id) {
            Ok(lopdf::Object::Stream(stream)) => stream.set_content(content),
            _ => return Err(missing()),
        }
    }
    Ok(())
}

/// Write the embedded fonts and name them in the font resources every page shares.
fn add_fonts(
    doc: &mut lopdf::Document,
    fonts: &Fonts,
    embedded: &[Embedded],
    texts: &Texts,
) -> Result<(), RenderError> {
    let missing = |what: &str| RenderError::Write(format!("the page has no {what}"));
    let page = *doc.get_pages().get(&1).ok_or_else(|| missing("page"))?;
    let resources = match doc
        .get_dictionary(page)
        .and_then(|d| d.get(b"Resources"))
        .map_err(|_| missing("resources"))?
    {
        lopdf::Object::Reference(id) => {
            doc.get_dictionary(*id).map_err(|_| missing("resources"))?
        }
        lopdf::Object::Dictionary(d) => d,
        _ => return Err(missing("resources")),
    };
    let font_dict = resources
        .get(b"Font")
        .and_then(lopdf::Object::as_reference)
        .map_err(|_| missing("font resources"))?;
    let mut named = Vec::with_capacity(embedded.len());
    for e in embedded {
        // the faces of one file share its codes, so their texts go in one map
        let mut said = BTreeMap::new();
        for face in &e.faces {
            for (code, text) in texts.get(face).into_iter().flatten() {
                said.entry(*code).or_insert_with(|| text.clone());
            }
        }
        let id = embed::add(doc, fonts, e, &said);
        named.extend(e.faces.iter().map(|&f| (Embedded::resource(f), id)));
    }
    let dict = doc
        .get_object_mut(font_dict)
        .and_then(lopdf::Object::as_dict_mut)
        .map_err(|_| missing("font resources"))?;
    for (name, id) in named {
        dict.set(name, lopdf::Object::Reference(id));
    }
    Ok(())
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

fn photo_name(i: usize) -> String {
    format!("Photo{i}")
}

/// A stable document id: a hash of the page's text, where it stands, and its photos.
fn document_id(page: &Page<'_>) -> Vec<u8> {
    let mut h = Sha256::new();
    for e in page.pages().flatten() {
        if let Element::Text(run) | Element::Watermark { run, .. } = e {
            h.update(run.text.as_bytes());
            for v in [run.x, run.baseline, run.size] {
                h.update(v.to_le_bytes());
            }
        }
    }
    // A photo by its size, dimensions and the ends of its JPEG: another photo differs there, and
    // hashing every byte of every photo cost a twentieth of the poster.
    const ENDS: usize = 4096;
    for p in &page.photos {
        let n = p.jpeg.len();
        h.update((n as u64).to_le_bytes());
        h.update(p.width.to_le_bytes());
        h.update(p.height.to_le_bytes());
        h.update(&p.jpeg[..n.min(ENDS)]);
        h.update(&p.jpeg[n.saturating_sub(ENDS)..]);
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

/// One page's elements as its content stream, each text run and photo a marked-content sequence of
/// its own (numbered in the order of the returned marks), the rest artifacts; the layout's y runs
/// down, PDF's up, from the page's height `h`.
fn page_content(
    elements: &[Element],
    h: f32,
    fonts: &Fonts,
    codes: &Codes,
    texts: &mut Texts,
) -> (Vec<u8>, Vec<Marked>) {
    let mut out = Content::new();
    let mut marks = Vec::new();
    for e in elements {
        let mark = match e {
            Element::Text(run) if run.tag.role == Role::Repeated => None,
            Element::Text(run) => Some(Marked::Text(run.tag)),
            Element::Photo { alt, section, .. } => Some(Marked::Figure {
                section: *section,
                alt: alt.clone(),
            }),
            _ => None,
        };
        match &mark {
            Some(m) => out.begin_marked(m.structure_type(), marks.len()),
            None => out.begin_artifact(),
        }
        marks.extend(mark);
        element_content(&mut out, e, h, fonts, codes, texts);
        out.end_marked();
    }
    (out.into_bytes(), marks)
}

fn element_content(
    out: &mut Content,
    e: &Element,
    h: f32,
    fonts: &Fonts,
    codes: &Codes,
    texts: &mut Texts,
) {
    match e {
        Element::Fill { rect, color } => {
            out.fill_color(*color);
            out.fill_rect(rect.x, h - rect.bottom(), rect.w, rect.h);
        }
        Element::Text(run) => {
            let spelled = !drawn_in_reading_order(run) && !run.glyphs.iter().any(|g| g.rtl);
            if spelled {
                out.begin_actual_text(&run.text);
            }
            out.begin_text();
            glyph_ops(out, run, fonts, codes, texts, |x, y| {
                [1.0, 0.0, 0.0, 1.0, x, h - y]
            });
            out.end_text();
            if spelled {
                out.end_marked();
            }
        }
        Element::Photo { rect, photo, .. } => out.image(
            &photo_name(*photo),
            rect.x,
            h - rect.bottom(),
            rect.w,
            rect.h,
        ),
        Element::Qr {
            rect,
            modules,
            dark,
            color,
        } => {
            out.fill_color(*color);
            qr_content(out, *rect, *modules, dark, h);
        }
        Element::Watermark {
            run,
            center,
            angle_deg,
            ..
        } => {
            out.save();
            out.graphics_state(WATERMARK_GS);
            let (sin, cos) = angle_deg.to_radians().sin_cos();
            // Each glyph segment's start relative to the centre, rotated, in PDF coordinates.
            let rotated = |x: f32, y: f32| {
                let (dx, dy) = (x - center.0, -(y - center.1));
                let tx = center.0 + cos * dx - sin * dy;
                let ty = (h - center.1) + sin * dx + cos * dy;
                [cos, sin, -sin, cos, tx, ty]
            };
            out.begin_text();
            glyph_ops(out, run, fonts, codes, texts, rotated);
            out.end_text();
            out.restore();
        }
    }
}

/// Dark modules as rectangles, one per horizontal run, slightly overlapping so no hairline shows.
fn qr_content(out: &mut Content, rect: Rect, modules: usize, dark: &[bool], page_h: f32) {
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
            out.fill_rect(r.x, page_h - r.bottom(), r.w, r.h);
        }
    }
}
