-- The coordinator's state: obligations with their deadlines and ladder, the answers it has seen,
-- alerts and cases (for closure rules), extension requests and escalations.
-- All due-time comparisons happen in SQL against now(), the database clock (design D7).

CREATE TABLE backstop.obligations (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    rule_id         text NOT NULL,
    action          text NOT NULL,
    owner_org       text NOT NULL,
    link_key        text NOT NULL,            -- the trigger's value of the rule's key field
    case_id         text,
    correlation_id  text,
    district_code   text,
    trigger_source  text NOT NULL,
    trigger_id      text NOT NULL,
    calendar        text NOT NULL,
    opened_at       timestamptz NOT NULL,
    warn_at         timestamptz NOT NULL,
    due_at          timestamptz NOT NULL,
    breach_at       timestamptz NOT NULL,     -- due time plus grace: the breach (L2)
    supervise_at    timestamptz NOT NULL,     -- supervision (L3) if still open
    level           smallint NOT NULL DEFAULT 0 CHECK (level BETWEEN 0 AND 3),
    -- The next rung the sweeper must look at while the obligation is open; NULL once it is closed
    -- or has reached L3. The sweep reads only rows whose next_at has passed.
    next_at         timestamptz,
    state           text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'fulfilled', 'cancelled', 'waived')),
    closed_at       timestamptz,
    late            boolean,
    closed_by_event text,
    breached_at     timestamptz,
    extensions      smallint NOT NULL DEFAULT 0,
    UNIQUE (trigger_source, trigger_id, rule_id, owner_org)
);
CREATE INDEX obligations_next ON backstop.obligations (next_at) WHERE next_at IS NOT NULL;
CREATE INDEX obligations_open_link ON backstop.obligations (link_key, rule_id) WHERE state = 'open';
CREATE INDEX obligations_owner ON backstop.obligations (owner_org, state, due_at);
CREATE INDEX obligations_case ON backstop.obligations (case_id) WHERE case_id IS NOT NULL;
CREATE INDEX obligations_correlation ON backstop.obligations (correlation_id) WHERE correlation_id IS NOT NULL;
CREATE INDEX obligations_breaches ON backstop.obligations (owner_org, breached_at) WHERE breached_at IS NOT NULL;

-- Every answer seen, so an answer that arrives before its trigger still closes the obligation
-- when it opens (two coordinators may take the two events in either order).
CREATE TABLE backstop.obligation_answers (
    rule_id     text NOT NULL,
    link_key    text NOT NULL,
    owner_org   text,                        -- NULL: answers whoever owes it
    outcome     text NOT NULL CHECK (outcome IN ('fulfilled', 'cancelled')),
    event_id    text NOT NULL,
    answered_at timestamptz NOT NULL,
    PRIMARY KEY (rule_id, link_key, event_id)
);

CREATE TABLE backstop.alerts (
    alert_id       text PRIMARY KEY,
    household_ref  text,
    case_id        text,
    lead_org       text,
    correlation_id text,
    raised_at      timestamptz NOT NULL
);

CREATE TABLE backstop.cases (
    case_id        text PRIMARY KEY,
    household_ref  text,
    lead_org       text NOT NULL,
    alert_id       text,
    correlation_id text,
    state          text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    opened_at      timestamptz NOT NULL,
    closed_at      timestamptz
);

CREATE TABLE backstop.extension_requests (
    request_id       text PRIMARY KEY,
    obligation_id    uuid NOT NULL REFERENCES backstop.obligations (id),
    by_org           text NOT NULL,
    requested_at     timestamptz NOT NULL,
    requested_due_at timestamptz NOT NULL,
    decision         text CHECK (decision IN ('granted', 'refused')),
    decided_at       timestamptz
);

CREATE TABLE backstop.escalations (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    level          smallint NOT NULL CHECK (level IN (3, 4)),
    org_id         text NOT NULL,
    to_org         text NOT NULL,
    reason         text NOT NULL,
    obligation_ids uuid[] NOT NULL,
    raised_at      timestamptz NOT NULL DEFAULT now(),
    resolved_at    timestamptz
);
CREATE INDEX escalations_org ON backstop.escalations (org_id, level, raised_at);
