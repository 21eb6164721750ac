\set i random(1, 2000)
SELECT apitoken.enable(id) FROM load_tok WHERE i = :i;
