-- Manual review and disbursement of credit decisions. A referred decision goes to a loan officer; an officer's
-- approval above their authority waits for a second officer with enough authority (maker-checker). A case's review
-- state is derived from its append-only action history (view `review_states`), never stored as a status column.
-- A decision approved automatically or by review is disbursed at most once, idempotently by request id.

-- Officers are immutable: a review state is derived from the maker's authority, so changing it would rewrite
-- past outcomes. A new authority is a new officer id.
CREATE TABLE officers (
    officer_id    TEXT PRIMARY KEY CHECK (officer_id <> ''),
    name          TEXT NOT NULL CHECK (name <> ''),
    branch        TEXT NOT NULL CHECK (branch <> ''),
    -- The largest amount the officer may approve alone, in fen.
    authority_fen INTEGER NOT NULL CHECK (authority_fen >= 0),
    registered_at TEXT NOT NULL
) STRICT;

CREATE TABLE review_actions (
    decision_id TEXT NOT NULL REFERENCES decisions (decision_id),
    seq         INTEGER NOT NULL CHECK (seq > 0),
    officer_id  TEXT NOT NULL REFERENCES officers (officer_id),
    action      TEXT NOT NULL CHECK (action IN ('approve', 'decline', 'confirm', 'reject')),
    -- The approved amount on an approval; a checker confirms the maker's amount and states none.
    amount_fen  INTEGER CHECK (amount_fen > 0),
    reason      TEXT NOT NULL CHECK (reason <> ''),
    acted_at    TEXT NOT NULL,
    PRIMARY KEY (decision_id, seq),
    CHECK ((action = 'approve') = (amount_fen IS NOT NULL))
) STRICT;

-- Each decision with its review state. A case has at most two actions: the maker's approve or decline (seq 1) and,
-- after an approval above the maker's authority, the checker's confirm or reject (seq 2).
CREATE VIEW review_states AS
SELECT d.decision_id, d.subject, d.decided_at, d.outcome,
       CASE
           WHEN d.outcome <> 'refer' THEN 'not-referred'
           WHEN m.action IS NULL THEN 'pending'
           WHEN m.action = 'decline' THEN 'declined'
           WHEN c.action = 'confirm' THEN 'approved'
           WHEN c.action = 'reject' THEN 'declined'
           WHEN m.amount_fen <= o.authority_fen THEN 'approved'
           ELSE 'awaiting-check'
       END AS state,
       m.officer_id AS maker, m.amount_fen, c.officer_id AS checker
FROM decisions AS d
LEFT JOIN review_actions AS m ON m.decision_id = d.decision_id AND m.seq = 1
LEFT JOIN officers AS o ON o.officer_id = m.officer_id
LEFT JOIN review_actions AS c ON c.decision_id = d.decision_id AND c.seq = 2;

-- The review queue reads referred decisions oldest first.
CREATE INDEX decisions_referred ON decisions (decided_at, decision_id) WHERE outcome = 'refer';

-- The workflow, stated by the schema itself. Each trigger names one rule; together they admit exactly the moves
-- `ReviewState::after` allows.
CREATE TRIGGER review_actions_only_for_referred BEFORE INSERT ON review_actions
WHEN (SELECT outcome FROM decisions WHERE decision_id = NEW.decision_id) <> 'refer'
BEGIN SELECT RAISE(ABORT, 'review_actions: only a referred decision is reviewed'); END;
CREATE TRIGGER review_actions_in_sequence BEFORE INSERT ON review_actions
WHEN NEW.seq <> (SELECT COUNT(*) + 1 FROM review_actions WHERE decision_id = NEW.decision_id)
BEGIN SELECT RAISE(ABORT, 'review_actions: seq must follow the last action'); END;
CREATE TRIGGER review_actions_none_after_final BEFORE INSERT ON review_actions
WHEN (SELECT state FROM review_states WHERE decision_id = NEW.decision_id) IN ('approved', 'declined')
BEGIN SELECT RAISE(ABORT, 'review_actions: the review is final'); END;
CREATE TRIGGER review_actions_maker_waits_for_the_check BEFORE INSERT ON review_actions
WHEN NEW.action IN ('approve', 'decline')
 AND (SELECT state FROM review_states WHERE decision_id = NEW.decision_id) = 'awaiting-check'
BEGIN SELECT RAISE(ABORT, 'review_actions: an approval awaits its check'); END;
CREATE TRIGGER review_actions_checker_needs_an_approval BEFORE INSERT ON review_actions
WHEN NEW.action IN ('confirm', 'reject')
 AND (SELECT state FROM review_states WHERE decision_id = NEW.decision_id) = 'pending'
BEGIN SELECT RAISE(ABORT, 'review_actions: no approval awaits a check'); END;
CREATE TRIGGER review_actions_checker_is_a_second_officer BEFORE INSERT ON review_actions
WHEN NEW.action IN ('confirm', 'reject')
 AND NEW.officer_id = (SELECT maker FROM review_states WHERE decision_id = NEW.decision_id)
BEGIN SELECT RAISE(ABORT, 'review_actions: an officer cannot check their own approval'); END;
-- The maker's own authority is below the amount by definition; that case is the trigger above's.
CREATE TRIGGER review_actions_checker_has_the_authority BEFORE INSERT ON review_actions
WHEN NEW.action IN ('confirm', 'reject')
 AND NEW.officer_id <> (SELECT maker FROM review_states WHERE decision_id = NEW.decision_id)
 AND (SELECT authority_fen FROM officers WHERE officer_id = NEW.officer_id)
     < (SELECT amount_fen FROM review_states WHERE decision_id = NEW.decision_id)
BEGIN SELECT RAISE(ABORT, 'review_actions: the checker''s authority is below the amount'); END;

CREATE TABLE disbursements (
    decision_id  TEXT PRIMARY KEY REFERENCES decisions (decision_id),
    loan_id      TEXT NOT NULL UNIQUE CHECK (loan_id <> ''),
    -- The client's request id (idempotency key).
    request_id   TEXT NOT NULL UNIQUE CHECK (request_id <> ''),
    amount_fen   INTEGER NOT NULL CHECK (amount_fen > 0),
    disbursed_at TEXT NOT NULL
) STRICT;

-- An automated approval is disbursed at the amount its caller read from the decision record; a reviewed one at most
-- at the approved amount.
CREATE TRIGGER disbursements_only_when_approved BEFORE INSERT ON disbursements
WHEN NOT EXISTS (
    SELECT 1 FROM review_states AS s
    WHERE s.decision_id = NEW.decision_id
      AND (s.outcome = 'approve' OR (s.state = 'approved' AND NEW.amount_fen <= s.amount_fen))
)
BEGIN SELECT RAISE(ABORT, 'disbursements: only an approved decision is disbursed, up to the approved amount'); END;

CREATE TRIGGER officers_no_update BEFORE UPDATE ON officers
BEGIN SELECT RAISE(ABORT, 'officers are immutable'); END;
CREATE TRIGGER officers_no_delete BEFORE DELETE ON officers
BEGIN SELECT RAISE(ABORT, 'officers are immutable'); END;
CREATE TRIGGER review_actions_no_update BEFORE UPDATE ON review_actions
BEGIN SELECT RAISE(ABORT, 'review_actions are append-only'); END;
CREATE TRIGGER review_actions_no_delete BEFORE DELETE ON review_actions
BEGIN SELECT RAISE(ABORT, 'review_actions are append-only'); END;
CREATE TRIGGER disbursements_no_update BEFORE UPDATE ON disbursements
BEGIN SELECT RAISE(ABORT, 'disbursements are append-only'); END;
CREATE TRIGGER disbursements_no_delete BEFORE DELETE ON disbursements
BEGIN SELECT RAISE(ABORT, 'disbursements are append-only'); END;
