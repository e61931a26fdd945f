-- Acknowledge the previous claim (its lease token) and claim up to :n events for subscription 1:
-- lock the cursor, read the next events in (transaction id, position) order below the oldest running
-- transaction, move the cursor past them and record one lease for the range.
WITH acked AS (
    DELETE FROM proto.leases WHERE token = :token::uuid RETURNING 1
), cur AS (
    SELECT tx, position FROM proto.cursors WHERE sub = 1 FOR UPDATE
), picked AS (
    SELECT l.tx, l.position, l.envelope FROM proto.log l
    WHERE (l.tx, l.position) > ((SELECT tx FROM cur), (SELECT position FROM cur)) AND l.tx < pg_snapshot_xmin(pg_current_snapshot())
    ORDER BY l.tx, l.position LIMIT :n
), last AS (
    SELECT tx, position, (SELECT count(*) FROM picked) AS n FROM picked ORDER BY tx DESC, position DESC LIMIT 1
), moved AS (
    UPDATE proto.cursors c SET tx = last.tx, position = last.position FROM last WHERE c.sub = 1 RETURNING c.tx, c.position
), leased AS (
    INSERT INTO proto.leases (token, sub, hi_tx, hi_pos, events, until)
    SELECT gen_random_uuid(), 1, last.tx, last.position, last.n, now() + interval '30 seconds' FROM last
    RETURNING token
)
SELECT coalesce((SELECT token FROM leased), '00000000-0000-0000-0000-000000000000') AS token,
       (SELECT count(*) FROM picked) AS got, (SELECT count(*) FROM acked) AS a, (SELECT string_agg(envelope::text, chr(10)) FROM picked) AS e
\gset
