//! Reading what each recipient of a case stands at, and writing a plan: supersessions first, then the
//! new deliveries, each partner's under its status row so their `seq` commits in order.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::{
    Channel, DeliveryLocation, Kind, Queued, Recipient, Standing, State, WithdrawReason, count,
    locations_of, new_delivery_id, parse_reason, reason_str,
};
use crate::partners::PartnerId;
use crate::store::{CaseId, StoreError, stamp};

/// What a recipient holds and how it was last reached.
#[derive(Debug, Clone, PartialEq)]
pub struct Known {
    pub standing: Standing,
    pub channel: Channel,
    /// The locations of its newest poster delivery: what a withdrawal is about.
    pub locations: Vec<DeliveryLocation>,
}

pub type Standings = BTreeMap<Recipient, Known>;

/// One delivery to write.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDelivery {
    pub recipient: Recipient,
    pub kind: Kind,
    pub reason: Option<WithdrawReason>,
    pub version: u32,
    pub channel: Channel,
    pub locations: Vec<DeliveryLocation>,
    /// 0 goes first (takedowns), then 1.
    pub priority: i64,
    /// Not sent (or, for pull, not shown) before this: the debounce of a reissue, or the digest
    /// time of a partner that takes digests.
    pub not_before: DateTime<Utc>,
    /// The digest it goes out in (email and webhook partners that take digests), sent whole at
    /// `not_before`; `None`: on its own.
    pub digest: Option<String>,
}

fn recipient(partner: &str, location_ref: &str) -> Result<Recipient, StoreError> {
    Ok(Recipient {
        partner: PartnerId::parse(partner).map_err(|_| StoreError::BadRow("partner id"))?,
        location: (!location_ref.is_empty()).then(|| location_ref.to_string()),
    })
}

/// Every recipient that ever had a delivery of this case, with what it holds. A poster superseded
/// while it was being sent (at a takedown) may have arrived: it counts as sent, so the takedown
/// reaches its recipient.
pub(super) async fn standings(
    conn: &mut AnyConnection,
    case: CaseId,
) -> Result<Standings, StoreError> {
    let rows = sqlx::query(
        "SELECT partner_id, location_ref, kind, reason, version, state, attempts, channel, locations \
         FROM deliveries WHERE case_id = $1 AND (state <> 'superseded' OR attempts > 0) \
         ORDER BY partner_id, location_ref, seq",
    )
    .bind(case.to_string())
    .fetch_all(conn)
    .await?;
    let mut out = Standings::new();
    for row in &rows {
        let r = recipient(row.try_get("partner_id")?, row.try_get("location_ref")?)?;
        let kind = Kind::parse(row.try_get("kind")?).ok_or(StoreError::BadRow("delivery kind"))?;
        let state =
            State::parse(row.try_get("state")?).ok_or(StoreError::BadRow("delivery state"))?;
        let reason: Option<String> = row.try_get("reason")?;
        let version = count(row, "version")?;
        let attempts: i64 = row.try_get("attempts")?;
        let channel = Channel::parse(row.try_get("channel")?)
            .ok_or(StoreError::BadRow("delivery channel"))?;
        let entry = out.entry(r).or_insert_with(|| Known {
            standing: Standing::default(),
            channel,
            locations: Vec::new(),
        });
        if state == State::Superseded {
            // tried, then overtaken by the takedown: it may be up, and must come down
            if kind != Kind::Withdrawn {
                entry.standing.ever_sent = true;
                entry.locations = locations_of(row)?;
            }
            continue;
        }
        entry.channel = channel;
        let s = &mut entry.standing;
        let tried = attempts > 0 || matches!(state, State::Delivered | State::Acknowledged);
        // A delivery given up on may never have arrived; a takedown still goes to it.
        let counts = tried && state != State::Failed;
        if kind == Kind::Withdrawn {
            if counts {
                s.holds = None;
            }
            if reason
                .as_deref()
                .and_then(parse_reason)
                .is_some_and(WithdrawReason::is_final)
            {
                s.taken_down = true;
            }
        } else {
            if counts {
                s.holds = Some(version);
            }
            s.ever_sent |= tried;
            entry.locations = locations_of(row)?;
        }
        if state == State::Pending && attempts == 0 {
            s.queued = Some(match kind {
                Kind::Withdrawn => Queued::Withdrawal,
                _ => Queued::Poster(version),
            });
        }
    }
    Ok(out)
}

/// Drop deliveries of `case` never handed to a channel. At a takedown, drop every delivery of it
/// not yet delivered but the takedowns themselves: those being retried, and those being sent at
/// this moment (the worker records how their attempt ended, and never tries them again).
pub(super) async fn supersede(
    conn: &mut AnyConnection,
    case: CaseId,
    recipients: &[Recipient],
    takedown: bool,
    now: &str,
) -> Result<u64, StoreError> {
    if takedown {
        let done = sqlx::query(
            "UPDATE deliveries SET state = 'superseded', updated_at = $1 \
             WHERE case_id = $2 AND (state = 'pending' OR (state = 'sending' AND priority <> 0))",
        )
        .bind(now)
        .bind(case.to_string())
        .execute(&mut *conn)
        .await?;
        return Ok(done.rows_affected());
    }
    let mut n = 0;
    // (partner, location) pairs, a few hundred per statement: an update of a big case supersedes
    // thousands at once
    for chunk in recipients.chunks(SUPERSEDE_CHUNK) {
        let pairs: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, ${})", 3 + 2 * i, 4 + 2 * i))
            .collect();
        let sql = format!(
            "UPDATE deliveries SET state = 'superseded', updated_at = $1 \
             WHERE case_id = $2 AND state = 'pending' AND attempts = 0 \
               AND (partner_id, location_ref) IN ({})",
            pairs.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now)
            .bind(case.to_string());
        for r in chunk {
            q = q
                .bind(r.partner.as_str().to_string())
                .bind(r.location.clone().unwrap_or_default());
        }
        n += q.execute(&mut *conn).await?.rows_affected();
    }
    Ok(n)
}

const SUPERSEDE_CHUNK: usize = 200;

/// One JSON array a row: [id, partner, seq, location, version, kind, reason, channel, locations,
/// priority, next attempt, digest]; `$2` is the case, `$3` the time. SQLite needs the `WHERE` before an upsert
/// clause on `INSERT … SELECT`.
const INSERT_SQLITE: &str = "INSERT INTO deliveries (id, partner_id, seq, case_id, location_ref, \
     version, kind, reason, channel, locations, priority, state, attempts, next_attempt_at, \
     created_at, updated_at, digest_id) \
     SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), \
         $2, json_extract(value, '$[3]'), json_extract(value, '$[4]'), json_extract(value, '$[5]'), \
         json_extract(value, '$[6]'), json_extract(value, '$[7]'), json_extract(value, '$[8]'), \
         json_extract(value, '$[9]'), 'pending', 0, json_extract(value, '$[10]'), $3, $3, \
         json_extract(value, '$[11]') \
     FROM json_each($1) WHERE TRUE ON CONFLICT DO NOTHING RETURNING id";

const INSERT_PG: &str = "INSERT INTO deliveries (id, partner_id, seq, case_id, location_ref, \
     version, kind, reason, channel, locations, priority, state, attempts, next_attempt_at, \
     created_at, updated_at, digest_id) \
     SELECT r->>0, r->>1, (r->>2)::bigint, $2, r->>3, (r->>4)::bigint, r->>5, r->>6, r->>7, r->>8, \
         (r->>9)::bigint, 'pending', 0, r->>10, $3, $3, r->>11 \
     FROM jsonb_array_elements($1::jsonb) AS r ON CONFLICT DO NOTHING RETURNING id";

const CHUNK: usize = 1_000;

/// Hand out `n` sequence numbers to each partner of `wanted` (ascending ids); returns each one's
/// first. The row locks this takes are held to the end of the transaction, so a later `seq` never
/// commits before an earlier one; partners are locked in id order, so two plans cannot deadlock.
pub(super) async fn next_seqs(
    conn: &mut AnyConnection,
    wanted: &[(&str, i64)],
) -> Result<HashMap<String, i64>, StoreError> {
    let mut first = HashMap::with_capacity(wanted.len());
    for chunk in wanted.chunks(SUPERSEDE_CHUNK) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, ${})", 1 + 2 * i, 2 + 2 * i))
            .collect();
        let sql = format!(
            "INSERT INTO partner_status (partner_id, last_seq) VALUES {} \
             ON CONFLICT (partner_id) DO UPDATE SET last_seq = partner_status.last_seq + excluded.last_seq \
             RETURNING partner_id, last_seq",
            rows.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (partner, n) in chunk {
            q = q.bind(partner.to_string()).bind(*n);
        }
        for row in q.fetch_all(&mut *conn).await? {
            let partner: String = row.try_get("partner_id")?;
            let last: i64 = row.try_get("last_seq")?;
            let n = chunk
                .iter()
                .find(|(p, _)| *p == partner)
                .map_or(0, |(_, n)| *n);
            first.insert(partner, last - n + 1);
        }
    }
    Ok(first)
}

/// Write the deliveries of a plan; returns the ids written. A delivery that would repeat one still
/// unfinished (same recipient, case, version, kind and reason) is skipped.
pub(super) async fn insert(
    conn: &mut AnyConnection,
    case: CaseId,
    deliveries: &[NewDelivery],
    now: &str,
) -> Result<Vec<String>, StoreError> {
    let mut by_partner: BTreeMap<&str, Vec<&NewDelivery>> = BTreeMap::new();
    for d in deliveries {
        by_partner
            .entry(d.recipient.partner.as_str())
            .or_default()
            .push(d);
    }
    let counts: Vec<(&str, i64)> = by_partner
        .iter()
        .map(|(p, ds)| (*p, ds.len() as i64))
        .collect();
    let firsts = next_seqs(conn, &counts).await?;
    let mut rows: Vec<(String, i64, &NewDelivery)> = Vec::with_capacity(deliveries.len());
    for (partner, ds) in by_partner {
        let first = *firsts
            .get(partner)
            .ok_or(StoreError::BadRow("partner status sequence"))?;
        for (i, d) in ds.into_iter().enumerate() {
            rows.push((new_delivery_id(), first + i as i64, d));
        }
    }
    let mut written = Vec::with_capacity(rows.len());
    // The rows go in as one bound JSON array a chunk, expanded by the database (as jsonb on
    // PostgreSQL: parsed once, where `json` is parsed again for every field): binding 16 values
    // a row through the Any driver cost more than the insert itself.
    let sql = if conn.backend_name() == "PostgreSQL" {
        INSERT_PG
    } else {
        INSERT_SQLITE
    };
    for chunk in rows.chunks(CHUNK) {
        let json: Vec<serde_json::Value> = chunk
            .iter()
            .map(|(id, seq, d)| {
                serde_json::json!([
                    id,
                    d.recipient.partner.as_str(),
                    seq,
                    d.recipient.location.as_deref().unwrap_or(""),
                    d.version,
                    d.kind.as_str(),
                    d.reason.map(reason_str),
                    d.channel.as_str(),
                    serde_json::to_string(&d.locations).expect("plain data serialises"),
                    d.priority,
                    stamp(d.not_before),
                    d.digest,
                ])
            })
            .collect();
        let q = sqlx::query(sql)
            .bind(serde_json::Value::Array(json).to_string())
            .bind(case.to_string())
            .bind(now.to_string());
        for row in q.fetch_all(&mut *conn).await? {
            written.push(row.try_get("id")?);
        }
    }
    if written.len() < rows.len() {
        tracing::warn!(
            case_id = %case,
            planned = rows.len(),
            written = written.len(),
            "deliveries already queued were not queued again"
        );
    }
    Ok(written)
}

/// Posters each capped partner may still receive today (since `day_start`), across all cases.
pub(super) async fn remaining_caps(
    conn: &mut AnyConnection,
    caps: &[(PartnerId, u32)],
    day_start: &str,
) -> Result<HashMap<PartnerId, u32>, StoreError> {
    let mut out = HashMap::new();
    for (partner, cap) in caps {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM deliveries WHERE partner_id = $1 AND created_at >= $2 \
             AND kind <> 'withdrawn' AND state <> 'superseded'",
        )
        .bind(partner.as_str())
        .bind(day_start)
        .fetch_one(&mut *conn)
        .await?;
        let used = count(&row, "n")?;
        out.insert(partner.clone(), cap.saturating_sub(used));
    }
    Ok(out)
}
