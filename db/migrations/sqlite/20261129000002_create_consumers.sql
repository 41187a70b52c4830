-- Checkpoints of the named consumers that follow the log from other code or other
-- processes (a thumbnailer, an exporter, `artist-store follow`): one row per consumer,
-- with the position it has handled up to, when that moved, and the lease that lets one
-- process at a time run it. A checkpoint only moves forward and never past the log's
-- head; the triggers hold that against any writer. Moving one back is a reset, which
-- counts itself in `resets` (and is the only way the forward-only trigger lets through).
-- migrate:up
CREATE TABLE consumers (
    name TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 200),
    position INTEGER NOT NULL CHECK (typeof(position) = 'integer' AND position >= 0),
    resets INTEGER NOT NULL DEFAULT 0 CHECK (resets >= 0),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    lease_holder TEXT CHECK (length(lease_holder) BETWEEN 1 AND 200),
    lease_expires_at TEXT,
    CHECK ((lease_holder IS NULL) = (lease_expires_at IS NULL))
);

CREATE TRIGGER consumers_start_within_log
BEFORE INSERT ON consumers
WHEN NEW.position > (SELECT coalesce(max(position), 0) FROM events)
BEGIN
    SELECT RAISE(ABORT, 'consumers: a checkpoint cannot be past the head of the log');
END;

CREATE TRIGGER consumers_within_log
BEFORE UPDATE OF position ON consumers
WHEN NEW.position > (SELECT coalesce(max(position), 0) FROM events)
BEGIN
    SELECT RAISE(ABORT, 'consumers: a checkpoint cannot be past the head of the log');
END;

CREATE TRIGGER consumers_forward_only
BEFORE UPDATE OF position ON consumers
WHEN NEW.position < OLD.position AND NEW.resets <= OLD.resets
BEGIN
    SELECT RAISE(ABORT, 'consumers: a checkpoint never moves backwards (reset the consumer instead)');
END;

-- migrate:down
DROP TRIGGER consumers_forward_only;
DROP TRIGGER consumers_within_log;
DROP TRIGGER consumers_start_within_log;
DROP TABLE consumers;
