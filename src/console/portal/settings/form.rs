//! The settings form: what the partner typed, kept whole to show again, and turned into the
//! partner's new settings or every problem by field.

use std::collections::BTreeMap;

use crate::app::partner_settings;
use crate::cases::{CaseType, Lang};
use crate::partners::cadence::{Daily, Day, TimeOfDay, Weekly, Zone};
use crate::partners::{Cadence, Delivery, Partner, Webhook};
use crate::posters::Format;

/// The form as typed, kept whole to show again with its errors.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Typed {
    pub(super) channel: String,
    pub(super) emails: String,
    pub(super) url: String,
    pub(super) languages: Vec<String>,
    pub(super) formats: Vec<String>,
    pub(super) case_types: Vec<String>,
    /// `immediate`, `daily` or `weekly`, with the digest's time, weekday and time zone.
    pub(super) cadence: String,
    pub(super) at: String,
    pub(super) day: String,
    pub(super) zone: String,
}

impl Typed {
    pub(super) fn of(p: &Partner) -> Typed {
        let (channel, emails, url) = match &p.delivery {
            Delivery::Email(to) => ("email", to.join("\n"), String::new()),
            Delivery::Webhook(w) => ("webhook", String::new(), w.url.clone()),
            Delivery::Pull(_) => ("pull", String::new(), String::new()),
        };
        Typed {
            channel: channel.into(),
            emails,
            url,
            languages: p.languages.iter().map(|l| l.code().to_string()).collect(),
            formats: p.formats.iter().map(|f| f.as_str().to_string()).collect(),
            case_types: p
                .case_types
                .iter()
                .map(|t| t.as_str().to_string())
                .collect(),
            ..Typed::default()
        }
        .with_cadence(&p.cadence)
    }

    fn with_cadence(mut self, c: &Cadence) -> Typed {
        let (kind, at, day, zone) = match c {
            Cadence::Immediate => ("immediate", String::new(), String::new(), String::new()),
            Cadence::Daily(d) => (
                "daily",
                d.at.to_string(),
                String::new(),
                d.time_zone.to_string(),
            ),
            Cadence::Weekly(w) => (
                "weekly",
                w.at.to_string(),
                w.day.to_string(),
                w.time_zone.to_string(),
            ),
        };
        self.cadence = kind.into();
        self.at = at;
        self.day = day;
        self.zone = zone;
        self
    }

    pub(super) fn from_form(fields: &[(String, String)]) -> (Typed, String) {
        let mut t = Typed::default();
        let mut csrf = String::new();
        for (k, v) in fields {
            match k.as_str() {
                "csrf" => csrf = v.clone(),
                "channel" => t.channel = v.clone(),
                "emails" => t.emails = v.clone(),
                "url" => t.url = v.trim().to_string(),
                "languages" => t.languages.push(v.clone()),
                "formats" => t.formats.push(v.clone()),
                "case_types" => t.case_types.push(v.clone()),
                "cadence" => t.cadence = v.clone(),
                "at" => t.at = v.trim().to_string(),
                "day" => t.day = v.clone(),
                "zone" => t.zone = v.trim().to_string(),
                _ => {}
            }
        }
        (t, csrf)
    }
}

pub(super) type Errors = BTreeMap<&'static str, String>;

/// The partner `current` with the typed settings, or every error by form field. A partner that
/// switches to webhooks gets a fresh secret, returned to show once.
pub(super) fn apply(
    current: &Partner,
    t: &Typed,
    private_targets: &[ipnet::IpNet],
) -> Result<(Partner, Option<String>), Errors> {
    let mut errors = Errors::new();
    let mut new_secret = None;
    let delivery = match t.channel.as_str() {
        "email" => {
            let to: Vec<String> = t
                .emails
                .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
            Some(Delivery::Email(to))
        }
        "webhook" => Some(match &current.delivery {
            Delivery::Webhook(w) => Delivery::Webhook(Webhook {
                url: t.url.clone(),
                ..w.clone()
            }),
            _ => {
                let secret = partner_settings::new_secret();
                new_secret = Some(secret.expose().to_string());
                Delivery::Webhook(Webhook {
                    url: t.url.clone(),
                    secret,
                    previous_secret: None,
                    previous_secret_expires: None,
                })
            }
        }),
        "pull" => Some(Delivery::Pull(true)),
        _ => {
            errors.insert("channel", "Choose how you take posters.".into());
            None
        }
    };
    let languages: Vec<Lang> = t.languages.iter().filter_map(|l| Lang::parse(l)).collect();
    let formats: Vec<Format> = t.formats.iter().filter_map(|f| Format::parse(f)).collect();
    let case_types: Vec<CaseType> = CaseType::ALL
        .into_iter()
        .filter(|c| t.case_types.iter().any(|t| t == c.as_str()))
        .collect();
    for (field, empty, what) in [
        ("languages", languages.is_empty(), "language"),
        ("formats", formats.is_empty(), "format"),
        ("case_types", case_types.is_empty(), "case type"),
    ] {
        if empty {
            errors.insert(field, format!("Choose at least one {what}."));
        }
    }
    let cadence = cadence(t, &mut errors);
    let partner = Partner {
        delivery: delivery.unwrap_or_else(|| current.delivery.clone()),
        languages,
        formats,
        case_types,
        cadence: cadence.unwrap_or(current.cadence),
        ..current.clone()
    };
    // the partner format's own checks, with their field names mapped to the form's
    if let Err((field, reason)) = crate::partners::check::check_partner(&partner, private_targets) {
        errors
            .entry(field_of(&field))
            .or_insert_with(|| sentence(&reason));
    }
    if errors.is_empty() {
        Ok((partner, new_secret))
    } else {
        Err(errors)
    }
}

/// The cadence typed, or `None` with each wrong part in `errors`.
fn cadence(t: &Typed, errors: &mut Errors) -> Option<Cadence> {
    match t.cadence.as_str() {
        "immediate" => return Some(Cadence::Immediate),
        // not sent (no radio chosen): left as it is
        "" => return None,
        _ => {}
    }
    if t.cadence != "daily" && t.cadence != "weekly" {
        errors.insert("cadence", "Choose how often you take new posters.".into());
        return None;
    }
    let at = TimeOfDay::parse(&t.at)
        .map_err(|_| errors.insert("at", "Give the time as HH:MM, such as 07:00.".into()))
        .ok();
    let zone = Zone::parse(&t.zone)
        .map_err(|_| {
            errors.insert(
                "zone",
                "Give a time zone such as America/New_York or America/Chicago.".into(),
            )
        })
        .ok();
    let day = match t.cadence.as_str() {
        "weekly" => Some(
            Day::parse(&t.day)
                .ok_or_else(|| errors.insert("day", "Choose the day of the week.".into()))
                .ok()?,
        ),
        _ => None,
    };
    let (at, time_zone) = (at?, zone?);
    Some(match day {
        Some(day) => Cadence::Weekly(Weekly { day, at, time_zone }),
        None => Cadence::Daily(Daily { at, time_zone }),
    })
}

/// The form field a partner-format field is typed in.
pub(super) fn field_of(format_field: &str) -> &'static str {
    match format_field {
        f if f.starts_with("delivery.email") => "emails",
        f if f.starts_with("delivery.webhook") => "url",
        "languages" => "languages",
        "formats" => "formats",
        _ => "channel",
    }
}

pub(super) fn sentence(reason: &str) -> String {
    let mut s = reason.to_string();
    if let Some(first) = s.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    if !s.ends_with('.') {
        s.push('.');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partners::{PartnerId, PartnerKind};

    fn partner() -> Partner {
        Partner {
            id: PartnerId::parse("sample-retail").unwrap(),
            name: "SAMPLE Retail".into(),
            kind: PartnerKind::Retail,
            delivery: Delivery::Email(vec!["posters@retail.example".into()]),
            per_location: false,
            formats: vec![Format::Letter],
            languages: vec![Lang::En],
            case_types: CaseType::ALL.to_vec(),
            daily_cap: None,
            active: true,
            cadence: Cadence::Immediate,
        }
    }

    #[test]
    fn the_form_round_trips_the_partner_it_shows() {
        let p = partner();
        let t = Typed::of(&p);
        let (back, secret) = apply(&p, &t, &[]).unwrap();
        assert_eq!(back, p);
        assert!(secret.is_none());
    }

    #[test]
    fn each_bad_value_is_named_by_its_field() {
        let p = partner();
        let t = Typed {
            channel: "email".into(),
            emails: "not-an-address".into(),
            languages: vec![],
            case_types: vec![],
            ..Typed::of(&p)
        };
        let errors = apply(&p, &t, &[]).unwrap_err();
        assert!(errors.contains_key("emails"), "{errors:?}");
        assert!(errors.contains_key("case_types"), "{errors:?}");
        let t = Typed {
            channel: "webhook".into(),
            url: "ftp://example.org".into(),
            ..Typed::of(&p)
        };
        let errors = apply(&p, &t, &[]).unwrap_err();
        assert_eq!(errors.keys().copied().collect::<Vec<&str>>(), ["url"]);
    }

    #[test]
    fn switching_to_a_webhook_makes_a_secret_and_keeps_it_after() {
        let p = partner();
        let t = Typed {
            channel: "webhook".into(),
            url: "https://hooks.example.org/lookout".into(),
            ..Typed::of(&p)
        };
        let (hooked, secret) = apply(&p, &t, &[]).unwrap();
        let secret = secret.expect("a new webhook gets a secret");
        let Delivery::Webhook(w) = &hooked.delivery else {
            panic!("{:?}", hooked.delivery)
        };
        assert_eq!(w.secret.expose(), secret);
        // saving again keeps that secret
        let (again, none) = apply(&hooked, &Typed::of(&hooked), &[]).unwrap();
        assert_eq!(again, hooked);
        assert!(none.is_none());
    }

    #[test]
    fn a_digest_needs_its_time_zone_and_day() {
        let p = partner();
        let weekly = Typed {
            cadence: "weekly".into(),
            at: "7am".into(),
            day: "".into(),
            zone: "Mars/Olympus".into(),
            ..Typed::of(&p)
        };
        let errors = apply(&p, &weekly, &[]).unwrap_err();
        assert_eq!(
            errors.keys().copied().collect::<Vec<&str>>(),
            ["at", "day", "zone"]
        );
        let good = Typed {
            at: "07:30".into(),
            day: "friday".into(),
            zone: "America/Chicago".into(),
            ..weekly
        };
        let (q, _) = apply(&p, &good, &[]).unwrap();
        assert_eq!(
            q.cadence.describe(),
            "every friday at 07:30 (America/Chicago)"
        );
        assert_eq!(Typed::of(&q).cadence, "weekly", "shown again as saved");
    }

    #[test]
    fn addresses_may_be_split_by_lines_commas_or_spaces() {
        let p = partner();
        let t = Typed {
            emails: "a@x.example,\nb@x.example; c@x.example ".into(),
            ..Typed::of(&p)
        };
        let (q, _) = apply(&p, &t, &[]).unwrap();
        assert_eq!(
            q.delivery,
            Delivery::Email(vec![
                "a@x.example".into(),
                "b@x.example".into(),
                "c@x.example".into()
            ])
        );
    }
}
