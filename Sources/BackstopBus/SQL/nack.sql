SELECT backstop.nack($1::bigint, $2::bigint, $3::uuid, $4::integer, $5::text, $6::boolean)
