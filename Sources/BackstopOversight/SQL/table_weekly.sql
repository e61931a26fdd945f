-- Week by week over the period (weeks start on Monday in the review's time zone): obligations due
-- and answered on time, sign-for times, breaches.
WITH p AS (SELECT $1::timestamptz AS from_at, $2::timestamptz AS to_at, $3::text AS dim, $4::text AS township, $5::text AS kind, $6::text AS tz),
weeks AS (
    SELECT generate_series(date_trunc('week', p.from_at AT TIME ZONE p.tz), date_trunc('week', (least(p.to_at, now()) - interval '1 microsecond') AT TIME ZONE p.tz),
                           interval '1 week') AS week
    FROM p
),
due AS (
    SELECT date_trunc('week', o.due_at AT TIME ZONE p.tz) AS week, count(*) AS n,
           count(*) FILTER (WHERE o.outcome = 'fulfilled' AND NOT o.late) AS on_time
    FROM backstop.oversight_obligations o, p
    WHERE o.due_at >= p.from_at AND o.due_at < least(p.to_at, now()) AND (o.outcome IS NULL OR o.outcome = 'fulfilled')
      AND (p.township IS NULL OR o.township = p.township) AND (p.kind IS NULL OR o.owner_kind = p.kind)
    GROUP BY 1
),
signed AS (
    SELECT date_trunc('week', o.opened_at AT TIME ZONE p.tz) AS week,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY o.elapsed_seconds / 3600.0) AS median,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY o.elapsed_seconds / 3600.0) AS p90
    FROM backstop.oversight_obligations o, p
    WHERE o.action = 'sign_for' AND o.outcome = 'fulfilled' AND o.opened_at >= p.from_at AND o.opened_at < p.to_at
      AND (p.township IS NULL OR o.township = p.township) AND (p.kind IS NULL OR o.owner_kind = p.kind)
    GROUP BY 1
),
breaches AS (
    SELECT date_trunc('week', e.at AT TIME ZONE p.tz) AS week, count(*) AS n
    FROM backstop.oversight_escalations e, p
    WHERE e.level = 2 AND e.at >= p.from_at AND e.at < p.to_at
      AND (p.township IS NULL OR e.township = p.township) AND (p.kind IS NULL OR e.org_kind = p.kind)
    GROUP BY 1
)
SELECT to_char(w.week, 'YYYY-MM-DD'), COALESCE(d.n, 0), COALESCE(d.on_time, 0),
       CASE WHEN d.n > 0 THEN round(100.0 * d.on_time / d.n, 1)::float8 END,
       round(s.median::numeric, 1)::float8, round(s.p90::numeric, 1)::float8, COALESCE(b.n, 0)
FROM weeks w
LEFT JOIN due d ON d.week = w.week
LEFT JOIN signed s ON s.week = w.week
LEFT JOIN breaches b ON b.week = w.week
ORDER BY w.week
