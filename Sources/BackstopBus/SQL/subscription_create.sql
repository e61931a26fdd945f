INSERT INTO backstop.subscriptions (name, event_types, district_prefix, ordered, max_attempts, backoff_initial_ms, backoff_max_ms, lease_ms)
VALUES ($1, $2::text[], $3, $4, $5, $6, $7, $8)
RETURNING id, name, event_types, district_prefix, ordered, max_attempts, backoff_initial_ms, backoff_max_ms, lease_ms, created_at
