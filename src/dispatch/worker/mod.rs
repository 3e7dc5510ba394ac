//! The dispatch worker inside `lookout serve`: claims due deliveries, sends them, records how each
//! ended. Several instances on one PostgreSQL share the work through leases.
//!
//! Sends run as tasks, at most `concurrency` at once and at most `per_partner` to one partner, so a
//! slow partner never holds up the others. Results go to one recorder task that writes them in
//! batches: one transaction per batch, not per send.

mod cap_alert;
mod digest;
mod heartbeat;
mod job;
mod liveness;
mod message;
mod metrics;
mod send;
mod tips;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, Semaphore, mpsc, watch};

pub use cap_alert::{Earlier, cap_alert};
pub use liveness::{LocalProcess, Watch};
pub use message::{About, LINK_LIFETIME, languages, payload_reason, summary, webhook_payload};
pub use metrics::DispatchMetrics;

use super::Channels;
use super::gate::PartnerGate;
use crate::clock::SharedClock;
use crate::config::{Config, Organisation};
use crate::distribution::{ClosedCases, Distributor, TargetingIndex};
use crate::poster_files::PosterSource;
use crate::store::Store;
use crate::store::outbox::{self, Attempted, Claimed};

/// Deliveries claimed at once, at most.
const BATCH: usize = 100;
/// With nothing due, look again this often (another instance may have queued work).
const IDLE_POLL: Duration = Duration::from_millis(500);
/// How often leases that ran out are looked for: the last guard, behind the heartbeats.
const RECLAIM_EVERY: Duration = Duration::from_secs(5);
/// With a backlog, a claim waits this long at most for half the send slots to be free, so each
/// claim takes a batch rather than the one or two slots a finished send just gave back.
const GATHER: Duration = Duration::from_millis(4);
/// How often due digests are looked for: a digest time is a minute of the day, so a second late
/// is nothing, and the claims of single deliveries stay one query each.
const DIGEST_POLL: Duration = Duration::from_secs(1);
/// A partner at its limit: its claimed delivery goes back for this long.
const GATE_BACKOFF: Duration = Duration::from_millis(250);

#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub concurrency: usize,
    pub per_partner: usize,
    pub lease: Duration,
    pub send_timeout: Duration,
    pub disable_after: Duration,
    pub heartbeat: Duration,
    pub dead_after: Duration,
    pub organisation: Organisation,
}

impl WorkerSettings {
    pub fn from_config(c: &Config) -> WorkerSettings {
        WorkerSettings {
            concurrency: c.dispatch_concurrency as usize,
            per_partner: c.dispatch_per_partner as usize,
            lease: Duration::from_secs(c.dispatch_lease_secs),
            send_timeout: Duration::from_secs(c.dispatch_send_timeout_secs),
            disable_after: Duration::from_secs(c.partner_disable_after_secs),
            heartbeat: Duration::from_secs(c.dispatch_heartbeat_secs),
            dead_after: Duration::from_secs(c.dispatch_dead_after_secs),
            organisation: c.organisation.clone(),
        }
    }
}

pub struct Worker {
    store: Store,
    channels: Arc<Channels>,
    posters: PosterSource,
    targeting: Arc<TargetingIndex>,
    settings: WorkerSettings,
    gate: PartnerGate,
    metrics: Arc<DispatchMetrics>,
    wake: Arc<Notify>,
    clock: SharedClock,
    /// Cases closed in this process: no poster of one starts.
    closed: Arc<ClosedCases>,
    versions: send::Versions,
    /// This worker's name on its leases and its heartbeat row: new at every start, and again if
    /// it was ever taken for dead.
    owner: RwLock<String>,
    /// Claims made: each claim's lease names the worker and this number, so a result that comes
    /// back after its lease was lost is never written over a later claim, even one by this worker.
    claims: AtomicU64,
    /// Bumped to stop every send in flight: this worker was taken for dead, or cannot beat.
    fence: watch::Sender<u64>,
    /// False while the heartbeat is not being renewed: nothing new is claimed.
    beating: AtomicBool,
    /// A turn of tip messages is being sent.
    tips_busy: AtomicBool,
    local: LocalProcess,
}

impl Worker {
    pub fn new(
        store: Store,
        channels: Arc<Channels>,
        posters: PosterSource,
        targeting: Arc<TargetingIndex>,
        settings: WorkerSettings,
        metrics: Arc<DispatchMetrics>,
        distributor: &Distributor,
    ) -> Worker {
        Worker {
            gate: PartnerGate::new(settings.per_partner),
            store,
            channels,
            posters,
            targeting,
            settings,
            metrics,
            wake: distributor.wake_handle(),
            clock: distributor.clock().clone(),
            closed: distributor.closed_cases(),
            versions: send::Versions::default(),
            owner: RwLock::new(new_owner()),
            claims: AtomicU64::new(0),
            fence: watch::Sender::new(0),
            beating: AtomicBool::new(false),
            tips_busy: AtomicBool::new(false),
            local: LocalProcess::current(),
        }
    }

    /// The name this worker claims under now.
    pub fn owner(&self) -> String {
        self.owner.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Claim, send and record until `stop` is notified; then finish the sends in flight and record
    /// them before returning.
    pub async fn run(self: Arc<Self>, stop: Arc<Notify>) {
        self.start_beating().await;
        let heart = tokio::spawn(self.clone().heartbeat());
        let listener = tokio::spawn(self.clone().listen());
        let (done_tx, done_rx) = mpsc::unbounded_channel::<Attempted>();
        let recorder = tokio::spawn(self.clone().record(done_rx));
        let slots = Arc::new(Semaphore::new(self.settings.concurrency.max(1)));
        let mut last_reclaim = Instant::now() - RECLAIM_EVERY;
        let mut last_digests = Instant::now() - DIGEST_POLL;
        let mut backlog = false;
        let stopping = stop.notified();
        tokio::pin!(stopping);
        loop {
            if last_reclaim.elapsed() >= RECLAIM_EVERY {
                last_reclaim = Instant::now();
                match outbox::reclaim_expired(&self.store, self.clock.now()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::warn!(deliveries = n, "leases ran out; delivering again"),
                    Err(e) => tracing::warn!(error = %e, "looking for expired leases failed"),
                }
            }
            if !self.beating.load(Ordering::Acquire) {
                // not known to be alive: whatever this worker claimed could be given to another
                tokio::select! {
                    () = tokio::time::sleep(IDLE_POLL) => continue,
                    () = &mut stopping => break,
                }
            }
            if last_digests.elapsed() >= DIGEST_POLL {
                last_digests = Instant::now();
                self.start_digests(&slots, &done_tx).await;
                // tips' messages in a task of their own, one turn at a time: a slow SMTP server
                // never holds up the posters and takedowns
                if !self.tips_busy.swap(true, Ordering::AcqRel) {
                    let worker = self.clone();
                    tokio::spawn(async move {
                        worker.send_tip_messages().await;
                        worker.tips_busy.store(false, Ordering::Release);
                    });
                }
            }
            // wait for a free slot before claiming, so nothing is claimed that cannot be sent now
            let first = tokio::select! {
                p = slots.clone().acquire_owned() => p.expect("never closed"),
                () = &mut stopping => break,
            };
            if backlog {
                self.gather(&slots).await;
            }
            let free = slots.available_permits() + 1;
            let claimed = match outbox::claim(
                &self.store,
                &format!(
                    "{}/{}",
                    self.owner(),
                    self.claims.fetch_add(1, Ordering::Relaxed)
                ),
                self.clock.now(),
                self.settings.lease,
                free.min(BATCH) as i64,
            )
            .await
            {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming deliveries failed");
                    Vec::new()
                }
            };
            let full = claimed.len() >= free.min(BATCH);
            backlog = full;
            let claimed = self.drop_closed(claimed, &done_tx).await;
            let mut first = Some(first);
            let mut held_back = Vec::new();
            for c in claimed {
                let Some(slot) = self.gate.try_acquire(&c.partner_id) else {
                    held_back.push(c);
                    continue;
                };
                let permit = match first.take() {
                    Some(p) => p,
                    None => slots
                        .clone()
                        .try_acquire_owned()
                        .expect("claimed no more than free"),
                };
                self.spawn_send(job::Job::One(c), slot, permit, done_tx.clone());
            }
            if !held_back.is_empty()
                && let Err(e) =
                    outbox::release(&self.store, &held_back, self.clock.now(), GATE_BACKOFF).await
            {
                tracing::warn!(error = %e, "giving back deliveries failed; their leases will run out");
            }
            drop(first);
            if !full {
                tokio::select! {
                    () = self.wake.notified() => {}
                    () = tokio::time::sleep(IDLE_POLL) => {}
                    () = &mut stopping => break,
                }
            }
        }
        // every send holds a slot: having them all means none is in flight
        let _all = slots
            .acquire_many(self.settings.concurrency.max(1) as u32)
            .await;
        drop(done_tx);
        let _ = recorder.await;
        heart.abort();
        listener.abort();
        // everything sent is recorded: nothing of this worker's is left to take back
        if let Err(e) = self.store.unregister_worker(&self.owner()).await {
            tracing::warn!(error = %e, "removing this worker's heartbeat failed; it will be found dead");
        }
        tracing::info!("dispatch worker stopped");
    }

    /// Wait, up to [`GATHER`], until half the send slots (one already held) are free.
    async fn gather(&self, slots: &Semaphore) {
        let want = (self.settings.concurrency / 2).clamp(1, BATCH);
        let deadline = Instant::now() + GATHER;
        while slots.available_permits() + 1 < want && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// Right before a claimed batch is sent: the posters of cases closed since (by any instance)
    /// are recorded as cancelled, never sent; the rest go on.
    async fn drop_closed(
        &self,
        claimed: Vec<Claimed>,
        done: &mpsc::UnboundedSender<Attempted>,
    ) -> Vec<Claimed> {
        let mut cases: Vec<_> = claimed
            .iter()
            .filter(|c| c.kind != outbox::Kind::Withdrawn)
            .map(|c| c.case_id)
            .collect();
        cases.sort_unstable();
        cases.dedup();
        if cases.is_empty() {
            return claimed;
        }
        let closed = match self.store.closed_among(&cases).await {
            Ok(closed) => closed,
            Err(e) => {
                // unsure: send none of these posters now; they are given back, due again shortly
                tracing::warn!(error = %e, "checking the claimed cases failed");
                let (posters, takedowns): (Vec<Claimed>, Vec<Claimed>) = claimed
                    .into_iter()
                    .partition(|c| c.kind != outbox::Kind::Withdrawn);
                if let Err(e) =
                    outbox::release(&self.store, &posters, self.clock.now(), GATE_BACKOFF).await
                {
                    tracing::warn!(error = %e, "giving back deliveries failed; their leases will run out");
                }
                return takedowns;
            }
        };
        let (gone, keep): (Vec<Claimed>, Vec<Claimed>) = claimed
            .into_iter()
            .partition(|c| c.kind != outbox::Kind::Withdrawn && closed.contains(&c.case_id));
        for c in gone {
            self.closed.insert(c.case_id);
            let outcome = super::SendOutcome::cancelled("not sent: the case is closed");
            let at = self.clock.now();
            let _ = done.send(Attempted {
                label: outcome.label(),
                error: outcome.error().map(str::to_string),
                verdict: outcome.verdict(c.attempts, at, &mut rand::rng()),
                at,
                latency: Duration::ZERO,
                claimed: c,
            });
        }
        keep
    }

    /// Write results in batches until every sender has finished.
    async fn record(self: Arc<Self>, mut done: mpsc::UnboundedReceiver<Attempted>) {
        let mut batch: Vec<Attempted> = Vec::new();
        loop {
            if batch.is_empty() {
                match done.recv().await {
                    Some(f) => batch.push(f),
                    None => return,
                }
            }
            while batch.len() < 500 {
                match done.try_recv() {
                    Ok(f) => batch.push(f),
                    Err(_) => break,
                }
            }
            match outbox::record(&self.store, &batch, self.settings.disable_after).await {
                Ok(done) => {
                    batch.clear();
                    for t in done {
                        tracing::info!(case_id = %t.case_id, secs = t.took.as_secs_f64(), "every poster of the case is down");
                        self.metrics.observe_takedown(t.took);
                    }
                }
                Err(e) => {
                    // keep the batch: the sends happened, and their leases are still held
                    tracing::warn!(error = %e, results = batch.len(), "recording results failed; retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
    }
}

fn new_owner() -> String {
    format!("worker-{}", uuid::Uuid::new_v4().simple())
}

/// What a claimed delivery is, by ids only, for logs.
fn describe(c: &Claimed) -> String {
    format!(
        "{} case {} v{} to {}{}",
        c.id,
        c.case_id,
        c.version,
        c.partner_id,
        if c.location_ref.is_empty() {
            String::new()
        } else {
            format!("/{}", c.location_ref)
        }
    )
}
