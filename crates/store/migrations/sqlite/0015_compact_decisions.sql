-- A decision's record stored packed: raw deflate with a preset dictionary, behind one byte naming the dictionary
-- (store::decisions::packed), about a tenth of its JSON text. The packed record has a table of its own, so the
-- decisions rows (what lists, queues and counts read) stay small and the rows written before keep their columns;
-- a decision recorded from now on has an empty `record_json` and its record here. Decisions recorded before keep
-- their JSON text and have no row here: nothing is rewritten.

CREATE TABLE decision_records (
    decision_id TEXT PRIMARY KEY REFERENCES decisions (decision_id),
    packed      BLOB NOT NULL CHECK (length(packed) > 1)
) STRICT;

-- Exactly one form per decision: a packed record only for a decision stored without its JSON text.
CREATE TRIGGER decision_records_only_without_json BEFORE INSERT ON decision_records
WHEN (SELECT record_json FROM decisions WHERE decision_id = NEW.decision_id) IS NOT ''
BEGIN SELECT RAISE(ABORT, 'decision_records: only a decision stored without its JSON text has a packed record'); END;

CREATE TRIGGER decision_records_no_update BEFORE UPDATE ON decision_records
BEGIN SELECT RAISE(ABORT, 'decision records are immutable'); END;
CREATE TRIGGER decision_records_no_delete BEFORE DELETE ON decision_records
BEGIN SELECT RAISE(ABORT, 'decision records are immutable'); END;
