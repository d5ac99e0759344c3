-- Dual control: one person's proposal of an act (a policy retired, a model moved, an officer's authority changed, a
-- loan reclassified or written off) and a second person's final decision on it. Both append-only; a proposal has at
-- most one decision, and a kind and target at most one open proposal. Who may decide is `workflow::dual`'s rule,
-- applied by the store in its transaction; the triggers repeat what the schema can state on its own.
CREATE TABLE dual_proposals (
    proposal_id  TEXT PRIMARY KEY CHECK (proposal_id GLOB 'P[0-9][0-9][0-9][0-9][0-9][0-9]*'),
    kind         TEXT NOT NULL CHECK (kind IN ('policy_move', 'model_move', 'officer_authority', 'loan_reclassify',
                                               'loan_write_off')),
    target       TEXT NOT NULL CHECK (target <> '' AND length(target) <= 500),
    payload_json TEXT NOT NULL CHECK (json_valid(payload_json) AND json_type(payload_json) = 'object'
                                      AND length(payload_json) <= 4096),
    reason       TEXT NOT NULL CHECK (reason <> '' AND length(reason) <= 500),
    proposed_by  TEXT NOT NULL CHECK (proposed_by <> ''),
    proposed_at  TEXT NOT NULL
) STRICT;

CREATE TABLE dual_decisions (
    proposal_id TEXT PRIMARY KEY REFERENCES dual_proposals (proposal_id),
    verdict     TEXT NOT NULL CHECK (verdict IN ('confirmed', 'rejected')),
    decided_by  TEXT NOT NULL CHECK (decided_by <> ''),
    decided_at  TEXT NOT NULL,
    reason      TEXT NOT NULL CHECK (length(reason) <= 500),
    CHECK (verdict = 'confirmed' OR reason <> '')
) STRICT;

CREATE INDEX dual_proposals_target ON dual_proposals (kind, target);

CREATE TRIGGER dual_proposals_no_update BEFORE UPDATE ON dual_proposals
BEGIN SELECT RAISE(ABORT, 'dual_proposals are append-only'); END;
CREATE TRIGGER dual_proposals_no_delete BEFORE DELETE ON dual_proposals
BEGIN SELECT RAISE(ABORT, 'dual_proposals are append-only'); END;
CREATE TRIGGER dual_decisions_no_update BEFORE UPDATE ON dual_decisions
BEGIN SELECT RAISE(ABORT, 'dual_decisions are append-only'); END;
CREATE TRIGGER dual_decisions_no_delete BEFORE DELETE ON dual_decisions
BEGIN SELECT RAISE(ABORT, 'dual_decisions are append-only'); END;

CREATE TRIGGER dual_proposals_one_open BEFORE INSERT ON dual_proposals
WHEN EXISTS (SELECT 1 FROM dual_proposals AS p
             WHERE p.kind = NEW.kind AND p.target = NEW.target
               AND NOT EXISTS (SELECT 1 FROM dual_decisions AS d WHERE d.proposal_id = p.proposal_id))
BEGIN SELECT RAISE(ABORT, 'dual_proposals: a kind and target have at most one open proposal'); END;

CREATE TRIGGER dual_decisions_not_by_proposer BEFORE INSERT ON dual_decisions
WHEN NEW.decided_by = (SELECT proposed_by FROM dual_proposals WHERE proposal_id = NEW.proposal_id)
BEGIN SELECT RAISE(ABORT, 'dual_decisions: a proposal is not decided by its proposer'); END;

-- An officer's authority over time: registered with one (`officers.authority_fen`), then changed only by a confirmed
-- dual-control proposal (one row per proposal). The authority in force is the latest row, else the registered one.
CREATE TABLE officer_authority (
    officer_id    TEXT NOT NULL REFERENCES officers (officer_id),
    seq           INTEGER NOT NULL CHECK (seq > 0),
    authority_fen INTEGER NOT NULL CHECK (authority_fen >= 0),
    effective_at  TEXT NOT NULL,
    set_by        TEXT NOT NULL CHECK (set_by <> ''),
    proposal_id   TEXT NOT NULL UNIQUE REFERENCES dual_proposals (proposal_id),
    PRIMARY KEY (officer_id, seq)
) STRICT;

CREATE TRIGGER officer_authority_in_sequence BEFORE INSERT ON officer_authority
WHEN NEW.seq <> (SELECT COUNT(*) + 1 FROM officer_authority WHERE officer_id = NEW.officer_id)
BEGIN SELECT RAISE(ABORT, 'officer_authority: seq must follow the last change'); END;
CREATE TRIGGER officer_authority_only_confirmed BEFORE INSERT ON officer_authority
WHEN NOT EXISTS (SELECT 1 FROM dual_proposals AS p
                 WHERE p.proposal_id = NEW.proposal_id AND p.kind = 'officer_authority'
                   AND p.target = 'officer:' || NEW.officer_id)
BEGIN SELECT RAISE(ABORT, 'officer_authority: a change carries out a proposal of it'); END;
CREATE TRIGGER officer_authority_no_update BEFORE UPDATE ON officer_authority
BEGIN SELECT RAISE(ABORT, 'officer_authority is append-only'); END;
CREATE TRIGGER officer_authority_no_delete BEFORE DELETE ON officer_authority
BEGIN SELECT RAISE(ABORT, 'officer_authority is append-only'); END;

-- The authority in force for each review action, kept with it, so a decision's review state never changes when the
-- officer's authority changes later. Actions recorded before this table read the registered authority, the only
-- one there was.
CREATE TABLE review_authority (
    decision_id   TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    authority_fen INTEGER NOT NULL CHECK (authority_fen >= 0),
    PRIMARY KEY (decision_id, seq),
    FOREIGN KEY (decision_id, seq) REFERENCES review_actions (decision_id, seq)
) STRICT;

CREATE TRIGGER review_authority_no_update BEFORE UPDATE ON review_authority
BEGIN SELECT RAISE(ABORT, 'review_authority is append-only'); END;
CREATE TRIGGER review_authority_no_delete BEFORE DELETE ON review_authority
BEGIN SELECT RAISE(ABORT, 'review_authority is append-only'); END;

DROP VIEW review_states;
CREATE VIEW review_states AS
SELECT d.decision_id, d.subject, d.decided_at, d.outcome,
       CASE
           WHEN d.outcome <> 'refer' THEN 'not-referred'
           WHEN m.action IS NULL THEN 'pending'
           WHEN m.action = 'decline' THEN 'declined'
           WHEN c.action = 'confirm' THEN 'approved'
           WHEN c.action = 'reject' THEN 'declined'
           WHEN m.amount_fen <= COALESCE(ma.authority_fen, o.authority_fen) THEN 'approved'
           ELSE 'awaiting-check'
       END AS state,
       m.officer_id AS maker, m.amount_fen, c.officer_id AS checker
FROM decisions AS d
LEFT JOIN review_actions AS m ON m.decision_id = d.decision_id AND m.seq = 1
LEFT JOIN review_authority AS ma ON ma.decision_id = d.decision_id AND ma.seq = 1
LEFT JOIN officers AS o ON o.officer_id = m.officer_id
LEFT JOIN review_actions AS c ON c.decision_id = d.decision_id AND c.seq = 2;

-- The checker's authority is the one in force now.
DROP TRIGGER review_actions_checker_has_the_authority;
CREATE TRIGGER review_actions_checker_has_the_authority BEFORE INSERT ON review_actions
WHEN NEW.action IN ('confirm', 'reject')
 AND NEW.officer_id <> (SELECT maker FROM review_states WHERE decision_id = NEW.decision_id)
 AND COALESCE((SELECT authority_fen FROM officer_authority WHERE officer_id = NEW.officer_id
               ORDER BY seq DESC LIMIT 1),
              (SELECT authority_fen FROM officers WHERE officer_id = NEW.officer_id))
     < (SELECT amount_fen FROM review_states WHERE decision_id = NEW.decision_id)
BEGIN SELECT RAISE(ABORT, 'review_actions: the checker''s authority is below the amount'); END;
