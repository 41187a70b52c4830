-- The event log: the single source of truth. Append-only: triggers abort any
-- UPDATE or DELETE. AUTOINCREMENT so a position is never reused, even after the
-- highest row were somehow removed (a reader checkpointed past it would skip it).
-- migrate:up
CREATE TABLE events (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    stream_id TEXT NOT NULL,
    stream_version INTEGER NOT NULL CHECK (stream_version >= 1),
    type TEXT NOT NULL,
    schema_version INTEGER NOT NULL CHECK (schema_version >= 1),
    data TEXT NOT NULL CHECK (json_valid(data)),
    metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    occurred_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    UNIQUE (stream_id, stream_version)
);

CREATE INDEX idx_events_type ON events(type);
CREATE INDEX idx_events_occurred_at ON events(occurred_at);

CREATE TRIGGER events_no_update
BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events is append-only: UPDATE is not allowed');
END;

CREATE TRIGGER events_no_delete
BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events is append-only: DELETE is not allowed');
END;

-- migrate:down
DROP TRIGGER events_no_delete;
DROP TRIGGER events_no_update;
DROP TABLE events;
