//! A print poster with more to say than one page holds at a readable size: the first page as
//! usual, and what does not fit on continuation pages. A continuation page carries the headline,
//! whose case it is, the contact block and the case number, so a page that is separated from the
//! first still says whom to call.
//!
//! The part between the header and the contact block (children, circumstances, companions) is laid
//! out once, at full size, as one long column, and then cut into pages: never through a line of
//! text, a photo or a QR code (a background panel is cut, and goes on on the next page), where a
//! section starts when that leaves little of the page empty, and never right under a heading.

use super::super::RenderError;
use super::super::fonts::FontKind;
use super::super::template::fill;
use super::contact::footer_and_contact;
use super::pen::{Align, Pen};
use super::print::{Flow, Frame, flow, header, headline_band, sizes};
use super::words::Words;
use super::{Ctx, Element, Page, Rect, Role, Tag, section};

/// More pages than the longest case the case format allows needs; beyond them, something is wrong.
const MAX_PAGES: usize = 8;
/// A cut where a section starts is taken when it leaves at most this share of the page empty.
const SECTION_SLACK: f32 = 0.3;
const EPS: f32 = 0.01;

pub fn layout<'a>(ctx: &Ctx<'_, 'a>) -> Result<Page<'a>, RenderError> {
    let t = ctx.template;
    let f = Frame::new(ctx, 1.0, 0.0);
    let mut first = ctx.pen();
    let top = header(ctx, &f, &mut first, t.margin)?;
    let mut column = ctx.pen();
    let mut photos = Vec::new();
    let Flow { starts, .. } = flow(ctx, &f, &mut column, top, &mut photos)?;
    let section_tops = section_tops(&column.elements, &starts);

    // The contact block stands as high on every page: its footer's page number is as wide.
    let contact_top = footer_and_contact(ctx, &f, &mut ctx.pen(), Some((9, 9)))?;
    let later_top = continued_header(ctx, &f, &mut ctx.pen(), t.margin)?;

    let mut rest = column.elements;
    let mut bodies = Vec::new();
    let mut page_top = top + f.gap();
    while !rest.is_empty() {
        if bodies.len() == MAX_PAGES {
            return Err(RenderError::Overflow {
                format: "print".into(),
            });
        }
        let from = extent(&rest).0;
        let limit = from + (contact_top - f.gap() - page_top);
        let at = cut(&rest, from, limit, &section_tops).ok_or_else(|| RenderError::Overflow {
            format: "print".into(),
        })?;
        let (mut here, later) = split(rest, at);
        here.iter_mut().for_each(|e| e.shift(page_top - from));
        bodies.push(here);
        rest = later;
        page_top = later_top + f.gap();
    }

    let n = bodies.len();
    let mut pages = Vec::with_capacity(n);
    for (k, body) in bodies.into_iter().enumerate() {
        let mut pen = ctx.pen();
        if k == 0 {
            pen.elements = std::mem::take(&mut first.elements);
        } else {
            continued_header(ctx, &f, &mut pen, t.margin)?;
        }
        let header_end = pen.elements.len();
        pen.elements.extend(body);
        let body_end = pen.elements.len();
        footer_and_contact(ctx, &f, &mut pen, Some((k + 1, n)))?;
        if k > 0 {
            repeated(&mut pen.elements[..header_end]);
            repeated(&mut pen.elements[body_end..]);
        }
        pages.push(pen.elements);
    }
    Ok(Page::finish(
        ctx,
        pages,
        photos,
        1.0,
        sizes(ctx).watermark_size,
    ))
}

/// A continuation page's header: a narrower headline band and whose case it is; returns its bottom.
fn continued_header(
    ctx: &Ctx<'_, '_>,
    f: &Frame,
    pen: &mut Pen,
    top: f32,
) -> Result<f32, RenderError> {
    let case = ctx.input.case;
    let lang = ctx.words.lang;
    let headline = lang.headline(case.case_type, &case.children_sexes());
    let band_bottom = headline_band(f, pen, headline, top, 0.6, 0.0);
    let mut names = Vec::new();
    for (i, child) in case.children.iter().enumerate() {
        names.push(Words::clean(
            ctx.fonts,
            &format!("children[{i}].name"),
            &child.name,
        )?);
    }
    let line = fill(&lang.labels.continued, &[("names", &names.join(", "))]);
    let style = f
        .style(FontKind::Bold, f.p.summary_size, f.c.text)
        .align(Align::Center);
    pen.tag = Tag::new(section::HEADER, Role::Text);
    Ok(pen.paragraph(&line, f.x0, band_bottom + f.gap() * 0.8, f.w, style))
}

/// Text a continuation page repeats is not read out again.
fn repeated(elements: &mut [Element]) {
    for e in elements {
        if let Element::Text(run) = e {
            run.tag.role = Role::Repeated;
        }
    }
}

/// The top of each section of the column, `starts` indexing its first element.
fn section_tops(elements: &[Element], starts: &[usize]) -> Vec<f32> {
    starts
        .iter()
        .enumerate()
        .filter_map(|(k, &start)| {
            let end = starts.get(k + 1).copied().unwrap_or(elements.len());
            elements.get(start..end).map(|part| extent(part).0)
        })
        .filter(|y| y.is_finite())
        .collect()
}

/// From the highest top to the lowest bottom of what stands in the flow.
fn extent(elements: &[Element]) -> (f32, f32) {
    elements
        .iter()
        .filter_map(Element::vertical_extent)
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), (t, u)| {
            (a.min(t), b.max(u))
        })
}

/// What a cut may not go through: anything but a background fill.
fn solid(e: &Element) -> Option<(f32, f32)> {
    match e {
        Element::Fill { .. } => None,
        e => e.vertical_extent(),
    }
}

/// Where to end a page whose part of the column runs from `from` and may reach `limit`: everything
/// when it all fits; else below the lowest line, photo or code that fits and is not a heading.
/// Beside it, in another column, a line may reach past the cut: it goes to the next page whole.
/// A cut no line crosses is taken instead when it is a little higher, and a section's start
/// likewise. `None` when nothing fits at all.
fn cut(elements: &[Element], from: f32, limit: f32, section_tops: &[f32]) -> Option<f32> {
    let end = extent(elements).1;
    if end <= limit + EPS {
        return Some(end);
    }
    let crosses = |y: f32| {
        elements
            .iter()
            .filter_map(solid)
            .any(|(t, b)| t < y - EPS && b > y + EPS)
    };
    let mut places: Vec<f32> = elements
        .iter()
        .filter_map(solid)
        .map(|(_, b)| b)
        .chain(section_tops.iter().copied())
        .filter(|&y| y > from + EPS && y <= limit + EPS)
        .collect();
    places.sort_by(|a, b| b.total_cmp(a));
    places.dedup();
    let fits = |y: &f32| !under_heading(elements, *y);
    let lowest = places
        .iter()
        .copied()
        .find(fits)
        .or(places.first().copied())?;
    let slack = SECTION_SLACK * (limit - from);
    let near = |y: &f32| *y >= lowest - slack;
    let clean = places
        .iter()
        .copied()
        .filter(near)
        .find(|y| fits(y) && !crosses(*y));
    let best = clean.unwrap_or(lowest);
    let section = section_tops
        .iter()
        .copied()
        .filter(|&s| s > from + EPS && s <= best + EPS && near(&s) && !crosses(s))
        .reduce(f32::max);
    Some(section.unwrap_or(best))
}

/// Whether the lowest thing that ends above `y` is a heading, which would be left alone at the
/// bottom of a page with what it heads on the next.
fn under_heading(elements: &[Element], y: f32) -> bool {
    elements
        .iter()
        .filter(|e| solid(e).is_some_and(|(_, b)| b <= y + EPS))
        .max_by(|a, b| {
            let bottom = |e: &Element| solid(e).map_or(0.0, |(_, b)| b);
            bottom(a).total_cmp(&bottom(b))
        })
        .is_some_and(|e| {
            matches!(e, Element::Text(run) if matches!(run.tag.role, Role::Heading | Role::Title))
        })
}

/// The elements that end above `at`, and the rest, in the column's own places; a fill across it
/// is cut in two.
fn split(elements: Vec<Element>, at: f32) -> (Vec<Element>, Vec<Element>) {
    let mut here = Vec::new();
    let mut later = Vec::new();
    for e in elements {
        let Some((t, b)) = e.vertical_extent() else {
            here.push(e);
            continue;
        };
        if b <= at + EPS {
            here.push(e);
        } else if t >= at - EPS {
            later.push(e);
        } else if let Element::Fill { rect, color } = e {
            here.push(Element::Fill {
                rect: Rect::new(rect.x, rect.y, rect.w, at - rect.y),
                color,
            });
            later.push(Element::Fill {
                rect: Rect::new(rect.x, at, rect.w, rect.bottom() - at),
                color,
            });
        } else {
            // a line in another column that reaches past the cut
            later.push(e);
        }
    }
    (here, later)
}

#[cfg(test)]
mod tests {
    use super::super::super::template::Rgb;
    use super::super::TextRun;
    use super::*;

    fn text(y: f32, h: f32, role: Role) -> Element {
        Element::Text(TextRun {
            x: 0.0,
            baseline: y + h,
            text: "x".into(),
            glyphs: Vec::new(),
            font: FontKind::Regular,
            size: h,
            color: Rgb::WHITE,
            bounds: Rect::new(0.0, y, 10.0, h),
            tag: Tag::new(section::CHILD, role),
        })
    }

    fn fill_at(y: f32, h: f32) -> Element {
        Element::Fill {
            rect: Rect::new(0.0, y, 10.0, h),
            color: Rgb::WHITE,
        }
    }

    /// Every line as its own element, ten points apart: the cut falls on the lowest line end that fits.
    #[test]
    fn a_cut_falls_between_lines_and_a_panel_is_cut_with_them() {
        let mut column: Vec<Element> = (0..10)
            .map(|i| text(i as f32 * 10.0, 8.0, Role::Text))
            .collect();
        column.push(fill_at(0.0, 100.0));
        let at = cut(&column, 0.0, 55.0, &[]).unwrap();
        assert_eq!(at, 48.0);
        let (here, later) = split(column, at);
        assert_eq!(here.len(), 5 + 1);
        assert_eq!(later.len(), 5 + 1);
        let panels: Vec<_> = here
            .iter()
            .chain(&later)
            .filter_map(|e| match e {
                Element::Fill { rect, .. } => Some((rect.y, rect.h)),
                _ => None,
            })
            .collect();
        assert_eq!(panels, [(0.0, 48.0), (48.0, 52.0)]);
    }

    #[test]
    fn nothing_is_left_under_a_heading_and_a_near_section_start_is_preferred() {
        let column = vec![
            text(0.0, 8.0, Role::Text),
            text(10.0, 8.0, Role::Text),
            text(20.0, 8.0, Role::Heading),
            text(30.0, 8.0, Role::Text),
        ];
        // the lowest end that fits is under the heading: the cut goes above it
        assert_eq!(cut(&column, 0.0, 32.0, &[]), Some(18.0));
        // everything fits: the cut is the end
        assert_eq!(cut(&column, 0.0, 100.0, &[]), Some(38.0));
        let lines: Vec<Element> = (0..10)
            .map(|i| text(i as f32 * 10.0, 8.0, Role::Text))
            .collect();
        assert_eq!(cut(&lines, 0.0, 75.0, &[]), Some(68.0));
        // a section starting a little higher is taken instead
        assert_eq!(cut(&lines, 0.0, 75.0, &[50.0]), Some(50.0));
        // but not one that would leave half the page empty
        assert_eq!(cut(&lines, 0.0, 75.0, &[30.0]), Some(68.0));
        // a line taller than the page cannot be placed
        assert_eq!(cut(&[text(0.0, 50.0, Role::Text)], 0.0, 20.0, &[]), None);
        // two columns whose lines never line up: the cut goes under the lowest line that fits,
        // and the line beside it that reaches past goes to the next page whole
        let mut columns = lines.clone();
        columns.extend((0..10).map(|i| text(i as f32 * 10.0 + 4.0, 8.0, Role::Text)));
        let at = cut(&columns, 0.0, 75.0, &[]).unwrap();
        assert_eq!(at, 72.0);
        let (here, later) = split(columns, at);
        assert!(here.iter().all(|e| e.vertical_extent().unwrap().1 <= 72.0));
        assert_eq!(here.len() + later.len(), 20);
        assert_eq!(later.len(), 6);
    }
}
