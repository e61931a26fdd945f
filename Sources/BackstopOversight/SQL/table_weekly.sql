-- Week by week over the period (weeks start on Monday 00:00 in the review's time zone and last
-- 7 × 24 h): obligations due and answered on time, sign-for times, breaches. Rows are bucketed with
-- date_bin on the instant (integer arithmetic), not by converting each one to local time or by
-- numeric epoch arithmetic, which costs more than the scan over a year of rows.
WITH p AS (SELECT $1::timestamptz AS from_at, $2::timestamptz AS to_at, $3::text AS dim, $4::text AS township, $5::text AS kind, $6::text AS tz),
w AS (SELECT (date_trunc('week', p.from_at AT TIME ZONE p.tz) AT TIME ZONE p.tz) AS start, least(p.to_at, now()) AS stop, p.* FROM p),
weeks AS (SELECT generate_series(w.start, w.stop - interval '1 microsecond', interval '168 hours') AS week FROM w),
due AS (
    SELECT date_bin(interval '168 hours', o.due_at, w.start) AS week, count(*) AS total,
           count(*) FILTER (WHERE o.outcome = 'fulfilled' AND NOT o.late) AS on_time
    FROM w, backstop.oversight_obligations o
    WHERE o.due_at >= w.from_at AND o.due_at < w.stop AND (o.outcome IS NULL OR o.outcome = 'fulfilled')
      AND (w.township IS NULL OR o.township = w.township) AND (w.kind IS NULL OR o.owner_kind = w.kind)
    GROUP BY 1
),
signed AS (
    SELECT date_bin(interval '168 hours', o.opened_at, w.start) AS week,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY o.elapsed_seconds) / 3600.0 AS median,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY o.elapsed_seconds) / 3600.0 AS p90
    FROM w, backstop.oversight_obligations o
    WHERE o.action = 'sign_for' AND o.outcome = 'fulfilled' AND o.opened_at >= w.from_at AND o.opened_at < w.to_at
      AND (w.township IS NULL OR o.township = w.township) AND (w.kind IS NULL OR o.owner_kind = w.kind)
    GROUP BY 1
),
breaches AS (
    SELECT date_bin(interval '168 hours', e.at, w.start) AS week, count(*) AS total
    FROM w, backstop.oversight_escalations e
    WHERE e.level = 2 AND e.at >= w.from_at AND e.at < w.to_at
      AND (w.township IS NULL OR e.township = w.township) AND (w.kind IS NULL OR e.org_kind = w.kind)
    GROUP BY 1
)
SELECT to_char(weeks.week AT TIME ZONE w.tz, 'YYYY-MM-DD'), COALESCE(d.total, 0), COALESCE(d.on_time, 0),
       CASE WHEN d.total > 0 THEN round(100.0 * d.on_time / d.total, 1)::float8 END,
       round(s.median::numeric, 1)::float8, round(s.p90::numeric, 1)::float8, COALESCE(b.total, 0)
FROM w, weeks
LEFT JOIN due d ON d.week = weeks.week
LEFT JOIN signed s ON s.week = weeks.week
LEFT JOIN breaches b ON b.week = weeks.week
ORDER BY weeks.week
