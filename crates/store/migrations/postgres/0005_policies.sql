-- Credit-policy versions and their lifecycle: SQLite's 0005_policies in PostgreSQL's types. A version is the JDM
-- document of one policy (opaque, keyed by its SHA-256, kept as the exact text written), with the region and segment
-- it serves and the date it takes effect. Its status is the latest row of an append-only history: submitted →
-- approved → shadow | active → retired. The submission and change times are the caller's text, kept byte for byte
-- (`text`), as on SQLite, which lists versions in that text's order.

CREATE TABLE policy_versions (
    policy_id      text PRIMARY KEY CHECK (policy_id ~ '^[0-9a-f]{64}$'),
    name           text NOT NULL CHECK (name <> ''),
    version        text NOT NULL CHECK (version <> ''),
    -- A county-code prefix the version serves ('' = every region), and a segment ('' = every segment).
    region         text NOT NULL,
    segment        text NOT NULL,
    effective_from date NOT NULL,
    submitted_by   text NOT NULL CHECK (submitted_by <> ''),
    submitted_at   text NOT NULL,
    jdm_json       text NOT NULL,
    UNIQUE (name, version)
);

-- Moves lock the versions of one name, region and segment; dispatch reads one name.
CREATE INDEX policy_versions_by_group ON policy_versions (name, region, segment, policy_id);

CREATE TABLE policy_status_changes (
    policy_id  text NOT NULL REFERENCES policy_versions (policy_id),
    seq        integer NOT NULL CHECK (seq > 0),
    to_status  text NOT NULL CHECK (to_status IN ('submitted', 'approved', 'shadow', 'active', 'retired')),
    changed_by text NOT NULL CHECK (changed_by <> ''),
    changed_at text NOT NULL,
    reason     text NOT NULL,
    PRIMARY KEY (policy_id, seq),
    CHECK ((seq = 1) = (to_status = 'submitted'))
);

-- Each version with the status of its latest history row.
CREATE VIEW policy_summaries AS
SELECT p.policy_id, p.name, p.version, p.region, p.segment, p.effective_from, p.submitted_by, p.submitted_at,
       c.to_status AS status
FROM policy_versions AS p
JOIN LATERAL (SELECT to_status FROM policy_status_changes WHERE policy_id = p.policy_id ORDER BY seq DESC LIMIT 1)
  AS c ON true;

-- Maker-checker, stated by the schema itself: the approver is not the submitter.
CREATE FUNCTION policy_status_changes_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.to_status = 'approved'
       AND NEW.changed_by = (SELECT submitted_by FROM policy_versions WHERE policy_id = NEW.policy_id) THEN
        RAISE EXCEPTION 'policy_status_changes: a policy is approved by someone other than its author'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER policy_approval_by_a_second_person BEFORE INSERT ON policy_status_changes
    FOR EACH ROW EXECUTE FUNCTION policy_status_changes_check();

CREATE TRIGGER policy_versions_no_update BEFORE UPDATE ON policy_versions
    FOR EACH ROW EXECUTE FUNCTION refuse_change('policy versions are immutable');
CREATE TRIGGER policy_versions_no_delete BEFORE DELETE ON policy_versions
    FOR EACH ROW EXECUTE FUNCTION refuse_change('policy versions are immutable');
CREATE TRIGGER policy_versions_no_truncate BEFORE TRUNCATE ON policy_versions
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('policy versions are immutable');
CREATE TRIGGER policy_status_changes_no_update BEFORE UPDATE ON policy_status_changes
    FOR EACH ROW EXECUTE FUNCTION refuse_change('policy_status_changes are append-only');
CREATE TRIGGER policy_status_changes_no_delete BEFORE DELETE ON policy_status_changes
    FOR EACH ROW EXECUTE FUNCTION refuse_change('policy_status_changes are append-only');
CREATE TRIGGER policy_status_changes_no_truncate BEFORE TRUNCATE ON policy_status_changes
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('policy_status_changes are append-only');
