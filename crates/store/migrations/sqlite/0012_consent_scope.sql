-- Consent per data source and purpose: a `consent` or `consent_withdrawn` entry may name the source it covers and
-- the purpose it is given for (issue 14). Both empty: the general credit-check consent, as every entry before this
-- migration; both set only on consent entries, with values from `privacy::consent`'s lists. The scope joins the key,
-- so one form consenting to several sources the same day is several entries. SQLite cannot change a key in place:
-- the table is rebuilt, its rows (and row ids, which the server's copy counts by) kept.
CREATE TABLE screening_entries_scoped (
    household_id TEXT NOT NULL CHECK (household_id <> ''),
    kind         TEXT NOT NULL CHECK (kind IN ('blacklisted', 'blacklist_cleared', 'fraud_case', 'fraud_case_closed',
                                               'consent', 'consent_withdrawn')),
    effective_on TEXT NOT NULL CHECK (length(effective_on) = 10),
    source       TEXT NOT NULL CHECK (source <> ''),
    recorded_by  TEXT NOT NULL CHECK (recorded_by <> ''),
    recorded_at  TEXT NOT NULL,
    note         TEXT NOT NULL,
    data_source  TEXT NOT NULL DEFAULT '' CHECK (data_source IN ('', 'bureau_reports', 'transactions',
                                                                 'insurance_claims')),
    purpose      TEXT NOT NULL DEFAULT '' CHECK (purpose IN ('', 'credit_assessment', 'post_loan_monitoring',
                                                             'model_development')),
    CHECK ((data_source = '') = (purpose = '')),
    CHECK (data_source = '' OR kind IN ('consent', 'consent_withdrawn')),
    PRIMARY KEY (household_id, kind, effective_on, source, data_source, purpose)
) STRICT;

INSERT INTO screening_entries_scoped
    (rowid, household_id, kind, effective_on, source, recorded_by, recorded_at, note)
SELECT rowid, household_id, kind, effective_on, source, recorded_by, recorded_at, note FROM screening_entries;

DROP TABLE screening_entries;
ALTER TABLE screening_entries_scoped RENAME TO screening_entries;

CREATE TRIGGER screening_entries_no_update BEFORE UPDATE ON screening_entries
BEGIN SELECT RAISE(ABORT, 'screening_entries are append-only'); END;
CREATE TRIGGER screening_entries_no_delete BEFORE DELETE ON screening_entries
BEGIN SELECT RAISE(ABORT, 'screening_entries are append-only'); END;
