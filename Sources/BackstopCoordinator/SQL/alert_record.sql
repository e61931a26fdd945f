-- Remember an alert's household, case, lead and place (closure rules need the case's lead;
-- follow-up visits go to the household's township).
INSERT INTO backstop.alerts (alert_id, household_ref, case_id, lead_org, correlation_id, raised_at, location_code)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (alert_id) DO UPDATE SET lead_org = coalesce(EXCLUDED.lead_org, backstop.alerts.lead_org),
                                     location_code = coalesce(EXCLUDED.location_code, backstop.alerts.location_code)
