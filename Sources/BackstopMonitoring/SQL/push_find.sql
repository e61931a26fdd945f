-- The push a department already sent for a push key, if any.
SELECT push_id::text, indicator_set, period, disaster_id, digest, record_count, flagged_count, clue_count, received_at
FROM backstop.data_pushes
WHERE department = $1 AND push_key = $2
