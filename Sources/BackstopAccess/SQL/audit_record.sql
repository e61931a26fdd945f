-- Append one read of sensitive fields to the audit log. An empty key id: a read not made with a
-- key (a webhook push).
INSERT INTO backstop.audit_log (organisation_id, key_id, action, event_type, event_id, fields, purpose)
VALUES ($1, NULLIF($2, '')::uuid, 'read', $3, $4, $5::text[], $6)
RETURNING id, at
