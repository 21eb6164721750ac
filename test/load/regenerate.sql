\set i random(1, 2000)
UPDATE load_tok SET token = apitoken.regenerate(id) WHERE i = :i;
