-- Publish a batch in one statement: reserve idempotency keys, store the new events, fan them out to
-- every matching subscription, and report one row per input, in input order.
-- While any subscription is ordered, publishers of the same subject are serialised by a
-- transaction-scoped advisory lock taken before positions are drawn, so positions within one
-- subject follow commit order (ordered subscriptions rely on it). A NULL event_id in the result means the key was published concurrently by a
-- transaction that committed while this statement ran; the caller looks it up again.
WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[])
        WITH ORDINALITY AS t(id, source, type, subject, district, key, envelope, n)
), locked AS (
    SELECT count(pg_advisory_xact_lock(hashtextextended('backstop.subject:' || s.subject, 0))) AS n
    FROM (SELECT DISTINCT subject FROM input
          WHERE subject IS NOT NULL AND EXISTS (SELECT 1 FROM backstop.subscriptions o WHERE o.ordered)
          ORDER BY subject) s
), firsts AS (
    SELECT DISTINCT ON (source, key) * FROM input ORDER BY source, key, n
), reserved AS (
    INSERT INTO backstop.idempotency AS i (source, key, event_id, position, accepted_at)
    -- Positions are drawn in input order; keys are inserted in key order, so two batches sharing
    -- keys cannot deadlock on each other.
    SELECT numbered.* FROM (
        SELECT f.source, f.key, f.id, nextval('backstop.event_position') AS position, now() AS accepted_at
        FROM (SELECT firsts.* FROM firsts, locked ORDER BY firsts.n) f
    ) numbered
    ORDER BY numbered.source, numbered.key
    ON CONFLICT DO NOTHING
    RETURNING i.source, i.key, i.event_id, i.position, i.accepted_at
), stored AS (
    INSERT INTO backstop.events (position, accepted_at, id, source, type, subject, district, envelope)
    SELECT r.position, r.accepted_at, f.id, f.source, f.type, f.subject, coalesce(f.district, ''), f.envelope
    FROM reserved r JOIN firsts f ON f.source = r.source AND f.key = r.key
    RETURNING position, accepted_at, type, subject, district, envelope
), fanned AS (
    INSERT INTO backstop.deliveries (subscription_id, position, accepted_at, subject, ordered, visible_at, envelope)
    SELECT s.id, e.position, e.accepted_at, e.subject, s.ordered, e.accepted_at, e.envelope
    FROM stored e JOIN backstop.subscriptions s
      ON (s.event_types IS NULL OR e.type = ANY (s.event_types))
     AND starts_with(e.district, s.district_prefix)
    RETURNING subscription_id
)
SELECT t.n,
       coalesce(r.event_id, i.event_id) AS event_id,
       coalesce(r.position, i.position) AS event_position,
       coalesce(r.accepted_at, i.accepted_at) AS accepted_at,
       (r.position IS NULL OR t.n <> f.n) AS duplicate,
       -- The first row carries the subscriptions the new events went to, one entry per delivery (to
       -- wake their consumers). Once for the batch: joining them per event ran as a nested loop
       -- over the deliveries, a quarter of a 100-event publish.
       CASE WHEN t.n = 1 THEN (SELECT array_agg(d.subscription_id) FROM fanned d) END AS woken
FROM input t
JOIN firsts f ON f.source = t.source AND f.key = t.key
LEFT JOIN reserved r ON r.source = t.source AND r.key = t.key
-- A key stored earlier: one index probe (LATERAL keeps it a probe whatever the statistics say).
LEFT JOIN LATERAL (
    SELECT k.event_id, k.position, k.accepted_at FROM backstop.idempotency k
    WHERE r.position IS NULL AND k.source = t.source AND k.key = t.key
    LIMIT 1
) i ON true
ORDER BY t.n
