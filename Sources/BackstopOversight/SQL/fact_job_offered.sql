-- An employer offered jobs.
INSERT INTO backstop.oversight_job_offers (offer_id, employer_org, employer_kind, township, positions, offered_at)
VALUES ($1, $2, COALESCE((SELECT kind FROM backstop.organisations WHERE id = $2), $3), $4, $5, $6)
ON CONFLICT (offer_id) DO NOTHING
