-- Revoke a key by its prefix or id (one of $1, $2), or every active key of organisation $3.
UPDATE backstop.api_keys SET revoked_at = now()
WHERE revoked_at IS NULL
  AND (prefix = $1 OR id::text = $2 OR organisation_id = $3)
RETURNING id, prefix, organisation_id
