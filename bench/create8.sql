SELECT count(*) FROM apitoken.create('c8-' || nextval('bench_seq'), owner => 'bench_owner');
