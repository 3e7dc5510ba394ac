//! A poster language's words: its labels, headlines (agreeing with the children where the language
//! does), date and measure patterns and the values it translates, read from `templates/posters/lang`.

use std::collections::HashMap;

use serde::Deserialize;

use super::{TemplateError, parse};
use crate::cases::{CaseType, Lang, Role, Sex};

/// Every text a poster prints in one language.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LangTemplate {
    pub sample: String,
    pub test: String,
    pub amber_alert: String,
    pub months: [String; 12],
    pub date: String,
    /// How the first day of a month is written where it is not "1" (French "1er").
    #[serde(default)]
    pub first_day: Option<String>,
    pub time: String,
    pub am_pm: [String; 2],
    pub datetime: String,
    pub age_progressed: String,
    pub photo_taken: String,
    pub height: String,
    pub weight: String,
    pub age: String,
    pub age_years: String,
    pub missing_since_from: String,
    pub headlines: Headlines,
    pub labels: Labels,
    pub sex: SexNames,
    pub roles: RoleNames,
    #[serde(default)]
    pub values: Values,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Headlines {
    pub endangered_missing: Headline,
    pub endangered_runaway: Headline,
    pub family_abduction: Headline,
    pub nonfamily_abduction: Headline,
    pub critically_missing_young_adult: Headline,
    pub lost_injured_missing: Headline,
}

/// A headline in one form, or, in a language whose words agree with who is missing, in each form
/// it takes.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Headline {
    One(String),
    Agreeing(HeadlineForms),
}

/// `male` is also the form for a child of unknown sex (the language's generic form); `plural` is
/// for several children of whom at least one is not known to be a girl, `plural_female` for
/// several girls.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadlineForms {
    pub male: String,
    pub female: String,
    pub plural: String,
    pub plural_female: String,
}

impl Headline {
    /// The form for the missing children, whose sexes are `children`.
    pub fn agreeing_with(&self, children: &[Sex]) -> &str {
        let forms = match self {
            Headline::One(s) => return s,
            Headline::Agreeing(forms) => forms,
        };
        let girls = children.iter().all(|s| *s == Sex::Female);
        match (children.len() > 1, girls && !children.is_empty()) {
            (false, true) => &forms.female,
            (false, false) => &forms.male,
            (true, true) => &forms.plural_female,
            (true, false) => &forms.plural,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labels {
    pub aliases: String,
    pub date_of_birth: String,
    pub age_now: String,
    pub missing_since: String,
    pub missing_from: String,
    pub sex: String,
    pub race: String,
    pub height: String,
    pub weight: String,
    pub hair: String,
    pub eyes: String,
    pub marks: String,
    pub clothing: String,
    pub circumstances: String,
    pub vehicle: String,
    pub plate: String,
    pub relation: String,
    pub contact_intro: String,
    pub contact_or: String,
    pub call: String,
    pub case_number: String,
    pub issued: String,
    pub scan: String,
    /// A photo's alternative text in the tagged PDF: "Photo of {name}".
    pub photo_of: String,
    /// The line under a continuation page's headline: "{names}, continued".
    pub continued: String,
    /// A long print poster's page numbers, in its footer: "Page {page} of {pages}".
    pub page: String,
    /// A screen poster that had to leave something out points to the case page: "More at {address}".
    pub more_at: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SexNames {
    pub female: String,
    pub male: String,
    pub unknown: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleNames {
    pub abductor: String,
    pub companion: String,
}

/// Translations of common free-text values (hair "Brown" → "Castaño"), keyed in lower case.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Values {
    #[serde(default)]
    pub hair: HashMap<String, String>,
    #[serde(default)]
    pub eyes: HashMap<String, String>,
    #[serde(default)]
    pub race: HashMap<String, String>,
}

impl LangTemplate {
    pub fn load(lang: Lang) -> Result<LangTemplate, TemplateError> {
        parse(lang_source(lang))
    }

    /// The headline for a case of type `t` whose missing children are of the sexes `children`.
    pub fn headline(&self, t: CaseType, children: &[Sex]) -> &str {
        let h = &self.headlines;
        let headline = match t {
            CaseType::EndangeredMissing => &h.endangered_missing,
            CaseType::EndangeredRunaway => &h.endangered_runaway,
            CaseType::FamilyAbduction => &h.family_abduction,
            CaseType::NonfamilyAbduction => &h.nonfamily_abduction,
            CaseType::CriticallyMissingYoungAdult => &h.critically_missing_young_adult,
            CaseType::LostInjuredMissing => &h.lost_injured_missing,
        };
        headline.agreeing_with(children)
    }

    pub fn sex(&self, s: Sex) -> &str {
        match s {
            Sex::Female => &self.sex.female,
            Sex::Male => &self.sex.male,
            Sex::Unknown => &self.sex.unknown,
        }
    }

    pub fn role(&self, r: Role) -> &str {
        match r {
            Role::Abductor => &self.roles.abductor,
            Role::Companion => &self.roles.companion,
        }
    }
}

/// Region codes to printed names, per country code.
pub type Regions = HashMap<String, HashMap<String, String>>;

fn lang_source(lang: Lang) -> (&'static str, &'static str) {
    match lang {
        Lang::En => (
            "lang/en.toml",
            include_str!("../../../templates/posters/lang/en.toml"),
        ),
        Lang::Es => (
            "lang/es.toml",
            include_str!("../../../templates/posters/lang/es.toml"),
        ),
        Lang::Fr => (
            "lang/fr.toml",
            include_str!("../../../templates/posters/lang/fr.toml"),
        ),
        Lang::Vi => (
            "lang/vi.toml",
            include_str!("../../../templates/posters/lang/vi.toml"),
        ),
        Lang::Tl => (
            "lang/tl.toml",
            include_str!("../../../templates/posters/lang/tl.toml"),
        ),
        Lang::ZhHans => (
            "lang/zh-Hans.toml",
            include_str!("../../../templates/posters/lang/zh-Hans.toml"),
        ),
        Lang::ZhHant => (
            "lang/zh-Hant.toml",
            include_str!("../../../templates/posters/lang/zh-Hant.toml"),
        ),
        Lang::Ko => (
            "lang/ko.toml",
            include_str!("../../../templates/posters/lang/ko.toml"),
        ),
        Lang::Ar => (
            "lang/ar.toml",
            include_str!("../../../templates/posters/lang/ar.toml"),
        ),
    }
}
