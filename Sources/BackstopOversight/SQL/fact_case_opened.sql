-- A case exists. The first lead seen stays (the alert's lead, usually); the earliest opening counts.
INSERT INTO backstop.oversight_cases (case_id, lead_org, lead_kind, township, opened_at, state_at)
VALUES ($1, $2, CASE WHEN $2::text IS NOT NULL THEN COALESCE((SELECT kind FROM backstop.organisations WHERE id = $2), $3) END, $4, $5, $5)
ON CONFLICT (case_id) DO UPDATE SET
    lead_org = COALESCE(backstop.oversight_cases.lead_org, EXCLUDED.lead_org),
    lead_kind = COALESCE(backstop.oversight_cases.lead_kind, EXCLUDED.lead_kind),
    township = COALESCE(backstop.oversight_cases.township, EXCLUDED.township),
    opened_at = LEAST(backstop.oversight_cases.opened_at, EXCLUDED.opened_at),
    state_at = COALESCE(backstop.oversight_cases.state_at, EXCLUDED.state_at)
