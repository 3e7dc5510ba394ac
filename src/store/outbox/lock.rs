//! One plan at a time per case. Every change that plans deliveries (dispatch, update, resolve,
//! retarget) runs inside a [`CaseLock`]: a write transaction that first locks the case's row (and its
//! distribution's), so two plans of one case never interleave and each reads the case's status as it
//! is while it holds the lock. On PostgreSQL that is `SELECT … FOR UPDATE`; on SQLite, the store's
//! single writer already holds every other write off.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::enqueue::{self, NewDelivery, Standings};
use super::{Distribution, Recipient, distributions};
use crate::cases::Case;
use crate::partners::PartnerId;
use crate::store::cases::{NewVersion, fetch_case, write_version_in};
use crate::store::{
    Actor, Backend, CaseId, CaseRecord, Resolution, Store, StoreError, WriteTx, stamp,
};

/// A write transaction holding one case's lock; dropped without [`CaseLock::commit`], it writes
/// nothing.
pub struct CaseLock {
    tx: WriteTx,
    case: CaseId,
    lock_rows: bool,
}

impl Store {
    /// Take `case`'s lock for a transaction that plans its deliveries. The case may not exist:
    /// [`CaseLock::case`] then says `None`.
    pub async fn lock_case(&self, case: CaseId) -> Result<CaseLock, StoreError> {
        let mut tx = self.write().await?;
        let lock_rows = self.backend() == Backend::Postgres;
        if lock_rows {
            sqlx::query("SELECT id FROM cases WHERE id = $1 FOR UPDATE")
                .bind(case.to_string())
                .fetch_optional(tx.conn())
                .await?;
        }
        Ok(CaseLock {
            tx,
            case,
            lock_rows,
        })
    }
}

impl CaseLock {
    pub fn case_id(&self) -> CaseId {
        self.case
    }

    /// The case as it is now, under the lock.
    pub async fn case(&mut self) -> Result<Option<CaseRecord>, StoreError> {
        fetch_case(self.tx.conn(), self.case).await
    }

    /// Write `case` as the version after `base_version` (see [`write_version_in`]).
    pub async fn write_version(
        &mut self,
        base_version: i64,
        case: &Case,
        changed: &[String],
        actor: &Actor,
        resolution: Option<&Resolution>,
        at: DateTime<Utc>,
    ) -> Result<CaseRecord, StoreError> {
        let change = NewVersion {
            base_version,
            case,
            changed,
            actor,
            resolution,
        };
        write_version_in(&mut self.tx, self.case, &change, &stamp(at)).await
    }

    /// The case's distribution, its row locked too.
    pub async fn distribution(&mut self) -> Result<Option<Distribution>, StoreError> {
        distributions::load(self.tx.conn(), self.case, self.lock_rows).await
    }

    pub async fn save_distribution(&mut self, d: &Distribution) -> Result<(), StoreError> {
        distributions::save(self.tx.conn(), d).await
    }

    /// Every recipient that ever had a delivery of this case, with what it holds.
    pub async fn standings(&mut self) -> Result<Standings, StoreError> {
        enqueue::standings(self.tx.conn(), self.case).await
    }

    /// Posters each capped partner may still receive today (since `day_start`), across all cases.
    pub async fn remaining_caps(
        &mut self,
        caps: &[(PartnerId, u32)],
        day_start: DateTime<Utc>,
    ) -> Result<HashMap<PartnerId, u32>, StoreError> {
        enqueue::remaining_caps(self.tx.conn(), caps, &stamp(day_start)).await
    }

    /// Supersede, then insert: what a plan asks of the outbox. At a takedown (`takedown`), every
    /// poster delivery of the case not yet delivered is superseded, those being sent at this moment
    /// too; their attempts are recorded when they end, and they are never tried again.
    pub async fn apply_plan(
        &mut self,
        supersede: &[Recipient],
        takedown: bool,
        deliveries: &[NewDelivery],
        at: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        let now = stamp(at);
        enqueue::supersede(self.tx.conn(), self.case, supersede, takedown, &now).await?;
        enqueue::insert(self.tx.conn(), self.case, deliveries, &now).await
    }

    /// The first step of a takedown, before anything is read: every poster delivery of the case
    /// not yet delivered is superseded, those being sent too. Done first, so no claim can start a
    /// poster of this case afterwards, and [`CaseLock::standings`] then sees every attempt that
    /// did start (on PostgreSQL a claim may commit while this transaction runs).
    pub async fn stop_posters(&mut self, at: DateTime<Utc>) -> Result<u64, StoreError> {
        enqueue::supersede(self.tx.conn(), self.case, &[], true, &stamp(at)).await
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await
    }
}
