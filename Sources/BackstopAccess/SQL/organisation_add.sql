-- Register an organisation; nothing when the id exists (the caller reports it).
INSERT INTO backstop.organisations (id, kind, name, district_code)
VALUES ($1, $2, $3, $4)
ON CONFLICT (id) DO NOTHING
RETURNING id, kind, name, district_code, created_at, disabled_at
