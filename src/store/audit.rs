//! The audit log: who did what to which ids, and when. Never names, addresses or photos.

use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::{Actor, CaseId, Store, StoreError, now, values};

/// One thing that happened, as it is written.
pub struct AuditEvent<'a> {
    pub actor: &'a Actor,
    pub action: &'static str,
    pub case_id: Option<CaseId>,
    /// The other id involved: a photo, a token, a partner, a poster key.
    pub subject: Option<String>,
    pub version: Option<i64>,
}

pub(crate) async fn record(conn: &mut AnyConnection, e: AuditEvent<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor, action, case_id, subject, version) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(now())
    .bind(e.actor.to_string())
    .bind(e.action)
    .bind(e.case_id.map(|c| c.to_string()))
    .bind(e.subject)
    .bind(e.version)
    .execute(conn)
    .await?;
    Ok(())
}

/// Several events in one statement (a batch of creates). `values` gives the placeholders.
pub(crate) async fn record_all(
    conn: &mut AnyConnection,
    events: &[AuditEvent<'_>],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO audit_log (at, actor, action, case_id, subject, version) VALUES {}",
        values(events.len(), 6)
    );
    let at = now();
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for e in events {
        query = query
            .bind(at.clone())
            .bind(e.actor.to_string())
            .bind(e.action)
            .bind(e.case_id.map(|c| c.to_string()))
            .bind(e.subject.clone())
            .bind(e.version);
    }
    query.execute(conn).await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub case_id: Option<String>,
    pub subject: Option<String>,
    pub version: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub case_id: Option<CaseId>,
    pub action: Option<String>,
    /// Entries with an id below this one (paging backwards from the newest).
    pub before: Option<i64>,
    pub limit: i64,
}

impl Store {
    /// Record an event in its own transaction (for things that change nothing else, like a render).
    pub(crate) async fn record_audit(&self, e: AuditEvent<'_>) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        record(tx.conn(), e).await?;
        tx.commit().await
    }

    /// Newest first.
    pub async fn audit_entries(&self, f: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, at, actor, action, case_id, subject, version FROM audit_log \
             WHERE ($1 IS NULL OR case_id = $1) AND ($2 IS NULL OR action = $2) \
               AND ($3 IS NULL OR id < $3) \
             ORDER BY id DESC LIMIT $4",
        )
        .bind(f.case_id.map(|c| c.to_string()))
        .bind(f.action.clone())
        .bind(f.before)
        .bind(f.limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    case_id: r.try_get("case_id")?,
                    subject: r.try_get("subject")?,
                    version: r.try_get("version")?,
                })
            })
            .collect()
    }
}
