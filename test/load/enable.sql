-- test/load/enable.sql: enable three random tokens at once, ids in random
-- order
\set r1 random(0, 999999)
\set r2 random(0, 999999)
\set r3 random(0, 999999)
SELECT apitoken.enable(load_pick(:r1), load_pick(:r2), load_pick(:r3));
