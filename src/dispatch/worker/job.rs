//! One send the worker runs as a task: a single delivery, or a digest of several. Either way the
//! task holds a send slot and the partner's gate slot, and every delivery in it is recorded with
//! how the send ended.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{OwnedSemaphorePermit, mpsc};

use super::Worker;
use crate::dispatch::SendOutcome;
use crate::dispatch::gate::Slot;
use crate::store::outbox::{Attempted, Channel, Claimed, ClaimedDigest};

pub(super) enum Job {
    One(Claimed),
    Digest(ClaimedDigest),
}

impl Job {
    fn channel(&self) -> Channel {
        match self {
            Job::One(c) => c.channel,
            Job::Digest(d) => d.members.first().map_or(Channel::Email, |c| c.channel),
        }
    }

    fn attempt(&self) -> u32 {
        match self {
            Job::One(c) => c.attempts,
            Job::Digest(d) => d.members.iter().map(|c| c.attempts).max().unwrap_or(1),
        }
    }

    /// What it is, by ids only, for logs.
    fn describe(&self) -> String {
        match self {
            Job::One(c) => super::describe(c),
            Job::Digest(d) => format!(
                "digest {} of {} deliveries to {}",
                d.id,
                d.members.len(),
                d.partner_id
            ),
        }
    }

    fn into_members(self) -> Vec<Claimed> {
        match self {
            Job::One(c) => vec![c],
            Job::Digest(d) => d.members,
        }
    }
}

impl Worker {
    /// Send `job` in a task of its own, holding `gate` and `permit` until it is recorded; a worker
    /// that loses its heartbeat stops the send and gives it back to be retried.
    pub(super) fn spawn_send(
        self: &Arc<Self>,
        job: Job,
        gate: Slot,
        permit: OwnedSemaphorePermit,
        done: mpsc::UnboundedSender<Attempted>,
    ) {
        let worker = self.clone();
        let mut fenced = self.fence.subscribe();
        tokio::spawn(async move {
            let started = Instant::now();
            let outcome = tokio::select! {
                o = worker.send_job(&job) => o,
                _ = fenced.changed() => SendOutcome::retry(
                    None,
                    "stopped: this worker lost its heartbeat",
                ),
            };
            let took = started.elapsed();
            worker.metrics.observe(job.channel(), outcome.label(), took);
            if let Some(error) = outcome.error() {
                // ids only: the error is the receiver's answer, never case data
                tracing::warn!(delivery = %job.describe(), attempt = job.attempt(), outcome = outcome.label(), error, "send did not deliver");
            }
            let at = worker.clock.now();
            for c in job.into_members() {
                let _ = done.send(Attempted {
                    label: outcome.label(),
                    error: outcome.error().map(str::to_string),
                    verdict: outcome.verdict(c.attempts, at, &mut rand::rng()),
                    at,
                    latency: took,
                    claimed: c,
                });
            }
            drop((gate, permit));
        });
    }

    async fn send_job(&self, job: &Job) -> SendOutcome {
        match job {
            Job::One(c) => self.send(c).await,
            Job::Digest(d) => self.send_digest(d).await,
        }
    }
}
