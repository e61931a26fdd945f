-- The owner of an obligation asked for more time.
INSERT INTO backstop.oversight_extension_requests (request_id, obligation_id, requested_at)
VALUES ($1, $2, $3)
ON CONFLICT (request_id) DO UPDATE SET requested_at = EXCLUDED.requested_at
