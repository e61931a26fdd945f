SELECT w.subscription_id, w.url, w.mode, w.max_attempts, w.created_at, w.updated_at
FROM backstop.webhooks w JOIN backstop.org_subscriptions s ON s.id = w.subscription_id
WHERE s.organisation_id = $1 AND s.name = $2
