-- A department's pushes, newest first.
SELECT push_id::text, indicator_set, period, disaster_id, digest, record_count, flagged_count, clue_count, received_at, push_key
FROM backstop.data_pushes
WHERE department = $1
ORDER BY received_at DESC
LIMIT $2
