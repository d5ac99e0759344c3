-- Loans, their append-only event history, the ledger of postings and the record of status changes.
-- Money is INTEGER fen; dates are ISO text (YYYY-MM-DD); rates are exact decimal text.

CREATE TABLE loans (
    id            TEXT PRIMARY KEY,
    borrower_id   TEXT NOT NULL,
    product       TEXT NOT NULL,
    principal_fen INTEGER NOT NULL CHECK (principal_fen > 0),
    annual_rate   TEXT NOT NULL,
    start_date    TEXT NOT NULL,
    rules         TEXT NOT NULL,
    terms_json    TEXT NOT NULL,
    booked_on     TEXT NOT NULL
) STRICT;

CREATE INDEX loans_by_borrower ON loans (borrower_id);

CREATE TABLE loan_events (
    loan_id         TEXT NOT NULL REFERENCES loans (id),
    seq             INTEGER NOT NULL CHECK (seq > 0),
    effective_date  TEXT NOT NULL,
    kind            TEXT NOT NULL,
    amount_fen      INTEGER,
    idempotency_key TEXT,
    payload_json    TEXT NOT NULL,
    PRIMARY KEY (loan_id, seq),
    UNIQUE (loan_id, idempotency_key)
) STRICT;

CREATE TABLE ledger_postings (
    loan_id      TEXT NOT NULL,
    event_seq    INTEGER NOT NULL,
    line         INTEGER NOT NULL,
    posting_date TEXT NOT NULL,
    component    TEXT NOT NULL,
    amount_fen   INTEGER NOT NULL,
    -- Set on reallocation lines: the earlier repayment whose split a back-dated event changed.
    reallocates  TEXT,
    PRIMARY KEY (loan_id, event_seq, line),
    FOREIGN KEY (loan_id, event_seq) REFERENCES loan_events (loan_id, seq)
) STRICT;

CREATE TABLE status_changes (
    loan_id     TEXT NOT NULL REFERENCES loans (id),
    change_date TEXT NOT NULL,
    kind        TEXT NOT NULL,
    from_value  TEXT NOT NULL,
    to_value    TEXT NOT NULL,
    cause       TEXT NOT NULL,
    PRIMARY KEY (loan_id, change_date, kind, from_value, to_value)
) STRICT;

-- Financial history is append-only: corrections are new events (reversals), never edits.
CREATE TRIGGER loans_no_update BEFORE UPDATE ON loans
BEGIN SELECT RAISE(ABORT, 'loans are immutable: change terms through a restructuring event'); END;
CREATE TRIGGER loans_no_delete BEFORE DELETE ON loans
BEGIN SELECT RAISE(ABORT, 'loans are never deleted'); END;
CREATE TRIGGER loan_events_no_update BEFORE UPDATE ON loan_events
BEGIN SELECT RAISE(ABORT, 'loan_events is append-only'); END;
CREATE TRIGGER loan_events_no_delete BEFORE DELETE ON loan_events
BEGIN SELECT RAISE(ABORT, 'loan_events is append-only'); END;
CREATE TRIGGER ledger_postings_no_update BEFORE UPDATE ON ledger_postings
BEGIN SELECT RAISE(ABORT, 'ledger_postings is append-only'); END;
CREATE TRIGGER ledger_postings_no_delete BEFORE DELETE ON ledger_postings
BEGIN SELECT RAISE(ABORT, 'ledger_postings is append-only'); END;
CREATE TRIGGER status_changes_no_update BEFORE UPDATE ON status_changes
BEGIN SELECT RAISE(ABORT, 'status_changes is append-only'); END;
CREATE TRIGGER status_changes_no_delete BEFORE DELETE ON status_changes
BEGIN SELECT RAISE(ABORT, 'status_changes is append-only'); END;
