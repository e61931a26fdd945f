-- Backstop bus schema: the event log, subscriptions, deliveries and dead letters.
--
-- Layout choices (design D6):
--  * events is INSERT-only and partitioned by day of acceptance, so retention drops whole partitions
--    instead of leaving dead rows; a DEFAULT partition means an insert can never be refused.
--  * deliveries holds only pending work (one row per event per matching subscription); ack deletes
--    the row. Its autovacuum is aggressive so the few dead rows are reclaimed quickly.
--  * the claim index is (subscription_id, visible_at, position); visible_at doubles as the lease
--    expiry, so an expired lease makes the row claimable again without any sweeper.

CREATE SCHEMA IF NOT EXISTS backstop;

CREATE SEQUENCE backstop.event_position AS bigint;

CREATE TABLE backstop.events (
    position     bigint      NOT NULL,
    accepted_at  timestamptz NOT NULL,
    id           text        NOT NULL,
    source       text        NOT NULL,
    type         text        NOT NULL,
    subject      text,
    district     text        NOT NULL DEFAULT '',
    envelope     jsonb       NOT NULL,
    PRIMARY KEY (position, accepted_at)
) PARTITION BY RANGE (accepted_at);

CREATE TABLE backstop.events_default PARTITION OF backstop.events DEFAULT;

-- (source, idempotency key) -> the one event stored for it. Kept as long as the events are.
CREATE TABLE backstop.idempotency (
    source       text        NOT NULL,
    key          text        NOT NULL,
    event_id     text        NOT NULL,
    position     bigint      NOT NULL,
    accepted_at  timestamptz NOT NULL,
    PRIMARY KEY (source, key)
);
CREATE INDEX idempotency_accepted_at ON backstop.idempotency (accepted_at);

CREATE TABLE backstop.subscriptions (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                text        NOT NULL UNIQUE,
    event_types         text[],                          -- NULL: every type
    district_prefix     text        NOT NULL DEFAULT '',
    ordered             boolean     NOT NULL DEFAULT false,
    max_attempts        integer     NOT NULL DEFAULT 10 CHECK (max_attempts BETWEEN 1 AND 1000),
    backoff_initial_ms  integer     NOT NULL DEFAULT 1000 CHECK (backoff_initial_ms >= 0),
    backoff_max_ms      integer     NOT NULL DEFAULT 600000 CHECK (backoff_max_ms >= backoff_initial_ms),
    lease_ms            integer     NOT NULL DEFAULT 30000 CHECK (lease_ms > 0),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE backstop.deliveries (
    subscription_id  bigint      NOT NULL,
    position         bigint      NOT NULL,
    accepted_at      timestamptz NOT NULL,
    subject          text,
    ordered          boolean     NOT NULL,
    visible_at       timestamptz NOT NULL,
    attempts         integer     NOT NULL DEFAULT 0,
    leased           boolean     NOT NULL DEFAULT false,
    last_error       text,
    PRIMARY KEY (subscription_id, position)
) WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 500,
        autovacuum_vacuum_cost_delay = 0, autovacuum_analyze_scale_factor = 0.05);

CREATE INDEX deliveries_claim ON backstop.deliveries (subscription_id, visible_at, position);
-- Per-subject ordering looks for an earlier pending delivery of the same subject.
CREATE INDEX deliveries_subject ON backstop.deliveries (subscription_id, subject, position) WHERE ordered;

CREATE TABLE backstop.dead_letters (
    subscription_id  bigint      NOT NULL,
    position         bigint      NOT NULL,
    accepted_at      timestamptz NOT NULL,
    subject          text,
    attempts         integer     NOT NULL,
    last_error       text,
    dead_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subscription_id, position)
);

-- Publish a batch in one statement: reserve idempotency keys, store new events, fan out to every
-- matching subscription, and report (id, position, duplicate) for each input in order.
-- Publishers of the same subject are serialised by a transaction-scoped advisory lock, so positions
-- within one subject follow commit order (what ordered subscriptions rely on).
CREATE FUNCTION backstop.publish(
    p_ids text[], p_sources text[], p_types text[], p_subjects text[], p_districts text[],
    p_keys text[], p_envelopes jsonb[]
) RETURNS TABLE (ord bigint, event_id text, event_position bigint, accepted_at timestamptz, duplicate boolean)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_subject text;
    v_new bigint[];
BEGIN
    FOR v_subject IN
        SELECT DISTINCT s FROM unnest(p_subjects) AS s WHERE s IS NOT NULL ORDER BY 1
    LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended('backstop.subject:' || v_subject, 0));
    END LOOP;

    WITH input AS (
        SELECT * FROM unnest(p_ids, p_sources, p_types, p_subjects, p_districts, p_keys, p_envelopes)
            WITH ORDINALITY AS t(id, source, type, subject, district, key, envelope, n)
    ), firsts AS (
        SELECT DISTINCT ON (source, key) * FROM input ORDER BY source, key, n
    ), reserved AS (
        INSERT INTO backstop.idempotency AS i (source, key, event_id, position, accepted_at)
        SELECT f.source, f.key, f.id, nextval('backstop.event_position'), now() FROM (SELECT * FROM firsts ORDER BY n) f
        ON CONFLICT DO NOTHING
        RETURNING i.source, i.key, i.position, i.accepted_at
    ), stored AS (
        INSERT INTO backstop.events (position, accepted_at, id, source, type, subject, district, envelope)
        SELECT r.position, r.accepted_at, f.id, f.source, f.type, f.subject, coalesce(f.district, ''), f.envelope
        FROM reserved r JOIN firsts f ON f.source = r.source AND f.key = r.key
        RETURNING position, accepted_at, type, subject, district
    ), fanned AS (
        INSERT INTO backstop.deliveries (subscription_id, position, accepted_at, subject, ordered, visible_at)
        SELECT s.id, e.position, e.accepted_at, e.subject, s.ordered, e.accepted_at
        FROM stored e JOIN backstop.subscriptions s
          ON (s.event_types IS NULL OR e.type = ANY (s.event_types))
         AND starts_with(e.district, s.district_prefix)
        RETURNING 1
    )
    SELECT array_agg(f.n) INTO v_new
    FROM reserved r JOIN firsts f ON f.source = r.source AND f.key = r.key
    WHERE (SELECT count(*) FROM fanned) >= 0;

    -- A new statement sees keys committed meanwhile by concurrent publishers of the same key.
    RETURN QUERY
    SELECT t.n, i.event_id, i.position, i.accepted_at, NOT (t.n = ANY (coalesce(v_new, '{}')))
    FROM unnest(p_sources, p_keys, p_ids) WITH ORDINALITY AS t(source, key, id, n)
    LEFT JOIN backstop.idempotency i ON i.source = t.source AND i.key = t.key
    ORDER BY t.n;
END;
$$;

-- Acknowledge earlier deliveries and claim up to p_limit new ones, in one round trip.
-- p_async: commit without waiting for the WAL flush (a lost ack or claim only causes a redelivery).
CREATE FUNCTION backstop.claim(
    p_subscription bigint, p_limit integer, p_lease_ms integer,
    p_ack_positions bigint[], p_ack_attempts integer[], p_async boolean
) RETURNS TABLE (event_position bigint, attempt integer, accepted_at timestamptz, envelope jsonb)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_ordered boolean;
    v_max integer;
    v_lease integer;
BEGIN
    IF p_async THEN
        PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
    IF cardinality(p_ack_positions) > 0 THEN
        DELETE FROM backstop.deliveries d
        USING unnest(p_ack_positions, p_ack_attempts) AS a(pos, att)
        WHERE d.subscription_id = p_subscription AND d.position = a.pos AND d.attempts = a.att;
    END IF;
    IF p_limit <= 0 THEN
        RETURN;
    END IF;
    SELECT s.ordered, s.max_attempts, coalesce(p_lease_ms, s.lease_ms) INTO v_ordered, v_max, v_lease
    FROM backstop.subscriptions s WHERE s.id = p_subscription;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'subscription % does not exist', p_subscription USING ERRCODE = 'P0002';
    END IF;

    RETURN QUERY
    WITH candidates AS (
        SELECT d.position, d.attempts FROM backstop.deliveries d
        WHERE d.subscription_id = p_subscription AND d.visible_at <= clock_timestamp()
          AND (NOT v_ordered OR d.subject IS NULL OR NOT EXISTS (
                SELECT 1 FROM backstop.deliveries e
                WHERE e.subscription_id = p_subscription AND e.ordered AND e.subject = d.subject AND e.position < d.position))
        ORDER BY d.visible_at, d.position
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED
    ), leased AS (
        UPDATE backstop.deliveries d
        SET attempts = d.attempts + 1, leased = true,
            visible_at = clock_timestamp() + make_interval(secs => v_lease / 1000.0)
        FROM candidates c
        WHERE d.subscription_id = p_subscription AND d.position = c.position AND c.attempts < v_max
        RETURNING d.position, d.attempts, d.accepted_at
    ), exhausted AS (
        -- A lease that expired on the final attempt: dead-letter it instead of delivering again.
        DELETE FROM backstop.deliveries d
        USING candidates c
        WHERE d.subscription_id = p_subscription AND d.position = c.position AND c.attempts >= v_max
        RETURNING d.*
    ), buried AS (
        INSERT INTO backstop.dead_letters (subscription_id, position, accepted_at, subject, attempts, last_error)
        SELECT x.subscription_id, x.position, x.accepted_at, x.subject, x.attempts,
               coalesce(x.last_error || '; ', '') || 'lease expired on the final attempt'
        FROM exhausted x
        ON CONFLICT DO NOTHING
        RETURNING 1
    )
    SELECT l.position, l.attempts, l.accepted_at, e.envelope
    FROM leased l JOIN backstop.events e ON e.position = l.position AND e.accepted_at = l.accepted_at
    ORDER BY l.position;
END;
$$;

-- Negative acknowledgement: retry after p_delay_ms, or dead-letter when attempts are used up.
-- Returns 'retry', 'dead' or 'stale' (the lease was lost to another consumer).
CREATE FUNCTION backstop.nack(
    p_subscription bigint, p_position bigint, p_attempt integer, p_delay_ms integer, p_error text, p_async boolean
) RETURNS text
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_max integer;
    v_row backstop.deliveries;
BEGIN
    IF p_async THEN
        PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
    SELECT max_attempts INTO v_max FROM backstop.subscriptions WHERE id = p_subscription;
    SELECT * INTO v_row FROM backstop.deliveries
    WHERE subscription_id = p_subscription AND position = p_position AND attempts = p_attempt
    FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'stale';
    END IF;
    IF p_attempt >= v_max THEN
        DELETE FROM backstop.deliveries WHERE subscription_id = p_subscription AND position = p_position;
        INSERT INTO backstop.dead_letters (subscription_id, position, accepted_at, subject, attempts, last_error)
        VALUES (p_subscription, p_position, v_row.accepted_at, v_row.subject, p_attempt, p_error)
        ON CONFLICT (subscription_id, position) DO UPDATE SET attempts = excluded.attempts, last_error = excluded.last_error, dead_at = now();
        RETURN 'dead';
    END IF;
    UPDATE backstop.deliveries
    SET visible_at = clock_timestamp() + make_interval(secs => greatest(p_delay_ms, 0) / 1000.0),
        leased = false, last_error = p_error
    WHERE subscription_id = p_subscription AND position = p_position;
    RETURN 'retry';
END;
$$;

-- Move dead letters back to pending with fresh attempts. NULL positions: all of the subscription's.
CREATE FUNCTION backstop.redrive(p_subscription bigint, p_positions bigint[]) RETURNS integer
LANGUAGE sql AS $$
    WITH revived AS (
        DELETE FROM backstop.dead_letters dl
        WHERE dl.subscription_id = p_subscription AND (p_positions IS NULL OR dl.position = ANY (p_positions))
        RETURNING dl.*
    ), inserted AS (
        INSERT INTO backstop.deliveries (subscription_id, position, accepted_at, subject, ordered, visible_at, last_error)
        SELECT r.subscription_id, r.position, r.accepted_at, r.subject, s.ordered, now(), r.last_error
        FROM revived r JOIN backstop.subscriptions s ON s.id = r.subscription_id
        ON CONFLICT DO NOTHING
        RETURNING 1
    )
    SELECT count(*)::integer FROM inserted;
$$;
