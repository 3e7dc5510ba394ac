//! Tips as kept: each with the case version it was about, the language and poster that brought it,
//! and how the case managers handled it. A tip's photo is kept apart, byte for byte as sent.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::audit::{AuditEvent, record};
use super::tip_messages::{Outgoing, TipMessageKind, enqueue};
use super::{Actor, CaseId, Store, StoreError, flag, stamp};
use crate::cases::Lang;
use crate::tips::{NewTip, SeenWhen, TipState};

/// Where a tip came from and what it was about.
#[derive(Debug, Clone, PartialEq)]
pub struct TipOrigin {
    pub case: CaseId,
    pub version: i64,
    pub lang: Lang,
    /// What the QR code the sender followed carried (a poster format, a partner code), if any.
    pub source: Option<String>,
    /// The appeal had ended when it came.
    pub after_close: bool,
}

/// A photo sent with a tip.
#[derive(Debug, Clone, PartialEq)]
pub struct TipPhoto {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TipRecord {
    pub id: String,
    pub case_version: i64,
    pub received_at: String,
    pub what: String,
    pub place: String,
    pub when: SeenWhen,
    pub time: Option<String>,
    pub urgent: bool,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub lang: String,
    pub source: Option<String>,
    pub after_close: bool,
    pub state: TipState,
    pub note: Option<String>,
    pub handled_by: Option<String>,
    pub handled_at: Option<String>,
    pub has_photo: bool,
}

fn tip(r: &sqlx::any::AnyRow) -> Result<TipRecord, StoreError> {
    let when: String = r.try_get("seen_when")?;
    let state: String = r.try_get("state")?;
    Ok(TipRecord {
        id: r.try_get("id")?,
        case_version: r.try_get("case_version")?,
        received_at: r.try_get("received_at")?,
        what: r.try_get("seen_what")?,
        place: r.try_get("seen_where")?,
        when: SeenWhen::parse(&when).ok_or(StoreError::BadRow("tip seen_when"))?,
        time: r.try_get("seen_time")?,
        urgent: flag(r, "urgent")?,
        name: r.try_get("contact_name")?,
        phone: r.try_get("contact_phone")?,
        email: r.try_get("contact_email")?,
        lang: r.try_get("lang")?,
        source: r.try_get("source")?,
        after_close: flag(r, "after_close")?,
        state: TipState::parse(&state).ok_or(StoreError::BadRow("tip state"))?,
        note: r.try_get("note")?,
        handled_by: r.try_get("handled_by")?,
        handled_at: r.try_get("handled_at")?,
        has_photo: r.try_get::<i64, _>("photos")? > 0,
    })
}

const TIP_SELECT: &str = "SELECT t.id, t.case_version, t.received_at, t.seen_what, t.seen_where, \
     t.seen_when, t.seen_time, t.urgent, t.contact_name, t.contact_phone, t.contact_email, t.lang, \
     t.source, t.after_close, t.state, t.note, t.handled_by, t.handled_at, \
     (SELECT COUNT(*) FROM tip_photos p WHERE p.tip_id = t.id) AS photos FROM tips t";

impl Store {
    /// Keep a tip (and its photo) in one transaction; its id.
    pub async fn add_tip(
        &self,
        origin: &TipOrigin,
        tip: &NewTip,
        photo: Option<&TipPhoto>,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        let id = format!("tip_{}", uuid::Uuid::now_v7().simple());
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO tips (id, case_id, case_version, received_at, seen_what, seen_where, \
             seen_when, seen_time, urgent, contact_name, contact_phone, contact_email, lang, \
             source, after_close, state) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'new')",
        )
        .bind(&id)
        .bind(origin.case.to_string())
        .bind(origin.version)
        .bind(stamp(now))
        .bind(&tip.what)
        .bind(&tip.place)
        .bind(tip.when.as_str())
        .bind(tip.time.clone())
        .bind(tip.when.urgent())
        .bind(tip.name.clone())
        .bind(tip.phone.clone())
        .bind(tip.email.clone())
        .bind(origin.lang.code())
        .bind(origin.source.clone())
        .bind(origin.after_close)
        .execute(tx.conn())
        .await?;
        if let Some(p) = photo {
            sqlx::query("INSERT INTO tip_photos (tip_id, content_type, bytes) VALUES ($1, $2, $3)")
                .bind(&id)
                .bind(&p.content_type)
                .bind(p.bytes.clone())
                .execute(tx.conn())
                .await?;
        }
        let public = Actor::System("public");
        if tip.when.urgent() && !origin.after_close {
            // a sighting within the hour: the case managers on the case are told at once
            let to = Store::case_managers_on(&mut tx, origin.case).await?;
            if to.is_empty() {
                // nobody to tell: the audit log says so, and the case list shows the new tip
                let event = AuditEvent {
                    actor: &public,
                    action: "tip.urgent.nobody",
                    case_id: Some(origin.case),
                    subject: Some(id.clone()),
                    version: Some(origin.version),
                };
                record(tx.conn(), event).await?;
            } else {
                let outgoing = Outgoing {
                    tip: &id,
                    case: origin.case,
                    kind: TipMessageKind::Urgent,
                    recipients: &to,
                    note: None,
                };
                enqueue(&mut tx, outgoing, &public, now).await?;
            }
        }
        let event = AuditEvent {
            actor: &public,
            action: "tip.receive",
            case_id: Some(origin.case),
            subject: Some(id.clone()),
            version: Some(origin.version),
        };
        record(tx.conn(), event).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The tips of case `case`, newest first.
    pub async fn tips(&self, case: CaseId) -> Result<Vec<TipRecord>, StoreError> {
        let sql =
            format!("{TIP_SELECT} WHERE t.case_id = $1 ORDER BY t.received_at DESC, t.id DESC");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(case.to_string())
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(tip).collect()
    }

    /// Tip `id` of case `case`.
    pub async fn tip(&self, case: CaseId, id: &str) -> Result<Option<TipRecord>, StoreError> {
        let sql = format!("{TIP_SELECT} WHERE t.id = $1 AND t.case_id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(case.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(tip).transpose()
    }

    /// The photo of tip `id` of case `case`, as it was sent.
    pub async fn tip_photo(&self, case: CaseId, id: &str) -> Result<Option<TipPhoto>, StoreError> {
        let row = sqlx::query(
            "SELECT p.content_type, p.bytes FROM tip_photos p JOIN tips t ON t.id = p.tip_id \
             WHERE p.tip_id = $1 AND t.case_id = $2",
        )
        .bind(id)
        .bind(case.to_string())
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(TipPhoto {
                content_type: r.try_get("content_type")?,
                bytes: r.try_get("bytes")?,
            })
        })
        .transpose()
    }

    /// A case manager's handling of tip `id` of case `case`: its state and note, with who and when.
    /// False when the case has no such tip.
    pub async fn handle_tip(
        &self,
        case: CaseId,
        id: &str,
        state: TipState,
        note: Option<&str>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE tips SET state = $1, note = $2, handled_by = $3, handled_at = $4 \
             WHERE id = $5 AND case_id = $6",
        )
        .bind(state.as_str())
        .bind(note)
        .bind(actor.to_string())
        .bind(stamp(now))
        .bind(id)
        .bind(case.to_string())
        .execute(tx.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        let event = AuditEvent {
            actor,
            action: "tip.handle",
            case_id: Some(case),
            subject: Some(format!("{id}:{}", state.as_str())),
            version: None,
        };
        record(tx.conn(), event).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// How many new tips each of `cases` has (only those with any).
    pub async fn new_tip_counts(
        &self,
        cases: &[CaseId],
    ) -> Result<HashMap<CaseId, i64>, StoreError> {
        let mut out = HashMap::new();
        for chunk in cases.chunks(200) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT case_id, COUNT(*) AS n FROM tips WHERE state = 'new' AND case_id IN ({}) \
                 GROUP BY case_id",
                marks.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for c in chunk {
                q = q.bind(c.to_string());
            }
            for row in q.fetch_all(self.pool()).await? {
                let id: String = row.try_get("case_id")?;
                let id = id.parse().map_err(|_| StoreError::BadRow("tip case"))?;
                out.insert(id, row.try_get("n")?);
            }
        }
        Ok(out)
    }
}
