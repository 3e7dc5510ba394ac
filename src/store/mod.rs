//! The durable store: cases and their versions, photos, the poster cache, tokens, the audit log,
//! idempotency keys, partners and their locations.
//!
//! One query layer for SQLite and PostgreSQL: sqlx's `Any` driver with runtime queries and `$N`
//! placeholders (SQLite reads `$N` as numbered parameters too). SQLite allows one writer at a time, so
//! every write transaction here first takes the store's writer lock: concurrent writers queue in the
//! process instead of meeting SQLITE_BUSY.

mod approvals;
mod audit;
mod cases;
mod idempotency;
mod ids;
mod instances;
mod migrations;
pub mod outbox;
mod partners;
mod photos;
mod posters;
mod public_pages;
mod reach;
mod retention;
mod sweep;
mod tip_messages;
mod tips;
mod token_cache;
mod tokens;
mod users;

use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyPool, Executor, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

pub use approvals::Approval;
pub use audit::{AuditEntry, AuditEvent, AuditFilter};
pub use cases::{
    CaseFilter, CaseRecord, CaseSummary, Created, Outcome, Resolution, VersionMeta, VersionRecord,
};
pub use idempotency::IdempotencyKey;
pub use ids::{Actor, CaseId, PhotoId, Principal, Role, TokenId, UserId};
pub use instances::{
    Burial, Buried, DELIVERIES_CHANNEL, PARTNERS_CHANNEL, WorkerIdentity, WorkerRow,
};
pub use partners::PartnerRecord;
pub use photos::PhotoMeta;
pub use posters::CachedPoster;
pub use public_pages::PublicCase;
pub use reach::{ReachRow, Via, VisitKey, is_via_code};
pub use sweep::{IDEMPOTENCY_TTL, Swept};
pub use tip_messages::{Forwarded, TipMessage, TipMessageKind, TipMessageResult, TipMessageView};
pub use tips::{TipOrigin, TipPhoto, TipRecord};
pub use tokens::{NewToken, TokenInfo};
pub use users::{SessionInfo, UserRecord};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored {what} is unreadable: {source}")]
    Corrupt {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("case number {0} is already in use")]
    CaseNumberTaken(String),
    #[error("this Idempotency-Key was used with a different request")]
    IdempotencyKeyReused,
    #[error("the case changed while this update was being made")]
    VersionConflict,
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A stored value that no longer parses: an internal error, never a 404.
    #[error("stored {0} is unreadable")]
    BadRow(&'static str),
    #[error("{0} already exists")]
    AlreadyExists(&'static str),
    #[error("unsupported database URL {0}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    /// A call the store refuses whatever the data: a mistake in its caller, an internal error.
    #[error("refused: {0}")]
    Misuse(&'static str),
}

impl StoreError {
    fn is_unique_violation(e: &sqlx::Error) -> bool {
        matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A handle on the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    /// PostgreSQL: a few connections with `synchronous_commit = off`, for the worker's claims and
    /// results (see [`Store::write_relaxed`]). SQLite: the main pool.
    relaxed: AnyPool,
    backend: Backend,
    /// Where the pool connects, for a notification listener's own connection. Holds the
    /// password: never printed.
    url: Arc<str>,
    /// Held for the whole of every write transaction on SQLite; `None` on PostgreSQL.
    writer: Option<Arc<Mutex<()>>>,
    /// The group-commit writer task for new cases (SQLite); `None` writes each create by itself.
    creates: Option<cases::CreateQueue>,
    /// Recently authenticated tokens, shared by every clone of this store.
    token_cache: Arc<token_cache::TokenCache>,
}

/// A write transaction, holding the writer lock (SQLite) until it is committed or dropped.
pub(crate) struct WriteTx {
    tx: Transaction<'static, Any>,
    _writer: Option<OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub(crate) fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }

    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }
}

impl Store {
    /// Connect to `sqlite://PATH` (the file is created when missing) or `postgres://…`.
    /// Does not migrate: call [`Store::migrate`].
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };
        let options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        let pool = match backend {
            Backend::Sqlite => {
                options
                    .max_connections(8)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // WAL lets readers run beside the writer; busy_timeout covers another
                            // process (a CLI command) writing at the same moment. It is set first:
                            // a connection opened while another writes must wait for the journal
                            // mode too, not fail at once with "database is locked".
                            conn.execute(
                                "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                                 PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect(&sqlite_url(url))
                    .await?
            }
            Backend::Postgres => options.max_connections(16).connect(url).await?,
        };
        let relaxed = match backend {
            Backend::Sqlite => pool.clone(),
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .acquire_timeout(Duration::from_secs(10))
                    .max_connections(4)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute("SET synchronous_commit = off").await?;
                            Ok(())
                        })
                    })
                    .connect(url)
                    .await?
            }
        };
        let writer = (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(())));
        let mut store = Store {
            pool,
            relaxed,
            backend,
            url: Arc::from(url),
            writer,
            creates: None,
            token_cache: Arc::new(token_cache::TokenCache::new()),
        };
        if backend == Backend::Sqlite {
            store.creates = Some(cases::CreateQueue::start(store.clone()));
        }
        Ok(store)
    }

    /// Apply every migration not yet applied.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let _writer = self.lock_writer().await;
        migrations::migrator(self.backend).run(&self.pool).await?;
        Ok(())
    }

    /// Connect and migrate: what the service and every data command do at start.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let store = Store::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Is the database reachable and answering?
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
        self.relaxed.close().await;
    }

    fn url(&self) -> &str {
        &self.url
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    async fn lock_writer(&self) -> Option<OwnedMutexGuard<()>> {
        match &self.writer {
            Some(m) => Some(m.clone().lock_owned().await),
            None => None,
        }
    }

    /// The connections for writes that may be lost in a database crash without losing anything
    /// that matters: a claim or a result lost that way leaves its delivery to be sent again under
    /// the same id, which partners already drop. Their commits do not wait for the disk.
    pub(crate) fn relaxed_pool(&self) -> &AnyPool {
        &self.relaxed
    }

    /// A write transaction on [`Store::relaxed_pool`].
    pub(crate) async fn write_relaxed(&self) -> Result<WriteTx, StoreError> {
        let writer = self.lock_writer().await;
        let tx = self.relaxed.begin().await?;
        Ok(WriteTx {
            tx,
            _writer: writer,
        })
    }

    pub(crate) async fn write(&self) -> Result<WriteTx, StoreError> {
        let writer = self.lock_writer().await;
        let tx = match self.backend {
            // Take the write lock at the start, waiting out the busy timeout for it: a deferred
            // transaction that reads first fails at once ("database is locked") when it comes to
            // write after another connection wrote since its read began.
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(WriteTx {
            tx,
            _writer: writer,
        })
    }
}

/// `sqlite://lookout.db` → `sqlite://lookout.db?mode=rwc`, so a missing file is created.
fn sqlite_url(url: &str) -> String {
    if url.contains('?') {
        url.to_string()
    } else {
        format!("{url}?mode=rwc")
    }
}

/// A flag column: BOOLEAN on PostgreSQL, 0/1 INTEGER on SQLite (which the Any driver reads as a number).
pub(crate) fn flag(row: &sqlx::any::AnyRow, column: &str) -> Result<bool, sqlx::Error> {
    use sqlx::Row;
    row.try_get::<bool, _>(column)
        .or_else(|_| row.try_get::<i64, _>(column).map(|v| v != 0))
}

/// `($1, $2), ($3, $4)` for `rows` rows of `columns` values: only numbered placeholders, never data.
pub(crate) fn values(rows: usize, columns: usize) -> String {
    let row = |r: usize| {
        let params: Vec<String> = (1..=columns)
            .map(|c| format!("${}", r * columns + c))
            .collect();
        format!("({})", params.join(", "))
    };
    (0..rows).map(row).collect::<Vec<_>>().join(", ")
}

/// Now, as stored: RFC 3339 UTC with microseconds, fixed width so text order is time order.
pub(crate) fn now() -> String {
    stamp(chrono::Utc::now())
}

pub(crate) fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_create_the_file_unless_a_mode_is_given() {
        assert_eq!(sqlite_url("sqlite://a.db"), "sqlite://a.db?mode=rwc");
        assert_eq!(sqlite_url("sqlite://a.db?mode=ro"), "sqlite://a.db?mode=ro");
    }

    #[test]
    fn values_number_every_placeholder_once() {
        assert_eq!(values(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(values(1, 1), "($1)");
    }

    #[test]
    fn stamps_sort_as_times() {
        let a = chrono::DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z").unwrap();
        let b = chrono::DateTime::parse_from_rfc3339("2026-01-02T03:04:05.5Z").unwrap();
        let (a, b) = (stamp(a.to_utc()), stamp(b.to_utc()));
        assert_eq!(a.len(), b.len());
        assert!(a < b);
    }
}
