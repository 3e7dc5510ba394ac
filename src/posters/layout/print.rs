//! The print poster (Letter, A4): headline band, children with photos and descriptions, the
//! circumstances, the companion or abductor, and the contact block, all on one page.
//!
//! Everything is laid out at a scale of the template's sizes; when the case has more to say than the
//! page holds, the whole poster is set again a little smaller, down to the template's `min_scale`.

use qrcode::{Color as QrColor, EcLevel, QrCode};

use crate::cases::{Companion, Person, Photo, age_on};

use super::super::RenderError;
use super::super::fonts::FontKind;
use super::super::template::{Colors, PrintSizes, fill};
use super::pen::{Align, Pen, Style};
use super::words::{ValueKind, Words};
use super::{Ctx, Element, Page, Rect, watermark};

const SCALE_STEP: f32 = 0.04;

pub fn layout<'a>(ctx: &Ctx<'_, 'a>) -> Result<Page<'a>, RenderError> {
    let t = ctx.template;
    let mut scale = 1.0f32;
    loop {
        let mut photos = Vec::new();
        let (mut elements, spare) = compose(ctx, scale, 0.0, &mut photos)?;
        let fits = spare >= 0.0;
        if fits && spare > 0.0 {
            // Room to spare: give it to the children's photos, the part of a poster people look at.
            let mut bigger = Vec::new();
            let (e, left) = compose(ctx, scale, spare * 0.9, &mut bigger)?;
            if left >= 0.0 {
                (elements, photos) = (e, bigger);
            }
        }
        if fits || scale - SCALE_STEP < t.min_scale - 1e-4 {
            if !fits {
                return Err(RenderError::Overflow {
                    format: "print".into(),
                });
            }
            let mut page = Page {
                width: t.width,
                height: t.height,
                margin: t.margin,
                elements,
                photos,
                scale,
            };
            if ctx.input.sample {
                let size = sizes(ctx).watermark_size;
                page.elements.push(watermark(ctx, size));
            }
            return Ok(page);
        }
        scale -= SCALE_STEP;
    }
}

fn sizes<'t>(ctx: &Ctx<'t, '_>) -> &'t PrintSizes {
    ctx.template
        .print
        .as_ref()
        .expect("FormatTemplate::load checked that a print template has [print]")
}

/// Sizes at one scale, and the fixed frame of the page.
struct Frame<'t> {
    s: f32,
    p: &'t PrintSizes,
    c: &'t Colors,
    x0: f32,
    w: f32,
    boost: f32,
}

impl Frame<'_> {
    fn style(&self, font: FontKind, size: f32, color: super::super::template::Rgb) -> Style {
        Style::new(font, size * self.s, color, self.p.line_height)
    }
    fn gap(&self) -> f32 {
        self.p.gap * self.s
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
    let f = Frame {
        s,
        p: sizes(ctx),
        c: &t.colors,
        x0: t.margin,
        w: t.width - 2.0 * t.margin,
        boost,
    };
    let mut pen = Pen::new(ctx.fonts);
    let mut y = header(ctx, &f, &mut pen, t.margin)?;
    // Where each section after the header starts, to spread spare room between them.
    let mut starts = vec![pen.elements.len()];
    y = children(ctx, &f, &mut pen, y + f.gap(), photos)?;
    if let Some(text) = &ctx.input.case.circumstances {
        let text = Words::clean(ctx.fonts, "circumstances", text)?;
        starts.push(pen.elements.len());
        y = circumstances(&f, &mut pen, &text, y + f.gap());
    }
    if !ctx.input.case.companions.is_empty() {
        starts.push(pen.elements.len());
        y = companions(ctx, &f, &mut pen, y + f.gap(), photos)?;
    }
    let flow_end = pen.elements.len();
    let contact_top = footer_and_contact(ctx, &f, &mut pen)?;
    let spare = contact_top - f.gap() - y;
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

/// The headline band, the AMBER ALERT band and the "missing since … from …" line.
fn header(ctx: &Ctx<'_, '_>, f: &Frame, pen: &mut Pen, top: f32) -> Result<f32, RenderError> {
    let case = ctx.input.case;
    let lang = ctx.words.lang;
    let pad = 8.0 * f.s;
    let headline = lang.headline(case.case_type).to_string();
    let style = f
        .style(FontKind::Bold, f.p.headline_size, f.c.band_text)
        .align(Align::Center);
    let inner = f.w - 2.0 * pad;
    let min = f.p.headline_size * f.s * 0.6;
    let text_h = pen.measure_fitted(&headline, inner, style, min);
    let band_h = (f.p.headline_band * f.s).max(text_h + 2.0 * pad);
    pen.fill(Rect::new(f.x0, top, f.w, band_h), f.c.band);
    pen.fitted(
        &headline,
        f.x0 + pad,
        top + (band_h - text_h) / 2.0,
        inner,
        style,
        min,
    );
    let mut y = top + band_h;
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
        let pw = f.w * f.p.single_photo_share;
        let slot = Rect::new(f.x0, top, pw, max_h);
        let photo_bottom = photo_row(ctx, f, pen, "children[0]", &kids[0].photos, slot, photos)?;
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
        let slot = Rect::new(x, top, cw, max_h);
        let y = photo_row(ctx, f, pen, &field, &child.photos, slot, photos)?;
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
    list: &[Photo],
    area: Rect,
    photos: &mut Vec<&'a crate::posters::PreparedPhoto>,
) -> Result<f32, RenderError> {
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
    let y = pen.fitted(&name, x, top, width, style, style.size * 0.6);
    let rows = person_rows(ctx, field, p)?;
    Ok(facts(f, pen, &rows, x, y + 2.0 * f.s, width))
}

fn facts(f: &Frame, pen: &mut Pen, rows: &[(String, String)], x: f32, top: f32, w: f32) -> f32 {
    let label = f.style(FontKind::Bold, f.p.body_size, f.c.label);
    let value = f.style(FontKind::Regular, f.p.body_size, f.c.text);
    pen.facts(rows, x, top, w, label, value)
}

/// The description rows of a child.
fn person_rows(
    ctx: &Ctx<'_, '_>,
    field: &str,
    p: &Person,
) -> Result<Vec<(String, String)>, RenderError> {
    let w = &ctx.words;
    let l = &w.lang.labels;
    let mut rows = Vec::new();
    if !p.aliases.is_empty() {
        let a = Words::clean(
            ctx.fonts,
            &format!("{field}.aliases"),
            &p.aliases.join(", "),
        )?;
        rows.push((l.aliases.clone(), a));
    }
    rows.push((l.date_of_birth.clone(), w.date(p.date_of_birth.0)));
    let age = age_on(p.date_of_birth.0, ctx.input.issue_date).to_string();
    rows.push((l.age_now.clone(), fill(&w.lang.age, &[("age", &age)])));
    rows.push((l.sex.clone(), w.lang.sex(p.sex).to_string()));
    describe(ctx, field, &mut rows, &Looks::of_person(p))?;
    Ok(rows)
}

/// The descriptive fields a child and a companion share.
struct Looks<'p> {
    race: Option<&'p str>,
    height_cm: Option<f64>,
    weight_kg: Option<f64>,
    hair: Option<&'p str>,
    eyes: Option<&'p str>,
    marks: Option<&'p str>,
    clothing: Option<&'p str>,
}

impl<'p> Looks<'p> {
    fn of_person(p: &'p Person) -> Looks<'p> {
        Looks {
            race: p.race.as_deref(),
            height_cm: p.height_cm,
            weight_kg: p.weight_kg,
            hair: p.hair.as_deref(),
            eyes: p.eyes.as_deref(),
            marks: p.marks.as_deref(),
            clothing: p.clothing.as_deref(),
        }
    }

    fn of_companion(c: &'p Companion) -> Looks<'p> {
        Looks {
            race: c.race.as_deref(),
            height_cm: c.height_cm,
            weight_kg: c.weight_kg,
            hair: c.hair.as_deref(),
            eyes: c.eyes.as_deref(),
            marks: c.marks.as_deref(),
            clothing: c.clothing.as_deref(),
        }
    }
}

fn describe(
    ctx: &Ctx<'_, '_>,
    field: &str,
    rows: &mut Vec<(String, String)>,
    looks: &Looks,
) -> Result<(), RenderError> {
    let w = &ctx.words;
    let l = &w.lang.labels;
    let text = |name: &str,
                v: Option<&str>,
                kind: Option<ValueKind>|
     -> Result<Option<String>, RenderError> {
        v.map(|v| {
            let v = Words::clean(ctx.fonts, &format!("{field}.{name}"), v)?;
            Ok(kind.map_or(v.clone(), |k| w.value(k, &v)))
        })
        .transpose()
    };
    let mut push = |label: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            rows.push((label.to_string(), v));
        }
    };
    push(&l.race, text("race", looks.race, Some(ValueKind::Race))?);
    push(&l.height, looks.height_cm.map(|cm| w.height(cm)));
    push(&l.weight, looks.weight_kg.map(|kg| w.weight(kg)));
    push(&l.hair, text("hair", looks.hair, Some(ValueKind::Hair))?);
    push(&l.eyes, text("eyes", looks.eyes, Some(ValueKind::Eyes))?);
    push(&l.marks, text("marks", looks.marks, None)?);
    push(&l.clothing, text("clothing", looks.clothing, None)?);
    Ok(())
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
        let x = f.x0 + i as f32 * (cw + gap);
        let bar = f.style(FontKind::Bold, f.p.section_size, f.c.section_text);
        let role = ctx.words.lang.role(c.role).to_string();
        let title = match &c.relation {
            Some(r) => {
                let r = Words::clean(ctx.fonts, &format!("{field}.relation"), r)?;
                fill(
                    &ctx.words.lang.labels.relation,
                    &[("role", &role), ("relation", &r)],
                )
            }
            None => role,
        };
        let pad = 5.0 * f.s;
        let h = pen.measure(&title, cw - 2.0 * pad, bar) + pad;
        pen.fill(Rect::new(x, top, cw, h), f.c.section);
        let y = pen.paragraph(&title, x + pad, top + pad / 2.0, cw - 2.0 * pad, bar) + pad / 2.0;
        let y = y + f.gap() * 0.6;
        let pw = if c.photos.is_empty() {
            0.0
        } else {
            (f.p.companion_photo_width * f.s).min(cw * 0.4)
        };
        let slot = Rect::new(x, y, pw, f32::INFINITY);
        let photo_bottom = photo_row(ctx, f, pen, &field, &c.photos, slot, photos)?;
        let tx = if pw > 0.0 { x + pw + f.gap() } else { x };
        let desc = companion_rows(ctx, &field, c)?;
        let name = Words::clean(ctx.fonts, &format!("{field}.name"), &c.name)?;
        let style = f.style(FontKind::Bold, f.p.section_size * 1.3, f.c.text);
        let ny = pen.fitted(&name, tx, y, x + cw - tx, style, style.size * 0.7);
        let fy = facts(f, pen, &desc, tx, ny + 2.0 * f.s, x + cw - tx);
        bottom = bottom.max(fy).max(photo_bottom);
    }
    Ok(bottom)
}

fn companion_rows(
    ctx: &Ctx<'_, '_>,
    field: &str,
    c: &Companion,
) -> Result<Vec<(String, String)>, RenderError> {
    let w = &ctx.words;
    let l = &w.lang.labels;
    let mut rows = Vec::new();
    if !c.aliases.is_empty() {
        let a = Words::clean(
            ctx.fonts,
            &format!("{field}.aliases"),
            &c.aliases.join(", "),
        )?;
        rows.push((l.aliases.clone(), a));
    }
    if let Some(dob) = c.date_of_birth {
        let age = age_on(dob.0, ctx.input.issue_date).to_string();
        let age = fill(&w.lang.age, &[("age", &age)]);
        rows.push((
            l.date_of_birth.clone(),
            format!("{} ({age})", w.date(dob.0)),
        ));
    }
    rows.push((l.sex.clone(), w.lang.sex(c.sex).to_string()));
    describe(ctx, field, &mut rows, &Looks::of_companion(c))?;
    if let Some(v) = &c.vehicle {
        let desc = Words::clean(ctx.fonts, &format!("{field}.vehicle"), &v.description())?;
        let plate = v.plate.as_ref().map(|p| {
            let p = match &v.plate_region {
                Some(r) => format!("{p} ({r})"),
                None => p.clone(),
            };
            fill(&l.plate, &[("plate", &p)])
        });
        let plate = plate
            .map(|p| Words::clean(ctx.fonts, &format!("{field}.vehicle.plate"), &p))
            .transpose()?;
        let text = [Some(desc).filter(|d| !d.is_empty()), plate]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
        if !text.is_empty() {
            rows.push((l.vehicle.clone(), text));
        }
    }
    Ok(rows)
}

/// The contact block and footer, set from the bottom of the page up; returns the contact block's top.
fn footer_and_contact(ctx: &Ctx<'_, '_>, f: &Frame, pen: &mut Pen) -> Result<f32, RenderError> {
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
    let footer = format!("{left}  ·  {right}");
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
        Some(url) => Some(qr_code(
            &url.replace("{case_number}", &input.case.case_number),
        )?),
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

    if let Some((modules, dark)) = qr {
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
