//! Cases and their versions. Every change writes a whole new version of the document, with the
//! field paths it changed and who made it; the `cases` row points at the current one.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::audit::{AuditEvent, record};
use super::{Actor, CaseId, Store, StoreError, WriteTx, flag};
use crate::cases::{Case, CaseStatus};

mod create;

pub(crate) use create::CreateQueue;

/// How a case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    FoundSafe,
    Closed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::FoundSafe => "found_safe",
            Outcome::Closed => "closed",
        }
    }

    fn parse(s: &str) -> Option<Outcome> {
        [Outcome::FoundSafe, Outcome::Closed]
            .into_iter()
            .find(|o| o.as_str() == s)
    }

    /// The document status a resolution sets.
    pub fn status(self) -> CaseStatus {
        match self {
            Outcome::FoundSafe => CaseStatus::Resolved,
            Outcome::Closed => CaseStatus::Cancelled,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Resolution {
    pub outcome: Outcome,
    pub reason: String,
}

/// A case as it is now.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseRecord {
    pub id: CaseId,
    pub version: i64,
    pub sample: bool,
    pub created_at: String,
    pub updated_at: String,
    pub resolution: Option<Resolution>,
    /// When the retention period erased everything personal: `document` then holds only the number,
    /// type, status, day and agency.
    pub erased_at: Option<String>,
    pub document: Case,
}

/// One line of a case list.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = CaseListItem)]
pub struct CaseSummary {
    pub id: String,
    pub case_number: String,
    pub case_type: String,
    pub status: String,
    pub amber_alert: bool,
    pub sample: bool,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub erased_at: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub status: Option<String>,
    pub case_type: Option<String>,
    pub case_number: Option<String>,
    /// Words a case manager typed: matched against the case number and the current document (so
    /// the names in it), case-insensitively.
    pub search: Option<String>,
    /// Cases created before this case (paging from the newest); ids sort by creation.
    pub before: Option<CaseId>,
    pub limit: i64,
}

/// A version's record without its document.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct VersionMeta {
    pub version: i64,
    pub created_at: String,
    pub actor: String,
    pub changed: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VersionRecord {
    pub meta: VersionMeta,
    pub sample: bool,
    pub erased_at: Option<String>,
    pub document: Case,
}

pub enum Created {
    New(CaseRecord),
    /// An identical earlier request with the same idempotency key made this case.
    Replayed(CaseRecord),
}

const CASE_COLUMNS: &str = "c.id, c.current_version, c.sample, c.created_at, c.updated_at, \
     c.resolution_outcome, c.resolution_reason, c.erased_at, v.document";

fn document(json: &str) -> Result<Case, StoreError> {
    serde_json::from_str(json).map_err(|source| StoreError::Corrupt {
        what: "case document",
        source,
    })
}

fn changed_list(json: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(json).map_err(|source| StoreError::Corrupt {
        what: "changed fields",
        source,
    })
}

fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("plain data serialises")
}

fn case_record(row: &AnyRow) -> Result<CaseRecord, StoreError> {
    let id: String = row.try_get("id")?;
    let outcome: Option<String> = row.try_get("resolution_outcome")?;
    let reason: Option<String> = row.try_get("resolution_reason")?;
    let resolution = outcome
        .and_then(|o| Outcome::parse(&o))
        .map(|outcome| Resolution {
            outcome,
            reason: reason.unwrap_or_default(),
        });
    Ok(CaseRecord {
        id: id.parse().map_err(|_| StoreError::NotFound("case"))?,
        version: row.try_get("current_version")?,
        sample: flag(row, "sample")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        resolution,
        erased_at: row.try_get("erased_at")?,
        document: document(row.try_get("document")?)?,
    })
}

async fn insert_version(
    conn: &mut AnyConnection,
    id: CaseId,
    version: i64,
    case: &Case,
    changed: &[String],
    actor: &Actor,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO case_versions (case_id, version, document, changed, actor, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id.to_string())
    .bind(version)
    .bind(to_json(case))
    .bind(to_json(&changed))
    .bind(actor.to_string())
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) async fn fetch_case(
    conn: &mut AnyConnection,
    id: CaseId,
) -> Result<Option<CaseRecord>, StoreError> {
    let sql = format!(
        "SELECT {CASE_COLUMNS} FROM cases c \
         JOIN case_versions v ON v.case_id = c.id AND v.version = c.current_version WHERE c.id = $1"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(case_record).transpose()
}

impl Store {
    pub async fn case(&self, id: CaseId) -> Result<Option<CaseRecord>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        fetch_case(&mut conn, id).await
    }

    /// Is the case still active? `None` when there is no such case. The dispatch worker asks this
    /// right before every poster it sends.
    pub async fn case_is_active(&self, id: CaseId) -> Result<Option<bool>, StoreError> {
        let row = sqlx::query("SELECT status FROM cases WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| Ok(r.try_get::<String, _>("status")? == CaseStatus::Active.as_str()))
            .transpose()
    }

    /// Which of `ids` are no longer active: one query for a batch the dispatch worker claimed.
    pub async fn closed_among(
        &self,
        ids: &[CaseId],
    ) -> Result<std::collections::HashSet<CaseId>, StoreError> {
        let mut out = std::collections::HashSet::new();
        for chunk in ids.chunks(200) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${}", i + 1)).collect();
            let sql = format!(
                "SELECT id FROM cases WHERE status <> $1 AND id IN ({})",
                marks.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(CaseStatus::Active.as_str());
            for id in chunk {
                q = q.bind(id.to_string());
            }
            for row in q.fetch_all(self.pool()).await? {
                let id: String = row.try_get("id")?;
                out.insert(id.parse().map_err(|_| StoreError::BadRow("case id"))?);
            }
        }
        Ok(out)
    }

    /// Newest first.
    pub async fn list_cases(&self, f: &CaseFilter) -> Result<Vec<CaseSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, case_number, case_type, status, amber_alert, sample, current_version, \
             created_at, updated_at, erased_at FROM cases \
             WHERE ($1 IS NULL OR status = $1) AND ($2 IS NULL OR case_type = $2) \
               AND ($3 IS NULL OR case_number = $3) AND ($4 IS NULL OR id < $4) \
               AND ($6 IS NULL OR search_text LIKE $6) \
             ORDER BY id DESC LIMIT $5",
        )
        .bind(f.status.clone())
        .bind(f.case_type.clone())
        .bind(f.case_number.clone())
        .bind(f.before.map(|b| b.to_string()))
        .bind(f.limit)
        .bind(f.search.as_deref().map(like_pattern))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CaseSummary {
                    id: r.try_get("id")?,
                    case_number: r.try_get("case_number")?,
                    case_type: r.try_get("case_type")?,
                    status: r.try_get("status")?,
                    amber_alert: flag(r, "amber_alert")?,
                    sample: flag(r, "sample")?,
                    version: r.try_get("current_version")?,
                    created_at: r.try_get("created_at")?,
                    updated_at: r.try_get("updated_at")?,
                    erased_at: r.try_get("erased_at")?,
                })
            })
            .collect()
    }

    /// Oldest first; `None` when there is no such case.
    pub async fn versions(&self, id: CaseId) -> Result<Option<Vec<VersionMeta>>, StoreError> {
        let rows = sqlx::query(
            "SELECT version, created_at, actor, changed FROM case_versions \
             WHERE case_id = $1 ORDER BY version",
        )
        .bind(id.to_string())
        .fetch_all(self.pool())
        .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        rows.iter()
            .map(version_meta)
            .collect::<Result<_, _>>()
            .map(Some)
    }

    /// A version of a case; the current one when `version` is `None`.
    pub async fn case_version(
        &self,
        id: CaseId,
        version: Option<i64>,
    ) -> Result<Option<VersionRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT v.version, v.created_at, v.actor, v.changed, v.document, c.sample, c.erased_at \
             FROM cases c JOIN case_versions v ON v.case_id = c.id \
             WHERE c.id = $1 AND v.version = COALESCE($2, c.current_version)",
        )
        .bind(id.to_string())
        .bind(version)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(VersionRecord {
                meta: version_meta(&r)?,
                sample: flag(&r, "sample")?,
                erased_at: r.try_get("erased_at")?,
                document: document(r.try_get("document")?)?,
            })
        })
        .transpose()
    }
}

/// A new version of a case: `case` after `base_version`, what changed, who changed it, and the
/// resolution when it closes the case.
#[derive(Clone, Copy)]
pub(crate) struct NewVersion<'a> {
    pub base_version: i64,
    pub case: &'a Case,
    pub changed: &'a [String],
    pub actor: &'a Actor,
    pub resolution: Option<&'a Resolution>,
}

/// `%words%` for LIKE, lower case, with LIKE's own wildcards taken literally.
fn like_pattern(words: &str) -> String {
    let literal: String = words
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| !matches!(c, '%' | '_' | '\\'))
        .collect();
    format!("%{literal}%")
}

/// Write `case` as the version after `base_version` inside the caller's transaction, so what the
/// change causes (a redistribution) commits with it or not at all. Fails with `VersionConflict` when
/// someone else wrote that version first; the caller re-reads and tries again. A resolution closes
/// the case, keeping the outcome and reason on it. (`distribution::Distributor` is the caller.)
pub(crate) async fn write_version_in(
    tx: &mut WriteTx,
    id: CaseId,
    change: &NewVersion<'_>,
    at: &str,
) -> Result<CaseRecord, StoreError> {
    let NewVersion {
        base_version,
        case,
        changed,
        actor,
        resolution,
    } = *change;
    let version = base_version + 1;
    let result = sqlx::query(
        "UPDATE cases SET current_version = $1, case_number = $2, case_type = $3, status = $4, \
         amber_alert = $5, updated_at = $6, \
         resolution_outcome = COALESCE($7, resolution_outcome), \
         resolution_reason = COALESCE($8, resolution_reason), search_text = $11 \
         WHERE id = $9 AND current_version = $10",
    )
    .bind(version)
    .bind(&case.case_number)
    .bind(case.case_type.as_str())
    .bind(case.status.as_str())
    .bind(case.amber_alert)
    .bind(at)
    .bind(resolution.map(|r| r.outcome.as_str()))
    .bind(resolution.map(|r| r.reason.clone()))
    .bind(id.to_string())
    .bind(base_version)
    .bind(case.search_text())
    .execute(tx.conn())
    .await;
    let updated = match result {
        Ok(r) => r.rows_affected(),
        Err(e) if StoreError::is_unique_violation(&e) => {
            return Err(StoreError::CaseNumberTaken(case.case_number.clone()));
        }
        Err(e) => return Err(e.into()),
    };
    if updated == 0 {
        return Err(StoreError::VersionConflict);
    }
    insert_version(tx.conn(), id, version, case, changed, actor, at).await?;
    let action = if resolution.is_some() {
        "case.resolve"
    } else {
        "case.update"
    };
    record(tx.conn(), audit(actor, action, id, version)).await?;
    if resolution.is_some() {
        // nothing of a closed case stays cached
        sqlx::query("DELETE FROM poster_cache WHERE case_id = $1")
            .bind(id.to_string())
            .execute(tx.conn())
            .await?;
    }
    let record = fetch_case(tx.conn(), id).await?;
    record.ok_or(StoreError::NotFound("case"))
}

fn version_meta(r: &AnyRow) -> Result<VersionMeta, StoreError> {
    Ok(VersionMeta {
        version: r.try_get("version")?,
        created_at: r.try_get("created_at")?,
        actor: r.try_get("actor")?,
        changed: changed_list(r.try_get("changed")?)?,
    })
}

fn audit<'a>(actor: &'a Actor, action: &'static str, id: CaseId, version: i64) -> AuditEvent<'a> {
    AuditEvent {
        actor,
        action,
        case_id: Some(id),
        subject: None,
        version: Some(version),
    }
}
