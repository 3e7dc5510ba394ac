//! Reading the outbox: a case's deliveries for its distribution view, a partner's feed for the pull
//! API, acknowledgements, partner health and the queue figures for `/metrics`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use super::{Channel, DeliveryLocation, Kind, State, count, locations_of, parse_reason};
use crate::distribution::WithdrawReason;
use crate::store::{CaseId, Store, StoreError, stamp};

/// One delivery as operators and partners see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeliveryView {
    pub id: String,
    /// The partner's feed position (the pull API's cursor).
    pub seq: i64,
    pub case_id: String,
    pub partner_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_ref: Option<String>,
    pub version: u32,
    pub kind: Kind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<WithdrawReason>,
    pub channel: Channel,
    pub locations: Vec<DeliveryLocation>,
    pub state: State,
    pub attempts: u32,
    pub next_attempt_at: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub delivered_at: Option<String>,
    pub acked_at: Option<String>,
}

const SELECT: &str = "SELECT id, seq, case_id, partner_id, location_ref, version, kind, reason, \
     channel, locations, state, attempts, next_attempt_at, last_error, created_at, updated_at, \
     delivered_at, acked_at FROM deliveries";

fn view(row: &sqlx::any::AnyRow) -> Result<DeliveryView, StoreError> {
    let bad = |what| StoreError::NotFound(what);
    let location: String = row.try_get("location_ref")?;
    let reason: Option<String> = row.try_get("reason")?;
    Ok(DeliveryView {
        id: row.try_get("id")?,
        seq: row.try_get("seq")?,
        case_id: row.try_get("case_id")?,
        partner_id: row.try_get("partner_id")?,
        location_ref: (!location.is_empty()).then_some(location),
        version: count(row, "version")?,
        kind: Kind::parse(row.try_get("kind")?).ok_or(bad("kind"))?,
        reason: reason.as_deref().and_then(parse_reason),
        channel: Channel::parse(row.try_get("channel")?).ok_or(bad("channel"))?,
        locations: locations_of(row)?,
        state: State::parse(row.try_get("state")?).ok_or(bad("state"))?,
        attempts: count(row, "attempts")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        last_error: row.try_get("last_error")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        delivered_at: row.try_get("delivered_at")?,
        acked_at: row.try_get("acked_at")?,
    })
}

/// Every delivery of a case, by partner, location and order of queueing.
pub async fn timeline(store: &Store, case: CaseId) -> Result<Vec<DeliveryView>, StoreError> {
    let sql = format!("{SELECT} WHERE case_id = $1 ORDER BY partner_id, location_ref, seq");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(case.to_string())
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(view).collect()
}

pub async fn delivery(store: &Store, id: &str) -> Result<Option<DeliveryView>, StoreError> {
    let sql = format!("{SELECT} WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(store.pool())
        .await?;
    row.as_ref().map(view).transpose()
}

/// A partner's deliveries after `after` (its feed position), oldest first, superseded ones left out,
/// up to the first one still in its quiet period. Pull deliveries handed out here count as
/// delivered: the partner has them now.
pub async fn feed(
    store: &Store,
    partner: &str,
    after: i64,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<Vec<DeliveryView>, StoreError> {
    let sql = format!(
        "{SELECT} WHERE partner_id = $1 AND seq > $2 AND state <> 'superseded' ORDER BY seq LIMIT $3"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(partner)
        .bind(after)
        .bind(limit)
        .fetch_all(store.pool())
        .await?;
    let mut items: Vec<DeliveryView> = rows.iter().map(view).collect::<Result<_, _>>()?;
    // Stop at the first delivery still in its quiet period: the cursor must never pass one the
    // partner has not seen yet.
    let shown = stamp(now);
    if let Some(cut) = items.iter().position(|d| {
        d.next_attempt_at
            .as_deref()
            .is_some_and(|t| t > shown.as_str())
    }) {
        items.truncate(cut);
    }
    let fetched: Vec<String> = items
        .iter()
        .filter(|d| d.channel == Channel::Pull && d.state == State::Pending)
        .map(|d| d.id.clone())
        .collect();
    if !fetched.is_empty() {
        let at = stamp(now);
        let mut tx = store.write().await?;
        for id in &fetched {
            sqlx::query(
                "UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, \
                 delivered_at = $1, updated_at = $1 WHERE id = $2 AND state = 'pending'",
            )
            .bind(&at)
            .bind(id)
            .execute(tx.conn())
            .await?;
        }
        tx.commit().await?;
        for d in items.iter_mut().filter(|d| fetched.contains(&d.id)) {
            d.state = State::Delivered;
            d.attempts += 1;
            d.delivered_at = Some(at.clone());
        }
    }
    Ok(items)
}

/// A partner's newest deliveries, newest first, superseded ones left out (the CAP feed).
pub async fn recent(
    store: &Store,
    partner: &str,
    limit: i64,
) -> Result<Vec<DeliveryView>, StoreError> {
    let sql = format!(
        "{SELECT} WHERE partner_id = $1 AND state <> 'superseded' ORDER BY seq DESC LIMIT $2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(partner)
        .bind(limit)
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(view).collect()
}

/// The partner confirms it has a delivery. `None` when it is not one of the partner's.
pub async fn ack(
    store: &Store,
    partner: &str,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Option<DeliveryView>, StoreError> {
    let at = stamp(now);
    let mut tx = store.write().await?;
    sqlx::query(
        "UPDATE deliveries SET state = 'acknowledged', acked_at = COALESCE(acked_at, $1), \
         delivered_at = COALESCE(delivered_at, $1), updated_at = $1 \
         WHERE id = $2 AND partner_id = $3 AND state IN ('pending', 'sending', 'delivered')",
    )
    .bind(&at)
    .bind(id)
    .bind(partner)
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(delivery(store, id)
        .await?
        .filter(|d| d.partner_id == partner))
}

/// A partner's delivery health.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartnerHealth {
    pub partner_id: String,
    pub failing_since: Option<String>,
    pub disabled_at: Option<String>,
    pub disabled_reason: Option<String>,
    pub last_delivered_at: Option<String>,
}

/// One partner's delivery health; `None` before anything was ever queued for it.
pub async fn partner_health(
    store: &Store,
    partner: &str,
) -> Result<Option<PartnerHealth>, StoreError> {
    let sql = format!("{HEALTH} WHERE partner_id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(partner)
        .fetch_optional(store.pool())
        .await?;
    row.as_ref().map(health_row).transpose()
}

const HEALTH: &str = "SELECT partner_id, failing_since, disabled_at, disabled_reason, \
     last_delivered_at FROM partner_status";

fn health_row(r: &sqlx::any::AnyRow) -> Result<PartnerHealth, StoreError> {
    Ok(PartnerHealth {
        partner_id: r.try_get("partner_id")?,
        failing_since: r.try_get("failing_since")?,
        disabled_at: r.try_get("disabled_at")?,
        disabled_reason: r.try_get("disabled_reason")?,
        last_delivered_at: r.try_get("last_delivered_at")?,
    })
}

/// Every partner that has ever had a delivery, with its health.
pub async fn health(store: &Store) -> Result<Vec<PartnerHealth>, StoreError> {
    let sql = format!("{HEALTH} ORDER BY partner_id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(health_row).collect()
}

/// Lift a partner's disablement (an operator fixed its endpoint): its queued deliveries flow again.
pub async fn enable(store: &Store, partner: &str) -> Result<(), StoreError> {
    let mut tx = store.write().await?;
    sqlx::query(
        "UPDATE partner_status SET disabled_at = NULL, disabled_reason = NULL, \
         failing_since = NULL WHERE partner_id = $1",
    )
    .bind(partner)
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The queue at a glance, for `/metrics`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueStats {
    /// Deliveries by state and channel.
    pub by_state: Vec<(String, String, i64)>,
    /// Pending deliveries due now.
    pub due: i64,
    /// How long the longest-waiting due delivery has waited.
    pub oldest_due_secs: f64,
}

pub async fn queue_stats(store: &Store, now: DateTime<Utc>) -> Result<QueueStats, StoreError> {
    let rows = sqlx::query(
        "SELECT state, channel, COUNT(*) AS n FROM deliveries GROUP BY state, channel \
         ORDER BY state, channel",
    )
    .fetch_all(store.pool())
    .await?;
    let by_state = rows
        .iter()
        .map(|r| Ok((r.try_get("state")?, r.try_get("channel")?, r.try_get("n")?)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, MIN(next_attempt_at) AS oldest FROM deliveries \
         WHERE state = 'pending' AND next_attempt_at <= $1",
    )
    .bind(stamp(now))
    .fetch_one(store.pool())
    .await?;
    let oldest: Option<String> = row.try_get("oldest")?;
    let oldest_due_secs = oldest
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map_or(0.0, |t| {
            (now - t.with_timezone(&Utc)).num_milliseconds().max(0) as f64 / 1e3
        });
    Ok(QueueStats {
        by_state,
        due: row.try_get("n")?,
        oldest_due_secs,
    })
}
