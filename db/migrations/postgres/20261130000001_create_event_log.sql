-- The event log on PostgreSQL, with the SQLite log's invariants. Positions are given by
-- the appender (the newest + 1) while it holds the log's transaction-scoped advisory lock,
-- not by a sequence: a sequence hands out numbers outside transactions, so a rolled-back
-- append would leave a gap, and two appends could commit out of position order (a reader
-- that checkpointed the higher one would skip the lower). events_next_position holds the
-- rule against any writer. data and metadata are the JSON text exactly as appended (text
-- with an IS JSON check, not jsonb): the chain hash covers the stored bytes, idempotent
-- retries compare them, and jsonb would reorder keys and refuse \u0000. Times are the
-- canonical ISO-8601 UTC text of the SQLite store. COLLATE "C" orders text by bytes, as
-- SQLite does. The application role artist_store_app may INSERT and SELECT here, nothing
-- more; the triggers refuse UPDATE, DELETE and TRUNCATE even to the owner.
-- migrate:up
CREATE TABLE events (
    position bigint PRIMARY KEY CHECK (position >= 1),
    event_id text COLLATE "C" NOT NULL UNIQUE,
    stream_id text COLLATE "C" NOT NULL,
    stream_version bigint NOT NULL CHECK (stream_version >= 1),
    type text COLLATE "C" NOT NULL,
    schema_version integer NOT NULL CHECK (schema_version >= 1),
    data text COLLATE "C" NOT NULL CHECK (data IS JSON),
    metadata text COLLATE "C" NOT NULL DEFAULT '{}' CHECK (metadata IS JSON),
    occurred_at text COLLATE "C" NOT NULL,
    recorded_at text COLLATE "C" NOT NULL,
    hash text COLLATE "C" NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
    UNIQUE (stream_id, stream_version)
);

CREATE FUNCTION events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events is append-only: % is not allowed', TG_OP USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change();
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();

-- Gapless and in order: each insert takes the position after the newest committed or
-- earlier in its own transaction. A concurrent writer that read the same newest waits on
-- the primary key and then fails: it never commits a lower position after a higher one.
CREATE FUNCTION events_next_position() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head bigint;
BEGIN
    SELECT coalesce(max(position), 0) INTO head FROM events;
    IF NEW.position IS DISTINCT FROM head + 1 THEN
        RAISE EXCEPTION 'events is append-only: position % is not the next one (%)', NEW.position, head + 1
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER events_next_position BEFORE INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION events_next_position();

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'artist_store_app') THEN
        CREATE ROLE artist_store_app NOLOGIN;
    END IF;
END
$$;
REVOKE ALL ON events FROM PUBLIC;
GRANT SELECT, INSERT ON events TO artist_store_app;
-- The store checks the applied migrations when it opens (dbmate creates the table before the first migration).
GRANT SELECT ON schema_migrations TO artist_store_app;

-- migrate:down
REVOKE ALL ON schema_migrations FROM artist_store_app;
REVOKE ALL ON events FROM artist_store_app;
DROP TABLE events;
DROP FUNCTION events_next_position();
DROP FUNCTION events_refuse_change();
-- The role is the cluster's: it stays while another database still grants it something.
DO $$
BEGIN
    DROP ROLE IF EXISTS artist_store_app;
EXCEPTION WHEN dependent_objects_still_exist THEN
    NULL;
END
$$;
