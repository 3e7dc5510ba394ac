//! Tips: what a member of the public saw, sent from a case's public page. Telling what you saw takes
//! a minute: what, where, how long ago; contact details and a photo if the sender wishes. A sighting
//! within the last hour is urgent.
//!
//! Pure: the form's values in, a checked tip (or every problem, by field) out.

use serde::Serialize;

/// How long ago the sender saw what they describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeenWhen {
    WithinHour,
    Today,
    Yesterday,
    Earlier,
}

impl SeenWhen {
    pub const ALL: [SeenWhen; 4] = [
        SeenWhen::WithinHour,
        SeenWhen::Today,
        SeenWhen::Yesterday,
        SeenWhen::Earlier,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SeenWhen::WithinHour => "within_hour",
            SeenWhen::Today => "today",
            SeenWhen::Yesterday => "yesterday",
            SeenWhen::Earlier => "earlier",
        }
    }

    pub fn parse(s: &str) -> Option<SeenWhen> {
        SeenWhen::ALL.into_iter().find(|w| w.as_str() == s)
    }

    /// A sighting within the last hour: the case managers are told at once.
    pub fn urgent(self) -> bool {
        self == SeenWhen::WithinHour
    }
}

/// Where a tip stands with the case managers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TipState {
    New,
    Reviewed,
    Forwarded,
    Dismissed,
}

impl TipState {
    pub const ALL: [TipState; 4] = [
        TipState::New,
        TipState::Reviewed,
        TipState::Forwarded,
        TipState::Dismissed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TipState::New => "new",
            TipState::Reviewed => "reviewed",
            TipState::Forwarded => "forwarded",
            TipState::Dismissed => "dismissed",
        }
    }

    pub fn parse(s: &str) -> Option<TipState> {
        TipState::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// The form as sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TipForm {
    pub what: String,
    #[serde(rename = "where")]
    pub place: String,
    pub when: String,
    /// A time the sender typed, as they typed it ("about 3:15 pm").
    pub time: String,
    pub name: String,
    pub phone: String,
    pub email: String,
}

/// A checked tip, ready to keep.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTip {
    pub what: String,
    pub place: String,
    pub when: SeenWhen,
    pub time: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// The longest each field may be, in characters.
pub mod limits {
    pub const WHAT: usize = 4000;
    pub const PLACE: usize = 1000;
    pub const TIME: usize = 100;
    pub const NAME: usize = 200;
    pub const PHONE: usize = 40;
    pub const EMAIL: usize = 254;
    /// A photo, in bytes: a phone's full-size picture fits.
    pub const PHOTO: usize = 15_000_000;
}

/// A problem with one field: its form name and what is wrong, said in the sender's language by
/// the page.
pub type Problem = (&'static str, Issue);

/// What is wrong with a field of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issue {
    /// A field the tip needs was left empty.
    Required,
    /// Longer than this many characters.
    TooLong(usize),
    /// Holds control characters.
    Unreadable,
    /// "How long ago" not chosen.
    NoWhen,
    NotAnEmail,
    NotAPhone,
    NotAPhoto,
    PhotoTooLarge,
}

fn optional(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

impl TipForm {
    /// The tip, or every problem by field.
    pub fn check(&self) -> Result<NewTip, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut text = |field: &'static str, value: &str, max: usize, required: bool| {
            let t = value.trim();
            if t.is_empty() {
                if required {
                    problems.push((field, Issue::Required));
                }
            } else if t.chars().count() > max {
                problems.push((field, Issue::TooLong(max)));
            } else if t
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
            {
                problems.push((field, Issue::Unreadable));
            }
        };
        text("what", &self.what, limits::WHAT, true);
        text("where", &self.place, limits::PLACE, true);
        text("time", &self.time, limits::TIME, false);
        text("name", &self.name, limits::NAME, false);
        text("phone", &self.phone, limits::PHONE, false);
        text("email", &self.email, limits::EMAIL, false);
        let when = SeenWhen::parse(&self.when);
        if when.is_none() {
            problems.push(("when", Issue::NoWhen));
        }
        let email = optional(&self.email);
        if let Some(e) = &email
            && !looks_like_email(e)
        {
            problems.push(("email", Issue::NotAnEmail));
        }
        let phone = optional(&self.phone);
        if let Some(p) = &phone
            && p.chars().filter(char::is_ascii_digit).count() < 5
        {
            problems.push(("phone", Issue::NotAPhone));
        }
        match (problems.is_empty(), when) {
            (true, Some(when)) => Ok(NewTip {
                what: self.what.trim().to_string(),
                place: self.place.trim().to_string(),
                when,
                time: optional(&self.time),
                name: optional(&self.name),
                phone,
                email,
            }),
            _ => Err(problems),
        }
    }
}

fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && domain.contains('.') && !s.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// What kind of picture `bytes` is, by its first bytes: JPEG, PNG, WebP, HEIC or GIF. Anything else
/// is refused: a tip's photo is kept exactly as sent, so it must at least be a picture.
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.len() >= 12
        && &bytes[4..8] == b"ftyp"
        && [&b"heic"[..], b"heix", b"mif1", b"heif"].contains(&&bytes[8..12])
    {
        Some("image/heic")
    } else if bytes.starts_with(b"GIF8") {
        Some("image/gif")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> TipForm {
        TipForm {
            what: "A girl like the one on the poster, in a red coat".into(),
            place: "Bus stop on King St".into(),
            when: "within_hour".into(),
            ..TipForm::default()
        }
    }

    #[test]
    fn a_sighting_takes_what_where_and_when() {
        let tip = form().check().unwrap();
        assert!(tip.when.urgent());
        assert_eq!(tip.name, None);
        let empty = TipForm::default().check().unwrap_err();
        let fields: Vec<&str> = empty.iter().map(|p| p.0).collect();
        assert_eq!(fields, ["what", "where", "when"]);
    }

    #[test]
    fn every_bad_value_is_named() {
        let bad = TipForm {
            what: "x".repeat(limits::WHAT + 1),
            email: "not an address".into(),
            phone: "call me".into(),
            when: "last century".into(),
            ..form()
        };
        let fields: Vec<&str> = bad.check().unwrap_err().iter().map(|p| p.0).collect();
        assert_eq!(fields, ["what", "when", "email", "phone"]);
    }

    #[test]
    fn only_pictures_are_photos() {
        assert_eq!(image_type(&[0xFF, 0xD8, 0xFF, 0xE1]), Some("image/jpeg"));
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(image_type(b"\0\0\0\x18ftypheic...."), Some("image/heic"));
        assert_eq!(image_type(b"%PDF-1.7"), None);
        assert_eq!(image_type(b"MZ\x90\0"), None);
        assert_eq!(image_type(b""), None);
    }
}
