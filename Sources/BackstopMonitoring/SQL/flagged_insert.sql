-- Keeps a batch of flagged records of a push (raw values stay with the department service).
INSERT INTO backstop.flagged_records (push_id, row_number, household_ref, indicator, value, unit, location_code, population,
    rule_ids, bands, clue_id)
SELECT $1::uuid, r.row_number, r.household_ref, r.indicator, r.value, r.unit, r.location_code, r.population,
       string_to_array(r.rules, ','), string_to_array(r.bands, ','), r.clue_id::uuid
FROM unnest($2::int[], $3::text[], $4::text[], $5::float8[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
     AS r (row_number, household_ref, indicator, value, unit, location_code, population, rules, bands, clue_id)
