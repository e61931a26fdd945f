-- Rotate a webhook's secret: the old one stays valid for a day (sent as a second signature).
UPDATE backstop.webhooks w SET previous_secret = w.secret, secret = $3, rotated_at = now(), updated_at = now()
FROM backstop.org_subscriptions s
WHERE s.id = w.subscription_id AND s.organisation_id = $1 AND s.name = $2
RETURNING w.subscription_id, w.url, w.mode, w.max_attempts, w.created_at, w.updated_at
