-- Store a new key for an enabled organisation (only its prefix and hash).
INSERT INTO backstop.api_keys (organisation_id, prefix, hash)
SELECT o.id, $2, encode(sha256(convert_to($3, 'UTF8')), 'hex')
FROM backstop.organisations o
WHERE o.id = $1 AND o.disabled_at IS NULL
RETURNING id, created_at
