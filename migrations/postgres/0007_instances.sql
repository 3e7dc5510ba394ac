-- Several instances on one database.
--
-- Every dispatch worker has a row here for as long as it runs, its heartbeat renewed every couple
-- of seconds. A worker whose beat is older than a few missed beats is dead: any live worker puts its
-- leased deliveries back at once and deletes its row. `machine`, `pid` and `proc_started` let a
-- process on the same machine (same boot, same PID namespace) see at once that a predecessor is
-- gone, without waiting for its beat to age.
CREATE TABLE workers (
    id TEXT PRIMARY KEY,
    machine TEXT NOT NULL,
    pid BIGINT NOT NULL,
    proc_started TEXT NOT NULL,
    started_at TEXT NOT NULL,
    -- Counts the beats: a worker is seen to be alive when it moves, whatever the clocks say.
    beat BIGINT NOT NULL DEFAULT 0,
    beat_at TEXT NOT NULL
);

-- Values made once and shared by every instance: the key that signs poster links, unless one is
-- configured.
CREATE TABLE shared_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Partner and location changes reach every instance's targeting index at once; new deliveries
-- wake every instance's worker. Each instance still looks for changes now and then, in case a
-- notification is missed (a listener reconnecting).
CREATE FUNCTION lookout_notify_partners() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('lookout_partners', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER partners_changed AFTER INSERT OR UPDATE OR DELETE ON partners
    FOR EACH STATEMENT EXECUTE FUNCTION lookout_notify_partners();
CREATE TRIGGER locations_changed AFTER INSERT OR UPDATE OR DELETE ON locations
    FOR EACH STATEMENT EXECUTE FUNCTION lookout_notify_partners();

CREATE FUNCTION lookout_notify_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('lookout_deliveries', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER deliveries_queued AFTER INSERT ON deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION lookout_notify_deliveries();

-- A token revoked anywhere (the API of any instance, `lookout token revoke`) is forgotten by every
-- instance's cache at once; the cache's few seconds stay as the bound when a notification is missed.
CREATE FUNCTION lookout_notify_tokens() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('lookout_tokens', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER tokens_revoked AFTER UPDATE OR DELETE ON tokens
    FOR EACH STATEMENT EXECUTE FUNCTION lookout_notify_tokens();

-- Leases that ran out are found through `deliveries_due` (state first; few rows are ever being
-- sent): one index fewer to keep up for every delivery queued, claimed and recorded.
DROP INDEX deliveries_lease;
