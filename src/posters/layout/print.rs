//! The print poster (Letter, A4): headline band, children with photos and descriptions, the
//! circumstances, the companion or abductor, and the contact block.
//!
//! Everything is laid out at a scale of the template's sizes; when the case has more to say than the
//! page holds, the whole poster is set again a little smaller, down to the template's `min_scale`
//! (which keeps the facts readable). What still does not fit goes on continuation pages
//! ([`super::continued`]).

use crate::cases::{Person, Photo};

use super::super::RenderError;
use super::super::fonts::FontKind;
use super::super::template::{Colors, PrintSizes, fill};
use super::contact::footer_and_contact;
use super::facts::{companion_rows, person_rows, role_title};
use super::pen::{Align, Pen, Style};
use super::words::Words;
use super::{Ctx, Element, Page, Rect, Role, Tag, section};

pub fn layout<'a>(ctx: &Ctx<'_, 'a>) -> Result<Page<'a>, RenderError> {
    let t = ctx.template;
    // Full size, else a little smaller, down to the readable minimum: few steps, as each is a
    // whole layout, and a reader cannot tell more of them apart.
    let nearly = 1.0 - 0.8 * (1.0 - t.min_scale);
    for scale in [1.0, nearly, t.min_scale] {
        let mut photos = Vec::new();
        let (mut elements, spare) = compose(ctx, scale, 0.0, &mut photos)?;
        if spare < 0.0 {
            continue;
        }
        if spare > 2.0 * t.margin {
            // Room to spare: give it to the children's photos, the part of a poster people look at.
            let mut bigger = Vec::new();
            let (e, left) = compose(ctx, scale, spare * 0.9, &mut bigger)?;
            if left >= 0.0 {
                (elements, photos) = (e, bigger);
            }
        }
        let size = sizes(ctx).watermark_size;
        return Ok(Page::finish(ctx, vec![elements], photos, scale, size));
    }
    super::continued::layout(ctx)
}

pub(super) fn sizes<'t>(ctx: &Ctx<'t, '_>) -> &'t PrintSizes {
    ctx.template
        .print
        .as_ref()
        .expect("FormatTemplate::load checked that a print template has [print]")
}

/// Sizes at one scale, and the fixed frame of the page.
pub struct Frame<'t> {
    pub s: f32,
    pub p: &'t PrintSizes,
    pub c: &'t Colors,
    pub x0: f32,
    pub w: f32,
    pub boost: f32,
}

impl Frame<'_> {
    pub fn style(&self, font: FontKind, size: f32, color: super::super::template::Rgb) -> Style {
        Style::new(font, size * self.s, color, self.p.line_height)
    }
    pub fn gap(&self) -> f32 {
        self.p.gap * self.s
    }
}

impl<'t> Frame<'t> {
    pub fn new(ctx: &Ctx<'t, '_>, s: f32, boost: f32) -> Frame<'t> {
        let t = ctx.template;
        Frame {
            s,
            p: sizes(ctx),
            c: &t.colors,
            x0: t.margin,
            w: t.width - 2.0 * t.margin,
            boost,
        }
    }
}

/// Lay the poster out at `s`, children's photos up to `boost` taller than the template says; returns
/// the elements and the room left above the contact block (negative: it does not fit).
fn compose<'a>(
    ctx: &Ctx<'_, 'a>,
    s: f32,
    boost: f32,
    photos: &mut Vec<&'a crate::posters::PreparedPhoto>,
) -> Result<(Vec<Element>, f32), RenderError> {
    let t = ctx.template;
    let f = Frame::new(ctx, s, boost);
    let mut pen = ctx.pen();
    let y = header(ctx, &f, &mut pen, t.margin)?;
    let Flow { bottom, starts } = flow(ctx, &f, &mut pen, y, photos)?;
    let flow_end = pen.elements.len();
    let contact_top = footer_and_contact(ctx, &f, &mut pen, None)?;
    let spare = contact_top - f.gap() - bottom;
    if spare < 0.0 {
        return Ok((pen.elements, spare));
    }
    // A short case should not leave a hole above the contact block: open up the gaps a little.
    let step = (spare / (starts.len() + 1) as f32).min(3.0 * f.gap());
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(flow_end);
        for e in &mut pen.elements[start..end] {
            e.shift(step * (k + 1) as f32);
        }
    }
    Ok((pen.elements, spare))
}

/// What [`flow`] laid out: its bottom, and where each of its sections starts in the pen's elements.
pub(super) struct Flow {
    pub bottom: f32,
    pub starts: Vec<usize>,
}

/// The part of the poster between the header and the contact block, from `top` down: the
/// children, the circumstances, the companions.
pub(super) fn flow<'a>(
    ctx: &Ctx<'_, 'a>,
    f: &Frame,
    pen: &mut Pen,
    top: f32,
    photos: &mut Vec<&'a crate::posters::PreparedPhoto>,
) -> Result<Flow, RenderError> {
    let mut starts = vec![pen.elements.len()];
    let mut y = children(ctx, f, pen, top + f.gap(), photos)?;
    if let Some(text) = &ctx.input.case.circumstances {
        let text = Words::clean(ctx.fonts, "circumstances", text)?;
        starts.push(pen.elements.len());
        pen.tag = Tag::new(section::CIRCUMSTANCES, Role::Text);
        y = circumstances(f, pen, &text, y + f.gap());
    }
    if !ctx.input.case.companions.is_empty() {
        starts.push(pen.elements.len());
        y = companions(ctx, f, pen, y + f.gap(), photos)?;
    }
    Ok(Flow { bottom: y, starts })
}

/// The headline band, the AMBER ALERT band and the "missing since … from …" line.
pub(super) fn header(
    ctx: &Ctx<'_, '_>,
    f: &Frame,
    pen: &mut Pen,
    top: f32,
) -> Result<f32, RenderError> {
    let case = ctx.input.case;
    let lang = ctx.words.lang;
    let pad = 8.0 * f.s;
    let headline = lang.headline(case.case_type, &case.children_sexes());
    let mut y = headline_band(f, pen, headline, top, 1.0, f.p.headline_band * f.s);
    pen.tag = Tag::new(section::HEADER, Role::Text);
    let inner = f.w - 2.0 * pad;
    if case.amber_alert {
        let style = f
            .style(FontKind::Bold, f.p.amber_size, f.c.amber_text)
            .align(Align::Center);
        let h = f.p.amber_band * f.s;
        pen.fill(Rect::new(f.x0, y, f.w, h), f.c.amber);
        let line_h = style.size * style.leading;
        pen.fitted(
            &lang.amber_alert,
            f.x0 + pad,
            y + (h - line_h) / 2.0,
            inner,
            style,
            style.size * 0.6,
        );
        y += h;
    }
    let since = ctx.words.missing_since(&case.missing_since);
    let from = Words::clean(
        ctx.fonts,
        "missing_from",
        &ctx.words.place(&case.missing_from),
    )?;
    let summary = fill(
        &lang.missing_since_from,
        &[("date", &since), ("place", &from)],
    );
    let style = f
        .style(FontKind::Bold, f.p.summary_size, f.c.text)
        .align(Align::Center);
    Ok(pen.paragraph(&summary, f.x0, y + f.gap() * 0.8, f.w, style))
}

/// The red band with the headline, its text `share` of the template's headline size (shrunk to
/// fit, down to 0.6 of that), the band at least `least` tall; returns the band's bottom.
pub(super) fn headline_band(
    f: &Frame,
    pen: &mut Pen,
    headline: &str,
    top: f32,
    share: f32,
    least: f32,
) -> f32 {
    let pad = 8.0 * f.s * share.sqrt();
    let style = f
        .style(FontKind::Bold, f.p.headline_size * share, f.c.band_text)
        .align(Align::Center);
    let inner = f.w - 2.0 * pad;
    let min = style.size * 0.6;
    pen.tag = Tag::new(section::HEADER, Role::Title);
    let text_h = pen.measure_fitted(headline, inner, style, min);
    let band_h = least.max(text_h + 2.0 * pad);
    pen.fill(Rect::new(f.x0, top, f.w, band_h), f.c.band);
    let y = top + (band_h - text_h) / 2.0;
    pen.fitted(headline, f.x0 + pad, y, inner, style, min);
    top + band_h
}

/// The children, one column each (a one-child poster puts the photo beside the description).
fn children<'a>(
    ctx: &Ctx<'_, 'a>,
    f: &Frame,
    pen: &mut Pen,
    top: f32,
    photos: &mut Vec<&'a crate::posters::PreparedPhoto>,
) -> Result<f32, RenderError> {
    let kids = &ctx.input.case.children;
    let gap = 1.6 * f.gap();
    let max_h = f.p.photo_max_height * f.s + f.boost;
    let mut bottom = top;
    if kids.len() == 1 {
        pen.tag = Tag::new(section::CHILD, Role::Text);
        let pw = f.w * f.p.single_photo_share;
        let slot = Rect::new(f.x0, top, pw, max_h);
        let photo_bottom = photo_row(ctx, f, pen, "children[0]", &kids[0], slot, photos)?;
        let x = f.x0 + pw + gap;
        let desc_bottom = person(
            ctx,
            f,
            pen,
            "children[0]",
            &kids[0],
            x,
            top,
            f.w - pw - gap,
            true,
        )?;
        return Ok(photo_bottom.max(desc_bottom));
    }
    let n = kids.len() as f32;
    let cw = (f.w - (n - 1.0) * gap) / n;
    for (i, child) in kids.iter().enumerate() {
        let x = f.x0 + i as f32 * (cw + gap);
        let field = format!("children[{i}]");
        pen.tag = Tag::new(section::CHILD + i as u16, Role::Text);
        let slot = Rect::new(x, top, cw, max_h);
        let y = photo_row(ctx, f, pen, &field, child, slot, photos)?;
        let y = person(ctx, f, pen, &field, child, x, y + f.gap() * 0.5, cw, true)?;
        bottom = bottom.max(y);
    }
    Ok(bottom)
}

/// A person's one or two photos side by side in `area` (its height the tallest a photo may be),
/// each captioned; returns the bottom.
fn photo_row<'a>(
    ctx: &Ctx<'_, 'a>,
    f: &Frame,
    pen: &mut Pen,
    field: &str,
    owner: &impl Pictured,
    area: Rect,
    photos: &mut Vec<&'a crate::posters::PreparedPhoto>,
) -> Result<f32, RenderError> {
    let list = owner.photos();
    let alt = fill(&ctx.words.lang.labels.photo_of, &[("name", owner.name())]);
    let (x, top, width, max_height) = (area.x, area.y, area.w, area.h);
    if list.is_empty() {
        return Ok(top);
    }
    let gap = f.gap() * 0.6;
    let n = list.len() as f32;
    let slot = (width - (n - 1.0) * gap) / n;
    let caption = f
        .style(FontKind::Bold, f.p.caption_size, f.c.label)
        .align(Align::Center);
    let note = f
        .style(FontKind::Regular, f.p.caption_size, f.c.muted)
        .align(Align::Center);
    let mut bottom = top;
    for (j, photo) in list.iter().enumerate() {
        let field = format!("{field}.photos[{j}]");
        let prepared = ctx.photo(&field, &photo.source)?;
        let sx = x + j as f32 * (slot + gap);
        let max_h = (slot * f.p.photo_max_ratio).min(max_height);
        let rect = fit_photo(sx, top, slot, max_h, prepared);
        photos.push(prepared);
        pen.elements.push(Element::Photo {
            rect,
            photo: photos.len() - 1,
            alt: alt.clone(),
            section: pen.tag.section,
        });
        let mut y = rect.bottom() + 2.0 * f.s;
        if let Some(age) = photo.age_progressed_to {
            let label = fill(&ctx.words.lang.age_progressed, &[("age", &age.to_string())]);
            y = pen.paragraph(&label, sx, y, slot, caption);
        }
        if let Some(c) = &photo.caption {
            let c = Words::clean(ctx.fonts, &format!("{field}.caption"), c)?;
            y = pen.paragraph(&c, sx, y, slot, note);
        }
        bottom = bottom.max(y);
    }
    Ok(bottom)
}

/// The largest rect with the photo's aspect ratio inside `w`×`max_h`, centred horizontally.
fn fit_photo(x: f32, y: f32, w: f32, max_h: f32, p: &crate::posters::PreparedPhoto) -> Rect {
    let aspect = p.height.max(1) as f32 / p.width.max(1) as f32;
    let (pw, ph) = if w * aspect <= max_h {
        (w, w * aspect)
    } else {
        (max_h / aspect, max_h)
    };
    Rect::new(x + (w - pw) / 2.0, y, pw, ph)
}

/// A person's name, aliases and description rows; returns the bottom.
#[allow(clippy::too_many_arguments)]
fn person(
    ctx: &Ctx<'_, '_>,
    f: &Frame,
    pen: &mut Pen,
    field: &str,
    p: &Person,
    x: f32,
    top: f32,
    width: f32,
    big_name: bool,
) -> Result<f32, RenderError> {
    let name = Words::clean(ctx.fonts, &format!("{field}.name"), &p.name)?;
    let size = if big_name {
        f.p.name_size
    } else {
        f.p.section_size * 1.3
    };
    let style = f.style(FontKind::Bold, size, f.c.text);
    let section = pen.tag.section;
    pen.tag = Tag::new(section, Role::Heading);
    let y = pen.fitted(&name, x, top, width, style, style.size * 0.6);
    pen.tag = Tag::new(section, Role::Text);
    let rows = person_rows(ctx, field, p)?;
    Ok(facts(f, pen, &rows, x, y + 2.0 * f.s, width))
}

fn facts(f: &Frame, pen: &mut Pen, rows: &[(String, String)], x: f32, top: f32, w: f32) -> f32 {
    let label = f.style(FontKind::Bold, f.p.body_size, f.c.label);
    let value = f.style(FontKind::Regular, f.p.body_size, f.c.text);
    pen.facts(rows, x, top, w, label, value)
}

/// The circumstances paragraph on a light panel; returns the bottom.
fn circumstances(f: &Frame, pen: &mut Pen, text: &str, top: f32) -> f32 {
    let pad = 8.0 * f.s;
    let style = f.style(FontKind::Regular, f.p.paragraph_size, f.c.text);
    let h = pen.measure(text, f.w - 2.0 * pad, style);
    pen.fill(Rect::new(f.x0, top, f.w, h + 2.0 * pad), f.c.panel);
    pen.fill(Rect::new(f.x0, top, 3.0 * f.s, h + 2.0 * pad), f.c.rule);
    pen.paragraph(text, f.x0 + pad, top + pad, f.w - 2.0 * pad, style) + pad
}

/// Each companion or abductor in a column: a dark bar with the role, photo, name, facts, vehicle.
fn companions<'a>(
    ctx: &Ctx<'_, 'a>,
    f: &Frame,
    pen: &mut Pen,
    top: f32,
    photos: &mut Vec<&'a crate::posters::PreparedPhoto>,
) -> Result<f32, RenderError> {
    let list = &ctx.input.case.companions;
    let n = list.len() as f32;
    let gap = 1.6 * f.gap();
    let cw = (f.w - (n - 1.0) * gap) / n;
    let mut bottom = top;
    for (i, c) in list.iter().enumerate() {
        let field = format!("companions[{i}]");
        let part = section::COMPANION + i as u16;
        pen.tag = Tag::new(part, Role::Heading);
        let x = f.x0 + i as f32 * (cw + gap);
        let bar = f.style(FontKind::Bold, f.p.section_size, f.c.section_text);
        let title = role_title(ctx, &field, c)?;
        let pad = 5.0 * f.s;
        let h = pen.measure(&title, cw - 2.0 * pad, bar) + pad;
        pen.fill(Rect::new(x, top, cw, h), f.c.section);
        let y = pen.paragraph(&title, x + pad, top + pad / 2.0, cw - 2.0 * pad, bar) + pad / 2.0;
        let y = y + f.gap() * 0.6;
        pen.tag = Tag::new(part, Role::Text);
        let pw = if c.photos.is_empty() {
            0.0
        } else {
            (f.p.companion_photo_width * f.s).min(cw * 0.4)
        };
        let slot = Rect::new(x, y, pw, f32::INFINITY);
        let photo_bottom = photo_row(ctx, f, pen, &field, c, slot, photos)?;
        let tx = if pw > 0.0 { x + pw + f.gap() } else { x };
        let desc = companion_rows(ctx, &field, c)?;
        let name = Words::clean(ctx.fonts, &format!("{field}.name"), &c.name)?;
        let style = f.style(FontKind::Bold, f.p.section_size * 1.3, f.c.text);
        pen.tag = Tag::new(part, Role::Heading);
        let ny = pen.fitted(&name, tx, y, x + cw - tx, style, style.size * 0.7);
        pen.tag = Tag::new(part, Role::Text);
        let fy = facts(f, pen, &desc, tx, ny + 2.0 * f.s, x + cw - tx);
        bottom = bottom.max(fy).max(photo_bottom);
    }
    Ok(bottom)
}

/// Someone with photos on the poster: a child or a companion.
trait Pictured {
    fn name(&self) -> &str;
    fn photos(&self) -> &[Photo];
}

impl Pictured for Person {
    fn name(&self) -> &str {
        &self.name
    }
    fn photos(&self) -> &[Photo] {
        &self.photos
    }
}

impl Pictured for crate::cases::Companion {
    fn name(&self) -> &str {
        &self.name
    }
    fn photos(&self) -> &[Photo] {
        &self.photos
    }
}
