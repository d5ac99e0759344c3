-- The open review cases, kept where the queue and its claims read them directly (issue 15). Before, the queue
-- walked every referral ever made (`decisions_referred`) and looked each up in `review_actions`, reading every
-- reviewed referral before the first open one.
--
-- `review_open` is a work index, derived and never the truth: a case's review state stays what `review_states`
-- derives from the append-only `review_actions`. A row is a referral whose review is not final — pending, or an
-- approval awaiting its check (with its maker and amount, so a claim can skip the cases an officer may not check) —
-- and, while an officer holds the case, their claim: a lease, the one thing here that is updated.
--
-- Triggers keep it exact, in the transaction of the write that changes it, rather than the store's Rust code:
-- decisions are inserted by several writers (the store's own insert, the server's writer thread, `db copy`) and a
-- trigger is the one place that sees them all, so no writer can forget it. The review side fires on
-- `review_authority`, the last row a review action writes (migration 0014): the state the view derives only counts
-- the maker's authority once that row is there. A review action that leaves the case open ends its claim (the check
-- is another officer's work); one that makes it final removes the row.
CREATE TABLE review_open (
    decision_id        TEXT PRIMARY KEY REFERENCES decisions (decision_id),
    -- The decision's time, as written: the queue's order.
    decided_at         TEXT NOT NULL,
    state              TEXT NOT NULL CHECK (state IN ('pending', 'awaiting-check')),
    -- An approval awaiting its check: its maker and amount.
    maker              TEXT REFERENCES officers (officer_id),
    amount_fen         INTEGER CHECK (amount_fen > 0),
    -- The claim, if an officer holds the case: who, when, and when the lease ends (also as seconds since the epoch,
    -- which compare as instants whatever offset the times were written in).
    claimed_by         TEXT REFERENCES officers (officer_id),
    claimed_at         TEXT,
    claim_expires      TEXT,
    claim_expires_unix INTEGER,
    CHECK ((state = 'awaiting-check') = (maker IS NOT NULL) AND (maker IS NULL) = (amount_fen IS NULL)),
    CHECK ((claimed_by IS NULL) = (claimed_at IS NULL) AND (claimed_by IS NULL) = (claim_expires IS NULL)
           AND (claimed_by IS NULL) = (claim_expires_unix IS NULL))
) STRICT;

-- The queue's order, as `decisions_referred` gave it.
CREATE INDEX review_open_in_queue_order ON review_open (decided_at, decision_id);

INSERT INTO review_open (decision_id, decided_at, state, maker, amount_fen)
SELECT decision_id, decided_at, state, maker, amount_fen FROM review_states
WHERE outcome = 'refer' AND state IN ('pending', 'awaiting-check');

CREATE TRIGGER review_open_on_referral AFTER INSERT ON decisions WHEN NEW.outcome = 'refer'
BEGIN
    INSERT INTO review_open (decision_id, decided_at, state) VALUES (NEW.decision_id, NEW.decided_at, 'pending');
END;

CREATE TRIGGER review_open_after_review AFTER INSERT ON review_authority
BEGIN
    DELETE FROM review_open
    WHERE decision_id = NEW.decision_id
      AND (SELECT state FROM review_states WHERE decision_id = NEW.decision_id) NOT IN ('pending', 'awaiting-check');
    UPDATE review_open
    SET state = (SELECT state FROM review_states WHERE decision_id = NEW.decision_id),
        maker = (SELECT maker FROM review_states WHERE decision_id = NEW.decision_id),
        amount_fen = (SELECT amount_fen FROM review_states WHERE decision_id = NEW.decision_id),
        claimed_by = NULL, claimed_at = NULL, claim_expires = NULL, claim_expires_unix = NULL
    WHERE decision_id = NEW.decision_id;
END;
