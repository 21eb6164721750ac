--
-- find_tokens: every well-formed token that stands as a whole word in a
-- text, of any prefix or of one, in text order, each occurrence once;
-- anyone may call it.  Token values are random, so the output shows which
-- token was found (by name), prefixes, counts and comparisons, never a
-- value.
--
\set VERBOSITY default
DELETE FROM apitoken.token_store;

SELECT token AS a1 FROM apitoken.create('scan-a1', owner => 'regress_alice') \gset
SELECT token AS a2 FROM apitoken.create('scan-a2', owner => 'regress_alice') \gset
-- a token of another configured prefix
SET apitoken.prefix = 'ci_';
SELECT token AS c1 FROM apitoken.create('scan-c1', owner => 'regress_bob') \gset
RESET apitoken.prefix;
SELECT left(apitoken.hint(:'c1'), -4) AS c1_prefix;

-- a2 with its last (checksum) character changed, never to itself
SELECT left(:'a2', -1) || (CASE WHEN right(:'a2', 1) = '0' THEN '1' ELSE '0' END) AS a2_bad \gset

CREATE TABLE app_log (id int PRIMARY KEY, message text);
INSERT INTO app_log VALUES
	(1, 'GET /orders 200 token=' || :'a1' || ' took 3ms'),
	(2, 'Authorization: Bearer ' || :'c1'),
	(3, :'a2' || ', ' || :'a1' || ' ' || :'a1'),
	(4, 'no token here'),
	(5, 'glued: x' || :'a1' || ' ' || :'a2' || '_old pgat_' || :'c1' || ' ' || :'a1' || :'a2'),
	(6, 'broken: ' || left(:'a1', -1) || ' ' || :'a2_bad' || ' ' || upper(:'c1')),
	(7, NULL),
	(8, '{"key":"' || :'c1' || E'"}\n' || :'a2'),
	(9, repeat('all work and no play ', 50000) || :'a1');
-- row 9 is stored compressed, so find_tokens() gets a detoasted copy
SELECT pg_column_size(message) < octet_length(message) AS compressed FROM app_log WHERE id = 9;

-- which token stands where: the label of each value found, in text order
CREATE FUNCTION pg_temp.label(t apitoken.token) RETURNS text LANGUAGE sql STRICT
	RETURN CASE t::text WHEN :'a1' THEN 'a1' WHEN :'a2' THEN 'a2' WHEN :'c1' THEN 'c1' ELSE 'other' END;
SELECT l.id, count(f.t) AS found, string_agg(pg_temp.label(f.t), ' ' ORDER BY f.n) AS tokens
  FROM app_log l LEFT JOIN LATERAL apitoken.find_tokens(l.message) WITH ORDINALITY AS f(t, n) ON true
 GROUP BY l.id ORDER BY l.id;

-- in the select list too, where a text without a token adds no row
SELECT count(*) AS in_select_list FROM (SELECT apitoken.find_tokens(message) FROM app_log) s;
SELECT apitoken.find_tokens('no token here') AS none;

-- the values are apitoken.token, the same bytes as the stored tokens' text
SELECT DISTINCT pg_typeof(t) FROM app_log, apitoken.find_tokens(app_log.message) t;
SELECT count(*) AS found, count(s.id) AS stored, count(DISTINCT t::text) AS distinct_values
  FROM app_log, apitoken.find_tokens(app_log.message) t
  LEFT JOIN apitoken.token_store s ON s.hash = digest(t::text, 'sha256');
SELECT left(apitoken.hint(t), -4) AS prefix, count(*)
  FROM app_log, apitoken.find_tokens(app_log.message) t GROUP BY 1 ORDER BY 1;

-- verify(apitoken.token) takes them as they are
SELECT apitoken.verify(t) AS owner, count(*)
  FROM app_log, apitoken.find_tokens(app_log.message) t GROUP BY 1 ORDER BY 1;

-- one prefix only: exactly that prefix, not a part of it
SELECT l.id, string_agg(pg_temp.label(t), ' ') AS ci_tokens
  FROM app_log l, apitoken.find_tokens(l.message, 'ci_') t GROUP BY l.id ORDER BY l.id;
SELECT count(*) AS pgat FROM app_log, apitoken.find_tokens(app_log.message, prefix => 'pgat_');
SELECT count(*) AS part_of_prefix FROM app_log, apitoken.find_tokens(app_log.message, 'pgat');
-- NULL means any prefix
SELECT count(*) AS any_prefix FROM app_log, apitoken.find_tokens(app_log.message, NULL);

-- no text, no rows
SELECT count(*) AS null_text FROM apitoken.find_tokens(NULL);
SELECT count(*) AS null_text_prefix FROM apitoken.find_tokens(NULL, 'ci_');
SELECT count(*) AS empty_text FROM apitoken.find_tokens('');

-- an invalid prefix is an error (22023), also for a NULL text; never quoted
SELECT * FROM apitoken.find_tokens('some text', 'bad-prefix');
CREATE FUNCTION pg_temp.sqlstate(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE stmt;
	RETURN '00000';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE;
END $$;
SELECT p AS prefix, pg_temp.sqlstate(format('SELECT apitoken.find_tokens(%L, %L)', :'a1', p)) AS with_text,
       pg_temp.sqlstate(format('SELECT apitoken.find_tokens(NULL, %L)', p)) AS null_text
  FROM unnest(ARRAY['', 'pg-at_', 'pgat ', E'\u00e9', repeat('p', 33), repeat('p', 32)]) p;

-- anyone may call it: it returns only what its input holds
SELECT has_function_privilege('regress_eve', 'apitoken.find_tokens(text, text)', 'EXECUTE') AS eve_may;
SET ROLE regress_eve;
SELECT pg_temp.label(t) FROM apitoken.find_tokens('leaked: ' || :'c1') t;
RESET ROLE;

-- IMMUTABLE (it reads no table or setting), not STRICT (a NULL prefix
-- means any), PARALLEL SAFE, a set of apitoken.token
SELECT provolatile, proisstrict, proparallel, proretset, prorettype::regtype, prorows
  FROM pg_proc WHERE oid = 'apitoken.find_tokens(text, text)'::regprocedure;

-- the DBA's one-liner (README): every token found in the log is revoked,
-- verbatim as the issue wrote it (revoke() takes the apitoken.token that
-- find_tokens() returns); a second run finds them all disabled already
SELECT count(*) FILTER (WHERE r) AS revoked, count(*) FILTER (WHERE NOT r) AS not_revoked
  FROM (SELECT apitoken.revoke(t, 'found in app_log') AS r
          FROM app_log, apitoken.find_tokens(app_log.message) t) s;
SELECT count(*) FILTER (WHERE apitoken.verify(t) IS NOT NULL) AS still_valid
  FROM app_log, apitoken.find_tokens(app_log.message) t;
SELECT count(*) FILTER (WHERE r) AS revoked_again
  FROM (SELECT apitoken.revoke(t, 'found in app_log') AS r
          FROM app_log, apitoken.find_tokens(app_log.message) t) s;
SELECT count(*) AS revoke_events FROM apitoken.events
 WHERE action = 'revoke' AND details ->> 'reason' = 'found in app_log';

DROP TABLE app_log;
