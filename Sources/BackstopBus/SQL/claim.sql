-- Acknowledge earlier deliveries and claim up to $2 new ones for subscription $1, in one statement.
--  $3 lease in ms (NULL: the subscription's), $4/$5 acknowledged positions and their lease tokens
--  (a random token per claim fences off a consumer whose lease expired and was handed to another,
--  even when an asynchronously committed claim was lost in a crash and the attempt number repeats).
-- The bus runs it on connections with synchronous_commit off: a lost ack or claim only causes a
-- redelivery, so it need not wait for the WAL flush (design D6).
-- A lease that expired on the final attempt is dead-lettered instead of delivered again.
-- The bus runs statements with generic plans, so every step has a shape that needs no statistics:
-- key lookups through `= ANY(array)` and row addresses (ctid) for rows this statement locked. The
-- envelope travels in the delivery row (migration 0003), so the event log's partitions are not
-- touched.
WITH acked AS (
    -- Scalar tests only (no join against the ack list), so the plan is always a primary-key probe.
    DELETE FROM backstop.deliveries d
    WHERE d.subscription_id = $1::bigint AND d.position = ANY ($4::bigint[])
      AND d.lease_token = ($5::uuid[])[array_position($4::bigint[], d.position)]
    RETURNING d.position
), sub AS (
    SELECT s.ordered, s.max_attempts, coalesce($3::integer, s.lease_ms) AS lease_ms
    FROM backstop.subscriptions s
    WHERE s.id = $1::bigint
), candidates AS (
    SELECT d.ctid AS tid, d.attempts, sub.max_attempts, sub.lease_ms
    FROM backstop.deliveries d, sub
    WHERE d.subscription_id = $1::bigint AND d.visible_at <= now()
      AND (d.leased_until IS NULL OR d.leased_until <= now())
      AND d.position <> ALL ($4::bigint[])
      AND (NOT sub.ordered OR d.subject IS NULL OR NOT EXISTS (
            SELECT 1 FROM backstop.deliveries e
            WHERE e.subscription_id = $1::bigint AND e.ordered AND e.subject = d.subject AND e.position < d.position
              -- Only rows this statement really deleted stop blocking (reading `acked` also makes the
              -- DELETE run first, so a concurrent re-claim of an acked row is seen).
              AND NOT EXISTS (SELECT 1 FROM acked k WHERE k.position = e.position)))
    ORDER BY d.visible_at, d.position
    LIMIT $2::integer
    FOR UPDATE OF d SKIP LOCKED
), leased AS (
    UPDATE backstop.deliveries d
    SET attempts = d.attempts + 1, lease_token = gen_random_uuid(),
        leased_until = clock_timestamp() + make_interval(secs => (SELECT lease_ms FROM sub) / 1000.0)
    WHERE d.ctid = ANY (ARRAY(SELECT c.tid FROM candidates c WHERE c.attempts < c.max_attempts))
    RETURNING d.position, d.attempts, d.accepted_at, d.envelope, d.lease_token
), exhausted AS (
    DELETE FROM backstop.deliveries d
    WHERE d.ctid = ANY (ARRAY(SELECT c.tid FROM candidates c WHERE c.attempts >= c.max_attempts))
    RETURNING d.subscription_id, d.position, d.accepted_at, d.subject, d.attempts, d.last_error
), buried AS (
    INSERT INTO backstop.dead_letters (subscription_id, position, accepted_at, subject, attempts, last_error)
    SELECT x.subscription_id, x.position, x.accepted_at, x.subject, x.attempts,
           coalesce(x.last_error || '; ', '') || 'lease expired on the final attempt'
    FROM exhausted x
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT l.position, l.attempts, l.accepted_at, l.envelope, l.lease_token
FROM leased l
ORDER BY l.position
