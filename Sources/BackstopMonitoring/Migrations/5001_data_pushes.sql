-- Department data pushes (early-warning monitoring, domain brief §2.4): one row per push received,
-- unique per department and push key (<indicator set>/<period or disaster>), so sending the same
-- push again changes nothing; and the records that met a screening rule, with their raw values.
-- Raw values stay here, with the department service: the bus carries only the rule and a band.

CREATE TABLE backstop.data_pushes (
    push_id       uuid PRIMARY KEY,
    department    text NOT NULL,
    indicator_set text NOT NULL,
    period        text NOT NULL,
    disaster_id   text,
    push_key      text NOT NULL,
    digest        text NOT NULL CHECK (digest ~ '^sha256:[0-9a-f]{64}$'),
    record_count  integer NOT NULL CHECK (record_count > 0),
    flagged_count integer NOT NULL CHECK (flagged_count >= 0),
    clue_count    integer NOT NULL CHECK (clue_count >= 0),
    received_via  text NOT NULL CHECK (received_via IN ('json', 'csv', 'cli')),
    received_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (department, push_key)
);
CREATE INDEX data_pushes_received ON backstop.data_pushes (department, received_at);

CREATE TABLE backstop.flagged_records (
    push_id       uuid NOT NULL REFERENCES backstop.data_pushes (push_id),
    row_number    integer NOT NULL,
    household_ref text NOT NULL,
    indicator     text NOT NULL,
    value         double precision NOT NULL,
    unit          text NOT NULL,
    location_code text NOT NULL,
    population    text NOT NULL,
    rule_ids      text[] NOT NULL,
    bands         text[] NOT NULL,
    clue_id       uuid NOT NULL,
    PRIMARY KEY (push_id, row_number)
);
CREATE INDEX flagged_records_household ON backstop.flagged_records (household_ref);
