-- An obligation's deadline passed without an answer (L2).
INSERT INTO backstop.oversight_obligations (obligation_id, rule_id, owner_org, breached_at)
VALUES ($1, $2, $3, $4)
ON CONFLICT (obligation_id) DO UPDATE SET
    breached_at = COALESCE(backstop.oversight_obligations.breached_at, EXCLUDED.breached_at)
