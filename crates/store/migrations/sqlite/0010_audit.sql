-- The audit trail (issue 14): one row per state change, login, refused attempt or read of personal data, numbered
-- from 1 and hash-chained (`audit::link`): `prev` is the hash of the entry before (all zeros for the first) and
-- `hash` the entry's own, both 64 hex digits. Written in the same transaction as the change it records, read back
-- exactly as stored. Append-only: the triggers refuse every edit and deletion; `agririsk audit verify` finds one
-- made by someone who dropped them.
CREATE TABLE audit_log (
    seq           INTEGER PRIMARY KEY CHECK (seq > 0),
    at            TEXT NOT NULL,
    actor         TEXT NOT NULL CHECK (actor <> ''),
    origin        TEXT NOT NULL CHECK (origin <> ''),
    action        TEXT NOT NULL CHECK (action <> ''),
    target        TEXT NOT NULL,
    outcome       TEXT NOT NULL CHECK (outcome <> ''),
    before_sha256 TEXT CHECK (before_sha256 IS NULL OR length(before_sha256) = 64),
    after_sha256  TEXT CHECK (after_sha256 IS NULL OR length(after_sha256) = 64),
    detail        TEXT NOT NULL,
    prev          TEXT NOT NULL CHECK (length(prev) = 64),
    hash          TEXT NOT NULL CHECK (length(hash) = 64)
) STRICT;

-- Exports select a span of dates.
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
