-- Chain the event log, so that a changed, removed or foreign event is noticed:
-- integrity_check passes a digit flipped inside an event, and a rebuild adopted it.
-- Each event stores `hash`, the sha256 of the previous event's hash and of its own
-- stored columns (src/events/chain.ts computes it; SQLite has no sha256 in SQL).
-- Appends compute it in their transaction; `events_chained` refuses an insert without one.
-- Events already in the log get theirs right after this migration, in TypeScript
-- (src/events/backfillChain.ts, run by `artist-store migrate` and openStore({ migrate: true })):
-- events_no_update therefore allows exactly one UPDATE, setting a missing hash with every
-- other column unchanged; anything else still aborts. `artist-store verify` walks the chain.
-- The CHECK asks for 64 characters of text and no more: that they are the right hex digits is the
-- chain's to prove (verify recomputes every hash), and a GLOB for hex digits cost every append
-- about 1.5 µs, a twentieth of the log's insert (docs/performance.md).
-- The down forgets the hashes: going up again computes them afresh.
-- migrate:up
ALTER TABLE events ADD COLUMN hash TEXT CHECK (hash IS NULL OR (typeof(hash) = 'text' AND length(hash) = 64));

DROP TRIGGER events_no_update;
CREATE TRIGGER events_no_update
BEFORE UPDATE ON events
WHEN NOT (
    OLD.hash IS NULL AND NEW.hash IS NOT NULL
    AND NEW.position IS OLD.position AND NEW.event_id IS OLD.event_id
    AND NEW.stream_id IS OLD.stream_id AND NEW.stream_version IS OLD.stream_version
    AND NEW.type IS OLD.type AND NEW.schema_version IS OLD.schema_version
    AND NEW.data IS OLD.data AND NEW.metadata IS OLD.metadata
    AND NEW.occurred_at IS OLD.occurred_at AND NEW.recorded_at IS OLD.recorded_at
)
BEGIN
    SELECT RAISE(ABORT, 'events is append-only: UPDATE is not allowed');
END;

CREATE TRIGGER events_chained
BEFORE INSERT ON events
WHEN NEW.hash IS NULL
BEGIN
    SELECT RAISE(ABORT, 'events is chained: an insert must carry its hash');
END;

-- migrate:down
DROP TRIGGER events_chained;
DROP TRIGGER events_no_update;
CREATE TRIGGER events_no_update
BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events is append-only: UPDATE is not allowed');
END;
ALTER TABLE events DROP COLUMN hash;
