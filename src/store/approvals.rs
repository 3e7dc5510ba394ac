//! Second-person approval of a case's first dispatch: the request a case manager leaves, and the
//! approval another gives. Both are in the audit log.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::audit::{AuditEvent, record};
use super::{Actor, CaseId, Store, StoreError, stamp};

/// A dispatch waiting for (or given) its second approval.
#[derive(Debug, Clone, PartialEq)]
pub struct Approval {
    pub requested_by: String,
    pub requested_at: String,
    /// Whole states added to the region.
    pub states: Vec<String>,
    pub approved_by: Option<String>,
    pub approved_at: Option<String>,
}

fn approval(r: &sqlx::any::AnyRow) -> Result<Approval, StoreError> {
    let states: String = r.try_get("states")?;
    Ok(Approval {
        requested_by: r.try_get("requested_by")?,
        requested_at: r.try_get("requested_at")?,
        states: states
            .split(',')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        approved_by: r.try_get("approved_by")?,
        approved_at: r.try_get("approved_at")?,
    })
}

const COLUMNS: &str = "requested_by, requested_at, states, approved_by, approved_at";

impl Store {
    /// The approval request of case `id`, if one was made.
    pub async fn approval(&self, id: CaseId) -> Result<Option<Approval>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM dispatch_approvals WHERE case_id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(approval).transpose()
    }

    /// Ask for the first dispatch of case `id` to be approved. A request already waiting is kept
    /// as it is (the first asker's) and returned.
    pub async fn request_dispatch(
        &self,
        id: CaseId,
        states: &[String],
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> Result<Approval, StoreError> {
        let mut tx = self.write().await?;
        let inserted = sqlx::query(
            "INSERT INTO dispatch_approvals (case_id, requested_by, requested_at, states) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (case_id) DO NOTHING",
        )
        .bind(id.to_string())
        .bind(actor.to_string())
        .bind(stamp(at))
        .bind(states.join(","))
        .execute(tx.conn())
        .await?
        .rows_affected();
        if inserted == 1 {
            let event = AuditEvent {
                actor,
                action: "case.dispatch_requested",
                case_id: Some(id),
                subject: (!states.is_empty()).then(|| states.join(",")),
                version: None,
            };
            record(tx.conn(), event).await?;
        }
        let sql = format!("SELECT {COLUMNS} FROM dispatch_approvals WHERE case_id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string())
            .fetch_one(tx.conn())
            .await?;
        tx.commit().await?;
        approval(&row)
    }

    /// Approve the waiting request of case `id` as `actor`. `NotFound` when none waits;
    /// `Forbidden` when `actor` is who asked.
    pub async fn approve_dispatch(
        &self,
        id: CaseId,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> Result<Approval, StoreError> {
        let mut tx = self.write().await?;
        let sql = format!(
            "UPDATE dispatch_approvals SET approved_by = $1, approved_at = $2 \
             WHERE case_id = $3 AND approved_at IS NULL AND requested_by <> $1 RETURNING {COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(actor.to_string())
            .bind(stamp(at))
            .bind(id.to_string())
            .fetch_optional(tx.conn())
            .await?;
        let Some(row) = row else {
            return Err(StoreError::NotFound("dispatch waiting for approval"));
        };
        let found = approval(&row)?;
        let event = AuditEvent {
            actor,
            action: "case.dispatch_approved",
            case_id: Some(id),
            subject: Some(found.requested_by.clone()),
            version: None,
        };
        record(tx.conn(), event).await?;
        tx.commit().await?;
        Ok(found)
    }
}
