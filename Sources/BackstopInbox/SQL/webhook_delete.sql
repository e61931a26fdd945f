DELETE FROM backstop.webhooks w USING backstop.org_subscriptions s
WHERE s.id = w.subscription_id AND s.organisation_id = $1 AND s.name = $2
RETURNING w.subscription_id
