-- The registered townships that are not disabled (each owes the concentrated sweeps).
SELECT o.id FROM backstop.organisations o WHERE o.kind = 'township' AND o.disabled_at IS NULL ORDER BY o.id
