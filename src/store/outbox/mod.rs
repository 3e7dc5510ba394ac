//! The durable outbox: one row per delivery, written in the same transaction as the change that
//! causes it, claimed by workers with a lease, retried on a schedule kept in the row.
//!
//! Every write that plans deliveries for a case goes through [`CaseLock`], which holds the case's
//! lock for the whole transaction, so the locking rules live here and nowhere else. Both databases
//! run the same SQL; only the locks (`FOR UPDATE`, `FOR UPDATE SKIP LOCKED`) are PostgreSQL's.

mod claim;
mod digest;
mod distributions;
mod enqueue;
mod lock;
mod portal;
mod record;
mod takedown;
mod views;

use serde::{Deserialize, Serialize};

use crate::partners::PartnerId;

pub use claim::{Claimed, claim, reclaim_expired, release};
pub use digest::{ClaimedDigest, claim_digests, publish_digest};
pub use distributions::{Distribution, due_distributions};
pub use enqueue::{Known, NewDelivery, Standings};
pub use lock::CaseLock;
pub use portal::{
    ActivePoster, Attempt, PosterFilter, Takedown, active_posters, delivery_log, handed_out,
    takedowns_count, takedowns_due,
};
pub use record::{Attempted, Verdict, record};
pub use takedown::{TakedownDone, defer_retarget};
pub use views::{
    DeliveryView, PartnerHealth, QueueStats, ack, delivery, distribution, enable, feed, health,
    partner_health, queue_stats, recent, timeline,
};

/// Who receives a case's posters: a whole partner, or one of its locations (per-location delivery).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Recipient {
    pub partner: PartnerId,
    pub location: Option<String>,
}

/// The newest delivery queued for a recipient and never yet handed to its channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queued {
    Poster(u32),
    Withdrawal,
}

/// What the outbox knows of one recipient for one case.
///
/// A delivery that has been tried at least once may have reached the recipient, so it is never dropped
/// by an update: it is retried until it arrives, and what follows it is queued behind it. Only
/// deliveries never tried are superseded (and, at a takedown, everything not yet delivered).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Standing {
    /// The version the recipient has once every delivery already tried has arrived (`None`: nothing,
    /// or withdrawn).
    pub holds: Option<u32>,
    /// A poster was ever tried: a takedown must reach this recipient.
    pub ever_sent: bool,
    /// A final takedown (found safe, closed) is planned or sent already.
    pub taken_down: bool,
    /// The newest delivery queued and never tried; a newer plan supersedes it.
    pub queued: Option<Queued>,
}

/// Why a poster is withdrawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = TakedownReason)]
pub enum WithdrawReason {
    FoundSafe,
    Closed,
    OutsideRegion,
}

impl WithdrawReason {
    /// A takedown of the whole case (found safe, closed), as against leaving the region.
    pub fn is_final(self) -> bool {
        self != WithdrawReason::OutsideRegion
    }
}

/// What a delivery tells the partner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = DeliveryKind)]
pub enum Kind {
    Issued,
    Updated,
    Withdrawn,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Issued => "issued",
            Kind::Updated => "updated",
            Kind::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        [Kind::Issued, Kind::Updated, Kind::Withdrawn]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// Where a delivery stands. `pending` with attempts is a delivery being retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = DeliveryState)]
pub enum State {
    Pending,
    Sending,
    Delivered,
    Failed,
    Acknowledged,
    /// Overtaken before it was delivered (a newer version, or the case was closed); never sent
    /// (again). One being sent when it was overtaken keeps its lease until that attempt is recorded.
    Superseded,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Sending => "sending",
            State::Delivered => "delivered",
            State::Failed => "failed",
            State::Acknowledged => "acknowledged",
            State::Superseded => "superseded",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        [
            State::Pending,
            State::Sending,
            State::Delivered,
            State::Failed,
            State::Acknowledged,
            State::Superseded,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// How a partner takes its posters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Webhook,
    /// The partner fetches its deliveries; the worker never sends these.
    Pull,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Email, Channel::Webhook, Channel::Pull];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Webhook => "webhook",
            Channel::Pull => "pull",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn of(delivery: &crate::partners::Delivery) -> Channel {
        match delivery {
            crate::partners::Delivery::Email(_) => Channel::Email,
            crate::partners::Delivery::Webhook(_) => Channel::Webhook,
            crate::partners::Delivery::Pull(_) => Channel::Pull,
        }
    }
}

/// A location a delivery is about, as stored with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeliveryLocation {
    #[serde(rename = "ref")]
    pub reference: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

pub(crate) fn reason_str(r: WithdrawReason) -> &'static str {
    match r {
        WithdrawReason::FoundSafe => "found_safe",
        WithdrawReason::Closed => "closed",
        WithdrawReason::OutsideRegion => "outside_region",
    }
}

pub(crate) fn parse_reason(s: &str) -> Option<WithdrawReason> {
    [
        WithdrawReason::FoundSafe,
        WithdrawReason::Closed,
        WithdrawReason::OutsideRegion,
    ]
    .into_iter()
    .find(|r| reason_str(*r) == s)
}

/// A counter column (version, attempts) as the `u32` it always is.
pub(crate) fn count(row: &sqlx::any::AnyRow, column: &str) -> Result<u32, sqlx::Error> {
    use sqlx::Row;
    Ok(u32::try_from(row.try_get::<i64, _>(column)?).unwrap_or(u32::MAX))
}

/// The `locations` column: the JSON list of locations a delivery is about.
pub(crate) fn locations_of(
    row: &sqlx::any::AnyRow,
) -> Result<Vec<DeliveryLocation>, super::StoreError> {
    use sqlx::Row;
    serde_json::from_str(row.try_get("locations")?).map_err(|source| super::StoreError::Corrupt {
        what: "delivery locations",
        source,
    })
}

/// A new delivery id: time-ordered, so ids sort roughly by creation; `msg_` as Standard Webhooks
/// suggests.
pub fn new_delivery_id() -> String {
    format!("msg_{}", uuid::Uuid::now_v7().simple())
}

/// The id of `partner`'s digest at `at`: one per partner and digest time, so every poster held for
/// that moment joins the same message, and a retry sends it under the same id.
pub fn digest_id(partner: &PartnerId, at: chrono::DateTime<chrono::Utc>) -> String {
    format!("dig_{}_{}", partner, at.format("%Y%m%dT%H%MZ"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in [Kind::Issued, Kind::Updated, Kind::Withdrawn] {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
        for s in [
            "pending",
            "sending",
            "delivered",
            "failed",
            "acknowledged",
            "superseded",
        ] {
            assert_eq!(State::parse(s).unwrap().as_str(), s);
        }
        for r in [
            WithdrawReason::FoundSafe,
            WithdrawReason::Closed,
            WithdrawReason::OutsideRegion,
        ] {
            assert_eq!(parse_reason(reason_str(r)), Some(r));
        }
        let (a, b) = (new_delivery_id(), new_delivery_id());
        assert!(a.starts_with("msg_") && a != b);
    }
}
