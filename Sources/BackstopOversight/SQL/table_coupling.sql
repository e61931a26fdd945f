-- Cases open now: how many have at least one measure, and how many at least one contribution from a
-- non-government party (enterprise, cooperative, social organisation, insurer) — the coupling
-- indicator. The period does not apply: it is today's caseload.
WITH p AS (SELECT $1::timestamptz AS from_at, $2::timestamptz AS to_at, $3::text AS dim, $4::text AS township, $5::text AS kind, $6::text AS tz),
x AS (
    SELECT CASE p.dim WHEN 'organisation' THEN c.lead_org WHEN 'kind' THEN c.lead_kind ELSE c.township END AS grp,
           c.first_measure_at IS NOT NULL AS measured,
           EXISTS (SELECT 1 FROM backstop.oversight_contributions k
                   WHERE k.case_id = c.case_id AND k.org_kind IN ('enterprise', 'cooperative', 'social_org', 'insurer')) AS coupled
    FROM backstop.oversight_cases c, p
    WHERE c.state = 'open' AND c.opened_at IS NOT NULL
      AND (p.township IS NULL OR c.township = p.township) AND (p.kind IS NULL OR c.lead_kind = p.kind)
)
SELECT COALESCE(grp, '(unknown)'), count(*), count(*) FILTER (WHERE measured), count(*) FILTER (WHERE coupled),
       round(100.0 * count(*) FILTER (WHERE measured) / count(*), 1)::float8, round(100.0 * count(*) FILTER (WHERE coupled) / count(*), 1)::float8
FROM x GROUP BY 1 ORDER BY 1
