-- One page of an organisation's inbox, oldest first, after sequence number $2.
--  $3 page size; $4 event types (NULL: all); $5 true: only unacknowledged ones.
SELECT seq, subscriptions, envelope::text, delivered_at, acked_at
FROM backstop.inbox
WHERE organisation_id = $1 AND seq > $2
  AND ($4::text[] IS NULL OR type = ANY ($4::text[]))
  AND (NOT $5::boolean OR acked_at IS NULL)
ORDER BY seq
LIMIT $3
