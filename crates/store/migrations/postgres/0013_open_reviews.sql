-- The open review cases, kept where the queue and its claims read them directly (issue 15): SQLite's
-- 0016_open_reviews in PostgreSQL's types. Before, the queue walked every referral ever made (`decisions_referred`)
-- and probed `review_actions` for each, reading every reviewed referral before the first open one (28–30 s at
-- 10 million decisions; docs/operations.md, "Large tables").
--
-- `review_open` is a work index, derived and never the truth: a case's review state stays what `review_states`
-- derives from the append-only `review_actions`. A row is a referral whose review is not final — pending, or an
-- approval awaiting its check (with its maker and amount, so a claim can skip the cases an officer may not check) —
-- and, while an officer holds the case, their claim: a lease, the one thing here that is updated. Claims take the
-- oldest free row `FOR UPDATE SKIP LOCKED`, so claimers at once never wait for nor get the same case.
--
-- Triggers keep it exact, in the transaction of the write that changes it, rather than the store's Rust code:
-- decisions are inserted by several writers (the store's own insert, the batched journal writer, `db copy`) and a
-- trigger is the one place that sees them all, so no writer can forget it. The decisions' trigger is per statement,
-- over the rows the statement inserted, so a batch of decisions costs one insert here, not one per row. A review
-- action that leaves the case open ends its claim (the check is another officer's work); one that makes it final
-- removes the row.
CREATE TABLE review_open (
    decision_id         text PRIMARY KEY REFERENCES decisions (decision_id),
    -- The decision's instant: the queue's order.
    decided_at          timestamptz NOT NULL,
    state               text NOT NULL CHECK (state IN ('pending', 'awaiting-check')),
    -- An approval awaiting its check: its maker and amount.
    maker               text REFERENCES officers (officer_id),
    amount_fen          bigint CHECK (amount_fen > 0),
    -- The claim, if an officer holds the case: who, when (with the offset it was written in), when the lease ends.
    claimed_by          text REFERENCES officers (officer_id),
    claimed_at          timestamptz,
    claimed_at_offset_s integer CHECK (claimed_at_offset_s BETWEEN -86399 AND 86399),
    claim_expires       timestamptz,
    CHECK ((state = 'awaiting-check') = (maker IS NOT NULL) AND (maker IS NULL) = (amount_fen IS NULL)),
    CHECK ((claimed_by IS NULL) = (claimed_at IS NULL) AND (claimed_by IS NULL) = (claimed_at_offset_s IS NULL)
           AND (claimed_by IS NULL) = (claim_expires IS NULL))
);

-- The queue's order, as `decisions_referred` gave it (ties by id, byte order as on SQLite).
CREATE INDEX review_open_in_queue_order ON review_open (decided_at, decision_id COLLATE "C");

INSERT INTO review_open (decision_id, decided_at, state, maker, amount_fen)
SELECT decision_id, decided_at, state, maker, amount_fen FROM review_states
WHERE outcome = 'refer' AND state IN ('pending', 'awaiting-check');

CREATE FUNCTION review_open_on_referrals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO review_open (decision_id, decided_at, state)
    SELECT decision_id, decided_at, 'pending' FROM inserted WHERE outcome = 'refer';
    RETURN NULL;
END;
$$;

CREATE TRIGGER review_open_on_referral AFTER INSERT ON decisions REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION review_open_on_referrals();

CREATE FUNCTION review_open_after_review() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    s record;
BEGIN
    SELECT state, maker, amount_fen INTO s FROM review_states WHERE decision_id = NEW.decision_id;
    IF s.state IN ('pending', 'awaiting-check') THEN
        UPDATE review_open
        SET state = s.state, maker = s.maker, amount_fen = s.amount_fen,
            claimed_by = NULL, claimed_at = NULL, claimed_at_offset_s = NULL, claim_expires = NULL
        WHERE decision_id = NEW.decision_id;
    ELSE
        DELETE FROM review_open WHERE decision_id = NEW.decision_id;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER review_open_after_review AFTER INSERT ON review_actions
    FOR EACH ROW EXECUTE FUNCTION review_open_after_review();
