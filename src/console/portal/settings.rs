//! Delivery settings: how the partner takes posters (email, webhook or its own fetching), what it
//! wants (languages, formats, case types), a signed test message to its webhook with the answer
//! shown, and a new signing secret while the old one keeps signing for a grace period.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Form;
use axum::extract::{Extension, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

use crate::app::AppState;
use crate::app::partner_settings::{self, PingReport, SettingsError};
use crate::cases::{CaseType, Lang};
use crate::console::session::PartnerViewer;
use crate::console::{Console, ConsoleError};
use crate::partners::cadence::{Daily, Day, TimeOfDay, Weekly, Zone};
use crate::partners::{Cadence, Delivery, Partner, Webhook};
use crate::posters::Format;

/// The form as typed, kept whole to show again with its errors.
#[derive(Debug, Clone, Default, PartialEq)]
struct Typed {
    channel: String,
    emails: String,
    url: String,
    languages: Vec<String>,
    formats: Vec<String>,
    case_types: Vec<String>,
    /// `immediate`, `daily` or `weekly`, with the digest's time, weekday and time zone.
    cadence: String,
    at: String,
    day: String,
    zone: String,
}

impl Typed {
    fn of(p: &Partner) -> Typed {
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

    fn from_form(fields: &[(String, String)]) -> (Typed, String) {
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

type Errors = BTreeMap<&'static str, String>;

/// The partner `current` with the typed settings, or every error by form field. A partner that
/// switches to webhooks gets a fresh secret, returned to show once.
fn apply(
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
fn field_of(format_field: &str) -> &'static str {
    match format_field {
        f if f.starts_with("delivery.email") => "emails",
        f if f.starts_with("delivery.webhook") => "url",
        "languages" => "languages",
        "formats" => "formats",
        _ => "channel",
    }
}

fn sentence(reason: &str) -> String {
    let mut s = reason.to_string();
    if let Some(first) = s.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    if !s.ends_with('.') {
        s.push('.');
    }
    s
}

/// What the page says beside the form.
#[derive(Default)]
struct Outcome {
    saved: bool,
    errors: Errors,
    new_secret: Option<String>,
    grace_until: Option<String>,
    ping: Option<PingReport>,
}

async fn page(
    app: &AppState,
    console: &Console,
    viewer: &PartnerViewer,
    typed: Option<Typed>,
    outcome: Outcome,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let p = stored(app, viewer).await?;
    let v = typed.unwrap_or_else(|| Typed::of(&p));
    let rotating = match &p.delivery {
        Delivery::Webhook(w) => w
            .previous_secret
            .as_ref()
            .and(w.previous_secret_expires)
            .filter(|end| *end > app.distributor.clock().now())
            .map(|end| end.format("%Y-%m-%d %H:%M UTC").to_string()),
        _ => None,
    };
    let secret_hint = match &p.delivery {
        Delivery::Webhook(w) => Some(masked(w.secret.expose())),
        _ => None,
    };
    let ping = outcome.ping.as_ref().map(|r| {
        let (answer, error) = match &r.answer {
            Ok(a) => (
                Some(context! {
                    status => a.status, reason => &a.reason, body => &a.body,
                    delivered => a.outcome.is_delivered(), error => a.outcome.error(),
                }),
                None,
            ),
            Err(e) => (None, Some(e.as_str())),
        };
        context! {
            id => &r.message_id, url => &r.url, ms => r.latency_ms as u64,
            delivered => r.delivered(), answer => answer, error => error,
        }
    });
    let choices = |all: Vec<(&'static str, String)>, chosen: &[String]| -> Vec<minijinja::Value> {
        all.into_iter()
            .map(|(value, label)| {
                context! { value => value, label => label, on => chosen.iter().any(|c| c == value) }
            })
            .collect()
    };
    let html = console.pages.render(
        "portal_settings.html",
        context! {
            user => viewer.view(), csrf => &viewer.csrf, partner => &p.name,
            current_channel => channel_of(&p.delivery),
            v => context! {
                channel => &v.channel, emails => &v.emails, url => &v.url, cadence => &v.cadence,
                at => &v.at, day => &v.day, zone => &v.zone,
            },
            days => Day::ALL.iter().map(|d| d.as_str()).collect::<Vec<_>>(),
            zones => US_ZONES, cadence_now => p.cadence.describe(),
            languages => choices(Lang::ALL.iter().map(|l| (l.code(), lang_name(*l).to_string())).collect(), &v.languages),
            formats => choices(Format::ALL.iter().map(|f| (f.as_str(), format_name(*f))).collect(), &v.formats),
            case_types => choices(CaseType::ALL.iter().map(|t| (t.as_str(), crate::console::cases::type_label(t.as_str()))).collect(), &v.case_types),
            e => &outcome.errors, saved => outcome.saved,
            new_secret => outcome.new_secret, grace_until => outcome.grace_until,
            rotating => rotating, secret_hint => secret_hint, ping => ping,
        },
    )?;
    Ok((status, html).into_response())
}

/// The partner as stored now: settings are shown and changed from the database, never from an
/// index another instance may not have rebuilt yet.
async fn stored(app: &AppState, viewer: &PartnerViewer) -> Result<Partner, ConsoleError> {
    app.store
        .partner(&viewer.partner)
        .await?
        .map(|r| r.partner)
        .ok_or(ConsoleError::NotFound)
}

/// The time zones offered first; any IANA zone may be typed.
const US_ZONES: [&str; 7] = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
];

fn channel_of(d: &Delivery) -> &'static str {
    match d {
        Delivery::Email(_) => "email",
        Delivery::Webhook(_) => "webhook",
        Delivery::Pull(_) => "pull",
    }
}

fn lang_name(l: Lang) -> &'static str {
    match l {
        Lang::En => "English",
        Lang::Es => "Spanish",
    }
}

fn format_name(f: Format) -> String {
    let kind = if f.is_print() { "PDF" } else { "image" };
    format!("{} ({kind})", f.as_str())
}

/// A secret as the page shows it: its start, never the whole key.
fn masked(secret: &str) -> String {
    let start: String = secret.chars().take(10).collect();
    format!("{start}…")
}

#[derive(Deserialize, Default)]
pub struct Saved {
    #[serde(default)]
    saved: String,
}

pub async fn form(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: PartnerViewer,
    Query(q): Query<Saved>,
) -> Result<Response, ConsoleError> {
    let outcome = Outcome {
        saved: !q.saved.is_empty(),
        ..Outcome::default()
    };
    page(&app, &console, &viewer, None, outcome, StatusCode::OK).await
}

pub async fn save(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: PartnerViewer,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ConsoleError> {
    let (typed, csrf) = Typed::from_form(&fields);
    viewer.check(&csrf)?;
    let current = stored(&app, &viewer).await?;
    let (partner, new_secret) = match apply(&current, &typed, &app.settings.private_targets) {
        Ok(ok) => ok,
        Err(errors) => {
            let outcome = Outcome {
                errors,
                ..Outcome::default()
            };
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return page(&app, &console, &viewer, Some(typed), outcome, status).await;
        }
    };
    match partner_settings::save(&app, &partner, &viewer.actor()).await {
        Ok(()) => {}
        Err(SettingsError::Invalid { field, reason }) => {
            let mut errors = Errors::new();
            errors.insert(field_of(&field), sentence(&reason));
            let outcome = Outcome {
                errors,
                ..Outcome::default()
            };
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return page(&app, &console, &viewer, Some(typed), outcome, status).await;
        }
        Err(e) => return Err(settings_error(e)),
    }
    if new_secret.is_none() {
        return Ok(Redirect::to("/portal/settings?saved=1").into_response());
    }
    // a new webhook's secret is shown this once
    let outcome = Outcome {
        saved: true,
        new_secret,
        ..Outcome::default()
    };
    page(&app, &console, &viewer, None, outcome, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct Confirm {
    #[serde(default)]
    csrf: String,
}

/// Send a signed `ping` to my webhook and show what it answered.
pub async fn ping(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: PartnerViewer,
    Form(f): Form<Confirm>,
) -> Result<Response, ConsoleError> {
    viewer.check(&f.csrf)?;
    let partner = stored(&app, &viewer).await?;
    let report = partner_settings::ping(&app, &partner, &viewer.actor())
        .await
        .map_err(settings_error)?;
    let outcome = Outcome {
        ping: Some(report),
        ..Outcome::default()
    };
    page(&app, &console, &viewer, None, outcome, StatusCode::OK).await
}

/// A new signing secret; the old one keeps signing until the grace period ends.
pub async fn rotate(
    State(app): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    viewer: PartnerViewer,
    Form(f): Form<Confirm>,
) -> Result<Response, ConsoleError> {
    viewer.check(&f.csrf)?;
    let (secret, until) = partner_settings::rotate_secret(&app, &viewer.partner, &viewer.actor())
        .await
        .map_err(settings_error)?;
    let outcome = Outcome {
        new_secret: Some(secret.expose().to_string()),
        grace_until: Some(until.format("%Y-%m-%d %H:%M UTC").to_string()),
        ..Outcome::default()
    };
    page(&app, &console, &viewer, None, outcome, StatusCode::OK).await
}

/// A settings action that cannot apply (no webhook to test or rotate) is a page that is not
/// there; anything else is the service's fault.
fn settings_error(e: SettingsError) -> ConsoleError {
    match e {
        SettingsError::NotFound | SettingsError::NoWebhook => ConsoleError::NotFound,
        SettingsError::Store(e) => ConsoleError::Store(e),
        SettingsError::Invalid { .. } => ConsoleError::Internal(e.to_string()),
    }
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
