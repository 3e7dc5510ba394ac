//! What a crowd at one public page shares: each case version's record, parsed once, and each
//! rendered page (per version, language, via code and day). Versions never change once made, so
//! neither goes stale; whether the appeal is still open is asked of the database on every request,
//! so a closed case vanishes at once, on every instance. Bounded: when full, emptied.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use crate::cases::Lang;
use crate::store::{CaseId, VersionRecord};

/// Records and pages kept, at most, each.
const MAX_ENTRIES: usize = 512;

/// One rendered appeal page.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    pub case: CaseId,
    pub version: i64,
    pub lang: Lang,
    pub via: Option<String>,
    /// The day it was drawn for: ages count from it.
    pub day: chrono::NaiveDate,
}

#[derive(Debug, Default)]
pub struct PublicCache {
    versions: Mutex<HashMap<(CaseId, i64), Arc<VersionRecord>>>,
    pages: Mutex<HashMap<PageKey, Bytes>>,
    /// Via codes looked up, and whether each stands for a partner's poster.
    vias: Mutex<HashMap<String, bool>>,
}

fn put<K: Eq + std::hash::Hash, V>(map: &Mutex<HashMap<K, V>>, k: K, v: V) {
    let mut m = map.lock().unwrap_or_else(|p| p.into_inner());
    if m.len() >= MAX_ENTRIES {
        m.clear();
    }
    m.insert(k, v);
}

impl PublicCache {
    pub fn version(&self, case: CaseId, version: i64) -> Option<Arc<VersionRecord>> {
        let m = self.versions.lock().unwrap_or_else(|p| p.into_inner());
        m.get(&(case, version)).cloned()
    }

    /// Keeps `record` unless it was erased (an erased record is never shown, so never kept).
    pub fn keep_version(&self, case: CaseId, record: Arc<VersionRecord>) {
        if record.erased_at.is_none() {
            put(&self.versions, (case, record.meta.version), record);
        }
    }

    /// Whether `code` is a via code the database knows, when it was looked up before.
    pub fn via_known(&self, code: &str) -> Option<bool> {
        let m = self.vias.lock().unwrap_or_else(|p| p.into_inner());
        m.get(code).copied()
    }

    pub fn keep_via(&self, code: &str, known: bool) {
        put(&self.vias, code.to_string(), known);
    }

    pub fn page(&self, key: &PageKey) -> Option<Bytes> {
        let m = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        m.get(key).cloned()
    }

    pub fn keep_page(&self, key: PageKey, html: Bytes) {
        put(&self.pages, key, html);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_cache_starts_again_rather_than_grow() {
        let cache = PublicCache::default();
        let case = CaseId::generate();
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let key = |i: usize| PageKey {
            case,
            version: 1,
            lang: Lang::En,
            via: Some(format!("{i:06}")),
            day,
        };
        for i in 0..=MAX_ENTRIES {
            cache.keep_page(key(i), Bytes::from(format!("page {i}")));
        }
        assert_eq!(
            cache.page(&key(MAX_ENTRIES)),
            Some(Bytes::from(format!("page {MAX_ENTRIES}")))
        );
        assert_eq!(cache.page(&key(0)), None);
        assert!(cache.pages.lock().unwrap().len() <= MAX_ENTRIES);
    }
}
