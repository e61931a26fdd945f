-- A case about to close: its lead and state, and its open obligations (by case id, or by the
-- correlation id that links the alert → measures → closure chain).
SELECT c.lead_org, c.state,
       coalesce((SELECT array_agg(o.id::text ORDER BY o.opened_at) FROM backstop.obligations o
                 WHERE o.state = 'open' AND (o.case_id = c.case_id OR o.link_key = c.case_id
                       OR (c.correlation_id IS NOT NULL AND o.correlation_id = c.correlation_id))), '{}')
FROM backstop.cases c
WHERE c.case_id = $1
FOR UPDATE
