UPDATE backstop.deliveries
SET leased_until = clock_timestamp() + make_interval(secs => $4::integer / 1000.0)
WHERE subscription_id = $1::bigint AND position = $2::bigint AND lease_token = $3::uuid AND leased_until IS NOT NULL
RETURNING leased_until
