//! A due digest, claimed and sent: every poster held for a partner's digest time, in one message.
//! By email, one bulletin PDF (a cover listing each case with its locations, then each poster, in
//! the partner's language); by webhook, one `poster.digest` event listing the deliveries. The
//! message goes under the digest's id, the same on every retry.

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::{Semaphore, mpsc};

use super::Worker;
use super::job::Job;
use super::message::{About, email_recipients, languages, summary, webhook_payload};
use crate::cases::Lang;
use crate::dispatch::SendOutcome;
use crate::dispatch::email::{DigestEmail, DigestEntry, LocationLine, PdfAttachment};
use crate::dispatch::payload::DigestPayload;
use crate::dispatch::webhook::WebhookSecret;
use crate::partners::{Delivery, Partner};
use crate::poster_files::issue_date;
use crate::posters::bulletin::{self, Cover, CoverEntry};
use crate::posters::{Format, Renderer};
use crate::store::VersionRecord;
use crate::store::outbox::{self, Attempted, Channel, ClaimedDigest, Kind};

/// Digests claimed at once, at most: each is one send, however many posters it holds.
const DIGESTS_AT_ONCE: usize = 4;

impl Worker {
    /// Claim the digests due now, as many as there are free send slots, and send each.
    pub(super) async fn start_digests(
        self: &Arc<Self>,
        slots: &Arc<Semaphore>,
        done: &mpsc::UnboundedSender<Attempted>,
    ) {
        let free = slots.available_permits().min(DIGESTS_AT_ONCE);
        if free == 0 {
            return;
        }
        let owner = format!(
            "{}/{}",
            self.owner(),
            self.claims
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let now = self.clock.now();
        let claimed =
            match outbox::claim_digests(&self.store, &owner, now, self.settings.lease, free as i64)
                .await
            {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming digests failed");
                    return;
                }
            };
        for mut d in claimed {
            // a case closed since its poster was held: left out, never sent
            d.members = self.drop_closed(d.members, done).await;
            if d.members.is_empty() {
                continue;
            }
            let fetches = self
                .partner(&d.partner_id, Kind::Issued)
                .is_ok_and(|p| Channel::of(&p.delivery) == Channel::Pull);
            if fetches {
                // a partner that fetches: its digest is its feed, from now on
                if let Err(e) = outbox::publish_digest(&self.store, &d, now).await {
                    tracing::warn!(error = %e, digest = %d.id, "publishing a digest failed; its lease will run out");
                }
                continue;
            }
            let slot = self.gate.try_acquire(&d.partner_id);
            let permit = slots.clone().try_acquire_owned().ok();
            let (Some(slot), Some(permit)) = (slot, permit) else {
                let back = outbox::release(&self.store, &d.members, now, super::GATE_BACKOFF);
                if let Err(e) = back.await {
                    tracing::warn!(error = %e, "giving back a digest failed; its lease will run out");
                }
                continue;
            };
            tracing::info!(digest = %d.id, deliveries = d.members.len(), partner_id = %d.partner_id, "sending a digest");
            self.spawn_send(Job::Digest(d), slot, permit, done.clone());
        }
    }

    /// Send one digest the way the partner takes posters now.
    pub(super) async fn send_digest(&self, d: &ClaimedDigest) -> SendOutcome {
        let partner = match self.partner(&d.partner_id, Kind::Issued) {
            Ok(p) => p,
            Err(o) => return o,
        };
        let mut versions = Vec::with_capacity(d.members.len());
        for c in &d.members {
            match self.version(c).await {
                Ok(v) => versions.push(v),
                Err(o) => return o,
            }
        }
        let now = self.clock.now();
        let mut abouts = Vec::with_capacity(d.members.len());
        for (c, v) in d.members.iter().zip(&versions) {
            let Ok(issue_date) = issue_date(v) else {
                return SendOutcome::failed("a case version has no readable date");
            };
            abouts.push(About {
                delivery_id: &c.id,
                kind: c.kind,
                reason: c.reason,
                version: c.version,
                case: &v.document,
                issue_date,
                locations: &c.locations,
                partner: &partner,
                organisation: &self.settings.organisation,
                now,
            });
        }
        match Channel::of(&partner.delivery) {
            Channel::Webhook => self.send_digest_webhook(d, &partner, &abouts).await,
            Channel::Email => {
                self.send_digest_email(d, &partner, &abouts, &versions)
                    .await
            }
            // it has just switched to fetching: the next look publishes the digest in its feed
            Channel::Pull => SendOutcome::retry(None, "the partner now fetches its posters"),
        }
    }

    async fn send_digest_webhook(
        &self,
        d: &ClaimedDigest,
        partner: &Partner,
        abouts: &[About<'_>],
    ) -> SendOutcome {
        let Delivery::Webhook(hook) = &partner.delivery else {
            return SendOutcome::failed("the partner no longer takes webhooks");
        };
        let now = self.clock.now();
        let mut secrets = Vec::new();
        for s in hook.signing_secrets(now) {
            match WebhookSecret::parse(s.expose()) {
                Ok(s) => secrets.push(s),
                Err(e) => return SendOutcome::failed(format!("webhook secret: {e}")),
            }
        }
        let payload = DigestPayload::new(
            &d.id,
            now,
            abouts
                .iter()
                .map(|a| webhook_payload(a, &self.channels.links))
                .collect(),
        );
        self.channels
            .webhooks
            .send(
                &hook.url,
                &secrets,
                &d.id,
                Bytes::from(payload.to_json()),
                self.settings.send_timeout,
            )
            .await
    }

    async fn send_digest_email(
        &self,
        d: &ClaimedDigest,
        partner: &Partner,
        abouts: &[About<'_>],
        versions: &[Arc<VersionRecord>],
    ) -> SendOutcome {
        let to = email_recipients(partner, &[], false);
        if to.is_empty() {
            return SendOutcome::failed("the partner has no email address");
        }
        let lang = partner.languages.first().copied().unwrap_or(Lang::En);
        let format = partner
            .formats
            .iter()
            .copied()
            .find(|f| f.is_print())
            .unwrap_or(Format::Letter);
        let mut files = Vec::with_capacity(abouts.len());
        for ((c, v), a) in d.members.iter().zip(versions).zip(abouts) {
            // the poster in the partner's language when the case has it, else the case's first
            let langs = languages(partner, a.case);
            let poster_lang = if langs.contains(&lang) {
                lang
            } else {
                langs.first().copied().unwrap_or(Lang::En)
            };
            match self.poster(c, v, poster_lang, format).await {
                Ok(p) => files.push(p),
                Err(o) => return o,
            }
        }
        let entries: Vec<DigestEntry> = abouts
            .iter()
            .map(|a| DigestEntry {
                case: summary(a),
                event: a.kind.into(),
                version: a.version,
                locations: a
                    .locations
                    .iter()
                    .map(|l| LocationLine {
                        reference: l.reference.clone(),
                        name: l.name.clone(),
                    })
                    .collect(),
            })
            .collect();
        let cover: Vec<CoverEntry> = entries.iter().map(cover_entry).collect();
        let date = self.clock.now().date_naive();
        let title = bulletin::title(lang, &partner.name, date);
        let (cover_title, pdf_title) = (title.clone(), title.clone());
        let pdf = tokio::task::spawn_blocking(move || {
            let renderer = Renderer::shared().map_err(|e| e.to_string())?;
            let posters: Vec<&[u8]> = files.iter().map(|f| f.bytes.as_slice()).collect();
            let cover = Cover {
                lang,
                title: &cover_title,
                date,
                entries: &cover,
            };
            renderer
                .bulletin(&cover, &posters, format)
                .map_err(|e| e.to_string())
        })
        .await;
        let pdf = match pdf {
            Ok(Ok(pdf)) => pdf,
            Ok(Err(e)) => return SendOutcome::failed(format!("bulletin: {e}")),
            Err(e) => return SendOutcome::retry(None, format!("bulletin: {e}")),
        };
        let filename = format!("{}.pdf", d.id);
        let email = DigestEmail {
            digest_id: &d.id,
            lang,
            partner_name: &partner.name,
            title: &pdf_title,
            entries: &entries,
            pdf: PdfAttachment {
                filename: &filename,
                bytes: &pdf,
            },
            organisation: &self.settings.organisation.name,
        };
        let message = match self.channels.composer.compose_digest(&email, &to) {
            Ok(m) => m,
            Err(e) => return SendOutcome::failed(format!("email: {e}")),
        };
        self.channels
            .mailer
            .send(&message, &d.id, self.settings.send_timeout)
            .await
    }
}

fn cover_entry(e: &DigestEntry) -> CoverEntry {
    CoverEntry {
        case_number: e.case.case_number.clone(),
        case_type: e.case.case_type,
        updated: e.event == crate::dispatch::payload::EventType::Updated,
        version: e.version,
        locations: e
            .locations
            .iter()
            .map(|l| format!("{} ({})", l.name, l.reference))
            .collect(),
    }
}
