//! What a partner's portal shows: the posters that should be up at its locations now.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{DeliveryLocation, Kind, State, WithdrawReason, count, locations_of, parse_reason};
use crate::partners::PartnerId;
use crate::store::{CaseId, Store, StoreError, stamp};

/// A poster that should be up: a case version whose delivery is the newest to at least one of the
/// partner's recipients (a location, or the whole partner), when that delivery is a poster and not a
/// takedown. One however many of the partner's stores it is up at.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivePoster {
    /// One delivery of it (the first): what its files are asked for by.
    pub delivery_id: String,
    pub case_id: CaseId,
    pub case_number: String,
    pub case_type: String,
    pub version: u32,
    /// `Updated` when it replaces an older poster at any of them.
    pub kind: Kind,
    /// How many recipients it is up at: locations, or 1 for a partner taking one poster for all.
    pub recipients: u32,
    /// Some of the locations it is for: all of a partner-wide delivery's, two of a per-location one.
    pub locations: Vec<DeliveryLocation>,
    /// When it first went to the partner (delivered, or queued).
    pub since: String,
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
///
/// One row per poster comes back from the database: a chain with thousands of stores has thousands
/// of deliveries of one poster, and reading each costs more than the query.
pub async fn active_posters(
    store: &Store,
    partner: &PartnerId,
    filter: &PosterFilter,
    now: DateTime<Utc>,
) -> Result<Vec<ActivePoster>, StoreError> {
    // the newest live delivery of each recipient (a window over the partner's own rows), then only
    // those still up: an active case, not a takedown, out of any quiet period; a location filter
    // narrows it in the database (a per-location delivery by its reference, a partner-wide one by
    // its list), and is checked exactly below
    let rows = sqlx::query(
        "SELECT MIN(x.id) AS id, x.case_id, x.version, MAX(x.kind) AS kind, COUNT(*) AS n, \
                MIN(x.locations) AS first_locations, MAX(x.locations) AS last_locations, \
                MIN(COALESCE(x.delivered_at, x.created_at)) AS since, MAX(x.seq) AS newest_seq, \
                c.case_number, c.case_type \
         FROM (SELECT d.id, d.case_id, d.version, d.kind, d.state, d.locations, d.created_at, \
                      d.delivered_at, d.next_attempt_at, d.seq, d.location_ref, \
                      ROW_NUMBER() OVER (PARTITION BY d.case_id, d.location_ref \
                                         ORDER BY d.seq DESC) AS newest \
               FROM deliveries d \
               WHERE d.partner_id = $1 AND d.state NOT IN ('superseded', 'failed')) x \
         JOIN cases c ON c.id = x.case_id \
         WHERE x.newest = 1 AND c.status = 'active' AND x.kind <> 'withdrawn' \
           AND (x.state <> 'pending' OR x.next_attempt_at IS NULL OR x.next_attempt_at <= $2) \
           AND ($3 IS NULL OR c.case_type = $3) \
           AND ($4 IS NULL OR x.location_ref = $4 OR (x.location_ref = '' AND x.locations LIKE $5)) \
         GROUP BY x.case_id, x.version, c.case_number, c.case_type \
         ORDER BY MAX(x.seq) DESC",
    )
    .bind(partner.as_str())
    .bind(stamp(now))
    .bind(filter.case_type.clone())
    .bind(filter.location.clone())
    .bind(filter.location.as_ref().map(|r| format!("%{}%", json_ref(r))))
    .fetch_all(store.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let poster = active_poster(row)?;
        // a partner-wide delivery matched by its list: the reference must be one of its own
        let wanted = filter.location.as_deref().is_none_or(|want| {
            poster.recipients > 1 || poster.locations.iter().any(|l| l.reference == want)
        });
        if wanted {
            out.push(poster);
        }
    }
    Ok(out)
}

fn active_poster(row: &sqlx::any::AnyRow) -> Result<ActivePoster, StoreError> {
    let bad = StoreError::BadRow;
    let case_id: String = row.try_get("case_id")?;
    let parse = |column: &str| -> Result<Vec<DeliveryLocation>, StoreError> {
        let json: String = row.try_get(column)?;
        serde_json::from_str(&json).map_err(|source| StoreError::Corrupt {
            what: "delivery locations",
            source,
        })
    };
    let mut locations = parse("first_locations")?;
    for l in parse("last_locations")? {
        if !locations.contains(&l) {
            locations.push(l);
        }
    }
    Ok(ActivePoster {
        delivery_id: row.try_get("id")?,
        case_id: case_id.parse().map_err(|_| bad("case id"))?,
        case_number: row.try_get("case_number")?,
        case_type: row.try_get("case_type")?,
        version: count(row, "version")?,
        kind: Kind::parse(row.try_get("kind")?).ok_or(bad("kind"))?,
        recipients: count(row, "n")?,
        locations,
        since: row.try_get("since")?,
    })
}

/// How a location reference appears in a delivery's `locations` JSON: `"ref":"S12"`.
fn json_ref(reference: &str) -> String {
    format!(
        "\"ref\":{}",
        serde_json::to_string(reference).expect("a string serialises")
    )
}

/// How many withdrawn posters the partner has yet to confirm are down.
pub async fn takedowns_count(store: &Store, partner: &PartnerId) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM deliveries WHERE partner_id = $1 AND kind = 'withdrawn' \
         AND state IN ('pending', 'sending', 'delivered', 'failed')",
    )
    .bind(partner.as_str())
    .fetch_one(store.pool())
    .await?;
    Ok(row.try_get("n")?)
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
