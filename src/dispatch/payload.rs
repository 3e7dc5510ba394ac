//! The webhook body partners receive. Field names are a public contract: add, never rename.
//!
//! ```json
//! {"type": "poster.issued", "id": "<delivery id>", "timestamp": "2026-11-19T02:31:00Z",
//!  "case": {"case_number": "2026-004217", "case_type": "family_abduction", ...},
//!  "version": 2, "locations": ["0412", "0413"],
//!  "posters": [{"format": "letter", "lang": "en", "url": "https://…?exp=…&sig=…",
//!               "content_type": "application/pdf", "expires": "…"}],
//!  "pdf_base64": "JVBERi0…"}
//! ```
//!
//! `case` carries only what the printed poster shows. A withdrawal carries the case number, the
//! reason and nothing else about the child.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::cases::{Case, CaseStatus, CaseType, Companion, Lang, Person, Role, Sex, age_on};
use crate::posters::Format;

/// What happened to the poster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum EventType {
    /// A partner receives this case for the first time.
    #[serde(rename = "poster.issued")]
    Issued,
    /// A newer version replaces the one the partner holds.
    #[serde(rename = "poster.updated")]
    Updated,
    /// Take the poster down.
    #[serde(rename = "poster.withdrawn")]
    Withdrawn,
}

impl From<crate::store::outbox::Kind> for EventType {
    fn from(k: crate::store::outbox::Kind) -> Self {
        use crate::store::outbox::Kind;
        match k {
            Kind::Issued => EventType::Issued,
            Kind::Updated => EventType::Updated,
            Kind::Withdrawn => EventType::Withdrawn,
        }
    }
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Issued => "poster.issued",
            EventType::Updated => "poster.updated",
            EventType::Withdrawn => "poster.withdrawn",
        }
    }
}

/// Why a poster comes down. Deliberately coarse: how a case ended is nobody's business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WithdrawReason {
    /// The child was found / recovered.
    Resolved,
    /// The case was closed or cancelled.
    Cancelled,
    /// The partner's locations are no longer in the search region.
    OutOfRegion,
}

/// The webhook body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WebhookPayload {
    #[serde(rename = "type")]
    pub event: EventType,
    /// The delivery id, equal to the `webhook-id` header: the same on every retry.
    pub id: String,
    #[serde(with = "rfc3339_seconds")]
    pub timestamp: DateTime<Utc>,
    pub case: CaseSummary,
    /// The case version the poster shows; a partner ignores versions older than one it holds.
    pub version: u32,
    /// The partner's own references of the targeted locations.
    pub locations: Vec<String>,
    /// Where to fetch each poster file (empty on withdrawal).
    pub posters: Vec<PosterFile>,
    /// The print poster inline, for partners who asked for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdf_base64: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<WithdrawReason>,
}

/// One poster file: a signed link that expires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PosterFile {
    pub format: Format,
    pub lang: Lang,
    pub url: String,
    pub content_type: String,
    #[serde(with = "rfc3339_seconds")]
    pub expires: DateTime<Utc>,
}

/// The case as the poster prints it. On withdrawal only `case_number`, `case_type` and `status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CaseSummary {
    pub case_number: String,
    pub case_type: CaseType,
    pub status: CaseStatus,
    #[serde(default)]
    pub amber_alert: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing_since: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing_from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circumstances: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<PersonSummary>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub companions: Vec<PersonSummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<ContactSummary>,
}

/// A child or companion as printed: no photos' file names, no internal ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PersonSummary {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<NaiveDate>,
    /// Age on the poster's issue date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age: Option<u32>,
    pub sex: Sex,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub race: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height_cm: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_kg: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hair: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eyes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marks: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clothing: Option<String>,
    /// "2014 gray Honda Civic, plate ABC1234 (VA)".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vehicle: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ContactSummary {
    pub agency: String,
    pub phone: String,
    /// The organisation's hotline, printed on every poster.
    pub hotline: String,
}

impl CaseSummary {
    /// What a poster issued on `issue_date` shows; `hotline` is the organisation's.
    pub fn from_case(case: &Case, issue_date: NaiveDate, hotline: &str) -> CaseSummary {
        CaseSummary {
            case_number: case.case_number.clone(),
            case_type: case.case_type,
            status: case.status,
            amber_alert: case.amber_alert,
            missing_since: Some(case.missing_since.local_date().to_string()),
            missing_from: Some(case.missing_from.display()).filter(|s| !s.is_empty()),
            circumstances: case.circumstances.clone(),
            children: case.children.iter().map(|p| child(p, issue_date)).collect(),
            companions: case
                .companions
                .iter()
                .map(|c| companion(c, issue_date))
                .collect(),
            contact: Some(ContactSummary {
                agency: case.contact.agency.clone(),
                phone: case.contact.phone.clone(),
                hotline: hotline.to_string(),
            }),
        }
    }

    /// For a withdrawal: the number to find the poster by, and nothing personal.
    pub fn withdrawn(case_number: &str, case_type: CaseType, status: CaseStatus) -> CaseSummary {
        CaseSummary {
            case_number: case_number.to_string(),
            case_type,
            status,
            amber_alert: false,
            missing_since: None,
            missing_from: None,
            circumstances: None,
            children: Vec::new(),
            companions: Vec::new(),
            contact: None,
        }
    }
}

fn child(p: &Person, issue_date: NaiveDate) -> PersonSummary {
    PersonSummary {
        role: None,
        relation: None,
        name: p.name.clone(),
        aliases: p.aliases.clone(),
        date_of_birth: Some(p.date_of_birth.0),
        age: Some(age_on(p.date_of_birth.0, issue_date)),
        sex: p.sex,
        race: p.race.clone(),
        height_cm: p.height_cm,
        weight_kg: p.weight_kg,
        hair: p.hair.clone(),
        eyes: p.eyes.clone(),
        marks: p.marks.clone(),
        clothing: p.clothing.clone(),
        vehicle: None,
    }
}

fn companion(c: &Companion, issue_date: NaiveDate) -> PersonSummary {
    let vehicle = c.vehicle.as_ref().map(|v| {
        let mut s = v.description();
        if let Some(plate) = &v.plate {
            let region = v.plate_region.as_ref().map(|r| format!(" ({r})"));
            s = format!("{s}, plate {plate}{}", region.unwrap_or_default());
        }
        s.trim_start_matches(", ").to_string()
    });
    PersonSummary {
        role: Some(c.role),
        relation: c.relation.clone(),
        name: c.name.clone(),
        aliases: c.aliases.clone(),
        date_of_birth: c.date_of_birth.map(|d| d.0),
        age: c.date_of_birth.map(|d| age_on(d.0, issue_date)),
        sex: c.sex,
        race: c.race.clone(),
        height_cm: c.height_cm,
        weight_kg: c.weight_kg,
        hair: c.hair.clone(),
        eyes: c.eyes.clone(),
        marks: c.marks.clone(),
        clothing: c.clothing.clone(),
        vehicle,
    }
}

impl WebhookPayload {
    /// The body bytes as sent (and signed).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("payload types always serialise")
    }
}

/// A digest: every poster held for a partner's digest time, as one message whose `id` (the
/// `webhook-id`) is the digest's. Each entry is the delivery as it would have come alone:
/// `{"type": "poster.digest", "id": "dig_…", "timestamp": "…", "deliveries": [{"type":
/// "poster.issued", "id": "msg_…", …}, …]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DigestPayload {
    #[serde(rename = "type")]
    pub event: String,
    pub id: String,
    #[serde(with = "rfc3339_seconds")]
    pub timestamp: DateTime<Utc>,
    pub deliveries: Vec<WebhookPayload>,
}

impl DigestPayload {
    pub fn new(id: &str, timestamp: DateTime<Utc>, deliveries: Vec<WebhookPayload>) -> Self {
        DigestPayload {
            event: "poster.digest".into(),
            id: id.into(),
            timestamp,
            deliveries,
        }
    }

    /// The body bytes as sent (and signed).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("payload types always serialise")
    }
}

/// A test message a partner sends itself from its portal, signed like every delivery. It says
/// nothing of any case: `{"type": "ping", "id": "msg_…", "timestamp": "…", "partner_id": "…"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PingPayload {
    #[serde(rename = "type")]
    pub event: String,
    pub id: String,
    #[serde(with = "rfc3339_seconds")]
    pub timestamp: DateTime<Utc>,
    pub partner_id: String,
}

impl PingPayload {
    pub fn new(id: &str, timestamp: DateTime<Utc>, partner: &crate::partners::PartnerId) -> Self {
        PingPayload {
            event: "ping".into(),
            id: id.into(),
            timestamp,
            partner_id: partner.to_string(),
        }
    }

    /// The body bytes as sent (and signed).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("payload types always serialise")
    }
}

/// Timestamps as `2026-11-19T02:31:00Z`: whole seconds, UTC, what every JSON parser reads.
mod rfc3339_seconds {
    use super::*;

    pub fn serialize<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Secs, true))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
