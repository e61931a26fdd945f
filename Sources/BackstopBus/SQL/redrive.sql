SELECT backstop.redrive($1::bigint, $2::bigint[])
