//! Chinese, Japanese and Korean share most of their characters but draw many of them differently:
//! 骨 and 写 in Japan are not the Simplified Chinese shapes, nor are Traditional Chinese 這 and 說,
//! and a Korean reader expects Korean forms of the Hanja in a name. The bundled CJK face holds the
//! forms of every region; its `locl` feature swaps its Simplified Chinese default for another
//! region's. The substitutions are read once per process into tables, so a name costs a lookup per
//! glyph, not a run through the shaper.

use std::collections::HashMap;

use rustybuzz::ttf_parser::{
    GlyphId, Tag,
    gsub::{SingleSubstitution, SubstitutionSubtable},
    opentype_layout::{Coverage, LayoutTable},
};

use crate::cases::Lang;

/// Which region's shapes CJK characters are drawn in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CjkForms {
    /// The face's own default.
    #[default]
    Simplified,
    Traditional,
    Japanese,
    Korean,
}

impl CjkForms {
    /// The forms for CJK text on a poster in `lang`. A text is not tagged with its language, so
    /// its own letters decide where they can: kana make it Japanese, Hangul Korean; otherwise
    /// the poster's language does (Traditional on a Traditional Chinese poster, Korean on a
    /// Korean one), else Simplified.
    pub fn of(text: &str, lang: Lang) -> CjkForms {
        for c in text.chars() {
            match c as u32 {
                0x3040..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9F => return CjkForms::Japanese,
                0x1100..=0x11FF | 0x3130..=0x318F | 0xAC00..=0xD7AF => return CjkForms::Korean,
                _ => {}
            }
        }
        match lang {
            Lang::ZhHant => CjkForms::Traditional,
            Lang::Ko => CjkForms::Korean,
            _ => CjkForms::Simplified,
        }
    }

    /// The OpenType language system whose `locl` gives these forms.
    fn language(self) -> Option<Tag> {
        match self {
            CjkForms::Simplified => None,
            CjkForms::Traditional => Some(Tag::from_bytes(b"ZHT ")),
            CjkForms::Japanese => Some(Tag::from_bytes(b"JAN ")),
            CjkForms::Korean => Some(Tag::from_bytes(b"KOR ")),
        }
    }
}

/// The `locl` substitutions of a CJK face, one table per region other than the default.
#[derive(Debug, Default)]
pub struct RegionalForms {
    traditional: HashMap<u16, u16>,
    japanese: HashMap<u16, u16>,
    korean: HashMap<u16, u16>,
}

impl RegionalForms {
    /// Read the face's `locl` single substitutions for the Han script; empty when it has none.
    pub fn read(gsub: Option<LayoutTable<'_>>) -> RegionalForms {
        let Some(gsub) = gsub else {
            return RegionalForms::default();
        };
        let table = |forms: CjkForms| forms.language().map(|l| locl(&gsub, l)).unwrap_or_default();
        RegionalForms {
            traditional: table(CjkForms::Traditional),
            japanese: table(CjkForms::Japanese),
            korean: table(CjkForms::Korean),
        }
    }

    /// The glyph that draws `glyph` in `forms`.
    pub fn glyph(&self, forms: CjkForms, glyph: u16) -> u16 {
        let table = match forms {
            CjkForms::Simplified => return glyph,
            CjkForms::Traditional => &self.traditional,
            CjkForms::Japanese => &self.japanese,
            CjkForms::Korean => &self.korean,
        };
        table.get(&glyph).copied().unwrap_or(glyph)
    }

    #[cfg(test)]
    pub fn len(&self, forms: CjkForms) -> usize {
        match forms {
            CjkForms::Simplified => 0,
            CjkForms::Traditional => self.traditional.len(),
            CjkForms::Japanese => self.japanese.len(),
            CjkForms::Korean => self.korean.len(),
        }
    }
}

/// Every single substitution of the `locl` feature of `language` in the Han script.
fn locl(gsub: &LayoutTable<'_>, language: Tag) -> HashMap<u16, u16> {
    let mut out = HashMap::new();
    let Some(script) = gsub.scripts.find(Tag::from_bytes(b"hani")) else {
        return out;
    };
    let Some(system) = script.languages.find(language) else {
        return out;
    };
    let locl = Tag::from_bytes(b"locl");
    for index in system.feature_indices {
        let Some(feature) = gsub.features.get(index).filter(|f| f.tag == locl) else {
            continue;
        };
        for lookup in feature.lookup_indices {
            let Some(lookup) = gsub.lookups.get(lookup) else {
                continue;
            };
            for sub in lookup.subtables.into_iter::<SubstitutionSubtable<'_>>() {
                if let SubstitutionSubtable::Single(single) = sub {
                    single_substitutions(&single, &mut out);
                }
            }
        }
    }
    out
}

fn single_substitutions(single: &SingleSubstitution<'_>, out: &mut HashMap<u16, u16>) {
    let coverage = match single {
        SingleSubstitution::Format1 { coverage, .. }
        | SingleSubstitution::Format2 { coverage, .. } => coverage,
    };
    let covered: Vec<u16> = match coverage {
        Coverage::Format1 { glyphs } => glyphs.into_iter().map(|g| g.0).collect(),
        Coverage::Format2 { records } => records
            .into_iter()
            .flat_map(|r| r.start.0..=r.end.0)
            .collect(),
    };
    for (k, from) in covered.into_iter().enumerate() {
        let to = match single {
            SingleSubstitution::Format1 { delta, .. } => from.wrapping_add(*delta as u16),
            SingleSubstitution::Format2 { substitutes, .. } => {
                match u16::try_from(k).ok().and_then(|k| substitutes.get(k)) {
                    Some(GlyphId(to)) => to,
                    None => continue,
                }
            }
        };
        out.entry(from).or_insert(to);
    }
}

#[cfg(test)]
mod tests {
    use super::super::fonts::{FaceId, Family, FontKind, Fonts};
    use super::*;

    #[test]
    fn the_text_decides_where_it_can_and_the_poster_language_otherwise() {
        assert_eq!(CjkForms::of("山田はなこ", Lang::En), CjkForms::Japanese);
        assert_eq!(CjkForms::of("김민지", Lang::ZhHant), CjkForms::Korean);
        assert_eq!(CjkForms::of("李明", Lang::ZhHant), CjkForms::Traditional);
        assert_eq!(CjkForms::of("李明", Lang::Ko), CjkForms::Korean);
        assert_eq!(CjkForms::of("李明", Lang::En), CjkForms::Simplified);
        assert_eq!(CjkForms::of("李明", Lang::ZhHans), CjkForms::Simplified);
    }

    /// The bundled face keeps every region's forms (its subset kept `locl`), and characters
    /// known to differ between regions get another glyph, of the same width.
    #[test]
    fn every_region_draws_its_own_forms() {
        let fonts = Fonts::load().unwrap();
        let face = fonts.face(FaceId::new(Family::Cjk, FontKind::Bold));
        for forms in [CjkForms::Traditional, CjkForms::Japanese, CjkForms::Korean] {
            assert!(face.forms.len(forms) > 2_000, "{forms:?}");
        }
        for (c, forms) in [
            ('骨', CjkForms::Japanese),
            ('写', CjkForms::Japanese),
            ('說', CjkForms::Traditional),
            ('這', CjkForms::Traditional),
            ('金', CjkForms::Korean),
            ('李', CjkForms::Korean),
        ] {
            let (sc, _) = face.glyph(c);
            let regional = face.forms.glyph(forms, sc);
            assert_ne!(regional, sc, "{c} {forms:?}");
            assert_eq!(face.pdf_advance(regional), face.pdf_advance(sc), "{c}");
        }
        // Simplified is the face's default, and characters without regional forms stay
        let (a, _) = face.glyph('李');
        assert_eq!(face.forms.glyph(CjkForms::Simplified, a), a);
        let (k, _) = face.glyph('写');
        assert_eq!(face.forms.glyph(CjkForms::Traditional, k), k);
    }
}
