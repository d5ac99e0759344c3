-- Source-file loads: one row per committed load of one file, the rows it set aside, and the schema of each
-- record table. Record tables themselves (`rec_<source>`) are created from the data contracts at run time
-- (`SqliteStore::ensure_record_table`), because the contracts are data; `record_tables` remembers the columns each
-- was created with so a changed contract is refused instead of silently mixed.
-- All three are append-only: a load is history.

CREATE TABLE loads (
    load_id          INTEGER PRIMARY KEY CHECK (load_id > 0),
    source           TEXT NOT NULL CHECK (source <> ''),
    file_name        TEXT NOT NULL,
    -- SHA-256 of the file's bytes, 64 lowercase hex digits: a second load of the same bytes is a no-op.
    file_sha256      TEXT NOT NULL CHECK (length(file_sha256) = 64),
    contract_version INTEGER NOT NULL,
    format           TEXT NOT NULL CHECK (format IN ('csv', 'jsonl')),
    encoding         TEXT NOT NULL,
    -- The date from which the versions this load wrote are in force (corrections), YYYY-MM-DD.
    as_of            TEXT NOT NULL,
    loaded_at        TEXT NOT NULL,
    rows_read        INTEGER NOT NULL CHECK (rows_read >= 0),
    rows_new         INTEGER NOT NULL CHECK (rows_new >= 0),
    rows_corrected   INTEGER NOT NULL CHECK (rows_corrected >= 0),
    rows_unchanged   INTEGER NOT NULL CHECK (rows_unchanged >= 0),
    rows_duplicate   INTEGER NOT NULL CHECK (rows_duplicate >= 0),
    rows_quarantined INTEGER NOT NULL CHECK (rows_quarantined >= 0),
    CHECK (rows_read = rows_new + rows_corrected + rows_unchanged + rows_duplicate + rows_quarantined)
) STRICT;

CREATE INDEX loads_by_file ON loads (source, file_sha256);

CREATE TABLE load_quarantine (
    load_id INTEGER NOT NULL REFERENCES loads (load_id),
    line    INTEGER NOT NULL,
    field   TEXT NOT NULL,
    -- Masked when the field is personal data: never the plaintext of an ID, phone or name.
    value   TEXT NOT NULL,
    reason  TEXT NOT NULL,
    detail  TEXT NOT NULL
) STRICT;

CREATE INDEX load_quarantine_by_load ON load_quarantine (load_id);

CREATE TABLE record_tables (
    source        TEXT PRIMARY KEY,
    columns_json  TEXT NOT NULL
) STRICT;

CREATE TRIGGER loads_append_only_update BEFORE UPDATE ON loads
BEGIN SELECT RAISE(ABORT, 'loads are append-only'); END;
CREATE TRIGGER loads_append_only_delete BEFORE DELETE ON loads
BEGIN SELECT RAISE(ABORT, 'loads are append-only'); END;
CREATE TRIGGER load_quarantine_append_only_update BEFORE UPDATE ON load_quarantine
BEGIN SELECT RAISE(ABORT, 'load_quarantine is append-only'); END;
CREATE TRIGGER load_quarantine_append_only_delete BEFORE DELETE ON load_quarantine
BEGIN SELECT RAISE(ABORT, 'load_quarantine is append-only'); END;
CREATE TRIGGER record_tables_append_only_update BEFORE UPDATE ON record_tables
BEGIN SELECT RAISE(ABORT, 'record_tables is append-only'); END;
