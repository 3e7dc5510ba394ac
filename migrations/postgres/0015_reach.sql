-- Reach: which partner's posters bring visits and tips, and the tips' own outbox.
-- Keep in step with the other backend's file.

-- The short code a partner's poster carries in its QR code and printed address: one per partner,
-- location (empty unless the partner takes one delivery per location) and poster format. The code
-- is random and says nothing by itself; this table is the only way back to the partner.
CREATE TABLE via_codes (
    code         TEXT PRIMARY KEY,
    partner_id   TEXT NOT NULL,
    location_ref TEXT NOT NULL,
    format       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    UNIQUE (partner_id, location_ref, format)
);

-- Visits to a case's public page, counted per day and via code ('' when none): no address,
-- no browser, nothing of the visitor is kept.
CREATE TABLE page_visits (
    case_id TEXT NOT NULL REFERENCES cases (id),
    via     TEXT NOT NULL,
    day     TEXT NOT NULL,
    visits  BIGINT NOT NULL,
    PRIMARY KEY (case_id, via, day)
);

-- Messages about tips: a tip forwarded to the investigating agency, an urgent sighting to the case
-- managers on the case. Durable like the deliveries: claimed with a lease, retried on the same
-- schedule, every attempt audited.
CREATE TABLE tip_messages (
    id              TEXT PRIMARY KEY,
    tip_id          TEXT NOT NULL REFERENCES tips (id),
    case_id         TEXT NOT NULL REFERENCES cases (id),
    -- forward (to the agency) or urgent (to the case managers)
    kind            TEXT NOT NULL,
    -- the addresses, as a JSON list
    recipients      TEXT NOT NULL,
    requested_by    TEXT NOT NULL,
    -- what the case manager wrote for the agency with a forwarded tip
    note            TEXT,
    state           TEXT NOT NULL,
    attempts        BIGINT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    lease_owner     TEXT,
    lease_until     TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    sent_at         TEXT
);
CREATE INDEX tip_messages_due ON tip_messages (state, next_attempt_at);
CREATE INDEX tip_messages_by_tip ON tip_messages (tip_id);
