-- Pledges made in the period and how far they got (IATI: a pledge is not a commitment): committed,
-- disbursed, conversion and median lag in days between the stages.
WITH p AS (SELECT $1::timestamptz AS from_at, $2::timestamptz AS to_at, $3::text AS dim, $4::text AS township, $5::text AS kind, $6::text AS tz),
x AS (
    SELECT CASE p.dim WHEN 'organisation' THEN d.donor_org WHEN 'kind' THEN d.donor_kind ELSE d.township END AS grp, d.*
    FROM backstop.oversight_pledges d, p
    WHERE d.pledged_at >= p.from_at AND d.pledged_at < p.to_at
      AND (p.township IS NULL OR d.township = p.township) AND (p.kind IS NULL OR d.donor_kind = p.kind)
)
SELECT COALESCE(grp, '(unknown)'), count(*), COALESCE(sum(pledged_yuan), 0)::bigint,
       count(*) FILTER (WHERE committed_at IS NOT NULL), count(*) FILTER (WHERE disbursed_at IS NOT NULL),
       COALESCE(sum(disbursed_yuan), 0)::bigint,
       round(100.0 * count(*) FILTER (WHERE committed_at IS NOT NULL) / count(*), 1)::float8,
       round(100.0 * count(*) FILTER (WHERE disbursed_at IS NOT NULL) / count(*), 1)::float8,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY date_part('epoch', committed_at - pledged_at) / 86400))::numeric, 1)::float8,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY date_part('epoch', disbursed_at - committed_at) / 86400))::numeric, 1)::float8
FROM x GROUP BY 1 ORDER BY 1
