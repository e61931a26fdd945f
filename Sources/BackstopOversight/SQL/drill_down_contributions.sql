-- Who contributed to one case, and when.
SELECT org_id, org_kind, kind, at FROM backstop.oversight_contributions WHERE case_id = $1 ORDER BY at, event_id
