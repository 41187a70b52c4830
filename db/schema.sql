CREATE TABLE IF NOT EXISTS "schema_migrations" (version varchar(128) primary key);
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
    recorded_at TEXT NOT NULL, hash TEXT CHECK (hash IS NULL OR (typeof(hash) = 'text' AND length(hash) = 64)),
    UNIQUE (stream_id, stream_version)
);
CREATE TRIGGER events_no_delete
BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events is append-only: DELETE is not allowed');
END;
CREATE TABLE generated_images (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    filename TEXT NOT NULL UNIQUE,
    prompt TEXT NOT NULL,
    negative_prompt TEXT DEFAULT '',
    source_url TEXT,
    source_query TEXT,
    model_id TEXT NOT NULL,
    generation_params JSON DEFAULT '{}' CHECK (generation_params IS NULL OR json_valid(generation_params)),
    seed INTEGER,
    aesthetic_score REAL CHECK (aesthetic_score IS NULL OR (aesthetic_score >= 0 AND aesthetic_score <= 10)),
    clip_score REAL CHECK (clip_score IS NULL OR (clip_score >= 0 AND clip_score <= 1)),
    technical_score REAL CHECK (technical_score IS NULL OR (technical_score >= 0 AND technical_score <= 1)),
    final_score REAL CHECK (final_score IS NULL OR (final_score >= 0 AND final_score <= 10)),
    created_at DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'curated', 'rejected')),
    is_featured BOOLEAN NOT NULL DEFAULT 0 CHECK (is_featured IN (0, 1)),
    tags JSON DEFAULT '[]' CHECK (tags IS NULL OR json_valid(tags)),
    updated_at DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
, diversity_score REAL CHECK (diversity_score IS NULL OR (diversity_score >= 0 AND diversity_score <= 10)));
CREATE INDEX idx_model_id ON generated_images(model_id);
CREATE INDEX idx_created_at ON generated_images(created_at DESC);
CREATE INDEX idx_status ON generated_images(status);
CREATE INDEX idx_final_score ON generated_images(final_score DESC);
CREATE INDEX idx_featured ON generated_images(is_featured);
CREATE INDEX idx_status_score ON generated_images(status, final_score DESC);
CREATE INDEX idx_covering ON generated_images(status, final_score, filename, created_at);
CREATE TRIGGER generated_images_identity_immutable
BEFORE UPDATE OF filename, created_at ON generated_images
WHEN NEW.filename IS NOT OLD.filename OR NEW.created_at IS NOT OLD.created_at
BEGIN
    SELECT RAISE(ABORT, 'generated_images.filename and created_at are immutable');
END;
CREATE TABLE training_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    model_path TEXT NOT NULL,
    config JSON DEFAULT '{}' CHECK (config IS NULL OR json_valid(config)),
    dataset_size INTEGER CHECK (dataset_size IS NULL OR dataset_size >= 0),
    final_loss REAL CHECK (final_loss IS NULL OR final_loss >= 0),
    training_time_seconds REAL CHECK (training_time_seconds IS NULL OR training_time_seconds >= 0),
    metrics JSON DEFAULT '{}' CHECK (metrics IS NULL OR json_valid(metrics)),
    started_at DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    completed_at DATETIME,
    status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'failed')),
    failure_reason TEXT,
    updated_at DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX idx_training_name ON training_sessions(name);
CREATE INDEX idx_training_status ON training_sessions(status);
CREATE INDEX idx_training_started ON training_sessions(started_at DESC);
CREATE TRIGGER training_sessions_identity_immutable
BEFORE UPDATE OF run_id, started_at ON training_sessions
WHEN NEW.run_id IS NOT OLD.run_id OR NEW.started_at IS NOT OLD.started_at
BEGIN
    SELECT RAISE(ABORT, 'training_sessions.run_id and started_at are immutable');
END;
CREATE TABLE creation_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    batch_id TEXT NOT NULL UNIQUE,
    theme TEXT,
    images_created INTEGER DEFAULT 0 CHECK (images_created >= 0),
    images_kept INTEGER DEFAULT 0 CHECK (images_kept >= 0 AND images_kept <= images_created),
    avg_score REAL CHECK (avg_score IS NULL OR (avg_score >= 0 AND avg_score <= 10)),
    started_at DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    completed_at DATETIME,
    updated_at DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX idx_session_started ON creation_sessions(started_at DESC);
CREATE INDEX idx_session_theme ON creation_sessions(theme);
CREATE TRIGGER creation_sessions_identity_immutable
BEFORE UPDATE OF batch_id, started_at ON creation_sessions
WHEN NEW.batch_id IS NOT OLD.batch_id OR NEW.started_at IS NOT OLD.started_at
BEGIN
    SELECT RAISE(ABORT, 'creation_sessions.batch_id and started_at are immutable');
END;
CREATE TABLE projection_state (
    projection TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    position INTEGER NOT NULL CHECK (position >= 0)
);
CREATE INDEX idx_diversity_score ON generated_images(diversity_score);
CREATE TABLE quality_tiers (
    tier TEXT PRIMARY KEY CHECK (tier IN ('Excellent', 'Good', 'Fair', 'Poor')),
    images INTEGER NOT NULL CHECK (images >= 0),
    scored INTEGER NOT NULL CHECK (scored >= 0 AND scored <= images),
    score_sum REAL NOT NULL
);
CREATE INDEX idx_status_created ON generated_images(status, created_at);
CREATE TABLE creation_days (
    day TEXT PRIMARY KEY,
    sessions INTEGER NOT NULL CHECK (sessions >= 0),
    images_created INTEGER NOT NULL CHECK (images_created >= 0),
    images_kept INTEGER NOT NULL CHECK (images_kept >= 0),
    avg_score_sum REAL NOT NULL,
    avg_scores INTEGER NOT NULL CHECK (avg_scores >= 0 AND avg_scores <= sessions)
);
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
CREATE INDEX idx_training_listing ON training_sessions(started_at DESC, id, name, dataset_size, final_loss, training_time_seconds, status);
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
-- Dbmate schema migrations
INSERT INTO "schema_migrations" (version) VALUES
  ('20260101000001'),
  ('20260101000002'),
  ('20260101000003'),
  ('20260102000001'),
  ('20260102000002'),
  ('20260103000001'),
  ('20260103000002'),
  ('20260103000003'),
  ('20260103000004'),
  ('20260105000001'),
  ('20260106000001'),
  ('20261129000001'),
  ('20261129000002');
