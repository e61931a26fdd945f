-- Someone was placed in a job.
INSERT INTO backstop.oversight_placements (placement_id, offer_id, referral_id, employer_org, placed_at) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (placement_id) DO NOTHING
