-- bench/inbackend.sql: microseconds per call inside one backend, net of
-- the loop itself; median of 3 rounds, each round timing every query once
-- in turn (so a slow spell of the machine lands on all alike).  Prints
-- "verify pk zabbix verify_untracked" (verify with last access recorded at
-- the default interval, then with recording off).
SET jit = off;
CREATE TEMP TABLE s AS SELECT token, id, zbx FROM bench_tokens ORDER BY random() LIMIT :sample;
ANALYZE s;
SELECT count(apitoken.verify(token)) + count(pk_lookup(id)) + count(zbx_lookup(zbx)) FROM s;  -- warm-up
SELECT set_config('bench.loops', :'loops', false);
CREATE TEMP TABLE t (round int, k text, us float8);
DO $$
BEGIN
	FOR r IN 1..3 LOOP
		INSERT INTO t
		SELECT r, k, bench_time(format(q, current_setting('bench.loops')))
		  FROM (VALUES ('base', 'SELECT count(token) + count(id) + count(zbx) FROM s, generate_series(1, %s)'),
					   ('verify', 'SELECT count(apitoken.verify(token)) + count(id) + count(zbx) FROM s, generate_series(1, %s)'),
					   ('pk', 'SELECT count(token) + count(pk_lookup(id)) + count(zbx) FROM s, generate_series(1, %s)'),
					   ('zabbix', 'SELECT count(token) + count(id) + count(zbx_lookup(zbx)) FROM s, generate_series(1, %s)'),
					   ('untracked', 'SET apitoken.last_access_interval = -1; SELECT count(apitoken.verify(token)) + count(id) + count(zbx) FROM s, generate_series(1, %s); RESET apitoken.last_access_interval')) v(k, q);
	END LOOP;
END $$;
CREATE TEMP TABLE m AS
SELECT k, percentile_disc(0.5) WITHIN GROUP (ORDER BY us) AS us FROM t GROUP BY k;
SELECT format('%s %s %s %s',
			  round(((SELECT us FROM m WHERE k = 'verify') - b.us)::numeric / (:sample * :loops), 2),
			  round(((SELECT us FROM m WHERE k = 'pk') - b.us)::numeric / (:sample * :loops), 2),
			  round(((SELECT us FROM m WHERE k = 'zabbix') - b.us)::numeric / (:sample * :loops), 2),
			  round(((SELECT us FROM m WHERE k = 'untracked') - b.us)::numeric / (:sample * :loops), 2))
  FROM m b WHERE b.k = 'base';
