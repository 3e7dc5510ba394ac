//! The CID of each glyph of a CID-keyed CFF face (the CJK face): a PDF draws such a face by CID,
//! and its subset keeps the CIDs while it renumbers the glyphs. Read once, when the fonts load.

use allsorts::binary::read::ReadScope;
use allsorts::cff::{CFF, CFFVariant, Charset, CustomCharset};
use allsorts::font_data::FontData;
use allsorts::tables::FontTableProvider;
use allsorts::tag;

/// Each glyph's CID, indexed by glyph id; `None` for a TrueType face or a name-keyed CFF.
pub fn of_face(font: &[u8]) -> Option<Vec<u16>> {
    let data = ReadScope::new(font).read::<FontData<'_>>().ok()?;
    let provider = data.table_provider(0).ok()?;
    let table = provider.read_table_data(tag::CFF).ok()?;
    let cff = ReadScope::new(&table).read::<CFF<'_>>().ok()?;
    let font = cff.fonts.first()?;
    if !matches!(font.data, CFFVariant::CID(_)) {
        return None;
    }
    let glyphs = font.char_strings_index.len();
    let cids = expand(&font.charset, glyphs);
    (cids.len() == glyphs).then_some(cids)
}

/// The charset's id of every glyph, `glyphs` of them, in one pass: looking each glyph up on its
/// own walks the ranges from the start every time, which for the CJK face's 30,000 glyphs is
/// most of the renderer's start-up.
fn expand(charset: &Charset<'_>, glyphs: usize) -> Vec<u16> {
    let mut ids = Vec::with_capacity(glyphs);
    ids.push(0); // .notdef, which the charset leaves out
    match charset {
        Charset::Custom(CustomCharset::Format0 { glyphs }) => ids.extend(glyphs.iter()),
        Charset::Custom(CustomCharset::Format1 { ranges }) => {
            for r in ranges.iter() {
                ids.extend((0..=u16::from(r.n_left)).map(|k| r.first.wrapping_add(k)));
            }
        }
        Charset::Custom(CustomCharset::Format2 { ranges }) => {
            for r in ranges.iter() {
                ids.extend((0..=r.n_left).map(|k| r.first.wrapping_add(k)));
            }
        }
        other => {
            let ids_of = (1..glyphs).map_while(|g| other.id_for_glyph(u16::try_from(g).ok()?));
            ids.extend(ids_of)
        }
    }
    ids.truncate(glyphs);
    ids
}

#[cfg(test)]
mod tests {
    use super::super::fonts::{FaceId, Family, FontKind};
    use super::*;

    #[test]
    fn the_cjk_face_is_cid_keyed_and_the_others_are_not() {
        let cjk = of_face(FaceId::new(Family::Cjk, FontKind::Bold).bytes()).unwrap();
        assert_eq!(cjk[0], 0, ".notdef is CID 0");
        let mut sorted = cjk.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), cjk.len(), "every glyph has its own CID");
        assert!(of_face(FaceId::new(Family::DejaVu, FontKind::Regular).bytes()).is_none());
    }

    /// The one-pass expansion against the charset's own lookup, glyph by glyph.
    #[test]
    fn the_expansion_is_the_charsets_own_lookup() {
        let bytes = FaceId::new(Family::Cjk, FontKind::Bold).bytes();
        let data = ReadScope::new(bytes).read::<FontData<'_>>().unwrap();
        let provider = data.table_provider(0).unwrap();
        let table = provider.read_table_data(tag::CFF).unwrap();
        let cff = ReadScope::new(&table).read::<CFF<'_>>().unwrap();
        let font = &cff.fonts[0];
        let all = of_face(bytes).unwrap();
        assert_eq!(all.len(), font.char_strings_index.len());
        for g in (0..all.len()).step_by(97).chain([all.len() - 1]) {
            assert_eq!(
                Some(all[g]),
                font.charset.id_for_glyph(g as u16),
                "glyph {g}"
            );
        }
    }
}
