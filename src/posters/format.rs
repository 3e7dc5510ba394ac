use serde::{Deserialize, Serialize};

/// The poster formats: two for print (PDF), four for screens.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// PDF, US Letter 8.5×11 in.
    Letter,
    /// PDF, A4.
    A4,
    /// PNG 1080×1080.
    Square,
    /// PNG 1080×1920.
    Story,
    /// PNG 1200×628.
    Landscape,
    /// JPEG 1400×400, for digital billboards (the "bulletin" face).
    Billboard,
    /// JPEG 840×400, the "poster" face of digital billboards.
    BillboardPoster,
    /// JPEG 1600×400 (1:4), a wide digital billboard face.
    BillboardWide,
    /// JPEG 600×600, a square digital face (shelters, small roadside screens).
    BillboardSquare,
}

impl Format {
    pub const ALL: [Format; 9] = [
        Format::Letter,
        Format::A4,
        Format::Square,
        Format::Story,
        Format::Landscape,
        Format::Billboard,
        Format::BillboardPoster,
        Format::BillboardWide,
        Format::BillboardSquare,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Letter => "letter",
            Format::A4 => "a4",
            Format::Square => "square",
            Format::Story => "story",
            Format::Landscape => "landscape",
            Format::Billboard => "billboard",
            Format::BillboardPoster => "billboard_poster",
            Format::BillboardWide => "billboard_wide",
            Format::BillboardSquare => "billboard_square",
        }
    }

    pub fn parse(s: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.as_str() == s)
    }

    pub fn is_print(self) -> bool {
        matches!(self, Format::Letter | Format::A4)
    }

    /// Its size as a person reads it: "8.5×11 in", "1080×1080".
    pub fn size(self) -> &'static str {
        match self {
            Format::Letter => "8.5×11 in",
            Format::A4 => "210×297 mm",
            Format::Square => "1080×1080",
            Format::Story => "1080×1920",
            Format::Landscape => "1200×628",
            Format::Billboard => "1400×400",
            Format::BillboardPoster => "840×400",
            Format::BillboardWide => "1600×400",
            Format::BillboardSquare => "600×600",
        }
    }

    /// A digital billboard face: JPEG, which their players take.
    pub fn is_billboard(self) -> bool {
        matches!(
            self,
            Format::Billboard
                | Format::BillboardPoster
                | Format::BillboardWide
                | Format::BillboardSquare
        )
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Letter | Format::A4 => "application/pdf",
            f if f.is_billboard() => "image/jpeg",
            _ => "image/png",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Letter | Format::A4 => "pdf",
            f if f.is_billboard() => "jpg",
            _ => "png",
        }
    }
}
