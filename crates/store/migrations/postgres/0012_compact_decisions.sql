-- A decision's record stored packed, as on SQLite (its 0015_compact_decisions): raw deflate with a preset dictionary,
-- behind one byte naming the dictionary (store::decisions::packed), about a tenth of its JSON text. The packed
-- record has a table of its own, so the decisions rows (what lists, queues and counts read) stay small; a decision
-- recorded from now on has an empty `record_json` and its record here. Decisions recorded before keep their JSON
-- text and have no row here: nothing is rewritten.

CREATE TABLE decision_records (
    decision_id text PRIMARY KEY REFERENCES decisions (decision_id),
    packed      bytea NOT NULL CHECK (length(packed) > 1)
);
-- Already compressed: TOAST's own compression would only spend time on it.
ALTER TABLE decision_records ALTER COLUMN packed SET STORAGE EXTERNAL;

-- Exactly one form per decision: a packed record only for a decision stored without its JSON text.
CREATE FUNCTION decision_records_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT record_json FROM decisions WHERE decision_id = NEW.decision_id) IS DISTINCT FROM '' THEN
        RAISE EXCEPTION 'decision_records: only a decision stored without its JSON text has a packed record'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER decision_records_only_without_json BEFORE INSERT ON decision_records
    FOR EACH ROW EXECUTE FUNCTION decision_records_check();
CREATE TRIGGER decision_records_no_update BEFORE UPDATE ON decision_records
    FOR EACH ROW EXECUTE FUNCTION refuse_change('decision records are immutable');
CREATE TRIGGER decision_records_no_delete BEFORE DELETE ON decision_records
    FOR EACH ROW EXECUTE FUNCTION refuse_change('decision records are immutable');
CREATE TRIGGER decision_records_no_truncate BEFORE TRUNCATE ON decision_records
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('decision records are immutable');
