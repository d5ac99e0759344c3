-- The registry of credit-model artifacts and the append-only history of their lifecycle statuses.
-- A model row is immutable; its current status is the `to_status` of its latest history row (view
-- `model_summaries`), so no row is ever updated. Timestamps are the caller's RFC 3339 text.

CREATE TABLE models (
    -- The artifact's content hash: SHA-256 as 64 lowercase hex digits.
    id             TEXT PRIMARY KEY CHECK (length(id) = 64 AND id NOT GLOB '*[^0-9a-f]*'),
    name           TEXT NOT NULL CHECK (name <> ''),
    kind           TEXT NOT NULL CHECK (kind <> ''),
    format_version INTEGER NOT NULL CHECK (format_version >= 0),
    created_at     TEXT NOT NULL,
    -- Opaque: stored and returned byte for byte, never parsed.
    artifact_json  TEXT NOT NULL
) STRICT;

CREATE INDEX models_by_name ON models (name);

CREATE TABLE model_status_changes (
    model_id    TEXT NOT NULL REFERENCES models (id),
    seq         INTEGER NOT NULL CHECK (seq > 0),
    -- NULL exactly on the first row, the registration, which always lands in candidate.
    from_status TEXT CHECK (from_status IN ('candidate', 'champion', 'challenger', 'retired')),
    to_status   TEXT NOT NULL CHECK (to_status IN ('candidate', 'champion', 'challenger', 'retired')),
    changed_at  TEXT NOT NULL,
    changed_by  TEXT NOT NULL,
    reason      TEXT NOT NULL,
    PRIMARY KEY (model_id, seq),
    CHECK ((seq = 1) = (from_status IS NULL)),
    CHECK (from_status IS NOT NULL OR to_status = 'candidate')
) STRICT;

-- Each model with the status of its latest history row.
CREATE VIEW model_summaries AS
SELECT m.id, m.name, m.kind, m.format_version, m.created_at, c.to_status AS status
FROM models AS m
JOIN model_status_changes AS c
  ON c.model_id = m.id AND c.seq = (SELECT MAX(seq) FROM model_status_changes WHERE model_id = m.id);

-- A new row continues its model's chain: the next seq, starting from the current status.
CREATE TRIGGER model_status_changes_continue_chain BEFORE INSERT ON model_status_changes
WHEN NEW.seq <> 1 + (SELECT COALESCE(MAX(seq), 0) FROM model_status_changes WHERE model_id = NEW.model_id)
  OR NEW.from_status IS NOT (SELECT to_status FROM model_status_changes WHERE model_id = NEW.model_id
                             ORDER BY seq DESC LIMIT 1)
BEGIN SELECT RAISE(ABORT, 'model_status_changes: a change must start from the model''s current status'); END;

-- At most one champion per name: the current champion is demoted before another is promoted.
CREATE TRIGGER model_status_changes_one_champion BEFORE INSERT ON model_status_changes
WHEN NEW.to_status = 'champion' AND EXISTS (
    SELECT 1 FROM model_summaries AS s
    WHERE s.status = 'champion' AND s.id <> NEW.model_id
      AND s.name = (SELECT name FROM models WHERE id = NEW.model_id))
BEGIN SELECT RAISE(ABORT, 'model_status_changes: a name has at most one champion; demote it first'); END;

-- Model history is append-only, and an artifact never changes under its id.
CREATE TRIGGER models_no_update BEFORE UPDATE ON models
BEGIN SELECT RAISE(ABORT, 'models are immutable: a changed artifact is a new model'); END;
CREATE TRIGGER models_no_delete BEFORE DELETE ON models
BEGIN SELECT RAISE(ABORT, 'models are never deleted: retire them'); END;
CREATE TRIGGER model_status_changes_no_update BEFORE UPDATE ON model_status_changes
BEGIN SELECT RAISE(ABORT, 'model_status_changes is append-only'); END;
CREATE TRIGGER model_status_changes_no_delete BEFORE DELETE ON model_status_changes
BEGIN SELECT RAISE(ABORT, 'model_status_changes is append-only'); END;
