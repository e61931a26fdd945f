-- Serialises pushes of the same department and push key, so two identical pushes sent at once
-- store one.
SELECT pg_advisory_xact_lock(hashtextextended('backstop.push:' || $1 || '/' || $2, 0))
