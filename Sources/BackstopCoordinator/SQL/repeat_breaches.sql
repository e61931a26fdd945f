-- Organisations among $1 with at least $3 breaches within the window ($2 seconds up to now) and no
-- L4 escalation already raised for them within the same window, with those obligations.
SELECT o.owner_org, array_agg(o.id::text ORDER BY o.breached_at)
FROM backstop.obligations o
WHERE o.owner_org = ANY ($1::text[]) AND o.breached_at > now() - make_interval(secs => $2)
  AND NOT EXISTS (SELECT 1 FROM backstop.escalations e
                  WHERE e.org_id = o.owner_org AND e.level = 4 AND e.raised_at > now() - make_interval(secs => $2))
GROUP BY o.owner_org
HAVING count(*) >= $3
ORDER BY o.owner_org
