//! A partner changing how it takes posters, from its portal: its channel and addresses, what it
//! wants, a test message to its webhook, and a new signing secret with a grace period. Every change
//! is checked as the admin API checks it, stored, audited, and seen by targeting at once.

use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::AppState;
use crate::config::Secret;
use crate::dispatch::SendOutcome;
use crate::dispatch::payload::PingPayload;
use crate::dispatch::webhook::{Answer, WebhookSecret};
use crate::partners::{Delivery, Partner, PartnerId, Webhook};
use crate::store::outbox::new_delivery_id;
use crate::store::{Actor, AuditEvent, StoreError};

/// How long the secret replaced by a rotation keeps signing beside the new one: a day for the
/// partner's IT to deploy the new one, with both accepted meanwhile.
pub const SECRET_GRACE: chrono::Duration = chrono::Duration::hours(24);

/// How long a test message may take.
const PING_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A value the partner format refuses, named by its field there.
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    #[error("the partner is not registered")]
    NotFound,
    #[error("the partner does not take posters by webhook")]
    NoWebhook,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Store `partner` as its new settings, after the checks the admin API makes.
pub async fn save(app: &AppState, partner: &Partner, actor: &Actor) -> Result<(), SettingsError> {
    crate::partners::check::check_partner(partner, &app.settings.private_targets)
        .map_err(|(field, reason)| SettingsError::Invalid { field, reason })?;
    app.store.update_partner(partner, actor).await?;
    app.targeting.changed(&app.store).await;
    tracing::info!(partner_id = %partner.id, "partner settings changed");
    Ok(())
}

/// A fresh signing secret in `whsec_` form.
pub fn new_secret() -> Secret {
    Secret::new(WebhookSecret::generate(&mut rand::rng()))
}

/// Give partner `id` a new webhook secret; the old one signs beside it until the returned time.
/// Returns the new secret, to show the partner once.
pub async fn rotate_secret(
    app: &AppState,
    id: &PartnerId,
    actor: &Actor,
) -> Result<(Secret, DateTime<Utc>), SettingsError> {
    let record = app
        .store
        .partner(id)
        .await?
        .ok_or(SettingsError::NotFound)?;
    let mut partner = record.partner;
    let Delivery::Webhook(hook) = &partner.delivery else {
        return Err(SettingsError::NoWebhook);
    };
    let until = app.distributor.clock().now() + SECRET_GRACE;
    let secret = new_secret();
    partner.delivery = Delivery::Webhook(hook.rotated(secret.clone(), until));
    app.store.update_partner(&partner, actor).await?;
    app.targeting.changed(&app.store).await;
    audit(app, actor, "partner.rotate_secret", id).await?;
    tracing::info!(partner_id = %id, "webhook secret rotated");
    Ok((secret, until))
}

/// What a test message found.
#[derive(Debug, Clone, PartialEq)]
pub struct PingReport {
    pub message_id: String,
    pub url: String,
    pub latency_ms: u128,
    /// The partner's answer, or why there was none.
    pub answer: Result<Answer, String>,
}

impl PingReport {
    /// Whether a real delivery answered like this would have counted as delivered.
    pub fn delivered(&self) -> bool {
        matches!(&self.answer, Ok(a) if a.outcome == SendOutcome::Delivered)
    }
}

/// Send partner `partner` a signed `ping` to its webhook, signed as deliveries are now, and report
/// its answer. Nothing is queued: a ping is never retried and never reaches the delivery log.
pub async fn ping(
    app: &AppState,
    partner: &Partner,
    actor: &Actor,
) -> Result<PingReport, SettingsError> {
    let Delivery::Webhook(hook) = &partner.delivery else {
        return Err(SettingsError::NoWebhook);
    };
    let now = app.distributor.clock().now();
    let message_id = new_delivery_id();
    let body = PingPayload::new(&message_id, now, &partner.id).to_json();
    let started = Instant::now();
    let answer = match signing_keys(hook, now) {
        Ok(keys) => app
            .dispatch
            .channels
            .webhooks
            .probe(
                &hook.url,
                &keys,
                &message_id,
                Bytes::from(body),
                PING_TIMEOUT,
            )
            .await
            .map_err(|why| why.error().unwrap_or("no answer").to_string()),
        Err(why) => Err(why),
    };
    let report = PingReport {
        message_id,
        url: hook.url.clone(),
        latency_ms: started.elapsed().as_millis(),
        answer,
    };
    audit(app, actor, "partner.ping", &partner.id).await?;
    tracing::info!(
        partner_id = %partner.id,
        delivered = report.delivered(),
        latency_ms = report.latency_ms as u64,
        "test message sent to the partner's webhook"
    );
    Ok(report)
}

/// The keys that sign at `now`, parsed.
fn signing_keys(hook: &Webhook, now: DateTime<Utc>) -> Result<Vec<WebhookSecret>, String> {
    hook.signing_secrets(now)
        .into_iter()
        .map(|s| WebhookSecret::parse(s.expose()).map_err(|e| format!("webhook secret: {e}")))
        .collect()
}

async fn audit(
    app: &AppState,
    actor: &Actor,
    action: &'static str,
    id: &PartnerId,
) -> Result<(), StoreError> {
    app.store
        .record_audit(AuditEvent {
            actor,
            action,
            case_id: None,
            subject: Some(id.to_string()),
            version: None,
        })
        .await
}
