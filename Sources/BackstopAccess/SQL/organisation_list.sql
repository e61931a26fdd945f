-- Organisations with their count of active keys.
SELECT o.id, o.kind, o.name, o.district_code, o.created_at, o.disabled_at,
       (SELECT count(*) FROM backstop.api_keys k WHERE k.organisation_id = o.id AND k.revoked_at IS NULL)
FROM backstop.organisations o
WHERE ($1::text IS NULL OR o.kind = $1)
ORDER BY o.id
