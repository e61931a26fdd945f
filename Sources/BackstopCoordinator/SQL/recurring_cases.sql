-- Cases that may owe a follow-up visit this month: open ones, and those closed since $1 (the start
-- of the month the longest post-closure window reaches back to), leaving out those whose visit of
-- this month ($3, YYYY-MM) under rule $2 is already open or done. The visitor is the household's
-- township when its place is known, else the case's lead.
SELECT c.case_id,
       CASE WHEN c.location_code ~ '^[0-9]{9}' THEN 'township-' || left(c.location_code, 9) ELSE c.lead_org END,
       c.opened_at, c.closed_at
FROM backstop.cases c
WHERE (c.state = 'open' OR c.closed_at >= $1)
  AND NOT EXISTS (SELECT 1 FROM backstop.obligations o
                  WHERE o.trigger_source = 'recurring' AND o.trigger_id = $2 || '/' || c.case_id || '/' || $3)
