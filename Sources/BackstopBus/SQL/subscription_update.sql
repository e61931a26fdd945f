UPDATE backstop.subscriptions
SET event_types = $2::text[], district_prefix = $3, ordered = $4, max_attempts = $5,
    backoff_initial_ms = $6, backoff_max_ms = $7, lease_ms = $8, updated_at = now()
WHERE name = $1
RETURNING id, name, event_types, district_prefix, ordered, max_attempts, backoff_initial_ms, backoff_max_ms, lease_ms, created_at
