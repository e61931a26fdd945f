-- Audit entries, newest first, optionally for one organisation and since a time.
SELECT id, at, organisation_id, key_id::text, action, event_type, event_id, fields, purpose
FROM backstop.audit_log
WHERE ($1::text IS NULL OR organisation_id = $1) AND ($2::timestamptz IS NULL OR at >= $2)
ORDER BY at DESC, id DESC
LIMIT $3
