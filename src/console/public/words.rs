//! What the public case page and its tip form say around the case's own words, in each language
//! a poster is made in. One file per language in `templates/web/`, compiled in and read once, so a
//! reviewer reads a language whole and a new language is a new file.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::cases::Lang;
use crate::tips::{Issue, SeenWhen};

/// One language's words.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Words {
    /// The language's own name, for the page's language links: "Español".
    pub name: String,
    pub page: Page,
    pub tips: Tips,
    when: When,
    problems: Problems,
}

/// What the case page says.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// The link that skips the header, for keyboard and screen-reader users.
    pub skip: String,
    pub amber_alert: String,
    pub missing: String,
    pub have_you_seen: String,
    pub poster_alt: String,
    pub missing_since: String,
    pub missing_from: String,
    pub age: String,
    pub born: String,
    pub height: String,
    pub weight: String,
    pub hair: String,
    pub eyes: String,
    pub marks: String,
    pub clothing: String,
    pub circumstances: String,
    pub with: String,
    pub vehicle: String,
    pub call: String,
    pub or: String,
    pub emergency: String,
    pub sample: String,
    pub ended_title: String,
    pub ended: String,
    pub languages: String,
}

/// What the tip form and the pages after it say.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tips {
    pub heading: String,
    pub intro: String,
    pub what: String,
    pub what_hint: String,
    pub place: String,
    pub place_hint: String,
    pub when: String,
    pub time: String,
    pub contact: String,
    pub contact_hint: String,
    pub name: String,
    pub phone: String,
    pub email: String,
    pub photo: String,
    pub photo_hint: String,
    pub trap: String,
    pub send: String,
    pub problems: String,
    pub thanks_title: String,
    pub thanks: String,
    pub next: String,
    pub urgent: String,
    pub ended: String,
    pub busy_title: String,
    pub busy: String,
    pub photo_again: String,
}

/// The choices of "how long ago".
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct When {
    within_hour: String,
    today: String,
    yesterday: String,
    earlier: String,
}

/// What the form says beside a field that was not right.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Problems {
    required_what: String,
    required_where: String,
    required: String,
    /// `{max}`: the number of characters allowed.
    too_long: String,
    unreadable: String,
    no_when: String,
    not_an_email: String,
    not_a_phone: String,
    not_a_photo: String,
    photo_too_large: String,
}

impl Words {
    /// What to say beside `field` about `issue`.
    pub fn problem(&self, field: &str, issue: Issue) -> String {
        let p = &self.problems;
        match issue {
            Issue::Required => match field {
                "what" => p.required_what.clone(),
                "where" => p.required_where.clone(),
                _ => p.required.clone(),
            },
            Issue::TooLong(max) => p.too_long.replace("{max}", &max.to_string()),
            Issue::Unreadable => p.unreadable.clone(),
            Issue::NoWhen => p.no_when.clone(),
            Issue::NotAnEmail => p.not_an_email.clone(),
            Issue::NotAPhone => p.not_a_phone.clone(),
            Issue::NotAPhoto => p.not_a_photo.clone(),
            Issue::PhotoTooLarge => p.photo_too_large.clone(),
        }
    }

    /// The choices of "how long ago", as (value, label).
    pub fn whens(&self) -> Vec<(&'static str, &str)> {
        SeenWhen::ALL
            .iter()
            .map(|w| {
                let label = match w {
                    SeenWhen::WithinHour => &self.when.within_hour,
                    SeenWhen::Today => &self.when.today,
                    SeenWhen::Yesterday => &self.when.yesterday,
                    SeenWhen::Earlier => &self.when.earlier,
                };
                (w.as_str(), label.as_str())
            })
            .collect()
    }
}

fn source(lang: Lang) -> &'static str {
    match lang {
        Lang::En => include_str!("../../../templates/web/en.toml"),
        Lang::Es => include_str!("../../../templates/web/es.toml"),
        Lang::Fr => include_str!("../../../templates/web/fr.toml"),
        Lang::Vi => include_str!("../../../templates/web/vi.toml"),
        Lang::Tl => include_str!("../../../templates/web/tl.toml"),
        Lang::ZhHans => include_str!("../../../templates/web/zh-Hans.toml"),
        Lang::ZhHant => include_str!("../../../templates/web/zh-Hant.toml"),
        Lang::Ko => include_str!("../../../templates/web/ko.toml"),
        Lang::Ar => include_str!("../../../templates/web/ar.toml"),
    }
}

static ALL: LazyLock<Vec<Words>> = LazyLock::new(|| {
    Lang::ALL
        .iter()
        .map(|&lang| {
            // compiled in and parsed by a unit test: failing here is a build defect
            toml::from_str(source(lang))
                .unwrap_or_else(|e| panic!("templates/web/{}.toml: {e}", lang.code()))
        })
        .collect()
});

/// The words of `lang`.
pub fn of(lang: Lang) -> &'static Words {
    &ALL[lang.index()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_word_and_says_them_its_own_way() {
        for lang in Lang::ALL {
            let w: Words =
                toml::from_str(source(lang)).unwrap_or_else(|e| panic!("{}: {e}", lang.code()));
            assert!(!w.name.is_empty());
            assert_eq!(w.whens().len(), SeenWhen::ALL.len());
            assert!(
                w.problem("what", Issue::TooLong(4000)).contains("4000"),
                "{lang:?}"
            );
            if lang != Lang::En {
                let en = of(Lang::En);
                assert_ne!(w.page.have_you_seen, en.page.have_you_seen, "{lang:?}");
                assert_ne!(w.tips.send, en.tips.send, "{lang:?}");
            }
        }
    }
}
