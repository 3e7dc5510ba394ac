//! CPU-heavy work (poster renders, photo decodes) runs on the blocking pool at most a set number
//! at a time. A request that would wait behind a full queue is told at once to come back later,
//! instead of every request slowing down together until none answers; the dispatch worker waits
//! its turn instead, since its work is already queued durably.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Semaphore;

#[derive(Debug, thiserror::Error)]
pub enum CpuError {
    #[error("too many renders and photo decodes are waiting; try again shortly")]
    Busy,
    #[error("the work stopped unexpectedly")]
    Join(#[source] tokio::task::JoinError),
}

/// Whether a caller may be turned away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    /// A request: waits only while the queue has room.
    Request,
    /// Background work (the dispatch worker): always waits.
    Background,
}

#[derive(Debug)]
pub struct CpuLimit {
    permits: Semaphore,
    waiting: AtomicUsize,
    queue: usize,
}

/// The limit shared by every part of one process.
pub type SharedCpuLimit = Arc<CpuLimit>;

impl CpuLimit {
    /// `permits` at once (at least one), `queue` more waiting.
    pub fn new(permits: usize, queue: usize) -> SharedCpuLimit {
        Arc::new(CpuLimit {
            permits: Semaphore::new(permits.max(1)),
            waiting: AtomicUsize::new(0),
            queue,
        })
    }

    /// Run `work` on the blocking pool when a permit is free.
    pub async fn run<T: Send + 'static>(
        &self,
        turn: Turn,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, CpuError> {
        let permit = match self.permits.try_acquire() {
            Ok(p) => p,
            Err(_) => {
                let before = self.waiting.fetch_add(1, Ordering::SeqCst);
                let _leave = Leave(&self.waiting);
                if turn == Turn::Request && before >= self.queue {
                    return Err(CpuError::Busy);
                }
                self.permits
                    .acquire()
                    .await
                    .expect("the semaphore is never closed")
            }
        };
        let result = tokio::task::spawn_blocking(work).await;
        drop(permit);
        result.map_err(CpuError::Join)
    }
}

/// Leaves the queue however the wait ends (a permit, a refusal, or a dropped request).
struct Leave<'a>(&'a AtomicUsize);

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Holds the one permit until told to finish.
    async fn hold(
        limit: &SharedCpuLimit,
    ) -> (tokio::task::JoinHandle<()>, std::sync::mpsc::Sender<()>) {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let (started_tx, started) = tokio::sync::oneshot::channel();
        let l = limit.clone();
        let task = tokio::spawn(async move {
            l.run(Turn::Request, move || {
                let _ = started_tx.send(());
                let _ = rx.recv();
            })
            .await
            .unwrap();
        });
        started.await.unwrap();
        (task, tx)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn requests_beyond_the_queue_are_turned_away_and_background_work_waits() {
        let limit = CpuLimit::new(1, 1);
        let (holder, finish) = hold(&limit).await;
        // one request may wait...
        let l = limit.clone();
        let queued = tokio::spawn(async move { l.run(Turn::Request, || 7).await });
        while limit.waiting.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        // ...the next is turned away at once, and leaves no trace in the queue
        assert!(matches!(
            limit.run(Turn::Request, || 0).await,
            Err(CpuError::Busy)
        ));
        assert_eq!(limit.waiting.load(Ordering::SeqCst), 1);
        // background work waits whatever the queue
        let l = limit.clone();
        let background = tokio::spawn(async move { l.run(Turn::Background, || 8).await });
        while limit.waiting.load(Ordering::SeqCst) < 2 {
            tokio::task::yield_now().await;
        }
        finish.send(()).unwrap();
        holder.await.unwrap();
        assert_eq!(queued.await.unwrap().unwrap(), 7);
        assert_eq!(background.await.unwrap().unwrap(), 8);
        assert_eq!(limit.waiting.load(Ordering::SeqCst), 0);
        assert_eq!(limit.run(Turn::Request, || 9).await.unwrap(), 9);
    }

    #[tokio::test]
    async fn a_dropped_request_leaves_the_queue() {
        let limit = CpuLimit::new(1, 4);
        let (holder, finish) = hold(&limit).await;
        let l = limit.clone();
        let waiting = tokio::spawn(async move { l.run(Turn::Request, || ()).await });
        while limit.waiting.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        waiting.abort();
        let _ = waiting.await;
        assert_eq!(limit.waiting.load(Ordering::SeqCst), 0);
        finish.send(()).unwrap();
        holder.await.unwrap();
    }
}
