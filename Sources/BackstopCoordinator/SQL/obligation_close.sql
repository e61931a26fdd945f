-- Close one open obligation by id (an answer that arrived before it opened, or a waiver).
UPDATE backstop.obligations o
SET state = $2, closed_at = $3, late = ($2 = 'fulfilled' AND $3 > o.due_at), closed_by_event = $4, next_at = NULL
WHERE o.id = $1 AND o.state = 'open'
RETURNING o.id, o.rule_id, o.owner_org, o.opened_at, o.closed_at, o.late, o.state, o.case_id, o.correlation_id, o.district_code
