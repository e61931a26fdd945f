-- Close a case and waive the obligations its closing event lists.
WITH waived AS (
    UPDATE backstop.obligations o
    SET state = 'waived', closed_at = $2, late = false, closed_by_event = $3, next_at = NULL
    WHERE o.state = 'open' AND o.id::text = ANY ($4::text[])
    RETURNING o.id
)
UPDATE backstop.cases SET state = 'closed', closed_at = $2 WHERE case_id = $1
RETURNING (SELECT count(*) FROM waived)
