-- The alert register of post-loan monitoring (`store::alerts`), as SQLite's 0017_alerts: early-warning alerts per
-- borrower and their history. Instants are `timestamptz` beside the offset they were written with, dates `date`,
-- the evidence `jsonb`.
--
-- `alerts` holds each alert as it stands now: its status, tier, holder and due date change, by the register only,
-- in the transaction that appends the step to `alert_events`, and a trigger refuses an update whose status and event
-- count are not the latest step's, so the row is always the history's last word. What was raised never changes.
-- One open alert per borrower and cause: a unique index on the alerts not closed.
CREATE TABLE alerts (
    alert_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    household_id   text NOT NULL CHECK (household_id <> '' AND char_length(household_id) <= 64),
    loan_id        text CHECK (loan_id IS NULL OR (loan_id <> '' AND char_length(loan_id) <= 64)),
    branch         text NOT NULL CHECK (branch <> '' AND char_length(branch) <= 64),
    cause          text NOT NULL CHECK (cause IN ('overdue', 'harvest_lateness', 'behaviour_score', 'fund_diversion',
                                                  'over_indebtedness', 'price_shock', 'weather', 'disease',
                                                  'peer_default', 'negative_news', 'crop_condition', 'concentration',
                                                  'model_drift')),
    tier           text NOT NULL CHECK (tier IN ('red', 'orange', 'yellow')),
    -- The board's order: red 0, orange 1, yellow 2.
    tier_rank      integer NOT NULL CHECK (tier_rank = CASE tier WHEN 'red' THEN 0 WHEN 'orange' THEN 1 ELSE 2 END),
    evidence_json  jsonb NOT NULL CHECK (jsonb_typeof(evidence_json) = 'object'),
    -- Recommended action codes, comma-separated, 1 to 4.
    actions        text NOT NULL CHECK (actions <> ''),
    raised_on      date NOT NULL,
    raised_at      timestamptz NOT NULL,
    raised_at_offset_s integer NOT NULL CHECK (raised_at_offset_s BETWEEN -86399 AND 86399),
    config_version bigint NOT NULL CHECK (config_version >= 0),
    due_on         date NOT NULL CHECK (due_on >= raised_on),
    status         text NOT NULL CHECK (status IN ('open', 'assigned', 'acknowledged', 'action_recorded',
                                                   'escalated', 'closed')),
    holder         text REFERENCES officers (officer_id),
    events         integer NOT NULL CHECK (events > 0)
);

CREATE UNIQUE INDEX alerts_one_open ON alerts (household_id, cause) WHERE status <> 'closed';
CREATE INDEX alerts_board ON alerts (tier_rank, raised_on, alert_id);
CREATE INDEX alerts_due ON alerts (due_on, alert_id) WHERE status IN ('open', 'assigned', 'acknowledged');

-- Each alert's history: the raise (step 1, no change), then every workflow step with the status it left.
CREATE TABLE alert_events (
    alert_id    bigint NOT NULL REFERENCES alerts (alert_id),
    seq         integer NOT NULL CHECK (seq > 0),
    kind        text NOT NULL CHECK (kind IN ('raise', 'assign', 'acknowledge', 'record_action', 'escalate', 'close',
                                              'retier')),
    -- The step as `monitor::Change` JSON text, kept exactly; NULL for the raise.
    change_json text CHECK ((kind = 'raise') = (change_json IS NULL)),
    actor       text NOT NULL CHECK (actor <> ''),
    at          timestamptz NOT NULL,
    at_offset_s integer NOT NULL CHECK (at_offset_s BETWEEN -86399 AND 86399),
    status      text NOT NULL CHECK (status IN ('open', 'assigned', 'acknowledged', 'action_recorded', 'escalated',
                                                'closed')),
    PRIMARY KEY (alert_id, seq)
);

CREATE TRIGGER alert_events_no_update BEFORE UPDATE ON alert_events
    FOR EACH ROW EXECUTE FUNCTION refuse_change('alert_events is append-only');
CREATE TRIGGER alert_events_no_delete BEFORE DELETE ON alert_events
    FOR EACH ROW EXECUTE FUNCTION refuse_change('alert_events is append-only');
CREATE TRIGGER alert_events_no_truncate BEFORE TRUNCATE ON alert_events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('alert_events is append-only');
CREATE TRIGGER alerts_no_delete BEFORE DELETE ON alerts
    FOR EACH ROW EXECUTE FUNCTION refuse_change('alerts are never deleted: close them');
CREATE TRIGGER alerts_no_truncate BEFORE TRUNCATE ON alerts
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('alerts are never deleted: close them');

-- What was raised never changes; status and event count follow the latest step.
CREATE FUNCTION alerts_follow_their_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.alert_id, NEW.household_id, NEW.loan_id, NEW.branch, NEW.cause, NEW.evidence_json, NEW.actions,
        NEW.raised_on, NEW.raised_at, NEW.raised_at_offset_s, NEW.config_version)
       IS DISTINCT FROM
       (OLD.alert_id, OLD.household_id, OLD.loan_id, OLD.branch, OLD.cause, OLD.evidence_json, OLD.actions,
        OLD.raised_on, OLD.raised_at, OLD.raised_at_offset_s, OLD.config_version) THEN
        RAISE EXCEPTION 'alerts: what was raised never changes' USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.events IS DISTINCT FROM (SELECT max(seq) FROM alert_events WHERE alert_id = NEW.alert_id)
       OR NEW.status IS DISTINCT FROM
          (SELECT status FROM alert_events WHERE alert_id = NEW.alert_id AND seq = NEW.events) THEN
        RAISE EXCEPTION 'alerts: status and event count follow the latest alert_events step'
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER alerts_follow_their_history BEFORE UPDATE ON alerts
    FOR EACH ROW EXECUTE FUNCTION alerts_follow_their_history();
