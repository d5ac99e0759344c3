-- The audit trail, as SQLite's 0010_audit: one row per state change, numbered from 1 and hash-chained (`audit::link`),
-- written in the same transaction as the change it records and read back exactly as stored. `at` is a `timestamptz`
-- (exports select spans of time by instant); `at_offset_s` keeps the UTC offset the entry was written with, so the
-- entry's time reads back as the very text it was chained with (`2026-12-01T09:00:00+08:00`, not the session's
-- zone). Appenders serialise on a table lock taken inside their transaction (`LOCK TABLE audit_log IN SHARE ROW
-- EXCLUSIVE MODE`), so two never read the same head.
CREATE TABLE audit_log (
    seq           bigint PRIMARY KEY CHECK (seq > 0),
    at            timestamptz NOT NULL,
    at_offset_s   integer NOT NULL CHECK (at_offset_s BETWEEN -86399 AND 86399),
    actor         text NOT NULL CHECK (actor <> ''),
    origin        text NOT NULL CHECK (origin <> ''),
    action        text NOT NULL CHECK (action <> ''),
    target        text NOT NULL,
    outcome       text NOT NULL CHECK (outcome <> ''),
    before_sha256 text CHECK (before_sha256 IS NULL OR length(before_sha256) = 64),
    after_sha256  text CHECK (after_sha256 IS NULL OR length(after_sha256) = 64),
    detail        text NOT NULL,
    prev          text NOT NULL CHECK (length(prev) = 64),
    hash          text NOT NULL CHECK (length(hash) = 64)
);

-- Exports select a span of time.
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION refuse_change('audit_log is append-only');
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION refuse_change('audit_log is append-only');
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('audit_log is append-only');
