-- The registry of credit-model artifacts and the append-only history of their statuses: SQLite's 0002_models in
-- PostgreSQL's types. A model row is immutable; its current status is the `to_status` of its latest history row
-- (view `model_summaries`). Times are the caller's RFC 3339 text, kept byte for byte (`text`: a model's creation
-- time may carry nanoseconds, which `timestamptz` would round); the registry orders them by instant itself.

CREATE TABLE models (
    -- The artifact's content hash: SHA-256 as 64 lowercase hex digits.
    id             text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{64}$'),
    name           text NOT NULL CHECK (name <> ''),
    kind           text NOT NULL CHECK (kind <> ''),
    format_version bigint NOT NULL CHECK (format_version BETWEEN 0 AND 4294967295),
    created_at     text NOT NULL,
    -- Opaque: stored and returned byte for byte, never parsed.
    artifact_json  text NOT NULL
);

CREATE INDEX models_by_name ON models (name, id);

CREATE TABLE model_status_changes (
    model_id    text NOT NULL REFERENCES models (id),
    seq         integer NOT NULL CHECK (seq > 0),
    -- NULL exactly on the first row, the registration, which always lands in candidate.
    from_status text CHECK (from_status IN ('candidate', 'champion', 'challenger', 'retired')),
    to_status   text NOT NULL CHECK (to_status IN ('candidate', 'champion', 'challenger', 'retired')),
    changed_at  text NOT NULL,
    changed_by  text NOT NULL,
    reason      text NOT NULL,
    PRIMARY KEY (model_id, seq),
    CHECK ((seq = 1) = (from_status IS NULL)),
    CHECK (from_status IS NOT NULL OR to_status = 'candidate')
);

-- Each model with the status of its latest history row.
CREATE VIEW model_summaries AS
SELECT m.id, m.name, m.kind, m.format_version, m.created_at, c.to_status AS status
FROM models AS m
JOIN LATERAL (SELECT to_status FROM model_status_changes WHERE model_id = m.id ORDER BY seq DESC LIMIT 1) AS c
  ON true;

-- The two rules a database can state on its own, so that even a raw statement cannot break them: a new row continues
-- its model's chain (the next seq, from the current status), and a name has at most one champion. Writers lock the
-- rows of the model's name first (`SELECT … FOR NO KEY UPDATE`), so these checks read every committed change.
CREATE FUNCTION model_status_changes_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last_seq    integer;
    last_status text;
BEGIN
    SELECT seq, to_status INTO last_seq, last_status FROM model_status_changes
    WHERE model_id = NEW.model_id ORDER BY seq DESC LIMIT 1;
    IF NEW.seq <> COALESCE(last_seq, 0) + 1 OR NEW.from_status IS DISTINCT FROM last_status THEN
        RAISE EXCEPTION 'model_status_changes: a change must start from the model''s current status'
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.to_status = 'champion' AND EXISTS (
        SELECT 1 FROM model_summaries AS s
        WHERE s.status = 'champion' AND s.id <> NEW.model_id
          AND s.name = (SELECT name FROM models WHERE id = NEW.model_id)) THEN
        RAISE EXCEPTION 'model_status_changes: a name has at most one champion; demote it first'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER model_status_changes_lifecycle BEFORE INSERT ON model_status_changes
    FOR EACH ROW EXECUTE FUNCTION model_status_changes_check();

-- Model history is append-only, and an artifact never changes under its id.
CREATE TRIGGER models_no_update BEFORE UPDATE ON models
    FOR EACH ROW EXECUTE FUNCTION refuse_change('models are immutable: a changed artifact is a new model');
CREATE TRIGGER models_no_delete BEFORE DELETE ON models
    FOR EACH ROW EXECUTE FUNCTION refuse_change('models are never deleted: retire them');
CREATE TRIGGER models_no_truncate BEFORE TRUNCATE ON models
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('models are never deleted: retire them');
CREATE TRIGGER model_status_changes_no_update BEFORE UPDATE ON model_status_changes
    FOR EACH ROW EXECUTE FUNCTION refuse_change('model_status_changes is append-only');
CREATE TRIGGER model_status_changes_no_delete BEFORE DELETE ON model_status_changes
    FOR EACH ROW EXECUTE FUNCTION refuse_change('model_status_changes is append-only');
CREATE TRIGGER model_status_changes_no_truncate BEFORE TRUNCATE ON model_status_changes
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('model_status_changes is append-only');
