//! The worker's heartbeat, its watch over the other workers, and its wake-ups from other
//! instances.
//!
//! A worker registers when it starts and beats every `heartbeat`. After each beat it looks at the
//! other workers' rows: a dead one is buried, and what it held is due again at once, so a crash
//! costs seconds, not a lease. A worker that finds its own row gone was taken for dead, and one
//! that cannot beat for half of `dead_after` soon will be: either way it stops its sends in flight
//! at once (their deliveries may already be with another worker) and claims nothing until it beats
//! again, under a new name.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::Utc;

use super::liveness::Watch;
use super::{Worker, new_owner};
use crate::store::{DELIVERIES_CHANNEL, StoreError};

/// A listener that failed waits this long before connecting again.
const LISTEN_RETRY: Duration = Duration::from_secs(1);

impl Worker {
    /// Register, then bury the dead predecessors this process can see at once (on this machine,
    /// or silent for long). Claims start only once this worker is registered.
    pub(super) async fn start_beating(&self) {
        match self.register().await {
            Ok(()) => {
                self.beating.store(true, Ordering::Release);
                let mut watch = Watch::default();
                self.bury_dead(&mut watch).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "registering this worker failed; claiming waits for its heartbeat")
            }
        }
    }

    async fn register(&self) -> Result<(), StoreError> {
        let identity = self.local.identity(self.owner());
        self.store.register_worker(&identity, Utc::now()).await
    }

    /// Beat and watch until aborted.
    pub(super) async fn heartbeat(self: Arc<Self>) {
        let mut watch = Watch::default();
        let mut last_beat = Instant::now();
        let mut tick = tokio::time::interval(self.settings.heartbeat);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            let started = Instant::now();
            match self.beat().await {
                Ok(true) => {
                    last_beat = started;
                    self.beating.store(true, Ordering::Release);
                }
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "renewing the heartbeat failed"),
            }
            if self.beating.load(Ordering::Acquire)
                && last_beat.elapsed() >= self.settings.dead_after / 2
            {
                tracing::warn!(
                    "no heartbeat for {:?}: stopping this worker's sends before others take them",
                    last_beat.elapsed()
                );
                self.stop_sends();
            }
            self.bury_dead(&mut watch).await;
        }
    }

    /// One beat. True when it was recorded; when this worker's row was gone, it stops its sends
    /// and registers again under a new name (false: it beats again next time).
    async fn beat(&self) -> Result<bool, StoreError> {
        if self.store.beat(&self.owner(), Utc::now()).await? {
            return Ok(true);
        }
        tracing::warn!(worker = %self.owner(), "this worker was taken for dead: its sends are stopped and it starts again under a new name");
        self.stop_sends();
        *self.owner.write().unwrap_or_else(|e| e.into_inner()) = new_owner();
        self.register().await?;
        Ok(false)
    }

    /// Stop every send in flight and claim nothing until the next beat.
    fn stop_sends(&self) {
        self.beating.store(false, Ordering::Release);
        self.fence.send_modify(|n| *n += 1);
    }

    async fn bury_dead(&self, watch: &mut Watch) {
        let rows = match self.store.workers().await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "reading the other workers' heartbeats failed");
                return;
            }
        };
        let dead = watch.dead(
            &rows,
            &self.owner(),
            &self.local,
            Instant::now(),
            Utc::now(),
            self.settings.dead_after,
        );
        if dead.is_empty() {
            return;
        }
        match self.store.bury_workers(&dead, self.clock.now()).await {
            Ok(b) if b.workers > 0 => {
                tracing::warn!(
                    workers = b.workers,
                    deliveries = b.deliveries,
                    "workers stopped beating; delivering what they held"
                );
                self.wake.notify_one();
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "taking back a dead worker's deliveries failed"),
        }
    }

    /// On PostgreSQL, wake the claim loop whenever any instance queues deliveries, instead of
    /// waiting for the next poll. Until aborted; on SQLite there is nothing to listen to.
    pub(super) async fn listen(self: Arc<Self>) {
        loop {
            let mut listener = match self.store.listen(&[DELIVERIES_CHANNEL]).await {
                Ok(Some(l)) => l,
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "listening for new deliveries failed; polling meanwhile");
                    tokio::time::sleep(LISTEN_RETRY).await;
                    continue;
                }
            };
            while listener.recv().await.is_ok() {
                self.wake.notify_one();
            }
            tokio::time::sleep(LISTEN_RETRY).await;
        }
    }
}
