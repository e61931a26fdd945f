-- Webhook endpoints: at most one per organisation subscription. Each has a bus subscription of its
-- own ("webhook.<subscription id>") with the same filter, so delivery to the endpoint gets the bus's
-- leases, retries with backoff and jitter, dead letters (`backstop dlq list webhook.<id>`) and
-- redrive. The signing secret must be readable to sign with, so it is stored as given; the previous
-- one stays valid for a day after a rotation, so receivers can switch without losing deliveries.

CREATE TABLE backstop.webhooks (
    subscription_id   bigint PRIMARY KEY REFERENCES backstop.org_subscriptions (id) ON DELETE CASCADE,
    url               text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2000),
    mode              text NOT NULL CHECK (mode IN ('structured', 'binary')),
    max_attempts      integer NOT NULL CHECK (max_attempts BETWEEN 1 AND 50),
    secret            text NOT NULL,
    previous_secret   text,
    rotated_at        timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
