//! The tips' outbox, sent by the dispatch worker beside the posters: a forwarded tip to the
//! investigating agency, an urgent sighting to the case managers on the case. The same SMTP pool
//! (or `.eml` files), the same retry schedule, every attempt audited.

use super::Worker;
use crate::dispatch::SendOutcome;
use crate::dispatch::email::{TipEmail, TipFacts};
use crate::dispatch::retry::next_attempt;
use crate::partners::PartnerId;
use crate::store::{StoreError, TipMessage, TipMessageKind, TipMessageResult, TipRecord};
use crate::tips::SeenWhen;

/// Messages sent in one turn, at most; the rest wait a second for the next.
const TIP_TURN: usize = 20;

impl Worker {
    /// Claims due tip messages one at a time (each under a lease of its own, so a slow SMTP server
    /// cannot run a later one's lease out) and sends each, recording how it went.
    pub(super) async fn send_tip_messages(&self) {
        let owner = format!("{}/tips", self.owner());
        for _ in 0..TIP_TURN {
            let claimed = match self
                .store
                .claim_tip_messages(&owner, self.clock.now(), self.settings.lease, 1)
                .await
            {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming tip messages failed");
                    return;
                }
            };
            let Some(m) = claimed.into_iter().next() else {
                return;
            };
            self.send_one_tip_message(m).await;
        }
    }

    async fn send_one_tip_message(&self, m: TipMessage) {
        let result = match self.send_tip_message(&m).await {
            Ok(outcome) => self.judge(&m, outcome),
            Err(e) => {
                tracing::warn!(message = %m.id, error = %e, "a tip message could not be made");
                self.judge(&m, SendOutcome::retry(None, format!("database: {e}")))
            }
        };
        tracing::info!(message = %m.id, tip = %m.tip_id, kind = m.kind.as_str(), result = ?result, "tip message attempted");
        if let Err(e) = self
            .store
            .tip_message_done(&m, &result, self.clock.now())
            .await
        {
            tracing::warn!(message = %m.id, error = %e, "recording a tip message failed; its lease will run out");
        }
    }

    fn judge(&self, m: &TipMessage, outcome: SendOutcome) -> TipMessageResult {
        match outcome {
            SendOutcome::Delivered => TipMessageResult::Sent,
            SendOutcome::Retry { after, error } => {
                match next_attempt(m.attempts, self.clock.now(), after, &mut rand::rng()) {
                    Some(at) => TipMessageResult::RetryAt(at, error),
                    None => TipMessageResult::Failed(error),
                }
            }
            other => TipMessageResult::Failed(other.error().unwrap_or("failed").to_string()),
        }
    }

    async fn send_tip_message(&self, m: &TipMessage) -> Result<SendOutcome, StoreError> {
        let Some(tip) = self.store.tip(m.case_id, &m.tip_id).await? else {
            return Ok(SendOutcome::failed("the tip is no longer kept"));
        };
        let Some(version) = self.store.case_version(m.case_id, None).await? else {
            return Ok(SendOutcome::failed("the case is no longer kept"));
        };
        let forward = m.kind == TipMessageKind::Forward;
        let received = tip
            .received_at
            .get(0..16)
            .unwrap_or(&tip.received_at)
            .replace('T', " ");
        let photo = if forward && tip.has_photo {
            self.store.tip_photo(m.case_id, &tip.id).await?
        } else {
            None
        };
        let via = self.via_words(&tip).await?;
        let case_url = format!(
            "{}/cases/{}",
            self.channels.links.base().trim_end_matches('/'),
            m.case_id
        );
        let email = TipEmail {
            message_id: &m.id,
            forward,
            case_number: &version.document.case_number,
            agency: &version.document.contact.agency,
            case_url: Some(&case_url),
            tip_id: &tip.id,
            facts: TipFacts {
                received_at: &received,
                what: &tip.what,
                place: &tip.place,
                when: when_words(tip.when),
                time: tip.time.as_deref(),
                name: tip.name.as_deref(),
                phone: tip.phone.as_deref(),
                email: tip.email.as_deref(),
                via: via.as_deref(),
                note: m.note.as_deref(),
                after_close: tip.after_close,
            },
            photo: photo
                .as_ref()
                .map(|p| (p.content_type.as_str(), p.bytes.as_slice())),
            organisation: &self.settings.organisation.name,
        };
        let message = match self.channels.composer.compose_tip(&email, &m.recipients) {
            Ok(msg) => msg,
            Err(e) => return Ok(SendOutcome::failed(format!("email: {e}"))),
        };
        Ok(self
            .channels
            .mailer
            .send(&message, &m.id, self.settings.send_timeout)
            .await)
    }

    /// The poster a tip came from, in words: partner, location and format.
    async fn via_words(&self, tip: &TipRecord) -> Result<Option<String>, StoreError> {
        let Some(code) = &tip.source else {
            return Ok(None);
        };
        let Some(via) = self.store.via(code).await? else {
            return Ok(None);
        };
        let name = match PartnerId::parse(&via.partner_id) {
            Ok(id) => self.store.partner(&id).await?.map(|p| p.partner.name),
            Err(_) => None,
        };
        let mut words = name.unwrap_or_else(|| via.partner_id.clone());
        if !via.location_ref.is_empty() {
            words.push_str(&format!(", location {}", via.location_ref));
        }
        words.push_str(&format!(", {} poster", via.format.as_str()));
        Ok(Some(words))
    }
}

fn when_words(w: SeenWhen) -> &'static str {
    match w {
        SeenWhen::WithinHour => "within the last hour",
        SeenWhen::Today => "earlier today",
        SeenWhen::Yesterday => "yesterday",
        SeenWhen::Earlier => "before yesterday",
    }
}
