//! The words a poster prints: case values made printable (NFC, no control characters, every character
//! in the font) and formatted for the poster's language (dates, heights, weights, places).

use chrono::{Datelike, NaiveDate, Timelike};
use unicode_normalization::UnicodeNormalization;

use crate::cases::{MissingSince, Place, Vehicle, cm_to_feet_inches, kg_to_pounds};

use super::super::RenderError;
use super::super::fonts::Fonts;
use super::super::template::{LangTemplate, Regions, fill};

/// The words of one language, as the poster writes them.
pub struct Words<'t> {
    pub lang: &'t LangTemplate,
    regions: &'t Regions,
}

/// Which table of [`crate::posters::template::Values`] a free-text value is looked up in.
#[derive(Debug, Clone, Copy)]
pub enum ValueKind {
    Hair,
    Eyes,
    Race,
}

impl<'t> Words<'t> {
    pub(crate) fn new(lang: &'t LangTemplate, regions: &'t Regions) -> Words<'t> {
        Words { lang, regions }
    }

    /// A case value ready to print, or an error naming its field when the font cannot show it.
    pub fn clean(fonts: &Fonts, field: &str, text: &str) -> Result<String, RenderError> {
        let text: String = text
            .nfc()
            .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
            .collect();
        match fonts.missing(&text) {
            None => Ok(text.trim().to_string()),
            Some(u) => Err(RenderError::Field {
                field: field.to_string(),
                reason: u.reason(),
            }),
        }
    }

    fn day(&self, day: u32) -> String {
        match &self.lang.first_day {
            Some(first) if day == 1 => first.clone(),
            _ => day.to_string(),
        }
    }

    pub fn date(&self, d: NaiveDate) -> String {
        let month = &self.lang.months[d.month0() as usize];
        fill(
            &self.lang.date,
            &[
                ("month", month),
                ("day", &self.day(d.day())),
                ("year", &d.year().to_string()),
            ],
        )
    }

    /// The date, and the local time when the reporter gave one.
    pub fn missing_since(&self, m: &MissingSince) -> String {
        match m {
            MissingSince::Day(d) => self.date(*d),
            MissingSince::At(t) => {
                let (pm, h12) = t.hour12();
                let time = fill(
                    &self.lang.time,
                    &[
                        ("h12", &h12.to_string()),
                        ("h24", &t.hour().to_string()),
                        ("mm", &format!("{:02}", t.minute())),
                        ("ampm", &self.lang.am_pm[usize::from(pm)]),
                    ],
                );
                fill(
                    &self.lang.datetime,
                    &[("date", &self.date(t.date_naive())), ("time", &time)],
                )
            }
        }
    }

    pub fn height(&self, cm: f64) -> String {
        let (ft, inches) = cm_to_feet_inches(cm);
        fill(
            &self.lang.height,
            &[("ft", &ft.to_string()), ("in", &inches.to_string())],
        )
    }

    pub fn weight(&self, kg: f64) -> String {
        fill(&self.lang.weight, &[("lb", &kg_to_pounds(kg).to_string())])
    }

    /// A free-text value in the poster's language when the language file knows it, else as written.
    pub fn value(&self, kind: ValueKind, text: &str) -> String {
        let table = match kind {
            ValueKind::Hair => &self.lang.values.hair,
            ValueKind::Eyes => &self.lang.values.eyes,
            ValueKind::Race => &self.lang.values.race,
        };
        table
            .get(&text.trim().to_lowercase())
            .cloned()
            .unwrap_or_else(|| text.to_string())
    }

    /// "Virginia" for region "VA" (US by default), or the code itself when unknown.
    pub fn region_name(&self, country: Option<&str>, region: &str) -> String {
        let country = country.unwrap_or("US");
        self.regions
            .get(country)
            .and_then(|r| r.get(&region.trim().to_uppercase()))
            .cloned()
            .unwrap_or_else(|| region.to_string())
    }

    /// A vehicle as printed: "2014 gray Honda Civic, Plate ABC1234 (VA)"; empty when it says nothing.
    pub fn vehicle(&self, v: &Vehicle) -> String {
        let plate = v.plate.as_ref().map(|p| {
            let p = match &v.plate_region {
                Some(r) => format!("{p} ({r})"),
                None => p.clone(),
            };
            fill(&self.lang.labels.plate, &[("plate", &p)])
        });
        [Some(v.description()).filter(|d| !d.is_empty()), plate]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// "Alexandria, VA, US", as the case gives it.
    pub fn place(&self, p: &Place) -> String {
        p.display()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::Lang;
    use crate::posters::template::load_regions;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn dates_in_both_languages() {
        let regions = load_regions().unwrap();
        let en = LangTemplate::load(Lang::En).unwrap();
        let es = LangTemplate::load(Lang::Es).unwrap();
        let (en, es) = (Words::new(&en, &regions), Words::new(&es, &regions));
        assert_eq!(en.date(d("2026-11-18")), "November 18, 2026");
        assert_eq!(es.date(d("2026-11-18")), "18 de noviembre de 2026");
        let at = MissingSince::At(
            chrono::DateTime::parse_from_rfc3339("2026-11-18T21:30:00-05:00").unwrap(),
        );
        assert_eq!(en.missing_since(&at), "November 18, 2026, 9:30 PM");
        assert_eq!(es.missing_since(&at), "18 de noviembre de 2026, 21:30 h");
        assert_eq!(en.height(132.0), "4 ft 4 in");
        assert_eq!(es.height(132.0), "4 pies 4 pulg.");
        assert_eq!(en.weight(29.0), "64 lb");
        assert_eq!(es.value(ValueKind::Hair, "Brown"), "Castaño");
        assert_eq!(en.value(ValueKind::Hair, "Brown"), "Brown");
        assert_eq!(en.region_name(None, "va"), "Virginia");
        assert_eq!(en.region_name(Some("MX"), "JAL"), "JAL");
    }

    #[test]
    fn dates_and_measures_in_the_other_languages() {
        let regions = load_regions().unwrap();
        let at = MissingSince::At(
            chrono::DateTime::parse_from_rfc3339("2026-11-18T21:30:00-05:00").unwrap(),
        );
        for (lang, first, since, height) in [
            (
                Lang::Fr,
                "1er mars 2015",
                "18 novembre 2026, 21 h 30",
                "4 pi 4 po",
            ),
            (
                Lang::Vi,
                "ngày 1 tháng 3 năm 2015",
                "ngày 18 tháng 11 năm 2026, lúc 21:30",
                "4 ft 4 in",
            ),
            (
                Lang::Tl,
                "Marso 1, 2015",
                "Nobyembre 18, 2026, 9:30 PM",
                "4 talampakan 4 pulgada",
            ),
        ] {
            let t = LangTemplate::load(lang).unwrap();
            let w = Words::new(&t, &regions);
            assert_eq!(w.date(d("2015-03-01")), first, "{lang:?}");
            assert_eq!(w.missing_since(&at), since, "{lang:?}");
            assert_eq!(w.height(132.0), height, "{lang:?}");
        }
    }

    #[test]
    fn clean_normalises_and_refuses_what_the_font_lacks() {
        let fonts = Fonts::load().unwrap();
        // "Ánh" written with a combining acute accent comes out precomposed.
        let decomposed = "A\u{301}nh";
        assert_eq!(Words::clean(&fonts, "f", decomposed).unwrap(), "Ánh");
        assert_eq!(Words::clean(&fonts, "f", "a\tb").unwrap(), "a b");
        let err = Words::clean(&fonts, "children[0].name", "Mara ሰ").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("children[0].name: \u{201c}ሰ\u{201d} (U+1230) cannot be printed"),
            "{err}"
        );
    }
}
