//! What the service throws away as time passes: idempotency keys older than a day, and any poster
//! still cached for a case that is closed (resolving a case removes its posters at once; this
//! catches one a render in flight cached after the close).

use chrono::{DateTime, Utc};

use super::{Store, StoreError, stamp};

/// How long an `Idempotency-Key` holds: a retry within a day replays, after that the key is free.
pub const IDEMPOTENCY_TTL: chrono::Duration = chrono::Duration::hours(24);

/// What one sweep removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    pub idempotency_keys: u64,
    pub posters: u64,
}

impl Store {
    /// Remove what has expired by `now`.
    pub async fn sweep(&self, now: DateTime<Utc>) -> Result<Swept, StoreError> {
        let mut tx = self.write().await?;
        let idempotency_keys = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(stamp(now - IDEMPOTENCY_TTL))
            .execute(tx.conn())
            .await?
            .rows_affected();
        let posters = sqlx::query(
            "DELETE FROM poster_cache WHERE case_id IN \
             (SELECT id FROM cases WHERE status <> 'active')",
        )
        .execute(tx.conn())
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(Swept {
            idempotency_keys,
            posters,
        })
    }
}
