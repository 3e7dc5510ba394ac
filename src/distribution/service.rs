//! The distribution of cases as the service runs it: starting one, and keeping it current when a
//! case changes, is resolved, or its region grows. Each change and the deliveries it causes commit
//! in one transaction; the dispatch worker is woken afterwards.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use super::WithdrawReason;
use super::reissue::{Planned, ReissueError, Trigger, prepare, replan, start};
use crate::app::TargetingIndex;
use crate::cases::Case;
use crate::dispatch::outbox::{Distribution, load_distribution, save_distribution};
use crate::store::{
    Actor, CaseId, CaseRecord, Outcome, Resolution, Store, WriteTx, fetch_case, stamp,
    write_version_in,
};

/// Shared by the API and the scheduler; cheap to clone.
#[derive(Clone)]
pub struct Distributor {
    store: Store,
    targeting: Arc<TargetingIndex>,
    /// Edits within this time make one reissue.
    quiet: Duration,
    /// How often an active case's region is looked at again.
    retarget_every: Duration,
    /// Wakes the dispatch worker when deliveries were queued.
    wake: Arc<Notify>,
}

fn since(t: DateTime<Utc>, d: Duration) -> String {
    stamp(t + chrono::Duration::from_std(d).unwrap_or_default())
}

impl Distributor {
    pub fn new(
        store: Store,
        targeting: Arc<TargetingIndex>,
        quiet: Duration,
        retarget_every: Duration,
    ) -> Distributor {
        Distributor {
            store,
            targeting,
            quiet,
            retarget_every,
            wake: Arc::new(Notify::new()),
        }
    }

    /// What the dispatch worker waits on.
    pub fn wake_handle(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    pub fn retarget_every(&self) -> Duration {
        self.retarget_every
    }

    fn woken(&self, planned: &Planned) {
        if planned.queued > 0 {
            self.wake.notify_one();
        }
    }

    /// Plan `dist` in the caller's transaction and save it; the next retarget is an interval away.
    async fn plan_in(
        &self,
        tx: &mut WriteTx,
        case: &Case,
        dist: &mut Distribution,
        trigger: Trigger,
        now: DateTime<Utc>,
    ) -> Result<Planned, ReissueError> {
        dist.next_retarget_at = since(now, self.retarget_every);
        let planned = replan(
            tx.conn(),
            &self.targeting,
            case,
            dist,
            trigger,
            now,
            self.quiet,
        )
        .await?;
        save_distribution(tx.conn(), dist).await?;
        Ok(planned)
    }

    /// Start distributing the case's current version, or widen an existing distribution by
    /// `states` (USPS codes, already checked); sends at once. `None` when there is no such case.
    pub async fn dispatch(
        &self,
        id: CaseId,
        states: &[String],
        actor: &Actor,
    ) -> Result<Option<(Distribution, Planned)>, ReissueError> {
        let now = Utc::now();
        let mut tx = self.store.write().await?;
        let Some(record) = fetch_case(tx.conn(), id).await? else {
            return Ok(None);
        };
        let mut dist = match load_distribution(tx.conn(), id).await? {
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
            .plan_in(&mut tx, &record.document, &mut dist, Trigger::Dispatch, now)
            .await?;
        tx.commit().await?;
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
        let now = Utc::now();
        let mut tx = self.store.write().await?;
        let record =
            write_version_in(&mut tx, id, base_version, case, changed, actor, resolution).await?;
        let mut planned = Planned::default();
        if let Some(mut dist) = load_distribution(tx.conn(), id).await?
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
                .plan_in(&mut tx, &record.document, &mut dist, trigger, now)
                .await?;
        }
        tx.commit().await?;
        self.woken(&planned);
        Ok(record)
    }

    /// Look again at one active distribution as its region has grown: issue to partners newly
    /// inside, send nothing again to anyone who has it.
    pub async fn retarget(
        &self,
        id: CaseId,
        now: DateTime<Utc>,
    ) -> Result<Option<Planned>, ReissueError> {
        let mut tx = self.store.write().await?;
        let Some(mut dist) = load_distribution(tx.conn(), id).await? else {
            return Ok(None);
        };
        let Some(record) = fetch_case(tx.conn(), id).await? else {
            return Ok(None);
        };
        if !dist.active {
            return Ok(None);
        }
        let planned = self
            .plan_in(&mut tx, &record.document, &mut dist, Trigger::Retarget, now)
            .await?;
        tx.commit().await?;
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
        let mut conn = self
            .store
            .pool()
            .acquire()
            .await
            .map_err(crate::store::StoreError::from)?;
        let Some(mut dist) = load_distribution(&mut conn, id).await? else {
            return Ok(None);
        };
        let Some(record) = fetch_case(&mut conn, id).await? else {
            return Ok(None);
        };
        // the version the next update would make
        dist.poster_version = u32::try_from(record.version + 1).unwrap_or(u32::MAX);
        let prepared = prepare(
            &mut conn,
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

    /// Retarget every distribution that is due; returns how many were looked at.
    pub async fn retarget_due(&self, now: DateTime<Utc>) -> Result<usize, ReissueError> {
        let due = crate::dispatch::outbox::due_distributions(&self.store, now, 100).await?;
        for id in &due {
            self.retarget(*id, now).await?;
        }
        Ok(due.len())
    }

    /// Run [`Distributor::retarget_due`] every `tick` until dropped.
    pub async fn schedule(self, tick: Duration) {
        let mut every = tokio::time::interval(tick);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            match self.retarget_due(Utc::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(cases = n, "regions looked at again"),
                Err(e) => tracing::warn!(error = %e, "retargeting failed; will try again"),
            }
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}
