-- Digests: a partner that takes a daily or weekly digest gets its new posters collected into one
-- message at its digest time. Each of those deliveries names its digest; the digest is sent, retried
-- and recorded through its deliveries, under its own id. Keep in step with the other backend's file.
ALTER TABLE deliveries ADD COLUMN digest_id TEXT;
-- the digests due: only deliveries that belong to one are in it
CREATE INDEX deliveries_digest_due ON deliveries (state, next_attempt_at) WHERE digest_id IS NOT NULL;
CREATE INDEX deliveries_by_digest ON deliveries (digest_id) WHERE digest_id IS NOT NULL;
