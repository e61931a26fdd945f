-- Oversight's read models (domain brief §8.2): kept up to date by consuming the bus (subscription
-- `oversight`), so a review reads these small tables and never scans the event log.
-- Events may arrive in any order (several consumers, redelivery), so every row is written with an
-- upsert that fills only the columns its event knows. "township" is the 9-digit township code the
-- event's district code names, when it names one.

CREATE TABLE backstop.oversight_obligations (
    obligation_id      text PRIMARY KEY,
    rule_id            text NOT NULL,
    action             text,
    owner_org          text NOT NULL,
    owner_kind         text,
    township           text,
    case_id            text,
    alert_id           text,
    opened_at          timestamptz,
    due_at             timestamptz,
    closed_at          timestamptz,
    outcome            text,
    late               boolean,
    elapsed_seconds    bigint,
    breached_at        timestamptz
);
CREATE INDEX oversight_obligations_opened ON backstop.oversight_obligations (opened_at);
CREATE INDEX oversight_obligations_due ON backstop.oversight_obligations (due_at);
CREATE INDEX oversight_obligations_overdue ON backstop.oversight_obligations (due_at) WHERE closed_at IS NULL;
CREATE INDEX oversight_obligations_case ON backstop.oversight_obligations (case_id) WHERE case_id IS NOT NULL;
-- Sign-for times (response times, distribution, weekly trend) read only answered sign-for rows.
CREATE INDEX oversight_obligations_signed ON backstop.oversight_obligations (opened_at) WHERE action = 'sign_for' AND outcome = 'fulfilled';

-- Extension requests and whether they were granted.
CREATE TABLE backstop.oversight_extension_requests (
    request_id    text PRIMARY KEY,
    obligation_id text NOT NULL,
    requested_at  timestamptz,
    granted       boolean
);
CREATE INDEX oversight_extension_requests_obligation ON backstop.oversight_extension_requests (obligation_id);

-- Rungs of the ladder reached: L1 (due soon), L2 (breached), L3 and L4 (escalations).
CREATE TABLE backstop.oversight_escalations (
    event_id      text PRIMARY KEY,
    level         smallint NOT NULL CHECK (level BETWEEN 1 AND 4),
    org_id        text NOT NULL,
    org_kind      text NOT NULL,
    township      text,
    rule_id       text,
    obligation_id text,
    at            timestamptz NOT NULL
);
CREATE INDEX oversight_escalations_at ON backstop.oversight_escalations (at);
CREATE INDEX oversight_escalations_obligation ON backstop.oversight_escalations (obligation_id);

-- Dispatch objections (退单), against the sign-for obligations of the same organisations.
CREATE TABLE backstop.oversight_objections (
    event_id text PRIMARY KEY,
    alert_id text NOT NULL,
    org_id   text NOT NULL,
    org_kind text NOT NULL,
    township text,
    at       timestamptz NOT NULL
);
CREATE INDEX oversight_objections_at ON backstop.oversight_objections (at);
CREATE INDEX oversight_objections_alert ON backstop.oversight_objections (alert_id, org_id);

-- Cases: who leads them, when they opened, their first measure, whether they are open now.
CREATE TABLE backstop.oversight_cases (
    case_id          text PRIMARY KEY,
    lead_org         text,
    lead_kind        text,
    township         text,
    opened_at        timestamptz,
    first_measure_at timestamptz,
    state            text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    state_at         timestamptz
);
CREATE INDEX oversight_cases_opened ON backstop.oversight_cases (opened_at);

-- Contributions to a case by any organisation: measures, placements, disbursements, claims paid.
CREATE TABLE backstop.oversight_contributions (
    event_id text PRIMARY KEY,
    case_id  text NOT NULL,
    org_id   text NOT NULL,
    org_kind text NOT NULL,
    kind     text NOT NULL CHECK (kind IN ('measure', 'placement', 'disbursement', 'claim')),
    at       timestamptz NOT NULL
);
CREATE INDEX oversight_contributions_case ON backstop.oversight_contributions (case_id);

-- Closures and whether (and when) the case was reopened afterwards.
CREATE TABLE backstop.oversight_closures (
    case_id     text NOT NULL,
    closed_at   timestamptz NOT NULL,
    township    text,
    reopened_at timestamptz,
    PRIMARY KEY (case_id, closed_at)
);
CREATE INDEX oversight_closures_closed ON backstop.oversight_closures (closed_at);

-- Jobs: offers, referrals and placements.
CREATE TABLE backstop.oversight_job_offers (
    offer_id      text PRIMARY KEY,
    employer_org  text NOT NULL,
    employer_kind text NOT NULL,
    township      text,
    positions     integer NOT NULL,
    offered_at    timestamptz NOT NULL
);
CREATE TABLE backstop.oversight_referrals (
    referral_id  text PRIMARY KEY,
    offer_id     text NOT NULL,
    employer_org text NOT NULL,
    sent_at      timestamptz,
    answer       text,
    answered_at  timestamptz
);
CREATE TABLE backstop.oversight_placements (
    placement_id text PRIMARY KEY,
    offer_id     text NOT NULL,
    referral_id  text,
    employer_org text NOT NULL,
    placed_at    timestamptz NOT NULL
);
CREATE INDEX oversight_job_offers_at ON backstop.oversight_job_offers (offered_at);
CREATE INDEX oversight_referrals_offer ON backstop.oversight_referrals (offer_id);
CREATE INDEX oversight_placements_offer ON backstop.oversight_placements (offer_id);

-- Donations: pledge → commitment → disbursement (IATI: a pledge is not a commitment).
CREATE TABLE backstop.oversight_pledges (
    pledge_id         text PRIMARY KEY,
    donor_org         text NOT NULL,
    donor_kind        text NOT NULL,
    township          text,
    pledged_at        timestamptz,
    pledged_yuan      bigint,
    committed_at      timestamptz,
    committed_yuan    bigint,
    disbursed_at      timestamptz,
    disbursed_yuan    bigint
);
CREATE INDEX oversight_pledges_pledged ON backstop.oversight_pledges (pledged_at);

-- Drill-down from an aggregate to a case is audit-logged with its stated reason (§8.3).
ALTER TABLE backstop.audit_log ADD COLUMN reason text;
ALTER TABLE backstop.audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE backstop.audit_log ADD CONSTRAINT audit_log_action_check CHECK (action IN ('read', 'drill_down'));
ALTER TABLE backstop.audit_log ADD CONSTRAINT audit_log_reason_given CHECK (action <> 'drill_down' OR length(reason) >= 10);
