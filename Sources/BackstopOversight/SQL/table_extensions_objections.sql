-- Of the obligations opened in the period: how many asked for more time and how many got it; of
-- the sign-for obligations, how many were objected to (退单; a high rate means a bad duty catalogue).
WITH p AS (SELECT $1::timestamptz AS from_at, $2::timestamptz AS to_at, $3::text AS dim, $4::text AS township, $5::text AS kind, $6::text AS tz),
requests AS (
    SELECT obligation_id, bool_or(COALESCE(granted, false)) AS granted FROM backstop.oversight_extension_requests GROUP BY obligation_id
),
objections AS (SELECT DISTINCT alert_id, org_id FROM backstop.oversight_objections),
x AS (
    SELECT CASE p.dim WHEN 'organisation' THEN o.owner_org WHEN 'kind' THEN o.owner_kind WHEN 'township' THEN o.township ELSE o.rule_id END AS grp,
           o.action = 'sign_for' AS sign_for, r.obligation_id IS NOT NULL AS asked, COALESCE(r.granted, false) AS granted,
           j.alert_id IS NOT NULL AS objected
    FROM p, backstop.oversight_obligations o
    LEFT JOIN requests r ON r.obligation_id = o.obligation_id
    LEFT JOIN objections j ON o.action = 'sign_for' AND j.alert_id = o.alert_id AND j.org_id = o.owner_org
    WHERE o.opened_at >= p.from_at AND o.opened_at < p.to_at
      AND (p.township IS NULL OR o.township = p.township) AND (p.kind IS NULL OR o.owner_kind = p.kind)
)
SELECT COALESCE(grp, '(unknown)'), count(*), count(*) FILTER (WHERE asked), count(*) FILTER (WHERE granted),
       round(100.0 * count(*) FILTER (WHERE asked) / count(*), 1)::float8,
       count(*) FILTER (WHERE sign_for), count(*) FILTER (WHERE objected),
       CASE WHEN count(*) FILTER (WHERE sign_for) > 0
            THEN round(100.0 * count(*) FILTER (WHERE objected) / count(*) FILTER (WHERE sign_for), 1)::float8 END
FROM x GROUP BY 1 ORDER BY 1
