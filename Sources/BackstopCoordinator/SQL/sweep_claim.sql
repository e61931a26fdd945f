-- One sweep tick: the open obligations whose next rung has come, oldest first, locked so that
-- several coordinators share the work. Reads only due rows (index obligations_next), so a tick
-- costs the same with ten thousand or a million obligations open. Also returns the database clock.
SELECT o.id, o.rule_id, o.owner_org, o.level, o.warn_at, o.due_at, o.breach_at, o.supervise_at,
       o.case_id, o.correlation_id, o.district_code, o.trigger_id, now()
FROM backstop.obligations o
WHERE o.next_at <= now()
ORDER BY o.next_at
LIMIT $1
FOR UPDATE SKIP LOCKED
