-- Webhooks of enabled organisations of the given kinds (of one subscription id when $2 is given),
-- with what is needed to deliver and sign.
SELECT w.subscription_id, w.url, w.mode, w.secret,
       CASE WHEN w.rotated_at > now() - interval '1 day' THEN w.previous_secret END,
       o.id, o.kind, o.district_code, s.name
FROM backstop.webhooks w
JOIN backstop.org_subscriptions s ON s.id = w.subscription_id
JOIN backstop.organisations o ON o.id = s.organisation_id AND o.disabled_at IS NULL
WHERE o.kind = ANY ($1::text[]) AND ($2::bigint IS NULL OR w.subscription_id = $2)
ORDER BY w.subscription_id
