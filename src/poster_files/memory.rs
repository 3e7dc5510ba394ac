//! The in-memory poster cache in front of the database one: rendered bytes by content key, bounded
//! by total size, oldest entry out first.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use crate::store::CachedPoster;

pub const DEFAULT_BUDGET: usize = 256 * 1024 * 1024;

pub struct PosterMemory {
    budget: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<String, Arc<CachedPoster>>,
    order: VecDeque<String>,
    bytes: usize,
}

impl PosterMemory {
    pub fn new(budget: usize) -> PosterMemory {
        PosterMemory {
            budget,
            inner: Mutex::new(Inner::default()),
        }
    }

    pub fn get(&self, key: &str) -> Option<Arc<CachedPoster>> {
        self.lock().entries.get(key).cloned()
    }

    pub fn put(&self, key: &str, poster: Arc<CachedPoster>) {
        let size = poster.bytes.len();
        if size > self.budget {
            return;
        }
        let mut inner = self.lock();
        if inner.entries.contains_key(key) {
            return;
        }
        while inner.bytes + size > self.budget {
            let Some(old) = inner.order.pop_front() else {
                break;
            };
            if let Some(p) = inner.entries.remove(&old) {
                inner.bytes -= p.bytes.len();
            }
        }
        inner.bytes += size;
        inner.order.push_back(key.to_string());
        inner.entries.insert(key.to_string(), poster);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data behind; the cache stays usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poster(n: usize) -> Arc<CachedPoster> {
        Arc::new(CachedPoster {
            content_type: "image/png".into(),
            bytes: vec![0; n],
        })
    }

    #[test]
    fn stays_within_its_budget_dropping_the_oldest() {
        let m = PosterMemory::new(100);
        m.put("a", poster(40));
        m.put("b", poster(40));
        m.put("c", poster(40));
        assert!(m.get("a").is_none());
        assert!(m.get("b").is_some() && m.get("c").is_some());
        m.put("huge", poster(101));
        assert!(m.get("huge").is_none());
        assert_eq!(m.lock().bytes, 80);
    }
}
