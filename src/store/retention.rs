//! Retention: a closed case's personal details are erased a set time after it closed. Its versions
//! keep their numbers, authors and changed fields, with a document holding only the number, type,
//! status, day and agency; its photos (those no other case shows) and cached posters are deleted;
//! the search finds it by number only; its tips lose their words, senders and photos. The erasure
//! is audited.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::audit::{AuditEvent, record};
use super::{Actor, CaseId, Store, StoreError, stamp};
use crate::cases::{Case, CaseStatus};

const ACTOR: Actor = Actor::System("retention");

/// Cases erased by one pass, at most: the rest wait for the next sweep.
const BATCH: i64 = 100;

impl Store {
    /// Erase every case closed before `closed_before` and not yet erased; returns their ids.
    pub async fn erase_closed_cases(
        &self,
        closed_before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<CaseId>, StoreError> {
        let rows = sqlx::query(
            "SELECT id FROM cases WHERE status <> $1 AND erased_at IS NULL AND updated_at < $2 \
             ORDER BY updated_at LIMIT $3",
        )
        .bind(CaseStatus::Active.as_str())
        .bind(stamp(closed_before))
        .bind(BATCH)
        .fetch_all(self.pool())
        .await?;
        let mut erased = Vec::with_capacity(rows.len());
        for row in rows {
            let id: String = row.try_get("id")?;
            let id: CaseId = id.parse().map_err(|_| StoreError::BadRow("case id"))?;
            if self.erase_case(id, closed_before, now).await? {
                erased.push(id);
            }
        }
        Ok(erased)
    }

    /// The ids of every message sent or queued about `case` (deliveries, the digests that held
    /// them, and tip messages): the names of their `.eml` files when mail is written to files. A
    /// digest also holds other cases' posters; its file goes all the same, as it holds this child.
    pub async fn message_ids(&self, case: CaseId) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT id FROM deliveries WHERE case_id = $1 \
             UNION SELECT digest_id FROM deliveries WHERE case_id = $1 AND digest_id IS NOT NULL \
             UNION SELECT id FROM tip_messages WHERE case_id = $1",
        )
        .bind(case.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| r.try_get::<String, _>("id").map_err(StoreError::from))
            .collect()
    }

    /// Erase one case in one transaction, if it is still closed since before `closed_before`.
    async fn erase_case(
        &self,
        id: CaseId,
        closed_before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let at = stamp(now);
        // claim it first: a case reopened or erased by another instance meanwhile is left alone
        let claimed = sqlx::query(
            "UPDATE cases SET erased_at = $1, search_text = LOWER(case_number), resolution_reason = NULL \
             WHERE id = $2 AND status <> $3 AND erased_at IS NULL AND updated_at < $4",
        )
        .bind(&at)
        .bind(id.to_string())
        .bind(CaseStatus::Active.as_str())
        .bind(stamp(closed_before))
        .execute(tx.conn())
        .await?
        .rows_affected();
        if claimed == 0 {
            return Ok(false);
        }
        let photos = erase_versions(tx.conn(), id).await?;
        for photo in &photos {
            delete_photo_unless_shown(tx.conn(), id, photo).await?;
        }
        sqlx::query("DELETE FROM poster_cache WHERE case_id = $1")
            .bind(id.to_string())
            .execute(tx.conn())
            .await?;
        erase_tips(tx.conn(), id).await?;
        let event = AuditEvent {
            actor: &ACTOR,
            action: "case.erase",
            case_id: Some(id),
            subject: None,
            version: None,
        };
        record(tx.conn(), event).await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// A case's tips lose what they said and who sent them, and their photos; each keeps when it came,
/// how it was handled and the poster that brought it, so the reach counts stand. A message about
/// one that is still queued is never sent.
async fn erase_tips(conn: &mut AnyConnection, id: CaseId) -> Result<(), StoreError> {
    let case = id.to_string();
    sqlx::query("DELETE FROM tip_photos WHERE tip_id IN (SELECT id FROM tips WHERE case_id = $1)")
        .bind(&case)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE tips SET seen_what = '', seen_where = '', seen_time = NULL, contact_name = NULL, \
         contact_phone = NULL, contact_email = NULL, note = NULL WHERE case_id = $1",
    )
    .bind(&case)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE tip_messages SET state = 'failed', last_error = 'the case was erased', \
         lease_owner = NULL, lease_until = NULL WHERE case_id = $1 AND state IN ('pending', 'sending')",
    )
    .bind(&case)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Replace every version's document by its erased form; returns the photo ids they showed.
async fn erase_versions(conn: &mut AnyConnection, id: CaseId) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query("SELECT version, document FROM case_versions WHERE case_id = $1")
        .bind(id.to_string())
        .fetch_all(&mut *conn)
        .await?;
    let mut photos = Vec::new();
    for row in rows {
        let version: i64 = row.try_get("version")?;
        let text: String = row.try_get("document")?;
        let case: Case = serde_json::from_str(&text).map_err(|source| StoreError::Corrupt {
            what: "case document",
            source,
        })?;
        photos.extend(case.photo_ids());
        let erased = serde_json::to_string(&case.erased()).expect("plain data serialises");
        sqlx::query("UPDATE case_versions SET document = $1 WHERE case_id = $2 AND version = $3")
            .bind(erased)
            .bind(id.to_string())
            .bind(version)
            .execute(&mut *conn)
            .await?;
    }
    photos.sort();
    photos.dedup();
    Ok(photos)
}

/// Photos are stored once by content, so another case may show the same picture: it stays then.
async fn delete_photo_unless_shown(
    conn: &mut AnyConnection,
    erased: CaseId,
    photo: &str,
) -> Result<(), StoreError> {
    // a stored photo's id is hexadecimal (nothing in it means anything to LIKE); any other is not
    // a stored photo
    if !photo.chars().all(|c| c.is_ascii_hexdigit()) {
        return Ok(());
    }
    let shown = sqlx::query(
        "SELECT 1 AS shown FROM case_versions WHERE case_id <> $1 AND document LIKE $2 LIMIT 1",
    )
    .bind(erased.to_string())
    .bind(format!("%\"{photo}\"%"))
    .fetch_optional(&mut *conn)
    .await?;
    if shown.is_none() {
        sqlx::query("DELETE FROM photos WHERE id = $1")
            .bind(photo)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
