-- Backstop bus schema: the event log, subscriptions, deliveries and dead letters.
--
-- Layout choices (design D6):
--  * events is INSERT-only and partitioned by day of acceptance, so retention drops whole partitions
--    instead of leaving dead rows; a DEFAULT partition means an insert can never be refused.
--  * deliveries holds only pending work (one row per event per matching subscription); ack deletes
--    the row. Its autovacuum is aggressive so the few dead rows are reclaimed quickly.
--  * the claim index is (subscription_id, visible_at, position). A claim only writes attempts and
--    leased_until, which no index covers, so it is a HOT update (fillfactor leaves room on the page);
--    visible_at moves only when a nack delays a retry. An expired lease makes the row claimable again
--    without any sweeper.

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
    leased_until     timestamptz,                        -- NULL: not leased
    lease_token      uuid,                               -- new for every claim; fences late acks
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

-- Publishing and claiming are single prepared statements (SQL/publish.sql, SQL/claim.sql): measured
-- here, plain statements cost half of what the same work costs in PL/pgSQL functions.

-- Negative acknowledgement: retry after p_delay_ms, or dead-letter when attempts are used up.
-- Returns 'retry', 'dead' or 'stale' (the lease was lost to another consumer).
CREATE FUNCTION backstop.nack(
    p_subscription bigint, p_position bigint, p_token uuid, p_delay_ms integer, p_error text, p_async boolean
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
    WHERE subscription_id = p_subscription AND position = p_position AND lease_token = p_token
    FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'stale';
    END IF;
    IF v_row.attempts >= v_max THEN
        DELETE FROM backstop.deliveries WHERE subscription_id = p_subscription AND position = p_position;
        INSERT INTO backstop.dead_letters (subscription_id, position, accepted_at, subject, attempts, last_error)
        VALUES (p_subscription, p_position, v_row.accepted_at, v_row.subject, v_row.attempts, p_error)
        ON CONFLICT (subscription_id, position) DO UPDATE SET attempts = excluded.attempts, last_error = excluded.last_error, dead_at = now();
        RETURN 'dead';
    END IF;
    UPDATE backstop.deliveries
    SET visible_at = clock_timestamp() + make_interval(secs => greatest(p_delay_ms, 0) / 1000.0),
        leased_until = NULL, lease_token = NULL, last_error = p_error
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
