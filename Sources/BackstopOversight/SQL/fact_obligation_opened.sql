-- An obligation was opened. $5 is the owner's kind by the id convention, used when the owner is
-- not registered. A close or breach seen first has already created the row.
INSERT INTO backstop.oversight_obligations
    (obligation_id, rule_id, action, owner_org, owner_kind, township, case_id, alert_id, opened_at, due_at)
VALUES ($1, $2, $3, $4, COALESCE((SELECT kind FROM backstop.organisations WHERE id = $4), $5), $6, $7, $8, $9, $10)
ON CONFLICT (obligation_id) DO UPDATE SET
    action = EXCLUDED.action, owner_kind = EXCLUDED.owner_kind, township = EXCLUDED.township, case_id = EXCLUDED.case_id,
    alert_id = EXCLUDED.alert_id, opened_at = EXCLUDED.opened_at,
    due_at = COALESCE(backstop.oversight_obligations.due_at, EXCLUDED.due_at)
