//! The distribution of cases as the service runs it: starting one, and keeping it current when a
//! case changes, is resolved, or its region grows. Each change and the deliveries it causes commit
//! in one transaction that holds the case's lock, so plans of one case never interleave and a closed
//! case is never planned again; the dispatch worker is woken afterwards.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use super::reissue::{Planned, ReissueError, Trigger, prepare, replan, start};
use super::{ClosedCases, TargetingIndex, WithdrawReason};
use crate::cases::Case;
use crate::clock::SharedClock;
use crate::store::outbox::{CaseLock, Distribution, defer_retarget, due_distributions};
use crate::store::{Actor, CaseId, CaseRecord, Outcome, Resolution, Store, StoreError, stamp};

/// Why a dispatch was not made.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error("the case is {0}: its posters are not sent any more")]
    CaseClosed(&'static str),
    #[error(transparent)]
    Plan(#[from] ReissueError),
}

impl From<StoreError> for DispatchError {
    fn from(e: StoreError) -> Self {
        DispatchError::Plan(e.into())
    }
}

/// Shared by the API and the scheduler; cheap to clone.
#[derive(Clone)]
pub struct Distributor {
    store: Store,
    targeting: Arc<TargetingIndex>,
    clock: SharedClock,
    /// Edits within this time make one reissue.
    quiet: Duration,
    /// How often an active case's region is looked at again.
    retarget_every: Duration,
    /// Wakes the dispatch worker when deliveries were queued.
    wake: Arc<Notify>,
    /// Retargets that failed since the process started (`/metrics`).
    retarget_failures: Arc<AtomicU64>,
    /// Scheduled retargets this process made (a case another instance had just done is not one).
    retargets: Arc<AtomicU64>,
    /// Cases resolved in this process, for the worker to check before each poster it sends.
    closed: Arc<ClosedCases>,
}

fn since(t: DateTime<Utc>, d: Duration) -> String {
    stamp(t + chrono::Duration::from_std(d).unwrap_or_default())
}

impl Distributor {
    pub fn new(
        store: Store,
        targeting: Arc<TargetingIndex>,
        clock: SharedClock,
        quiet: Duration,
        retarget_every: Duration,
    ) -> Distributor {
        Distributor {
            store,
            targeting,
            clock,
            quiet,
            retarget_every,
            wake: Arc::new(Notify::new()),
            retarget_failures: Arc::default(),
            retargets: Arc::default(),
            closed: Arc::default(),
        }
    }

    /// What the dispatch worker waits on.
    pub fn wake_handle(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    pub fn retarget_every(&self) -> Duration {
        self.retarget_every
    }

    /// The cases this process has closed.
    pub fn closed_cases(&self) -> Arc<ClosedCases> {
        self.closed.clone()
    }

    /// Retargets that failed since the process started.
    pub fn retarget_failures(&self) -> u64 {
        self.retarget_failures.load(Ordering::Relaxed)
    }

    /// Scheduled retargets made by this process since it started.
    pub fn retargets(&self) -> u64 {
        self.retargets.load(Ordering::Relaxed)
    }

    fn woken(&self, planned: &Planned) {
        if planned.queued > 0 {
            self.wake.notify_one();
        }
    }

    /// Plan `dist` under the caller's lock and save it; the next retarget is an interval away.
    async fn plan_in(
        &self,
        lock: &mut CaseLock,
        case: &Case,
        dist: &mut Distribution,
        trigger: Trigger,
        now: DateTime<Utc>,
    ) -> Result<Planned, ReissueError> {
        dist.next_retarget_at = since(now, self.retarget_every);
        let planned = replan(lock, &self.targeting, case, dist, trigger, now, self.quiet).await?;
        lock.save_distribution(dist).await?;
        Ok(planned)
    }

    /// Start distributing the case's current version, or widen an existing distribution by
    /// `states` (USPS codes, already checked); sends at once. `None` when there is no such case; a
    /// closed case is refused, its status read under the case's lock.
    pub async fn dispatch(
        &self,
        id: CaseId,
        states: &[String],
        actor: &Actor,
    ) -> Result<Option<(Distribution, Planned)>, DispatchError> {
        let now = self.clock.now();
        let mut lock = self.store.lock_case(id).await?;
        let Some(record) = lock.case().await? else {
            return Ok(None);
        };
        if !record.document.is_active() {
            return Err(DispatchError::CaseClosed(record.document.status.as_str()));
        }
        let mut dist = match lock.distribution().await? {
            Some(d) => d,
            None => start(id, record.version, &actor.to_string(), now),
        };
        dist.active = true;
        for s in states {
            let code = s.trim().to_ascii_uppercase();
            if !dist.states.contains(&code) {
                dist.states.push(code);
            }
        }
        let planned = self
            .plan_in(
                &mut lock,
                &record.document,
                &mut dist,
                Trigger::Dispatch,
                now,
            )
            .await?;
        lock.commit().await?;
        self.woken(&planned);
        Ok(Some((dist, planned)))
    }

    /// Store a new version of a case and, when it is being distributed, reissue it after the
    /// quiet period. `changed` is never empty: an update that changes nothing makes no version.
    pub async fn update_case(
        &self,
        id: CaseId,
        base_version: i64,
        case: &Case,
        changed: &[String],
        actor: &Actor,
    ) -> Result<CaseRecord, ReissueError> {
        self.write(id, base_version, case, changed, actor, None)
            .await
    }

    /// Resolve a case and take every poster of it down, ahead of everything else queued.
    pub async fn resolve_case(
        &self,
        id: CaseId,
        base_version: i64,
        case: &Case,
        resolution: &Resolution,
        actor: &Actor,
    ) -> Result<CaseRecord, ReissueError> {
        let changed = ["status".to_string()];
        self.write(id, base_version, case, &changed, actor, Some(resolution))
            .await
    }

    async fn write(
        &self,
        id: CaseId,
        base_version: i64,
        case: &Case,
        changed: &[String],
        actor: &Actor,
        resolution: Option<&Resolution>,
    ) -> Result<CaseRecord, ReissueError> {
        let now = self.clock.now();
        let mut lock = self.store.lock_case(id).await?;
        let record = lock
            .write_version(base_version, case, changed, actor, resolution, now)
            .await?;
        let mut planned = Planned::default();
        if let Some(mut dist) = lock.distribution().await?
            && dist.active
        {
            let trigger = match resolution {
                Some(r) => Trigger::TakeDown(match r.outcome {
                    Outcome::FoundSafe => WithdrawReason::FoundSafe,
                    Outcome::Closed => WithdrawReason::Closed,
                }),
                None => {
                    dist.poster_version = u32::try_from(record.version).unwrap_or(u32::MAX);
                    Trigger::Update
                }
            };
            planned = self
                .plan_in(&mut lock, &record.document, &mut dist, trigger, now)
                .await?;
        }
        lock.commit().await?;
        if resolution.is_some() {
            // from this moment no poster of the case starts in this process
            self.closed.insert(id);
        }
        self.woken(&planned);
        Ok(record)
    }

    /// Look again at one active distribution as its region has grown: issue to partners newly
    /// inside, send nothing again to anyone who has it. A closed case plans nothing.
    pub async fn retarget(
        &self,
        id: CaseId,
        now: DateTime<Utc>,
    ) -> Result<Option<Planned>, ReissueError> {
        self.retarget_when(id, now, false).await
    }

    /// [`Distributor::retarget`]; with `only_if_due`, nothing unless the case is still due under
    /// its lock. Several instances' schedulers may pick the same due case: the first one moves its
    /// time on, and the others find it no longer due.
    async fn retarget_when(
        &self,
        id: CaseId,
        now: DateTime<Utc>,
        only_if_due: bool,
    ) -> Result<Option<Planned>, ReissueError> {
        let mut lock = self.store.lock_case(id).await?;
        let Some(record) = lock.case().await? else {
            return Ok(None);
        };
        let Some(mut dist) = lock.distribution().await? else {
            return Ok(None);
        };
        if !dist.active || !record.document.is_active() {
            return Ok(None);
        }
        if only_if_due && dist.next_retarget_at > crate::store::stamp(now) {
            return Ok(None);
        }
        let planned = self
            .plan_in(
                &mut lock,
                &record.document,
                &mut dist,
                Trigger::Retarget,
                now,
            )
            .await?;
        lock.commit().await?;
        self.woken(&planned);
        Ok(Some(planned))
    }

    /// What an update of the case would send now, without writing anything: the planning half of a
    /// reissue (region, selection, what each recipient holds, the plan). `None` when the case is not
    /// being distributed.
    pub async fn dry_run(
        &self,
        id: CaseId,
        now: DateTime<Utc>,
    ) -> Result<Option<Planned>, ReissueError> {
        // the lock is dropped unused: nothing is written
        let mut lock = self.store.lock_case(id).await?;
        let Some(mut dist) = lock.distribution().await? else {
            return Ok(None);
        };
        let Some(record) = lock.case().await? else {
            return Ok(None);
        };
        // the version the next update would make
        dist.poster_version = u32::try_from(record.version + 1).unwrap_or(u32::MAX);
        let prepared = prepare(
            &mut lock,
            &self.targeting,
            &record.document,
            &dist,
            Trigger::Update,
            now,
            self.quiet,
        )
        .await?;
        Ok(Some(prepared.planned))
    }

    /// Retarget every distribution that is due; returns how many were looked at. A case whose
    /// retarget fails is logged by id, counted, and put off by one interval, so it neither stops
    /// the others nor comes first on every tick.
    pub async fn retarget_due(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let due = due_distributions(&self.store, now, 100).await?;
        for id in &due {
            let done = self.retarget_when(*id, now, true).await;
            if let Ok(Some(_)) = done {
                self.retargets.fetch_add(1, Ordering::Relaxed);
            }
            if let Err(e) = done {
                self.retarget_failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(case_id = %id, error = %e, "retargeting this case failed; trying again later");
                let later =
                    now + chrono::Duration::from_std(self.retarget_every).unwrap_or_default();
                if let Err(e) = defer_retarget(&self.store, *id, later).await {
                    tracing::warn!(case_id = %id, error = %e, "putting off a failed retarget failed");
                }
            }
        }
        Ok(due.len())
    }

    /// Run [`Distributor::retarget_due`] every `tick` until dropped.
    pub async fn schedule(self, tick: Duration) {
        let mut every = tokio::time::interval(tick);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            match self.retarget_due(self.clock.now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(cases = n, "regions looked at again"),
                Err(e) => {
                    tracing::warn!(error = %e, "looking for cases to retarget failed; will try again")
                }
            }
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }
}
