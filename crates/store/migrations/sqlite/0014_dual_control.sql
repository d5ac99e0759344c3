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
