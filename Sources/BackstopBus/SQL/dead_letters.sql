SELECT dl.position, dl.attempts, dl.last_error, dl.dead_at, e.envelope
FROM backstop.dead_letters dl
LEFT JOIN backstop.events e ON e.position = dl.position AND e.accepted_at = dl.accepted_at
WHERE dl.subscription_id = $1::bigint
ORDER BY dl.position
LIMIT $2::integer
