-- test/load/disable.sql: disable three random tokens at once, ids in
-- random order (overlapping mass changes must not deadlock)
\set r1 random(0, 999999)
\set r2 random(0, 999999)
\set r3 random(0, 999999)
SELECT apitoken.disable(load_pick(:r1), load_pick(:r2), load_pick(:r3));
