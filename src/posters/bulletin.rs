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
    words(lang)
        .title
        .replace("{partner}", partner)
        .replace("{date}", &date.to_string())
}

/// What the cover says, in one language; `{n}` a count.
struct Words {
    /// `{partner}`, `{date}`
    title: &'static str,
    posters_one: &'static str,
    posters_many: &'static str,
    updated: &'static str,
    version: &'static str,
    locations: &'static str,
    everywhere: &'static str,
    more: &'static str,
}

impl Words {
    fn posters(&self, n: usize) -> String {
        let s = if n == 1 {
            self.posters_one
        } else {
            self.posters_many
        };
        s.replace("{n}", &n.to_string())
    }

    fn more(&self, n: usize) -> String {
        self.more.replace("{n}", &n.to_string())
    }
}

fn words(lang: Lang) -> Words {
    match lang {
        Lang::En => Words {
            title: "Poster bulletin for {partner}, {date}",
            posters_one: "1 poster to put up, one a page after this list",
            posters_many: "{n} posters to put up, one a page after this list",
            updated: "updated: replaces the poster you display",
            version: "version",
            locations: "For",
            everywhere: "all your locations",
            more: "and {n} more",
        },
        Lang::Es => Words {
            title: "Boletín de carteles para {partner}, {date}",
            posters_one: "1 cartel para exhibir, uno por página después de esta lista",
            posters_many: "{n} carteles para exhibir, uno por página después de esta lista",
            updated: "actualizado: sustituye al cartel que exhibe",
            version: "versión",
            locations: "Para",
            everywhere: "todas sus ubicaciones",
            more: "y {n} más",
        },
        Lang::Fr => Words {
            title: "Bulletin d'affiches pour {partner}, {date}",
            posters_one: "1 affiche à poser, une par page après cette liste",
            posters_many: "{n} affiches à poser, une par page après cette liste",
            updated: "mise à jour : remplace l'affiche actuellement en place",
            version: "version",
            locations: "Pour",
            everywhere: "tous vos établissements",
            more: "et {n} autres",
        },
        Lang::Vi => Words {
            title: "Bản tin áp phích cho {partner}, {date}",
            posters_one: "1 áp phích cần dán lên, mỗi trang một áp phích sau danh sách này",
            posters_many: "{n} áp phích cần dán lên, mỗi trang một áp phích sau danh sách này",
            updated: "đã cập nhật: thay cho áp phích quý vị đang trưng bày",
            version: "phiên bản",
            locations: "Dành cho",
            everywhere: "tất cả các địa điểm của quý vị",
            more: "và {n} địa điểm khác",
        },
        Lang::Tl => Words {
            title: "Bulletin ng mga poster para sa {partner}, {date}",
            posters_one: "1 poster na ipapaskil, isa bawat pahina pagkatapos ng listahang ito",
            posters_many: "{n} poster na ipapaskil, isa bawat pahina pagkatapos ng listahang ito",
            updated: "na-update: papalit sa poster na nakapaskil sa inyo",
            version: "bersyon",
            locations: "Para sa",
            everywhere: "lahat ng inyong lokasyon",
            more: "at {n} pa",
        },
        Lang::ZhHans => Words {
            title: "{partner}的海报汇总，{date}",
            posters_one: "1 张待张贴的海报，列表之后每页一张",
            posters_many: "{n} 张待张贴的海报，列表之后每页一张",
            updated: "已更新：请替换您正在张贴的海报",
            version: "版本",
            locations: "张贴地点",
            everywhere: "您的所有地点",
            more: "另有 {n} 处",
        },
        Lang::ZhHant => Words {
            title: "{partner}的海報彙整，{date}",
            posters_one: "1 張待張貼的海報，清單之後每頁一張",
            posters_many: "{n} 張待張貼的海報，清單之後每頁一張",
            updated: "已更新：請替換您正在張貼的海報",
            version: "版本",
            locations: "張貼地點",
            everywhere: "您的所有地點",
            more: "另有 {n} 處",
        },
        Lang::Ko => Words {
            title: "{partner} 포스터 모음, {date}",
            posters_one: "게시할 포스터 1장, 이 목록 다음에 한 쪽에 한 장씩",
            posters_many: "게시할 포스터 {n}장, 이 목록 다음에 한 쪽에 한 장씩",
            updated: "업데이트됨: 게시 중인 포스터를 교체해 주십시오",
            version: "버전",
            locations: "게시 장소",
            everywhere: "모든 지점",
            more: "외 {n}곳",
        },
        Lang::Ar => Words {
            title: "نشرة الملصقات لـ {partner}، {date}",
            posters_one: "ملصق واحد للعرض، ملصق في كل صفحة بعد هذه القائمة",
            posters_many: "{n} ملصقات للعرض، ملصق في كل صفحة بعد هذه القائمة",
            updated: "محدَّث: يحل محل الملصق المعروض لديكم",
            version: "الإصدار",
            locations: "إلى",
            everywhere: "جميع مواقعكم",
            more: "و{n} غيرها",
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
        &w.posters(cover.entries.len()),
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
                named.push_str(&format!(", {}", w.more(e.locations.len() - NAMED)));
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
        continuation: Vec::new(),
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
