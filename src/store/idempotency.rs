//! Idempotency keys: the unique key of the row decides a race between identical requests, so two
//! requests arriving at the same moment still make one resource.

use sqlx::{AnyConnection, Row};

use super::{StoreError, now, stamp};

/// A client's `Idempotency-Key`, scoped to the route and the caller, with a hash of its request.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub scope: &'static str,
    pub actor: String,
    pub key: String,
    pub request_hash: String,
}

pub(crate) enum Claim {
    /// This request owns the key: make the resource and call [`complete`] in the same transaction.
    Fresh,
    /// An earlier identical request made this resource.
    Replay(String),
}

/// Claim the key inside the caller's transaction. On PostgreSQL a concurrent claimer waits here until
/// the first transaction ends; on SQLite the writer lock already orders them.
pub(crate) async fn claim(
    conn: &mut AnyConnection,
    k: &IdempotencyKey,
) -> Result<Claim, StoreError> {
    // a key older than a day is free again, swept or not
    sqlx::query(
        "DELETE FROM idempotency_keys WHERE scope = $1 AND actor = $2 AND key = $3 \
         AND created_at < $4",
    )
    .bind(k.scope)
    .bind(&k.actor)
    .bind(&k.key)
    .bind(stamp(chrono::Utc::now() - super::IDEMPOTENCY_TTL))
    .execute(&mut *conn)
    .await?;
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (scope, actor, key, request_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(k.scope)
    .bind(&k.actor)
    .bind(&k.key)
    .bind(&k.request_hash)
    .bind(now())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Claim::Fresh);
    }
    let row = sqlx::query(
        "SELECT request_hash, resource_id FROM idempotency_keys \
         WHERE scope = $1 AND actor = $2 AND key = $3",
    )
    .bind(k.scope)
    .bind(&k.actor)
    .bind(&k.key)
    .fetch_one(&mut *conn)
    .await?;
    let hash: String = row.try_get("request_hash")?;
    let resource: Option<String> = row.try_get("resource_id")?;
    match resource {
        Some(id) if hash == k.request_hash => Ok(Claim::Replay(id)),
        _ => Err(StoreError::IdempotencyKeyReused),
    }
}

pub(crate) async fn complete(
    conn: &mut AnyConnection,
    k: &IdempotencyKey,
    resource_id: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE idempotency_keys SET resource_id = $1 WHERE scope = $2 AND actor = $3 AND key = $4",
    )
    .bind(resource_id)
    .bind(k.scope)
    .bind(&k.actor)
    .bind(&k.key)
    .execute(conn)
    .await?;
    Ok(())
}
