//! Recently authenticated tokens, so a busy client is not looked up in the database on every request.
//!
//! Keyed by the token's SHA-256 (the raw secret is never kept) and kept for [`TTL`]. A revocation
//! made through this store (the API or a command in this process) empties the cache at once; one made
//! by another process (`lookout token revoke` beside a running server, another instance) takes effect
//! here at once on PostgreSQL (a notification empties the cache), and within [`TTL`] in any case.
//! Only live tokens are cached: an unknown or revoked secret is looked up each time, so guessing
//! cannot fill the cache.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::Principal;

/// How long another process's revocation may take to reach this one.
pub(crate) const TTL: Duration = Duration::from_secs(4);
/// Tokens remembered at most; a full cache drops its expired entries, or all of them.
const CAPACITY: usize = 4096;

pub(crate) type TokenHash = [u8; 32];

pub(crate) struct TokenCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<TokenHash, (Principal, Instant)>,
    /// Bumped by every revocation: a lookup that began before it must not cache what it read.
    generation: u64,
}

impl TokenCache {
    pub(crate) fn new() -> TokenCache {
        TokenCache {
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The live principal for this hash, if cached and fresh.
    pub(crate) fn get(&self, hash: &TokenHash) -> Option<Principal> {
        let inner = self.lock();
        inner
            .entries
            .get(hash)
            .filter(|(_, at)| at.elapsed() < TTL)
            .map(|(p, _)| p.clone())
    }

    /// Taken before the database lookup and handed back to [`TokenCache::put`].
    pub(crate) fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Remember a lookup, unless a revocation happened since `generation` was read: the lookup may
    /// have seen the token before it was revoked.
    pub(crate) fn put(&self, hash: TokenHash, principal: Principal, generation: u64) {
        let mut inner = self.lock();
        if inner.generation != generation {
            return;
        }
        if inner.entries.len() >= CAPACITY {
            inner.entries.retain(|_, (_, at)| at.elapsed() < TTL);
            if inner.entries.len() >= CAPACITY {
                inner.entries.clear();
            }
        }
        inner.entries.insert(hash, (principal, Instant::now()));
    }

    /// Forget every token: called after a revocation is committed. Revocations are rare, so all of
    /// the cache goes rather than finding the revoked token's entries.
    pub(crate) fn revoked(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.entries.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data behind; the cache stays usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Role, TokenId};

    fn principal() -> Principal {
        Principal {
            token_id: TokenId::generate(),
            role: Role::CaseManager,
            partner_id: None,
        }
    }

    #[test]
    fn a_revocation_empties_the_cache_and_refuses_lookups_begun_before_it() {
        let cache = TokenCache::new();
        let g = cache.generation();
        cache.put([1; 32], principal(), g);
        assert!(cache.get(&[1; 32]).is_some());
        let before = cache.generation();
        cache.revoked();
        assert!(cache.get(&[1; 32]).is_none());
        // A lookup that read the token before the revocation committed does not cache it.
        cache.put([1; 32], principal(), before);
        assert!(cache.get(&[1; 32]).is_none());
        cache.put([1; 32], principal(), cache.generation());
        assert!(cache.get(&[1; 32]).is_some());
    }

    #[test]
    fn stays_bounded() {
        let cache = TokenCache::new();
        let g = cache.generation();
        for i in 0..CAPACITY + 10 {
            let mut h = [0u8; 32];
            h[..8].copy_from_slice(&(i as u64).to_le_bytes());
            cache.put(h, principal(), g);
        }
        assert!(cache.lock().entries.len() <= CAPACITY);
    }
}
