-- test/load/regenerate.sql: regenerate a random live token and keep the
-- new value.  The token row is locked first (FOR UPDATE), so a concurrent
-- delete either wins before (the row is skipped, nothing happens) or waits
-- for this commit: regenerate() never meets a vanished id (42704).  The
-- new value is computed once, in a CTE, and then stored.
\set r random(0, 999999)
WITH locked AS MATERIALIZED (
	SELECT id FROM apitoken.token_store WHERE id = load_pick(:r) FOR UPDATE),
new AS MATERIALIZED (
	SELECT id, apitoken.regenerate(id)::text AS token FROM locked)
UPDATE load_tok l SET token = new.token FROM new WHERE l.id = new.id;
