-- Who may act, as SQLite's 0011_identity: users (people who sign in), API keys (systems), sessions and every sign-in
-- attempt. Users are never deleted, only disabled; their username and its look-alike skeleton never change. Keys are
-- never deleted and never edited but for their revocation (once) and their last use. Login attempts are append-only.
-- Instants are `timestamptz` beside the UTC offset they were written with (`…_offset_s`), so each reads back as the
-- very text it was given, as the audit trail's `at` does. Usernames compare byte by byte (`COLLATE "C"`), as on
-- SQLite, so lists come back in the same order on both engines.
CREATE TABLE users (
    username             text COLLATE "C" PRIMARY KEY CHECK (length(username) BETWEEN 3 AND 32),
    skeleton             text COLLATE "C" NOT NULL UNIQUE,
    display_name         text NOT NULL,
    role                 text NOT NULL CHECK (role <> ''),
    branches             text NOT NULL CHECK (branches <> ''),
    password_hash        text NOT NULL CHECK (password_hash LIKE '$argon2%'),
    enabled              boolean NOT NULL,
    created_at           timestamptz NOT NULL,
    created_at_offset_s  integer NOT NULL CHECK (created_at_offset_s BETWEEN -86399 AND 86399),
    created_by           text NOT NULL CHECK (created_by <> ''),
    updated_at           timestamptz NOT NULL,
    updated_at_offset_s  integer NOT NULL CHECK (updated_at_offset_s BETWEEN -86399 AND 86399)
);

CREATE TRIGGER users_no_delete BEFORE DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION refuse_change('users are never deleted, only disabled');
CREATE TRIGGER users_no_truncate BEFORE TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('users are never deleted, only disabled');
CREATE TRIGGER users_fixed_names BEFORE UPDATE ON users FOR EACH ROW
    WHEN (NEW.username IS DISTINCT FROM OLD.username OR NEW.skeleton IS DISTINCT FROM OLD.skeleton
          OR NEW.created_at IS DISTINCT FROM OLD.created_at
          OR NEW.created_at_offset_s IS DISTINCT FROM OLD.created_at_offset_s
          OR NEW.created_by IS DISTINCT FROM OLD.created_by)
    EXECUTE FUNCTION refuse_change('a user''s username and creation are fixed');

CREATE TABLE api_keys (
    id                     text COLLATE "C" PRIMARY KEY CHECK (length(id) = 12),
    name                   text NOT NULL CHECK (name <> ''),
    secret_digest          text NOT NULL CHECK (length(secret_digest) = 64),
    role                   text NOT NULL CHECK (role <> ''),
    only_perms             text NOT NULL,
    branches               text NOT NULL CHECK (branches <> ''),
    created_at             timestamptz NOT NULL,
    created_at_offset_s    integer NOT NULL CHECK (created_at_offset_s BETWEEN -86399 AND 86399),
    created_by             text NOT NULL CHECK (created_by <> ''),
    expires_at             timestamptz NOT NULL,
    expires_at_offset_s    integer NOT NULL CHECK (expires_at_offset_s BETWEEN -86399 AND 86399),
    revoked_at             timestamptz,
    revoked_at_offset_s    integer CHECK (revoked_at_offset_s BETWEEN -86399 AND 86399),
    last_used_at           timestamptz,
    last_used_at_offset_s  integer CHECK (last_used_at_offset_s BETWEEN -86399 AND 86399),
    CHECK ((revoked_at IS NULL) = (revoked_at_offset_s IS NULL)),
    CHECK ((last_used_at IS NULL) = (last_used_at_offset_s IS NULL))
);

CREATE TRIGGER api_keys_no_delete BEFORE DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION refuse_change('api keys are never deleted, only revoked');
CREATE TRIGGER api_keys_no_truncate BEFORE TRUNCATE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('api keys are never deleted, only revoked');
CREATE TRIGGER api_keys_fixed BEFORE UPDATE ON api_keys FOR EACH ROW
    WHEN (NEW.id IS DISTINCT FROM OLD.id OR NEW.name IS DISTINCT FROM OLD.name
          OR NEW.secret_digest IS DISTINCT FROM OLD.secret_digest OR NEW.role IS DISTINCT FROM OLD.role
          OR NEW.only_perms IS DISTINCT FROM OLD.only_perms OR NEW.branches IS DISTINCT FROM OLD.branches
          OR NEW.created_at IS DISTINCT FROM OLD.created_at
          OR NEW.created_at_offset_s IS DISTINCT FROM OLD.created_at_offset_s
          OR NEW.created_by IS DISTINCT FROM OLD.created_by OR NEW.expires_at IS DISTINCT FROM OLD.expires_at
          OR NEW.expires_at_offset_s IS DISTINCT FROM OLD.expires_at_offset_s)
    EXECUTE FUNCTION refuse_change('an api key is never edited, only revoked');
CREATE TRIGGER api_keys_revoked_once BEFORE UPDATE ON api_keys FOR EACH ROW
    WHEN (OLD.revoked_at IS NOT NULL AND (NEW.revoked_at IS DISTINCT FROM OLD.revoked_at
                                          OR NEW.revoked_at_offset_s IS DISTINCT FROM OLD.revoked_at_offset_s))
    EXECUTE FUNCTION refuse_change('an api key is revoked once');

CREATE TABLE sessions (
    digest                        text PRIMARY KEY CHECK (length(digest) = 64),
    username                      text COLLATE "C" NOT NULL REFERENCES users (username),
    address                       text NOT NULL,
    created_at                    timestamptz NOT NULL,
    created_at_offset_s           integer NOT NULL CHECK (created_at_offset_s BETWEEN -86399 AND 86399),
    idle_expires_at               timestamptz NOT NULL,
    idle_expires_at_offset_s      integer NOT NULL CHECK (idle_expires_at_offset_s BETWEEN -86399 AND 86399),
    absolute_expires_at           timestamptz NOT NULL,
    absolute_expires_at_offset_s  integer NOT NULL CHECK (absolute_expires_at_offset_s BETWEEN -86399 AND 86399),
    ended_at                      timestamptz,
    ended_at_offset_s             integer CHECK (ended_at_offset_s BETWEEN -86399 AND 86399),
    CHECK ((ended_at IS NULL) = (ended_at_offset_s IS NULL))
);
CREATE INDEX sessions_by_user ON sessions (username) WHERE ended_at IS NULL;

CREATE TABLE login_attempts (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username    text NOT NULL,
    address     text NOT NULL,
    at          timestamptz NOT NULL,
    at_offset_s integer NOT NULL CHECK (at_offset_s BETWEEN -86399 AND 86399),
    succeeded   boolean NOT NULL
);
CREATE INDEX login_attempts_by_user ON login_attempts (username, at);
CREATE INDEX login_attempts_by_address ON login_attempts (address, at) WHERE NOT succeeded;

CREATE TRIGGER login_attempts_no_update BEFORE UPDATE ON login_attempts
    FOR EACH ROW EXECUTE FUNCTION refuse_change('login_attempts are append-only');
CREATE TRIGGER login_attempts_no_delete BEFORE DELETE ON login_attempts
    FOR EACH ROW EXECUTE FUNCTION refuse_change('login_attempts are append-only');
CREATE TRIGGER login_attempts_no_truncate BEFORE TRUNCATE ON login_attempts
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('login_attempts are append-only');

-- Moves whenever a user or key is added or changed (not when a key is merely used), so a server caching keys
-- reloads them. The triggers update this one row in the writer's transaction: concurrent writers queue on its row
-- lock, so every change moves the version by one and none is lost.
CREATE TABLE identity_version (
    id      integer PRIMARY KEY CHECK (id = 1),
    version bigint NOT NULL
);
INSERT INTO identity_version (id, version) VALUES (1, 0);

CREATE TRIGGER identity_version_no_delete BEFORE DELETE ON identity_version
    FOR EACH ROW EXECUTE FUNCTION refuse_change('identity_version is never deleted');
CREATE TRIGGER identity_version_no_truncate BEFORE TRUNCATE ON identity_version
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('identity_version is never deleted');

CREATE FUNCTION identity_version_moves() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE identity_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER identity_version_user_added AFTER INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION identity_version_moves();
CREATE TRIGGER identity_version_user_changed AFTER UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION identity_version_moves();
CREATE TRIGGER identity_version_key_added AFTER INSERT ON api_keys
    FOR EACH ROW EXECUTE FUNCTION identity_version_moves();
CREATE TRIGGER identity_version_key_revoked AFTER UPDATE OF revoked_at ON api_keys
    FOR EACH ROW EXECUTE FUNCTION identity_version_moves();
