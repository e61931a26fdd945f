SELECT event_position, attempt, accepted_at, envelope
FROM backstop.claim($1::bigint, $2::integer, $3::integer, $4::bigint[], $5::integer[], $6::boolean)
