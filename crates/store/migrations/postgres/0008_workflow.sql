-- Manual review and disbursement of credit decisions: the final shape of SQLite's 0006_workflow,
-- 0007_disbursement_requests and the workflow parts of 0014_dual_control, in PostgreSQL's types. Officers are
-- immutable; an officer's authority changes only as a new row of `officer_authority`. A case's review state is
-- derived from its append-only actions (view `review_states`), each of which keeps the authority its officer had when
-- it was taken, so a state never changes afterwards. A decision is disbursed at most once, idempotently by request
-- id. Instants are `timestamptz` beside the UTC offset they were written with (`…_offset_s`), so each reads back as
-- the very text recorded. The triggers state the workflow's rules on their own; the store applies the same rules
-- under the decision's row lock.

CREATE TABLE officers (
    officer_id             text PRIMARY KEY CHECK (officer_id <> ''),
    name                   text NOT NULL CHECK (name <> ''),
    branch                 text NOT NULL CHECK (branch <> ''),
    -- The largest amount the officer may approve alone, as registered, in fen.
    authority_fen          bigint NOT NULL CHECK (authority_fen >= 0),
    registered_at          timestamptz NOT NULL,
    registered_at_offset_s integer NOT NULL CHECK (registered_at_offset_s BETWEEN -86399 AND 86399)
);

-- An officer's authority over time: one row per confirmed dual-control proposal that changed it (the proposal's
-- reference and its rule are 0009's). The authority in force is the latest row, else the registered one.
CREATE TABLE officer_authority (
    officer_id            text NOT NULL REFERENCES officers (officer_id),
    seq                   integer NOT NULL CHECK (seq > 0),
    authority_fen         bigint NOT NULL CHECK (authority_fen >= 0),
    effective_at          timestamptz NOT NULL,
    effective_at_offset_s integer NOT NULL CHECK (effective_at_offset_s BETWEEN -86399 AND 86399),
    set_by                text NOT NULL CHECK (set_by <> ''),
    proposal_id           text NOT NULL UNIQUE,
    PRIMARY KEY (officer_id, seq)
);

-- The authority an officer has now.
CREATE FUNCTION officer_authority_now(officer text) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT COALESCE((SELECT authority_fen FROM officer_authority WHERE officer_id = officer
                     ORDER BY seq DESC LIMIT 1),
                    (SELECT authority_fen FROM officers WHERE officer_id = officer));
$$;

CREATE TABLE review_actions (
    decision_id       text NOT NULL REFERENCES decisions (decision_id),
    seq               integer NOT NULL CHECK (seq > 0),
    officer_id        text NOT NULL REFERENCES officers (officer_id),
    action            text NOT NULL CHECK (action IN ('approve', 'decline', 'confirm', 'reject')),
    -- The approved amount on an approval; a checker confirms the maker's amount and states none.
    amount_fen        bigint CHECK (amount_fen > 0),
    -- The officer's authority in force when the action was taken.
    authority_fen     bigint NOT NULL CHECK (authority_fen >= 0),
    reason            text NOT NULL CHECK (reason <> ''),
    acted_at          timestamptz NOT NULL,
    acted_at_offset_s integer NOT NULL CHECK (acted_at_offset_s BETWEEN -86399 AND 86399),
    PRIMARY KEY (decision_id, seq),
    CHECK ((action = 'approve') = (amount_fen IS NOT NULL))
);

-- Each decision with its review state. A case has at most two actions: the maker's approve or decline (seq 1) and,
-- after an approval above the maker's authority, the checker's confirm or reject (seq 2).
CREATE VIEW review_states AS
SELECT d.decision_id, d.subject, d.decided_at, d.decided_at_offset_s, d.outcome,
       CASE
           WHEN d.outcome <> 'refer' THEN 'not-referred'
           WHEN m.action IS NULL THEN 'pending'
           WHEN m.action = 'decline' THEN 'declined'
           WHEN c.action = 'confirm' THEN 'approved'
           WHEN c.action = 'reject' THEN 'declined'
           WHEN m.amount_fen <= m.authority_fen THEN 'approved'
           ELSE 'awaiting-check'
       END AS state,
       m.officer_id AS maker, m.amount_fen, c.officer_id AS checker
FROM decisions AS d
LEFT JOIN review_actions AS m ON m.decision_id = d.decision_id AND m.seq = 1
LEFT JOIN review_actions AS c ON c.decision_id = d.decision_id AND c.seq = 2;

-- The review queue reads referred decisions oldest first (ties by id, byte order as on SQLite).
CREATE INDEX decisions_referred ON decisions (decided_at, decision_id COLLATE "C") WHERE outcome = 'refer';

-- The workflow, stated by the schema itself: each check names one rule; together they admit exactly the moves
-- `ReviewState::after` allows, with the checker's authority the one in force now.
CREATE FUNCTION review_actions_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    s review_states%ROWTYPE;
BEGIN
    SELECT * INTO s FROM review_states WHERE decision_id = NEW.decision_id;
    IF s.outcome IS DISTINCT FROM 'refer' THEN
        RAISE EXCEPTION 'review_actions: only a referred decision is reviewed' USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.seq <> (SELECT COUNT(*) + 1 FROM review_actions WHERE decision_id = NEW.decision_id) THEN
        RAISE EXCEPTION 'review_actions: seq must follow the last action' USING ERRCODE = 'check_violation';
    END IF;
    IF s.state IN ('approved', 'declined') THEN
        RAISE EXCEPTION 'review_actions: the review is final' USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.action IN ('approve', 'decline') AND s.state = 'awaiting-check' THEN
        RAISE EXCEPTION 'review_actions: an approval awaits its check' USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.action IN ('confirm', 'reject') AND s.state = 'pending' THEN
        RAISE EXCEPTION 'review_actions: no approval awaits a check' USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.action IN ('confirm', 'reject') AND NEW.officer_id = s.maker THEN
        RAISE EXCEPTION 'review_actions: an officer cannot check their own approval' USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.authority_fen IS DISTINCT FROM officer_authority_now(NEW.officer_id) THEN
        RAISE EXCEPTION 'review_actions: the authority kept is not the one in force' USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.action IN ('confirm', 'reject') AND NEW.authority_fen < s.amount_fen THEN
        RAISE EXCEPTION 'review_actions: the checker''s authority is below the amount'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER review_actions_follow_the_workflow BEFORE INSERT ON review_actions
    FOR EACH ROW EXECUTE FUNCTION review_actions_check();

CREATE TABLE disbursements (
    decision_id           text PRIMARY KEY REFERENCES decisions (decision_id),
    loan_id               text NOT NULL UNIQUE CHECK (loan_id <> ''),
    -- The client's request id (idempotency key).
    request_id            text NOT NULL UNIQUE CHECK (request_id <> ''),
    amount_fen            bigint NOT NULL CHECK (amount_fen > 0),
    disbursed_at          timestamptz NOT NULL,
    disbursed_at_offset_s integer NOT NULL CHECK (disbursed_at_offset_s BETWEEN -86399 AND 86399),
    -- SHA-256 of the request's canonical form; empty on disbursements copied from before SQLite's 0007, which are
    -- compared field by field.
    request_sha256        text NOT NULL
);

-- An automated approval is disbursed at the amount its caller read from the decision record; a reviewed one at most
-- at the approved amount.
CREATE FUNCTION disbursements_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM review_states AS s
                   WHERE s.decision_id = NEW.decision_id
                     AND (s.outcome = 'approve' OR (s.state = 'approved' AND NEW.amount_fen <= s.amount_fen))) THEN
        RAISE EXCEPTION 'disbursements: only an approved decision is disbursed, up to the approved amount'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER disbursements_only_when_approved BEFORE INSERT ON disbursements
    FOR EACH ROW EXECUTE FUNCTION disbursements_check();

CREATE FUNCTION officer_authority_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.seq <> (SELECT COUNT(*) + 1 FROM officer_authority WHERE officer_id = NEW.officer_id) THEN
        RAISE EXCEPTION 'officer_authority: seq must follow the last change' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER officer_authority_in_sequence BEFORE INSERT ON officer_authority
    FOR EACH ROW EXECUTE FUNCTION officer_authority_check();

CREATE TRIGGER officers_no_update BEFORE UPDATE ON officers
    FOR EACH ROW EXECUTE FUNCTION refuse_change('officers are immutable');
CREATE TRIGGER officers_no_delete BEFORE DELETE ON officers
    FOR EACH ROW EXECUTE FUNCTION refuse_change('officers are immutable');
CREATE TRIGGER officers_no_truncate BEFORE TRUNCATE ON officers
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('officers are immutable');
CREATE TRIGGER officer_authority_no_update BEFORE UPDATE ON officer_authority
    FOR EACH ROW EXECUTE FUNCTION refuse_change('officer_authority is append-only');
CREATE TRIGGER officer_authority_no_delete BEFORE DELETE ON officer_authority
    FOR EACH ROW EXECUTE FUNCTION refuse_change('officer_authority is append-only');
CREATE TRIGGER officer_authority_no_truncate BEFORE TRUNCATE ON officer_authority
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('officer_authority is append-only');
CREATE TRIGGER review_actions_no_update BEFORE UPDATE ON review_actions
    FOR EACH ROW EXECUTE FUNCTION refuse_change('review_actions are append-only');
CREATE TRIGGER review_actions_no_delete BEFORE DELETE ON review_actions
    FOR EACH ROW EXECUTE FUNCTION refuse_change('review_actions are append-only');
CREATE TRIGGER review_actions_no_truncate BEFORE TRUNCATE ON review_actions
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('review_actions are append-only');
CREATE TRIGGER disbursements_no_update BEFORE UPDATE ON disbursements
    FOR EACH ROW EXECUTE FUNCTION refuse_change('disbursements are append-only');
CREATE TRIGGER disbursements_no_delete BEFORE DELETE ON disbursements
    FOR EACH ROW EXECUTE FUNCTION refuse_change('disbursements are append-only');
CREATE TRIGGER disbursements_no_truncate BEFORE TRUNCATE ON disbursements
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('disbursements are append-only');
