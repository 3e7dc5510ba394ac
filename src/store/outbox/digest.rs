//! Digests: the posters a partner takes daily or weekly, held until its digest time and sent as one
//! message (or, for a partner that fetches, put in its feed at that time). A digest has no row of its own: it is the deliveries that name it, claimed together
//! under one lease when it is due, sent under the digest's id, and recorded each as the worker
//! records any delivery. So a digest is durable, retried and never sent twice under one id, and a
//! poster overtaken or taken down before the digest goes out simply drops out of it.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::claim::{Claimed, POSTERS, claimed};
use super::enqueue::next_seqs;
use crate::store::{Backend, Store, StoreError, stamp};

/// A digest a worker now holds: every delivery of it that may go now.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedDigest {
    pub id: String,
    pub partner_id: String,
    pub members: Vec<Claimed>,
}

/// Digests due at `now`, at most `limit`.
const DUE_SQL: &str = "SELECT DISTINCT digest_id FROM deliveries \
     WHERE digest_id IS NOT NULL AND state = 'pending' AND next_attempt_at <= $1 LIMIT $2";

/// One digest's deliveries that may go now, under the rules of any poster delivery (the oldest
/// unfinished one of its recipient, never to a disabled partner); `{LOCK}` is PostgreSQL's.
const CLAIM_SQL: &str = "UPDATE deliveries SET state = 'sending', lease_owner = $1, \
         lease_until = $2, attempts = attempts + 1, updated_at = $3 \
     WHERE id IN (SELECT d.id FROM deliveries d \
         WHERE d.digest_id = $4 AND d.state = 'pending' AND d.next_attempt_at <= $3 {RULES} \
         ORDER BY d.seq {LOCK}) \
     RETURNING id, case_id, partner_id, location_ref, version, kind, reason, channel, locations, \
         attempts, lease_owner";

/// Take up to `limit` due digests until `lease_until`, each with the deliveries in it that may go.
/// A digest another worker holds is skipped; one with nothing left to send is not returned.
pub async fn claim_digests(
    store: &Store,
    owner: &str,
    now: DateTime<Utc>,
    lease: std::time::Duration,
    limit: i64,
) -> Result<Vec<ClaimedDigest>, StoreError> {
    let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60));
    let (until, now) = (stamp(until), stamp(now));
    let due: Vec<String> = sqlx::query(DUE_SQL)
        .bind(&now)
        .bind(limit)
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(|r| r.try_get("digest_id"))
        .collect::<Result<_, _>>()?;
    let lock = match store.backend() {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = CLAIM_SQL
        .replace("{RULES}", POSTERS)
        .replace("{LOCK}", lock);
    let mut out = Vec::with_capacity(due.len());
    for id in due {
        let query = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(owner)
            .bind(&until)
            .bind(&now)
            .bind(&id);
        let rows = match store.backend() {
            // one statement: every delivery of the digest that is free goes to this worker
            Backend::Postgres => query.fetch_all(store.relaxed_pool()).await?,
            Backend::Sqlite => {
                let mut tx = store.write().await?;
                let rows = query.fetch_all(tx.conn()).await?;
                tx.commit().await?;
                rows
            }
        };
        let members: Vec<Claimed> = rows.iter().map(claimed).collect::<Result<_, _>>()?;
        let Some(first) = members.first() else {
            continue;
        };
        out.push(ClaimedDigest {
            partner_id: first.partner_id.clone(),
            id,
            members,
        });
    }
    Ok(out)
}

/// A digest of a partner that fetches its posters is due: its deliveries join the partner's feed
/// now, after everything already in it, as if queued at this moment. Until then they were left
/// out of the feed, so a takedown queued behind them never waited for them.
pub async fn publish_digest(
    store: &Store,
    d: &ClaimedDigest,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let at = stamp(now);
    let mut tx = store.write().await?;
    let wanted = [(d.partner_id.as_str(), d.members.len() as i64)];
    let first = *next_seqs(tx.conn(), &wanted)
        .await?
        .get(&d.partner_id)
        .ok_or(StoreError::BadRow("partner status sequence"))?;
    for (i, c) in d.members.iter().enumerate() {
        sqlx::query(
            "UPDATE deliveries SET seq = $1, digest_id = NULL, state = 'pending', \
             attempts = attempts - 1, next_attempt_at = $2, lease_owner = NULL, \
             lease_until = NULL, updated_at = $2 \
             WHERE id = $3 AND state = 'sending' AND lease_owner = $4",
        )
        .bind(first + i as i64)
        .bind(&at)
        .bind(&c.id)
        .bind(&c.lease_owner)
        .execute(tx.conn())
        .await?;
    }
    tx.commit().await
}
