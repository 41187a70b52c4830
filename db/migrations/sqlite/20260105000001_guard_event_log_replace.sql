-- INSERT OR REPLACE (and REPLACE INTO) deletes the rows an insert collides with,
-- and SQLite fires DELETE triggers for those deletes only when recursive_triggers
-- is on, which no client is obliged to set: events_no_delete never sees them, and
-- a REPLACE could rewrite or drop an event. So an insert that would collide with an
-- existing position, event id or stream version aborts here, before any conflict
-- resolution runs. The store's own appends never collide: it checks first.
-- migrate:up
CREATE TRIGGER events_no_replace
BEFORE INSERT ON events
WHEN EXISTS (
    SELECT 1 FROM events
    WHERE position = NEW.position
       OR event_id = NEW.event_id
       OR (stream_id = NEW.stream_id AND stream_version = NEW.stream_version)
)
BEGIN
    SELECT RAISE(ABORT, 'events is append-only: an insert may not replace an existing event');
END;

-- migrate:down
DROP TRIGGER events_no_replace;
