-- Create or replace an organisation's subscription; reports whether it was created.
INSERT INTO backstop.org_subscriptions AS s (organisation_id, name, event_types, district_prefix)
VALUES ($1, $2, $3::text[], $4)
ON CONFLICT (organisation_id, name) DO UPDATE
SET event_types = excluded.event_types, district_prefix = excluded.district_prefix, updated_at = now()
RETURNING s.name, s.event_types, s.district_prefix, s.created_at, s.updated_at, (xmax = 0) AS created
