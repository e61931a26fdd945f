-- Baseline: claim and delete :n rows with FOR UPDATE SKIP LOCKED.
DELETE FROM public.raw_q WHERE id IN (SELECT id FROM public.raw_q ORDER BY id LIMIT :n FOR UPDATE SKIP LOCKED) RETURNING payload;
