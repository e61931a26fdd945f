-- Clue triage (a clue becomes an alert, joins a recent alert, or is attached to the household's
-- open case) and what recurring duties need: where alerts and cases are (follow-up visits go to
-- the household's township).

ALTER TABLE backstop.alerts ADD COLUMN location_code text;
ALTER TABLE backstop.cases ADD COLUMN location_code text;
CREATE INDEX alerts_household ON backstop.alerts (household_ref, raised_at);
CREATE INDEX cases_household_open ON backstop.cases (household_ref) WHERE state = 'open';
CREATE INDEX cases_closed ON backstop.cases (closed_at) WHERE state = 'closed';

CREATE TABLE backstop.clue_triage (
    clue_source   text NOT NULL,
    clue_event    text NOT NULL,
    household_ref text NOT NULL,
    outcome       text NOT NULL CHECK (outcome IN ('alert_raised', 'joined_alert', 'attached_to_case', 'left_to_office')),
    alert_id      text,
    case_id       text,
    triaged_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (clue_source, clue_event)
);
