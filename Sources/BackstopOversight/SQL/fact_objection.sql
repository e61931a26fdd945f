-- An assigned organisation objected to an alert's dispatch (退单).
INSERT INTO backstop.oversight_objections (event_id, alert_id, org_id, org_kind, township, at)
VALUES ($1, $2, $3, COALESCE((SELECT kind FROM backstop.organisations WHERE id = $3), $4), $5, $6)
ON CONFLICT (event_id) DO NOTHING
