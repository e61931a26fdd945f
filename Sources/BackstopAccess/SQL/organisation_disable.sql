-- Disable an organisation (its keys stop working at once); returns whether it exists.
UPDATE backstop.organisations SET disabled_at = coalesce(disabled_at, now()) WHERE id = $1 RETURNING id
