-- Open obligations past their due time now, by how long overdue (the period does not apply: the
-- backlog is today's).
WITH p AS (SELECT $1::timestamptz AS from_at, $2::timestamptz AS to_at, $3::text AS dim, $4::text AS township, $5::text AS kind, $6::text AS tz),
x AS (
    SELECT CASE p.dim WHEN 'organisation' THEN o.owner_org WHEN 'kind' THEN o.owner_kind WHEN 'township' THEN o.township ELSE o.rule_id END AS grp,
           now() - o.due_at AS age
    FROM backstop.oversight_obligations o, p
    WHERE o.closed_at IS NULL AND o.due_at < now()
      AND (p.township IS NULL OR o.township = p.township) AND (p.kind IS NULL OR o.owner_kind = p.kind)
)
SELECT COALESCE(grp, '(unknown)'), count(*), count(*) FILTER (WHERE age < interval '1 day'),
       count(*) FILTER (WHERE age >= interval '1 day' AND age < interval '5 days'),
       count(*) FILTER (WHERE age >= interval '5 days' AND age < interval '20 days'), count(*) FILTER (WHERE age >= interval '20 days')
FROM x GROUP BY 1 ORDER BY 1
