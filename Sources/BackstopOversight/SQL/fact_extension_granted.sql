-- More time was granted: the request counts as granted and the obligation's due time moves.
WITH request AS (
    INSERT INTO backstop.oversight_extension_requests (request_id, obligation_id, granted)
    VALUES ($1, $2, true)
    ON CONFLICT (request_id) DO UPDATE SET granted = true
)
UPDATE backstop.oversight_obligations SET due_at = COALESCE($3, due_at) WHERE obligation_id = $2
