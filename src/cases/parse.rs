use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate};

use super::dates::MissingSince;
use super::lang::Lang;
use super::model::*;

/// One thing wrong with one field, named by its path in the document (`children[0].date_of_birth`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.reason)
        } else {
            write!(f, "{}: {}", self.field, self.reason)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// The document is not JSON of the case's shape; the first problem found.
    #[error("{0}")]
    Malformed(FieldError),
    /// The document has the right shape but values break the format; every problem found.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<FieldError>),
}

impl CaseError {
    pub fn fields(&self) -> Vec<FieldError> {
        match self {
            CaseError::Malformed(e) => vec![e.clone()],
            CaseError::Invalid(v) => v.clone(),
        }
    }

    /// The first field at fault, for APIs that name one.
    pub fn first(&self) -> FieldError {
        match self {
            CaseError::Malformed(e) => e.clone(),
            CaseError::Invalid(v) => v
                .first()
                .cloned()
                .unwrap_or_else(|| FieldError::new("", "invalid case")),
        }
    }
}

/// The project's bounds where the format names none; posters are laid out to fit these.
pub mod limits {
    pub const CASE_NUMBER: usize = 32;
    pub const NAME: usize = 80;
    pub const ALIASES: usize = 4;
    pub const SHORT_TEXT: usize = 40; // race, hair, eyes, relation, city, region
    pub const LONG_TEXT: usize = 200; // marks, clothing
    pub const CIRCUMSTANCES: usize = 1200;
    pub const CAPTION: usize = 80;
    pub const AGENCY: usize = 100;
    pub const PHONE: usize = 32;
    pub const DESTINATIONS: usize = 8;
    pub const LABEL: usize = 80;
}

/// Parse and check a case document. `today` is the date "never in the future" is judged by.
pub fn parse_case(json: &[u8], today: NaiveDate) -> Result<Case, CaseError> {
    let de = &mut serde_json::Deserializer::from_slice(json);
    let case: Case = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        CaseError::Malformed(serde_problem(&path, &e.inner().to_string()))
    })?;
    validate_case(&case, today)?;
    Ok(case)
}

/// Turn serde's wording into `field: reason`, moving a named missing or unknown field into the path.
fn serde_problem(path: &str, message: &str) -> FieldError {
    let path = if path == "." { "" } else { path };
    let message = message.split(" at line ").next().unwrap_or(message);
    let join = |name: &str| {
        // serde_path_to_error already ends the path with an unknown field's name
        if path == name || path.ends_with(&format!(".{name}")) {
            path.to_string()
        } else if path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        }
    };
    for (prefix, reason) in [
        ("missing field `", "required"),
        ("unknown field `", "unknown field"),
    ] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some(name) = rest.split('`').next()
        {
            return FieldError::new(join(name), reason);
        }
    }
    let field = if path.is_empty() { "body" } else { path };
    FieldError::new(field, message)
}

/// Check the values of an already-shaped case. Every problem is reported, not just the first.
pub fn validate_case(case: &Case, today: NaiveDate) -> Result<(), CaseError> {
    let mut v = Checker::default();
    v.text(
        "case_number",
        Some(&case.case_number),
        limits::CASE_NUMBER,
        true,
    );
    if case.missing_since.local_date() > today {
        v.fail("missing_since", "is in the future");
    }
    v.place("missing_from", &case.missing_from);
    v.text(
        "circumstances",
        case.circumstances.as_deref(),
        limits::CIRCUMSTANCES,
        false,
    );
    v.count("children", case.children.len(), 1, 3);
    for (i, child) in case.children.iter().enumerate() {
        v.person(&format!("children[{i}]"), child, today);
    }
    v.count("companions", case.companions.len(), 0, 2);
    for (i, c) in case.companions.iter().enumerate() {
        v.companion(&format!("companions[{i}]"), c, today);
    }
    v.count(
        "destinations",
        case.destinations.len(),
        0,
        limits::DESTINATIONS,
    );
    for (i, p) in case.destinations.iter().enumerate() {
        v.place(&format!("destinations[{i}]"), p);
    }
    v.text(
        "contact.agency",
        Some(&case.contact.agency),
        limits::AGENCY,
        true,
    );
    v.text(
        "contact.phone",
        Some(&case.contact.phone),
        limits::PHONE,
        true,
    );
    v.text(
        "contact.region",
        case.contact.region.as_deref(),
        limits::SHORT_TEXT,
        false,
    );
    if let Some(email) = &case.contact.email
        && email.parse::<lettre::Address>().is_err()
    {
        v.fail(
            "contact.email",
            "an email address, such as tips@agency.example",
        );
    }
    v.count("languages", case.languages.len(), 1, Lang::ALL.len());
    for (i, l) in case.languages.iter().enumerate() {
        if case.languages[..i].contains(l) {
            v.fail(format!("languages[{i}]"), "listed twice");
        }
    }
    v.finish()
}

#[derive(Default)]
struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    fn fail(&mut self, field: impl Into<String>, reason: impl Into<String>) {
        self.errors.push(FieldError::new(field, reason));
    }

    fn finish(self) -> Result<(), CaseError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(CaseError::Invalid(self.errors))
        }
    }

    fn text(&mut self, field: &str, value: Option<&str>, max: usize, required: bool) {
        match value {
            None if required => self.fail(field, "required"),
            None => {}
            Some(s) if s.trim().is_empty() && required => self.fail(field, "must not be empty"),
            Some(s) if s.chars().count() > max => {
                self.fail(field, format!("longer than {max} characters"))
            }
            Some(s) if s.chars().any(|c| c.is_control() && c != '\n') => {
                self.fail(field, "contains control characters")
            }
            Some(_) => {}
        }
    }

    fn count(&mut self, field: &str, n: usize, min: usize, max: usize) {
        if n < min || n > max {
            let reason = if min == max {
                format!("must have {min} entries")
            } else if min == 0 {
                format!("at most {max} entries")
            } else {
                format!("must have {min} to {max} entries")
            };
            self.fail(field, reason);
        }
    }

    fn number(&mut self, field: &str, value: Option<f64>, min: f64, max: f64) {
        if let Some(x) = value
            && !(x.is_finite() && x >= min && x <= max)
        {
            self.fail(field, format!("must be between {min} and {max}"));
        }
    }

    fn place(&mut self, field: &str, p: &Place) {
        if !(p.lat.is_finite() && (-90.0..=90.0).contains(&p.lat)) {
            self.fail(format!("{field}.lat"), "must be between -90 and 90");
        }
        if !(p.lon.is_finite() && (-180.0..=180.0).contains(&p.lon)) {
            self.fail(format!("{field}.lon"), "must be between -180 and 180");
        }
        for (name, value) in [
            ("city", &p.city),
            ("region", &p.region),
            ("country", &p.country),
        ] {
            self.text(
                &format!("{field}.{name}"),
                value.as_deref(),
                limits::SHORT_TEXT,
                false,
            );
        }
        self.text(
            &format!("{field}.label"),
            p.label.as_deref(),
            limits::LABEL,
            false,
        );
    }

    fn born(&mut self, field: &str, born: NaiveDate, today: NaiveDate) {
        if born > today {
            self.fail(field, "is in the future");
        } else if born < NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid date") {
            self.fail(field, "is before 1900");
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn description(
        &mut self,
        path: &str,
        name: &str,
        aliases: &[String],
        height_cm: Option<f64>,
        weight_kg: Option<f64>,
        short: [(&str, &Option<String>); 3],
        long: [(&str, &Option<String>); 2],
    ) {
        self.text(&format!("{path}.name"), Some(name), limits::NAME, true);
        self.count(
            &format!("{path}.aliases"),
            aliases.len(),
            0,
            limits::ALIASES,
        );
        for (i, a) in aliases.iter().enumerate() {
            self.text(&format!("{path}.aliases[{i}]"), Some(a), limits::NAME, true);
        }
        self.number(&format!("{path}.height_cm"), height_cm, 20.0, 250.0);
        self.number(&format!("{path}.weight_kg"), weight_kg, 0.5, 400.0);
        for (f, v) in short {
            self.text(
                &format!("{path}.{f}"),
                v.as_deref(),
                limits::SHORT_TEXT,
                false,
            );
        }
        for (f, v) in long {
            self.text(
                &format!("{path}.{f}"),
                v.as_deref(),
                limits::LONG_TEXT,
                false,
            );
        }
    }

    fn person(&mut self, path: &str, p: &Person, today: NaiveDate) {
        self.description(
            path,
            &p.name,
            &p.aliases,
            p.height_cm,
            p.weight_kg,
            [("race", &p.race), ("hair", &p.hair), ("eyes", &p.eyes)],
            [("marks", &p.marks), ("clothing", &p.clothing)],
        );
        self.born(&format!("{path}.date_of_birth"), p.date_of_birth.0, today);
        self.count(&format!("{path}.photos"), p.photos.len(), 1, 2);
        self.photos(path, &p.photos);
    }

    fn companion(&mut self, path: &str, c: &Companion, today: NaiveDate) {
        self.description(
            path,
            &c.name,
            &c.aliases,
            c.height_cm,
            c.weight_kg,
            [("race", &c.race), ("hair", &c.hair), ("eyes", &c.eyes)],
            [("marks", &c.marks), ("clothing", &c.clothing)],
        );
        self.text(
            &format!("{path}.relation"),
            c.relation.as_deref(),
            limits::SHORT_TEXT,
            false,
        );
        if let Some(d) = c.date_of_birth {
            self.born(&format!("{path}.date_of_birth"), d.0, today);
        }
        self.count(&format!("{path}.photos"), c.photos.len(), 0, 2);
        self.photos(path, &c.photos);
        if let Some(v) = &c.vehicle {
            if let Some(y) = v.year
                && !(1900..=2100).contains(&y)
            {
                self.fail(
                    format!("{path}.vehicle.year"),
                    "must be between 1900 and 2100",
                );
            }
            for (f, val) in [
                ("make", &v.make),
                ("model", &v.model),
                ("color", &v.color),
                ("plate", &v.plate),
                ("plate_region", &v.plate_region),
            ] {
                self.text(
                    &format!("{path}.vehicle.{f}"),
                    val.as_deref(),
                    limits::SHORT_TEXT,
                    false,
                );
            }
        }
    }

    fn photos(&mut self, path: &str, photos: &[Photo]) {
        for (j, ph) in photos.iter().enumerate() {
            let at = format!("{path}.photos[{j}]");
            match &ph.source {
                PhotoSource::File(f) => self.text(&format!("{at}.file"), Some(f), 4096, true),
                PhotoSource::Id(id) => self.text(&format!("{at}.photo_id"), Some(id), 128, true),
            }
            if let Some(age) = ph.age_progressed_to
                && !(1..=99).contains(&age)
            {
                self.fail(
                    format!("{at}.age_progressed_to"),
                    "must be between 1 and 99",
                );
            }
            self.text(&format!("{at}.taken"), ph.taken.as_deref(), 20, false);
            self.text(
                &format!("{at}.caption"),
                ph.caption.as_deref(),
                limits::CAPTION,
                false,
            );
        }
    }
}

/// Parse an RFC 3339 instant or a bare date (taken as midnight UTC), for `--at` style options.
pub fn parse_instant(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s).ok().or_else(|| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .map(|d| MissingSince::Day(d).instant())
    })
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
