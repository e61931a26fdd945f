-- A rung of the ladder was reached (L1–L4). Township and rule come from the obligation when the
-- event does not carry them.
INSERT INTO backstop.oversight_escalations (event_id, level, org_id, org_kind, township, rule_id, obligation_id, at)
SELECT $1, $2, $3, COALESCE((SELECT kind FROM backstop.organisations WHERE id = $3), $4),
       COALESCE($5, o.township), COALESCE($6, o.rule_id), $7, $8
FROM (SELECT 1) AS one
LEFT JOIN backstop.oversight_obligations o ON o.obligation_id = $7
ON CONFLICT (event_id) DO NOTHING
