-- The employer answered a referral.
INSERT INTO backstop.oversight_referrals (referral_id, offer_id, employer_org, answer, answered_at) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (referral_id) DO UPDATE SET answer = EXCLUDED.answer, answered_at = EXCLUDED.answered_at
