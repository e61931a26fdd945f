SELECT s.name,
       count(d.position) FILTER (WHERE d.visible_at <= clock_timestamp()
                                   AND (d.leased_until IS NULL OR d.leased_until <= clock_timestamp())) AS ready,
       count(d.position) FILTER (WHERE d.leased_until > clock_timestamp()) AS in_flight,
       count(d.position) FILTER (WHERE d.visible_at > clock_timestamp() AND d.leased_until IS NULL) AS delayed,
       (SELECT count(*) FROM backstop.dead_letters dl WHERE dl.subscription_id = s.id) AS dead,
       coalesce(extract(epoch FROM clock_timestamp() - min(d.accepted_at)), 0)::float8 AS oldest_age_s
FROM backstop.subscriptions s
LEFT JOIN backstop.deliveries d ON d.subscription_id = s.id
GROUP BY s.id, s.name
ORDER BY s.name
