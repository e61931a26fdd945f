-- Route delivered events into the inboxes of the organisations whose subscriptions match.
--  $1..$8 the events (position, accepted_at, id, type, district, envelope, organisations named in
--  it as a JSON array, broadcast: public events reach every kind allowed to receive them);
--  $9/$10 pairs (kind, type) the service may deliver; $11 kinds that also receive events that do
--  not name them (government kinds). Call under the service's routing lock (see 3001_inbox.sql).
WITH input AS (
    SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::jsonb[], $8::boolean[])
        AS t(position, accepted_at, event_id, type, district, envelope, named, broadcast)
), permitted AS (
    SELECT * FROM unnest($9::text[], $10::text[]) AS p(kind, type)
), matches AS (
    SELECT i.position, s.organisation_id, array_agg(s.name ORDER BY s.name) AS names
    FROM input i
    JOIN backstop.org_subscriptions s
      ON (s.event_types IS NULL OR i.type = ANY (s.event_types)) AND starts_with(i.district, s.district_prefix)
    JOIN backstop.organisations o ON o.id = s.organisation_id AND o.disabled_at IS NULL
    JOIN permitted p ON p.kind = o.kind AND p.type = i.type
    WHERE o.kind = ANY ($11::text[]) OR i.broadcast OR i.named ? o.id
    GROUP BY i.position, s.organisation_id
)
INSERT INTO backstop.inbox (seq, organisation_id, subscriptions, event_id, type, district, position, accepted_at, envelope)
SELECT nextval('backstop.inbox_seq'), m.organisation_id, m.names, i.event_id, i.type, i.district, i.position, i.accepted_at, i.envelope
FROM (SELECT * FROM matches ORDER BY position, organisation_id) m JOIN input i ON i.position = m.position
ON CONFLICT (organisation_id, position) DO NOTHING
RETURNING organisation_id, seq
