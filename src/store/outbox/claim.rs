//! Workers take due deliveries with a lease ([`super::record`] writes how each attempt ended).
//!
//! A claim marks deliveries `sending` until `lease_until`; a worker that dies leaves them to run out
//! and [`reclaim_expired`] puts them back. A poster delivery is claimed only when it is the oldest
//! unfinished delivery of its recipient, so a recipient never receives a newer version before an
//! older one that is still being tried; a takedown waits for nothing. A result is recorded only by
//! the lease's owner: a worker that lost its lease cannot overwrite what another worker did since.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Channel, DeliveryLocation, Kind, WithdrawReason, count, locations_of, parse_reason};
use crate::store::{Backend, CaseId, Store, StoreError, stamp};

/// A delivery a worker now holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    pub id: String,
    pub case_id: CaseId,
    pub partner_id: String,
    pub location_ref: String,
    pub version: u32,
    pub kind: Kind,
    pub reason: Option<WithdrawReason>,
    pub channel: Channel,
    pub locations: Vec<DeliveryLocation>,
    /// Including this one.
    pub attempts: u32,
    pub lease_owner: String,
}

/// The claim, with `{RULES}` filled in by [`TAKEDOWNS`] or [`POSTERS`]. A delivery held for a
/// digest is claimed with its digest ([`super::claim_digests`]), never alone.
const CLAIM_SQL: &str = "UPDATE deliveries SET state = 'sending', lease_owner = $1, lease_until = $2, \
         attempts = attempts + 1, updated_at = $3 \
     WHERE id IN (SELECT d.id FROM deliveries d \
         WHERE d.state = 'pending' AND d.next_attempt_at <= $3 AND d.channel <> 'pull' \
           AND d.digest_id IS NULL {RULES} \
         ORDER BY d.next_attempt_at, d.seq LIMIT $4 {LOCK}) \
     RETURNING id, case_id, partner_id, location_ref, version, kind, reason, channel, locations, \
         attempts, lease_owner";

/// Takedowns (found safe, closed: priority 0) wait behind nothing of their recipient and go to a
/// disabled partner too.
const TAKEDOWNS: &str = "AND d.priority = 0";

/// Everything else (priority 1): only the oldest unfinished delivery of each recipient, never to a
/// disabled partner. Claimed in a statement of its own after the takedowns, each with its priority
/// as an equality, so both walk the `deliveries_due` index in order and stop at the limit, with or
/// without the planner's statistics. A closed case has no such delivery left (its
/// takedown superseded them all); the worker checks every claimed batch against the cases all the
/// same, because a join with `cases` here makes PostgreSQL, on a table it has not analysed yet,
/// start from the case and sort every pending row.
pub(super) const POSTERS: &str = "AND d.priority = 1 \
           AND NOT EXISTS (SELECT 1 FROM deliveries o WHERE o.partner_id = d.partner_id \
               AND o.case_id = d.case_id AND o.location_ref = d.location_ref AND o.seq < d.seq \
               AND o.state IN ('pending', 'sending')) \
           AND NOT EXISTS (SELECT 1 FROM partner_status s WHERE s.partner_id = d.partner_id \
               AND s.disabled_at IS NOT NULL)";

/// Take up to `limit` due deliveries until `lease_until`, takedowns first, then the longest due;
/// among deliveries due at the same moment, `seq` (per partner) takes turns between partners.
pub async fn claim(
    store: &Store,
    owner: &str,
    now: DateTime<Utc>,
    lease: Duration,
    limit: i64,
) -> Result<Vec<Claimed>, StoreError> {
    let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60));
    let (until, now) = (stamp(until), stamp(now));
    let rows = match store.backend() {
        // Instances skip each other's rows instead of waiting. Each statement is atomic by itself,
        // so no transaction is opened around them: two round trips a claim instead of four. A
        // claim lost in a database crash only means the delivery is claimed again: no disk wait.
        Backend::Postgres => {
            let mut conn = store.relaxed_pool().acquire().await?;
            let lock = "FOR UPDATE SKIP LOCKED";
            claim_in(&mut conn, lock, owner, &until, &now, limit).await?
        }
        // One writer: the claim goes under the writer lock, or it would meet SQLITE_BUSY.
        Backend::Sqlite => {
            let mut tx = store.write().await?;
            let rows = claim_in(tx.conn(), "", owner, &until, &now, limit).await?;
            tx.commit().await?;
            rows
        }
    };
    rows.iter().map(claimed).collect()
}

/// Takedowns first, then posters, up to `limit` in all.
async fn claim_in(
    conn: &mut sqlx::AnyConnection,
    lock: &str,
    owner: &str,
    until: &str,
    now: &str,
    limit: i64,
) -> Result<Vec<sqlx::any::AnyRow>, StoreError> {
    let mut rows = Vec::new();
    for rules in [TAKEDOWNS, POSTERS] {
        let left = limit - rows.len() as i64;
        if left <= 0 {
            break;
        }
        let sql = CLAIM_SQL.replace("{RULES}", rules).replace("{LOCK}", lock);
        rows.extend(
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(owner)
                .bind(until)
                .bind(now)
                .bind(left)
                .fetch_all(&mut *conn)
                .await?,
        );
    }
    Ok(rows)
}

pub(super) fn claimed(row: &sqlx::any::AnyRow) -> Result<Claimed, StoreError> {
    let bad = StoreError::BadRow;
    let case: String = row.try_get("case_id")?;
    let reason: Option<String> = row.try_get("reason")?;
    Ok(Claimed {
        id: row.try_get("id")?,
        case_id: case.parse().map_err(|_| bad("case"))?,
        partner_id: row.try_get("partner_id")?,
        location_ref: row.try_get("location_ref")?,
        version: count(row, "version")?,
        kind: Kind::parse(row.try_get("kind")?).ok_or(bad("kind"))?,
        reason: reason.as_deref().and_then(parse_reason),
        channel: Channel::parse(row.try_get("channel")?).ok_or(bad("channel"))?,
        locations: locations_of(row)?,
        attempts: count(row, "attempts")?,
        lease_owner: row.try_get("lease_owner")?,
    })
}

/// Put deliveries whose lease ran out (their worker died) back in the queue, due at once.
pub async fn reclaim_expired(store: &Store, now: DateTime<Utc>) -> Result<u64, StoreError> {
    let now = stamp(now);
    let mut tx = store.write().await?;
    let done = sqlx::query(
        "UPDATE deliveries SET state = 'pending', next_attempt_at = $1, lease_owner = NULL, \
         lease_until = NULL, last_error = 'lease expired: the worker stopped', updated_at = $1 \
         WHERE state = 'sending' AND lease_until < $1",
    )
    .bind(&now)
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// Give claimed deliveries back unsent (their partner is at its limit in this process), due again
/// after `backoff`; the attempt they were counted is taken back.
pub async fn release(
    store: &Store,
    claimed: &[Claimed],
    now: DateTime<Utc>,
    backoff: Duration,
) -> Result<(), StoreError> {
    let due = stamp(now + chrono::Duration::from_std(backoff).unwrap_or_default());
    let mut tx = store.write().await?;
    for c in claimed {
        sqlx::query(
            "UPDATE deliveries SET state = 'pending', attempts = attempts - 1, \
             next_attempt_at = $1, lease_owner = NULL, lease_until = NULL \
             WHERE id = $2 AND state = 'sending' AND lease_owner = $3",
        )
        .bind(&due)
        .bind(&c.id)
        .bind(&c.lease_owner)
        .execute(tx.conn())
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
