-- The flagged records of a push, raw values included, in row order.
SELECT row_number, household_ref, indicator, value, unit, location_code, population, rule_ids, bands, clue_id::text
FROM backstop.flagged_records
WHERE push_id = $1::uuid
ORDER BY row_number
