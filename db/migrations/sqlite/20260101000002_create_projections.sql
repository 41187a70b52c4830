-- The three tables of the schema document, as projections of the event log.
-- Departures from the document (see README, "Departures"):
--  * constraints are declared here, in CREATE TABLE: SQLite has no ALTER TABLE ADD CONSTRAINT;
--  * NOT NULL where the document's column table says "Nullable: No";
--  * times default to canonical ISO-8601 UTC (strftime), never CURRENT_TIMESTAMP text;
--  * no idx_filename: UNIQUE(filename) already creates that index;
--  * stream keys (run_id, batch_id), updated_at and failure_reason are additions;
--  * created_at / started_at and the stream keys are immutable (triggers), instead of
--    the document's update_timestamp trigger that overwrote created_at with the clock.
-- migrate:up
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
);

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

-- migrate:down
DROP TABLE creation_sessions;
DROP TABLE training_sessions;
DROP TABLE generated_images;
