-- Record an escalation (L3 or L4); returns its id and time.
INSERT INTO backstop.escalations (level, org_id, to_org, reason, obligation_ids)
VALUES ($1, $2, $3, $4, $5::uuid[])
RETURNING id, raised_at
