-- Clean-up: each cached poster names its case, so a closed case's posters are removed with it (and a
-- sweep removes any that a render in flight cached after the close). Posters cached before this
-- column existed cannot be told apart and are dropped: a cache, rendered again on demand.
-- Idempotency keys expire after 24 hours; the sweep finds them by age.
DELETE FROM poster_cache;
ALTER TABLE poster_cache ADD COLUMN case_id TEXT;
CREATE INDEX poster_cache_by_case ON poster_cache (case_id);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
