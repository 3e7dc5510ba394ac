//! Poster templates: page geometry, sizes and colours per format, label texts per language.
//!
//! The TOML files under `templates/posters/` are compiled into the binary (so rendering stays pure and
//! the binary self-contained) and parsed here; a new format or language is a new file plus one line in
//! the tables below.

use serde::Deserialize;

use super::Format;

mod lang;
pub use lang::*;

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("template {name}: {source}")]
    Parse {
        name: &'static str,
        #[source]
        source: Box<toml::de::Error>,
    },
    #[error("template {name}: {reason}")]
    Invalid { name: &'static str, reason: String },
}

fn format_source(format: Format) -> (&'static str, &'static str) {
    match format {
        Format::Letter => (
            "letter.toml",
            include_str!("../../../templates/posters/letter.toml"),
        ),
        Format::A4 => (
            "a4.toml",
            include_str!("../../../templates/posters/a4.toml"),
        ),
        Format::Square => (
            "square.toml",
            include_str!("../../../templates/posters/square.toml"),
        ),
        Format::Story => (
            "story.toml",
            include_str!("../../../templates/posters/story.toml"),
        ),
        Format::Landscape => (
            "landscape.toml",
            include_str!("../../../templates/posters/landscape.toml"),
        ),
        Format::Billboard => (
            "billboard.toml",
            include_str!("../../../templates/posters/billboard.toml"),
        ),
        Format::BillboardPoster => (
            "billboard_poster.toml",
            include_str!("../../../templates/posters/billboard_poster.toml"),
        ),
        Format::BillboardWide => (
            "billboard_wide.toml",
            include_str!("../../../templates/posters/billboard_wide.toml"),
        ),
        Format::BillboardSquare => (
            "billboard_square.toml",
            include_str!("../../../templates/posters/billboard_square.toml"),
        ),
    }
}

const REGIONS: (&str, &str) = (
    "regions.toml",
    include_str!("../../../templates/posters/regions.toml"),
);

fn parse<T: serde::de::DeserializeOwned>(
    (name, text): (&'static str, &'static str),
) -> Result<T, TemplateError> {
    toml::from_str(text).map_err(|source| TemplateError::Parse {
        name,
        source: Box::new(source),
    })
}

/// An sRGB colour written `#RRGGBB` in templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub [u8; 3]);

impl Rgb {
    pub const WHITE: Rgb = Rgb([255, 255, 255]);
}

impl<'de> Deserialize<'de> for Rgb {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let hex = s
            .strip_prefix('#')
            .filter(|h| h.len() == 6 && h.is_ascii())
            .ok_or_else(|| serde::de::Error::custom("a colour is written #RRGGBB"))?;
        let byte = |i: usize| {
            u8::from_str_radix(&hex[i..i + 2], 16)
                .map_err(|_| serde::de::Error::custom("a colour is written #RRGGBB"))
        };
        Ok(Rgb([byte(0)?, byte(2)?, byte(4)?]))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Colors {
    pub band: Rgb,
    pub band_text: Rgb,
    pub amber: Rgb,
    pub amber_text: Rgb,
    pub text: Rgb,
    pub muted: Rgb,
    pub label: Rgb,
    pub rule: Rgb,
    pub panel: Rgb,
    pub section: Rgb,
    pub section_text: Rgb,
    pub watermark: Rgb,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Print,
    Screen,
}

/// One format's page: its size in page units (PDF points for print, pixels for screens).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormatTemplate {
    pub kind: Kind,
    pub width: f32,
    pub height: f32,
    pub margin: f32,
    /// The smallest share of the template's sizes the layout may shrink to before giving up.
    pub min_scale: f32,
    pub colors: Colors,
    #[serde(default)]
    pub print: Option<PrintSizes>,
    #[serde(default)]
    pub screen: Option<ScreenBoxes>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrintSizes {
    pub headline_size: f32,
    pub headline_band: f32,
    pub amber_size: f32,
    pub amber_band: f32,
    pub summary_size: f32,
    pub name_size: f32,
    pub body_size: f32,
    pub caption_size: f32,
    pub section_size: f32,
    pub paragraph_size: f32,
    pub line_height: f32,
    pub gap: f32,
    pub single_photo_share: f32,
    pub photo_max_ratio: f32,
    pub photo_max_height: f32,
    pub companion_photo_width: f32,
    pub contact_intro_size: f32,
    pub hotline_size: f32,
    pub contact_size: f32,
    pub footer_size: f32,
    pub qr_size: f32,
    pub watermark_size: f32,
}

/// A box `[x, y, width, height]`, y downwards from the top of the page.
pub type BoxSpec = [f32; 4];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScreenBoxes {
    pub header: BoxSpec,
    pub photo: BoxSpec,
    pub text: BoxSpec,
    pub footer: BoxSpec,
    pub headline_size: f32,
    pub amber_size: f32,
    pub name_size: f32,
    pub detail_size: f32,
    pub contact_size: f32,
    pub small_size: f32,
    pub watermark_size: f32,
    /// What the poster shows after the children, most important first. When it all does not fit
    /// at `keep_scale`, parts are dropped from the end.
    pub priority: Vec<Part>,
    /// How far the text may shrink (a share of the sizes above) before a part is dropped; after
    /// the last part, down to `min_scale`.
    pub keep_scale: f32,
}

/// A part of a screen poster besides the children.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// In an abduction, the abductor's photo, role and name.
    Abductor,
    /// The vehicle a companion may be in, with its plate.
    Vehicle,
    /// When and where the child went missing.
    Summary,
}

impl FormatTemplate {
    pub fn load(format: Format) -> Result<FormatTemplate, TemplateError> {
        let source = format_source(format);
        let t: FormatTemplate = parse(source)?;
        let invalid = |reason: &str| TemplateError::Invalid {
            name: source.0,
            reason: reason.to_string(),
        };
        let wanted = if format.is_print() {
            Kind::Print
        } else {
            Kind::Screen
        };
        if t.kind != wanted {
            return Err(invalid("kind does not match the format"));
        }
        match t.kind {
            Kind::Print if t.print.is_none() => return Err(invalid("[print] is missing")),
            Kind::Screen if t.screen.is_none() => return Err(invalid("[screen] is missing")),
            _ => {}
        }
        if !(t.width > 2.0 * t.margin && t.height > 2.0 * t.margin && t.margin >= 0.0) {
            return Err(invalid("the page must be larger than its margins"));
        }
        if !(t.min_scale > 0.0 && t.min_scale <= 1.0) {
            return Err(invalid("min_scale must be in (0, 1]"));
        }
        if let Some(b) = &t.screen
            && !(b.keep_scale >= t.min_scale && b.keep_scale <= 1.0)
        {
            return Err(invalid("keep_scale must be between min_scale and 1"));
        }
        // Print keeps its facts readable and sends the rest to a continuation page instead.
        if let Some(p) = &t.print
            && p.body_size * t.min_scale < MIN_PRINT_FACTS - 1e-3
        {
            return Err(invalid(&format!(
                "body_size at min_scale must be at least {MIN_PRINT_FACTS} pt"
            )));
        }
        Ok(t)
    }
}

/// The smallest size a print poster's facts are set in, in points.
pub const MIN_PRINT_FACTS: f32 = 9.0;

pub fn load_regions() -> Result<Regions, TemplateError> {
    parse(REGIONS)
}

/// Fill `{name}` placeholders; unknown placeholders are left as written so a template typo shows.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (key, value) in values {
        out = out.replace(&format!("{{{key}}}"), value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::{CaseType, Lang, Sex};

    #[test]
    fn every_format_and_language_parses() {
        for f in Format::ALL {
            let t = FormatTemplate::load(f).unwrap_or_else(|e| panic!("{f:?}: {e}"));
            assert_eq!(t.kind == Kind::Print, f.is_print());
        }
        for l in Lang::ALL {
            let t = LangTemplate::load(l).unwrap();
            assert!(!t.headline(CaseType::FamilyAbduction, &[]).is_empty());
        }
        assert_eq!(load_regions().unwrap()["US"]["VA"], "Virginia");
    }

    #[test]
    fn spanish_headlines_follow_the_case_format_table() {
        let es = LangTemplate::load(Lang::Es).unwrap();
        use Sex::*;
        assert_eq!(
            es.headline(CaseType::FamilyAbduction, &[Female]),
            "SUSTRACCIÓN FAMILIAR"
        );
        assert_eq!(
            es.headline(CaseType::CriticallyMissingYoungAdult, &[Male]),
            "JOVEN ADULTO DESAPARECIDO"
        );
        let endangered =
            |sexes: &[Sex]| es.headline(CaseType::EndangeredMissing, sexes).to_string();
        assert_eq!(endangered(&[Male]), "DESAPARECIDO EN PELIGRO");
        assert_eq!(endangered(&[Unknown]), "DESAPARECIDO EN PELIGRO");
        assert_eq!(endangered(&[Female]), "DESAPARECIDA EN PELIGRO");
        assert_eq!(endangered(&[Female, Female]), "DESAPARECIDAS EN PELIGRO");
        assert_eq!(endangered(&[Female, Male]), "DESAPARECIDOS EN PELIGRO");
        assert_eq!(endangered(&[Female, Unknown]), "DESAPARECIDOS EN PELIGRO");
        assert_eq!(
            es.headline(CaseType::LostInjuredMissing, &[Female]),
            "PERDIDA, HERIDA O DESAPARECIDA"
        );
        // English does not agree: one form for everyone
        let en = LangTemplate::load(Lang::En).unwrap();
        assert_eq!(
            en.headline(CaseType::EndangeredMissing, &[Female, Female]),
            "ENDANGERED MISSING"
        );
        assert_eq!(es.months[10], "noviembre");
    }

    #[test]
    fn fill_replaces_known_placeholders_only() {
        assert_eq!(
            fill("{a} and {b} {c}", &[("a", "1"), ("b", "2")]),
            "1 and 2 {c}"
        );
    }

    #[test]
    fn colours_must_be_hex() {
        #[derive(Deserialize)]
        struct C {
            c: Rgb,
        }
        let c: C = toml::from_str("c = \"#B3121C\"").unwrap();
        assert_eq!(c.c, Rgb([0xB3, 0x12, 0x1C]));
        assert!(toml::from_str::<C>("c = \"red\"").is_err());
    }
}
