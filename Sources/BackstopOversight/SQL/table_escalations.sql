-- Rungs of the ladder reached in the period: L1 reminders, L2 breaches (催办), L3 supervision
-- (督办), L4 systemic failure (约谈).
WITH p AS (SELECT $1::timestamptz AS from_at, $2::timestamptz AS to_at, $3::text AS dim, $4::text AS township, $5::text AS kind, $6::text AS tz),
x AS (
    SELECT CASE p.dim WHEN 'organisation' THEN e.org_id WHEN 'kind' THEN e.org_kind WHEN 'township' THEN e.township ELSE e.rule_id END AS grp,
           e.level
    FROM backstop.oversight_escalations e, p
    WHERE e.at >= p.from_at AND e.at < p.to_at
      AND (p.township IS NULL OR e.township = p.township) AND (p.kind IS NULL OR e.org_kind = p.kind)
)
SELECT COALESCE(grp, '(none)'), count(*) FILTER (WHERE level = 1), count(*) FILTER (WHERE level = 2),
       count(*) FILTER (WHERE level = 3), count(*) FILTER (WHERE level = 4)
FROM x GROUP BY 1 ORDER BY 1
