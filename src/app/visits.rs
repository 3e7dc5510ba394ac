//! Visits to the public pages, counted in memory and written in one transaction every few seconds:
//! a crowd sent to one page by a billboard costs a counter, not a database write, per request.
//! Nothing of a visitor is kept: the case, the via code its QR code carried, the day.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::store::{CaseId, Store, StoreError, VisitKey};

/// How often counted visits are written.
pub const FLUSH_EVERY: Duration = Duration::from_secs(10);

/// Distinct (case, via, day) counts held between writes; past this, a visit counts without its via
/// code, so made-up codes cannot grow the map without end.
const MAX_KEYS: usize = 50_000;

#[derive(Debug, Default)]
pub struct Visits {
    pending: Mutex<BTreeMap<VisitKey, i64>>,
}

impl Visits {
    /// Counts one visit to `case`'s page through `via` (`""`: none) at `now`.
    pub fn count(&self, case: CaseId, via: &str, now: DateTime<Utc>) {
        let day = now.date_naive().to_string();
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let mut key = VisitKey {
            case,
            via: via.to_string(),
            day,
        };
        if pending.len() >= MAX_KEYS && !pending.contains_key(&key) {
            key.via = String::new();
        }
        *pending.entry(key).or_insert(0) += 1;
    }

    /// Writes what was counted. On failure the counts are kept for the next write.
    pub async fn flush(&self, store: &Store) -> Result<(), StoreError> {
        let taken = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        if let Err(e) = store.add_visits(&taken).await {
            // kept for the next write, within the same bound as counting
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            for (mut k, n) in taken {
                if pending.len() >= MAX_KEYS && !pending.contains_key(&k) {
                    k.via = String::new();
                }
                *pending.entry(k).or_insert(0) += n;
            }
            return Err(e);
        }
        Ok(())
    }

    /// Writes the counts every `every` until dropped (aborted at shutdown, after a last write).
    pub async fn flush_every(self: std::sync::Arc<Self>, store: Store, every: Duration) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = self.flush(&store).await {
                tracing::warn!(error = %e, "page visits not written yet");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visits_add_up_per_case_via_and_day() {
        let v = Visits::default();
        let case = CaseId::generate();
        let t: DateTime<Utc> = "2026-11-30T23:59:00Z".parse().unwrap();
        v.count(case, "abcdef", t);
        v.count(case, "abcdef", t);
        v.count(case, "", t);
        v.count(case, "abcdef", t + chrono::Duration::minutes(2));
        let pending = v.pending.lock().unwrap();
        let counts: Vec<(&str, &str, i64)> = pending
            .iter()
            .map(|(k, n)| (k.via.as_str(), k.day.as_str(), *n))
            .collect();
        assert_eq!(
            counts,
            vec![
                ("", "2026-11-30", 1),
                ("abcdef", "2026-11-30", 2),
                ("abcdef", "2026-12-01", 1)
            ]
        );
    }
}
