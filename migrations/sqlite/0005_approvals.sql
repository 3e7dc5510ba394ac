-- Second-person approval of a case's first dispatch (an organisation setting, off by default): the
-- request waits here until another case manager approves it. One open request per case.
CREATE TABLE dispatch_approvals (
    case_id      TEXT PRIMARY KEY REFERENCES cases (id),
    -- the actor who asked (user:…), who may not approve it
    requested_by TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    -- whole states added to the region, comma-separated USPS codes
    states       TEXT NOT NULL,
    approved_by  TEXT,
    approved_at  TEXT
);
