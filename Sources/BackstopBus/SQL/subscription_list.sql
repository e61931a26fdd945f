SELECT id, name, event_types, district_prefix, ordered, max_attempts, backoff_initial_ms, backoff_max_ms, lease_ms, created_at
FROM backstop.subscriptions
WHERE $1::text IS NULL OR name = $1
ORDER BY name
