//! Screen posters (square, story, landscape, billboard): the essentials, large. The template gives
//! four boxes — header, photo, text, footer — and this fills them: headline (and AMBER ALERT), each
//! child's first photo, names and ages, when and where, and the number to call.

use crate::cases::{Case, CaseType, PhotoSource, Role as CompanionRole, age_on};

use super::super::RenderError;
use super::super::fonts::FontKind;
use super::super::template::{BoxSpec, Part, ScreenBoxes, fill};
use super::facts::{role_title, vehicle_text};
use super::pen::{Align, Style};
use super::words::Words;
use super::{Ctx, Element, Page, Rect, Role, Tag, section};

/// The least clear space between two names side by side, in the names' own size (ems).
pub const NAME_GAP: f32 = 0.8;

const SCALE_STEP: f32 = 0.05;
const LEADING: f32 = 1.18;

fn rect(b: &BoxSpec) -> Rect {
    Rect::new(b[0], b[1], b[2], b[3])
}

pub fn layout<'a>(ctx: &Ctx<'_, 'a>) -> Result<Page<'a>, RenderError> {
    let t = ctx.template;
    let boxes = t
        .screen
        .as_ref()
        .expect("FormatTemplate::load checked that a screen template has [screen]");
    let all = boxes.priority.len();
    // Everything, as large as it was designed or down to the template's `keep_scale`; failing
    // that, the least important part goes first, down to the children alone, before anything is
    // set smaller than that.
    let keep_scale = boxes.keep_scale;
    let tries = (0..=all)
        .rev()
        .flat_map(|keep| scales(1.0, keep_scale).map(move |s| (keep, s)))
        .chain(scales(keep_scale - SCALE_STEP, t.min_scale).map(|s| (0, s)));
    for (keep, scale) in tries {
        let mut photos = Vec::new();
        let parts = &boxes.priority[..keep];
        let (elements, fits) = compose(ctx, boxes, scale, parts, keep < all, &mut photos)?;
        if fits {
            return Ok(Page::finish(
                ctx,
                vec![elements],
                photos,
                scale,
                boxes.watermark_size,
            ));
        }
    }
    Err(RenderError::Overflow {
        format: "screen".into(),
    })
}

/// Scales from `from` down to `to`, a step apart.
fn scales(from: f32, to: f32) -> impl Iterator<Item = f32> {
    let n = ((from - to) / SCALE_STEP + 1e-3).floor().max(-1.0) as i32;
    (0..=n).map(move |k| from - k as f32 * SCALE_STEP)
}

/// The part of a box inside the page margins, where text may go.
fn inside(ctx: &Ctx<'_, '_>, r: Rect) -> Rect {
    let m = ctx.template.margin;
    let (w, h) = (ctx.template.width, ctx.template.height);
    let x = r.x.max(m);
    let y = r.y.max(m);
    Rect::new(x, y, r.right().min(w - m) - x, r.bottom().min(h - m) - y)
}

fn compose<'a>(
    ctx: &Ctx<'_, 'a>,
    b: &ScreenBoxes,
    s: f32,
    parts: &[Part],
    left_out: bool,
    photos: &mut Vec<&'a crate::posters::PreparedPhoto>,
) -> Result<(Vec<Element>, bool), RenderError> {
    let c = &ctx.template.colors;
    let case = ctx.input.case;
    let lang = ctx.words.lang;
    let mut pen = ctx.pen();
    let mut fits = true;

    // Header: the headline on the band, an amber strip below it for an AMBER ALERT.
    let header = rect(&b.header);
    pen.fill(header, c.band);
    let mut band = inside(ctx, header);
    if case.amber_alert {
        let strip_h = b.amber_size * s * 1.6;
        let strip = Rect::new(header.x, header.bottom() - strip_h, header.w, strip_h);
        pen.fill(strip, c.amber);
        let st = Style::new(FontKind::Bold, b.amber_size * s, c.amber_text, LEADING)
            .align(Align::Center);
        let inner = inside(ctx, strip);
        let h = pen.measure_fitted(&lang.amber_alert, inner.w, st, st.size * 0.6);
        pen.fitted(
            &lang.amber_alert,
            inner.x,
            inner.y + (inner.h - h) / 2.0,
            inner.w,
            st,
            st.size * 0.6,
        );
        band.h = strip.y - band.y;
    }
    let headline = lang.headline(case.case_type, &case.children_sexes());
    let st =
        Style::new(FontKind::Bold, b.headline_size * s, c.band_text, LEADING).align(Align::Center);
    let min = st.size * 0.6;
    let h = pen.measure_fitted(headline, band.w, st, min);
    fits &= h <= band.h;
    pen.fitted(
        headline,
        band.x,
        band.y + (band.h - h).max(0.0) / 2.0,
        band.w,
        st,
        min,
    );

    // Photos: each child's first photo, side by side, captioned when age-progressed; then, in an
    // abduction, the abductor's, a little narrower, captioned with the role.
    let abductor = parts
        .contains(&Part::Abductor)
        .then(|| abductor(case))
        .flatten();
    let vehicle = parts
        .contains(&Part::Vehicle)
        .then(|| case.companions.iter().position(|c| c.vehicle.is_some()))
        .flatten();
    let area = inside(ctx, rect(&b.photo));
    let gap = 16.0 * s.max(0.5);
    let mut sources: Vec<Slot<'_>> = Vec::new();
    for (i, child) in case.children.iter().enumerate() {
        if let Some(photo) = child.photos.first() {
            sources.push(Slot {
                field: format!("children[{i}].photos[0]"),
                source: &photo.source,
                caption: photo
                    .age_progressed_to
                    .map(|age| fill(&lang.age_progressed, &[("age", &age.to_string())])),
                name: &child.name,
                section: section::CHILD + i as u16,
            });
        }
    }
    let children_slots = sources.len();
    if let Some(i) = abductor
        && let Some(photo) = case.companions[i].photos.first()
    {
        let field = format!("companions[{i}]");
        sources.push(Slot {
            caption: Some(role_title(ctx, &field, &case.companions[i])?),
            field: format!("{field}.photos[0]"),
            source: &photo.source,
            name: &case.companions[i].name,
            section: section::COMPANION + i as u16,
        });
    }
    let weights: Vec<f32> = (0..sources.len())
        .map(|k| {
            if k < children_slots {
                1.0
            } else {
                ABDUCTOR_WEIGHT
            }
        })
        .collect();
    let slots = slots(area.x, area.w, gap, &weights);
    let cap = Style::new(FontKind::Bold, b.small_size * s, c.label, LEADING).align(Align::Center);
    let any_caption = sources.iter().any(|p| p.caption.is_some());
    let row_start = pen.elements.len();
    for (slot, &(sx, slot_w)) in sources.iter().zip(&slots) {
        let prepared = ctx.photo(&slot.field, slot.source)?;
        let caption = slot.caption.as_deref();
        let cap_h = if any_caption {
            caption.map_or(cap.size * LEADING, |t| {
                pen.measure_fitted(t, slot_w, cap, cap.size * 0.6)
            })
        } else {
            0.0
        };
        let aspect = prepared.height.max(1) as f32 / prepared.width.max(1) as f32;
        let max_h = area.h - cap_h - if any_caption { 2.0 } else { 0.0 };
        let (pw, ph) = if slot_w * aspect <= max_h {
            (slot_w, slot_w * aspect)
        } else {
            (max_h / aspect, max_h)
        };
        let r = Rect::new(
            sx + (slot_w - pw) / 2.0,
            area.y + (max_h - ph) / 2.0,
            pw,
            ph,
        );
        photos.push(prepared);
        pen.elements.push(Element::Photo {
            rect: r,
            photo: photos.len() - 1,
            alt: fill(&lang.labels.photo_of, &[("name", slot.name)]),
            section: slot.section,
        });
        if let Some(t) = caption {
            pen.tag = Tag::new(slot.section, Role::Text);
            pen.fitted(t, sx, r.bottom() + 2.0, slot_w, cap, cap.size * 0.6);
        }
    }

    let row_end = pen.elements.len();

    // Text: names and ages, then the abductor, the vehicle, when and where.
    let text = inside(ctx, rect(&b.text));
    let name_st = Style::new(FontKind::Bold, b.name_size * s, c.text, LEADING);
    let detail = Style::new(FontKind::Regular, b.detail_size * s, c.text, LEADING);
    // Under side-by-side photos each name sits under its own photo; beside them, names stack.
    let columns = text.y >= area.bottom() - 1.0 && slots.len() > 1;
    let text_slots: Vec<(f32, f32)> = if columns {
        self::slots(text.x, text.w, gap, &weights)
            .into_iter()
            .take(children_slots)
            .collect()
    } else {
        Vec::new()
    };
    // Names side by side keep a clear gap: each is set inside its column less a margin of its own,
    // so two long names never run into one another.
    let pad = if columns {
        (name_st.size * NAME_GAP / 2.0).max(gap / 2.0)
    } else {
        0.0
    };
    let mut y = text.y;
    let mut bottom = text.y;
    for (i, child) in case.children.iter().enumerate() {
        let name = Words::clean(ctx.fonts, &format!("children[{i}].name"), &child.name)?;
        let age = age_on(child.date_of_birth.0, ctx.input.issue_date).to_string();
        let age = fill(&lang.age_years, &[("age", &age)]);
        let (x, top, w, align) = match text_slots.get(i) {
            Some(&(sx, sw)) => (sx + pad, text.y, sw - 2.0 * pad, Align::Center),
            None => (text.x, y, text.w, Align::Left),
        };
        pen.tag = Tag::new(section::CHILD + i as u16, Role::Heading);
        let cy = pen.fitted(&name, x, top, w, name_st.align(align), name_st.size * 0.6);
        pen.tag = Tag::new(section::CHILD + i as u16, Role::Text);
        y = pen.paragraph(&age, x, cy, w, detail.align(align)) + detail.size * 0.25;
        bottom = bottom.max(y);
    }
    // The abductor by name, the whole width: "ABDUCTOR (father): Daniel Ortega Ruiz".
    let align = if columns { Align::Center } else { Align::Left };
    if let Some(i) = abductor {
        let field = format!("companions[{i}]");
        let who = &case.companions[i];
        let line = format!(
            "{}: {}",
            role_title(ctx, &field, who)?,
            Words::clean(ctx.fonts, &format!("{field}.name"), &who.name)?
        );
        let st = Style {
            font: FontKind::Bold,
            color: c.label,
            align,
            ..detail
        };
        pen.tag = Tag::new(section::COMPANION + i as u16, Role::Heading);
        bottom = pen.paragraph(&line, text.x, bottom, text.w, st) + detail.size * 0.25;
    }
    let mut y = bottom;
    if let Some(i) = vehicle
        && let Some(v) = vehicle_text(ctx, &format!("companions[{i}]"), &case.companions[i])?
    {
        let line = format!("{}: {v}", lang.labels.vehicle);
        pen.tag = Tag::new(section::COMPANION + i as u16, Role::Text);
        let st = Style {
            font: FontKind::Bold,
            align,
            ..detail
        };
        y = pen.paragraph(&line, text.x, y, text.w, st) + detail.size * 0.25;
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
    if parts.contains(&Part::Summary) {
        let st = Style {
            color: c.label,
            align,
            ..detail
        };
        pen.tag = Tag::new(section::CIRCUMSTANCES, Role::Text);
        y = pen.paragraph(&summary, text.x, y, text.w, st);
    }
    fits &= y <= text.bottom();
    if columns {
        let gap = detail.size * 0.8;
        close_up(
            &mut pen.elements[row_start..],
            row_end - row_start,
            area.y,
            text.bottom(),
            gap,
        );
    }

    // Footer: the hotline, then the agency and the case number.
    let footer = rect(&b.footer);
    pen.fill(footer, c.section);
    let inner = inside(ctx, footer);
    let inner = Rect::new(inner.x, inner.y + 6.0 * s, inner.w, inner.h - 12.0 * s);
    let org = &ctx.input.organisation;
    let hotline = Words::clean(ctx.fonts, "organisation.hotline", &org.hotline)?;
    let call = format!("{} {hotline}", lang.labels.call);
    let hot = Style::new(FontKind::Bold, b.contact_size * s, c.section_text, LEADING)
        .align(Align::Center);
    let contact = &case.contact;
    let agency = Words::clean(ctx.fonts, "contact.agency", &contact.agency)?;
    let phone = Words::clean(ctx.fonts, "contact.phone", &contact.phone)?;
    let number = Words::clean(ctx.fonts, "case_number", &case.case_number)?;
    let case_no = fill(&lang.labels.case_number, &[("case_number", &number)]);
    let second = format!("{} {agency} {phone}  ·  {case_no}", lang.labels.contact_or);
    let small = Style::new(FontKind::Regular, b.small_size * s, c.section_text, LEADING)
        .align(Align::Center);
    let h = pen.measure_fitted(&call, inner.w, hot, hot.size * 0.6)
        + pen.measure(&second, inner.w, small);
    fits &= h <= inner.h;
    // the case's page as text, where the footer has room for it: a screen has no QR code to scan
    let address =
        page_address(ctx.input.case_page_url, &case.case_number).map(|a| match left_out {
            true => fill(&lang.labels.more_at, &[("address", &a)]),
            false => a,
        });
    // Where the rest is must be said when something was left out; otherwise only where it fits.
    let address = match address {
        Some(a) if left_out => {
            fits &= h + pen.measure(&a, inner.w, small) <= inner.h;
            Some(a)
        }
        a => a.filter(|a| h + pen.measure(a, inner.w, small) <= inner.h),
    };
    let h = h + address
        .as_ref()
        .map_or(0.0, |a| pen.measure(a, inner.w, small));
    let y = inner.y + (inner.h - h).max(0.0) / 2.0;
    let y = pen.fitted(&call, inner.x, y, inner.w, hot, hot.size * 0.6);
    let y = pen.paragraph(&second, inner.x, y, inner.w, small);
    if let Some(a) = address {
        pen.paragraph(&a, inner.x, y, inner.w, small);
    }
    Ok((pen.elements, fits))
}

/// Under side-by-side photos: the photos and the text as one block, centred in the space of both
/// boxes with `gap` between them, so what the template leaves empty (photos narrowed by their
/// number) is shared above and below instead of left as holes between the photos and the names.
/// `elements` are the photo row's (the first `row` of them) and then the text's.
fn close_up(elements: &mut [Element], row: usize, top: f32, bottom: f32, gap: f32) {
    fn extent(es: &[Element]) -> Option<(f32, f32)> {
        es.iter()
            .filter_map(Element::vertical_extent)
            .reduce(|(a, b), (c, d)| (a.min(c), b.max(d)))
    }
    let (photos, text) = elements.split_at_mut(row);
    let (Some((pt, pb)), Some((tt, tb))) = (extent(photos), extent(text)) else {
        return;
    };
    let h = (pb - pt) + gap + (tb - tt);
    if h >= bottom - top {
        return;
    }
    let start = top + (bottom - top - h) / 2.0;
    for e in photos.iter_mut() {
        e.shift(start - pt);
    }
    for e in text.iter_mut() {
        e.shift(start + (pb - pt) + gap - tt);
    }
}

/// One photo of the row: whose, from which field, and what is written under it.
struct Slot<'c> {
    field: String,
    source: &'c PhotoSource,
    caption: Option<String>,
    name: &'c str,
    section: u16,
}

/// A slot of the abductor's photo against a child's.
const ABDUCTOR_WEIGHT: f32 = 0.75;

/// The abductor of an abduction, by index among the companions.
fn abductor(case: &Case) -> Option<usize> {
    matches!(
        case.case_type,
        CaseType::FamilyAbduction | CaseType::NonfamilyAbduction
    )
    .then(|| {
        case.companions
            .iter()
            .position(|c| c.role == CompanionRole::Abductor)
    })
    .flatten()
}

/// Side-by-side slots `(x, width)` across `width` from `x`, `gap` apart, sized by weight.
fn slots(x: f32, width: f32, gap: f32, weights: &[f32]) -> Vec<(f32, f32)> {
    let total: f32 = weights.iter().sum();
    let free = width - gap * (weights.len().saturating_sub(1)) as f32;
    let mut at = x;
    weights
        .iter()
        .map(|w| {
            let slot = (at, free * w / total.max(f32::EPSILON));
            at += slot.1 + gap;
            slot
        })
        .collect()
}

/// The case page's address as printed: without its scheme, which nobody types.
fn page_address(url: Option<&str>, case_number: &str) -> Option<String> {
    let url = url?.replace("{case_number}", case_number);
    let bare = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .unwrap_or(&url);
    Some(bare.to_string())
}
