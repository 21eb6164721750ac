\set i random(1, :n)
SELECT apitoken.verify(token) FROM bench_tokens WHERE i = :i;
