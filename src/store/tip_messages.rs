//! The tips' outbox: a tip forwarded to the investigating agency, an urgent sighting sent to the
//! case managers on the case. Queued in the transaction that forwards or receives the tip, so
//! neither can happen without its message; claimed with a lease, retried on the deliveries'
//! schedule, every attempt audited.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::audit::{AuditEvent, record};
use super::{Actor, CaseId, Store, StoreError, WriteTx, stamp};

/// What a tip message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TipMessageKind {
    /// The tip, whole, to the investigating agency.
    Forward,
    /// A sighting within the last hour, to the case managers on the case.
    Urgent,
}

impl TipMessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TipMessageKind::Forward => "forward",
            TipMessageKind::Urgent => "urgent",
        }
    }

    fn parse(s: &str) -> Option<TipMessageKind> {
        [TipMessageKind::Forward, TipMessageKind::Urgent]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A tip message a worker now holds.
#[derive(Debug, Clone, PartialEq)]
pub struct TipMessage {
    pub id: String,
    pub tip_id: String,
    pub case_id: CaseId,
    pub kind: TipMessageKind,
    pub recipients: Vec<String>,
    /// For the agency, with a forwarded tip.
    pub note: Option<String>,
    /// Including this one.
    pub attempts: u32,
    pub lease_owner: String,
}

/// How a tip message stands, for the case page.
#[derive(Debug, Clone, PartialEq)]
pub struct TipMessageView {
    pub kind: TipMessageKind,
    pub recipients: Vec<String>,
    /// pending, sending, sent or failed
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub sent_at: Option<String>,
}

/// What [`Store::forward_tip`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forwarded {
    Queued,
    /// A forward of this tip was queued or sent before: nothing more.
    Already,
    NoSuchTip,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum TipMessageResult {
    Sent,
    RetryAt(DateTime<Utc>, String),
    Failed(String),
}

/// Queues a message in `tx`, due at once.
/// A message to queue: about which tip, what kind, to whom, with what note.
pub(super) struct Outgoing<'a> {
    pub tip: &'a str,
    pub case: CaseId,
    pub kind: TipMessageKind,
    pub recipients: &'a [String],
    pub note: Option<&'a str>,
}

pub(super) async fn enqueue(
    tx: &mut WriteTx,
    m: Outgoing<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    let id = format!("tipmsg_{}", uuid::Uuid::now_v7().simple());
    let at = stamp(now);
    sqlx::query(
        "INSERT INTO tip_messages (id, tip_id, case_id, kind, recipients, requested_by, note, \
         state, attempts, next_attempt_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $8, $8)",
    )
    .bind(&id)
    .bind(m.tip)
    .bind(m.case.to_string())
    .bind(m.kind.as_str())
    .bind(serde_json::to_string(m.recipients).expect("strings serialise"))
    .bind(actor.to_string())
    .bind(m.note)
    .bind(&at)
    .execute(tx.conn())
    .await?;
    Ok(id)
}

fn message(r: &sqlx::any::AnyRow) -> Result<TipMessage, StoreError> {
    let case: String = r.try_get("case_id")?;
    let kind: String = r.try_get("kind")?;
    let recipients: String = r.try_get("recipients")?;
    Ok(TipMessage {
        id: r.try_get("id")?,
        tip_id: r.try_get("tip_id")?,
        case_id: case
            .parse()
            .map_err(|_| StoreError::BadRow("tip message case"))?,
        kind: TipMessageKind::parse(&kind).ok_or(StoreError::BadRow("tip message kind"))?,
        recipients: serde_json::from_str(&recipients)
            .map_err(|_| StoreError::BadRow("tip message recipients"))?,
        note: r.try_get("note")?,
        attempts: u32::try_from(r.try_get::<i64, _>("attempts")?)
            .map_err(|_| StoreError::BadRow("tip message attempts"))?,
        lease_owner: r.try_get("lease_owner")?,
    })
}

impl Store {
    /// Forwards tip `tip` of `case` to `to` (the agency's address) with `note` for the agency: the
    /// message is queued, the tip marked forwarded, both audited, in one transaction. A tip with a
    /// forward queued or sent already is left as it is (a second click sends nothing twice).
    pub async fn forward_tip(
        &self,
        case: CaseId,
        tip: &str,
        to: &str,
        note: Option<&str>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Forwarded, StoreError> {
        let mut tx = self.write().await?;
        let earlier = sqlx::query(
            "SELECT id FROM tip_messages WHERE tip_id = $1 AND kind = 'forward' \
               AND state IN ('pending', 'sending', 'sent') LIMIT 1",
        )
        .bind(tip)
        .fetch_optional(tx.conn())
        .await?;
        if earlier.is_some() {
            return Ok(Forwarded::Already);
        }
        let done = sqlx::query(
            "UPDATE tips SET state = 'forwarded', handled_by = $1, handled_at = $2 \
             WHERE id = $3 AND case_id = $4",
        )
        .bind(actor.to_string())
        .bind(stamp(now))
        .bind(tip)
        .bind(case.to_string())
        .execute(tx.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Ok(Forwarded::NoSuchTip);
        }
        let to = [to.to_string()];
        let outgoing = Outgoing {
            tip,
            case,
            kind: TipMessageKind::Forward,
            recipients: &to,
            note,
        };
        let id = enqueue(&mut tx, outgoing, actor, now).await?;
        let event = AuditEvent {
            actor,
            action: "tip.forward",
            case_id: Some(case),
            subject: Some(format!("{tip}:{id}")),
            version: None,
        };
        record(tx.conn(), event).await?;
        tx.commit().await?;
        Ok(Forwarded::Queued)
    }

    /// The addresses of the case managers on `case`: those who made any of its versions or handled
    /// any of its tips; when there are none, every case manager and administrator. Disabled
    /// accounts never.
    pub(super) async fn case_managers_on(
        tx: &mut WriteTx,
        case: CaseId,
    ) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT email FROM users WHERE disabled_at IS NULL \
               AND role IN ('case_manager', 'admin') \
               AND ('user:' || id) IN (SELECT actor FROM case_versions WHERE case_id = $1 \
                    UNION SELECT handled_by FROM tips WHERE case_id = $1 AND handled_by IS NOT NULL) \
             ORDER BY email",
        )
        .bind(case.to_string())
        .fetch_all(tx.conn())
        .await?;
        let mut emails: Vec<String> = rows
            .iter()
            .map(|r| r.try_get("email"))
            .collect::<Result<_, _>>()?;
        if emails.is_empty() {
            let rows = sqlx::query(
                "SELECT email FROM users WHERE disabled_at IS NULL \
                   AND role IN ('case_manager', 'admin') ORDER BY email",
            )
            .fetch_all(tx.conn())
            .await?;
            emails = rows
                .iter()
                .map(|r| r.try_get("email"))
                .collect::<Result<_, _>>()?;
        }
        Ok(emails)
    }

    /// Takes up to `limit` due tip messages for `owner` until `now + lease`.
    pub async fn claim_tip_messages(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: i64,
    ) -> Result<Vec<TipMessage>, StoreError> {
        // a read first: most seconds there is nothing, and a write would queue behind others
        let any = sqlx::query(
            "SELECT id FROM tip_messages WHERE state IN ('pending', 'sending') LIMIT 1",
        )
        .fetch_optional(self.pool())
        .await?;
        if any.is_none() {
            return Ok(Vec::new());
        }
        let lease = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::hours(1));
        let until = now + lease;
        let mut tx = self.write_relaxed().await?;
        // a lease that ran out (a worker died mid-send) is due again
        sqlx::query(
            "UPDATE tip_messages SET state = 'pending', lease_owner = NULL, lease_until = NULL \
             WHERE state = 'sending' AND lease_until < $1",
        )
        .bind(stamp(now))
        .execute(tx.conn())
        .await?;
        // two instances never take the same message: the rows are locked as they are chosen
        let lock = match self.backend() {
            super::Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            super::Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE tip_messages SET state = 'sending', lease_owner = $1, lease_until = $2, \
                 attempts = attempts + 1, updated_at = $3 \
             WHERE state = 'pending' AND id IN (SELECT id FROM tip_messages \
                 WHERE state = 'pending' AND next_attempt_at <= $3 \
                 ORDER BY next_attempt_at LIMIT $4 {lock}) \
             RETURNING id, tip_id, case_id, kind, recipients, note, attempts, lease_owner"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(owner)
            .bind(stamp(until))
            .bind(stamp(now))
            .bind(limit)
            .fetch_all(tx.conn())
            .await?;
        tx.commit().await?;
        rows.iter().map(message).collect()
    }

    /// Records how an attempt of `m` ended, and audits it; nothing when the lease was lost.
    pub async fn tip_message_done(
        &self,
        m: &TipMessage,
        result: &TipMessageResult,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (state, next, error, action) = match result {
            TipMessageResult::Sent => ("sent", None, None, "tip.message.sent"),
            TipMessageResult::RetryAt(t, e) => {
                ("pending", Some(stamp(*t)), Some(e), "tip.message.retry")
            }
            TipMessageResult::Failed(e) => ("failed", None, Some(e), "tip.message.failed"),
        };
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE tip_messages SET state = $1, next_attempt_at = COALESCE($2, next_attempt_at), \
                 last_error = $3, lease_owner = NULL, lease_until = NULL, updated_at = $4, \
                 sent_at = CASE WHEN $1 = 'sent' THEN $4 ELSE sent_at END \
             WHERE id = $5 AND state = 'sending' AND lease_owner = $6",
        )
        .bind(state)
        .bind(next)
        .bind(error.cloned())
        .bind(stamp(now))
        .bind(&m.id)
        .bind(&m.lease_owner)
        .execute(tx.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Ok(());
        }
        let event = AuditEvent {
            actor: &Actor::System("dispatch"),
            action,
            case_id: Some(m.case_id),
            subject: Some(format!("{}:{}:{}", m.tip_id, m.id, m.kind.as_str())),
            version: None,
        };
        record(tx.conn(), event).await?;
        tx.commit().await
    }

    /// The messages about the tips of `case`, by tip, oldest first.
    pub async fn tip_messages(
        &self,
        case: CaseId,
    ) -> Result<Vec<(String, TipMessageView)>, StoreError> {
        let rows = sqlx::query(
            "SELECT tip_id, kind, recipients, state, attempts, last_error, sent_at \
             FROM tip_messages WHERE case_id = $1 ORDER BY created_at, id",
        )
        .bind(case.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let kind: String = r.try_get("kind")?;
                let recipients: String = r.try_get("recipients")?;
                Ok((
                    r.try_get("tip_id")?,
                    TipMessageView {
                        kind: TipMessageKind::parse(&kind)
                            .ok_or(StoreError::BadRow("tip message kind"))?,
                        recipients: serde_json::from_str(&recipients)
                            .map_err(|_| StoreError::BadRow("tip message recipients"))?,
                        state: r.try_get("state")?,
                        attempts: r.try_get("attempts")?,
                        last_error: r.try_get("last_error")?,
                        sent_at: r.try_get("sent_at")?,
                    },
                ))
            })
            .collect()
    }
}
