-- Tips: what a member of the public saw, sent from a case's public page, kept with the case
-- version, the language and the poster (format, partner code) that brought them, and handled by the
-- case managers. A photo is kept as it was sent (its metadata may be evidence), apart, and is never
-- served publicly. Keep in step with the other backend's file.
CREATE TABLE tips (
    id            TEXT PRIMARY KEY,
    case_id       TEXT NOT NULL REFERENCES cases (id),
    case_version  INTEGER NOT NULL,
    received_at   TEXT NOT NULL,
    seen_what     TEXT NOT NULL,
    seen_where    TEXT NOT NULL,
    -- how long ago, as chosen (within_hour, today, yesterday, earlier), and any time typed
    seen_when     TEXT NOT NULL,
    seen_time     TEXT,
    urgent        INTEGER NOT NULL,
    contact_name  TEXT,
    contact_phone TEXT,
    contact_email TEXT,
    lang          TEXT NOT NULL,
    -- what brought the sender: the poster format and the partner (and location) code in its QR code
    source        TEXT,
    after_close   INTEGER NOT NULL,
    state         TEXT NOT NULL,
    note          TEXT,
    handled_by    TEXT,
    handled_at    TEXT
);
CREATE INDEX tips_by_case ON tips (case_id, received_at);
CREATE TABLE tip_photos (
    tip_id        TEXT PRIMARY KEY REFERENCES tips (id),
    content_type  TEXT NOT NULL,
    bytes         BLOB NOT NULL
);
