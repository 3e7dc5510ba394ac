//! The service's live targeting index: every active partner location, loaded from the database at
//! start and rebuilt whenever partners change.
//!
//! Readers take the current snapshot (an `Arc`) and search it without any lock. A rebuild loads the
//! partners and locations, builds a new index on a blocking thread and swaps it in; rebuilds run one
//! at a time, and one that finds nothing changed since the last build does nothing, so a burst of
//! admin edits costs one or two builds, not one each.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::store::{PARTNERS_CHANNEL, Store, StoreError};
use crate::targeting::{BuildStats, LiveIndex, LocationIndex, Policy, States};

/// How often a running service looks for partner changes made outside it (an import command,
/// another instance on the same PostgreSQL).
pub const WATCH_EVERY: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("building the location index stopped unexpectedly")]
    Build(#[source] tokio::task::JoinError),
}

/// The region policy, the state outlines and the live location index.
pub struct TargetingIndex {
    pub policy: Policy,
    pub states: States,
    live: LiveIndex,
    /// The change mark the current snapshot was built from; held while a rebuild runs.
    built_from: Mutex<Option<String>>,
}

impl std::fmt::Debug for TargetingIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TargetingIndex")
            .field("locations", &self.live.load().len())
            .finish_non_exhaustive()
    }
}

impl TargetingIndex {
    /// An empty index with the shipped policy and the US state outlines.
    pub fn shipped() -> TargetingIndex {
        // Both are compiled in and parsed by unit tests: failing here is a build defect.
        let policy = Policy::shipped().expect("templates/targeting.toml is checked by tests");
        let states = States::us().expect("the embedded state outlines are checked by tests");
        TargetingIndex::new(policy, states)
    }

    pub fn new(policy: Policy, states: States) -> TargetingIndex {
        TargetingIndex {
            policy,
            states,
            live: LiveIndex::new(LocationIndex::empty()),
            built_from: Mutex::new(None),
        }
    }

    /// The current snapshot: valid for as long as it is held, whatever rebuilds happen meanwhile.
    pub fn snapshot(&self) -> Arc<LocationIndex> {
        self.live.load()
    }

    /// Rebuild from the database unless nothing changed since the last build. Returns the new
    /// index's statistics, or `None` when it was already current.
    pub async fn refresh(&self, store: &Store) -> Result<Option<BuildStats>, IndexError> {
        let mut built_from = self.built_from.lock().await;
        // Read the mark before the data: a change committed while loading leaves the mark behind
        // the data, so the next refresh builds again rather than missing it.
        let mark = store.partners_change_mark().await?;
        if built_from.as_deref() == Some(mark.as_str()) {
            return Ok(None);
        }
        let started = Instant::now();
        let partners = store
            .partners(false)
            .await?
            .into_iter()
            .map(|r| r.partner)
            .collect();
        let locations = indexable(store).await?;
        let index = tokio::task::spawn_blocking(move || LocationIndex::build(partners, locations))
            .await
            .map_err(IndexError::Build)?;
        let stats = index.stats().clone();
        self.live.swap(index);
        *built_from = Some(mark);
        tracing::info!(
            locations = stats.indexed,
            inactive = stats.inactive,
            ms = started.elapsed().as_secs_f64() * 1e3,
            "targeting index rebuilt"
        );
        Ok(Some(stats))
    }

    /// After a partner change through the API: rebuild now. The change itself is committed, so a
    /// failure here is logged and left to the watcher to retry rather than failing the request.
    pub async fn changed(&self, store: &Store) {
        if let Err(e) = self.refresh(store).await {
            tracing::warn!(error = %e, "targeting index not rebuilt; the watcher will retry");
        }
    }

    /// Rebuild whenever the partners change, until the task is dropped: at once on PostgreSQL's
    /// notification (any instance, any command), and every `every` in any case, for SQLite and
    /// for a notification lost while the listener reconnects.
    pub async fn watch(self: Arc<Self>, store: Store, every: Duration) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut listener = None;
        loop {
            if listener.is_none() {
                listener = match store.listen(&[PARTNERS_CHANNEL]).await {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::warn!(error = %e, "listening for partner changes failed; checking every {every:?}");
                        None
                    }
                };
            }
            let lost = tokio::select! {
                _ = tick.tick() => false,
                r = next_notification(&mut listener) => r.is_err(),
            };
            if lost {
                listener = None;
            }
            self.changed(&store).await;
        }
    }
}

/// The active locations the index can hold. A stored row that cannot be read, or that fails the
/// partner checks (saved before a check existed: a coverage ring that crosses itself, a coordinate
/// out of range), is left out and reported by partner id and ref; it never stops the service.
async fn indexable(store: &Store) -> Result<Vec<crate::partners::Location>, StoreError> {
    let (locations, unreadable) = store.indexable_locations().await?;
    for (partner_id, location_ref) in unreadable {
        tracing::warn!(%partner_id, %location_ref, "a stored location cannot be read; left out of the targeting index");
    }
    let mut kept = Vec::with_capacity(locations.len());
    for l in locations {
        match crate::partners::check::check_location(&l) {
            Ok(()) => kept.push(l),
            // the field only: a reason may quote the value (an email address)
            Err((field, _)) => tracing::warn!(
                partner_id = %l.partner_id,
                location_ref = %l.reference,
                field,
                "a stored location fails the partner checks; left out of the targeting index"
            ),
        }
    }
    Ok(kept)
}

/// The next notification, or never without a listener.
async fn next_notification(
    listener: &mut Option<sqlx::postgres::PgListener>,
) -> Result<(), sqlx::Error> {
    match listener {
        Some(l) => l.recv().await.map(drop),
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_policy_and_outlines_load() {
        let t = TargetingIndex::shipped();
        assert!(t.states.get("VA").is_some());
        assert!(t.snapshot().is_empty());
    }
}
