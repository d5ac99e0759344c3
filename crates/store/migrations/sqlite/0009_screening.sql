-- The lender's screening register: list hits (dishonest-debtor lists, the lender's own blacklist), fraud cases and
-- credit-check consents, each with the day it took effect and the source that asserted it. An applicant never
-- asserts these; a decision reads them as of its application date. Append-only: a cleared list hit, a closed case
-- or a withdrawn consent is a new entry, never an edit.
CREATE TABLE screening_entries (
    household_id TEXT NOT NULL CHECK (household_id <> ''),
    kind         TEXT NOT NULL CHECK (kind IN ('blacklisted', 'blacklist_cleared', 'fraud_case', 'fraud_case_closed',
                                               'consent', 'consent_withdrawn')),
    effective_on TEXT NOT NULL CHECK (length(effective_on) = 10),
    source       TEXT NOT NULL CHECK (source <> ''),
    recorded_by  TEXT NOT NULL CHECK (recorded_by <> ''),
    recorded_at  TEXT NOT NULL,
    note         TEXT NOT NULL,
    PRIMARY KEY (household_id, kind, effective_on, source)
) STRICT;

CREATE TRIGGER screening_entries_no_update BEFORE UPDATE ON screening_entries
BEGIN SELECT RAISE(ABORT, 'screening_entries are append-only'); END;
CREATE TRIGGER screening_entries_no_delete BEFORE DELETE ON screening_entries
BEGIN SELECT RAISE(ABORT, 'screening_entries are append-only'); END;
