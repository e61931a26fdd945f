-- Acknowledge one item of an organisation's inbox (again: keeps the first time). No row: not its item.
UPDATE backstop.inbox SET acked_at = coalesce(acked_at, now())
WHERE organisation_id = $1 AND seq = $2
RETURNING seq, acked_at
