-- Credit decisions, stored once and never changed, and the applicants' requests for human review of them
-- (PIPL art. 24). A decision row holds the whole record as JSON (outcome, limit, price, tier, product, schedule,
-- reasons, trace, feature values, policy and model versions) plus the columns it is looked up by. The client's
-- request id makes submission idempotent: the same request id with the same request gives the stored decision back,
-- with a different request it is refused.

CREATE TABLE decisions (
    decision_id    TEXT PRIMARY KEY CHECK (decision_id <> ''),
    request_id     TEXT NOT NULL UNIQUE CHECK (request_id <> ''),
    -- SHA-256 of the submitted request, 64 lowercase hex digits.
    request_sha256 TEXT NOT NULL CHECK (length(request_sha256) = 64 AND request_sha256 NOT GLOB '*[^0-9a-f]*'),
    subject        TEXT NOT NULL CHECK (subject <> ''),
    outcome        TEXT NOT NULL CHECK (outcome IN ('approve', 'refer', 'decline')),
    policy_version TEXT NOT NULL CHECK (policy_version <> ''),
    model_id       TEXT,
    decided_at     TEXT NOT NULL,
    record_json    TEXT NOT NULL
) STRICT;

CREATE INDEX decisions_by_subject ON decisions (subject, decided_at);

CREATE TABLE review_requests (
    decision_id  TEXT NOT NULL REFERENCES decisions (decision_id),
    seq          INTEGER NOT NULL CHECK (seq > 0),
    requested_at TEXT NOT NULL,
    channel      TEXT NOT NULL CHECK (channel <> ''),
    note         TEXT NOT NULL,
    PRIMARY KEY (decision_id, seq)
) STRICT;

-- Only a declined or referred decision can be put to a person.
CREATE TRIGGER review_requests_only_for_declined_or_referred BEFORE INSERT ON review_requests
WHEN (SELECT outcome FROM decisions WHERE decision_id = NEW.decision_id) NOT IN ('decline', 'refer')
BEGIN SELECT RAISE(ABORT, 'review_requests: only a declined or referred decision can be reviewed'); END;

CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are immutable'); END;
CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are immutable'); END;
CREATE TRIGGER review_requests_no_update BEFORE UPDATE ON review_requests
BEGIN SELECT RAISE(ABORT, 'review_requests are append-only'); END;
CREATE TRIGGER review_requests_no_delete BEFORE DELETE ON review_requests
BEGIN SELECT RAISE(ABORT, 'review_requests are append-only'); END;
