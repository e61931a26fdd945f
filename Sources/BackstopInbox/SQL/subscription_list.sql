SELECT name, event_types, district_prefix, created_at, updated_at, false
FROM backstop.org_subscriptions WHERE organisation_id = $1 ORDER BY name
