--
-- errcodes: the SQLSTATE of every refusal, in one table, so that
-- applications can rely on them.  Each statement runs as the given role;
-- "echoes" says whether the error text contains the token value.
--
DELETE FROM apitoken.token_store;
SELECT id AS e1, token AS e1_tok FROM apitoken.create('e1', owner => 'regress_alice') \gset
-- the same value with its last (checksum) character changed, never to itself
SELECT left(:'e1_tok', -1) ||
	(CASE WHEN right(:'e1_tok', 1) = '0' THEN '1' ELSE '0' END) AS e1_bad \gset
SELECT id AS e2 FROM apitoken.create('e2', owner => 'regress_bob') \gset
CREATE TABLE guarded (tok text, who regrole);
CREATE TRIGGER guarded_auth BEFORE INSERT ON guarded
	FOR EACH ROW EXECUTE FUNCTION apitoken.require_token('tok', 'who');
GRANT INSERT ON guarded TO PUBLIC;

CREATE FUNCTION pg_temp.outcome(as_role text, stmt text, secret text DEFAULT NULL)
RETURNS TABLE (code text, echoes boolean)
LANGUAGE plpgsql AS $$
DECLARE
	m text; d text; h text;
BEGIN
	EXECUTE format('SET ROLE %I', as_role);
	BEGIN
		EXECUTE stmt;
		code := '00000';
		echoes := false;
	EXCEPTION WHEN OTHERS THEN
		GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, m = MESSAGE_TEXT,
			d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
		echoes := secret IS NOT NULL AND strpos(concat(m, d, h), secret) > 0;
	END;
	RESET ROLE;
	RETURN NEXT;
END $$;

SELECT case_name, o.*
  FROM (VALUES
	('malformed literal',        'regress_alice', $q$SELECT 'pgat_x'::apitoken.token$q$, NULL),
	('bad checksum',             'regress_alice', format('SELECT %L::apitoken.token', :'e1_bad'), left(:'e1_tok', 30)),
	('name too long',            'regress_alice', $q$SELECT apitoken.create(repeat('x', 65))$q$, NULL),
	('name blank',               'regress_alice', $q$SELECT apitoken.create(' ')$q$, NULL),
	('name null',                'regress_alice', $q$SELECT apitoken.create(NULL)$q$, NULL),
	('duplicate name',           'regress_alice', $q$SELECT apitoken.create('e1')$q$, NULL),
	('expiry in the past',       'regress_alice', $q$SELECT apitoken.create('p', expires_at => now() - interval '1 day')$q$, NULL),
	('unknown owner oid',        'regress_admin', $q$SELECT apitoken.create('p', owner => 4000000000::oid::regrole)$q$, NULL),
	('create for another role',  'regress_alice', $q$SELECT apitoken.create('p', owner => 'regress_bob')$q$, NULL),
	('non-member create',        'regress_eve',   $q$SELECT apitoken.create('p')$q$, NULL),
	('non-member regenerate',    'regress_eve',   format('SELECT apitoken.regenerate(%s)', :e1), NULL),
	('non-member disable',       'regress_eve',   format('SELECT apitoken.disable(%s)', :e1), NULL),
	('non-member update',        'regress_eve',   format('UPDATE apitoken.tokens SET enabled = false WHERE id = %s', :e1), NULL),
	('regenerate invisible',     'regress_alice', format('SELECT apitoken.regenerate(%s)', :e2), NULL),
	('grace not positive',       'regress_alice', format('SELECT apitoken.regenerate(%s, %L)', :e1, '0'), NULL),
	('grace beyond the cap',     'regress_alice', format('SELECT apitoken.regenerate(%s, %L)', :e1, '31 days'), NULL),
	('direct insert',            'regress_alice', $q$INSERT INTO apitoken.tokens (name) VALUES ('x')$q$, NULL),
	('owner change',             'regress_alice', format($f$UPDATE apitoken.tokens SET owner = 'regress_bob' WHERE id = %s$f$, :e1), NULL),
	('owner change, superuser',  'postgres',      format($f$UPDATE apitoken.tokens SET owner = 'regress_bob' WHERE id = %s$f$, :e1), NULL),
	('hash write',               'regress_alice', format($f$UPDATE apitoken.token_store SET hash = sha256('x') WHERE id = %s$f$, :e1), NULL),
	('hash read',                'regress_admin', 'SELECT hash FROM apitoken.token_store', NULL),
	('prefix guc as non-superuser', 'regress_alice', $q$SET apitoken.prefix = 'x_'$q$, NULL),
	('trigger, bad token',       'regress_eve',   format('INSERT INTO guarded VALUES (%L)', :'e1_bad'), left(:'e1_tok', 30)),
	('trigger, good token',      'regress_eve',   format('INSERT INTO guarded VALUES (%L)', :'e1_tok'), NULL),
	('verify garbage',           'regress_eve',   $q$SELECT apitoken.verify(repeat(chr(1), 100))$q$, NULL)
  ) AS c(case_name, as_role, stmt, secret),
  LATERAL pg_temp.outcome(c.as_role, c.stmt, c.secret) o;

SELECT count(*) AS guarded_rows, bool_and(tok IS NULL) AS token_not_kept FROM guarded;
DROP TABLE guarded;
