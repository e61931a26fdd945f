-- Breaches by organisation $1 within the window ($2 seconds up to now), unless an L4 escalation
-- for it was already raised within the same window.
SELECT coalesce(array_agg(o.id ORDER BY o.breached_at), '{}')
FROM backstop.obligations o
WHERE o.owner_org = $1 AND o.breached_at > now() - make_interval(secs => $2)
  AND NOT EXISTS (SELECT 1 FROM backstop.escalations e
                  WHERE e.org_id = $1 AND e.level = 4 AND e.raised_at > now() - make_interval(secs => $2))
