-- Append :n events to the log in one statement.
INSERT INTO proto.log (envelope) SELECT p FROM unnest(array_fill('{"specversion":"1.0","id":"01a19f07-05c0-7973-95fe-860b266d7002","source":"/orgs/enterprise-1","type":"cn.backstop.job.offered.v1","time":"2026-11-29T10:00:00Z","districtcode":"510703001","data":{"offer_id":"x","title":"Packing","positions":3}}'::jsonb, array[:n::integer])) p;
