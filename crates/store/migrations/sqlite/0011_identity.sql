-- Who may act: users (people who sign in), API keys (systems), sessions and every sign-in attempt.
-- Users are never deleted, only disabled; their username and its look-alike skeleton never change. Keys are never
-- deleted and never edited but for their revocation (once) and their last use. Login attempts are append-only.
-- `identity_version` moves whenever a user or key is added or changed, so a server caching keys reloads them.
CREATE TABLE users (
    username      TEXT PRIMARY KEY CHECK (length(username) BETWEEN 3 AND 32),
    skeleton      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role <> ''),
    branches      TEXT NOT NULL CHECK (branches <> ''),
    password_hash TEXT NOT NULL CHECK (password_hash LIKE '$argon2%'),
    enabled       INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL CHECK (created_by <> ''),
    updated_at    TEXT NOT NULL
) STRICT;

CREATE TRIGGER users_no_delete BEFORE DELETE ON users
BEGIN SELECT RAISE(ABORT, 'users are never deleted, only disabled'); END;
CREATE TRIGGER users_fixed_names BEFORE UPDATE OF username, skeleton, created_at, created_by ON users
BEGIN SELECT RAISE(ABORT, 'a user''s username and creation are fixed'); END;

CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY CHECK (length(id) = 12),
    name          TEXT NOT NULL CHECK (name <> ''),
    secret_digest TEXT NOT NULL CHECK (length(secret_digest) = 64),
    role          TEXT NOT NULL CHECK (role <> ''),
    only_perms    TEXT NOT NULL,
    branches      TEXT NOT NULL CHECK (branches <> ''),
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL CHECK (created_by <> ''),
    expires_at    TEXT NOT NULL,
    revoked_at    TEXT,
    last_used_at  TEXT
) STRICT;

CREATE TRIGGER api_keys_no_delete BEFORE DELETE ON api_keys
BEGIN SELECT RAISE(ABORT, 'api keys are never deleted, only revoked'); END;
CREATE TRIGGER api_keys_fixed BEFORE UPDATE OF id, name, secret_digest, role, only_perms, branches, created_at,
    created_by, expires_at ON api_keys
BEGIN SELECT RAISE(ABORT, 'an api key is never edited, only revoked'); END;
CREATE TRIGGER api_keys_revoked_once BEFORE UPDATE OF revoked_at ON api_keys
WHEN OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS NOT OLD.revoked_at
BEGIN SELECT RAISE(ABORT, 'an api key is revoked once'); END;

CREATE TABLE sessions (
    digest              TEXT PRIMARY KEY CHECK (length(digest) = 64),
    username            TEXT NOT NULL REFERENCES users (username),
    address             TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    idle_expires_at     TEXT NOT NULL,
    absolute_expires_at TEXT NOT NULL,
    ended_at            TEXT
) STRICT;
CREATE INDEX sessions_by_user ON sessions (username) WHERE ended_at IS NULL;

CREATE TABLE login_attempts (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    username  TEXT NOT NULL,
    address   TEXT NOT NULL,
    at        TEXT NOT NULL,
    -- `at` as Unix seconds: timestamps carry offsets, so their text does not sort by instant.
    at_unix   INTEGER NOT NULL,
    succeeded INTEGER NOT NULL CHECK (succeeded IN (0, 1))
) STRICT;
CREATE INDEX login_attempts_by_user ON login_attempts (username, at_unix);
CREATE INDEX login_attempts_by_address ON login_attempts (address, at_unix) WHERE succeeded = 0;

CREATE TRIGGER login_attempts_no_update BEFORE UPDATE ON login_attempts
BEGIN SELECT RAISE(ABORT, 'login_attempts are append-only'); END;
CREATE TRIGGER login_attempts_no_delete BEFORE DELETE ON login_attempts
BEGIN SELECT RAISE(ABORT, 'login_attempts are append-only'); END;

CREATE TABLE identity_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
) STRICT;
INSERT INTO identity_version (id, version) VALUES (1, 0);

CREATE TRIGGER identity_version_user_added AFTER INSERT ON users
BEGIN UPDATE identity_version SET version = version + 1; END;
CREATE TRIGGER identity_version_user_changed AFTER UPDATE ON users
BEGIN UPDATE identity_version SET version = version + 1; END;
CREATE TRIGGER identity_version_key_added AFTER INSERT ON api_keys
BEGIN UPDATE identity_version SET version = version + 1; END;
CREATE TRIGGER identity_version_key_revoked AFTER UPDATE OF revoked_at ON api_keys
BEGIN UPDATE identity_version SET version = version + 1; END;
