-- Close the open obligations of rule $1 with key $2 (owned by $3, or by anyone when NULL) as
-- $4 ('fulfilled' or 'cancelled') at $5 by event $6, and remember the answer for obligations that
-- open later. A fulfilment after the due time is recorded as late, never dropped.
WITH closed AS (
    UPDATE backstop.obligations o
    SET state = $4, closed_at = coalesce($5, now()), late = ($4 = 'fulfilled' AND coalesce($5, now()) > o.due_at),
        closed_by_event = $6, next_at = NULL
    WHERE o.state = 'open' AND o.rule_id = $1 AND o.link_key = $2 AND ($3::text IS NULL OR o.owner_org = $3)
    RETURNING o.id, o.rule_id, o.owner_org, o.opened_at, o.closed_at, o.late, o.state, o.case_id, o.correlation_id, o.district_code
), remembered AS (
    INSERT INTO backstop.obligation_answers (rule_id, link_key, owner_org, outcome, event_id, answered_at)
    VALUES ($1, $2, $3, $4, $6, coalesce($5, now()))
    ON CONFLICT DO NOTHING
)
SELECT id, rule_id, owner_org, opened_at, closed_at, late, state, case_id, correlation_id, district_code FROM closed
