//! Several processes on one database: the dispatch workers' heartbeats, the burial of dead workers
//! (their leased deliveries put back at once), values every instance shares, and PostgreSQL's
//! change notifications.

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::postgres::PgListener;

use super::{Backend, Store, StoreError, stamp};

/// Notified when partners or their locations change (PostgreSQL).
pub const PARTNERS_CHANNEL: &str = "lookout_partners";
/// Notified when deliveries are queued (PostgreSQL).
pub const DELIVERIES_CHANNEL: &str = "lookout_deliveries";
/// Notified when tokens are revoked (PostgreSQL).
const TOKENS_CHANNEL: &str = "lookout_tokens";
/// A listener that failed waits this long before connecting again.
const LISTEN_RETRY: std::time::Duration = std::time::Duration::from_secs(1);

/// A running worker as it registers itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerIdentity {
    /// New at every start.
    pub id: String,
    /// The boot and PID namespace the process runs in: where `pid` means something.
    pub machine: String,
    pub pid: u32,
    /// The process's start time as the kernel counts it, so a reused pid is not taken for it.
    pub proc_started: String,
}

/// A worker's row as another worker reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerRow {
    pub identity: WorkerIdentity,
    /// How many beats it has made: alive while this moves.
    pub beat: i64,
    pub beat_at: DateTime<Utc>,
}

/// A worker found dead, to be buried only if it has not beaten since it was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Burial {
    pub id: String,
    pub beat: i64,
}

/// What a burial put back.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Buried {
    pub workers: u64,
    pub deliveries: u64,
}

impl Store {
    /// Add this worker's row, beat 0.
    pub async fn register_worker(
        &self,
        w: &WorkerIdentity,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now = stamp(now);
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO workers (id, machine, pid, proc_started, started_at, beat, beat_at) \
             VALUES ($1, $2, $3, $4, $5, 0, $5)",
        )
        .bind(&w.id)
        .bind(&w.machine)
        .bind(i64::from(w.pid))
        .bind(&w.proc_started)
        .bind(&now)
        .execute(tx.conn())
        .await?;
        tx.commit().await
    }

    /// Renew this worker's heartbeat. False when its row is gone: another worker found it dead
    /// and gave its deliveries to others.
    pub async fn beat(&self, id: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let done = sqlx::query("UPDATE workers SET beat = beat + 1, beat_at = $1 WHERE id = $2")
            .bind(stamp(now))
            .bind(id)
            .execute(tx.conn())
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Every registered worker.
    pub async fn workers(&self) -> Result<Vec<WorkerRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, machine, pid, proc_started, beat, beat_at FROM workers ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let at: String = r.try_get("beat_at")?;
                Ok(WorkerRow {
                    identity: WorkerIdentity {
                        id: r.try_get("id")?,
                        machine: r.try_get("machine")?,
                        pid: u32::try_from(r.try_get::<i64, _>("pid")?)
                            .map_err(|_| StoreError::BadRow("worker pid"))?,
                        proc_started: r.try_get("proc_started")?,
                    },
                    beat: r.try_get("beat")?,
                    beat_at: DateTime::parse_from_rfc3339(&at)
                        .map_err(|_| StoreError::BadRow("worker beat time"))?
                        .to_utc(),
                })
            })
            .collect()
    }

    /// Bury dead workers: each row still at the beat it was seen dead with is deleted, and the
    /// deliveries it held are due again at once. A worker that beat meanwhile is alive and kept;
    /// on PostgreSQL the delete waits for a beat in progress, so the two never both succeed.
    pub async fn bury_workers(
        &self,
        dead: &[Burial],
        now: DateTime<Utc>,
    ) -> Result<Buried, StoreError> {
        let mut buried = Buried::default();
        if dead.is_empty() {
            return Ok(buried);
        }
        let now = stamp(now);
        let mut tx = self.write().await?;
        for b in dead {
            let gone = sqlx::query("DELETE FROM workers WHERE id = $1 AND beat = $2")
                .bind(&b.id)
                .bind(b.beat)
                .execute(tx.conn())
                .await?;
            if gone.rows_affected() == 0 {
                continue;
            }
            buried.workers += 1;
            let back = sqlx::query(
                "UPDATE deliveries SET state = 'pending', next_attempt_at = $1, lease_owner = NULL, \
                 lease_until = NULL, last_error = 'its worker stopped: delivering again', \
                 updated_at = $1 WHERE state = 'sending' AND lease_owner LIKE $2",
            )
            .bind(&now)
            // each claim's lease is `{worker}/{claim}`; worker ids hold no LIKE wildcards
            .bind(format!("{}/%", b.id))
            .execute(tx.conn())
            .await?;
            buried.deliveries += back.rows_affected();
        }
        tx.commit().await?;
        Ok(buried)
    }

    /// A worker stopping cleanly takes its row away (its sends are finished and recorded).
    pub async fn unregister_worker(&self, id: &str) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM workers WHERE id = $1")
            .bind(id)
            .execute(tx.conn())
            .await?;
        tx.commit().await
    }

    /// The shared value `name`: made by `make` and stored by the first process to ask, read back
    /// by every other. Two processes asking at once both read the one that was stored first.
    pub async fn shared_setting(
        &self,
        name: &str,
        make: impl FnOnce() -> String,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO shared_settings (name, value, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(make())
        .bind(stamp(now))
        .execute(tx.conn())
        .await?;
        let row = sqlx::query("SELECT value FROM shared_settings WHERE name = $1")
            .bind(name)
            .fetch_one(tx.conn())
            .await?;
        tx.commit().await?;
        Ok(row.try_get("value")?)
    }

    /// A listener on PostgreSQL's notifications on `channels`; `None` on SQLite, where every
    /// writer is in one process or polls.
    pub async fn listen(&self, channels: &[&str]) -> Result<Option<PgListener>, StoreError> {
        if self.backend() != Backend::Postgres {
            return Ok(None);
        }
        let mut listener = PgListener::connect(self.url()).await?;
        listener.listen_all(channels.iter().copied()).await?;
        Ok(Some(listener))
    }

    /// Forget every cached token whenever any process revokes one, until the task is dropped
    /// (PostgreSQL; on SQLite this returns at once and the cache's few seconds apply).
    pub async fn follow_revocations(self) {
        loop {
            let mut listener = match self.listen(&[TOKENS_CHANNEL]).await {
                Ok(Some(l)) => l,
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "listening for token revocations failed; cached tokens expire meanwhile");
                    tokio::time::sleep(LISTEN_RETRY).await;
                    continue;
                }
            };
            // a reconnect may have missed a revocation: forget everything each time
            self.token_cache.revoked();
            while listener.recv().await.is_ok() {
                self.token_cache.revoked();
            }
            tokio::time::sleep(LISTEN_RETRY).await;
        }
    }
}
