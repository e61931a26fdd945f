-- Keys (never their secrets) of one organisation or all.
SELECT k.id::text, k.prefix, k.organisation_id, k.created_at, k.revoked_at, k.last_used_at
FROM backstop.api_keys k
WHERE ($1::text IS NULL OR k.organisation_id = $1)
ORDER BY k.organisation_id, k.created_at
