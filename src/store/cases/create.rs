//! Creating a case, with group commit on SQLite.
//!
//! SQLite has one writer, so under load every create used to queue for the writer lock and pay for a
//! whole transaction of its own. Here a writer task takes every create that is waiting at that moment
//! and writes them in one transaction, and nobody is answered before it is committed. A create that
//! fails gets the same error it would have had by itself, and fails alone:
//! - creates with an idempotency key go one by one, each in a savepoint of its own, because the claim
//!   is a write that a failed create must take back;
//! - the others are written together, one statement per table for the whole batch (each statement is
//!   a trip to SQLite's connection thread, which is what a create mostly cost). A case number in use
//!   skips that row alone (`ON CONFLICT DO NOTHING`); any other failure fails the batch, which is then
//!   written again one create at a time.
//!
//! PostgreSQL has many writers and row locks (an idempotency claim waits for the concurrent claimer's
//! transaction), so it keeps one transaction per create.

use std::collections::HashSet;

use sqlx::{AnyConnection, Connection, Row};
use tokio::sync::{mpsc, oneshot};

use super::super::audit::{record, record_all};
use super::super::idempotency::{Claim, IdempotencyKey, claim, complete};
use super::super::{Actor, CaseId, Store, StoreError, now, values};
use super::{CaseRecord, Created, audit, fetch_case, insert_version, to_json};
use crate::cases::Case;

/// At most this many creates share one transaction, so one batch never holds the writer long.
const BATCH: usize = 64;
/// Creates waiting for the writer task; beyond this, callers wait to queue (back-pressure).
const QUEUE: usize = 1024;

/// One create, as the writer task receives it.
struct Job {
    case: Case,
    /// The case as stored, serialised by the caller rather than by the writer task.
    document: String,
    sample: bool,
    actor: Actor,
    idempotency: Option<IdempotencyKey>,
    reply: oneshot::Sender<Result<Created, StoreError>>,
}

/// The way to the writer task. The task ends when the last store handle holding this is dropped.
#[derive(Clone)]
pub(crate) struct CreateQueue(mpsc::Sender<Job>);

impl CreateQueue {
    /// Start the writer task on the current runtime. `store` must have no queue of its own: the task
    /// writes each batch through the ordinary writer lock, beside every other write.
    pub(crate) fn start(store: Store) -> CreateQueue {
        debug_assert!(store.creates.is_none());
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(store, rx));
        CreateQueue(tx)
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut jobs, BATCH).await > 0 {
        store.commit_batch(std::mem::take(&mut jobs)).await;
    }
}

impl Store {
    /// Store a new, already parsed case as version 1.
    pub async fn create_case(
        &self,
        case: &Case,
        sample: bool,
        actor: &Actor,
        idempotency: Option<&IdempotencyKey>,
    ) -> Result<Created, StoreError> {
        let Some(queue) = &self.creates else {
            return self.create_alone(case, sample, actor, idempotency).await;
        };
        let (reply, answer) = oneshot::channel();
        let job = Job {
            case: case.clone(),
            document: to_json(case),
            sample,
            actor: actor.clone(),
            idempotency: idempotency.cloned(),
            reply,
        };
        if queue.0.send(job).await.is_err() {
            // The writer task is gone with the runtime that started it (a store used from another
            // runtime): write this create by itself.
            return self.create_alone(case, sample, actor, idempotency).await;
        }
        answer.await.map_err(|_| sqlx::Error::WorkerCrashed)?
    }

    /// One create in a transaction of its own.
    async fn create_alone(
        &self,
        case: &Case,
        sample: bool,
        actor: &Actor,
        idempotency: Option<&IdempotencyKey>,
    ) -> Result<Created, StoreError> {
        let mut tx = self.write().await?;
        let created = insert_case(tx.conn(), case, sample, actor, idempotency).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn commit_batch(&self, jobs: Vec<Job>) {
        let results = if jobs.len() == 1 {
            None
        } else {
            self.write_batch(&jobs).await.ok()
        };
        match results {
            Some(results) => {
                for (job, result) in jobs.into_iter().zip(results) {
                    // A caller that has gone away (client disconnected) still has its case written.
                    let _ = job.reply.send(result);
                }
            }
            // A lone create, or a batch that could not be committed (nothing of it was): each create
            // by itself, so each gets its own answer, errors included.
            None => {
                for job in jobs {
                    let result = self
                        .create_alone(&job.case, job.sample, &job.actor, job.idempotency.as_ref())
                        .await;
                    let _ = job.reply.send(result);
                }
            }
        }
    }

    /// Every job in one transaction. `Err` when the transaction failed: then nothing was written.
    async fn write_batch(
        &self,
        jobs: &[Job],
    ) -> Result<Vec<Result<Created, StoreError>>, StoreError> {
        let mut tx = self.write().await?;
        let mut results: Vec<Option<Result<Created, StoreError>>> =
            jobs.iter().map(|_| None).collect();
        for (job, result) in jobs.iter().zip(&mut results) {
            let Some(key) = &job.idempotency else {
                continue;
            };
            let mut savepoint = tx.conn().begin().await?;
            let created =
                insert_case(&mut savepoint, &job.case, job.sample, &job.actor, Some(key)).await;
            if created.is_ok() {
                savepoint.commit().await?;
            } else {
                savepoint.rollback().await?;
            }
            *result = Some(created);
        }
        let plain: Vec<&Job> = jobs.iter().filter(|j| j.idempotency.is_none()).collect();
        let mut written = insert_plain(tx.conn(), &plain).await?.into_iter();
        tx.commit().await?;
        Ok(results
            .into_iter()
            .map(|r| r.or_else(|| written.next()).expect("one result per job"))
            .collect())
    }
}

/// Creates without an idempotency key, in one statement per table; results in the jobs' order.
async fn insert_plain(
    conn: &mut AnyConnection,
    jobs: &[&Job],
) -> Result<Vec<Result<Created, StoreError>>, StoreError> {
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    let at = now();
    let ids: Vec<CaseId> = jobs.iter().map(|_| CaseId::generate()).collect();
    // A case number in use, or used twice in this batch, inserts no row and returns no id.
    let sql = format!(
        "INSERT INTO cases (id, case_number, case_type, status, amber_alert, sample, \
         current_version, created_at, updated_at, search_text) VALUES {}          ON CONFLICT DO NOTHING RETURNING id",
        values(jobs.len(), 10)
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (job, id) in jobs.iter().zip(&ids) {
        query = query
            .bind(id.to_string())
            .bind(&job.case.case_number)
            .bind(job.case.case_type.as_str())
            .bind(job.case.status.as_str())
            .bind(job.case.amber_alert)
            .bind(job.sample)
            .bind(1_i64)
            .bind(&at)
            .bind(&at)
            .bind(job.case.search_text());
    }
    let inserted: HashSet<String> = query
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<Result<_, _>>()?;
    let made: Vec<(&Job, CaseId)> = jobs
        .iter()
        .zip(&ids)
        .filter(|(_, id)| inserted.contains(&id.to_string()))
        .map(|(job, id)| (*job, *id))
        .collect();
    if !made.is_empty() {
        let sql = format!(
            "INSERT INTO case_versions (case_id, version, document, changed, actor, created_at) \
             VALUES {}",
            values(made.len(), 6)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (job, id) in &made {
            query = query
                .bind(id.to_string())
                .bind(1_i64)
                .bind(&job.document)
                .bind("[]")
                .bind(job.actor.to_string())
                .bind(&at);
        }
        query.execute(&mut *conn).await?;
        let events: Vec<_> = made
            .iter()
            .map(|(job, id)| audit(&job.actor, "case.create", *id, 1))
            .collect();
        record_all(conn, &events).await?;
    }
    Ok(jobs
        .iter()
        .zip(&ids)
        .map(|(job, id)| {
            if inserted.contains(&id.to_string()) {
                Ok(Created::New(new_record(*id, &job.case, job.sample, &at)))
            } else {
                Err(StoreError::CaseNumberTaken(job.case.case_number.clone()))
            }
        })
        .collect())
}

/// A case just written, built from what was written rather than read back: the writer is held as
/// short a time as possible.
fn new_record(id: CaseId, case: &Case, sample: bool, at: &str) -> CaseRecord {
    CaseRecord {
        id,
        version: 1,
        sample,
        created_at: at.to_string(),
        updated_at: at.to_string(),
        resolution: None,
        erased_at: None,
        document: case.clone(),
    }
}

/// The writes of one create, inside the caller's transaction or savepoint.
async fn insert_case(
    conn: &mut AnyConnection,
    case: &Case,
    sample: bool,
    actor: &Actor,
    idempotency: Option<&IdempotencyKey>,
) -> Result<Created, StoreError> {
    if let Some(k) = idempotency
        && let Claim::Replay(existing) = claim(conn, k).await?
    {
        let id: CaseId = existing.parse().map_err(|_| StoreError::NotFound("case"))?;
        let record = fetch_case(conn, id).await?;
        return record
            .map(Created::Replayed)
            .ok_or(StoreError::NotFound("case"));
    }
    let id = CaseId::generate();
    let at = now();
    let inserted = sqlx::query(
        "INSERT INTO cases (id, case_number, case_type, status, amber_alert, sample, \
         current_version, created_at, updated_at, search_text)          VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7, $8)",
    )
    .bind(id.to_string())
    .bind(&case.case_number)
    .bind(case.case_type.as_str())
    .bind(case.status.as_str())
    .bind(case.amber_alert)
    .bind(sample)
    .bind(&at)
    .bind(case.search_text())
    .execute(&mut *conn)
    .await;
    if let Err(e) = inserted {
        return Err(if StoreError::is_unique_violation(&e) {
            StoreError::CaseNumberTaken(case.case_number.clone())
        } else {
            e.into()
        });
    }
    insert_version(conn, id, 1, case, &[], actor, &at).await?;
    record(conn, audit(actor, "case.create", id, 1)).await?;
    if let Some(k) = idempotency {
        complete(conn, k, &id.to_string()).await?;
    }
    Ok(Created::New(new_record(id, case, sample, &at)))
}
