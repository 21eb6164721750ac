\set i random(1, :n)
BEGIN;
SELECT apitoken.verify(token) AS owner FROM bench_tokens WHERE i = :i \gset
SELECT item FROM bench_orders WHERE id = :i AND owner = :owner::regrole;
COMMIT;
