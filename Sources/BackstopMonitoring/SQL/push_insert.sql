-- Records a push received.
INSERT INTO backstop.data_pushes (push_id, department, indicator_set, period, disaster_id, push_key, digest,
    record_count, flagged_count, clue_count, received_via, received_at)
VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
