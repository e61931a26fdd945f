-- The earliest answer already seen for a just-opened obligation (its answer arrived first).
SELECT outcome, event_id, answered_at
FROM backstop.obligation_answers
WHERE rule_id = $1 AND link_key = $2 AND (owner_org IS NULL OR owner_org = $3)
ORDER BY answered_at
LIMIT 1
