//! Delivery settings: how the partner takes posters (email, webhook or its own fetching), what it
//! wants (languages, formats, case types), a signed test message to its webhook with the answer
//! shown, and a new signing secret while the old one keeps signing for a grace period.

mod form;

use std::sync::Arc;

use axum::Form;
use axum::extract::{Extension, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

use self::form::{Errors, Typed, apply, field_of, sentence};
use crate::app::AppState;
use crate::app::partner_settings::{self, PingReport, SettingsError};
use crate::cases::{CaseType, Lang};
use crate::console::session::PartnerViewer;
use crate::console::{Console, ConsoleError};
use crate::partners::cadence::Day;
use crate::partners::{Delivery, Partner};
use crate::posters::Format;

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
            languages => choices(Lang::ALL.iter().map(|l| (l.code(), l.english_name().to_string())).collect(), &v.languages),
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

fn format_name(f: Format) -> String {
    let kind = if f.is_print() { "PDF" } else { "image" };
    format!("{} ({} {kind})", f.as_str(), f.size())
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
