-- Apply a granted extension: the new due time and ladder times, back to the rung it has reached.
UPDATE backstop.obligations o
SET due_at = $2, warn_at = $3, breach_at = $4, supervise_at = $5, extensions = o.extensions + 1,
    level = CASE WHEN $3 > now() THEN 0 WHEN $4 > now() THEN least(o.level, 1) ELSE o.level END,
    next_at = CASE WHEN $3 > now() THEN $3 WHEN $4 > now() THEN $4 ELSE $5 END
WHERE o.id::text = $1 AND o.state = 'open'
RETURNING o.id, o.owner_org, o.opened_at
