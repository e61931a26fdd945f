-- Register (or replace) the webhook of an organisation's subscription; a new secret each time.
-- The last column tells whether it was new.
-- No row: the organisation has no such subscription.
INSERT INTO backstop.webhooks AS w (subscription_id, url, mode, max_attempts, secret)
SELECT s.id, $3, $4, $5, $6 FROM backstop.org_subscriptions s WHERE s.organisation_id = $1 AND s.name = $2
ON CONFLICT (subscription_id) DO UPDATE
SET url = excluded.url, mode = excluded.mode, max_attempts = excluded.max_attempts, secret = excluded.secret,
    previous_secret = NULL, rotated_at = NULL, updated_at = now()
RETURNING w.subscription_id, w.url, w.mode, w.max_attempts, w.created_at, w.updated_at, (xmax = 0) AS created
