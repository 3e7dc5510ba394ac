//! Posters: a case and its prepared photos in, PDF/PNG/JPEG bytes out.
//!
//! Pure: nothing here reads the clock, the disk or the network. The issue date, the photos and the
//! organisation come in as inputs, so the same inputs always give byte-identical files.

mod bidi;
pub mod bulletin;
mod cids;
mod fonts;
mod format;
mod forms;
mod kern;
pub mod layout;
pub mod pack;
mod pdf;
mod photo;
mod printable;
mod raster;
mod renderer;
mod script;
mod shape;
mod shown;
mod tagged;
mod template;
mod text;

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::cases::{Case, Lang, PhotoSource};
use crate::config::Organisation;

pub use fonts::{FontKind, Fonts};
pub use format::Format;
pub use photo::{PhotoError, PreparedPhoto, normalize_photo};
pub use printable::unprintable;
pub use renderer::Renderer;
pub use shown::{Shown, ShownChild, shown};
pub use template::TemplateError;

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
    /// A word across the poster: SAMPLE on demo posters, TEST on a test send; `None` when live.
    pub mark: Option<Mark>,
}

/// The word printed across a poster that is not a live one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Demo data: no real child.
    Sample,
    /// A test send to the case manager alone, never to partners.
    Test,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("{field}: photo missing")]
    MissingPhoto { field: String },
    /// A case value the poster cannot print, named by its field.
    #[error("{field}: {reason}")]
    Field { field: String, reason: String },
    #[error("the case does not fit on a {format} poster even at the smallest allowed text size")]
    Overflow { format: String },
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Font(#[from] fonts::FontError),
    #[error("poster could not be written: {0}")]
    Write(String),
    /// The process's renderer failed to build from the bundled fonts and templates (a defect of
    /// the build, said once and then on every render).
    #[error("the renderer could not be built: {0}")]
    Unavailable(String),
}

/// Render one poster in one format with the process's [`Renderer`]. Deterministic: same input,
/// same bytes.
pub fn render(input: &PosterInput<'_>, format: Format) -> Result<Vec<u8>, RenderError> {
    Renderer::shared()?.render(input, format)
}

/// A print poster (letter, A4) as a PNG for a screen, `zoom` pixels to the point; a screen
/// format as it is. For previews: the file partners print is the PDF.
pub fn render_preview(
    input: &PosterInput<'_>,
    format: Format,
    zoom: f32,
) -> Result<Vec<u8>, RenderError> {
    Renderer::shared()?.render_preview(input, format, zoom)
}

/// The positioned elements of one poster, before any writer draws them (for tests and previews).
pub fn lay_out<'a>(
    input: &PosterInput<'a>,
    format: Format,
) -> Result<layout::Page<'a>, RenderError> {
    Renderer::shared()?.lay_out(input, format)
}
