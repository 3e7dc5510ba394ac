//! Reading the outbox: a case's deliveries for its distribution view, a partner's feed for the pull
//! API, acknowledgements, partner health and the queue figures for `/metrics`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use super::takedown::{self, TakedownDone};
use super::{
    Channel, DeliveryLocation, Distribution, Kind, State, WithdrawReason, count, distributions,
    locations_of, parse_reason,
};
use crate::cases::CaseStatus;
use crate::store::{CaseId, Store, StoreError, flag, stamp};

/// One delivery as operators and partners see it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
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
    /// The case is resolved or closed: nothing of the child may be shown with this delivery.
    #[serde(skip)]
    pub case_closed: bool,
    /// The case's status now (not the delivered version's).
    #[serde(skip)]
    pub case_status: CaseStatus,
}

const SELECT: &str = "SELECT d.id, d.seq, d.case_id, d.partner_id, d.location_ref, d.version, \
     d.kind, d.reason, d.channel, d.locations, d.state, d.attempts, d.next_attempt_at, \
     d.last_error, d.created_at, d.updated_at, d.delivered_at, d.acked_at, \
     c.status <> 'active' AS case_closed, c.status AS case_status \
     FROM deliveries d JOIN cases c ON c.id = d.case_id";

fn view(row: &sqlx::any::AnyRow) -> Result<DeliveryView, StoreError> {
    let bad = StoreError::BadRow;
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
        case_closed: flag(row, "case_closed")?,
        case_status: match row.try_get::<String, _>("case_status")?.as_str() {
            "active" => CaseStatus::Active,
            "resolved" => CaseStatus::Resolved,
            "cancelled" => CaseStatus::Cancelled,
            _ => return Err(bad("case status")),
        },
    })
}

/// Every delivery of a case, by partner, location and order of queueing.
pub async fn timeline(store: &Store, case: CaseId) -> Result<Vec<DeliveryView>, StoreError> {
    let sql = format!("{SELECT} WHERE d.case_id = $1 ORDER BY d.partner_id, d.location_ref, d.seq");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(case.to_string())
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(view).collect()
}

pub async fn delivery(store: &Store, id: &str) -> Result<Option<DeliveryView>, StoreError> {
    let sql = format!("{SELECT} WHERE d.id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(store.pool())
        .await?;
    row.as_ref().map(view).transpose()
}

/// A partner's deliveries after `after` (its feed position), oldest first, superseded ones left out,
/// up to the first one still in its quiet period. Pull deliveries handed out here count as
/// delivered: the partner has them now. Also returns the takedowns that this completed.
pub async fn feed(
    store: &Store,
    partner: &str,
    after: i64,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<(Vec<DeliveryView>, Vec<TakedownDone>), StoreError> {
    let sql = format!(
        "{SELECT} WHERE d.partner_id = $1 AND d.seq > $2 AND d.state <> 'superseded' \
           AND d.digest_id IS NULL ORDER BY d.seq LIMIT $3"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(partner)
        .bind(after)
        .bind(limit)
        .fetch_all(store.pool())
        .await?;
    let mut items: Vec<DeliveryView> = rows.iter().map(view).collect::<Result<_, _>>()?;
    // Posters held for a digest are not in the feed until it is due, when they come back under new
    // numbers (`publish_digest`). Stop at the first delivery still in its quiet period: the cursor must never pass one the
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
        let taken_down: Vec<CaseId> = items
            .iter()
            .filter(|d| fetched.contains(&d.id) && d.reason.is_some_and(WithdrawReason::is_final))
            .filter_map(|d| d.case_id.parse().ok())
            .collect();
        let done = takedown::complete(tx.conn(), &taken_down, now).await?;
        tx.commit().await?;
        for d in items.iter_mut().filter(|d| fetched.contains(&d.id)) {
            d.state = State::Delivered;
            d.attempts += 1;
            d.delivered_at = Some(at.clone());
        }
        return Ok((items, done));
    }
    Ok((items, Vec::new()))
}

/// A partner's newest deliveries, newest first, superseded ones left out (the CAP feed). Of a
/// closed case, only its withdrawal is left: the alerts that showed the child are gone.
pub async fn recent(
    store: &Store,
    partner: &str,
    limit: i64,
) -> Result<Vec<DeliveryView>, StoreError> {
    let sql = format!(
        "{SELECT} WHERE d.partner_id = $1 AND d.state <> 'superseded' \
         AND (d.kind = 'withdrawn' OR c.status = 'active') ORDER BY d.seq DESC LIMIT $2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(partner)
        .bind(limit)
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(view).collect()
}

/// The partner confirms it has a delivery. `None` when it is not one of the partner's; also the
/// takedown this confirmation completed, if it did. A delivery the worker gave up on can be
/// confirmed too: a takedown that never got through is done once the partner says so.
pub async fn ack(
    store: &Store,
    partner: &str,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(Option<DeliveryView>, Vec<TakedownDone>), StoreError> {
    let at = stamp(now);
    let mut tx = store.write().await?;
    let row = sqlx::query(
        "UPDATE deliveries SET state = 'acknowledged', acked_at = COALESCE(acked_at, $1), \
         delivered_at = COALESCE(delivered_at, $1), updated_at = $1 \
         WHERE id = $2 AND partner_id = $3 AND state IN ('pending', 'sending', 'delivered', 'failed') \
         RETURNING case_id, reason",
    )
    .bind(&at)
    .bind(id)
    .bind(partner)
    .fetch_optional(tx.conn())
    .await?;
    let mut taken_down = Vec::new();
    if let Some(row) = row {
        let reason: Option<String> = row.try_get("reason")?;
        if reason
            .as_deref()
            .and_then(parse_reason)
            .is_some_and(WithdrawReason::is_final)
        {
            let case: String = row.try_get("case_id")?;
            taken_down.push(case.parse().map_err(|_| StoreError::BadRow("case id"))?);
        }
    }
    let done = takedown::complete(tx.conn(), &taken_down, now).await?;
    tx.commit().await?;
    let view = delivery(store, id)
        .await?
        .filter(|d| d.partner_id == partner);
    Ok((view, done))
}

/// A partner's delivery health.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
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

/// Lift a partner's disablement (an operator fixed its endpoint): its queued deliveries flow again,
/// its takedowns first and at once.
pub async fn enable(store: &Store, partner: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
    let mut tx = store.write().await?;
    sqlx::query(
        "UPDATE partner_status SET disabled_at = NULL, disabled_reason = NULL, \
         failing_since = NULL WHERE partner_id = $1",
    )
    .bind(partner)
    .execute(tx.conn())
    .await?;
    sqlx::query(
        "UPDATE deliveries SET next_attempt_at = $1 \
         WHERE partner_id = $2 AND state = 'pending' AND priority = 0 AND next_attempt_at > $1",
    )
    .bind(stamp(now))
    .bind(partner)
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A case's distribution, read outside any plan.
pub async fn distribution(store: &Store, case: CaseId) -> Result<Option<Distribution>, StoreError> {
    let mut conn = store.pool().acquire().await?;
    distributions::load(&mut conn, case, false).await
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
