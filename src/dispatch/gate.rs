//! Per-partner concurrency: at most N sends in flight to one partner from this process, so a slow or
//! dead partner holds N workers at most and never delays everybody else's posters.
//!
//! Non-blocking by design: a worker that cannot get a slot leaves the delivery for later and takes
//! another, rather than waiting behind the slow partner.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Debug)]
pub struct PartnerGate {
    per_partner: usize,
    slots: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// A held slot; dropping it frees the slot.
#[derive(Debug)]
pub struct Slot {
    _permit: OwnedSemaphorePermit,
}

impl PartnerGate {
    /// `per_partner` sends at once to each partner (at least 1).
    pub fn new(per_partner: usize) -> PartnerGate {
        PartnerGate {
            per_partner: per_partner.max(1),
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// A slot for `partner_id`, or `None` when it already has its limit in flight.
    pub fn try_acquire(&self, partner_id: &str) -> Option<Slot> {
        let semaphore = {
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            slots
                .entry(partner_id.to_string())
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_partner)))
                .clone()
        };
        semaphore
            .try_acquire_owned()
            .ok()
            .map(|p| Slot { _permit: p })
    }

    /// Sends in flight to `partner_id` now (for metrics).
    pub fn in_flight(&self, partner_id: &str) -> usize {
        let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots
            .get(partner_id)
            .map_or(0, |s| self.per_partner - s.available_permits())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_partner_does_not_take_the_others_slots() {
        let gate = PartnerGate::new(2);
        let a1 = gate.try_acquire("slow-partner").unwrap();
        let _a2 = gate.try_acquire("slow-partner").unwrap();
        assert!(gate.try_acquire("slow-partner").is_none());
        assert_eq!(gate.in_flight("slow-partner"), 2);
        let _b = gate
            .try_acquire("other-partner")
            .expect("others are not held up");
        drop(a1);
        assert_eq!(gate.in_flight("slow-partner"), 1);
        assert!(gate.try_acquire("slow-partner").is_some());
        assert_eq!(PartnerGate::new(0).per_partner, 1);
    }
}
