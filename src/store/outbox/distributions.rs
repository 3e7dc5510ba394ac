//! Which cases are being distributed, what version partners should hold, and when each is next
//! looked at again because its region grows with time.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::count;
use crate::store::{CaseId, Store, StoreError, flag, stamp};

#[derive(Debug, Clone, PartialEq)]
pub struct Distribution {
    pub case_id: CaseId,
    pub started_at: String,
    pub started_by: String,
    /// USPS codes added to the region by case managers.
    pub states: Vec<String>,
    /// The case version partners inside the region should hold.
    pub poster_version: u32,
    /// False once the case is taken down.
    pub active: bool,
    pub planned_at: String,
    pub next_retarget_at: String,
    /// When the case was resolved and its takedown planned.
    pub taken_down_at: Option<String>,
    /// When the last recipient confirmed the takedown.
    pub takedown_done_at: Option<String>,
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<Distribution, StoreError> {
    let id: String = row.try_get("case_id")?;
    Ok(Distribution {
        case_id: id.parse().map_err(|_| StoreError::BadRow("case id"))?,
        started_at: row.try_get("started_at")?,
        started_by: row.try_get("started_by")?,
        states: serde_json::from_str(row.try_get("states")?).map_err(|source| {
            StoreError::Corrupt {
                what: "distribution states",
                source,
            }
        })?,
        poster_version: count(row, "poster_version")?,
        active: flag(row, "active")?,
        planned_at: row.try_get("planned_at")?,
        next_retarget_at: row.try_get("next_retarget_at")?,
        taken_down_at: row.try_get("taken_down_at")?,
        takedown_done_at: row.try_get("takedown_done_at")?,
    })
}

const SELECT: &str = "SELECT case_id, started_at, started_by, states, poster_version, active, \
     planned_at, next_retarget_at, taken_down_at, takedown_done_at FROM distributions";

/// A case's distribution; `lock` (PostgreSQL) holds its row to the end of the transaction.
pub(super) async fn load(
    conn: &mut AnyConnection,
    case: CaseId,
    lock: bool,
) -> Result<Option<Distribution>, StoreError> {
    let sql = format!(
        "{SELECT} WHERE case_id = $1{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(case.to_string())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Write a distribution. A closed case's is never made active again, whatever the caller holds:
/// the case's status is read in the same statement.
pub(super) async fn save(conn: &mut AnyConnection, d: &Distribution) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO distributions (case_id, started_at, started_by, states, poster_version, \
         active, planned_at, next_retarget_at, taken_down_at) \
         SELECT $1, $2, $3, $4, $5, \
             CASE WHEN c.status = 'active' THEN $6 ELSE FALSE END, $7, $8, $9 \
         FROM cases c WHERE c.id = $1 \
         ON CONFLICT (case_id) DO UPDATE SET states = excluded.states, \
             poster_version = excluded.poster_version, active = excluded.active, \
             planned_at = excluded.planned_at, next_retarget_at = excluded.next_retarget_at, \
             taken_down_at = COALESCE(distributions.taken_down_at, excluded.taken_down_at)",
    )
    .bind(d.case_id.to_string())
    .bind(&d.started_at)
    .bind(&d.started_by)
    .bind(serde_json::to_string(&d.states).expect("plain data serialises"))
    .bind(i64::from(d.poster_version))
    .bind(d.active)
    .bind(&d.planned_at)
    .bind(&d.next_retarget_at)
    .bind(&d.taken_down_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Active distributions whose region should be looked at again by `now`, the longest due first.
pub async fn due_distributions(
    store: &Store,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<CaseId>, StoreError> {
    let rows = sqlx::query(
        "SELECT case_id FROM distributions WHERE active = TRUE AND next_retarget_at <= $1 \
         ORDER BY next_retarget_at LIMIT $2",
    )
    .bind(stamp(now))
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let id: String = r.try_get("case_id")?;
            id.parse().map_err(|_| StoreError::BadRow("case id"))
        })
        .collect()
}
