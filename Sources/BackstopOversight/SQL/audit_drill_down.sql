-- Records an oversight drill-down to a case with its stated reason (append-only audit log).
INSERT INTO backstop.audit_log (organisation_id, key_id, action, event_type, event_id, fields, purpose, reason)
VALUES ($1, NULLIF($2, '')::uuid, 'drill_down', 'case', $3, '{}', 'oversight', $4)
RETURNING id
