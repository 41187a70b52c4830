-- Checkpoints of the named consumers, as in the SQLite store: a checkpoint only moves
-- forward (a reset, counted in resets, is the one way back) and never past the log's head.
-- migrate:up
CREATE TABLE consumers (
    name text COLLATE "C" PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 200),
    position bigint NOT NULL CHECK (position >= 0),
    resets bigint NOT NULL DEFAULT 0 CHECK (resets >= 0),
    created_at text COLLATE "C" NOT NULL,
    updated_at text COLLATE "C" NOT NULL,
    lease_holder text COLLATE "C" CHECK (length(lease_holder) BETWEEN 1 AND 200),
    lease_expires_at text COLLATE "C",
    CHECK ((lease_holder IS NULL) = (lease_expires_at IS NULL))
);

CREATE FUNCTION consumers_checkpoint_rules() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.position > (SELECT coalesce(max(position), 0) FROM events) THEN
        RAISE EXCEPTION 'consumers: a checkpoint cannot be past the head of the log' USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.position < OLD.position AND NEW.resets <= OLD.resets THEN
        RAISE EXCEPTION 'consumers: a checkpoint never moves backwards (reset the consumer instead)'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER consumers_within_log BEFORE INSERT OR UPDATE OF position ON consumers
    FOR EACH ROW EXECUTE FUNCTION consumers_checkpoint_rules();

REVOKE ALL ON consumers FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON consumers TO artist_store_app;

-- migrate:down
REVOKE ALL ON consumers FROM artist_store_app;
DROP TABLE consumers;
DROP FUNCTION consumers_checkpoint_rules();
