//! A case's values as its poster writes them in one language (dates, heights in feet and inches,
//! weights in pounds, hair and eye colours translated, the vehicle with its plate), for pages that
//! show what the poster shows: the case's public page.

use super::RenderError;
use super::layout::words::{ValueKind, Words};
use crate::cases::{Case, Lang, Person};

/// What the poster says of a case, value by value.
#[derive(Debug, serde::Serialize)]
pub struct Shown {
    pub missing_since: String,
    pub children: Vec<ShownChild>,
    /// Each companion's vehicle, in the companions' order.
    pub vehicles: Vec<Option<String>>,
}

#[derive(Debug, serde::Serialize)]
pub struct ShownChild {
    pub born: String,
    pub height: Option<String>,
    pub weight: Option<String>,
    pub hair: Option<String>,
    pub eyes: Option<String>,
}

/// `case`'s values in `lang`, with the process's renderer.
pub fn shown(case: &Case, lang: Lang) -> Result<Shown, RenderError> {
    let words = super::Renderer::shared()?.words(lang);
    Ok(of(&words, case))
}

fn of(w: &Words<'_>, case: &Case) -> Shown {
    Shown {
        missing_since: w.missing_since(&case.missing_since),
        children: case.children.iter().map(|c| child(w, c)).collect(),
        vehicles: case
            .companions
            .iter()
            .map(|c| c.vehicle.as_ref().map(|v| w.vehicle(v)))
            .collect(),
    }
}

fn child(w: &Words<'_>, c: &Person) -> ShownChild {
    ShownChild {
        born: w.date(c.date_of_birth.0),
        height: c.height_cm.map(|cm| w.height(cm)),
        weight: c.weight_kg.map(|kg| w.weight(kg)),
        hair: c.hair.as_deref().map(|h| w.value(ValueKind::Hair, h)),
        eyes: c.eyes.as_deref().map(|e| w.value(ValueKind::Eyes, e)),
    }
}
