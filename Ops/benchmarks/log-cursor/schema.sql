-- Prototype of a log-plus-cursor queue (see README.md here), next to a plain-SQL queue table
-- (raw_q) for comparison. Not part of Backstop's schema: it lives in its own schema, `proto`.
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS proto CASCADE;
CREATE SCHEMA proto;
-- The log: one row per event, ordered by (transaction id, position). Readers take only rows whose
-- transaction id is below the oldest running transaction, so nothing can commit behind a cursor.
CREATE TABLE proto.log (
    position  bigint GENERATED ALWAYS AS IDENTITY,
    tx        xid8   NOT NULL DEFAULT pg_current_xact_id(),
    envelope  jsonb  NOT NULL,
    PRIMARY KEY (tx, position)
);
CREATE TABLE proto.cursors (sub int PRIMARY KEY, tx xid8 NOT NULL, position bigint NOT NULL) WITH (fillfactor = 10);
INSERT INTO proto.cursors VALUES (1, '0', 0);
-- A lease covers the range a claim took; ack deletes it (per-event nacks would add retry rows).
CREATE TABLE proto.leases (token uuid PRIMARY KEY, sub int NOT NULL, hi_tx xid8 NOT NULL, hi_pos bigint NOT NULL, events int NOT NULL, until timestamptz NOT NULL);
DROP TABLE IF EXISTS public.raw_q;
CREATE TABLE public.raw_q (id bigserial PRIMARY KEY, payload jsonb NOT NULL);
