-- An organisation contributed to a case; a measure may be the case's first.
WITH contribution AS (
    INSERT INTO backstop.oversight_contributions (event_id, case_id, org_id, org_kind, kind, at)
    VALUES ($1, $2, $3, COALESCE((SELECT kind FROM backstop.organisations WHERE id = $3), $4), $5, $6)
    ON CONFLICT (event_id) DO NOTHING
    RETURNING case_id, at
)
INSERT INTO backstop.oversight_cases (case_id, first_measure_at)
SELECT case_id, at FROM contribution WHERE $5 = 'measure'
ON CONFLICT (case_id) DO UPDATE SET
    first_measure_at = LEAST(backstop.oversight_cases.first_measure_at, EXCLUDED.first_measure_at)
