//! Posters: a case and its prepared photos in, PDF/PNG/JPEG bytes out.
//!
//! Pure: nothing here reads the clock, the disk or the network. The issue date, the photos and the
//! organisation come in as inputs, so the same inputs always give byte-identical files.

mod format;
mod photo;

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::cases::{Case, Lang, PhotoSource};
use crate::config::Organisation;

pub use format::Format;
pub use photo::{PhotoError, PreparedPhoto, normalize_photo};

/// Everything a poster is made from.
pub struct PosterInput<'a> {
    pub case: &'a Case,
    /// Every photo the case refers to, already normalised with [`normalize_photo`].
    pub photos: &'a HashMap<PhotoSource, PreparedPhoto>,
    pub lang: Lang,
    /// The poster's issue date; "age now" is computed from it.
    pub issue_date: NaiveDate,
    /// The case version this poster shows (1 for a new case).
    pub version: u32,
    pub organisation: &'a Organisation,
    /// The case's public page, printed as a QR code when present.
    pub case_page_url: Option<&'a str>,
    /// Demo posters say SAMPLE across them.
    pub sample: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("{field}: photo missing")]
    MissingPhoto { field: String },
    #[error("{0}")]
    Template(String),
    #[error("poster could not be written: {0}")]
    Write(String),
}

/// Render one poster in one format. Deterministic: same input, same bytes.
pub fn render(input: &PosterInput<'_>, format: Format) -> Result<Vec<u8>, RenderError> {
    let _ = (input, format);
    Err(RenderError::Write("renderer not built yet".into()))
}
