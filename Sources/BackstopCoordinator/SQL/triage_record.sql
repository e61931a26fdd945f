-- Remembers how a clue was triaged; nothing when it already was (a redelivered clue).
INSERT INTO backstop.clue_triage (clue_source, clue_event, household_ref, outcome, alert_id, case_id)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT DO NOTHING
RETURNING outcome
