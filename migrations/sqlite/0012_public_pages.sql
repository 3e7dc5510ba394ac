-- Public case pages: the short, unguessable address of each case's public page (the one a poster's
-- QR code opens). Made the first time a case needs one; the case id itself never appears in it.
-- Keep in step with the other backend's file.
CREATE TABLE public_pages (
    code       TEXT PRIMARY KEY,
    case_id    TEXT NOT NULL UNIQUE REFERENCES cases (id),
    created_at TEXT NOT NULL
);
