\set i random(1, :n)
SELECT apitoken.regenerate(id) FROM bench_tokens WHERE i = :i;
