-- The event stored for (source, key) pairs that a concurrent publisher committed first.
SELECT k.n, i.event_id, i.position, i.accepted_at
FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(source, key, n)
JOIN backstop.idempotency i ON i.source = k.source AND i.key = k.key
ORDER BY k.n
