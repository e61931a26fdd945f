-- Who is on the bus: registered organisations, their API keys (stored only as SHA-256 hashes),
-- and the append-only audit log of reads of sensitive fields (PIPL Art. 51, domain brief §8.3).

CREATE TABLE backstop.organisations (
    id            text PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9-]{1,62}$'),
    kind          text NOT NULL CHECK (kind IN ('department', 'township', 'village', 'enterprise', 'cooperative',
                                                'social_org', 'insurer', 'coordinator', 'oversight')),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    district_code text NOT NULL CHECK (district_code ~ '^[0-9]{6}([0-9]{3}([0-9]{3})?)?$'),
    created_at    timestamptz NOT NULL DEFAULT now(),
    disabled_at   timestamptz
);

CREATE TABLE backstop.api_keys (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id text NOT NULL REFERENCES backstop.organisations (id),
    prefix          text NOT NULL UNIQUE,      -- shown to identify a key; not enough to use it
    hash            text NOT NULL UNIQUE,      -- hex SHA-256 of the whole key
    created_at      timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz,
    last_used_at    timestamptz
);
CREATE INDEX api_keys_organisation ON backstop.api_keys (organisation_id);

CREATE TABLE backstop.audit_log (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT now(),
    organisation_id text NOT NULL,
    key_id          uuid,
    action          text NOT NULL CHECK (action IN ('read')),
    event_type      text NOT NULL,
    event_id        text NOT NULL,
    fields          text[] NOT NULL,
    purpose         text NOT NULL CHECK (purpose IN ('monitoring', 'assistance', 'oversight'))
);
CREATE INDEX audit_log_organisation ON backstop.audit_log (organisation_id, at);
CREATE INDEX audit_log_at ON backstop.audit_log (at);

-- Append-only: no row is ever changed or removed (keep processing records at least 3 years,
-- PIPL Art. 56). Retention of older rows is a deliberate, logged operator action outside Backstop.
CREATE FUNCTION backstop.audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON backstop.audit_log
    FOR EACH ROW EXECUTE FUNCTION backstop.audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON backstop.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION backstop.audit_log_is_append_only();
