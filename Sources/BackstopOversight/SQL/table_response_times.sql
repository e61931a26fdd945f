-- Time to sign-for: fulfilled sign-for obligations opened in the period. Time to first measure:
-- cases opened in the period that have a measure, counted from the case's opening (grouped by the
-- case's lead; per rule it is one group). Hours, median and P90.
WITH p AS (SELECT $1::timestamptz AS from_at, $2::timestamptz AS to_at, $3::text AS dim, $4::text AS township, $5::text AS kind, $6::text AS tz),
sign_for AS (
    SELECT COALESCE(CASE p.dim WHEN 'organisation' THEN o.owner_org WHEN 'kind' THEN o.owner_kind WHEN 'township' THEN o.township ELSE o.rule_id END, '(unknown)') AS grp,
           o.elapsed_seconds / 3600.0 AS hours
    FROM backstop.oversight_obligations o, p
    WHERE o.action = 'sign_for' AND o.outcome = 'fulfilled' AND o.opened_at >= p.from_at AND o.opened_at < p.to_at
      AND (p.township IS NULL OR o.township = p.township) AND (p.kind IS NULL OR o.owner_kind = p.kind)
),
first_measure AS (
    SELECT COALESCE(CASE p.dim WHEN 'organisation' THEN c.lead_org WHEN 'kind' THEN c.lead_kind WHEN 'township' THEN c.township ELSE 'first measure' END, '(unknown)') AS grp,
           greatest(0, date_part('epoch', c.first_measure_at - c.opened_at)) / 3600.0 AS hours
    FROM backstop.oversight_cases c, p
    WHERE c.opened_at >= p.from_at AND c.opened_at < p.to_at AND c.first_measure_at IS NOT NULL
      AND (p.township IS NULL OR c.township = p.township) AND (p.kind IS NULL OR c.lead_kind = p.kind)
),
s AS (SELECT grp, count(*) AS n, percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) AS median,
             percentile_cont(0.9) WITHIN GROUP (ORDER BY hours) AS p90 FROM sign_for GROUP BY grp),
m AS (SELECT grp, count(*) AS n, percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) AS median,
             percentile_cont(0.9) WITHIN GROUP (ORDER BY hours) AS p90 FROM first_measure GROUP BY grp)
SELECT COALESCE(s.grp, m.grp), COALESCE(s.n, 0), round(s.median::numeric, 1)::float8, round(s.p90::numeric, 1)::float8,
       COALESCE(m.n, 0), round(m.median::numeric, 1)::float8, round(m.p90::numeric, 1)::float8
FROM s FULL JOIN m ON s.grp = m.grp
ORDER BY 1
