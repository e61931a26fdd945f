-- A donation moved on a stage ($5: pledged, committed or disbursed). The first time of each stage
-- counts; amounts of several commitments or disbursements of one pledge add up.
INSERT INTO backstop.oversight_pledges
    (pledge_id, donor_org, donor_kind, township, pledged_at, pledged_yuan, committed_at, committed_yuan, disbursed_at, disbursed_yuan)
VALUES ($1, $2, COALESCE((SELECT kind FROM backstop.organisations WHERE id = $2), $3), $4,
        CASE WHEN $5 = 'pledged' THEN $6::timestamptz END, CASE WHEN $5 = 'pledged' THEN $7::bigint END,
        CASE WHEN $5 = 'committed' THEN $6::timestamptz END, CASE WHEN $5 = 'committed' THEN $7::bigint END,
        CASE WHEN $5 = 'disbursed' THEN $6::timestamptz END, CASE WHEN $5 = 'disbursed' THEN $7::bigint END)
ON CONFLICT (pledge_id) DO UPDATE SET
    township = COALESCE(backstop.oversight_pledges.township, EXCLUDED.township),
    pledged_at = COALESCE(backstop.oversight_pledges.pledged_at, EXCLUDED.pledged_at),
    pledged_yuan = COALESCE(backstop.oversight_pledges.pledged_yuan, EXCLUDED.pledged_yuan),
    committed_at = LEAST(backstop.oversight_pledges.committed_at, EXCLUDED.committed_at),
    committed_yuan = CASE WHEN EXCLUDED.committed_yuan IS NULL THEN backstop.oversight_pledges.committed_yuan
                          ELSE COALESCE(backstop.oversight_pledges.committed_yuan, 0) + EXCLUDED.committed_yuan END,
    disbursed_at = LEAST(backstop.oversight_pledges.disbursed_at, EXCLUDED.disbursed_at),
    disbursed_yuan = CASE WHEN EXCLUDED.disbursed_yuan IS NULL THEN backstop.oversight_pledges.disbursed_yuan
                          ELSE COALESCE(backstop.oversight_pledges.disbursed_yuan, 0) + EXCLUDED.disbursed_yuan END
