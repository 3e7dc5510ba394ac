//! The languages a poster, its emails and its public page are made in.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    En,
    Es,
    Fr,
    Vi,
    Tl,
}

impl Lang {
    /// In the order they are offered: English, then the languages most spoken at home in the US.
    pub const ALL: [Lang; 5] = [Lang::En, Lang::Es, Lang::Fr, Lang::Vi, Lang::Tl];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
            Lang::Fr => "fr",
            Lang::Vi => "vi",
            Lang::Tl => "tl",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == s)
    }

    /// Its place in [`Lang::ALL`], for tables kept per language.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The language as a BCP 47 tag for the US, where the posters are read: `en-US`.
    pub fn bcp47(self) -> &'static str {
        match self {
            Lang::En => "en-US",
            Lang::Es => "es-US",
            Lang::Fr => "fr-US",
            Lang::Vi => "vi-US",
            Lang::Tl => "tl-US",
        }
    }

    /// Its name in English, for the console and the portal.
    pub fn english_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Es => "Spanish",
            Lang::Fr => "French",
            Lang::Vi => "Vietnamese",
            Lang::Tl => "Tagalog",
        }
    }
}
