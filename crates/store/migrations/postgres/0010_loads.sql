-- Source-file loads, as SQLite's 0003_loads: one row per committed load of one file, the rows it set aside, and the
-- columns each record table was created with. The record tables themselves (`rec_<source>`) are created from the
-- data contracts at run time (`PgStore::ensure_record_table`). A load locks `loads` (`SHARE ROW EXCLUSIVE`, which
-- conflicts with itself but not with readers) for its whole transaction, so loads are serialised as SQLite's write
-- lock serialises them: load ids are numbered without gaps and a second load of a file reads the first one's rows.
-- `as_of` is a `date`; `loaded_at` is the text the trait carries, kept exactly. All three tables are append-only.
CREATE TABLE loads (
    load_id          bigint PRIMARY KEY CHECK (load_id > 0),
    source           text NOT NULL CHECK (source <> ''),
    file_name        text NOT NULL,
    file_sha256      text NOT NULL CHECK (length(file_sha256) = 64),
    contract_version integer NOT NULL,
    format           text NOT NULL CHECK (format IN ('csv', 'jsonl')),
    encoding         text NOT NULL,
    as_of            date NOT NULL,
    loaded_at        text NOT NULL,
    rows_read        bigint NOT NULL CHECK (rows_read >= 0),
    rows_new         bigint NOT NULL CHECK (rows_new >= 0),
    rows_corrected   bigint NOT NULL CHECK (rows_corrected >= 0),
    rows_unchanged   bigint NOT NULL CHECK (rows_unchanged >= 0),
    rows_duplicate   bigint NOT NULL CHECK (rows_duplicate >= 0),
    rows_quarantined bigint NOT NULL CHECK (rows_quarantined >= 0),
    CHECK (rows_read = rows_new + rows_corrected + rows_unchanged + rows_duplicate + rows_quarantined)
);

CREATE INDEX loads_by_file ON loads (source, file_sha256);

CREATE TABLE load_quarantine (
    load_id bigint NOT NULL REFERENCES loads (load_id),
    line    bigint NOT NULL,
    field   text NOT NULL,
    -- Masked when the field is personal data: never the plaintext of an ID, phone or name.
    value   text NOT NULL,
    reason  text NOT NULL,
    detail  text NOT NULL
);

CREATE INDEX load_quarantine_by_load ON load_quarantine (load_id, line);

CREATE TABLE record_tables (
    source       text COLLATE "C" PRIMARY KEY,
    columns_json text NOT NULL
);

CREATE TRIGGER loads_no_update BEFORE UPDATE ON loads
    FOR EACH ROW EXECUTE FUNCTION refuse_change('loads are append-only');
CREATE TRIGGER loads_no_delete BEFORE DELETE ON loads
    FOR EACH ROW EXECUTE FUNCTION refuse_change('loads are append-only');
CREATE TRIGGER loads_no_truncate BEFORE TRUNCATE ON loads
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('loads are append-only');
CREATE TRIGGER load_quarantine_no_update BEFORE UPDATE ON load_quarantine
    FOR EACH ROW EXECUTE FUNCTION refuse_change('load_quarantine is append-only');
CREATE TRIGGER load_quarantine_no_delete BEFORE DELETE ON load_quarantine
    FOR EACH ROW EXECUTE FUNCTION refuse_change('load_quarantine is append-only');
CREATE TRIGGER load_quarantine_no_truncate BEFORE TRUNCATE ON load_quarantine
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('load_quarantine is append-only');
CREATE TRIGGER record_tables_no_update BEFORE UPDATE ON record_tables
    FOR EACH ROW EXECUTE FUNCTION refuse_change('record_tables is append-only');
CREATE TRIGGER record_tables_no_delete BEFORE DELETE ON record_tables
    FOR EACH ROW EXECUTE FUNCTION refuse_change('record_tables is append-only');
CREATE TRIGGER record_tables_no_truncate BEFORE TRUNCATE ON record_tables
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('record_tables is append-only');
