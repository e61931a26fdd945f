-- Record the decision on a request; returns the request if it was undecided and made in time.
UPDATE backstop.extension_requests r
SET decision = $2, decided_at = $3
WHERE r.request_id = $1 AND r.decision IS NULL
RETURNING r.obligation_id::text, r.requested_at, r.requested_due_at,
          (SELECT o.due_at FROM backstop.obligations o WHERE o.id = r.obligation_id)
