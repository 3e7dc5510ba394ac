//! The contact block and footer of a print poster: whom to call, the case number, the issue date.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use qrcode::{Color as QrColor, EcLevel, QrCode};

use super::super::RenderError;
use super::super::fonts::FontKind;
use super::super::template::fill;
use super::pen::{Align, Pen};
use super::print::Frame;
use super::words::Words;
use super::{Ctx, Element, Rect, Role, Tag, section};

/// The contact block and footer, set from the bottom of the page up; returns the contact block's top.
/// `page` is this page's number and the poster's page count, printed in the footer of a poster of
/// more than one page.
pub fn footer_and_contact(
    ctx: &Ctx<'_, '_>,
    f: &Frame,
    pen: &mut Pen,
    page: Option<(usize, usize)>,
) -> Result<f32, RenderError> {
    let t = ctx.template;
    let input = ctx.input;
    let w = &ctx.words;
    let l = &w.lang.labels;
    let bottom = t.height - t.margin;

    let footer_style = f.style(FontKind::Regular, f.p.footer_size, f.c.muted);
    let case_no = Words::clean(ctx.fonts, "case_number", &input.case.case_number)?;
    let left = fill(&l.case_number, &[("case_number", &case_no)]);
    let right = fill(
        &l.issued,
        &[
            ("date", &w.date(input.issue_date)),
            ("version", &input.version.to_string()),
        ],
    );
    let mut footer = format!("{left}  ·  {right}");
    if let Some((n, of)) = page {
        let page = fill(
            &l.page,
            &[("page", &n.to_string()), ("pages", &of.to_string())],
        );
        footer = format!("{footer}  ·  {page}");
    }
    pen.tag = Tag::new(section::FOOTER, Role::Text);
    let footer_h = pen.measure(&footer, f.w, footer_style);
    let footer_top = bottom - footer_h;
    pen.paragraph(
        &footer,
        f.x0,
        footer_top,
        f.w,
        footer_style.align(Align::Center),
    );

    // The contact lines, measured first so the block can be placed above the footer.
    pen.tag = Tag::new(section::CONTACT, Role::Text);
    let org = &input.organisation;
    let hotline = Words::clean(ctx.fonts, "organisation.hotline", &org.hotline)?;
    let org_name = Words::clean(ctx.fonts, "organisation.name", &org.name)?;
    let contact = &input.case.contact;
    let agency = Words::clean(ctx.fonts, "contact.agency", &contact.agency)?;
    let agency = match &contact.region {
        Some(r) => format!(
            "{agency} ({})",
            w.region_name(input.case.missing_from.country.as_deref(), r)
        ),
        None => agency,
    };
    let phone = Words::clean(ctx.fonts, "contact.phone", &contact.phone)?;
    let agency_line = format!("{} {agency}  {phone}", l.contact_or);

    let qr = match input.case_page_url {
        Some(url) => Some(
            ctx.qr
                .get(&url.replace("{case_number}", &input.case.case_number))?,
        ),
        None => None,
    };
    let qr_side = if qr.is_some() { f.p.qr_size * f.s } else { 0.0 };
    let text_w = if qr.is_some() {
        f.w - qr_side - 2.0 * f.gap()
    } else {
        f.w
    };

    let intro = f.style(FontKind::Bold, f.p.contact_intro_size, f.c.label);
    let hot = f.style(FontKind::Bold, f.p.hotline_size, f.c.text);
    let body = f.style(FontKind::Regular, f.p.contact_size, f.c.text);
    let strong = f.style(FontKind::Bold, f.p.contact_size, f.c.text);
    let hot_min = hot.size * 0.6;
    let mut lines_h = pen.measure(&l.contact_intro, text_w, intro)
        + pen.measure_fitted(&hotline, text_w, hot, hot_min)
        + pen.measure(&org_name, text_w, body)
        + pen.measure(&agency_line, text_w, strong);
    if let Some(web) = &org.web {
        lines_h += pen.measure(web, text_w, body);
    }
    let scan = f
        .style(FontKind::Regular, f.p.footer_size, f.c.muted)
        .align(Align::Center);
    let qr_block = if qr.is_some() {
        qr_side + pen.measure(&l.scan, qr_side, scan)
    } else {
        0.0
    };
    let pad = f.gap() * 0.8;
    let block_h = lines_h.max(qr_block) + 2.0 * pad;
    let top = footer_top - f.gap() * 0.6 - block_h;
    pen.fill(Rect::new(f.x0, top, f.w, 2.5 * f.s), f.c.rule);

    let mut y = top + pad;
    y = pen.paragraph(&l.contact_intro, f.x0, y, text_w, intro);
    y = pen.fitted(&hotline, f.x0, y, text_w, hot, hot_min);
    y = pen.paragraph(&org_name, f.x0, y, text_w, body);
    if let Some(web) = &org.web {
        let web = Words::clean(ctx.fonts, "organisation.web", web)?;
        y = pen.paragraph(&web, f.x0, y, text_w, body);
    }
    pen.paragraph(&agency_line, f.x0, y, text_w, strong);

    if let Some(code) = qr {
        let (modules, dark) = (code.0, code.1.clone());
        let x = f.x0 + f.w - qr_side;
        let rect = Rect::new(x, top + pad, qr_side, qr_side);
        pen.elements.push(Element::Qr {
            rect,
            modules,
            dark,
            color: f.c.text,
        });
        pen.paragraph(&l.scan, x, rect.bottom() + 2.0 * f.s, qr_side, scan);
    }
    Ok(top)
}

/// QR codes made once per address: every format and language of a case's posters carries the same
/// one, and choosing a code's mask costs more than the rest of a letter poster's layout. Kept for
/// the [`QrCodes::KEPT`] latest addresses.
#[derive(Default)]
pub struct QrCodes(Mutex<HashMap<String, Arc<Qr>>>);

/// A QR code's width in modules, and its modules row by row, `true` for dark.
pub type Qr = (usize, Vec<bool>);

impl QrCodes {
    const KEPT: usize = 512;

    pub fn get(&self, url: &str) -> Result<Arc<Qr>, RenderError> {
        if let Some(known) = self.0.lock().ok().and_then(|m| m.get(url).cloned()) {
            return Ok(known);
        }
        let made = Arc::new(qr_code(url)?);
        if let Ok(mut m) = self.0.lock() {
            if m.len() >= Self::KEPT {
                m.clear();
            }
            m.insert(url.to_string(), Arc::clone(&made));
        }
        Ok(made)
    }
}

/// The modules of a QR code for `url` (medium error correction: survives a crease or a smudge).
pub fn qr_code(url: &str) -> Result<(usize, Vec<bool>), RenderError> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M).map_err(|e| {
        RenderError::Field {
            field: "case_page_url".into(),
            reason: format!("cannot be made into a QR code: {e}"),
        }
    })?;
    let dark = code
        .to_colors()
        .into_iter()
        .map(|c| c == QrColor::Dark)
        .collect();
    Ok((code.width(), dark))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_made_once_per_address_and_errors_are_not_kept() {
        let codes = QrCodes::default();
        let a = codes.get("https://lookout.example/c/2026-1").unwrap();
        let again = codes.get("https://lookout.example/c/2026-1").unwrap();
        assert!(Arc::ptr_eq(&a, &again));
        assert_eq!(*a, qr_code("https://lookout.example/c/2026-1").unwrap());
        let other = codes.get("https://lookout.example/c/2026-2").unwrap();
        assert_ne!(a.1, other.1);
        let too_long = "x".repeat(5_000);
        assert!(codes.get(&too_long).is_err());
        assert!(codes.get(&too_long).is_err());
    }
}
