-- Record the rungs a tick raised: new level, next look, and the breach time (for L4 counts).
UPDATE backstop.obligations o
SET level = t.level, next_at = t.next_at, breached_at = coalesce(o.breached_at, t.breached_at)
FROM unnest($1::uuid[], $2::smallint[], $3::timestamptz[], $4::timestamptz[]) AS t(id, level, next_at, breached_at)
WHERE o.id = t.id
