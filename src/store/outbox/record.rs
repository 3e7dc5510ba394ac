//! How each claimed attempt ended, written back in one transaction per batch: the delivery's new
//! state, an attempt row, and the partner's health.
//!
//! A result is written only by the lease's owner: a worker that lost its lease cannot overwrite
//! what another worker did since. The batch's ids and attempt rows are bound as one JSON array per
//! statement, so each statement has one text whatever the batch's size, parsed and planned once per
//! connection; a list of `$n` placeholders was a new statement for every batch length.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::Row;

use super::claim::Claimed;
use super::takedown::{self, TakedownDone};
use super::{Kind, WithdrawReason};
use crate::store::{Backend, CaseId, Store, StoreError, WriteTx, stamp};

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

/// What happened to one partner's deliveries in a batch.
#[derive(Default)]
struct Health {
    delivered: bool,
    failed: bool,
    gone: Option<String>,
}

/// A healthy partner's `last_delivered_at` is rewritten only when older than this.
const HEALTH_FRESH: Duration = Duration::from_secs(5);

/// The values of a JSON array of strings bound as `param`, as a subquery for `IN`.
fn json_values(backend: Backend, param: &str) -> String {
    match backend {
        Backend::Sqlite => format!("(SELECT value FROM json_each({param}))"),
        Backend::Postgres => format!("(SELECT jsonb_array_elements_text({param}::jsonb))"),
    }
}

fn json_strings<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    serde_json::Value::from(values.into_iter().collect::<Vec<_>>()).to_string()
}

/// Mark delivered every delivery of `done` this worker still holds; returns the ids it marked. One
/// superseded while it was being sent stays superseded, with the time it arrived.
async fn mark_delivered(
    tx: &mut WriteTx,
    backend: Backend,
    done: &[&Attempted],
    at: &str,
) -> Result<Vec<String>, StoreError> {
    let mut by_owner: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for f in done {
        by_owner
            .entry(f.claimed.lease_owner.as_str())
            .or_default()
            .push(f.claimed.id.as_str());
    }
    let sql = format!(
        "UPDATE deliveries SET state = CASE WHEN state = 'sending' THEN 'delivered' \
         ELSE state END, delivered_at = $1, last_error = NULL, \
         lease_owner = NULL, lease_until = NULL, updated_at = $1 \
         WHERE state IN ('sending', 'superseded') AND lease_owner = $2 AND id IN {} \
         RETURNING id",
        json_values(backend, "$3")
    );
    let mut marked = Vec::with_capacity(done.len());
    for (owner, ids) in by_owner {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(at)
            .bind(owner)
            .bind(json_strings(ids))
            .fetch_all(tx.conn())
            .await?;
        for row in rows {
            marked.push(row.try_get("id")?);
        }
    }
    Ok(marked)
}

/// Mark one delivery that did not arrive: due again later, or failed for good; one superseded while
/// it was being sent stays superseded. False when this worker no longer holds it.
async fn mark_undelivered(tx: &mut WriteTx, a: &Attempted) -> Result<bool, StoreError> {
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

/// One JSON array a row: [delivery, attempt, at, outcome, error, latency in ms].
const ATTEMPTS_SQLITE: &str = "INSERT INTO delivery_attempts \
     (delivery_id, attempt, at, outcome, error, latency_ms) \
     SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), \
         json_extract(value, '$[3]'), json_extract(value, '$[4]'), json_extract(value, '$[5]') \
     FROM json_each($1) WHERE TRUE ON CONFLICT DO NOTHING";

const ATTEMPTS_PG: &str = "INSERT INTO delivery_attempts \
     (delivery_id, attempt, at, outcome, error, latency_ms) \
     SELECT r->>0, (r->>1)::bigint, r->>2, r->>3, r->>4, (r->>5)::double precision \
     FROM jsonb_array_elements($1::jsonb) AS r ON CONFLICT DO NOTHING";

/// One attempt row per recorded result.
async fn insert_attempts(
    tx: &mut WriteTx,
    backend: Backend,
    recorded: &[&Attempted],
) -> Result<(), StoreError> {
    if recorded.is_empty() {
        return Ok(());
    }
    let rows: Vec<serde_json::Value> = recorded
        .iter()
        .map(|f| {
            json!([
                f.claimed.id,
                f.claimed.attempts,
                stamp(f.at),
                f.label,
                f.error,
                f.latency.as_secs_f64() * 1e3,
            ])
        })
        .collect();
    let sql = match backend {
        Backend::Sqlite => ATTEMPTS_SQLITE,
        Backend::Postgres => ATTEMPTS_PG,
    };
    sqlx::query(sql)
        .bind(serde_json::Value::Array(rows).to_string())
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Record a batch of results in one transaction: each delivery's new state, one attempt row each,
/// and each partner's health. A partner failing for longer than `disable_after` is disabled, as is
/// one whose endpoint said it is gone. Returns the cases whose takedown this batch completed.
pub async fn record(
    store: &Store,
    finished: &[Attempted],
    disable_after: Duration,
) -> Result<Vec<TakedownDone>, StoreError> {
    let Some(latest) = finished.iter().map(|f| f.at).max() else {
        return Ok(Vec::new());
    };
    let now = stamp(latest);
    let backend = store.backend();
    // a batch of results lost in a database crash leaves its deliveries to be sent again
    let mut tx = store.write_relaxed().await?;
    let (delivered, undelivered): (Vec<&Attempted>, Vec<&Attempted>) = finished
        .iter()
        .partition(|f| f.verdict == Verdict::Delivered);
    let marked: HashSet<String> = mark_delivered(&mut tx, backend, &delivered, &now)
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
    insert_attempts(&mut tx, backend, &recorded).await?;
    record_health(&mut tx, backend, &recorded, latest, disable_after).await?;
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

/// Each partner's health after the batch: healthy ones in one statement, the others one by one.
async fn record_health(
    tx: &mut WriteTx,
    backend: Backend,
    recorded: &[&Attempted],
    latest: DateTime<Utc>,
    disable_after: Duration,
) -> Result<(), StoreError> {
    let mut health: BTreeMap<&str, Health> = BTreeMap::new();
    for f in recorded {
        let h = health.entry(f.claimed.partner_id.as_str()).or_default();
        match &f.verdict {
            Verdict::Delivered => h.delivered = true,
            Verdict::Gone => h.gone = Some(f.error.clone().unwrap_or_default()),
            Verdict::Cancelled => {}
            _ => h.failed = true,
        }
    }
    let now = stamp(latest);
    let healthy: Vec<&str> = health
        .iter()
        .filter(|(_, h)| h.delivered && h.gone.is_none())
        .map(|(p, _)| *p)
        .collect();
    if !healthy.is_empty() {
        // A partner's last delivery time is kept to within a few seconds: in a fan-out every batch
        // would otherwise rewrite the status row of every partner in it, as many writes as
        // deliveries.
        let fresh = stamp(latest - chrono::Duration::from_std(HEALTH_FRESH).unwrap_or_default());
        let sql = format!(
            "UPDATE partner_status SET failing_since = NULL, last_delivered_at = $1 \
             WHERE partner_id IN {} AND (failing_since IS NOT NULL \
                 OR last_delivered_at IS NULL OR last_delivered_at < $2)",
            json_values(backend, "$3")
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&now)
            .bind(&fresh)
            .bind(json_strings(healthy))
            .execute(tx.conn())
            .await?;
    }
    let cutoff = stamp(latest - chrono::Duration::from_std(disable_after).unwrap_or_default());
    for (partner, h) in health
        .iter()
        .filter(|(_, h)| !h.delivered || h.gone.is_some())
    {
        update_health(tx, partner, h, &now, &cutoff).await?;
    }
    Ok(())
}

async fn update_health(
    tx: &mut WriteTx,
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
