-- Acknowledge earlier deliveries and claim up to $2 new ones for subscription $1, in one statement.
--  $3 lease in ms (NULL: the subscription's), $4/$5 acknowledged positions and their attempt numbers
--  (the attempt fences off a consumer whose lease expired and was handed to another).
-- The bus runs it on connections with synchronous_commit off: a lost ack or claim only causes a
-- redelivery, so it need not wait for the WAL flush (design D6).
-- A lease that expired on the final attempt is dead-lettered instead of delivered again.
WITH acks AS (
    SELECT * FROM unnest($4::bigint[], $5::integer[]) AS a(position, attempts)
), acked AS (
    DELETE FROM backstop.deliveries d
    USING acks a
    WHERE d.subscription_id = $1::bigint AND d.position = a.position AND d.attempts = a.attempts
    RETURNING d.position
), sub AS (
    SELECT s.ordered, s.max_attempts, coalesce($3::integer, s.lease_ms) AS lease_ms
    FROM backstop.subscriptions s
    WHERE s.id = $1::bigint
), candidates AS (
    SELECT d.position, d.attempts
    FROM backstop.deliveries d, sub
    WHERE d.subscription_id = $1::bigint AND d.visible_at <= now()
      AND NOT EXISTS (SELECT 1 FROM acks a WHERE a.position = d.position)
      AND (NOT sub.ordered OR d.subject IS NULL OR NOT EXISTS (
            SELECT 1 FROM backstop.deliveries e
            WHERE e.subscription_id = $1::bigint AND e.ordered AND e.subject = d.subject AND e.position < d.position
              AND NOT EXISTS (SELECT 1 FROM acks a WHERE a.position = e.position AND a.attempts = e.attempts)))
    ORDER BY d.visible_at, d.position
    LIMIT $2::integer
    FOR UPDATE OF d SKIP LOCKED
), leased AS (
    UPDATE backstop.deliveries d
    SET attempts = d.attempts + 1, leased = true,
        visible_at = clock_timestamp() + make_interval(secs => sub.lease_ms / 1000.0)
    FROM candidates c, sub
    WHERE d.subscription_id = $1::bigint AND d.position = c.position AND c.attempts < sub.max_attempts
    RETURNING d.position, d.attempts, d.accepted_at
), exhausted AS (
    DELETE FROM backstop.deliveries d
    USING candidates c, sub
    WHERE d.subscription_id = $1::bigint AND d.position = c.position AND c.attempts >= sub.max_attempts
    RETURNING d.subscription_id, d.position, d.accepted_at, d.subject, d.attempts, d.last_error
), buried AS (
    INSERT INTO backstop.dead_letters (subscription_id, position, accepted_at, subject, attempts, last_error)
    SELECT x.subscription_id, x.position, x.accepted_at, x.subject, x.attempts,
           coalesce(x.last_error || '; ', '') || 'lease expired on the final attempt'
    FROM exhausted x
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT l.position, l.attempts, l.accepted_at, e.envelope
FROM leased l
JOIN backstop.events e ON e.position = l.position AND e.accepted_at = l.accepted_at
ORDER BY l.position
