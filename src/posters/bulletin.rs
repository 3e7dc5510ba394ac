//! A digest's bulletin: cover pages listing every case with the locations it is for, in the
//! partner's language, then each poster as the partner would have received it alone.
//!
//! Pure: the cover is laid out from values and written with the posters' own PDF writer; the
//! posters go in as their bytes (see [`super::pack`]).

use chrono::NaiveDate;

use super::fonts::{FontKind, Fonts};
use super::layout::{Page, Pen, Style};
use super::template::Rgb;
use crate::cases::{CaseType, Lang};

/// One case on the cover.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverEntry {
    pub case_number: String,
    pub case_type: CaseType,
    /// A newer version of a poster the partner already holds.
    pub updated: bool,
    pub version: u32,
    /// "Name (ref)" of each location the poster is for; empty when it is for all of them.
    pub locations: Vec<String>,
}

/// What the cover says.
#[derive(Debug, Clone, Copy)]
pub struct Cover<'a> {
    pub lang: Lang,
    pub title: &'a str,
    pub date: NaiveDate,
    pub entries: &'a [CoverEntry],
}

/// Locations named on the cover for one case, at most; the rest are counted.
const NAMED: usize = 40;
const MARGIN: f32 = 54.0;
const INK: Rgb = Rgb([17, 17, 17]);
const MUTED: Rgb = Rgb([80, 80, 80]);
const RULE: Rgb = Rgb([200, 200, 200]);

/// The bulletin's title in `lang`: "Poster bulletin for Acme Stores, 2026-12-01".
pub fn title(lang: Lang, partner: &str, date: NaiveDate) -> String {
    match lang {
        Lang::En => format!("Poster bulletin for {partner}, {date}"),
        Lang::Es => format!("Boletín de carteles para {partner}, {date}"),
    }
}

struct Words {
    posters: fn(usize) -> String,
    updated: &'static str,
    version: &'static str,
    locations: &'static str,
    everywhere: &'static str,
    more: fn(usize) -> String,
}

fn words(lang: Lang) -> Words {
    match lang {
        Lang::En => Words {
            posters: |n| {
                format!(
                    "{n} poster{} to put up, one a page after this list",
                    if n == 1 { "" } else { "s" }
                )
            },
            updated: "updated: replaces the poster you display",
            version: "version",
            locations: "For",
            everywhere: "all your locations",
            more: |n| format!("and {n} more"),
        },
        Lang::Es => Words {
            posters: |n| {
                format!(
                    "{n} cartel{} para exhibir, uno por página después de esta lista",
                    if n == 1 { "" } else { "es" }
                )
            },
            updated: "actualizado: sustituye al cartel que exhibe",
            version: "versión",
            locations: "Para",
            everywhere: "todas sus ubicaciones",
            more: |n| format!("y {n} más"),
        },
    }
}

/// The cover, on as many `width`×`height` pages as its list needs.
pub fn cover_pages(
    fonts: &Fonts,
    width: f32,
    height: f32,
    cover: &Cover<'_>,
) -> Vec<Page<'static>> {
    let w = words(cover.lang);
    let inner = width - 2.0 * MARGIN;
    let head = Style::new(FontKind::Bold, 12.0, INK, 1.3);
    let body = Style::new(FontKind::Regular, 10.0, MUTED, 1.35);
    let mut pages = Vec::new();
    let mut pen = Pen::new(fonts);
    let mut y = pen.paragraph(
        cover.title,
        MARGIN,
        MARGIN,
        inner,
        Style::new(FontKind::Bold, 20.0, INK, 1.2),
    );
    y = pen.paragraph(
        &(w.posters)(cover.entries.len()),
        MARGIN,
        y + 4.0,
        inner,
        body,
    );
    y += 12.0;
    for e in cover.entries {
        let mut heading = format!("{} · {}", e.case_number, e.case_type.label(cover.lang));
        if e.updated {
            heading.push_str(&format!(" · {} {} ({})", w.version, e.version, w.updated));
        }
        let places = if e.locations.is_empty() {
            w.everywhere.to_string()
        } else {
            let mut named = e.locations[..e.locations.len().min(NAMED)].join(", ");
            if e.locations.len() > NAMED {
                named.push_str(&format!(", {}", (w.more)(e.locations.len() - NAMED)));
            }
            named
        };
        let places = format!("{}: {places}", w.locations);
        let need = 10.0 + pen.measure(&heading, inner, head) + pen.measure(&places, inner, body);
        if y + need > height - MARGIN {
            pages.push(page(
                std::mem::replace(&mut pen, Pen::new(fonts)),
                width,
                height,
            ));
            y = MARGIN;
        }
        pen.fill(super::layout::Rect::new(MARGIN, y, inner, 0.75), RULE);
        y = pen.paragraph(&heading, MARGIN, y + 6.0, inner, head);
        y = pen.paragraph(&places, MARGIN, y, inner, body) + 4.0;
    }
    pages.push(page(pen, width, height));
    pages
}

fn page(pen: Pen<'_>, width: f32, height: f32) -> Page<'static> {
    Page {
        width,
        height,
        margin: MARGIN,
        elements: pen.elements,
        photos: Vec::new(),
        scale: 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: usize, locations: usize) -> CoverEntry {
        CoverEntry {
            case_number: format!("2026-B{n:04}"),
            case_type: CaseType::ALL[n % CaseType::ALL.len()],
            updated: n.is_multiple_of(3),
            version: 2,
            locations: (0..locations)
                .map(|i| format!("SAMPLE Store {i} ({i})"))
                .collect(),
        }
    }

    fn texts(pages: &[Page<'_>]) -> String {
        pages
            .iter()
            .flat_map(|p| p.texts().map(|t| t.text.clone()))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn every_case_is_listed_inside_the_margins_and_a_long_list_goes_on() {
        let fonts = Fonts::load().unwrap();
        let entries: Vec<CoverEntry> = (0..60).map(|n| entry(n, n % 7)).collect();
        let date = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let cover = Cover {
            lang: Lang::En,
            title: "Poster bulletin for SAMPLE Stores, 2026-12-01",
            date,
            entries: &entries,
        };
        let pages = cover_pages(&fonts, 612.0, 792.0, &cover);
        assert!(pages.len() > 1, "60 cases do not fit one page");
        let all = texts(&pages);
        for e in &entries {
            assert!(all.contains(&e.case_number), "{} missing", e.case_number);
        }
        assert!(all.contains("all your locations"));
        for p in &pages {
            let inside = p.content_box();
            for t in p.texts() {
                assert!(inside.contains(&t.bounds), "{:?} leaves the page", t.text);
            }
        }
    }

    #[test]
    fn a_case_for_thousands_of_stores_names_some_and_counts_the_rest() {
        let fonts = Fonts::load().unwrap();
        let entries = [entry(1, 2000)];
        let cover = Cover {
            lang: Lang::Es,
            title: "Boletín",
            date: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            entries: &entries,
        };
        let pages = cover_pages(&fonts, 612.0, 792.0, &cover);
        let all = texts(&pages);
        assert!(all.contains("y 1960 más"), "{all}");
        assert!(all.contains("1 cartel para exhibir"), "{all}");
    }
}
