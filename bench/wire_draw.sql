-- bench/wire_draw.sql: the token draw every wire script makes, and nothing
-- else: the ceiling for every wire scenario on this machine.
\set i random(1, :n)
SELECT token FROM bench_tokens WHERE i = :i;
