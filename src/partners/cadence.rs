//! How often a partner takes new posters: at once, or collected into a daily or weekly digest at a
//! time of day in the partner's own time zone. Takedowns never wait for a digest.
//!
//! In the partner format: `"cadence": "immediate"` (the default),
//! `{"daily": {"at": "07:00", "time_zone": "America/New_York"}}` or
//! `{"weekly": {"day": "monday", "at": "07:00", "time_zone": "America/Chicago"}}`.
//!
//! Pure: [`Cadence::next_digest`] takes the moment to count from and returns the digest time.

use std::fmt;

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Cadence {
    /// Every poster as soon as it is made (after a reissue's quiet period).
    #[default]
    Immediate,
    Daily(Daily),
    Weekly(Weekly),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Daily {
    pub at: TimeOfDay,
    pub time_zone: Zone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Weekly {
    pub day: Day,
    pub at: TimeOfDay,
    pub time_zone: Zone,
}

impl Cadence {
    pub fn is_immediate(&self) -> bool {
        *self == Cadence::Immediate
    }

    /// The first digest time strictly after `after`; `None` when posters go at once.
    ///
    /// A time of day that a daylight-saving change skips (02:30 on the spring-forward night) is
    /// taken as the moment the clocks jump to; one that happens twice, as its first occurrence.
    pub fn next_digest(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let (at, zone, day) = match self {
            Cadence::Immediate => return None,
            Cadence::Daily(d) => (d.at, d.time_zone, None),
            Cadence::Weekly(w) => (w.at, w.time_zone, Some(w.day)),
        };
        let local_today = after.with_timezone(&zone.0).date_naive();
        // today may already be past; a week and a day covers every weekday, whatever the zone
        (0..=8)
            .filter_map(|n| local_today.checked_add_signed(Duration::days(n)))
            .filter(|date| day.is_none_or(|d| date.weekday() == d.weekday()))
            .map(|date| at_local(date, at.0, zone.0))
            .find(|t| *t > after)
    }

    /// How the portal and the admin pages say it: "daily at 07:00 (America/New_York)".
    pub fn describe(&self) -> String {
        match self {
            Cadence::Immediate => "immediately".into(),
            Cadence::Daily(d) => format!("daily at {} ({})", d.at, d.time_zone),
            Cadence::Weekly(w) => format!("every {} at {} ({})", w.day, w.at, w.time_zone),
        }
    }
}

/// `time` on `date` in `zone`, as a moment.
fn at_local(date: NaiveDate, time: NaiveTime, zone: Tz) -> DateTime<Utc> {
    let local = date.and_time(time);
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // skipped by a spring-forward: the first moment that exists after it
            let mut probe = local;
            loop {
                probe += Duration::minutes(1);
                if let Some(t) = zone.from_local_datetime(&probe).earliest() {
                    return t.with_timezone(&Utc);
                }
            }
        }
    }
}

/// A time of day, `HH:MM` (24-hour).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeOfDay(pub NaiveTime);

impl TimeOfDay {
    pub fn parse(s: &str) -> Result<TimeOfDay, String> {
        NaiveTime::parse_from_str(s.trim(), "%H:%M")
            .map(TimeOfDay)
            .map_err(|_| format!("{s:?} is not a time of day as HH:MM (24-hour)"))
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%H:%M"))
    }
}

impl utoipa::PartialSchema for TimeOfDay {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .pattern(Some("^([01][0-9]|2[0-3]):[0-5][0-9]$"))
            .description(Some("a time of day, HH:MM (24-hour)"))
            .examples(["07:00"])
            .into()
    }
}

impl utoipa::ToSchema for TimeOfDay {}

impl Serialize for TimeOfDay {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TimeOfDay {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        TimeOfDay::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// An IANA time zone, `America/New_York`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(pub Tz);

impl Zone {
    pub fn parse(s: &str) -> Result<Zone, String> {
        s.trim()
            .parse::<Tz>()
            .map(Zone)
            .map_err(|_| format!("{s:?} is not an IANA time zone such as America/New_York"))
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name())
    }
}

impl utoipa::PartialSchema for Zone {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .description(Some("an IANA time zone"))
            .examples(["America/New_York"])
            .into()
    }
}

impl utoipa::ToSchema for Zone {}

impl Serialize for Zone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.name())
    }
}

impl<'de> Deserialize<'de> for Zone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Zone::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A day of the week, `monday` … `sunday`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Day {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Day {
    pub const ALL: [Day; 7] = [
        Day::Monday,
        Day::Tuesday,
        Day::Wednesday,
        Day::Thursday,
        Day::Friday,
        Day::Saturday,
        Day::Sunday,
    ];

    pub fn weekday(self) -> chrono::Weekday {
        use chrono::Weekday as W;
        match self {
            Day::Monday => W::Mon,
            Day::Tuesday => W::Tue,
            Day::Wednesday => W::Wed,
            Day::Thursday => W::Thu,
            Day::Friday => W::Fri,
            Day::Saturday => W::Sat,
            Day::Sunday => W::Sun,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Day::Monday => "monday",
            Day::Tuesday => "tuesday",
            Day::Wednesday => "wednesday",
            Day::Thursday => "thursday",
            Day::Friday => "friday",
            Day::Saturday => "saturday",
            Day::Sunday => "sunday",
        }
    }

    pub fn parse(s: &str) -> Option<Day> {
        Day::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn daily(at: &str, zone: &str) -> Cadence {
        Cadence::Daily(Daily {
            at: TimeOfDay::parse(at).unwrap(),
            time_zone: Zone::parse(zone).unwrap(),
        })
    }

    fn weekly(day: Day, at: &str, zone: &str) -> Cadence {
        Cadence::Weekly(Weekly {
            day,
            at: TimeOfDay::parse(at).unwrap(),
            time_zone: Zone::parse(zone).unwrap(),
        })
    }

    #[test]
    fn a_daily_digest_is_at_its_time_in_its_zone() {
        let c = daily("07:00", "America/New_York");
        // 06:59 in New York (EST, UTC-5): this morning's
        assert_eq!(
            c.next_digest(utc("2026-12-01T11:59:00Z")),
            Some(utc("2026-12-01T12:00:00Z"))
        );
        // exactly at it, or after: tomorrow's
        assert_eq!(
            c.next_digest(utc("2026-12-01T12:00:00Z")),
            Some(utc("2026-12-02T12:00:00Z"))
        );
        // in summer (EDT, UTC-4)
        assert_eq!(
            c.next_digest(utc("2026-07-01T00:00:00Z")),
            Some(utc("2026-07-01T11:00:00Z"))
        );
        assert_eq!(
            Cadence::Immediate.next_digest(utc("2026-07-01T00:00:00Z")),
            None
        );
    }

    #[test]
    fn a_weekly_digest_is_on_its_day() {
        // 2026-12-01 is a Tuesday
        let c = weekly(Day::Monday, "08:30", "America/Chicago");
        assert_eq!(
            c.next_digest(utc("2026-12-01T10:00:00Z")),
            Some(utc("2026-12-07T14:30:00Z"))
        );
        let c = weekly(Day::Tuesday, "08:30", "America/Chicago");
        assert_eq!(
            c.next_digest(utc("2026-12-01T10:00:00Z")),
            Some(utc("2026-12-01T14:30:00Z")),
            "later the same day"
        );
        assert_eq!(
            c.next_digest(utc("2026-12-01T14:30:00Z")),
            Some(utc("2026-12-08T14:30:00Z")),
            "a week on"
        );
    }

    #[test]
    fn daylight_saving_neither_skips_nor_doubles_a_digest() {
        // 2026-03-08 02:30 does not exist in New York: the clocks go from 02:00 to 03:00
        let c = daily("02:30", "America/New_York");
        assert_eq!(
            c.next_digest(utc("2026-03-08T05:00:00Z")),
            Some(utc("2026-03-08T07:00:00Z")),
            "03:00 EDT, when the clocks jump"
        );
        // 2026-11-01 01:30 happens twice: the first one
        let c = daily("01:30", "America/New_York");
        let first = c.next_digest(utc("2026-11-01T04:00:00Z")).unwrap();
        assert_eq!(first, utc("2026-11-01T05:30:00Z"));
        assert_eq!(
            c.next_digest(first),
            Some(utc("2026-11-02T06:30:00Z")),
            "not again an hour later"
        );
    }

    /// The oracle: walk minute by minute until the local clock shows the time (and weekday).
    fn brute_force(c: &Cadence, after: DateTime<Utc>) -> DateTime<Utc> {
        let (at, zone, day) = match c {
            Cadence::Daily(d) => (d.at.0, d.time_zone.0, None),
            Cadence::Weekly(w) => (w.at.0, w.time_zone.0, Some(w.day.weekday())),
            Cadence::Immediate => unreachable!(),
        };
        let mut t = after
            .with_timezone(&Utc)
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc();
        loop {
            t += Duration::minutes(1);
            let local = t.with_timezone(&zone);
            if t > after && local.time() == at && day.is_none_or(|d| local.weekday() == d) {
                return t;
            }
        }
    }

    #[test]
    fn next_digest_agrees_with_a_minute_by_minute_walk() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20261201);
        let zones = [
            "America/New_York",
            "America/Los_Angeles",
            "Pacific/Honolulu",
            "UTC",
            "Asia/Kolkata",
        ];
        for _ in 0..200 {
            let zone = zones[rng.random_range(0..zones.len())];
            // times that happen once every day in these zones: not 02:xx (skipped in spring)
            // nor 01:xx (twice in autumn; covered by its own test above)
            let hour = [0u32, 5, 7, 12, 18, 23][rng.random_range(0..6)];
            let at = format!("{hour:02}:{:02}", rng.random_range(0..60u32));
            let c = if rng.random_bool(0.5) {
                daily(&at, zone)
            } else {
                weekly(Day::ALL[rng.random_range(0..7)], &at, zone)
            };
            let after =
                utc("2026-01-01T00:00:00Z") + Duration::seconds(rng.random_range(0..365 * 86_400));
            let want = brute_force(&c, after);
            assert_eq!(c.next_digest(after), Some(want), "{c:?} after {after}");
        }
    }

    #[test]
    fn the_partner_format_reads_and_writes_it() {
        let c: Cadence = serde_json::from_str(
            r#"{"weekly": {"day": "monday", "at": "07:00", "time_zone": "America/Chicago"}}"#,
        )
        .unwrap();
        assert_eq!(c, weekly(Day::Monday, "07:00", "America/Chicago"));
        assert_eq!(
            serde_json::to_value(c).unwrap(),
            serde_json::json!({"weekly": {"day": "monday", "at": "07:00", "time_zone": "America/Chicago"}})
        );
        let i: Cadence = serde_json::from_str(r#""immediate""#).unwrap();
        assert!(i.is_immediate());
        for bad in [
            r#"{"daily": {"at": "7am", "time_zone": "America/Chicago"}}"#,
            r#"{"daily": {"at": "07:00", "time_zone": "Mars/Olympus"}}"#,
            r#"{"weekly": {"day": "someday", "at": "07:00", "time_zone": "UTC"}}"#,
            r#""hourly""#,
        ] {
            assert!(serde_json::from_str::<Cadence>(bad).is_err(), "{bad}");
        }
        assert_eq!(
            weekly(Day::Friday, "16:00", "America/Denver").describe(),
            "every friday at 16:00 (America/Denver)"
        );
    }
}
