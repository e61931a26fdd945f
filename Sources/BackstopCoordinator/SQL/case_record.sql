-- Open a case; its lead is the lead of the alert it came from, else the organisation that
-- identified it; its place is the alert's. A reopened case becomes open again.
INSERT INTO backstop.cases (case_id, household_ref, lead_org, alert_id, correlation_id, opened_at, location_code)
VALUES ($1, $2, coalesce((SELECT a.lead_org FROM backstop.alerts a WHERE a.alert_id = $4), $3), $4, $5, $6,
        (SELECT a.location_code FROM backstop.alerts a WHERE a.alert_id = $4))
ON CONFLICT (case_id) DO UPDATE SET state = 'open', closed_at = NULL
