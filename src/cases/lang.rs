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
    #[serde(rename = "zh-Hans")]
    ZhHans,
    #[serde(rename = "zh-Hant")]
    ZhHant,
    Ko,
    Ar,
}

impl Lang {
    /// In the order they are offered: English and Spanish, then the other languages most spoken at
    /// home in the US, in the order they were added (this order is also each one's `index`).
    pub const ALL: [Lang; 9] = [
        Lang::En,
        Lang::Es,
        Lang::Fr,
        Lang::Vi,
        Lang::Tl,
        Lang::ZhHans,
        Lang::ZhHant,
        Lang::Ko,
        Lang::Ar,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
            Lang::Fr => "fr",
            Lang::Vi => "vi",
            Lang::Tl => "tl",
            Lang::ZhHans => "zh-Hans",
            Lang::ZhHant => "zh-Hant",
            Lang::Ko => "ko",
            Lang::Ar => "ar",
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
            Lang::ZhHans => "zh-Hans-US",
            Lang::ZhHant => "zh-Hant-US",
            Lang::Ko => "ko-US",
            Lang::Ar => "ar-US",
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
            Lang::ZhHans => "Chinese (Simplified)",
            Lang::ZhHant => "Chinese (Traditional)",
            Lang::Ko => "Korean",
            Lang::Ar => "Arabic",
        }
    }

    /// Written right to left: its posters are mirrored and its pages set `dir="rtl"`.
    pub fn right_to_left(self) -> bool {
        matches!(self, Lang::Ar)
    }
}
