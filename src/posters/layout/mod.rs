//! Layout: a case, its labels, a template and its photos' aspect ratios in, a list of positioned
//! elements out, in page units (PDF points for print, pixels for screens), y downwards from the top.
//! The writers only draw what this decides, so both agree and tests can check geometry directly.

mod contact;
mod continued;
mod facts;
mod pen;
mod print;
mod screen;
pub mod words;

use crate::cases::PhotoSource;

use super::fonts::{FontKind, Fonts};
use super::forms::CjkForms;
use super::shape::{self, Glyph};
use super::template::{FormatTemplate, Kind, LangTemplate, Regions, Rgb};
use super::{Format, Mark, PosterInput, PreparedPhoto, RenderError};

pub use contact::QrCodes;
pub use pen::{Pen, Style};
pub use words::Words;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl Rect {
    pub fn new(x: f32, y: f32, w: f32, h: f32) -> Rect {
        Rect { x, y, w, h }
    }

    pub fn right(&self) -> f32 {
        self.x + self.w
    }

    pub fn bottom(&self) -> f32 {
        self.y + self.h
    }

    /// True when the two overlap by more than a rounding error.
    pub fn intersects(&self, o: &Rect) -> bool {
        const EPS: f32 = 0.01;
        self.x + EPS < o.right()
            && o.x + EPS < self.right()
            && self.y + EPS < o.bottom()
            && o.y + EPS < self.bottom()
    }

    pub fn contains(&self, o: &Rect) -> bool {
        const EPS: f32 = 0.01;
        o.x >= self.x - EPS
            && o.y >= self.y - EPS
            && o.right() <= self.right() + EPS
            && o.bottom() <= self.bottom() + EPS
    }
}

/// Where a text run or photo stands in the tagged PDF's structure, which is its reading order:
/// sections in the order of their numbers, and inside one, in the order drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tag {
    pub section: u16,
    pub role: Role,
}

/// What a run is to someone reading the poster with assistive technology.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Role {
    /// The headline.
    Title,
    /// A person's name, a companion's role.
    Heading,
    #[default]
    Text,
    /// What a continuation page repeats of the first (its header, the contact block, the footer):
    /// drawn, but not read out again.
    Repeated,
    /// The label of row `n` of a table of facts ("Height").
    Label(u16),
    /// The value of row `n` of a table of facts ("4 ft 4 in").
    Value(u16),
}

/// The sections of a poster, in reading order.
pub mod section {
    pub const HEADER: u16 = 0;
    /// Child `i` is `CHILD + i`.
    pub const CHILD: u16 = 10;
    pub const CIRCUMSTANCES: u16 = 20;
    /// Companion `i` is `COMPANION + i`.
    pub const COMPANION: u16 = 30;
    pub const CONTACT: u16 = 40;
    pub const FOOTER: u16 = 50;
}

impl Tag {
    pub fn new(section: u16, role: Role) -> Tag {
        Tag { section, role }
    }
}

/// One line of text in one font, size and colour.
#[derive(Debug, Clone, PartialEq)]
pub struct TextRun {
    pub x: f32,
    pub baseline: f32,
    /// The text in reading order, as the PDF's text layer gives it back.
    pub text: String,
    /// The glyphs drawn for it, left to right, in ems of `size` from `x`.
    pub glyphs: Vec<Glyph>,
    pub font: FontKind,
    pub size: f32,
    pub color: Rgb,
    /// From the ascent to the descent, over the measured advance width.
    pub bounds: Rect,
    pub tag: Tag,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Element {
    Fill {
        rect: Rect,
        color: Rgb,
    },
    Text(TextRun),
    /// `photo` indexes [`Page::photos`]; the rect has the photo's own aspect ratio. `alt` is what a
    /// screen reader says of it ("Photo of …"), `section` where it stands in the reading order.
    Photo {
        rect: Rect,
        photo: usize,
        alt: String,
        section: u16,
    },
    /// A QR code: `modules`×`modules` squares, row by row, `true` for dark.
    Qr {
        rect: Rect,
        modules: usize,
        dark: Vec<bool>,
        color: Rgb,
    },
    /// The SAMPLE mark of demo posters, drawn last, centred on `center`, rotated counter-clockwise.
    Watermark {
        run: TextRun,
        center: (f32, f32),
        angle_deg: f32,
        opacity: f32,
    },
}

impl Rect {
    fn zoomed(&self, k: f32) -> Rect {
        Rect::new(self.x * k, self.y * k, self.w * k, self.h * k)
    }
}

impl TextRun {
    fn zoom(&mut self, k: f32) {
        self.x *= k;
        self.baseline *= k;
        self.size *= k;
        self.bounds = self.bounds.zoomed(k);
    }
}

impl Element {
    /// Scale the element by `k` about the page's origin.
    pub fn zoom(&mut self, k: f32) {
        match self {
            Element::Fill { rect, .. } | Element::Photo { rect, .. } | Element::Qr { rect, .. } => {
                *rect = rect.zoomed(k)
            }
            Element::Text(run) => run.zoom(k),
            Element::Watermark { run, center, .. } => {
                run.zoom(k);
                *center = (center.0 * k, center.1 * k);
            }
        }
    }

    /// Mirror the element's place across the page's vertical centre line, the page being `width`
    /// wide: a right-to-left poster's columns, and labels to the right of their values. Text keeps
    /// its own glyphs and photos their own picture; only where they stand changes.
    pub fn mirror(&mut self, width: f32) {
        match self {
            Element::Fill { rect, .. } | Element::Photo { rect, .. } | Element::Qr { rect, .. } => {
                rect.x = width - rect.x - rect.w
            }
            Element::Text(run) => {
                let dx = width - 2.0 * run.bounds.x - run.bounds.w;
                run.x += dx;
                run.bounds.x += dx;
            }
            Element::Watermark { run, center, .. } => {
                let dx = width - 2.0 * center.0;
                center.0 += dx;
                run.x += dx;
                run.bounds.x += dx;
            }
        }
    }

    /// From its top to its bottom, for what stands in the page's flow (not the SAMPLE mark).
    pub(super) fn vertical_extent(&self) -> Option<(f32, f32)> {
        match self {
            Element::Fill { rect, .. } | Element::Photo { rect, .. } | Element::Qr { rect, .. } => {
                Some((rect.y, rect.bottom()))
            }
            Element::Text(run) => Some((run.bounds.y, run.bounds.bottom())),
            Element::Watermark { .. } => None,
        }
    }

    /// Move the element down by `dy`.
    pub fn shift(&mut self, dy: f32) {
        match self {
            Element::Fill { rect, .. } | Element::Photo { rect, .. } | Element::Qr { rect, .. } => {
                rect.y += dy
            }
            Element::Text(run) | Element::Watermark { run, .. } => {
                run.baseline += dy;
                run.bounds.y += dy;
            }
        }
    }
}

/// A laid-out poster: its first page, and the continuation pages of a print poster too long for
/// one. Every page has the same size and margins.
pub struct Page<'a> {
    pub width: f32,
    pub height: f32,
    pub margin: f32,
    /// The first page's elements.
    pub elements: Vec<Element>,
    /// Each continuation page's elements; empty when the poster is one page.
    pub continuation: Vec<Vec<Element>>,
    /// The photos the elements of every page index.
    pub photos: Vec<&'a PreparedPhoto>,
    /// The scale the template's sizes were shrunk to (1.0 when everything fitted as designed).
    pub scale: f32,
}

impl<'a> Page<'a> {
    /// The laid-out pages of `ctx`'s template at `scale` (at least one), each with the SAMPLE or
    /// TEST mark on top when the input asks for one.
    fn finish(
        ctx: &Ctx<'_, 'a>,
        mut pages: Vec<Vec<Element>>,
        photos: Vec<&'a PreparedPhoto>,
        scale: f32,
        watermark_size: f32,
    ) -> Page<'a> {
        let t = ctx.template;
        if let Some(mark) = ctx.input.mark {
            for elements in &mut pages {
                elements.push(watermark(ctx, mark, watermark_size));
            }
        }
        let mut pages = pages.into_iter();
        Page {
            width: t.width,
            height: t.height,
            margin: t.margin,
            elements: pages.next().unwrap_or_default(),
            continuation: pages.collect(),
            photos,
            scale,
        }
    }
}

impl Page<'_> {
    /// The same page `k` times as large: a print page (in points) drawn as pixels for a preview.
    pub fn zoom(&mut self, k: f32) {
        self.width *= k;
        self.height *= k;
        self.margin *= k;
        self.elements_mut().for_each(|e| e.zoom(k));
    }

    /// Each page's elements, the first page first.
    pub fn pages(&self) -> impl Iterator<Item = &[Element]> {
        std::iter::once(self.elements.as_slice()).chain(self.continuation.iter().map(Vec::as_slice))
    }

    fn elements_mut(&mut self) -> impl Iterator<Item = &mut Element> {
        self.elements
            .iter_mut()
            .chain(self.continuation.iter_mut().flatten())
    }

    /// The area inside the margins: no text may leave it.
    pub fn content_box(&self) -> Rect {
        Rect::new(
            self.margin,
            self.margin,
            self.width - 2.0 * self.margin,
            self.height - 2.0 * self.margin,
        )
    }

    /// The text runs of every page.
    pub fn texts(&self) -> impl Iterator<Item = &TextRun> {
        self.pages().flatten().filter_map(|e| match e {
            Element::Text(t) => Some(t),
            _ => None,
        })
    }

    /// Where the photos stand, on every page.
    pub fn photo_rects(&self) -> impl Iterator<Item = Rect> + '_ {
        self.pages().flatten().filter_map(|e| match e {
            Element::Photo { rect, .. } => Some(*rect),
            _ => None,
        })
    }
}

/// What every layout step needs: the input, its fonts, template, words and the photos in use.
pub struct Ctx<'i, 'a> {
    pub input: &'i PosterInput<'a>,
    pub fonts: &'i Fonts,
    pub qr: &'i QrCodes,
    pub template: &'i FormatTemplate,
    pub words: Words<'i>,
}

impl<'a> Ctx<'_, 'a> {
    /// A pen for this poster: its language decides how CJK characters are drawn.
    pub fn pen(&self) -> Pen<'_> {
        Pen::in_lang(self.fonts, self.input.lang)
    }

    /// The prepared photo for a case photo, or an error naming the field.
    pub fn photo(
        &self,
        field: &str,
        source: &PhotoSource,
    ) -> Result<&'a PreparedPhoto, RenderError> {
        self.input
            .photos
            .get(source)
            .ok_or_else(|| RenderError::MissingPhoto {
                field: match source {
                    PhotoSource::File(_) => format!("{field}.file"),
                    PhotoSource::Id(_) => format!("{field}.photo_id"),
                },
            })
    }
}

/// Lay out one poster.
pub fn layout<'a>(
    input: &PosterInput<'a>,
    format: Format,
    fonts: &Fonts,
    template: &FormatTemplate,
    lang: &LangTemplate,
    regions: &Regions,
    qr: &QrCodes,
) -> Result<Page<'a>, RenderError> {
    let ctx = Ctx {
        input,
        fonts,
        qr,
        template,
        words: Words::new(lang, regions),
    };
    let _ = format;
    let mut page = match template.kind {
        Kind::Print => print::layout(&ctx)?,
        Kind::Screen => screen::layout(&ctx)?,
    };
    if input.lang.right_to_left() {
        let width = page.width;
        page.elements_mut().for_each(|e| e.mirror(width));
    }
    Ok(page)
}

/// The SAMPLE or TEST mark across the page's diagonal, as large as fits.
fn watermark(ctx: &Ctx<'_, '_>, mark: Mark, max_size: f32) -> Element {
    let t = ctx.template;
    let text = match mark {
        Mark::Sample => ctx.words.lang.sample.clone(),
        Mark::Test => ctx.words.lang.test.clone(),
    };
    let diagonal = (t.width * t.width + t.height * t.height).sqrt();
    let forms = CjkForms::of(&text, ctx.input.lang);
    let shaped = shape::line_in(ctx.fonts, FontKind::Bold, &text, forms);
    let at_one = shaped.width.max(0.01);
    let size = max_size
        .min(0.7 * diagonal / at_one)
        .min(t.height.min(t.width) * 0.9);
    let w = shaped.width * size;
    let center = (t.width / 2.0, t.height / 2.0);
    let baseline = center.1 + ctx.fonts.cap_height(size) / 2.0;
    Element::Watermark {
        run: TextRun {
            x: center.0 - w / 2.0,
            baseline,
            text,
            glyphs: shaped.glyphs,
            font: FontKind::Bold,
            size,
            color: t.colors.watermark,
            bounds: Rect::new(center.0 - w / 2.0, baseline - size, w, size),
            tag: Tag::default(),
        },
        center,
        angle_deg: (t.height / t.width).atan().to_degrees(),
        opacity: 0.28,
    }
}
