-- Remember an alert's household, case and lead (closure rules need the case's lead).
INSERT INTO backstop.alerts (alert_id, household_ref, case_id, lead_org, correlation_id, raised_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (alert_id) DO UPDATE SET lead_org = coalesce(EXCLUDED.lead_org, backstop.alerts.lead_org)
