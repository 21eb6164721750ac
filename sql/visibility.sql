--
-- visibility: row-level security decides who sees and manages which
-- token, on every path (view, base table, functions).  Each rule is tried
-- as each role with SET ROLE, including the attempts that must fail.
--
\set VERBOSITY default
DELETE FROM apitoken.token_store;

SET ROLE regress_alice;
SELECT id AS alice_id FROM apitoken.create('alice-1') \gset
SELECT count(*) FROM apitoken.create('alice-2');
SET ROLE regress_bob;
SELECT id AS bob_id, token AS bob_tok FROM apitoken.create('bob-1') \gset
SET ROLE regress_admin;
SELECT count(*) FROM apitoken.create('admin-1');
SELECT count(*) FROM apitoken.create('bob-2', owner => 'regress_bob');
RESET ROLE;

-- each role sees exactly what it may manage
SET ROLE regress_alice;
SELECT name, owner FROM apitoken.tokens ORDER BY name;
SELECT name, owner FROM apitoken.token_store ORDER BY name;
SET ROLE regress_bob;
SELECT name, owner FROM apitoken.tokens ORDER BY name;
SET ROLE regress_admin;
SELECT name, owner FROM apitoken.tokens ORDER BY name;
SET ROLE regress_eve;
SELECT name, owner FROM apitoken.tokens ORDER BY name;
SELECT count(*) FROM apitoken.token_store;
RESET ROLE;
SELECT name, owner FROM apitoken.tokens ORDER BY name;

-- SELECT * works for members and non-members alike
SET ROLE regress_alice;
SELECT count(*) FROM (SELECT * FROM apitoken.tokens) t;
SET ROLE regress_eve;
SELECT count(*) FROM (SELECT * FROM apitoken.tokens) t;

-- nobody but a superuser reads the hash, on any path
SET ROLE regress_alice;
SELECT hash FROM apitoken.token_store;
SELECT * FROM apitoken.token_store;
SELECT count(*) FROM apitoken.token_store WHERE hash IS NOT NULL;
SET ROLE regress_admin;
SELECT hash FROM apitoken.token_store;
SET ROLE regress_eve;
SELECT hash FROM apitoken.token_store;
RESET ROLE;

-- alice cannot touch bob's tokens: not through the view, not through the
-- base table, not through the functions
SET ROLE regress_alice;
UPDATE apitoken.tokens SET enabled = false WHERE id = :bob_id;
UPDATE apitoken.token_store SET enabled = false WHERE id = :bob_id;
UPDATE apitoken.tokens SET description = 'alice was here';
DELETE FROM apitoken.tokens WHERE id = :bob_id;
DELETE FROM apitoken.token_store WHERE id = :bob_id;
SELECT apitoken.disable(:bob_id) AS disabled;
SELECT apitoken.regenerate(:bob_id);
SELECT count(*) FROM apitoken.create('sneaky', owner => 'regress_bob');
-- the same for a non-member
SET ROLE regress_eve;
UPDATE apitoken.tokens SET enabled = false WHERE id = :bob_id;
UPDATE apitoken.token_store SET enabled = false WHERE id = :bob_id;
DELETE FROM apitoken.tokens WHERE id = :bob_id;
SELECT apitoken.disable(:bob_id);
SELECT apitoken.enable(:bob_id);
SELECT apitoken.regenerate(:bob_id);
SELECT count(*) FROM apitoken.create('mine');
RESET ROLE;
SELECT name, enabled, status, description FROM apitoken.tokens ORDER BY name;
SELECT apitoken.verify(:'bob_tok') AS bob_still_valid;

-- alice manages her own: rename, disable, regenerate, delete
SET ROLE regress_alice;
UPDATE apitoken.tokens SET name = 'alice-1b' WHERE id = :alice_id;
SELECT apitoken.disable(:alice_id) AS disabled;
SELECT apitoken.regenerate(:alice_id) IS NOT NULL AS regenerated;
DELETE FROM apitoken.tokens WHERE name = 'alice-2';
SELECT name, enabled FROM apitoken.tokens ORDER BY name;

-- the admin manages everyone's
SET ROLE regress_admin;
SELECT apitoken.disable(VARIADIC array_agg(id)) AS disabled FROM apitoken.tokens;
SELECT apitoken.enable(VARIADIC array_agg(id)) AS enabled FROM apitoken.tokens;
SELECT apitoken.regenerate(:bob_id) IS NOT NULL AS regenerated;
SELECT apitoken.verify(:'bob_tok') IS NULL AS old_bob_value_refused;
UPDATE apitoken.tokens SET description = 'reviewed';
SELECT name, owner, description FROM apitoken.tokens ORDER BY name;
DELETE FROM apitoken.tokens WHERE name = 'bob-2';
RESET ROLE;

-- a role's own function or operator early on search_path cannot change
-- what the extension does.  alice shadows caller() and the bigint "=" in
-- a schema of her own, then uses the functions.
CREATE SCHEMA regress_evil AUTHORIZATION regress_alice;
SET ROLE regress_alice;
CREATE FUNCTION regress_evil.caller() RETURNS regrole LANGUAGE sql AS $$ SELECT 'regress_bob'::regrole $$;
CREATE FUNCTION regress_evil.pg_has_role(text, text) RETURNS boolean LANGUAGE sql AS $$ SELECT true $$;
CREATE FUNCTION regress_evil.eq(bigint, bigint) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
	-- would plant the hash of a value alice chose, if it ever ran while
	-- regenerate() has the guard open
	UPDATE apitoken.token_store SET hash = sha256('chosen by alice') WHERE true;
	RETURN $1 OPERATOR(pg_catalog.=) $2;
END $$;
CREATE OPERATOR regress_evil.= (FUNCTION = regress_evil.eq, LEFTARG = bigint, RIGHTARG = bigint);
SET search_path = regress_evil, pg_catalog, public;
SELECT name FROM apitoken.tokens ORDER BY name;
SELECT apitoken.regenerate(:alice_id) IS NOT NULL AS regenerated;
SELECT apitoken.regenerate(:bob_id);
SELECT apitoken.disable(:bob_id) AS disabled;
SELECT count(*) FROM apitoken.create('evil', owner => 'regress_bob');
RESET search_path;
RESET ROLE;
SELECT count(*) AS planted FROM apitoken.token_store WHERE hash = sha256('chosen by alice');
SELECT name, owner, enabled FROM apitoken.tokens ORDER BY name;
-- a SECURITY DEFINER function owned by alice runs with alice's rights:
-- bob calling it sees alice's tokens, never more, and RLS still applies
GRANT USAGE ON SCHEMA regress_evil TO regress_bob;
SET ROLE regress_alice;
CREATE FUNCTION regress_evil.alice_sees() RETURNS SETOF text LANGUAGE sql SECURITY DEFINER
	SET search_path = pg_catalog AS $$ SELECT name FROM apitoken.tokens ORDER BY name $$;
SET ROLE regress_bob;
SELECT * FROM regress_evil.alice_sees();
RESET ROLE;
DROP SCHEMA regress_evil CASCADE;
