//! The poster's fonts, written into the PDF directly: each face cut down to the glyphs the poster
//! draws and embedded as a Type 0 font (Identity-H: each two-byte code names a glyph), with its
//! widths, its descriptor and the ToUnicode map that gives a reader's text layer the words back.
//!
//! The subset has no `cmap`: nothing reads characters from an embedded CID font. TrueType faces
//! (`CIDFontType2`) are drawn by their glyph's index in the subset; the CJK face's outlines are a
//! CID-keyed CFF (`CIDFontType0`), which keeps each glyph's CID, and is drawn by it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use lopdf::{Dictionary, Object, ObjectId, Stream};
use sha2::{Digest, Sha256};

use super::super::RenderError;
use super::super::fonts::{FaceId, Fonts};
use super::truetype;

/// One font file as the poster embeds it, for the faces it draws (the CJK file draws both styles).
pub(super) struct Embedded {
    pub faces: Vec<FaceId>,
    /// The code each of the face's original glyphs is drawn with.
    pub codes: BTreeMap<u16, u16>,
    /// The subset font program: a TrueType font, or a bare CFF table.
    program: Vec<u8>,
    cff: bool,
    name: String,
}

impl Embedded {
    /// The face's name in the page's font resources.
    pub fn resource(face: FaceId) -> String {
        format!("F{:?}{:?}", face.family, face.kind)
    }
}

/// Each face `used` (its glyph ids) cut down to those glyphs; faces of one file, once.
pub(super) fn subset_faces(
    fonts: &Fonts,
    used: BTreeMap<FaceId, BTreeSet<u16>>,
) -> Result<Vec<Embedded>, RenderError> {
    let mut files: Vec<(Vec<FaceId>, BTreeSet<u16>)> = Vec::with_capacity(used.len());
    for (face, gids) in used {
        let same = |f: &FaceId| f.postscript_name() == face.postscript_name();
        match files.iter_mut().find(|(faces, _)| faces.iter().any(same)) {
            Some((faces, all)) => {
                faces.push(face);
                all.extend(gids);
            }
            None => files.push((vec![face], gids)),
        }
    }
    let mut out = Vec::with_capacity(files.len());
    for (faces, mut gids) in files {
        let face = faces[0];
        gids.insert(0);
        let gids: Vec<u16> = gids.into_iter().collect();
        let name = face.postscript_name();
        let failed = |e: String| RenderError::Write(format!("font {name}: {e}"));
        let cids = fonts.face(face).cids.as_ref();
        let (program, codes) = match cids {
            // CID-keyed CFF: each glyph keeps its CID, so the code is the CID
            Some(cids) => {
                let program = subset_cff(face.bytes(), &gids).map_err(failed)?;
                let code = |old: u16| cids.get(usize::from(old)).copied().unwrap_or(0);
                (program, gids.iter().map(|&old| (old, code(old))).collect())
            }
            // TrueType: each glyph is drawn by its number in the subset
            None => {
                let (program, order) =
                    truetype::subset(face.bytes(), &gids).map_err(|e| failed(e.to_string()))?;
                let codes = order
                    .iter()
                    .enumerate()
                    .map(|(new, &old)| (old, new as u16));
                (program, codes.collect())
            }
        };
        out.push(Embedded {
            faces,
            codes,
            program,
            cff: cids.is_some(),
            name: format!("{}+{name}", subset_tag(&gids)),
        });
    }
    Ok(out)
}

/// A CID-keyed CFF font cut down by allsorts.
fn subset_cff(font: &[u8], gids: &[u16]) -> Result<Vec<u8>, String> {
    use allsorts::binary::read::ReadScope;
    use allsorts::font_data::FontData;
    use allsorts::subset::prince::{PrinceCmapTarget, subset};
    let data = ReadScope::new(font)
        .read::<FontData<'_>>()
        .map_err(|e| e.to_string())?;
    let provider = data.table_provider(0).map_err(|e| e.to_string())?;
    subset(&provider, gids, PrinceCmapTarget::Omit, false).map_err(|e| e.to_string())
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

/// Add the font's objects to `doc`; returns the Type 0 font to name in the pages' resources.
/// `texts` says, for each code, the characters it stands for.
pub(super) fn add(
    doc: &mut lopdf::Document,
    fonts: &Fonts,
    font: &Embedded,
    texts: &BTreeMap<u16, String>,
) -> ObjectId {
    let face = &fonts.face(font.faces[0]).shaper;
    let scale = 1000.0 / face.units_per_em().max(1) as f32;
    let em = |v: i16| Object::Integer((f32::from(v) * scale).round() as i64);
    let bbox = face.global_bounding_box();
    let weight = face.weight().to_number();

    let mut program_dict = Dictionary::new();
    let file_key = if font.cff {
        program_dict.set("Subtype", Object::Name(b"CIDFontType0C".to_vec()));
        "FontFile3"
    } else {
        program_dict.set("Length1", Object::Integer(font.program.len() as i64));
        "FontFile2"
    };
    let program = doc.add_object(Stream::new(program_dict, font.program.clone()));

    let name = Object::Name(font.name.clone().into_bytes());
    let mut descriptor = Dictionary::new();
    descriptor.set("Type", Object::Name(b"FontDescriptor".to_vec()));
    descriptor.set("FontName", name.clone());
    // Symbolic: glyphs beyond the standard Latin set, drawn by code, never by a name.
    descriptor.set("Flags", Object::Integer(4));
    descriptor.set(
        "FontBBox",
        Object::Array(vec![
            em(bbox.x_min),
            em(bbox.y_min),
            em(bbox.x_max),
            em(bbox.y_max),
        ]),
    );
    descriptor.set("ItalicAngle", Object::Integer(0));
    descriptor.set("Ascent", em(face.ascender()));
    descriptor.set("Descent", em(face.descender()));
    descriptor.set(
        "CapHeight",
        em(face.capital_height().unwrap_or(face.ascender())),
    );
    // No table holds the stem width; estimated from the weight, as PDF producers do.
    let stem = 50.0 + (f32::from(weight) / 65.0).powi(2);
    descriptor.set("StemV", Object::Integer(stem.round() as i64));
    descriptor.set(file_key, Object::Reference(program));
    let descriptor = doc.add_object(descriptor);

    let mut cid_font = Dictionary::new();
    cid_font.set("Type", Object::Name(b"Font".to_vec()));
    let subtype: &[u8] = if font.cff {
        b"CIDFontType0"
    } else {
        b"CIDFontType2"
    };
    cid_font.set("Subtype", Object::Name(subtype.to_vec()));
    cid_font.set("BaseFont", name.clone());
    let mut system = Dictionary::new();
    system.set("Registry", Object::string_literal("Adobe"));
    system.set("Ordering", Object::string_literal("Identity"));
    system.set("Supplement", Object::Integer(0));
    cid_font.set("CIDSystemInfo", Object::Dictionary(system));
    cid_font.set("FontDescriptor", Object::Reference(descriptor));
    cid_font.set("W", widths(fonts, font));
    if !font.cff {
        cid_font.set("CIDToGIDMap", Object::Name(b"Identity".to_vec()));
    }
    let cid_font = doc.add_object(cid_font);

    let to_unicode = doc.add_object(Stream::new(Dictionary::new(), to_unicode(texts)));
    let mut type0 = Dictionary::new();
    type0.set("Type", Object::Name(b"Font".to_vec()));
    type0.set("Subtype", Object::Name(b"Type0".to_vec()));
    type0.set("BaseFont", name);
    type0.set("Encoding", Object::Name(b"Identity-H".to_vec()));
    type0.set(
        "DescendantFonts",
        Object::Array(vec![Object::Reference(cid_font)]),
    );
    type0.set("ToUnicode", Object::Reference(to_unicode));
    doc.add_object(type0)
}

/// `/W`: each code's width in thousandths of an em, as the layout advanced by them; runs of
/// consecutive codes share an array.
fn widths(fonts: &Fonts, font: &Embedded) -> Object {
    let face = fonts.face(font.faces[0]);
    let mut by_code: Vec<(u16, i64)> = font
        .codes
        .iter()
        .map(|(&old, &code)| (code, (face.pdf_advance(old) * 1000.0).round() as i64))
        .collect();
    by_code.sort_unstable();
    let mut out = Vec::new();
    let mut run: Vec<Object> = Vec::new();
    let mut first = 0u16;
    for (k, &(code, w)) in by_code.iter().enumerate() {
        if k > 0 && code != by_code[k - 1].0 + 1 {
            out.push(Object::Integer(i64::from(first)));
            out.push(Object::Array(std::mem::take(&mut run)));
        }
        if run.is_empty() {
            first = code;
        }
        run.push(Object::Integer(w));
    }
    if !run.is_empty() {
        out.push(Object::Integer(i64::from(first)));
        out.push(Object::Array(run));
    }
    Object::Array(out)
}

/// The ToUnicode CMap (ISO 32000-1, 9.10.3): each code's characters as UTF-16BE.
fn to_unicode(texts: &BTreeMap<u16, String>) -> Vec<u8> {
    let mut s = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let entries: Vec<(&u16, &String)> = texts.iter().filter(|(_, t)| !t.is_empty()).collect();
    // A bfchar block holds at most 100 entries.
    for block in entries.chunks(100) {
        let _ = writeln!(s, "{} beginbfchar", block.len());
        for (code, text) in block {
            let _ = write!(s, "<{code:04X}> <");
            for unit in text.encode_utf16() {
                let _ = write!(s, "{unit:04X}");
            }
            s.push_str(">\n");
        }
        s.push_str("endbfchar\n");
    }
    s.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    s.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_to_unicode_map_gives_each_code_its_text_in_blocks_of_a_hundred() {
        let texts: BTreeMap<u16, String> = (0..150u16)
            .map(|c| (c, if c == 3 { "fi".into() } else { "A".into() }))
            .chain([(200, String::new())])
            .collect();
        let cmap = String::from_utf8(to_unicode(&texts)).unwrap();
        assert!(cmap.contains("100 beginbfchar") && cmap.contains("50 beginbfchar"));
        assert!(cmap.contains("<0003> <00660069>"));
        assert!(!cmap.contains("<00C8>"), "an empty text has no entry");
    }
}
