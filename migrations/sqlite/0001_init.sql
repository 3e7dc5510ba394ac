-- lookout schema, SQLite flavour. Times are RFC 3339 UTC text with a fixed width, so they sort;
-- the Any driver has no portable time type. Only INTEGER, REAL, TEXT and BLOB here: the Any driver maps
-- no other SQLite type (flags are 0/1). Keep in step with postgres/0001_init.sql (types only differ).

CREATE TABLE cases (
    id                 TEXT PRIMARY KEY,
    case_number        TEXT NOT NULL UNIQUE,
    case_type          TEXT NOT NULL,
    status             TEXT NOT NULL,
    amber_alert        INTEGER NOT NULL,
    sample             INTEGER NOT NULL,
    current_version    INTEGER NOT NULL,
    resolution_outcome TEXT,
    resolution_reason  TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
CREATE INDEX cases_by_status ON cases (status, created_at);
CREATE INDEX cases_by_type ON cases (case_type, created_at);

CREATE TABLE case_versions (
    case_id    TEXT NOT NULL REFERENCES cases (id),
    version    INTEGER NOT NULL,
    document   TEXT NOT NULL,
    changed    TEXT NOT NULL,
    actor      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (case_id, version)
);

-- Only the normalised print copy: the upload with its metadata is never stored.
CREATE TABLE photos (
    id         TEXT PRIMARY KEY,
    jpeg       BLOB NOT NULL,
    width      INTEGER NOT NULL,
    height     INTEGER NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE poster_cache (
    key          TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    bytes        BLOB NOT NULL,
    created_at   TEXT NOT NULL
);

CREATE TABLE partners (
    id         TEXT PRIMARY KEY,
    document   TEXT NOT NULL,
    active     INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE locations (
    partner_id TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    ref        TEXT NOT NULL,
    name       TEXT NOT NULL,
    lat        REAL NOT NULL,
    lon        REAL NOT NULL,
    reach_m    REAL,
    email      TEXT,
    coverage   TEXT,
    PRIMARY KEY (partner_id, ref)
);

CREATE TABLE tokens (
    id         TEXT PRIMARY KEY,
    hash       TEXT NOT NULL UNIQUE,
    role       TEXT NOT NULL,
    partner_id TEXT REFERENCES partners (id),
    label      TEXT,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    case_id TEXT,
    subject TEXT,
    version INTEGER
);
CREATE INDEX audit_by_case ON audit_log (case_id, id);

CREATE TABLE idempotency_keys (
    scope        TEXT NOT NULL,
    actor        TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    resource_id  TEXT,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (scope, actor, key)
);
