-- An obligation was fulfilled, cancelled or waived.
INSERT INTO backstop.oversight_obligations (obligation_id, rule_id, owner_org, outcome, closed_at, late, elapsed_seconds)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (obligation_id) DO UPDATE SET
    outcome = EXCLUDED.outcome, closed_at = EXCLUDED.closed_at, late = EXCLUDED.late, elapsed_seconds = EXCLUDED.elapsed_seconds
