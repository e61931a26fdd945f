-- A household was referred to an offer.
INSERT INTO backstop.oversight_referrals (referral_id, offer_id, employer_org, sent_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (referral_id) DO UPDATE SET sent_at = EXCLUDED.sent_at
