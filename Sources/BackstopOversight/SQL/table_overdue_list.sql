-- The overdue obligations themselves, oldest first (at most 200), with the highest rung reached.
WITH p AS (SELECT $1::timestamptz AS from_at, $2::timestamptz AS to_at, $3::text AS dim, $4::text AS township, $5::text AS kind, $6::text AS tz)
SELECT o.obligation_id, o.rule_id, COALESCE(o.action, ''), o.owner_org, COALESCE(o.township, ''), COALESCE(o.case_id, o.alert_id, ''),
       to_char(o.due_at AT TIME ZONE p.tz, 'YYYY-MM-DD HH24:MI'), round((date_part('epoch', now() - o.due_at) / 86400)::numeric, 1)::float8,
       COALESCE((SELECT 'L' || max(e.level) FROM backstop.oversight_escalations e WHERE e.obligation_id = o.obligation_id), '')
FROM backstop.oversight_obligations o, p
WHERE o.closed_at IS NULL AND o.due_at < now()
  AND (p.township IS NULL OR o.township = p.township) AND (p.kind IS NULL OR o.owner_kind = p.kind)
ORDER BY o.due_at, o.obligation_id
LIMIT 200
