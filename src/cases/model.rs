use super::dates::{Date, MissingSince};
use super::lang::Lang;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A case document, in the case format (`shared/spec/case-format.md`). Field names are the
/// format's; serialised, a case parses back to the same case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "case_number": "SAMPLE-0001",
    "case_type": "endangered_missing",
    "missing_since": "2026-11-18T21:30:00-05:00",
    "missing_from": {"city": "Alexandria", "region": "VA", "country": "US", "lat": 38.8048, "lon": -77.0469},
    "circumstances": "SAMPLE: an invented case.",
    "children": [{
        "name": "Sample Child", "date_of_birth": "2016-04-02", "sex": "female",
        "height_cm": 132, "hair": "Brown", "eyes": "Brown",
        "photos": [{"photo_id": "5f2b0c7d1e9a4b3c8d6e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e"}]
    }],
    "contact": {"agency": "Sample Police Department", "phone": "1-800-555-0100"},
    "languages": ["en", "es"]
}))]
#[serde(deny_unknown_fields)]
pub struct Case {
    #[schema(min_length = 1, max_length = 32, examples("SAMPLE-0001"))]
    pub case_number: String,
    pub case_type: CaseType,
    #[serde(default)]
    pub amber_alert: bool,
    #[serde(default)]
    pub status: CaseStatus,
    pub missing_since: MissingSince,
    pub missing_from: Place,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 1200)]
    pub circumstances: Option<String>,
    #[schema(min_items = 1, max_items = 3)]
    pub children: Vec<Person>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub companions: Vec<Companion>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 8)]
    pub destinations: Vec<Place>,
    #[serde(default)]
    pub travel: Travel,
    pub contact: Contact,
    #[serde(default = "default_languages")]
    #[schema(min_items = 1, max_items = 2)]
    pub languages: Vec<Lang>,
}

fn default_languages() -> Vec<Lang> {
    vec![Lang::En]
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CaseType {
    EndangeredMissing,
    EndangeredRunaway,
    FamilyAbduction,
    NonfamilyAbduction,
    CriticallyMissingYoungAdult,
    LostInjuredMissing,
}

impl CaseType {
    pub const ALL: [CaseType; 6] = [
        CaseType::EndangeredMissing,
        CaseType::EndangeredRunaway,
        CaseType::FamilyAbduction,
        CaseType::NonfamilyAbduction,
        CaseType::CriticallyMissingYoungAdult,
        CaseType::LostInjuredMissing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseType::EndangeredMissing => "endangered_missing",
            CaseType::EndangeredRunaway => "endangered_runaway",
            CaseType::FamilyAbduction => "family_abduction",
            CaseType::NonfamilyAbduction => "nonfamily_abduction",
            CaseType::CriticallyMissingYoungAdult => "critically_missing_young_adult",
            CaseType::LostInjuredMissing => "lost_injured_missing",
        }
    }

    pub fn parse(s: &str) -> Option<CaseType> {
        CaseType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    #[default]
    Active,
    Resolved,
    Cancelled,
}

impl CaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Active => "active",
            CaseStatus::Resolved => "resolved",
            CaseStatus::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Travel {
    Foot,
    Vehicle,
    Transit,
    Air,
    #[default]
    Unknown,
}

impl Travel {
    pub fn as_str(self) -> &'static str {
        match self {
            Travel::Foot => "foot",
            Travel::Vehicle => "vehicle",
            Travel::Transit => "transit",
            Travel::Air => "air",
            Travel::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
    Unknown,
}

impl Sex {
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Female => "female",
            Sex::Male => "male",
            Sex::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = CompanionRole)]
pub enum Role {
    Abductor,
    Companion,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Abductor => "abductor",
            Role::Companion => "companion",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Place {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 80)]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 40)]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 40)]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[schema(minimum = -90, maximum = 90)]
    pub lat: f64,
    #[schema(minimum = -180, maximum = 180)]
    pub lon: f64,
}

impl Place {
    /// "Alexandria, VA, US", from whichever parts are present; the label when nothing else is.
    pub fn display(&self) -> String {
        let parts: Vec<&str> = [&self.city, &self.region, &self.country]
            .into_iter()
            .filter_map(|p| p.as_deref())
            .filter(|p| !p.trim().is_empty())
            .collect();
        if parts.is_empty() {
            self.label.clone().unwrap_or_default()
        } else {
            parts.join(", ")
        }
    }
}

/// Where a photo comes from: a file beside the case document (CLI) or an uploaded photo (API).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PhotoSource {
    File(String),
    Id(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "PhotoDoc", into = "PhotoDoc")]
pub struct Photo {
    pub source: PhotoSource,
    pub taken: Option<String>,
    pub age_progressed_to: Option<u32>,
    pub caption: Option<String>,
}

/// The wire form of a photo: exactly one of `file` (the CLI, beside the case document) and
/// `photo_id` (the API, from `POST /v1/photos`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct PhotoDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    photo_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    taken: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    age_progressed_to: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 80)]
    caption: Option<String>,
}

impl TryFrom<PhotoDoc> for Photo {
    type Error = String;
    fn try_from(d: PhotoDoc) -> Result<Self, String> {
        let source = match (d.file, d.photo_id) {
            (Some(f), None) => PhotoSource::File(f),
            (None, Some(id)) => PhotoSource::Id(id),
            (Some(_), Some(_)) => return Err("give either file or photo_id, not both".into()),
            (None, None) => return Err("a photo needs file or photo_id".into()),
        };
        Ok(Photo {
            source,
            taken: d.taken,
            age_progressed_to: d.age_progressed_to,
            caption: d.caption,
        })
    }
}

impl From<Photo> for PhotoDoc {
    fn from(p: Photo) -> Self {
        let (file, photo_id) = match p.source {
            PhotoSource::File(f) => (Some(f), None),
            PhotoSource::Id(id) => (None, Some(id)),
        };
        PhotoDoc {
            file,
            photo_id,
            taken: p.taken,
            age_progressed_to: p.age_progressed_to,
            caption: p.caption,
        }
    }
}

/// The descriptive fields shared by a child and a companion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Person {
    #[schema(min_length = 1, max_length = 80)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 4)]
    pub aliases: Vec<String>,
    pub date_of_birth: Date,
    pub sex: Sex,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 40)]
    pub race: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(exclusive_minimum = 0)]
    pub height_cm: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(exclusive_minimum = 0)]
    pub weight_kg: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 40)]
    pub hair: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 40)]
    pub eyes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200)]
    pub marks: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200)]
    pub clothing: Option<String>,
    #[schema(min_items = 1, max_items = 2)]
    pub photos: Vec<Photo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Companion {
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 40)]
    pub relation: Option<String>,
    #[schema(min_length = 1, max_length = 80)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 4)]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<Date>,
    pub sex: Sex,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 40)]
    pub race: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(exclusive_minimum = 0)]
    pub height_cm: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(exclusive_minimum = 0)]
    pub weight_kg: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 40)]
    pub hair: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 40)]
    pub eyes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200)]
    pub marks: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200)]
    pub clothing: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 2)]
    pub photos: Vec<Photo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vehicle: Option<Vehicle>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Vehicle {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1900, maximum = 2100)]
    pub year: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub make: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plate_region: Option<String>,
}

impl Vehicle {
    /// "2014 gray Honda Civic, plate ABC1234 (VA)" without the plate words; the caller labels them.
    pub fn description(&self) -> String {
        let year = self.year.map(|y| y.to_string());
        [&year, &self.color, &self.make, &self.model]
            .into_iter()
            .filter_map(|p| p.as_deref())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[schema(min_length = 1, max_length = 100)]
    pub agency: String,
    #[schema(min_length = 1, max_length = 32)]
    pub phone: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Where tips are forwarded: the investigating agency's address. Never printed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl Case {
    /// The sex of each missing child, in order: what a headline agrees with in some languages.
    pub fn children_sexes(&self) -> Vec<Sex> {
        self.children.iter().map(|c| c.sex).collect()
    }

    /// What a search for this case looks in: its number and every name on it, lower case.
    pub fn search_text(&self) -> String {
        let mut words = vec![self.case_number.clone()];
        for c in &self.children {
            words.push(c.name.clone());
            words.extend(c.aliases.iter().cloned());
        }
        for c in &self.companions {
            words.push(c.name.clone());
            words.extend(c.aliases.iter().cloned());
        }
        words.join(" | ").to_lowercase()
    }

    /// Every photo of the case, children's first, with the path of its field.
    pub fn photos(&self) -> impl Iterator<Item = (String, &Photo)> {
        let children = self.children.iter().enumerate().flat_map(|(i, c)| {
            c.photos
                .iter()
                .enumerate()
                .map(move |(j, p)| (format!("children[{i}].photos[{j}]"), p))
        });
        let companions = self.companions.iter().enumerate().flat_map(|(i, c)| {
            c.photos
                .iter()
                .enumerate()
                .map(move |(j, p)| (format!("companions[{i}].photos[{j}]"), p))
        });
        children.chain(companions)
    }

    pub fn is_active(&self) -> bool {
        self.status == CaseStatus::Active
    }
}
