-- A disabled organisation's webhooks stop: their endpoints and bus subscriptions go, with the
-- deliveries and dead letters waiting in them. Otherwise deliveries nobody will send would keep
-- piling up and hold back the event log's retention. The events stay in the log and the
-- organisation's inbox is kept.
CREATE FUNCTION backstop.org_disabled_drop_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH hooks AS (
        DELETE FROM backstop.webhooks w USING backstop.org_subscriptions s
        WHERE s.id = w.subscription_id AND s.organisation_id = NEW.id
        RETURNING 'webhook.' || w.subscription_id AS name
    ), gone AS (
        DELETE FROM backstop.subscriptions b WHERE b.name IN (SELECT name FROM hooks) RETURNING b.id
    ), pending AS (
        DELETE FROM backstop.deliveries WHERE subscription_id IN (SELECT id FROM gone)
    )
    DELETE FROM backstop.dead_letters WHERE subscription_id IN (SELECT id FROM gone);
    RETURN NEW;
END $$;

CREATE TRIGGER organisations_disabled_webhooks AFTER UPDATE OF disabled_at ON backstop.organisations
    FOR EACH ROW WHEN (OLD.disabled_at IS NULL AND NEW.disabled_at IS NOT NULL)
    EXECUTE FUNCTION backstop.org_disabled_drop_webhooks();
