-- The case an oversight drill-down asks for.
SELECT case_id, lead_org, lead_kind, township, opened_at, first_measure_at, state, state_at
FROM backstop.oversight_cases WHERE case_id = $1
