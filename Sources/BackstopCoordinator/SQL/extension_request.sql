-- Record an extension request for an open obligation owned by the requester; returns the
-- obligation's due time and how many extensions it already had (nothing if it is not theirs or
-- not open).
WITH o AS (
    SELECT id, due_at, extensions FROM backstop.obligations
    WHERE id::text = $2 AND owner_org = $3 AND state = 'open'
    FOR UPDATE
), saved AS (
    INSERT INTO backstop.extension_requests (request_id, obligation_id, by_org, requested_at, requested_due_at)
    SELECT $1, o.id, $3, $4, $5 FROM o
    ON CONFLICT (request_id) DO NOTHING
)
SELECT due_at, extensions FROM o
