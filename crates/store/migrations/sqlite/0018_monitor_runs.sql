-- Monitoring runs (issue 16): a daily run writes its whole day to the alert register in one transaction
-- (`AlertRegister::apply_run`) and records the day in `monitor_runs`, so a day is applied once. The run may resolve an
-- alert whose signal has cleared (step kind `resolve`), and a new cause, `income_shock`, joins the list.
--
-- SQLite cannot change a CHECK constraint in place: `alerts` and `alert_events` are rebuilt with the longer lists,
-- every row (and alert number) kept. The history is rebuilt beside the alerts, referencing the new table, and both
-- old tables are dropped child first, so no foreign key ever points at a missing alert; renaming the new alerts table
-- rewrites the history's reference to it.
CREATE TABLE alerts_v2 (
    alert_id       INTEGER PRIMARY KEY,
    household_id   TEXT NOT NULL CHECK (household_id <> '' AND length(household_id) <= 64),
    loan_id        TEXT CHECK (loan_id IS NULL OR (loan_id <> '' AND length(loan_id) <= 64)),
    branch         TEXT NOT NULL CHECK (branch <> '' AND length(branch) <= 64),
    cause          TEXT NOT NULL CHECK (cause IN ('overdue', 'harvest_lateness', 'behaviour_score', 'fund_diversion',
                                                  'over_indebtedness', 'price_shock', 'weather', 'disease',
                                                  'peer_default', 'negative_news', 'crop_condition', 'concentration',
                                                  'model_drift', 'income_shock')),
    tier           TEXT NOT NULL CHECK (tier IN ('red', 'orange', 'yellow')),
    -- The board's order: red 0, orange 1, yellow 2.
    tier_rank      INTEGER NOT NULL CHECK (tier_rank = CASE tier WHEN 'red' THEN 0 WHEN 'orange' THEN 1 ELSE 2 END),
    evidence_json  TEXT NOT NULL CHECK (json_valid(evidence_json) AND length(evidence_json) <= 16384),
    -- Recommended action codes, comma-separated, 1 to 4.
    actions        TEXT NOT NULL CHECK (actions <> ''),
    raised_on      TEXT NOT NULL CHECK (length(raised_on) = 10),
    raised_at      TEXT NOT NULL,
    config_version INTEGER NOT NULL CHECK (config_version >= 0),
    due_on         TEXT NOT NULL CHECK (length(due_on) = 10 AND due_on >= raised_on),
    status         TEXT NOT NULL CHECK (status IN ('open', 'assigned', 'acknowledged', 'action_recorded',
                                                   'escalated', 'closed')),
    holder         TEXT REFERENCES officers (officer_id),
    events         INTEGER NOT NULL CHECK (events > 0)
) STRICT;

-- Each alert's history: the raise (step 1, no change), then every workflow step with the status it left.
CREATE TABLE alert_events_v2 (
    alert_id    INTEGER NOT NULL REFERENCES alerts_v2 (alert_id),
    seq         INTEGER NOT NULL CHECK (seq > 0),
    kind        TEXT NOT NULL CHECK (kind IN ('raise', 'assign', 'acknowledge', 'record_action', 'escalate', 'close',
                                              'retier', 'resolve')),
    -- The step as `monitor::Change` JSON; NULL for the raise.
    change_json TEXT CHECK ((kind = 'raise') = (change_json IS NULL) AND (change_json IS NULL OR json_valid(change_json))),
    actor       TEXT NOT NULL CHECK (actor <> ''),
    at          TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'assigned', 'acknowledged', 'action_recorded', 'escalated',
                                                'closed')),
    PRIMARY KEY (alert_id, seq)
) STRICT;

INSERT INTO alerts_v2 (alert_id, household_id, loan_id, branch, cause, tier, tier_rank, evidence_json, actions,
                       raised_on, raised_at, config_version, due_on, status, holder, events)
SELECT alert_id, household_id, loan_id, branch, cause, tier, tier_rank, evidence_json, actions, raised_on, raised_at,
       config_version, due_on, status, holder, events
FROM alerts;
INSERT INTO alert_events_v2 (alert_id, seq, kind, change_json, actor, at, status)
SELECT alert_id, seq, kind, change_json, actor, at, status FROM alert_events;

DROP TABLE alert_events;
DROP TABLE alerts;
ALTER TABLE alerts_v2 RENAME TO alerts;
ALTER TABLE alert_events_v2 RENAME TO alert_events;

CREATE UNIQUE INDEX alerts_one_open ON alerts (household_id, cause) WHERE status <> 'closed';
CREATE INDEX alerts_board ON alerts (tier_rank, raised_on, alert_id);
CREATE INDEX alerts_due ON alerts (due_on, alert_id) WHERE status IN ('open', 'assigned', 'acknowledged');

CREATE TRIGGER alert_events_no_update BEFORE UPDATE ON alert_events
BEGIN SELECT RAISE(ABORT, 'alert_events is append-only'); END;
CREATE TRIGGER alert_events_no_delete BEFORE DELETE ON alert_events
BEGIN SELECT RAISE(ABORT, 'alert_events is append-only'); END;

CREATE TRIGGER alerts_no_delete BEFORE DELETE ON alerts
BEGIN SELECT RAISE(ABORT, 'alerts are never deleted: close them'); END;
CREATE TRIGGER alerts_raised_is_fixed BEFORE UPDATE ON alerts
WHEN NEW.alert_id IS NOT OLD.alert_id OR NEW.household_id IS NOT OLD.household_id OR NEW.loan_id IS NOT OLD.loan_id
  OR NEW.branch IS NOT OLD.branch OR NEW.cause IS NOT OLD.cause OR NEW.evidence_json IS NOT OLD.evidence_json
  OR NEW.actions IS NOT OLD.actions OR NEW.raised_on IS NOT OLD.raised_on OR NEW.raised_at IS NOT OLD.raised_at
  OR NEW.config_version IS NOT OLD.config_version
BEGIN SELECT RAISE(ABORT, 'alerts: what was raised never changes'); END;
CREATE TRIGGER alerts_follow_their_history BEFORE UPDATE ON alerts
WHEN NEW.events <> (SELECT MAX(seq) FROM alert_events WHERE alert_id = NEW.alert_id)
  OR NEW.status <> (SELECT status FROM alert_events WHERE alert_id = NEW.alert_id AND seq = NEW.events)
BEGIN SELECT RAISE(ABORT, 'alerts: status and event count follow the latest alert_events step'); END;

-- One row per day a monitoring run has written, with what it did; written in the day's transaction, append-only.
CREATE TABLE monitor_runs (
    day            TEXT PRIMARY KEY CHECK (length(day) = 10),
    config_version INTEGER NOT NULL CHECK (config_version >= 0),
    raised         INTEGER NOT NULL CHECK (raised >= 0),
    retiered       INTEGER NOT NULL CHECK (retiered >= 0),
    resolved       INTEGER NOT NULL CHECK (resolved >= 0),
    at             TEXT NOT NULL
) STRICT;

CREATE TRIGGER monitor_runs_no_update BEFORE UPDATE ON monitor_runs
BEGIN SELECT RAISE(ABORT, 'monitor_runs is append-only'); END;
CREATE TRIGGER monitor_runs_no_delete BEFORE DELETE ON monitor_runs
BEGIN SELECT RAISE(ABORT, 'monitor_runs is append-only'); END;
