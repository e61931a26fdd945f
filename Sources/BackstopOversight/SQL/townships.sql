-- The townships oversight has seen obligations in, for the dashboard's filter.
SELECT DISTINCT township FROM backstop.oversight_obligations WHERE township IS NOT NULL ORDER BY 1 LIMIT 500
