\set i random(1, :n)
BEGIN;
SELECT apitoken.login(token) FROM bench_tokens WHERE i = :i;
SELECT item FROM bench_orders WHERE id = :i;
COMMIT;
