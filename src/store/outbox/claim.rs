//! Workers take due deliveries with a lease and report how each attempt ended.
//!
//! A claim marks deliveries `sending` until `lease_until`; a worker that dies leaves them to run out
//! and [`reclaim_expired`] puts them back. A poster delivery is claimed only when it is the oldest
//! unfinished delivery of its recipient, so a recipient never receives a newer version before an
//! older one that is still being tried; a takedown waits for nothing. A result is recorded only by
//! the lease's owner: a worker that lost its lease cannot overwrite what another worker did since.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::takedown::{self, TakedownDone};
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

/// What becomes of a delivery after an attempt; the worker decides, from the channel's answer and
/// the retry schedule.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Delivered,
    /// Due again at this time.
    RetryAt(DateTime<Utc>),
    /// Given up on.
    Failed,
    /// Given up on, and the partner's endpoint said it is gone: the partner is disabled.
    Gone,
    /// Not sent: the case closed after the claim. Never tried again.
    Cancelled,
}

/// How one claimed attempt ended.
#[derive(Debug, Clone)]
pub struct Attempted {
    pub claimed: Claimed,
    pub verdict: Verdict,
    /// The attempt's outcome as recorded (`delivered`, `retry`, `failed`, …).
    pub label: &'static str,
    pub error: Option<String>,
    pub at: DateTime<Utc>,
    pub latency: Duration,
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

/// What happened to one partner's deliveries in a batch.
#[derive(Default)]
struct Health {
    delivered: bool,
    failed: bool,
    gone: Option<String>,
}

/// `$first, $first+1, …` for `n` values.
fn marks(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|k| format!("${k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Rows per batched statement.
const CHUNK: usize = 200;
/// A healthy partner's `last_delivered_at` is rewritten only when older than this.
const HEALTH_FRESH: Duration = Duration::from_secs(5);

/// Mark delivered every delivery of `done` this worker still holds; returns the ids it marked. One
/// superseded while it was being sent stays superseded, with the time it arrived.
async fn mark_delivered(
    tx: &mut crate::store::WriteTx,
    done: &[&Attempted],
    at: &str,
) -> Result<Vec<String>, StoreError> {
    let mut marked = Vec::with_capacity(done.len());
    let mut by_owner: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for f in done {
        by_owner
            .entry(f.claimed.lease_owner.as_str())
            .or_default()
            .push(f.claimed.id.as_str());
    }
    for (owner, ids) in by_owner {
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "UPDATE deliveries SET state = CASE WHEN state = 'sending' THEN 'delivered' \
                 ELSE state END, delivered_at = $1, last_error = NULL, \
                 lease_owner = NULL, lease_until = NULL, updated_at = $1 \
                 WHERE state IN ('sending', 'superseded') AND lease_owner = $2 AND id IN ({}) \
                 RETURNING id",
                marks(3, chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(at).bind(owner);
            for id in chunk {
                q = q.bind(*id);
            }
            for row in q.fetch_all(tx.conn()).await? {
                marked.push(row.try_get("id")?);
            }
        }
    }
    Ok(marked)
}

/// Mark one delivery that did not arrive: due again later, or failed for good; one superseded while
/// it was being sent stays superseded. False when this worker no longer holds it.
async fn mark_undelivered(
    tx: &mut crate::store::WriteTx,
    a: &Attempted,
) -> Result<bool, StoreError> {
    let c = &a.claimed;
    let (state, next) = match &a.verdict {
        Verdict::RetryAt(t) => ("pending", Some(stamp(*t))),
        Verdict::Cancelled => ("superseded", None),
        _ => ("failed", None),
    };
    let done = sqlx::query(
        "UPDATE deliveries SET state = CASE WHEN state = 'superseded' THEN state ELSE $1 END, \
         next_attempt_at = COALESCE($2, next_attempt_at), \
         last_error = $3, lease_owner = NULL, lease_until = NULL, updated_at = $4 \
         WHERE id = $5 AND state IN ('sending', 'superseded') AND lease_owner = $6",
    )
    .bind(state)
    .bind(next)
    .bind(a.error.clone())
    .bind(stamp(a.at))
    .bind(&c.id)
    .bind(&c.lease_owner)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// One attempt row per recorded result.
async fn insert_attempts(
    tx: &mut crate::store::WriteTx,
    recorded: &[&Attempted],
) -> Result<(), StoreError> {
    const PER_ROW: usize = 6;
    for chunk in recorded.chunks(CHUNK / 2) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| format!("({})", marks(i * PER_ROW + 1, PER_ROW)))
            .collect();
        let sql = format!(
            "INSERT INTO delivery_attempts (delivery_id, attempt, at, outcome, error, latency_ms) \
             VALUES {} ON CONFLICT DO NOTHING",
            rows.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for f in chunk {
            q = q
                .bind(f.claimed.id.clone())
                .bind(i64::from(f.claimed.attempts))
                .bind(stamp(f.at))
                .bind(f.label)
                .bind(f.error.clone())
                .bind(f.latency.as_secs_f64() * 1e3);
        }
        q.execute(tx.conn()).await?;
    }
    Ok(())
}

/// Record a batch of results in one transaction: each delivery's new state, one attempt row each,
/// and each partner's health. A partner failing for longer than `disable_after` is disabled, as is
/// one whose endpoint said it is gone. Deliveries arrive in bulk, so they are marked a few hundred
/// per statement. Returns the cases whose takedown this batch completed.
pub async fn record(
    store: &Store,
    finished: &[Attempted],
    disable_after: Duration,
) -> Result<Vec<TakedownDone>, StoreError> {
    let Some(latest) = finished.iter().map(|f| f.at).max() else {
        return Ok(Vec::new());
    };
    let now = stamp(latest);
    // a batch of results lost in a database crash leaves its deliveries to be sent again
    let mut tx = store.write_relaxed().await?;
    let (delivered, undelivered): (Vec<&Attempted>, Vec<&Attempted>) = finished
        .iter()
        .partition(|f| f.verdict == Verdict::Delivered);
    let marked: HashSet<String> = mark_delivered(&mut tx, &delivered, &now)
        .await?
        .into_iter()
        .collect();
    // a delivery whose lease was lost belongs to another worker now: its result is not ours to write
    let mut recorded: Vec<&Attempted> = delivered
        .into_iter()
        .filter(|f| marked.contains(&f.claimed.id))
        .collect();
    for f in undelivered {
        if mark_undelivered(&mut tx, f).await? {
            recorded.push(f);
        }
    }
    insert_attempts(&mut tx, &recorded).await?;
    let mut health: BTreeMap<&str, Health> = BTreeMap::new();
    for f in &recorded {
        let h = health.entry(f.claimed.partner_id.as_str()).or_default();
        match &f.verdict {
            Verdict::Delivered => h.delivered = true,
            Verdict::Gone => h.gone = Some(f.error.clone().unwrap_or_default()),
            Verdict::Cancelled => {}
            _ => h.failed = true,
        }
    }
    let cutoff = stamp(latest - chrono::Duration::from_std(disable_after).unwrap_or_default());
    let healthy: Vec<&str> = health
        .iter()
        .filter(|(_, h)| h.delivered && h.gone.is_none())
        .map(|(p, _)| *p)
        .collect();
    // A partner's last delivery time is kept to within a few seconds: in a fan-out every batch
    // would otherwise rewrite the status row of every partner in it, as many writes as deliveries.
    let fresh = stamp(latest - chrono::Duration::from_std(HEALTH_FRESH).unwrap_or_default());
    for chunk in healthy.chunks(CHUNK) {
        let sql = format!(
            "UPDATE partner_status SET failing_since = NULL, last_delivered_at = $1 \
             WHERE partner_id IN ({}) AND (failing_since IS NOT NULL \
                 OR last_delivered_at IS NULL OR last_delivered_at < $2)",
            marks(3, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&now)
            .bind(&fresh);
        for p in chunk {
            q = q.bind(*p);
        }
        q.execute(tx.conn()).await?;
    }
    for (partner, h) in health
        .iter()
        .filter(|(_, h)| !h.delivered || h.gone.is_some())
    {
        update_health(&mut tx, partner, h, &now, &cutoff).await?;
    }
    let taken_down: Vec<CaseId> = recorded
        .iter()
        .filter(|f| {
            f.claimed.kind == Kind::Withdrawn
                && f.claimed.reason.is_some_and(WithdrawReason::is_final)
        })
        .map(|f| f.claimed.case_id)
        .collect();
    let done = takedown::complete(tx.conn(), &taken_down, latest).await?;
    tx.commit().await?;
    Ok(done)
}

async fn update_health(
    tx: &mut crate::store::WriteTx,
    partner: &str,
    h: &Health,
    now: &str,
    cutoff: &str,
) -> Result<(), StoreError> {
    if let Some(error) = &h.gone {
        sqlx::query(
            "UPDATE partner_status SET disabled_at = $1, disabled_reason = $2, \
             failing_since = COALESCE(failing_since, $1) WHERE partner_id = $3 AND disabled_at IS NULL",
        )
        .bind(now)
        .bind(format!("endpoint gone: {error}"))
        .bind(partner)
        .execute(tx.conn())
        .await?;
    } else if h.delivered {
        sqlx::query(
            "UPDATE partner_status SET failing_since = NULL, last_delivered_at = $1 \
             WHERE partner_id = $2",
        )
        .bind(now)
        .bind(partner)
        .execute(tx.conn())
        .await?;
    } else if h.failed {
        sqlx::query(
            "UPDATE partner_status SET failing_since = COALESCE(failing_since, $1) \
             WHERE partner_id = $2",
        )
        .bind(now)
        .bind(partner)
        .execute(tx.conn())
        .await?;
        sqlx::query(
            "UPDATE partner_status SET disabled_at = $1, \
             disabled_reason = 'failing since ' || failing_since \
             WHERE partner_id = $2 AND disabled_at IS NULL AND failing_since < $3",
        )
        .bind(now)
        .bind(partner)
        .bind(cutoff)
        .execute(tx.conn())
        .await?;
    }
    Ok(())
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
