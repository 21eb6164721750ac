\set i random(1, :n)
SELECT s.owner FROM bench_tokens b JOIN apitoken.token_store s ON s.id = b.id WHERE b.i = :i;
