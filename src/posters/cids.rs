//! The CID of each glyph of a CID-keyed CFF face (the CJK face): a PDF draws such a face by CID,
//! and its subset keeps the CIDs while it renumbers the glyphs. Read once, when the fonts load.

use allsorts::binary::read::ReadScope;
use allsorts::cff::{CFF, CFFVariant};
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
    let glyphs = u16::try_from(font.char_strings_index.len()).ok()?;
    (0..glyphs).map(|g| font.charset.id_for_glyph(g)).collect()
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
}
