-- Open one obligation; nothing when the same trigger already opened it for this rule and owner
-- (a redelivered trigger), or when the owner already has the same action open for the same key
-- (a redispatch naming an organisation that was already assigned). Returns the new row's id.
INSERT INTO backstop.obligations (rule_id, action, owner_org, link_key, case_id, correlation_id, district_code,
    trigger_source, trigger_id, calendar, opened_at, warn_at, due_at, breach_at, supervise_at, next_at)
SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $12
WHERE NOT EXISTS (SELECT 1 FROM backstop.obligations o
                  WHERE o.state = 'open' AND o.link_key = $4 AND o.owner_org = $3 AND o.action = $2)
ON CONFLICT (trigger_source, trigger_id, rule_id, owner_org) DO NOTHING
RETURNING id
