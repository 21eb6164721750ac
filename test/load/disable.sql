\set i random(1, 2000)
SELECT apitoken.disable(id) FROM load_tok WHERE i = :i;
