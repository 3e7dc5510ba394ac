-- Several workers on one database: on SQLite, the processes of one machine (a `lookout serve` and
-- its successor after a crash). Every dispatch worker has a row here for as long as it runs, its
-- heartbeat renewed every couple of seconds; see the PostgreSQL migration for the whole story.
CREATE TABLE workers (
    id TEXT PRIMARY KEY,
    machine TEXT NOT NULL,
    pid INTEGER NOT NULL,
    proc_started TEXT NOT NULL,
    started_at TEXT NOT NULL,
    -- Counts the beats: a worker is seen to be alive when it moves, whatever the clocks say.
    beat INTEGER NOT NULL DEFAULT 0,
    beat_at TEXT NOT NULL
);

-- Values made once and shared by every process: the key that signs poster links, unless one is
-- configured.
CREATE TABLE shared_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Leases that ran out are found through `deliveries_due` (state first; few rows are ever being
-- sent): one index fewer to keep up for every delivery queued, claimed and recorded.
DROP INDEX deliveries_lease;
