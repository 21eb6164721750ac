\set i random(1, 2000)
SELECT apitoken.verify(token) FROM load_tok WHERE i = :i;
