-- bench/inbackend.sql: microseconds per call inside one backend, net of
-- the loop itself; median of 3 timings each.  Prints
-- "verify pk zabbix verify_untracked" (verify with last access recorded at
-- the default interval, then with recording off).
SET jit = off;
CREATE TEMP TABLE s AS SELECT token, id, zbx FROM bench_tokens ORDER BY random() LIMIT :sample;
ANALYZE s;
SELECT count(apitoken.verify(token)) + count(pk_lookup(id)) + count(zbx_lookup(zbx)) FROM s;  -- warm-up
CREATE TEMP TABLE t AS
SELECT k, (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY x)
			 FROM (SELECT bench_time(format(q, :loops)) AS x FROM generate_series(1, 3)) z) AS us
  FROM (VALUES ('base', 'SELECT count(token) + count(id) + count(zbx) FROM s, generate_series(1, %s)'),
			   ('verify', 'SELECT count(apitoken.verify(token)) + count(id) + count(zbx) FROM s, generate_series(1, %s)'),
			   ('pk', 'SELECT count(token) + count(pk_lookup(id)) + count(zbx) FROM s, generate_series(1, %s)'),
			   ('zabbix', 'SELECT count(token) + count(id) + count(zbx_lookup(zbx)) FROM s, generate_series(1, %s)'),
			   ('untracked', 'SET apitoken.last_access_interval = -1; SELECT count(apitoken.verify(token)) + count(id) + count(zbx) FROM s, generate_series(1, %s); RESET apitoken.last_access_interval')) v(k, q);
SELECT format('%s %s %s %s',
			  round(((SELECT us FROM t WHERE k = 'verify') - b.us)::numeric / (:sample * :loops), 2),
			  round(((SELECT us FROM t WHERE k = 'pk') - b.us)::numeric / (:sample * :loops), 2),
			  round(((SELECT us FROM t WHERE k = 'zabbix') - b.us)::numeric / (:sample * :loops), 2),
			  round(((SELECT us FROM t WHERE k = 'untracked') - b.us)::numeric / (:sample * :loops), 2))
  FROM t b WHERE b.k = 'base';
