-- The erasures register: each time a household's personal data was erased from the ingested records (its sealed
-- tokens and blind indexes set to NULL), when, by whom, on which retention rule or overridden hold, why, and how
-- many rows of each source it cleared. Written in the same transaction as the erasure and its `privacy.erase`
-- audit entry. Append-only: an erasure is never edited or undone.
CREATE TABLE erasures (
    erasure_id     INTEGER PRIMARY KEY,
    household_id   TEXT NOT NULL CHECK (household_id <> '' AND length(household_id) <= 64),
    erased_at      TEXT NOT NULL,
    actor          TEXT NOT NULL CHECK (actor <> ''),
    as_of          TEXT NOT NULL CHECK (length(as_of) = 10),
    rule           TEXT NOT NULL CHECK (rule <> '' AND length(rule) <= 64),
    reason         TEXT NOT NULL CHECK (reason <> '' AND length(reason) <= 500),
    override_hold  TEXT CHECK (override_hold IS NULL OR (override_hold <> '' AND length(override_hold) <= 500)),
    rows_json      TEXT NOT NULL CHECK (json_valid(rows_json))
) STRICT;

CREATE INDEX erasures_by_household ON erasures (household_id);

CREATE TRIGGER erasures_no_update BEFORE UPDATE ON erasures
BEGIN SELECT RAISE(ABORT, 'erasures are append-only'); END;
CREATE TRIGGER erasures_no_delete BEFORE DELETE ON erasures
BEGIN SELECT RAISE(ABORT, 'erasures are append-only'); END;
