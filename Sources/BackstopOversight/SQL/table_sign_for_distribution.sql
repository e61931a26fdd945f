-- How long sign-for took, in buckets, for sign-for obligations opened in the period (still
-- unsigned ones in the last column).
WITH p AS (SELECT $1::timestamptz AS from_at, $2::timestamptz AS to_at, $3::text AS dim, $4::text AS township, $5::text AS kind, $6::text AS tz),
x AS (
    SELECT CASE p.dim WHEN 'organisation' THEN o.owner_org WHEN 'kind' THEN o.owner_kind WHEN 'township' THEN o.township ELSE o.rule_id END AS grp,
           CASE WHEN o.outcome = 'fulfilled' THEN o.elapsed_seconds END AS s, o.closed_at IS NULL AS unsigned
    FROM backstop.oversight_obligations o, p
    WHERE o.action = 'sign_for' AND (o.outcome IS NULL OR o.outcome = 'fulfilled') AND o.opened_at >= p.from_at AND o.opened_at < p.to_at
      AND (p.township IS NULL OR o.township = p.township) AND (p.kind IS NULL OR o.owner_kind = p.kind)
)
SELECT COALESCE(grp, '(unknown)'),
       count(*) FILTER (WHERE s < 7200), count(*) FILTER (WHERE s >= 7200 AND s < 28800),
       count(*) FILTER (WHERE s >= 28800 AND s < 86400), count(*) FILTER (WHERE s >= 86400 AND s < 172800),
       count(*) FILTER (WHERE s >= 172800 AND s < 432000), count(*) FILTER (WHERE s >= 432000),
       count(*) FILTER (WHERE unsigned)
FROM x GROUP BY 1 ORDER BY 1
