SELECT count(*) FROM apitoken.create('load-' || nextval('load_seq'));
