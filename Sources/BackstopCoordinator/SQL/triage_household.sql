-- What a household already has, for triaging a clue: its open case (newest), else an alert raised
-- within the join window that has not become a case. Locks the household first, so two
-- coordinators triaging clues of one household at once do not both raise an alert.
WITH lock AS (SELECT pg_advisory_xact_lock(hashtextextended('backstop.triage:' || $1, 0)))
SELECT 'case' AS kind, c.case_id AS id, c.lead_org, c.opened_at
FROM lock, backstop.cases c
WHERE c.household_ref = $1 AND c.state = 'open'
UNION ALL
SELECT 'alert', a.alert_id, a.lead_org, a.raised_at
FROM lock, backstop.alerts a
WHERE a.household_ref = $1 AND a.raised_at > $2
  AND NOT EXISTS (SELECT 1 FROM backstop.cases c WHERE c.alert_id = a.alert_id)
ORDER BY 1 DESC, 4 DESC
LIMIT 1
