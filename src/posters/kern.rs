//! A font's kerning pairs, read once when the fonts load: the simple text path (Latin, Greek,
//! Cyrillic, CJK) kerns from them without a shaper.

/// The horizontal pairs of a font's `kern` table (format 0), sorted by `left << 16 | right`.
pub(super) fn kern_pairs(bytes: &[u8], em: f32) -> Vec<(u32, f32)> {
    use rustybuzz::ttf_parser::{self, kern::Format};
    let Some(kern) = ttf_parser::Face::parse(bytes, 0)
        .ok()
        .and_then(|f| f.tables().kern)
    else {
        return Vec::new();
    };
    let mut pairs: Vec<(u32, f32)> = Vec::new();
    for sub in kern.subtables {
        if let (true, false, false, Format::Format0(table)) = (
            sub.horizontal,
            sub.variable,
            sub.has_cross_stream,
            &sub.format,
        ) {
            pairs.extend(table.pairs.into_iter().map(|p| {
                let key = u32::from(p.left().0) << 16 | u32::from(p.right().0);
                (key, (f32::from(p.value) * 1000.0 / em).round() / 1000.0)
            }));
        }
    }
    pairs.sort_by_key(|(k, _)| *k);
    pairs.dedup_by_key(|(k, _)| *k);
    pairs
}
