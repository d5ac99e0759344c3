-- Loans, their append-only event history, the ledger of postings and the record of status changes: the same tables
-- as SQLite's 0001_loans, in PostgreSQL's own types. Money is bigint fen; dates are `date`; the annual rate is exact
-- `numeric`; JSON documents are kept as the exact text written (`text`, not `jsonb`), so an idempotent retry compares
-- byte for byte and a digest over them is the digest over what is stored.

CREATE TABLE loans (
    id            text PRIMARY KEY,
    borrower_id   text NOT NULL,
    product       text NOT NULL,
    principal_fen bigint NOT NULL CHECK (principal_fen > 0),
    annual_rate   numeric NOT NULL,
    start_date    date NOT NULL,
    rules         text NOT NULL,
    terms_json    text NOT NULL,
    booked_on     date NOT NULL
);

CREATE INDEX loans_by_borrower ON loans (borrower_id);

CREATE TABLE loan_events (
    loan_id         text NOT NULL REFERENCES loans (id),
    seq             integer NOT NULL CHECK (seq > 0),
    effective_date  date NOT NULL,
    kind            text NOT NULL,
    amount_fen      bigint,
    idempotency_key text,
    payload_json    text NOT NULL,
    PRIMARY KEY (loan_id, seq),
    UNIQUE (loan_id, idempotency_key)
);

CREATE TABLE ledger_postings (
    loan_id      text NOT NULL,
    event_seq    integer NOT NULL,
    line         integer NOT NULL,
    posting_date date NOT NULL,
    component    text NOT NULL,
    amount_fen   bigint NOT NULL,
    -- Set on reallocation lines: the earlier repayment whose split a back-dated event changed.
    reallocates  text,
    PRIMARY KEY (loan_id, event_seq, line),
    FOREIGN KEY (loan_id, event_seq) REFERENCES loan_events (loan_id, seq)
);

CREATE TABLE status_changes (
    -- Insertion order, which SQLite reads as `rowid`: changes of one date come back in the order recorded.
    id          bigint GENERATED ALWAYS AS IDENTITY,
    loan_id     text NOT NULL REFERENCES loans (id),
    change_date date NOT NULL,
    kind        text NOT NULL,
    from_value  text NOT NULL,
    to_value    text NOT NULL,
    cause       text NOT NULL,
    PRIMARY KEY (loan_id, change_date, kind, from_value, to_value)
);

-- Financial history is append-only: corrections are new events (reversals), never edits. One trigger function for
-- every append-only table of the schema; its argument is the message.
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER loans_no_update BEFORE UPDATE ON loans
    FOR EACH ROW EXECUTE FUNCTION refuse_change('loans are immutable: change terms through a restructuring event');
CREATE TRIGGER loans_no_delete BEFORE DELETE ON loans
    FOR EACH ROW EXECUTE FUNCTION refuse_change('loans are never deleted');
CREATE TRIGGER loans_no_truncate BEFORE TRUNCATE ON loans
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('loans are never deleted');
CREATE TRIGGER loan_events_no_update BEFORE UPDATE ON loan_events
    FOR EACH ROW EXECUTE FUNCTION refuse_change('loan_events is append-only');
CREATE TRIGGER loan_events_no_delete BEFORE DELETE ON loan_events
    FOR EACH ROW EXECUTE FUNCTION refuse_change('loan_events is append-only');
CREATE TRIGGER loan_events_no_truncate BEFORE TRUNCATE ON loan_events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('loan_events is append-only');
CREATE TRIGGER ledger_postings_no_update BEFORE UPDATE ON ledger_postings
    FOR EACH ROW EXECUTE FUNCTION refuse_change('ledger_postings is append-only');
CREATE TRIGGER ledger_postings_no_delete BEFORE DELETE ON ledger_postings
    FOR EACH ROW EXECUTE FUNCTION refuse_change('ledger_postings is append-only');
CREATE TRIGGER ledger_postings_no_truncate BEFORE TRUNCATE ON ledger_postings
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('ledger_postings is append-only');
CREATE TRIGGER status_changes_no_update BEFORE UPDATE ON status_changes
    FOR EACH ROW EXECUTE FUNCTION refuse_change('status_changes is append-only');
CREATE TRIGGER status_changes_no_delete BEFORE DELETE ON status_changes
    FOR EACH ROW EXECUTE FUNCTION refuse_change('status_changes is append-only');
CREATE TRIGGER status_changes_no_truncate BEFORE TRUNCATE ON status_changes
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('status_changes is append-only');
