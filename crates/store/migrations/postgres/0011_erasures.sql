-- The erasures register, as SQLite's 0013_erasures: each time a household's personal data was erased from the
-- ingested records (its sealed tokens and blind indexes set to NULL), when, by whom, on which retention rule or
-- overridden hold, why, and how many rows of each source it cleared. Written in the same transaction as the erasure
-- and its `privacy.erase` audit entry. `erased_at` is the audit entry's time as text, kept exactly. Append-only.
CREATE TABLE erasures (
    erasure_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    household_id   text NOT NULL CHECK (household_id <> '' AND char_length(household_id) <= 64),
    erased_at      text NOT NULL,
    actor          text NOT NULL CHECK (actor <> ''),
    as_of          date NOT NULL,
    rule           text NOT NULL CHECK (rule <> '' AND char_length(rule) <= 64),
    reason         text NOT NULL CHECK (reason <> '' AND char_length(reason) <= 500),
    override_hold  text CHECK (override_hold IS NULL OR (override_hold <> '' AND char_length(override_hold) <= 500)),
    rows_json      jsonb NOT NULL
);

CREATE INDEX erasures_by_household ON erasures (household_id);

CREATE TRIGGER erasures_no_update BEFORE UPDATE ON erasures
    FOR EACH ROW EXECUTE FUNCTION refuse_change('erasures are append-only');
CREATE TRIGGER erasures_no_delete BEFORE DELETE ON erasures
    FOR EACH ROW EXECUTE FUNCTION refuse_change('erasures are append-only');
CREATE TRIGGER erasures_no_truncate BEFORE TRUNCATE ON erasures
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('erasures are append-only');
