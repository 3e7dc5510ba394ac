//! One claimed delivery, sent: look up its case version and partner, build the message for the
//! partner's channel, send it within the timeout, and say how it ended.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use super::Worker;
use super::message::{About, email_recipients, languages, poster_files, summary, webhook_payload};
use crate::cases::Lang;
use crate::dispatch::SendOutcome;
use crate::dispatch::email::{Audience, EmailInput, LocationLine, PdfAttachment};
use crate::dispatch::webhook::WebhookSecret;
use crate::partners::{Delivery, Partner, PartnerId};
use crate::poster_files::issue_date;
use crate::posters::Format;
use crate::store::outbox::{Channel, Claimed, Kind};
use crate::store::{Actor, CachedPoster, CaseId, VersionRecord, Via};

/// Versions never change once written, so they are kept in memory while deliveries of them go out.
#[derive(Default)]
pub(super) struct Versions {
    map: Mutex<HashMap<(CaseId, u32), Arc<VersionRecord>>>,
}

/// Beyond this many versions the memory starts again: a fan-out is about one or two at a time.
const VERSIONS_KEPT: usize = 64;

impl Versions {
    fn get(&self, key: (CaseId, u32)) -> Option<Arc<VersionRecord>> {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned()
    }

    fn put(&self, key: (CaseId, u32), v: Arc<VersionRecord>) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= VERSIONS_KEPT {
            map.clear();
        }
        map.insert(key, v);
    }
}

const ACTOR: Actor = Actor::System("dispatch");

impl Worker {
    pub(super) async fn version(&self, c: &Claimed) -> Result<Arc<VersionRecord>, SendOutcome> {
        let key = (c.case_id, c.version);
        if let Some(v) = self.versions.get(key) {
            return Ok(v);
        }
        match self
            .store
            .case_version(c.case_id, Some(i64::from(c.version)))
            .await
        {
            Ok(Some(v)) => {
                let v = Arc::new(v);
                self.versions.put(key, v.clone());
                Ok(v)
            }
            Ok(None) => Err(SendOutcome::failed("the case version is gone")),
            Err(e) => Err(SendOutcome::retry(None, format!("database: {e}"))),
        }
    }

    /// The partner as it is now. An inactive partner still gets its takedowns: it may still have
    /// the poster up.
    pub(super) fn partner(&self, id: &str, kind: Kind) -> Result<Partner, SendOutcome> {
        let id = PartnerId::parse(id).map_err(SendOutcome::failed)?;
        match self.targeting.snapshot().partner(&id) {
            Some(p) if p.active || kind == Kind::Withdrawn => Ok(p.clone()),
            Some(_) => Err(SendOutcome::failed("the partner is inactive")),
            None => Err(SendOutcome::failed("the partner is no longer registered")),
        }
    }

    /// Right before a poster leaves: is its case still active? A withdrawal always goes. A case
    /// closed in this process is known at once; one closed elsewhere was looked for when the batch
    /// was claimed, and again here for an email, which takes a poster render to make.
    async fn still_wanted(&self, c: &Claimed, ask_database: bool) -> Result<(), SendOutcome> {
        if c.kind == Kind::Withdrawn {
            return Ok(());
        }
        let closed = || SendOutcome::cancelled("not sent: the case is closed");
        if self.closed.contains(c.case_id) {
            return Err(closed());
        }
        if !ask_database {
            return Ok(());
        }
        match self.store.case_is_active(c.case_id).await {
            Ok(Some(true)) => Ok(()),
            Ok(_) => Err(closed()),
            Err(e) => Err(SendOutcome::retry(None, format!("database: {e}"))),
        }
    }

    /// Send `c` and say how it went. Never panics, never takes longer than the send timeout plus
    /// the time to look up the case.
    pub(super) async fn send(&self, c: &Claimed) -> SendOutcome {
        let version = match self.version(c).await {
            Ok(v) => v,
            Err(o) => return o,
        };
        let partner = match self.partner(&c.partner_id, c.kind) {
            Ok(p) => p,
            Err(o) => return o,
        };
        let Ok(issue_date) = issue_date(&version) else {
            return SendOutcome::failed("the case version has no readable date");
        };
        let about = About {
            delivery_id: &c.id,
            kind: c.kind,
            reason: c.reason,
            version: c.version,
            case: &version.document,
            issue_date,
            locations: &c.locations,
            partner: &partner,
            organisation: &self.settings.organisation,
            now: self.clock.now(),
        };
        // a takedown goes the way the partner takes posters now, which may not be how it took
        // the poster being withdrawn
        let channel = if c.kind == Kind::Withdrawn {
            Channel::of(&partner.delivery)
        } else {
            c.channel
        };
        match channel {
            Channel::Webhook => self.send_webhook(&about, c).await,
            Channel::Email => self.send_email(&about, c, &version).await,
            // the partner fetches its deliveries: this one is in its feed
            Channel::Pull => SendOutcome::Delivered,
        }
    }

    async fn send_webhook(&self, a: &About<'_>, c: &Claimed) -> SendOutcome {
        let Delivery::Webhook(hook) = &a.partner.delivery else {
            return SendOutcome::failed("the partner no longer takes webhooks");
        };
        let mut secrets = Vec::new();
        for s in hook.signing_secrets(a.now) {
            match WebhookSecret::parse(s.expose()) {
                Ok(s) => secrets.push(s),
                Err(e) => return SendOutcome::failed(format!("webhook secret: {e}")),
            }
        }
        let body = Bytes::from(webhook_payload(a, &self.channels.links).to_json());
        if let Err(o) = self.still_wanted(c, false).await {
            return o;
        }
        self.channels
            .webhooks
            .send(
                &hook.url,
                &secrets,
                a.delivery_id,
                body,
                self.settings.send_timeout,
            )
            .await
    }

    async fn send_email(&self, a: &About<'_>, c: &Claimed, version: &VersionRecord) -> SendOutcome {
        let to = email_recipients(a.partner, &c.locations, !c.location_ref.is_empty());
        if to.is_empty() {
            return SendOutcome::failed("the partner has no email address");
        }
        let lang = languages(a.partner, a.case)
            .first()
            .copied()
            .unwrap_or(Lang::En);
        let (pdf, square) = if c.kind == Kind::Withdrawn {
            (None, None)
        } else {
            let pdf = self.poster(c, version, lang, Format::Letter).await;
            // the inline picture is looked at, not scanned or printed: the shared one serves, so a
            // chain of stores costs one drawing of it, not one a store
            let square = self.shared_poster(c, version, lang, Format::Square).await;
            match (pdf, square) {
                (Ok(p), Ok(s)) => (Some(p), Some(s)),
                (Err(o), _) | (_, Err(o)) => return o,
            }
        };
        let lines: Vec<LocationLine> = c
            .locations
            .iter()
            .map(|l| LocationLine {
                reference: l.reference.clone(),
                name: l.name.clone(),
            })
            .collect();
        let audience = if c.location_ref.is_empty() || lines.is_empty() {
            Audience::Partner { locations: &lines }
        } else {
            Audience::Location(&lines[0])
        };
        let files = poster_files(a, &self.channels.links);
        let case = summary(a);
        let filename = format!("{}-v{}.pdf", a.case.case_number, a.version);
        let input = EmailInput {
            delivery_id: a.delivery_id,
            event: a.kind.into(),
            lang,
            case: &case,
            version: a.version,
            partner_name: &a.partner.name,
            audience,
            reason: a.reason.map(super::message::payload_reason),
            posters: &files,
            square_png: square.as_ref().map(|p| p.bytes.as_slice()),
            pdf: pdf.as_ref().map(|p| PdfAttachment {
                filename: &filename,
                bytes: p.bytes.as_slice(),
            }),
            organisation: &a.organisation.name,
        };
        let message = match self.channels.composer.compose(&input, &to) {
            Ok(m) => m,
            Err(e) => return SendOutcome::failed(format!("email: {e}")),
        };
        if let Err(o) = self.still_wanted(c, true).await {
            return o;
        }
        self.channels
            .mailer
            .send(&message, a.delivery_id, self.settings.send_timeout)
            .await
    }

    /// The shared poster of `version`, as every partner's inline picture shows it.
    async fn shared_poster(
        &self,
        c: &Claimed,
        version: &VersionRecord,
        lang: Lang,
        format: Format,
    ) -> Result<Arc<CachedPoster>, SendOutcome> {
        let got = self.posters.get(&ACTOR, c.case_id, version, lang, format);
        file_or_outcome(got.await)
    }

    /// The partner's own poster of `version`: its QR code says whose wall it was seen on.
    pub(super) async fn poster(
        &self,
        c: &Claimed,
        version: &VersionRecord,
        lang: Lang,
        format: Format,
    ) -> Result<Arc<CachedPoster>, SendOutcome> {
        let via = Via {
            partner_id: c.partner_id.clone(),
            location_ref: c.location_ref.clone(),
            format,
        };
        let got = self
            .posters
            .for_partner(&ACTOR, c.case_id, version, lang, format, &via);
        file_or_outcome(got.await)
    }
}

/// A poster's file, or what becomes of the send without it: a database error is tried again.
fn file_or_outcome(
    got: Result<crate::poster_files::Poster, crate::poster_files::PosterError>,
) -> Result<Arc<CachedPoster>, SendOutcome> {
    match got {
        Ok(p) => Ok(p.file),
        Err(crate::poster_files::PosterError::Store(e)) => {
            Err(SendOutcome::retry(None, format!("database: {e}")))
        }
        Err(e) => Err(SendOutcome::failed(format!("poster: {e}"))),
    }
}
