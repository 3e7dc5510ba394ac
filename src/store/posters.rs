//! The poster cache: rendered bytes by content key (a hash of everything the poster is made from),
//! each row naming its case so that nothing of a closed case stays cached.

use sqlx::Row;

use super::{CaseId, Store, StoreError, now};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedPoster {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl Store {
    pub async fn cached_poster(&self, key: &str) -> Result<Option<CachedPoster>, StoreError> {
        let row = sqlx::query("SELECT content_type, bytes FROM poster_cache WHERE key = $1")
            .bind(key)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| {
            Ok(CachedPoster {
                content_type: r.try_get("content_type")?,
                bytes: r.try_get("bytes")?,
            })
        })
        .transpose()
    }

    /// Keep a rendered poster of case `case`. Two renders of one key give the same bytes, so the
    /// first one stays.
    pub async fn cache_poster(
        &self,
        key: &str,
        case: CaseId,
        poster: &CachedPoster,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO poster_cache (key, content_type, bytes, created_at, case_id) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(key)
        .bind(&poster.content_type)
        .bind(poster.bytes.clone())
        .bind(now())
        .bind(case.to_string())
        .execute(tx.conn())
        .await?;
        tx.commit().await
    }
}
