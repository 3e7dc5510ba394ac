-- Dispatch: which cases are being distributed, one row per delivery (the durable outbox), every
-- attempt, and each partner's delivery health. Keep in step with sqlite/0002_dispatch.sql.

-- A case whose posters go out. Created by POST /v1/cases/{id}/dispatch; from then on every change
-- that alters the poster, and the region's growth with time, is redistributed automatically.
CREATE TABLE distributions (
    case_id          TEXT PRIMARY KEY REFERENCES cases (id),
    started_at       TEXT NOT NULL,
    started_by       TEXT NOT NULL,
    -- USPS codes the case managers added to the region (JSON list)
    states           TEXT NOT NULL,
    -- the case version every partner inside the region should hold
    poster_version   BIGINT NOT NULL,
    active           BOOLEAN NOT NULL,
    planned_at       TEXT NOT NULL,
    next_retarget_at TEXT NOT NULL
);
CREATE INDEX distributions_due ON distributions (active, next_retarget_at);

-- One message to one recipient (a partner, or one of its locations when it takes posters per
-- location). `seq` is per partner and handed out under the partner's status row lock, so deliveries
-- commit in `seq` order: the pull API's cursor never skips one.
CREATE TABLE deliveries (
    id              TEXT PRIMARY KEY,
    partner_id      TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    case_id         TEXT NOT NULL REFERENCES cases (id),
    location_ref    TEXT NOT NULL,
    version         BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    reason          TEXT,
    channel         TEXT NOT NULL,
    locations       TEXT NOT NULL,
    priority        BIGINT NOT NULL,
    state           TEXT NOT NULL,
    attempts        BIGINT NOT NULL,
    next_attempt_at TEXT,
    lease_owner     TEXT,
    lease_until     TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    delivered_at    TEXT,
    acked_at        TEXT
);
CREATE UNIQUE INDEX deliveries_by_partner_seq ON deliveries (partner_id, seq);
-- The unique key (partner, location, case, version, kind, reason) among unfinished deliveries: the
-- same message is never queued twice, yet a partner that leaves the region and comes back gets the
-- same version again, and a takedown still follows an out-of-region withdrawal of that version.
CREATE UNIQUE INDEX deliveries_once
    ON deliveries (partner_id, location_ref, case_id, version, kind, COALESCE(reason, ''))
    WHERE state IN ('pending', 'sending');
-- the claim's order: takedowns first, the longest due next, partners taking turns (seq)
CREATE INDEX deliveries_due ON deliveries (state, priority, next_attempt_at, seq);
CREATE INDEX deliveries_lease ON deliveries (state, lease_until);
CREATE INDEX deliveries_by_recipient ON deliveries (case_id, partner_id, location_ref, seq);

CREATE TABLE delivery_attempts (
    delivery_id TEXT NOT NULL REFERENCES deliveries (id),
    attempt     BIGINT NOT NULL,
    at          TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    error       TEXT,
    latency_ms  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);

CREATE TABLE partner_status (
    partner_id        TEXT PRIMARY KEY,
    last_seq          BIGINT NOT NULL,
    failing_since     TEXT,
    disabled_at       TEXT,
    disabled_reason   TEXT,
    last_delivered_at TEXT
);
