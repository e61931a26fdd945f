-- A case was closed; the latest change of state wins.
WITH closure AS (
    INSERT INTO backstop.oversight_closures (case_id, closed_at, township) VALUES ($1, $2, $3)
    ON CONFLICT (case_id, closed_at) DO NOTHING
)
INSERT INTO backstop.oversight_cases (case_id, township, state, state_at) VALUES ($1, $3, 'closed', $2)
ON CONFLICT (case_id) DO UPDATE SET
    township = COALESCE(backstop.oversight_cases.township, EXCLUDED.township),
    state = CASE WHEN backstop.oversight_cases.state_at > EXCLUDED.state_at THEN backstop.oversight_cases.state ELSE 'closed' END,
    state_at = GREATEST(backstop.oversight_cases.state_at, EXCLUDED.state_at)
