DELETE FROM backstop.org_subscriptions WHERE organisation_id = $1 AND name = $2 RETURNING id
