//! The case format's two ways of writing when: a day, and the moment a child was last seen (an
//! RFC 3339 instant, or only the day when that is all the reporter knows).

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// When the child was last seen: a full RFC 3339 instant, or only a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingSince {
    At(DateTime<FixedOffset>),
    Day(NaiveDate),
}

impl MissingSince {
    /// The calendar day as the reporter gave it (local to the offset they wrote).
    pub fn local_date(&self) -> NaiveDate {
        match self {
            MissingSince::At(t) => t.date_naive(),
            MissingSince::Day(d) => *d,
        }
    }

    /// The instant, taking a bare date as its start in UTC.
    pub fn instant(&self) -> DateTime<FixedOffset> {
        match self {
            MissingSince::At(t) => *t,
            MissingSince::Day(d) => d.and_time(NaiveTime::MIN).and_utc().fixed_offset(),
        }
    }
}

impl Serialize for MissingSince {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            MissingSince::At(t) => s.serialize_str(&t.to_rfc3339()),
            MissingSince::Day(d) => s.serialize_str(&d.format("%Y-%m-%d").to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for MissingSince {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if let Ok(t) = DateTime::parse_from_rfc3339(&s) {
            return Ok(MissingSince::At(t));
        }
        NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map(MissingSince::Day)
            .map_err(|_| serde::de::Error::custom("not a date or RFC 3339 date-time"))
    }
}

/// A calendar date written `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub NaiveDate);

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.format("%Y-%m-%d").to_string())
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map(Date)
            .map_err(|_| serde::de::Error::custom("not a date"))
    }
}
