-- Monitoring runs (issue 16), as SQLite's 0018_monitor_runs: a daily run writes its whole day to the alert register
-- in one transaction (`AlertRegister::apply_run`) and records the day in `monitor_runs`, so a day is applied once.
-- The run may resolve an alert whose signal has cleared (step kind `resolve`), and a new cause, `income_shock`, joins
-- the list; PostgreSQL changes the two CHECK constraints in place.
ALTER TABLE alerts DROP CONSTRAINT alerts_cause_check;
ALTER TABLE alerts ADD CONSTRAINT alerts_cause_check
    CHECK (cause IN ('overdue', 'harvest_lateness', 'behaviour_score', 'fund_diversion', 'over_indebtedness',
                     'price_shock', 'weather', 'disease', 'peer_default', 'negative_news', 'crop_condition',
                     'concentration', 'model_drift', 'income_shock'));
ALTER TABLE alert_events DROP CONSTRAINT alert_events_kind_check;
ALTER TABLE alert_events ADD CONSTRAINT alert_events_kind_check
    CHECK (kind IN ('raise', 'assign', 'acknowledge', 'record_action', 'escalate', 'close', 'retier', 'resolve'));

-- One row per day a monitoring run has written, with what it did; written in the day's transaction, append-only.
CREATE TABLE monitor_runs (
    day            date PRIMARY KEY,
    config_version bigint NOT NULL CHECK (config_version >= 0),
    raised         integer NOT NULL CHECK (raised >= 0),
    retiered       integer NOT NULL CHECK (retiered >= 0),
    resolved       integer NOT NULL CHECK (resolved >= 0),
    at             timestamptz NOT NULL,
    at_offset_s    integer NOT NULL CHECK (at_offset_s BETWEEN -86399 AND 86399)
);

CREATE TRIGGER monitor_runs_no_update BEFORE UPDATE ON monitor_runs
    FOR EACH ROW EXECUTE FUNCTION refuse_change('monitor_runs is append-only');
CREATE TRIGGER monitor_runs_no_delete BEFORE DELETE ON monitor_runs
    FOR EACH ROW EXECUTE FUNCTION refuse_change('monitor_runs is append-only');
CREATE TRIGGER monitor_runs_no_truncate BEFORE TRUNCATE ON monitor_runs
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('monitor_runs is append-only');
