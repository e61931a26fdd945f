-- The obligations of one case (and of the alert that raised it), in the order they opened, with the
-- highest rung of the ladder each reached.
SELECT o.obligation_id, o.rule_id, COALESCE(o.action, ''), o.owner_org, o.opened_at, o.due_at, o.closed_at, o.outcome, o.late,
       (SELECT max(e.level) FROM backstop.oversight_escalations e WHERE e.obligation_id = o.obligation_id)
FROM backstop.oversight_obligations o
WHERE o.case_id = $1
   OR o.alert_id IN (SELECT alert_id FROM backstop.oversight_obligations WHERE case_id = $1 AND alert_id IS NOT NULL)
ORDER BY o.opened_at NULLS LAST, o.obligation_id
