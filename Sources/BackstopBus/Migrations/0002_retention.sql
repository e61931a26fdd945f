-- Retention and partition upkeep for the event log.
--
-- backstop.maintain(retention, days_ahead) creates one partition per UTC day from yesterday to
-- days_ahead days ahead, and drops day partitions older than the retention period, but only when no
-- pending delivery or dead letter still points into them (accepted data is never lost). Events
-- that landed in the DEFAULT partition are deleted row by row once expired and unreferenced.
-- Idempotency keys expire with their events. Partition names and bounds come from dates computed
-- here, never from caller text.

CREATE FUNCTION backstop.maintain(p_retention interval, p_days_ahead integer DEFAULT 7)
RETURNS TABLE (action text, partition text)
LANGUAGE plpgsql AS $$
DECLARE
    v_day date;
    v_name text;
    v_from timestamptz;
    v_to timestamptz;
    v_cutoff timestamptz := now() - p_retention;
    v_part record;
BEGIN
    -- Deliveries of a subscription deleted while a publish was in flight: nobody can claim them.
    DELETE FROM backstop.deliveries d WHERE NOT EXISTS (SELECT 1 FROM backstop.subscriptions s WHERE s.id = d.subscription_id);
    DELETE FROM backstop.dead_letters d WHERE NOT EXISTS (SELECT 1 FROM backstop.subscriptions s WHERE s.id = d.subscription_id);

    FOR v_day IN
        SELECT d::date FROM generate_series(greatest((now() AT TIME ZONE 'UTC')::date - 1, (v_cutoff AT TIME ZONE 'UTC')::date),
                                            (now() AT TIME ZONE 'UTC')::date + p_days_ahead, interval '1 day') AS d
    LOOP
        v_name := 'events_' || to_char(v_day, 'YYYYMMDD');
        v_from := v_day::timestamp AT TIME ZONE 'UTC';
        v_to := (v_day + 1)::timestamp AT TIME ZONE 'UTC';
        CONTINUE WHEN to_regclass('backstop.' || v_name) IS NOT NULL;
        -- Rows already in DEFAULT for that day would make the new partition fail; leave them there.
        CONTINUE WHEN EXISTS (SELECT 1 FROM backstop.events_default WHERE accepted_at >= v_from AND accepted_at < v_to);
        EXECUTE format('CREATE TABLE backstop.%I PARTITION OF backstop.events FOR VALUES FROM (%L) TO (%L)', v_name, v_from, v_to);
        action := 'created'; partition := v_name;
        RETURN NEXT;
    END LOOP;

    FOR v_part IN
        SELECT c.relname, to_date(substr(c.relname, 8), 'YYYYMMDD') AS day
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'backstop.events'::regclass AND c.relname ~ '^events_[0-9]{8}$'
        ORDER BY 1
    LOOP
        v_to := (v_part.day + 1)::timestamp AT TIME ZONE 'UTC';
        CONTINUE WHEN v_to > v_cutoff;
        v_from := v_part.day::timestamp AT TIME ZONE 'UTC';
        CONTINUE WHEN EXISTS (SELECT 1 FROM backstop.deliveries WHERE accepted_at >= v_from AND accepted_at < v_to)
                   OR EXISTS (SELECT 1 FROM backstop.dead_letters WHERE accepted_at >= v_from AND accepted_at < v_to);
        EXECUTE format('DROP TABLE backstop.%I', v_part.relname);
        action := 'dropped'; partition := v_part.relname;
        RETURN NEXT;
    END LOOP;

    DELETE FROM backstop.events_default ev
    WHERE ev.accepted_at < v_cutoff
      AND NOT EXISTS (SELECT 1 FROM backstop.deliveries d WHERE d.position = ev.position)
      AND NOT EXISTS (SELECT 1 FROM backstop.dead_letters d WHERE d.position = ev.position);
    -- Keys live as long as their events: a kept event keeps deduplicating its key.
    DELETE FROM backstop.idempotency i
    WHERE i.accepted_at < v_cutoff
      AND NOT EXISTS (SELECT 1 FROM backstop.events e WHERE e.position = i.position AND e.accepted_at = i.accepted_at);
END;
$$;

SELECT count(*) FROM backstop.maintain(interval '30 days', 7);
