-- Jobs offered in the period, and what became of them: referrals, acceptances, placements, and the
-- median days from referral to placement.
WITH p AS (SELECT $1::timestamptz AS from_at, $2::timestamptz AS to_at, $3::text AS dim, $4::text AS township, $5::text AS kind, $6::text AS tz),
offers AS (
    SELECT CASE p.dim WHEN 'organisation' THEN f.employer_org WHEN 'kind' THEN f.employer_kind ELSE f.township END AS grp,
           f.offer_id, f.positions,
           (SELECT count(*) FROM backstop.oversight_referrals r WHERE r.offer_id = f.offer_id) AS referrals,
           (SELECT count(*) FROM backstop.oversight_referrals r WHERE r.offer_id = f.offer_id AND r.answer = 'accepted') AS accepted,
           (SELECT count(*) FROM backstop.oversight_placements pl WHERE pl.offer_id = f.offer_id) AS placements
    FROM backstop.oversight_job_offers f, p
    WHERE f.offered_at >= p.from_at AND f.offered_at < p.to_at
      AND (p.township IS NULL OR f.township = p.township) AND (p.kind IS NULL OR f.employer_kind = p.kind)
),
lags AS (
    SELECT f.grp, percentile_cont(0.5) WITHIN GROUP (ORDER BY date_part('epoch', pl.placed_at - r.sent_at) / 86400) AS days
    FROM offers f
    JOIN backstop.oversight_placements pl ON pl.offer_id = f.offer_id
    JOIN backstop.oversight_referrals r ON r.referral_id = pl.referral_id AND r.sent_at IS NOT NULL
    GROUP BY f.grp
)
SELECT COALESCE(f.grp, '(unknown)'), count(*), sum(f.positions)::bigint, sum(f.referrals)::bigint, sum(f.accepted)::bigint,
       sum(f.placements)::bigint,
       CASE WHEN sum(f.referrals) > 0 THEN round(100.0 * sum(f.placements) / sum(f.referrals), 1)::float8 END,
       round(max(l.days)::numeric, 1)::float8
FROM offers f LEFT JOIN lags l ON l.grp IS NOT DISTINCT FROM f.grp
GROUP BY 1 ORDER BY 1
