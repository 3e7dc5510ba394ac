//! The cases this process knows are closed, shared by the distributor (which closes them) and the
//! dispatch worker (which must never start a poster of one). A case enters the moment its resolve
//! commits here; cases closed by another instance are found by the worker's check of each claimed
//! batch against the database.

use std::collections::HashSet;
use std::sync::Mutex;

use crate::store::CaseId;

/// Beyond this many the set starts again: the database check still stands behind it.
const KEPT: usize = 10_000;

#[derive(Debug, Default)]
pub struct ClosedCases(Mutex<HashSet<CaseId>>);

impl ClosedCases {
    pub fn insert(&self, case: CaseId) {
        let mut set = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if set.len() >= KEPT {
            set.clear();
        }
        set.insert(case);
    }

    pub fn contains(&self, case: CaseId) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&case)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_case_is_known_until_the_set_starts_again() {
        let closed = ClosedCases::default();
        let first: CaseId = "01a22d77-c86e-72bb-a4a9-15a242f49ab8".parse().unwrap();
        closed.insert(first);
        assert!(closed.contains(first));
        let other: CaseId = "01a22d77-c86e-72bb-a4a9-15a242f49ab9".parse().unwrap();
        assert!(!closed.contains(other));
    }
}
