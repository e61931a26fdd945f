-- Cases closed in the period and how many of those closures were reversed (回退) within 12 months.
WITH p AS (SELECT $1::timestamptz AS from_at, $2::timestamptz AS to_at, $3::text AS dim, $4::text AS township, $5::text AS kind, $6::text AS tz),
x AS (
    SELECT CASE p.dim WHEN 'organisation' THEN c.lead_org WHEN 'kind' THEN c.lead_kind ELSE COALESCE(k.township, c.township) END AS grp,
           k.reopened_at IS NOT NULL AND k.reopened_at < k.closed_at + interval '365 days' AS reversed
    FROM backstop.oversight_closures k
    LEFT JOIN backstop.oversight_cases c ON c.case_id = k.case_id, p
    WHERE k.closed_at >= p.from_at AND k.closed_at < p.to_at
      AND (p.township IS NULL OR COALESCE(k.township, c.township) = p.township) AND (p.kind IS NULL OR c.lead_kind = p.kind)
)
SELECT COALESCE(grp, '(unknown)'), count(*), count(*) FILTER (WHERE reversed), round(100.0 * count(*) FILTER (WHERE reversed) / count(*), 1)::float8
FROM x GROUP BY 1 ORDER BY 1
