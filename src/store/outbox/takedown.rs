//! When a case's takedown is complete, and putting off a retarget that failed.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use crate::store::{CaseId, Store, StoreError, stamp};

/// A case whose every recipient has now confirmed its takedown.
#[derive(Debug, Clone, PartialEq)]
pub struct TakedownDone {
    pub case_id: CaseId,
    /// From the resolve to the last recipient withdrawn.
    pub took: Duration,
}

/// Mark done, at `at`, the takedowns of `cases` that have no final withdrawal left unconfirmed (one
/// given up on counts as unconfirmed: the poster may still be up). Returns those it marked.
pub(super) async fn complete(
    conn: &mut AnyConnection,
    cases: &[CaseId],
    at: DateTime<Utc>,
) -> Result<Vec<TakedownDone>, StoreError> {
    let mut ids: Vec<String> = cases.iter().map(ToString::to_string).collect();
    ids.sort();
    ids.dedup();
    let mut out = Vec::new();
    let now = stamp(at);
    for id in ids {
        let row = sqlx::query(
            "UPDATE distributions SET takedown_done_at = $1 \
             WHERE case_id = $2 AND taken_down_at IS NOT NULL AND takedown_done_at IS NULL \
               AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.case_id = $2 \
                   AND d.kind = 'withdrawn' AND d.priority = 0 \
                   AND d.state NOT IN ('delivered', 'acknowledged', 'superseded')) \
             RETURNING taken_down_at",
        )
        .bind(&now)
        .bind(&id)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(row) = row else { continue };
        let since: String = row.try_get("taken_down_at")?;
        let since = DateTime::parse_from_rfc3339(&since)
            .map_err(|_| StoreError::BadRow("takedown time"))?
            .with_timezone(&Utc);
        out.push(TakedownDone {
            case_id: id.parse().map_err(|_| StoreError::BadRow("case id"))?,
            took: (at - since).to_std().unwrap_or_default(),
        });
    }
    Ok(out)
}

/// Put a case's next retarget off until `until`: its last one failed, and the others must not wait
/// behind it.
pub async fn defer_retarget(
    store: &Store,
    case: CaseId,
    until: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut tx = store.write().await?;
    sqlx::query("UPDATE distributions SET next_retarget_at = $1 WHERE case_id = $2")
        .bind(stamp(until))
        .bind(case.to_string())
        .execute(tx.conn())
        .await?;
    tx.commit().await?;
    Ok(())
}
