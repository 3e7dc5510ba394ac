//! Photos, stored once each by the hash of their normalised print copy.

use std::collections::{BTreeSet, HashSet};

use serde::Serialize;
use sqlx::Row;

use super::audit::{AuditEvent, record};
use super::idempotency::{Claim, IdempotencyKey, claim, complete};
use super::{Actor, PhotoId, Store, StoreError, now, values};
use crate::posters::PreparedPhoto;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PhotoMeta {
    pub id: PhotoId,
    pub width: u32,
    pub height: u32,
    pub bytes: usize,
}

impl Store {
    /// Keep a normalised photo; storing the same picture again returns the same id.
    pub async fn put_photo(
        &self,
        photo: &PreparedPhoto,
        actor: &Actor,
        idempotency: Option<&IdempotencyKey>,
    ) -> Result<PhotoMeta, StoreError> {
        let id = PhotoId::of_bytes(&photo.jpeg);
        let mut tx = self.write().await?;
        if let Some(k) = idempotency
            && let Claim::Replay(existing) = claim(tx.conn(), k).await?
            && existing != id.as_str()
        {
            // Same key and request hash but another picture cannot happen; refuse rather than guess.
            return Err(StoreError::IdempotencyKeyReused);
        }
        let inserted = sqlx::query(
            "INSERT INTO photos (id, jpeg, width, height, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT DO NOTHING",
        )
        .bind(id.as_str())
        .bind(photo.jpeg.clone())
        .bind(i64::from(photo.width))
        .bind(i64::from(photo.height))
        .bind(now())
        .execute(tx.conn())
        .await?
        .rows_affected();
        if inserted == 1 {
            let event = AuditEvent {
                actor,
                action: "photo.upload",
                case_id: None,
                subject: Some(id.to_string()),
                version: None,
            };
            record(tx.conn(), event).await?;
        }
        if let Some(k) = idempotency {
            complete(tx.conn(), k, id.as_str()).await?;
        }
        tx.commit().await?;
        Ok(PhotoMeta {
            id,
            width: photo.width,
            height: photo.height,
            bytes: photo.jpeg.len(),
        })
    }

    pub async fn photo(&self, id: &PhotoId) -> Result<Option<PreparedPhoto>, StoreError> {
        let row = sqlx::query("SELECT jpeg, width, height FROM photos WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| {
            let width: i64 = r.try_get("width")?;
            let height: i64 = r.try_get("height")?;
            Ok(PreparedPhoto {
                jpeg: r.try_get("jpeg")?,
                width: u32::try_from(width).unwrap_or(0),
                height: u32::try_from(height).unwrap_or(0),
            })
        })
        .transpose()
    }

    /// Is this photo stored?
    pub async fn photo_exists(&self, id: &PhotoId) -> Result<bool, StoreError> {
        Ok(!self
            .stored_photos(std::slice::from_ref(id))
            .await?
            .is_empty())
    }

    /// Which of these photos are stored, in one query (a case names several).
    pub async fn stored_photos(&self, ids: &[PhotoId]) -> Result<HashSet<PhotoId>, StoreError> {
        let ids: BTreeSet<&PhotoId> = ids.iter().collect();
        if ids.is_empty() {
            return Ok(HashSet::new());
        }
        let sql = format!("SELECT id FROM photos WHERE id IN {}", values(1, ids.len()));
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in ids {
            query = query.bind(id.as_str());
        }
        let rows = query.fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                id.parse().map_err(|_| StoreError::NotFound("photo"))
            })
            .collect()
    }
}
