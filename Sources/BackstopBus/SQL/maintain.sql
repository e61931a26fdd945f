SELECT action, partition FROM backstop.maintain(make_interval(secs => $1::float8), $2::integer)
