-- test/load/delete.sql: delete a random live token through the view, and
-- its load_tok row with it (the trigger keeps its last value in load_old);
-- a token someone else deleted first is simply not found
\set r random(0, 999999)
WITH gone AS (
	DELETE FROM apitoken.tokens WHERE id = load_pick(:r) RETURNING id)
DELETE FROM load_tok l USING gone WHERE l.id = gone.id;
