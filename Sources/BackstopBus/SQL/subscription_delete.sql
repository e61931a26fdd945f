WITH gone AS (DELETE FROM backstop.subscriptions WHERE name = $1 RETURNING id),
     pending AS (DELETE FROM backstop.deliveries WHERE subscription_id IN (SELECT id FROM gone)),
     dead AS (DELETE FROM backstop.dead_letters WHERE subscription_id IN (SELECT id FROM gone))
SELECT count(*) FROM gone
