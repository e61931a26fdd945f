-- A closed case was reopened (回退): its latest earlier closure counts as reversed.
WITH reversal AS (
    UPDATE backstop.oversight_closures SET reopened_at = $2
    WHERE case_id = $1 AND reopened_at IS NULL
      AND closed_at = (SELECT max(closed_at) FROM backstop.oversight_closures WHERE case_id = $1 AND closed_at <= $2)
)
INSERT INTO backstop.oversight_cases (case_id, state, state_at) VALUES ($1, 'open', $2)
ON CONFLICT (case_id) DO UPDATE SET
    state = CASE WHEN backstop.oversight_cases.state_at > EXCLUDED.state_at THEN backstop.oversight_cases.state ELSE 'open' END,
    state_at = GREATEST(backstop.oversight_cases.state_at, EXCLUDED.state_at)
