-- Dual control, as SQLite's 0014_dual_control: one person's proposal of an act and a second person's final decision
-- on it, both append-only. A proposal has at most one decision (the primary key), and a kind and target at most one
-- open proposal (a trigger that first takes a transaction-level advisory lock on the kind and target, so two
-- proposals inserted at once are judged one after the other). Who may decide is `workflow::dual`'s rule, applied by
-- the store under the proposal's row lock; the triggers repeat what the schema can state on its own. `n` is the
-- insertion order, which SQLite reads as `rowid`.

CREATE TABLE dual_proposals (
    proposal_id           text PRIMARY KEY CHECK (proposal_id ~ '^P[0-9]{6,}$'),
    kind                  text NOT NULL CHECK (kind IN ('policy_move', 'model_move', 'officer_authority',
                                                        'loan_reclassify', 'loan_write_off')),
    target                text NOT NULL CHECK (target <> '' AND length(target) <= 500),
    payload_json          text NOT NULL CHECK (json_typeof(payload_json::json) = 'object'
                                               AND length(payload_json) <= 4096),
    reason                text NOT NULL CHECK (reason <> '' AND length(reason) <= 500),
    proposed_by           text NOT NULL CHECK (proposed_by <> ''),
    proposed_at           timestamptz NOT NULL,
    proposed_at_offset_s  integer NOT NULL CHECK (proposed_at_offset_s BETWEEN -86399 AND 86399),
    n                     bigint GENERATED ALWAYS AS IDENTITY UNIQUE
);

CREATE TABLE dual_decisions (
    proposal_id          text PRIMARY KEY REFERENCES dual_proposals (proposal_id),
    verdict              text NOT NULL CHECK (verdict IN ('confirmed', 'rejected')),
    decided_by           text NOT NULL CHECK (decided_by <> ''),
    decided_at           timestamptz NOT NULL,
    decided_at_offset_s  integer NOT NULL CHECK (decided_at_offset_s BETWEEN -86399 AND 86399),
    reason               text NOT NULL CHECK (length(reason) <= 500),
    CHECK (verdict = 'confirmed' OR reason <> '')
);

CREATE INDEX dual_proposals_target ON dual_proposals (kind, target);

CREATE FUNCTION dual_proposals_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('dual_proposals'), hashtext(NEW.kind || ' ' || NEW.target));
    IF EXISTS (SELECT 1 FROM dual_proposals AS p
               WHERE p.kind = NEW.kind AND p.target = NEW.target
                 AND NOT EXISTS (SELECT 1 FROM dual_decisions AS d WHERE d.proposal_id = p.proposal_id)) THEN
        RAISE EXCEPTION 'dual_proposals: a kind and target have at most one open proposal'
            USING ERRCODE = 'unique_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER dual_proposals_one_open BEFORE INSERT ON dual_proposals
    FOR EACH ROW EXECUTE FUNCTION dual_proposals_check();

CREATE FUNCTION dual_decisions_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.decided_by = (SELECT proposed_by FROM dual_proposals WHERE proposal_id = NEW.proposal_id) THEN
        RAISE EXCEPTION 'dual_decisions: a proposal is not decided by its proposer' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER dual_decisions_not_by_proposer BEFORE INSERT ON dual_decisions
    FOR EACH ROW EXECUTE FUNCTION dual_decisions_check();

-- An officer's authority changes only by carrying out a proposal of that change for that officer.
ALTER TABLE officer_authority ADD FOREIGN KEY (proposal_id) REFERENCES dual_proposals (proposal_id);

CREATE FUNCTION officer_authority_proposed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM dual_proposals AS p
                   WHERE p.proposal_id = NEW.proposal_id AND p.kind = 'officer_authority'
                     AND p.target = 'officer:' || NEW.officer_id) THEN
        RAISE EXCEPTION 'officer_authority: a change carries out a proposal of it' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER officer_authority_carries_out_a_proposal BEFORE INSERT ON officer_authority
    FOR EACH ROW EXECUTE FUNCTION officer_authority_proposed();

CREATE TRIGGER dual_proposals_no_update BEFORE UPDATE ON dual_proposals
    FOR EACH ROW EXECUTE FUNCTION refuse_change('dual_proposals are append-only');
CREATE TRIGGER dual_proposals_no_delete BEFORE DELETE ON dual_proposals
    FOR EACH ROW EXECUTE FUNCTION refuse_change('dual_proposals are append-only');
CREATE TRIGGER dual_proposals_no_truncate BEFORE TRUNCATE ON dual_proposals
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('dual_proposals are append-only');
CREATE TRIGGER dual_decisions_no_update BEFORE UPDATE ON dual_decisions
    FOR EACH ROW EXECUTE FUNCTION refuse_change('dual_decisions are append-only');
CREATE TRIGGER dual_decisions_no_delete BEFORE DELETE ON dual_decisions
    FOR EACH ROW EXECUTE FUNCTION refuse_change('dual_decisions are append-only');
CREATE TRIGGER dual_decisions_no_truncate BEFORE TRUNCATE ON dual_decisions
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('dual_decisions are append-only');
