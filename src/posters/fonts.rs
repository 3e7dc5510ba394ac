//! The poster fonts and their metrics. The layout measures with these advance widths and both writers
//! draw with the same fonts, so a line that fits in the layout fits in the PDF and in the image.

use ab_glyph::{Font, FontRef, GlyphId};

const REGULAR: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../../fonts/DejaVuSans-Bold.ttf");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FontKind {
    Regular,
    Bold,
}

impl FontKind {
    pub const ALL: [FontKind; 2] = [FontKind::Regular, FontKind::Bold];

    /// The PostScript name embedded in PDFs.
    pub fn postscript_name(self) -> &'static str {
        match self {
            FontKind::Regular => "DejaVuSans",
            FontKind::Bold => "DejaVuSans-Bold",
        }
    }
}

/// A character a poster cannot print, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unprintable {
    /// No poster font has a glyph for it.
    NoGlyph(char),
    /// Its script must be joined, reordered or written right to left, which the renderer does not do.
    NeedsShaping(char, &'static str),
}

impl Unprintable {
    pub fn char(self) -> char {
        match self {
            Unprintable::NoGlyph(c) | Unprintable::NeedsShaping(c, _) => c,
        }
    }

    /// What a case manager reads beside the field: the letter itself, and its code point for when
    /// the letter does not show on their screen either.
    pub fn reason(self) -> String {
        let c = self.char();
        let why = match self {
            Unprintable::NoGlyph(_) => "the poster fonts have no such letter".to_string(),
            Unprintable::NeedsShaping(_, script) => format!(
                "posters cannot yet write {script} script correctly and would show a different \
                 name; write it in Latin letters"
            ),
        };
        format!(
            "\u{201c}{c}\u{201d} (U+{:04X}) cannot be printed: {why}",
            c as u32
        )
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the built-in font {0} cannot be read")]
pub struct FontError(&'static str);

/// Both poster faces, parsed from the bytes compiled into the binary.
pub struct Fonts {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
}

impl Fonts {
    pub fn load() -> Result<Fonts, FontError> {
        Ok(Fonts {
            regular: FontRef::try_from_slice(REGULAR).map_err(|_| FontError("DejaVuSans"))?,
            bold: FontRef::try_from_slice(BOLD).map_err(|_| FontError("DejaVuSans-Bold"))?,
        })
    }

    pub fn face(&self, kind: FontKind) -> &FontRef<'static> {
        match kind {
            FontKind::Regular => &self.regular,
            FontKind::Bold => &self.bold,
        }
    }

    pub fn bytes(kind: FontKind) -> &'static [u8] {
        match kind {
            FontKind::Regular => REGULAR,
            FontKind::Bold => BOLD,
        }
    }

    fn em(&self, kind: FontKind) -> f32 {
        self.face(kind).units_per_em().unwrap_or(2048.0)
    }

    /// The glyph of a character, or None when the font has none (it would print as a box).
    pub fn glyph(&self, kind: FontKind, c: char) -> Option<GlyphId> {
        let id = self.face(kind).glyph_id(c);
        (id.0 != 0).then_some(id)
    }

    /// The first character of `text` a poster cannot print: one a face has no glyph for, or one
    /// of a script that must be shaped or run right to left.
    pub fn missing(&self, text: &str) -> Option<Unprintable> {
        text.chars().find_map(|c| {
            if c.is_whitespace() {
                None
            } else if let Some(script) = super::script::needs_shaping(c) {
                Some(Unprintable::NeedsShaping(c, script))
            } else if FontKind::ALL.iter().any(|&k| self.glyph(k, c).is_none()) {
                Some(Unprintable::NoGlyph(c))
            } else {
                None
            }
        })
    }

    /// Advance width of `text` at `size`, without kerning (the PDF writer does not kern either).
    pub fn width(&self, kind: FontKind, text: &str, size: f32) -> f32 {
        let face = self.face(kind);
        let units: f32 = text
            .chars()
            .map(|c| face.h_advance_unscaled(face.glyph_id(c)))
            .sum();
        units * size / self.em(kind)
    }

    /// Height above the baseline at `size`.
    pub fn ascent(&self, kind: FontKind, size: f32) -> f32 {
        self.face(kind).ascent_unscaled() * size / self.em(kind)
    }

    /// Depth below the baseline at `size`, as a positive number.
    pub fn descent(&self, kind: FontKind, size: f32) -> f32 {
        -self.face(kind).descent_unscaled() * size / self.em(kind)
    }

    /// Height of capital letters at `size`, for centring capitals in a band.
    pub fn cap_height(&self, size: f32) -> f32 {
        // DejaVu Sans capitals are 0.729 em tall.
        0.729 * size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fonts_cover_vietnamese_greek_and_cyrillic() {
        let f = Fonts::load().unwrap();
        for name in [
            "Nguyễn Thị Ánh",
            "Σοφία Παπαδοπούλου",
            "Анастасия Кузнецова",
            "Tomás Ñúñez",
        ] {
            assert_eq!(f.missing(name), None, "{name}");
        }
        assert_eq!(
            f.missing("a\u{E000}b"),
            Some(Unprintable::NoGlyph('\u{E000}'))
        );
        // DejaVu has Arabic letters, but only one form of each: refused for the script, not the glyph
        assert_eq!(
            f.missing("Ali علي"),
            Some(Unprintable::NeedsShaping('ع', "Arabic"))
        );
    }

    #[test]
    fn widths_grow_with_text_and_size() {
        let f = Fonts::load().unwrap();
        let w = f.width(FontKind::Regular, "Mara", 10.0);
        assert!(w > 10.0 && w < 40.0, "{w}");
        assert!((f.width(FontKind::Regular, "Mara", 20.0) - 2.0 * w).abs() < 1e-3);
        assert!(f.width(FontKind::Bold, "Mara", 10.0) > w);
        assert!(f.ascent(FontKind::Regular, 10.0) > f.descent(FontKind::Regular, 10.0));
    }
}
