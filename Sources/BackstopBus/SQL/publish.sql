SELECT ord, event_id, event_position, accepted_at, duplicate
FROM backstop.publish($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[])
