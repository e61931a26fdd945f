-- Obligations due in the period whose due time has passed: answered on time, answered late, still
-- open. Cancelled and waived obligations do not count.
WITH p AS (SELECT $1::timestamptz AS from_at, $2::timestamptz AS to_at, $3::text AS dim, $4::text AS township, $5::text AS kind, $6::text AS tz),
x AS (
    SELECT CASE p.dim WHEN 'organisation' THEN o.owner_org WHEN 'kind' THEN o.owner_kind WHEN 'township' THEN o.township ELSE o.rule_id END AS grp,
           o.outcome = 'fulfilled' AND NOT o.late AS on_time, o.outcome = 'fulfilled' AND o.late AS late, o.closed_at IS NULL AS open
    FROM backstop.oversight_obligations o, p
    WHERE o.due_at >= p.from_at AND o.due_at < least(p.to_at, now()) AND (o.outcome IS NULL OR o.outcome = 'fulfilled')
      AND (p.township IS NULL OR o.township = p.township) AND (p.kind IS NULL OR o.owner_kind = p.kind)
)
SELECT COALESCE(grp, '(unknown)'), count(*), count(*) FILTER (WHERE on_time), count(*) FILTER (WHERE late), count(*) FILTER (WHERE open),
       round(100.0 * count(*) FILTER (WHERE on_time) / count(*), 1)::float8
FROM x GROUP BY 1 ORDER BY 1
