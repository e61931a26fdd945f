SELECT pg_notify('backstop_wake', $1)
