//! What a partner's portal shows: the posters that should be up at its locations now.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{DeliveryLocation, Kind, State, WithdrawReason, count, locations_of, parse_reason};
use crate::partners::PartnerId;
use crate::store::{CaseId, Store, StoreError, stamp};

/// A poster that should be up: the newest delivery of an active case to one recipient (a location,
/// or the whole partner), when that delivery is a poster and not a takedown.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivePoster {
    pub delivery_id: String,
    pub case_id: CaseId,
    pub case_number: String,
    pub case_type: String,
    pub version: u32,
    pub kind: Kind,
    pub state: State,
    /// The locations it is for; one, when the partner takes a poster per location.
    pub locations: Vec<DeliveryLocation>,
    pub created_at: String,
    pub delivered_at: Option<String>,
}

/// Which active posters to show.
#[derive(Debug, Clone, Default)]
pub struct PosterFilter {
    /// Only posters for this location reference.
    pub location: Option<String>,
    pub case_type: Option<String>,
}

/// The partner's active posters, newest first. A poster still in a reissue's quiet period (not
/// before `now`) is not shown yet; a failed or superseded one is not up.
pub async fn active_posters(
    store: &Store,
    partner: &PartnerId,
    filter: &PosterFilter,
    now: DateTime<Utc>,
) -> Result<Vec<ActivePoster>, StoreError> {
    let rows = sqlx::query(
        "SELECT d.id, d.case_id, d.version, d.kind, d.state, d.locations, d.created_at, \
                d.delivered_at, c.case_number, c.case_type \
         FROM deliveries d JOIN cases c ON c.id = d.case_id \
         WHERE d.partner_id = $1 AND c.status = 'active' AND d.kind <> 'withdrawn' \
           AND d.state NOT IN ('superseded', 'failed') \
           AND (d.state <> 'pending' OR d.next_attempt_at IS NULL OR d.next_attempt_at <= $2) \
           AND ($3 IS NULL OR c.case_type = $3) \
           AND d.seq = (SELECT MAX(n.seq) FROM deliveries n WHERE n.case_id = d.case_id \
                        AND n.partner_id = d.partner_id AND n.location_ref = d.location_ref \
                        AND n.state NOT IN ('superseded', 'failed')) \
         ORDER BY d.seq DESC",
    )
    .bind(partner.as_str())
    .bind(stamp(now))
    .bind(filter.case_type.clone())
    .fetch_all(store.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let poster = active_poster(row)?;
        let wanted = filter
            .location
            .as_deref()
            .is_none_or(|want| poster.locations.iter().any(|l| l.reference == want));
        if wanted {
            out.push(poster);
        }
    }
    Ok(out)
}

fn active_poster(row: &sqlx::any::AnyRow) -> Result<ActivePoster, StoreError> {
    let bad = StoreError::BadRow;
    let case_id: String = row.try_get("case_id")?;
    Ok(ActivePoster {
        delivery_id: row.try_get("id")?,
        case_id: case_id.parse().map_err(|_| bad("case id"))?,
        case_number: row.try_get("case_number")?,
        case_type: row.try_get("case_type")?,
        version: count(row, "version")?,
        kind: Kind::parse(row.try_get("kind")?).ok_or(bad("kind"))?,
        state: State::parse(row.try_get("state")?).ok_or(bad("state"))?,
        locations: locations_of(row)?,
        created_at: row.try_get("created_at")?,
        delivered_at: row.try_get("delivered_at")?,
    })
}

/// A poster to take down: a withdrawal the partner has not yet confirmed.
#[derive(Debug, Clone, PartialEq)]
pub struct Takedown {
    pub delivery_id: String,
    pub case_number: String,
    pub reason: Option<WithdrawReason>,
    pub state: State,
    pub locations: Vec<DeliveryLocation>,
    pub created_at: String,
}

/// The partner's takedowns not yet acknowledged, newest first; one given up on by the worker stays
/// until the partner confirms it, since the poster may still be up.
pub async fn takedowns_due(
    store: &Store,
    partner: &PartnerId,
) -> Result<Vec<Takedown>, StoreError> {
    let rows = sqlx::query(
        "SELECT d.id, d.reason, d.state, d.locations, d.created_at, c.case_number \
         FROM deliveries d JOIN cases c ON c.id = d.case_id \
         WHERE d.partner_id = $1 AND d.kind = 'withdrawn' \
           AND d.state IN ('pending', 'sending', 'delivered', 'failed') \
         ORDER BY d.seq DESC",
    )
    .bind(partner.as_str())
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let reason: Option<String> = row.try_get("reason")?;
            Ok(Takedown {
                delivery_id: row.try_get("id")?,
                case_number: row.try_get("case_number")?,
                reason: reason.as_deref().and_then(parse_reason),
                state: State::parse(row.try_get("state")?).ok_or(StoreError::BadRow("state"))?,
                locations: locations_of(row)?,
                created_at: row.try_get("created_at")?,
            })
        })
        .collect()
}

/// A pull partner's poster downloaded from its portal has been handed out, as if fetched through
/// the pull API: every delivery of that case version to the partner (each of its locations, when it
/// takes a poster per location) counts as delivered, so a takedown reaches every one of them when
/// the case ends. A takedown too many is harmless; one too few leaves a poster up.
pub async fn handed_out(
    store: &Store,
    partner: &PartnerId,
    case: CaseId,
    version: u32,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let at = stamp(now);
    let mut tx = store.write().await?;
    sqlx::query(
        "UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, delivered_at = $1, \
         updated_at = $1 WHERE partner_id = $2 AND case_id = $3 AND version = $4 \
         AND state = 'pending' AND channel = 'pull' AND kind <> 'withdrawn' \
         AND digest_id IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= $1)",
    )
    .bind(&at)
    .bind(partner.as_str())
    .bind(case.to_string())
    .bind(i64::from(version))
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(())
}

/// One attempt to deliver to the partner, as its delivery log shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub delivery_id: String,
    pub case_number: String,
    pub kind: Kind,
    pub location_ref: Option<String>,
    pub version: u32,
    pub attempt: u32,
    pub at: String,
    /// `delivered`, `retry`, `failed`, …, as the worker recorded it.
    pub outcome: String,
    /// What went wrong, with the partner's answer when there was one.
    pub error: Option<String>,
    pub latency_ms: f64,
}

/// The partner's most recent delivery attempts, newest first, at most `limit`.
pub async fn delivery_log(
    store: &Store,
    partner: &PartnerId,
    limit: i64,
) -> Result<Vec<Attempt>, StoreError> {
    let rows = sqlx::query(
        "SELECT a.delivery_id, a.attempt, a.at, a.outcome, a.error, a.latency_ms, d.kind, \
                d.location_ref, d.version, c.case_number \
         FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id \
         JOIN cases c ON c.id = d.case_id \
         WHERE d.partner_id = $1 ORDER BY a.at DESC, a.attempt DESC LIMIT $2",
    )
    .bind(partner.as_str())
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let location: String = row.try_get("location_ref")?;
            Ok(Attempt {
                delivery_id: row.try_get("delivery_id")?,
                case_number: row.try_get("case_number")?,
                kind: Kind::parse(row.try_get("kind")?).ok_or(StoreError::BadRow("kind"))?,
                location_ref: (!location.is_empty()).then_some(location),
                version: count(row, "version")?,
                attempt: count(row, "attempt")?,
                at: row.try_get("at")?,
                outcome: row.try_get("outcome")?,
                error: row.try_get("error")?,
                latency_ms: row.try_get("latency_ms")?,
            })
        })
        .collect()
}
