//! Sign-in throttling, per account and per address: after too many failures in a window, further
//! tries are refused until the window has passed, whatever the password. Kept in the process: an
//! attacker spread over several instances gets each one's allowance, which is still small.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// Failures allowed per account in a window.
pub const PER_ACCOUNT: usize = 5;
/// Failures allowed per address in a window (several people may share one).
pub const PER_ADDRESS: usize = 20;
pub const WINDOW_MINUTES: i64 = 15;

#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, Vec<DateTime<Utc>>>>,
}

impl Throttle {
    /// Is `key` still allowed to try at `now`?
    pub fn allowed(&self, key: &str, limit: usize, now: DateTime<Utc>) -> bool {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let Some(times) = map.get_mut(key) else {
            return true;
        };
        times.retain(|t| now - *t < Duration::minutes(WINDOW_MINUTES));
        times.len() < limit
    }

    pub fn failed(&self, key: &str, now: DateTime<Utc>) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        // keep the map from growing without bound under a spray of addresses
        if map.len() > 100_000 {
            map.retain(|_, ts| {
                ts.iter()
                    .any(|t| now - *t < Duration::minutes(WINDOW_MINUTES))
            });
        }
        map.entry(key.to_string()).or_default().push(now);
    }

    pub fn succeeded(&self, key: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_held_back_after_its_limit_until_the_window_passes() {
        let t = Throttle::default();
        let start = DateTime::parse_from_rfc3339("2026-11-30T12:00:00Z")
            .unwrap()
            .to_utc();
        for i in 0..PER_ACCOUNT {
            assert!(t.allowed("a", PER_ACCOUNT, start), "try {i}");
            t.failed("a", start);
        }
        assert!(!t.allowed("a", PER_ACCOUNT, start));
        assert!(
            t.allowed("b", PER_ACCOUNT, start),
            "another key is not held back"
        );
        let later = start + Duration::minutes(WINDOW_MINUTES) + Duration::seconds(1);
        assert!(t.allowed("a", PER_ACCOUNT, later));
    }
}
