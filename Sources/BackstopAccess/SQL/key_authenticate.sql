-- The organisation behind a presented key, if the key is known, not revoked and its organisation
-- is enabled; marks the key used (at most once a minute, to keep writes rare).
WITH found AS (
    SELECT k.id, o.id AS organisation_id, o.kind, o.district_code, k.last_used_at
    FROM backstop.api_keys k JOIN backstop.organisations o ON o.id = k.organisation_id
    WHERE k.hash = encode(sha256(convert_to($1, 'UTF8')), 'hex') AND k.revoked_at IS NULL AND o.disabled_at IS NULL
), touched AS (
    UPDATE backstop.api_keys k SET last_used_at = now()
    FROM found f WHERE k.id = f.id AND (f.last_used_at IS NULL OR f.last_used_at < now() - interval '1 minute')
)
SELECT id::text, organisation_id, kind, district_code FROM found
