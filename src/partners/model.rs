use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Cadence;
use crate::cases::{CaseType, Lang};
use crate::config::Secret;
use crate::posters::Format;

/// A partner's stable id, `[a-z0-9-]{2,64}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct PartnerId(String);

impl utoipa::PartialSchema for PartnerId {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .pattern(Some("^[a-z0-9-]{2,64}$"))
            .description(Some("A partner's stable id"))
            .examples(["northwind-retail"])
            .into()
    }
}

impl utoipa::ToSchema for PartnerId {}

impl PartnerId {
    pub fn parse(s: &str) -> Result<PartnerId, String> {
        let ok_len = (2..=64).contains(&s.len());
        let ok_chars = s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok_len && ok_chars {
            Ok(PartnerId(s.to_string()))
        } else {
            Err("must be 2 to 64 of a-z, 0-9 and -".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for PartnerId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        PartnerId::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl std::fmt::Display for PartnerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartnerKind {
    Retail,
    Billboard,
    Transport,
    Media,
    Public,
    Other,
}

/// How a partner receives posters: exactly one channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Delivery {
    Email(Vec<String>),
    Webhook(Webhook),
    /// The partner fetches its deliveries with its token (`{"pull": true}`).
    Pull(bool),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    pub url: String,
    /// `whsec_<base64>`.
    /// `whsec_` and 24 to 64 random bytes in base64. Write-only: a response shows `(set)`.
    #[serde(serialize_with = "expose_secret")]
    #[schema(value_type = String, pattern = "^(whsec_[A-Za-z0-9+/]{32,88}={0,2}|\\(set\\))$")]
    pub secret: Secret,
    /// The previous secret while it is being rotated: both signatures are sent.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "expose_secret_opt"
    )]
    #[schema(value_type = Option<String>, pattern = "^(whsec_[A-Za-z0-9+/]{32,88}={0,2}|\\(set\\))$")]
    pub previous_secret: Option<Secret>,
    /// When the previous secret stops signing: the end of a rotation's grace period. Without it,
    /// the previous secret signs until it is removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret_expires: Option<DateTime<Utc>>,
}

impl Webhook {
    /// The secrets that sign a message sent at `now`: the current one, then the previous one
    /// while its grace period lasts.
    pub fn signing_secrets(&self, now: DateTime<Utc>) -> Vec<&Secret> {
        let previous = self
            .previous_secret
            .as_ref()
            .filter(|_| self.previous_secret_expires.is_none_or(|end| now < end));
        std::iter::once(&self.secret).chain(previous).collect()
    }

    /// `new` becomes the secret; the current one keeps signing beside it until `grace_until`, so
    /// the partner can switch its receiver over without losing a message.
    pub fn rotated(&self, new: Secret, grace_until: DateTime<Utc>) -> Webhook {
        Webhook {
            url: self.url.clone(),
            secret: new,
            previous_secret: Some(self.secret.clone()),
            previous_secret_expires: Some(grace_until),
        }
    }
}

fn expose_secret<S: serde::Serializer>(s: &Secret, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s.expose())
}

fn expose_secret_opt<S: serde::Serializer>(s: &Option<Secret>, ser: S) -> Result<S::Ok, S::Error> {
    match s {
        Some(s) => ser.serialize_str(s.expose()),
        None => ser.serialize_none(),
    }
}

/// A partner as registered (`partners.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({
    "id": "northwind-retail", "name": "SAMPLE Northwind Retail", "kind": "retail",
    "delivery": {"webhook": {"url": "https://hooks.northwind.example/lookout",
                             "secret": "whsec_a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s="}},
    "per_location": true, "formats": ["letter", "square"], "languages": ["en", "es"],
    "cadence": {"daily": {"at": "07:00", "time_zone": "America/New_York"}}
}))]
#[serde(deny_unknown_fields)]
pub struct Partner {
    pub id: PartnerId,
    pub name: String,
    pub kind: PartnerKind,
    pub delivery: Delivery,
    #[serde(default)]
    pub per_location: bool,
    #[serde(default = "default_formats")]
    pub formats: Vec<Format>,
    #[serde(default = "default_languages")]
    pub languages: Vec<Lang>,
    /// Empty means every case type.
    #[serde(default = "all_case_types")]
    pub case_types: Vec<CaseType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_cap: Option<u32>,
    #[serde(default = "yes")]
    pub active: bool,
    /// New posters at once, or in a daily or weekly digest; takedowns always at once.
    #[serde(default, skip_serializing_if = "Cadence::is_immediate")]
    pub cadence: Cadence,
}

fn default_formats() -> Vec<Format> {
    vec![Format::Letter]
}

fn default_languages() -> Vec<Lang> {
    vec![Lang::En]
}

fn all_case_types() -> Vec<CaseType> {
    CaseType::ALL.to_vec()
}

fn yes() -> bool {
    true
}

impl Partner {
    pub fn accepts(&self, case_type: CaseType) -> bool {
        self.case_types.is_empty() || self.case_types.contains(&case_type)
    }

    /// Whether the partner takes posters in at least one of the case's languages.
    pub fn speaks_any(&self, languages: &[Lang]) -> bool {
        self.languages.iter().any(|l| languages.contains(l))
    }

    /// A partner that takes every case, language and format, without a cap, delivered by pull:
    /// what a location file given without its partner list stands for.
    pub fn accept_all(id: PartnerId, name: String) -> Partner {
        Partner {
            id,
            name,
            kind: PartnerKind::Other,
            delivery: Delivery::Pull(true),
            per_location: false,
            formats: Format::ALL.to_vec(),
            languages: Lang::ALL.to_vec(),
            case_types: CaseType::ALL.to_vec(),
            daily_cap: None,
            active: true,
            cadence: Cadence::Immediate,
        }
    }
}

/// One place where a partner shows posters: a store, a billboard, an office, or a coverage area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Location {
    pub partner_id: PartnerId,
    /// The partner's own reference (store number), unique within the partner.
    #[serde(rename = "ref")]
    pub reference: String,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    /// How far away the location is seen (a billboard), in metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reach_m: Option<f64>,
    /// The location's own address, for per-location email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// A coverage area (newspaper circulation, TV market) in lon/lat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = coverage_schema)]
    pub coverage: Option<geo::MultiPolygon<f64>>,
}

/// A coverage area as it is written: polygons of an `exterior` ring and `interiors` rings, each
/// ring a list of `{x: lon, y: lat}` points.
pub fn coverage_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    let ring = || {
        ArrayBuilder::new().items(
            ObjectBuilder::new()
                .property("x", ObjectBuilder::new().schema_type(Type::Number))
                .property("y", ObjectBuilder::new().schema_type(Type::Number))
                .required("x")
                .required("y"),
        )
    };
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .property("exterior", ring())
                .property("interiors", ArrayBuilder::new().items(ring()))
                .required("exterior")
                .required("interiors"),
        )
        .description(Some(
            "A coverage area (a newspaper's circulation, a TV market): polygons in lon (x) and lat (y), \
             finite, closed and not crossing themselves.",
        ))
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rotated_secret_signs_beside_the_new_one_until_its_grace_ends() {
        let at = |h: u32| {
            chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
                .unwrap()
                .and_hms_opt(h, 0, 0)
                .unwrap()
                .and_utc()
        };
        let hook = Webhook {
            url: "https://example.org/hook".into(),
            secret: Secret::new("whsec_old"),
            previous_secret: None,
            previous_secret_expires: None,
        };
        let exposed = |h: &Webhook, now| -> Vec<String> {
            h.signing_secrets(now)
                .iter()
                .map(|s| s.expose().to_string())
                .collect()
        };
        assert_eq!(exposed(&hook, at(1)), ["whsec_old"]);
        let rotated = hook.rotated(Secret::new("whsec_new"), at(12));
        assert_eq!(exposed(&rotated, at(11)), ["whsec_new", "whsec_old"]);
        assert_eq!(exposed(&rotated, at(12)), ["whsec_new"]);
        // a previous secret given without an end signs until it is removed
        let open = Webhook {
            previous_secret_expires: None,
            ..rotated.clone()
        };
        assert_eq!(exposed(&open, at(23)), ["whsec_new", "whsec_old"]);
        // the end is kept in the partner document
        let json = serde_json::to_value(&rotated).unwrap();
        assert_eq!(json["previous_secret_expires"], "2026-12-01T12:00:00Z");
        let back: Webhook = serde_json::from_value(json).unwrap();
        assert_eq!(back, rotated);
    }
}
