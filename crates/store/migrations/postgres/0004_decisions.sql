-- Credit decisions, stored once and never changed, and the applicants' requests for human review of them (PIPL
-- art. 24): SQLite's 0004_decisions with 0008's request ids, in PostgreSQL's types. A decision row holds the whole
-- record as the exact JSON text written plus the columns it is looked up by. The client's request id is unique, so
-- of two writers with one request id exactly one inserts; the other finds the stored decision.
-- Instants are `timestamptz` with the UTC offset they were written with (`*_offset_s`), so they read back as the
-- very text recorded, as the audit trail's do.

CREATE TABLE decisions (
    decision_id         text PRIMARY KEY CHECK (decision_id <> ''),
    request_id          text NOT NULL UNIQUE CHECK (request_id <> ''),
    -- SHA-256 of the submitted request, 64 lowercase hex digits.
    request_sha256      text NOT NULL CHECK (request_sha256 ~ '^[0-9a-f]{64}$'),
    subject             text NOT NULL CHECK (subject <> ''),
    outcome             text NOT NULL CHECK (outcome IN ('approve', 'refer', 'decline')),
    policy_version      text NOT NULL CHECK (policy_version <> ''),
    model_id            text,
    decided_at          timestamptz NOT NULL,
    decided_at_offset_s integer NOT NULL CHECK (decided_at_offset_s BETWEEN -86399 AND 86399),
    record_json         text NOT NULL
);

-- A subject's decisions page by (decided_at, decision_id).
CREATE INDEX decisions_by_subject ON decisions (subject, decided_at, decision_id);

CREATE TABLE review_requests (
    decision_id           text NOT NULL REFERENCES decisions (decision_id),
    seq                   integer NOT NULL CHECK (seq > 0),
    requested_at          timestamptz NOT NULL,
    requested_at_offset_s integer NOT NULL CHECK (requested_at_offset_s BETWEEN -86399 AND 86399),
    channel               text NOT NULL CHECK (channel <> ''),
    note                  text NOT NULL,
    -- The client's request id (idempotency key); requests copied from before SQLite's 0008 have none.
    request_id            text CHECK (request_id IS NULL OR request_id <> ''),
    PRIMARY KEY (decision_id, seq)
);

CREATE UNIQUE INDEX review_requests_by_request_id ON review_requests (request_id) WHERE request_id IS NOT NULL;

-- Only a declined or referred decision can be put to a person.
CREATE FUNCTION review_requests_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT outcome FROM decisions WHERE decision_id = NEW.decision_id) NOT IN ('decline', 'refer') THEN
        RAISE EXCEPTION 'review_requests: only a declined or referred decision can be reviewed'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER review_requests_only_for_declined_or_referred BEFORE INSERT ON review_requests
    FOR EACH ROW EXECUTE FUNCTION review_requests_check();

CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
    FOR EACH ROW EXECUTE FUNCTION refuse_change('decisions are immutable');
CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
    FOR EACH ROW EXECUTE FUNCTION refuse_change('decisions are immutable');
CREATE TRIGGER decisions_no_truncate BEFORE TRUNCATE ON decisions
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('decisions are immutable');
CREATE TRIGGER review_requests_no_update BEFORE UPDATE ON review_requests
    FOR EACH ROW EXECUTE FUNCTION refuse_change('review_requests are append-only');
CREATE TRIGGER review_requests_no_delete BEFORE DELETE ON review_requests
    FOR EACH ROW EXECUTE FUNCTION refuse_change('review_requests are append-only');
CREATE TRIGGER review_requests_no_truncate BEFORE TRUNCATE ON review_requests
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('review_requests are append-only');
