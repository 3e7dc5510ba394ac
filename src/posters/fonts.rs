//! The poster fonts: DejaVu Sans for Latin, Greek and Cyrillic, and a Noto Sans family for each
//! script that must be shaped (Arabic, Hebrew, Devanagari). Every character is drawn by the face
//! its script asks for, or else by the first face that has it; the layout measures the shaped glyphs
//! and both writers draw those same glyphs, so a line that fits in the layout fits in the PDF and in
//! the image.

use ab_glyph::{Font, FontRef, GlyphId};
use rustybuzz::{Direction, Script, ShapePlan};

use super::forms::RegionalForms;
use super::kern::kern_pairs;

/// Chinese, Japanese and Korean, cut down to the characters names are written in (`fonts/README.md`).
const CJK: &[u8] = include_bytes!("../../fonts/NotoSansCJKsc-Bold.otf");

/// A style: each family has a regular and a bold face.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FontKind {
    Regular,
    Bold,
}

impl FontKind {
    pub const ALL: [FontKind; 2] = [FontKind::Regular, FontKind::Bold];
}

/// The font families, in fallback order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    DejaVu,
    Arabic,
    Hebrew,
    Devanagari,
    /// Chinese, Japanese and Korean: one face, the bold, for both styles (`fonts/README.md`).
    Cjk,
}

impl Family {
    pub const ALL: [Family; 5] = [
        Family::DejaVu,
        Family::Arabic,
        Family::Hebrew,
        Family::Devanagari,
        Family::Cjk,
    ];

    /// The family a character's script must be written in, when it has one of its own: DejaVu has
    /// isolated Arabic letters and Hebrew ones without their marks' positions, so a name in those
    /// scripts must never fall to it.
    pub fn of_script(c: char) -> Option<Family> {
        match c as u32 {
            0x0600..=0x06FF
            | 0x0750..=0x077F
            | 0x0870..=0x08FF
            | 0xFB50..=0xFDFF
            | 0xFE70..=0xFEFF => Some(Family::Arabic),
            0x0590..=0x05FF | 0xFB1D..=0xFB4F => Some(Family::Hebrew),
            0x0900..=0x097F | 0xA8E0..=0xA8FF => Some(Family::Devanagari),
            0x2E80..=0x2FDF
            | 0x3000..=0x318F
            | 0x31F0..=0x31FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xAC00..=0xD7AF
            | 0xF900..=0xFAFF
            | 0xFF00..=0xFFEF => Some(Family::Cjk),
            _ => None,
        }
    }

    /// Whether this family writes the script of that name (as [`super::script`] names it).
    pub fn shapes(script: &str) -> bool {
        matches!(script, "Arabic" | "Hebrew" | "Devanagari")
    }

    fn script(self) -> Script {
        match self {
            Family::DejaVu => rustybuzz::script::LATIN,
            Family::Arabic => rustybuzz::script::ARABIC,
            Family::Hebrew => rustybuzz::script::HEBREW,
            Family::Devanagari => rustybuzz::script::DEVANAGARI,
            Family::Cjk => rustybuzz::script::HAN,
        }
    }
}

/// One face: a family in a style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FaceId {
    pub family: Family,
    pub kind: FontKind,
}

impl FaceId {
    pub fn new(family: Family, kind: FontKind) -> FaceId {
        FaceId { family, kind }
    }

    fn index(self) -> usize {
        self.family as usize * 2 + self.kind as usize
    }

    /// The PostScript name embedded in PDFs, and the file's bytes.
    fn file(self) -> (&'static str, &'static [u8]) {
        use {Family::*, FontKind::*};
        macro_rules! file {
            ($name:literal) => {
                (
                    $name,
                    include_bytes!(concat!("../../fonts/", $name, ".ttf")),
                )
            };
        }
        match (self.family, self.kind) {
            (DejaVu, Regular) => file!("DejaVuSans"),
            (DejaVu, Bold) => file!("DejaVuSans-Bold"),
            (Arabic, Regular) => file!("NotoSansArabic-Regular"),
            (Arabic, Bold) => file!("NotoSansArabic-Bold"),
            (Hebrew, Regular) => file!("NotoSansHebrew-Regular"),
            (Hebrew, Bold) => file!("NotoSansHebrew-Bold"),
            (Devanagari, Regular) => file!("NotoSansDevanagari-Regular"),
            (Devanagari, Bold) => file!("NotoSansDevanagari-Bold"),
            (Cjk, _) => ("NotoSansCJKsc-Bold", CJK),
        }
    }

    pub fn postscript_name(self) -> &'static str {
        self.file().0
    }

    pub fn bytes(self) -> &'static [u8] {
        self.file().1
    }

    fn all() -> impl Iterator<Item = FaceId> {
        Family::ALL
            .into_iter()
            .flat_map(|f| FontKind::ALL.into_iter().map(move |k| FaceId::new(f, k)))
    }
}

/// A character a poster cannot print, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unprintable {
    /// No poster font has a glyph for it.
    NoGlyph(char),
    /// Its script must be joined or reordered, and no poster font writes it.
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

/// One parsed face: outlines for the raster writer, tables for the shaper, and its shaping plans
/// (made once: a plan costs more than shaping a name).
pub struct Face {
    pub id: FaceId,
    pub outlines: FontRef<'static>,
    pub shaper: rustybuzz::Face<'static>,
    /// Units per em.
    pub em: f32,
    ltr: ShapePlan,
    rtl: ShapePlan,
    /// Glyph and advance (in ems) of each character below [`QUICK`], looked up once: the layout
    /// measures every candidate line, and most of a poster is in these characters.
    quick: Vec<(u16, f32)>,
    /// The `kern` table's pairs, keyed `left << 16 | right`, sorted; values in ems.
    kerns: Vec<(u32, f32)>,
    /// Whether a glyph begins any pair of `kerns`, to skip the search for the others.
    kerns_from: Vec<bool>,
    /// The CJK face's regional glyph forms (empty for the others).
    pub forms: RegionalForms,
    /// Each glyph's CID, for a CID-keyed CFF face (the CJK one), which a PDF draws by CID.
    pub cids: Option<Vec<u16>>,
}

/// Latin, Greek, Cyrillic.
const QUICK: u32 = 0x0530;

impl Face {
    fn load(id: FaceId) -> Result<Face, FontError> {
        let (name, bytes) = id.file();
        let outlines = FontRef::try_from_slice(bytes).map_err(|_| FontError(name))?;
        let shaper = rustybuzz::Face::from_slice(bytes, 0).ok_or(FontError(name))?;
        let script = Some(id.family.script());
        let ltr = ShapePlan::new(&shaper, Direction::LeftToRight, script, None, &[]);
        let rtl = ShapePlan::new(&shaper, Direction::RightToLeft, script, None, &[]);
        let em = outlines.units_per_em().unwrap_or(2048.0);
        let quick = (0..QUICK)
            .map(|cp| {
                let g = char::from_u32(cp).map_or(GlyphId(0), |c| outlines.glyph_id(c));
                (g.0, pdf_width(outlines.h_advance_unscaled(g) / em))
            })
            .collect();
        let kerns = kern_pairs(bytes, em);
        let mut kerns_from = vec![false; outlines.glyph_count()];
        for (key, _) in &kerns {
            if let Some(from) = kerns_from.get_mut((key >> 16) as usize) {
                *from = true;
            }
        }
        let forms = match id.family {
            Family::Cjk => RegionalForms::read(shaper.tables().gsub),
            _ => RegionalForms::default(),
        };
        Ok(Face {
            cids: super::cids::of_face(bytes),
            forms,
            id,
            em,
            outlines,
            shaper,
            ltr,
            rtl,
            quick,
            kerns,
            kerns_from,
        })
    }

    /// The glyph of `c` and its advance in ems, as the PDF's widths give it.
    pub fn glyph(&self, c: char) -> (u16, f32) {
        if let Some(&known) = self.quick.get(c as usize) {
            return known;
        }
        let g = self.outlines.glyph_id(c);
        (g.0, self.pdf_advance(g.0))
    }

    /// The kerning between two glyphs from the font's `kern` table, in ems.
    pub fn kern(&self, left: u16, right: u16) -> f32 {
        if !self
            .kerns_from
            .get(usize::from(left))
            .copied()
            .unwrap_or(false)
        {
            return 0.0;
        }
        let key = u32::from(left) << 16 | u32::from(right);
        self.kerns
            .binary_search_by_key(&key, |(k, _)| *k)
            .map_or(0.0, |i| self.kerns[i].1)
    }

    pub fn has(&self, c: char) -> bool {
        self.outlines.glyph_id(c).0 != 0
    }

    pub fn plan(&self, rtl: bool) -> &ShapePlan {
        if rtl { &self.rtl } else { &self.ltr }
    }

    pub fn script(&self) -> Script {
        self.id.family.script()
    }

    /// A glyph's advance as a PDF reader takes it from the font's widths: whole thousandths of
    /// an em, truncated as they are written.
    pub fn pdf_advance(&self, glyph: u16) -> f32 {
        pdf_width(self.outlines.h_advance_unscaled(GlyphId(glyph)) / self.em)
    }
}

/// A width in ems as a PDF's font widths hold it: whole thousandths, truncated. The simple path
/// advances by these, so the PDF writer needs no correction between glyphs but their kerning.
fn pdf_width(ems: f32) -> f32 {
    (ems * 1000.0).trunc() / 1000.0
}

/// Every poster face, parsed from the bytes compiled into the binary.
pub struct Fonts {
    faces: Vec<Face>,
    /// The largest kerning of any pair in any face, in ems.
    kern_bound: f32,
}

impl Fonts {
    pub fn load() -> Result<Fonts, FontError> {
        let faces: Vec<Face> = FaceId::all().map(Face::load).collect::<Result<_, _>>()?;
        let kerns = faces
            .iter()
            .flat_map(|f| f.kerns.iter().map(|(_, v)| v.abs()));
        let kern_bound = kerns.fold(0.0, f32::max);
        Ok(Fonts { faces, kern_bound })
    }

    /// How far, in ems, a text's width can be from the sum of its two pieces' on the simple path:
    /// the one kerning pair where they meet.
    pub fn kern_bound(&self) -> f32 {
        self.kern_bound
    }

    pub fn face(&self, id: FaceId) -> &Face {
        &self.faces[id.index()]
    }

    fn primary(&self, kind: FontKind) -> &Face {
        self.face(FaceId::new(Family::DejaVu, kind))
    }

    /// The face that draws `c` in a run of style `kind`, `prev` being the face of the character
    /// before it: its script's own family first; a space, digit, mark or punctuation stays in the
    /// face before it so a run is not split; then DejaVu, then any face that has it.
    pub fn face_for(&self, kind: FontKind, c: char, prev: Option<FaceId>) -> Option<FaceId> {
        let has = |f: Family| self.face(FaceId::new(f, kind)).has(c);
        if let Some(family) = Family::of_script(c).filter(|&f| has(f)) {
            return Some(FaceId::new(family, kind));
        }
        if let Some(prev) = prev.filter(|p| !c.is_alphabetic() && self.face(*p).has(c)) {
            return Some(prev);
        }
        Family::ALL
            .into_iter()
            .find(|&f| has(f))
            .map(|f| FaceId::new(f, kind))
    }

    /// The first character of `text` a poster cannot print: one no face has a glyph for, or one
    /// of a script that must be shaped and that no face writes.
    pub fn missing(&self, text: &str) -> Option<Unprintable> {
        text.chars().find_map(|c| {
            if c.is_whitespace() {
                None
            } else if let Some(script) =
                super::script::needs_shaping(c).filter(|s| !Family::shapes(s))
            {
                Some(Unprintable::NeedsShaping(c, script))
            } else if FontKind::ALL
                .iter()
                .any(|&k| self.face_for(k, c, None).is_none())
            {
                Some(Unprintable::NoGlyph(c))
            } else {
                None
            }
        })
    }

    /// The shaped width of `text` at `size`.
    pub fn width(&self, kind: FontKind, text: &str, size: f32) -> f32 {
        super::shape::width(self, kind, text) * size
    }

    /// Height above the baseline at `size`.
    pub fn ascent(&self, kind: FontKind, size: f32) -> f32 {
        let f = self.primary(kind);
        f.outlines.ascent_unscaled() * size / f.em
    }

    /// Depth below the baseline at `size`, as a positive number.
    pub fn descent(&self, kind: FontKind, size: f32) -> f32 {
        let f = self.primary(kind);
        -f.outlines.descent_unscaled() * size / f.em
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
    fn the_fonts_cover_the_scripts_they_are_there_for() {
        let f = Fonts::load().unwrap();
        for name in [
            "Nguyễn Thị Ánh",
            "Σοφία Παπαδοπούλου",
            "Анастасия Кузнецова",
            "Tomás Ñúñez",
            "علي حسن",
            "נועה כהן",
            "अनन्या क्षत्रिय",
            "王秀英",
            "陳美玲",
            "김민지",
            "さくら 佐藤",
        ] {
            assert_eq!(f.missing(name), None, "{name}");
        }
        assert_eq!(
            f.missing("a\u{E000}b"),
            Some(Unprintable::NoGlyph('\u{E000}'))
        );
        // an ideograph outside the characters the CJK subset keeps (CJK Extension B)
        assert_eq!(
            f.missing("王\u{20BB7}"),
            Some(Unprintable::NoGlyph('\u{20BB7}'))
        );
        // Thai must be shaped and no face writes it
        assert_eq!(
            f.missing("สมชาย"),
            Some(Unprintable::NeedsShaping('ส', "Thai"))
        );
    }

    #[test]
    fn each_script_is_written_by_its_own_face() {
        let f = Fonts::load().unwrap();
        let family = |c, prev| f.face_for(FontKind::Bold, c, prev).map(|id| id.family);
        assert_eq!(family('ع', None), Some(Family::Arabic));
        assert_eq!(family('ש', None), Some(Family::Hebrew));
        assert_eq!(family('क', None), Some(Family::Devanagari));
        assert_eq!(family('a', None), Some(Family::DejaVu));
        // a space between Arabic words stays in the Arabic face; a Latin letter does not
        let arabic = Some(FaceId::new(Family::Arabic, FontKind::Bold));
        assert_eq!(family(' ', arabic), Some(Family::Arabic));
        assert_eq!(family('a', arabic), Some(Family::DejaVu));
        assert_eq!(family('\u{E000}', None), None);
    }

    /// The looked-up-once tables against the font's own lookups.
    #[test]
    fn glyphs_and_kerning_match_the_fonts_own_lookups() {
        let f = Fonts::load().unwrap();
        for kind in FontKind::ALL {
            let face = f.face(FaceId::new(Family::DejaVu, kind));
            for c in (0..QUICK + 64).filter_map(char::from_u32) {
                let g = face.outlines.glyph_id(c);
                let advance = face.outlines.h_advance_unscaled(g) / face.em;
                let (id, quick) = face.glyph(c);
                assert_eq!(id, g.0, "{c:?}");
                assert!(quick <= advance && advance - quick < 0.001, "{c:?}");
            }
            let chars: Vec<char> = ('A'..='Z')
                .chain('a'..='z')
                .chain(".,-'\"( 7".chars())
                .collect();
            let mut kerned = 0;
            for &a in &chars {
                for &b in &chars {
                    let (ga, gb) = (face.glyph(a).0, face.glyph(b).0);
                    let want = face.outlines.kern_unscaled(GlyphId(ga), GlyphId(gb)) / face.em;
                    assert!((face.kern(ga, gb) - want).abs() <= 0.0005, "{a}{b}");
                    kerned += usize::from(want != 0.0);
                }
            }
            assert!(kerned > 50, "{kerned}");
        }
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
