-- Credit-policy versions and their lifecycle. A version is the JDM document of one policy (opaque, keyed by its
-- SHA-256), with the region and segment it serves and the date it takes effect. Its status is the latest row of an
-- append-only history: submitted → approved → shadow | active → retired. Approval must come from a person other
-- than the one who submitted (maker-checker), and a version is activated only once approved.

CREATE TABLE policy_versions (
    policy_id      TEXT PRIMARY KEY CHECK (length(policy_id) = 64 AND policy_id NOT GLOB '*[^0-9a-f]*'),
    name           TEXT NOT NULL CHECK (name <> ''),
    version        TEXT NOT NULL CHECK (version <> ''),
    -- A county-code prefix the version serves ('' = every region), and a segment ('' = every segment).
    region         TEXT NOT NULL,
    segment        TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    submitted_by   TEXT NOT NULL CHECK (submitted_by <> ''),
    submitted_at   TEXT NOT NULL,
    jdm_json       TEXT NOT NULL,
    UNIQUE (name, version)
) STRICT;

CREATE TABLE policy_status_changes (
    policy_id  TEXT NOT NULL REFERENCES policy_versions (policy_id),
    seq        INTEGER NOT NULL CHECK (seq > 0),
    to_status  TEXT NOT NULL CHECK (to_status IN ('submitted', 'approved', 'shadow', 'active', 'retired')),
    changed_by TEXT NOT NULL CHECK (changed_by <> ''),
    changed_at TEXT NOT NULL,
    reason     TEXT NOT NULL,
    PRIMARY KEY (policy_id, seq),
    CHECK ((seq = 1) = (to_status = 'submitted'))
) STRICT;

-- Each version with the status of its latest history row.
CREATE VIEW policy_summaries AS
SELECT p.policy_id, p.name, p.version, p.region, p.segment, p.effective_from, p.submitted_by, p.submitted_at,
       c.to_status AS status
FROM policy_versions AS p
JOIN policy_status_changes AS c
  ON c.policy_id = p.policy_id AND c.seq = (SELECT MAX(seq) FROM policy_status_changes WHERE policy_id = p.policy_id);

-- Maker-checker, stated by the schema itself: the approver is not the submitter.
CREATE TRIGGER policy_approval_by_a_second_person BEFORE INSERT ON policy_status_changes
WHEN NEW.to_status = 'approved'
 AND NEW.changed_by = (SELECT submitted_by FROM policy_versions WHERE policy_id = NEW.policy_id)
BEGIN SELECT RAISE(ABORT, 'policy_status_changes: a policy is approved by someone other than its author'); END;

CREATE TRIGGER policy_versions_no_update BEFORE UPDATE ON policy_versions
BEGIN SELECT RAISE(ABORT, 'policy versions are immutable'); END;
CREATE TRIGGER policy_versions_no_delete BEFORE DELETE ON policy_versions
BEGIN SELECT RAISE(ABORT, 'policy versions are immutable'); END;
CREATE TRIGGER policy_status_changes_no_update BEFORE UPDATE ON policy_status_changes
BEGIN SELECT RAISE(ABORT, 'policy_status_changes are append-only'); END;
CREATE TRIGGER policy_status_changes_no_delete BEFORE DELETE ON policy_status_changes
BEGIN SELECT RAISE(ABORT, 'policy_status_changes are append-only'); END;
