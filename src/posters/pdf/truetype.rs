//! A TrueType font cut down to the glyphs a poster draws, for embedding as a `CIDFontType2`: the
//! glyphs renumbered in the order given, the components of composite glyphs after them, and only
//! the tables a PDF reader draws with (ISO 32000-1, 9.9: `glyf`, `loca`, `head`, `hhea`, `hmtx`,
//! `maxp` and the hinting tables `cvt `, `fpgm`, `prep`). No `cmap`, `name` or `post`: nothing
//! reads characters or names from an embedded CID font.
//!
//! Pure: font bytes in, font bytes out. Copying glyph records as they are, rather than parsing
//! every glyph of the face into objects as a general subsetter does, keeps it to microseconds.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

/// A font that cannot be cut down.
#[derive(Debug, thiserror::Error, PartialEq)]
pub(super) enum SubsetError {
    #[error("not a TrueType font")]
    NotTrueType,
    #[error("its {0} table is missing or cut short")]
    Table(&'static str),
    #[error("it has no glyph {0}")]
    NoGlyph(u16),
    #[error("its glyph {0} is cut short")]
    Glyph(u16),
    #[error("more than 65535 glyphs")]
    TooMany,
}

/// Composite glyph flags (OpenType `glyf`).
const ARGS_ARE_WORDS: u16 = 0x0001;
const HAVE_SCALE: u16 = 0x0008;
const MORE_COMPONENTS: u16 = 0x0020;
const HAVE_XY_SCALE: u16 = 0x0040;
const HAVE_TWO_BY_TWO: u16 = 0x0080;

/// The subset font, and the original glyph of each of its glyphs: `gids` first, in their order,
/// then the components composite glyphs need.
pub(super) fn subset(font: &[u8], gids: &[u16]) -> Result<(Vec<u8>, Vec<u16>), SubsetError> {
    let tables = Tables::read(font)?;
    let head = tables.get("head")?;
    let maxp = tables.get("maxp")?;
    let hhea = tables.get("hhea")?;
    let (loca, glyf, hmtx) = (
        tables.get("loca")?,
        tables.get("glyf")?,
        tables.get("hmtx")?,
    );
    if head.len() < 54 || maxp.len() < 6 || hhea.len() < 36 {
        return Err(SubsetError::Table("head, maxp or hhea"));
    }
    let num_glyphs = u16_at(maxp, 4);
    let long_loca = u16_at(head, 50) == 1;
    let glyph = |gid: u16| -> Result<&[u8], SubsetError> {
        if gid >= num_glyphs {
            return Err(SubsetError::NoGlyph(gid));
        }
        let at = |i: usize| -> Option<usize> {
            if long_loca {
                Some(u32::from_be_bytes(loca.get(4 * i..4 * i + 4)?.try_into().ok()?) as usize)
            } else {
                Some(
                    usize::from(u16::from_be_bytes(
                        loca.get(2 * i..2 * i + 2)?.try_into().ok()?,
                    )) * 2,
                )
            }
        };
        let i = usize::from(gid);
        let (start, end) = at(i).zip(at(i + 1)).ok_or(SubsetError::Table("loca"))?;
        glyf.get(start..end.max(start))
            .ok_or(SubsetError::Glyph(gid))
    };

    // The glyphs, then every component they need, each once.
    let mut order: Vec<u16> = Vec::with_capacity(gids.len() + 8);
    let mut new_id = HashMap::with_capacity(gids.len() + 8);
    for &g in gids {
        if let Entry::Vacant(slot) = new_id.entry(g) {
            slot.insert(order.len() as u16);
            order.push(g);
        }
    }
    let mut k = 0;
    while k < order.len() {
        let data = glyph(order[k])?;
        for (_, component) in components(data).map_err(|()| SubsetError::Glyph(order[k]))? {
            if let Entry::Vacant(slot) = new_id.entry(component) {
                slot.insert(u16::try_from(order.len()).map_err(|_| SubsetError::TooMany)?);
                order.push(component);
                // a component's own components are found when the loop reaches it
                glyph(component)?;
            }
        }
        k += 1;
    }
    let n = u16::try_from(order.len()).map_err(|_| SubsetError::TooMany)?;

    let mut new_glyf = Vec::with_capacity(order.len() * 256);
    let mut new_loca = Vec::with_capacity(4 * (order.len() + 1));
    for &g in &order {
        new_loca.extend((new_glyf.len() as u32).to_be_bytes());
        let data = glyph(g)?;
        let start = new_glyf.len();
        new_glyf.extend_from_slice(data);
        for (at, component) in components(data).map_err(|()| SubsetError::Glyph(g))? {
            new_glyf[start + at..start + at + 2].copy_from_slice(&new_id[&component].to_be_bytes());
        }
        while new_glyf.len() % 4 != 0 {
            new_glyf.push(0);
        }
    }
    new_loca.extend((new_glyf.len() as u32).to_be_bytes());

    let long_metrics = u16_at(hhea, 34).max(1);
    let mut new_hmtx = Vec::with_capacity(4 * order.len());
    for &g in &order {
        let (advance, lsb) = if g < long_metrics {
            let at = 4 * usize::from(g);
            (hmtx.get(at..at + 2), hmtx.get(at + 2..at + 4))
        } else {
            let last = 4 * usize::from(long_metrics - 1);
            let at = 4 * usize::from(long_metrics) + 2 * usize::from(g - long_metrics);
            (hmtx.get(last..last + 2), hmtx.get(at..at + 2))
        };
        new_hmtx.extend_from_slice(advance.ok_or(SubsetError::Table("hmtx"))?);
        new_hmtx.extend_from_slice(lsb.ok_or(SubsetError::Table("hmtx"))?);
    }

    let mut new_head = head[..54].to_vec();
    new_head[8..12].fill(0); // checkSumAdjustment, set once the font is whole
    new_head[50..52].copy_from_slice(&1u16.to_be_bytes()); // long offsets in loca
    let mut new_hhea = hhea.to_vec();
    new_hhea[34..36].copy_from_slice(&n.to_be_bytes());
    let mut new_maxp = maxp.to_vec();
    new_maxp[4..6].copy_from_slice(&n.to_be_bytes());

    // In tag order, as the table directory must be.
    let mut out: Vec<(&[u8; 4], Vec<u8>)> = Vec::with_capacity(9);
    for (tag, table) in [(b"cvt ", "cvt "), (b"fpgm", "fpgm")] {
        if let Ok(t) = tables.get(table) {
            out.push((tag, t.to_vec()));
        }
    }
    out.push((b"glyf", new_glyf));
    out.push((b"head", new_head));
    out.push((b"hhea", new_hhea));
    out.push((b"hmtx", new_hmtx));
    out.push((b"loca", new_loca));
    out.push((b"maxp", new_maxp));
    if let Ok(t) = tables.get("prep") {
        out.push((b"prep", t.to_vec()));
    }
    Ok((write_font(&out), order))
}

/// Each component of a composite glyph: where its glyph index stands in `data`, and the index.
/// A simple or empty glyph has none.
fn components(data: &[u8]) -> Result<Vec<(usize, u16)>, ()> {
    if data.len() < 10 || i16::from_be_bytes([data[0], data[1]]) >= 0 {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    let mut at = 10;
    loop {
        let flags = data.get(at..at + 2).ok_or(())?;
        let flags = u16::from_be_bytes([flags[0], flags[1]]);
        let gid = data.get(at + 2..at + 4).ok_or(())?;
        found.push((at + 2, u16::from_be_bytes([gid[0], gid[1]])));
        at += 4 + if flags & ARGS_ARE_WORDS != 0 { 4 } else { 2 };
        at += if flags & HAVE_SCALE != 0 {
            2
        } else if flags & HAVE_XY_SCALE != 0 {
            4
        } else if flags & HAVE_TWO_BY_TWO != 0 {
            8
        } else {
            0
        };
        if flags & MORE_COMPONENTS == 0 {
            return Ok(found);
        }
    }
}

fn u16_at(data: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([data[at], data[at + 1]])
}

/// The font's table directory.
struct Tables<'a> {
    font: &'a [u8],
    /// Tag, offset, length.
    records: Vec<([u8; 4], usize, usize)>,
}

impl<'a> Tables<'a> {
    fn read(font: &'a [u8]) -> Result<Self, SubsetError> {
        let header = font.get(..12).ok_or(SubsetError::NotTrueType)?;
        if header[..4] != [0, 1, 0, 0] && &header[..4] != b"true" {
            return Err(SubsetError::NotTrueType);
        }
        let count = usize::from(u16_at(header, 4));
        let directory = font
            .get(12..12 + 16 * count)
            .ok_or(SubsetError::NotTrueType)?;
        let records = directory
            .chunks_exact(16)
            .map(|r| {
                let tag = [r[0], r[1], r[2], r[3]];
                let offset = u32::from_be_bytes([r[8], r[9], r[10], r[11]]) as usize;
                let length = u32::from_be_bytes([r[12], r[13], r[14], r[15]]) as usize;
                (tag, offset, length)
            })
            .collect();
        Ok(Tables { font, records })
    }

    fn get(&self, tag: &'static str) -> Result<&'a [u8], SubsetError> {
        let &(_, offset, length) = self
            .records
            .iter()
            .find(|(t, ..)| t == tag.as_bytes())
            .ok_or(SubsetError::Table(tag))?;
        self.font
            .get(offset..offset.saturating_add(length))
            .ok_or(SubsetError::Table(tag))
    }
}

/// Sum of the big-endian u32s of `data`, zero-padded to a multiple of four (OpenType's checksum).
fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, c| {
        let mut word = [0u8; 4];
        word[..c.len()].copy_from_slice(c);
        sum.wrapping_add(u32::from_be_bytes(word))
    })
}

/// The font file: its directory, then each table on a four-byte boundary.
fn write_font(tables: &[(&[u8; 4], Vec<u8>)]) -> Vec<u8> {
    let count = tables.len() as u16;
    let entry_selector = 15 - count.leading_zeros() as u16; // floor(log2(count))
    let search_range = 16u16 << entry_selector;
    let size: usize = tables
        .iter()
        .map(|(_, t)| t.len().next_multiple_of(4))
        .sum();
    let mut out = Vec::with_capacity(12 + 16 * tables.len() + size);
    out.extend(0x0001_0000u32.to_be_bytes());
    for v in [
        count,
        search_range,
        entry_selector,
        count * 16 - search_range,
    ] {
        out.extend(v.to_be_bytes());
    }
    let mut offset = 12 + 16 * tables.len();
    let mut head_at = None;
    for (tag, table) in tables {
        if *tag == b"head" {
            head_at = Some(offset);
        }
        out.extend_from_slice(*tag);
        out.extend(checksum(table).to_be_bytes());
        out.extend((offset as u32).to_be_bytes());
        out.extend((table.len() as u32).to_be_bytes());
        offset += table.len().next_multiple_of(4);
    }
    for (_, table) in tables {
        out.extend_from_slice(table);
        out.resize(out.len().next_multiple_of(4), 0);
    }
    if let Some(at) = head_at {
        let adjustment = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
        out[at + 8..at + 12].copy_from_slice(&adjustment.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustybuzz::ttf_parser;

    /// Each glyph's outline as a list of drawing commands, read by ttf-parser: the oracle.
    #[derive(Default, PartialEq, Debug)]
    struct Outline(Vec<String>);

    impl ttf_parser::OutlineBuilder for Outline {
        fn move_to(&mut self, x: f32, y: f32) {
            self.0.push(format!("M{x} {y}"));
        }
        fn line_to(&mut self, x: f32, y: f32) {
            self.0.push(format!("L{x} {y}"));
        }
        fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
            self.0.push(format!("Q{x1} {y1} {x} {y}"));
        }
        fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
            self.0.push(format!("C{x1} {y1} {x2} {y2} {x} {y}"));
        }
        fn close(&mut self) {
            self.0.push("Z".into());
        }
    }

    fn outline(face: &ttf_parser::Face<'_>, gid: u16) -> (Outline, Option<u16>) {
        let mut o = Outline::default();
        face.outline_glyph(ttf_parser::GlyphId(gid), &mut o);
        (o, face.glyph_hor_advance(ttf_parser::GlyphId(gid)))
    }

    fn font(name: &str) -> Vec<u8> {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fonts")
                .join(name),
        )
        .unwrap()
    }

    fn check_same_glyphs(file: &str, gids: &[u16]) -> Vec<u16> {
        let original = font(file);
        let (cut, order) = subset(&original, gids).unwrap();
        assert!(
            cut.len() < original.len() / 4,
            "{file}: {} bytes",
            cut.len()
        );
        let before = ttf_parser::Face::parse(&original, 0).unwrap();
        let after = ttf_parser::Face::parse(&cut, 0).unwrap();
        assert_eq!(after.number_of_glyphs() as usize, order.len());
        assert_eq!(&order[..gids.len()], gids);
        for (new, &old) in order.iter().enumerate() {
            assert_eq!(
                outline(&after, new as u16),
                outline(&before, old),
                "{file}: glyph {old} (now {new})"
            );
        }
        assert_eq!(checksum(&cut), 0xB1B0_AFBA, "the font's checksum adds up");
        order
    }

    #[test]
    fn every_glyph_keeps_its_outline_and_advance_composites_with_their_components() {
        let dejavu = font("DejaVuSans.ttf");
        let face = ttf_parser::Face::parse(&dejavu, 0).unwrap();
        let gid = |c: char| face.glyph_index(c).unwrap().0;
        // accented capitals are composites in DejaVu: their base letters come along
        let gids: Vec<u16> = std::iter::once(0)
            .chain("Tomás ÉÖÇ ẞ 0123 ỹ".chars().filter(|c| *c != ' ').map(gid))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let order = check_same_glyphs("DejaVuSans.ttf", &gids);
        assert!(order.len() > gids.len(), "the components came along");

        // a fixed-seed sample of a whole face, against the same oracle
        let bold = font("DejaVuSans-Bold.ttf");
        let count = u32::from(
            ttf_parser::Face::parse(&bold, 0)
                .unwrap()
                .number_of_glyphs(),
        );
        let mut state = 0x2545_F491u32;
        let mut sample = std::collections::BTreeSet::from([0u16]);
        while sample.len() < 300 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            sample.insert((state % count) as u16);
        }
        let sample: Vec<u16> = sample.into_iter().collect();
        check_same_glyphs("DejaVuSans-Bold.ttf", &sample);
        check_same_glyphs("NotoSansArabic-Regular.ttf", &[0, 5, 80, 200, 400]);
        check_same_glyphs("NotoSansHebrew-Bold.ttf", &[0, 3, 30, 60]);
    }

    #[test]
    fn what_is_not_a_truetype_font_or_glyph_is_refused() {
        assert_eq!(subset(b"%PDF-1.7", &[0]), Err(SubsetError::NotTrueType));
        let cff = font("NotoSansCJKsc-Bold.otf");
        assert_eq!(subset(&cff, &[0]), Err(SubsetError::NotTrueType));
        let dejavu = font("DejaVuSans.ttf");
        assert_eq!(
            subset(&dejavu, &[0, 60_000]),
            Err(SubsetError::NoGlyph(60_000))
        );
        assert!(subset(&dejavu[..4000], &[0]).is_err());
    }
}
