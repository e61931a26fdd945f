-- What reaches organisations: their subscriptions (filters), their inbox (the events those matched,
-- with a per-service sequence number in commit order), and webhook endpoints.
--
-- The inbox is filled by each stakeholder service from one bus subscription per service
-- ("inbox.<service>"): the service routes each delivered event to the matching organisations of
-- the kinds it serves and acknowledges the delivery in the same transaction, so an event lands in
-- an inbox exactly once. Routing holds a transaction-scoped advisory lock per service while it
-- draws sequence numbers, so sequence order is commit order: a reader that has seen number n has
-- seen every earlier one (Server-Sent Events resume from Last-Event-ID without gaps).

CREATE TABLE backstop.org_subscriptions (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id  text NOT NULL REFERENCES backstop.organisations (id),
    name             text NOT NULL CHECK (name ~ '^[a-z][a-z0-9-]{0,62}$'),
    event_types      text[],                           -- NULL: every type the organisation's kind may receive
    district_prefix  text NOT NULL DEFAULT '' CHECK (district_prefix ~ '^[0-9]{0,12}$'),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organisation_id, name)
);

-- Every organisation starts with one subscription to everything its kind may receive.
CREATE FUNCTION backstop.org_default_subscription() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO backstop.org_subscriptions (organisation_id, name) VALUES (NEW.id, 'default') ON CONFLICT DO NOTHING;
    RETURN NEW;
END $$;
CREATE TRIGGER organisations_default_subscription AFTER INSERT ON backstop.organisations
    FOR EACH ROW EXECUTE FUNCTION backstop.org_default_subscription();
INSERT INTO backstop.org_subscriptions (organisation_id, name) SELECT id, 'default' FROM backstop.organisations;

CREATE SEQUENCE backstop.inbox_seq AS bigint;

CREATE TABLE backstop.inbox (
    seq              bigint PRIMARY KEY,
    organisation_id  text NOT NULL,
    subscriptions    text[] NOT NULL,                  -- names of the organisation's subscriptions that matched
    event_id         text NOT NULL,
    type             text NOT NULL,
    district         text NOT NULL,
    position         bigint NOT NULL,                  -- in the bus's event log
    accepted_at      timestamptz NOT NULL,
    envelope         jsonb NOT NULL,                   -- as published; views are applied when it is read
    delivered_at     timestamptz NOT NULL DEFAULT now(),
    acked_at         timestamptz,
    UNIQUE (organisation_id, position)                 -- once per organisation, however many subscriptions match
);
CREATE INDEX inbox_organisation ON backstop.inbox (organisation_id, seq);
CREATE INDEX inbox_pending ON backstop.inbox (organisation_id, seq) WHERE acked_at IS NULL;
