//! Scripts whose letters must be joined, reordered or written right to left. Text is shaped, and
//! Arabic, Hebrew and Devanagari have faces that write them; a letter of any other of these
//! scripts is refused even where some face has a glyph for it (DejaVu has N'Ko and Lao letters,
//! say), because without a face made for its script it would print as a different, wrong name.

/// The script of `c` when it needs shaping or right-to-left ordering, by its name in English.
pub fn needs_shaping(c: char) -> Option<&'static str> {
    let cp = c as u32;
    BLOCKS
        .iter()
        .find(|(lo, hi, _)| (*lo..=*hi).contains(&cp))
        .map(|&(_, _, script)| script)
}

/// (first, last, script): the Unicode blocks of scripts that join, reorder or run right to left.
const BLOCKS: &[(u32, u32, &str)] = &[
    (0x0590, 0x05FF, "Hebrew"),
    (0x0600, 0x06FF, "Arabic"),
    (0x0700, 0x074F, "Syriac"),
    (0x0750, 0x077F, "Arabic"),
    (0x0780, 0x07BF, "Thaana"),
    (0x07C0, 0x07FF, "N'Ko"),
    (0x0800, 0x083F, "Samaritan"),
    (0x0840, 0x085F, "Mandaic"),
    (0x0860, 0x086F, "Syriac"),
    (0x0870, 0x08FF, "Arabic"),
    (0x0900, 0x097F, "Devanagari"),
    (0x0980, 0x09FF, "Bengali"),
    (0x0A00, 0x0A7F, "Gurmukhi"),
    (0x0A80, 0x0AFF, "Gujarati"),
    (0x0B00, 0x0B7F, "Oriya"),
    (0x0B80, 0x0BFF, "Tamil"),
    (0x0C00, 0x0C7F, "Telugu"),
    (0x0C80, 0x0CFF, "Kannada"),
    (0x0D00, 0x0D7F, "Malayalam"),
    (0x0D80, 0x0DFF, "Sinhala"),
    (0x0E00, 0x0E7F, "Thai"),
    (0x0E80, 0x0EFF, "Lao"),
    (0x0F00, 0x0FFF, "Tibetan"),
    (0x1000, 0x109F, "Myanmar"),
    (0x1780, 0x17FF, "Khmer"),
    (0x1800, 0x18AF, "Mongolian"),
    (0x19E0, 0x19FF, "Khmer"),
    (0xA8E0, 0xA8FF, "Devanagari"),
    (0xFB1D, 0xFB4F, "Hebrew"),
    (0xFB50, 0xFDFF, "Arabic"),
    (0xFE70, 0xFEFF, "Arabic"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joined_and_right_to_left_scripts_are_named_and_others_pass() {
        for (c, script) in [
            ('ع', "Arabic"),
            ('ש', "Hebrew"),
            ('ﻋ', "Arabic"),
            ('अ', "Devanagari"),
            ('ก', "Thai"),
            ('ລ', "Lao"),
            ('ܐ', "Syriac"),
        ] {
            assert_eq!(needs_shaping(c), Some(script), "{c}");
        }
        for c in "Mara Ortega Nguyễn Σοφία Анастасия Łukasz 0123 ,.-'()".chars() {
            assert_eq!(needs_shaping(c), None, "{c}");
        }
    }

    #[test]
    fn the_blocks_are_sorted_and_do_not_overlap() {
        for pair in BLOCKS.windows(2) {
            assert!(pair[0].0 <= pair[0].1 && pair[0].1 < pair[1].0, "{pair:?}");
        }
    }
}
