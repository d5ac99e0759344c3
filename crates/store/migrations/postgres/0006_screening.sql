-- The screening register, as SQLite's 0009_screening and 0012_consent_scope in their final shape: list hits, fraud
-- cases and credit-check consents per household, append-only, the consent scope (data source and purpose) part of the
-- key. Text columns that order a household's entries compare byte by byte (`COLLATE "C"`), as SQLite compares them,
-- so both engines list entries in the same order. `recorded_at` is the text the trait carries, kept exactly.
CREATE TABLE screening_entries (
    household_id text COLLATE "C" NOT NULL CHECK (household_id <> ''),
    kind         text COLLATE "C" NOT NULL CHECK (kind IN ('blacklisted', 'blacklist_cleared', 'fraud_case',
                                                           'fraud_case_closed', 'consent', 'consent_withdrawn')),
    effective_on date NOT NULL,
    source       text COLLATE "C" NOT NULL CHECK (source <> ''),
    recorded_by  text NOT NULL CHECK (recorded_by <> ''),
    recorded_at  text NOT NULL,
    note         text NOT NULL,
    data_source  text COLLATE "C" NOT NULL DEFAULT '' CHECK (data_source IN ('', 'bureau_reports', 'transactions',
                                                                             'insurance_claims')),
    purpose      text COLLATE "C" NOT NULL DEFAULT '' CHECK (purpose IN ('', 'credit_assessment',
                                                                         'post_loan_monitoring', 'model_development')),
    CHECK ((data_source = '') = (purpose = '')),
    CHECK (data_source = '' OR kind IN ('consent', 'consent_withdrawn')),
    PRIMARY KEY (household_id, kind, effective_on, source, data_source, purpose)
);

CREATE TRIGGER screening_entries_no_update BEFORE UPDATE ON screening_entries
    FOR EACH ROW EXECUTE FUNCTION refuse_change('screening_entries are append-only');
CREATE TRIGGER screening_entries_no_delete BEFORE DELETE ON screening_entries
    FOR EACH ROW EXECUTE FUNCTION refuse_change('screening_entries are append-only');
CREATE TRIGGER screening_entries_no_truncate BEFORE TRUNCATE ON screening_entries
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('screening_entries are append-only');

-- How many entries the register holds, moved by every load in the transaction that records its entries. A load locks
-- this row before it inserts, so loads are serialised and the version is in commit order: a server that read the
-- register at version N and sees N again has the whole register (SQLite's `max(rowid)` plays this part there).
CREATE TABLE screening_version (
    id      integer PRIMARY KEY CHECK (id = 1),
    version bigint NOT NULL CHECK (version >= 0)
);
INSERT INTO screening_version (id, version) VALUES (1, 0);

CREATE TRIGGER screening_version_no_delete BEFORE DELETE ON screening_version
    FOR EACH ROW EXECUTE FUNCTION refuse_change('screening_version is never deleted');
CREATE TRIGGER screening_version_no_truncate BEFORE TRUNCATE ON screening_version
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('screening_version is never deleted');
