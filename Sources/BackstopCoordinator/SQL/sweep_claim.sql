-- One sweep tick: the open obligations whose next rung has come, oldest first, locked so that
-- several coordinators share the work. Reads only due rows (index obligations_next), so a tick
-- costs the same with ten thousand or a million obligations open.
--
-- The sweep's clock is the database clock, held back to the acceptance time of the oldest event
-- still waiting for the coordinator ($2: its subscription) on its first attempt: an answer that
-- arrived before a deadline is consumed before that deadline can be called breached, even after
-- the coordinator was down for hours. A delivery that has failed once already (attempts > 1) does
-- not hold the clock, so one poisonous event cannot stop every escalation. Returns the clock.
WITH clock AS (
    SELECT least(now(), COALESCE((
        SELECT d.accepted_at FROM backstop.deliveries d
        WHERE d.subscription_id = (SELECT id FROM backstop.subscriptions WHERE name = $2) AND d.attempts <= 1
        ORDER BY d.position LIMIT 1), now())) AS at
)
SELECT o.id, o.rule_id, o.owner_org, o.level, o.warn_at, o.due_at, o.breach_at, o.supervise_at,
       o.case_id, o.correlation_id, o.district_code, o.trigger_id, clock.at
FROM backstop.obligations o, clock
WHERE o.next_at <= clock.at
ORDER BY o.next_at
LIMIT $1
FOR UPDATE OF o SKIP LOCKED
