//! The renderer of one process, built once: the fonts parsed, every format's and language's
//! template read, the region names loaded. A render then only lays out and writes. (As typst's
//! `World` owns what a document is made with; this owns what a poster is made with.)

use std::collections::HashMap;
use std::sync::OnceLock;

use super::template::{self, FormatTemplate, LangTemplate, Regions};
use super::{Fonts, Format, PosterInput, RenderError, bulletin, layout, pack, pdf, raster};
use crate::cases::Lang;

pub struct Renderer {
    fonts: Fonts,
    formats: HashMap<Format, FormatTemplate>,
    langs: HashMap<Lang, LangTemplate>,
    regions: Regions,
    qr: layout::QrCodes,
}

impl Renderer {
    /// Parse everything a poster is made with. Fails only on a defect in the bundled files.
    pub fn new() -> Result<Renderer, RenderError> {
        let formats = Format::ALL
            .into_iter()
            .map(|f| Ok((f, FormatTemplate::load(f)?)))
            .collect::<Result<_, RenderError>>()?;
        let langs = Lang::ALL
            .into_iter()
            .map(|l| Ok((l, LangTemplate::load(l)?)))
            .collect::<Result<_, RenderError>>()?;
        Ok(Renderer {
            fonts: Fonts::load()?,
            formats,
            langs,
            regions: template::load_regions()?,
            qr: layout::QrCodes::default(),
        })
    }

    /// The process's renderer, built at its first use.
    pub fn shared() -> Result<&'static Renderer, RenderError> {
        static SHARED: OnceLock<Result<Renderer, String>> = OnceLock::new();
        SHARED
            .get_or_init(|| Renderer::new().map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| RenderError::Unavailable(e.clone()))
    }

    pub fn fonts(&self) -> &Fonts {
        &self.fonts
    }

    /// The words of `lang`, as its posters write dates, measures and values.
    pub fn words(&self, lang: Lang) -> layout::words::Words<'_> {
        layout::words::Words::new(&self.langs[&lang], &self.regions)
    }

    /// The positioned elements of one poster, before any writer draws them.
    pub fn lay_out<'a>(
        &self,
        input: &PosterInput<'a>,
        format: Format,
    ) -> Result<layout::Page<'a>, RenderError> {
        layout::layout(
            input,
            format,
            &self.fonts,
            &self.formats[&format],
            &self.langs[&input.lang],
            &self.regions,
            &self.qr,
        )
    }

    /// A poster's document title, as a reader names it: "MISSING: Mara Ortega, Tomás Ortega · 2026-004217".
    fn title(&self, input: &PosterInput<'_>) -> String {
        let case = input.case;
        let headline = self.langs[&input.lang].headline(case.case_type, &case.children_sexes());
        let names: Vec<&str> = case.children.iter().map(|c| c.name.as_str()).collect();
        format!("{headline}: {} · {}", names.join(", "), case.case_number)
    }

    /// One poster in one format. Deterministic: same input, same bytes.
    pub fn render(&self, input: &PosterInput<'_>, format: Format) -> Result<Vec<u8>, RenderError> {
        let page = self.lay_out(input, format)?;
        let fonts = &self.fonts;
        match format {
            Format::Letter | Format::A4 => {
                let title = self.title(input);
                pdf::write(&page, fonts, &title, input.lang.bcp47(), input.issue_date)
            }
            f if f.is_billboard() => raster::write(&page, fonts, raster::Encoding::Jpeg),
            _ => raster::write(&page, fonts, raster::Encoding::Png),
        }
    }

    /// A digest's bulletin in a print `format`: its cover pages, then each of `posters` (PDFs of
    /// that format, as partners receive them) as it is.
    pub fn bulletin(
        &self,
        cover: &bulletin::Cover<'_>,
        posters: &[&[u8]],
        format: Format,
    ) -> Result<Vec<u8>, RenderError> {
        let t = &self.formats[&format];
        let mut files = Vec::new();
        for page in bulletin::cover_pages(&self.fonts, t.width, t.height, cover) {
            files.push(pdf::write(
                &page,
                &self.fonts,
                cover.title,
                cover.lang.bcp47(),
                cover.date,
            )?);
        }
        let mut all: Vec<&[u8]> = files.iter().map(Vec::as_slice).collect();
        all.extend_from_slice(posters);
        pack::merge(&all, cover.title).map_err(|e| RenderError::Write(e.to_string()))
    }

    /// A print poster as a PNG for a screen, `zoom` pixels to the point; a screen format as it is.
    pub fn render_preview(
        &self,
        input: &PosterInput<'_>,
        format: Format,
        zoom: f32,
    ) -> Result<Vec<u8>, RenderError> {
        let mut page = self.lay_out(input, format)?;
        if format.is_print() {
            page.zoom(zoom);
        }
        raster::write(&page, &self.fonts, raster::Encoding::Png)
    }
}
