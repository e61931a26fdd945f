UPDATE backstop.deliveries
SET visible_at = clock_timestamp() + make_interval(secs => $4::integer / 1000.0)
WHERE subscription_id = $1::bigint AND position = $2::bigint AND attempts = $3::integer AND leased
RETURNING visible_at
