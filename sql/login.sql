--
-- login: a token becomes the identity of a transaction (apitoken.login()),
-- and current_token(), current_scopes(), has_scope() answer for it.
--
-- The session user is the gateway an application connects as: NOINHERIT
-- (it holds nothing itself) and granted the owner roles it may act as,
-- the way PostgREST's authenticator is set up.  PostgreSQL checks the
-- session user when the role switches, so the tests switch the session
-- user with SET SESSION AUTHORIZATION.
--
\set VERBOSITY default
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_gateway, regress_carol;
RESET client_min_messages;
CREATE ROLE regress_gateway LOGIN NOINHERIT;
CREATE ROLE regress_carol;
GRANT regress_alice, regress_bob TO regress_gateway;

SELECT token AS alice_tok, id AS alice_id FROM apitoken.create('login-all', owner => 'regress_alice') \gset
SELECT token AS alice_ro_tok, id AS alice_ro_id
  FROM apitoken.create('login-ro', owner => 'regress_alice', scopes => '{orders:read}') \gset
SELECT token AS bob_tok, id AS bob_id
  FROM apitoken.create('login-bob', owner => 'regress_bob', scopes => '{orders:read,orders:write}') \gset
SELECT token AS carol_tok FROM apitoken.create('login-carol', owner => 'regress_carol') \gset
SELECT token AS net_tok FROM apitoken.create('login-net', owner => 'regress_alice', allowed_from => '{10.0.0.0/8}') \gset
SELECT token AS off_tok FROM apitoken.create('login-off', owner => 'regress_alice', enabled => false) \gset
SELECT token AS old_tok FROM apitoken.create('login-old', owner => 'regress_bob') \gset
UPDATE apitoken.token_store SET expires_at = now() - interval '1 second' WHERE name = 'login-old';

-- the application's own table, protected by RLS on the token's identity
-- (README, "Tokens as database identities")
-- apitoken.caller(), not current_user::regrole, which parses the name as
-- an identifier and fails for names that need quoting.  USING asks for a
-- token too: the gateway may SET ROLE to an owner without one.
CREATE TABLE login_orders (id serial, owner regrole NOT NULL DEFAULT apitoken.caller(), item text);
ALTER TABLE login_orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_orders ON login_orders
	USING (owner = apitoken.caller() AND (SELECT apitoken.has_scope('orders:read')))
	WITH CHECK (owner = apitoken.caller() AND (SELECT apitoken.has_scope('orders:write')));
GRANT SELECT, INSERT ON login_orders TO regress_alice, regress_bob;
GRANT USAGE ON SEQUENCE login_orders_id_seq TO regress_alice, regress_bob;
INSERT INTO login_orders (owner, item) VALUES ('regress_alice', 'alice 1'), ('regress_bob', 'bob 1');

SET SESSION AUTHORIZATION regress_gateway;

-- the gateway itself sees nothing and has no token
SELECT current_user, apitoken.current_token(), apitoken.current_scopes(), apitoken.has_scope('orders:read');
SELECT * FROM login_orders;
\echo :LAST_ERROR_SQLSTATE

-- outside a transaction block: refused, nothing switched
SELECT apitoken.login(:'alice_tok');
\echo :LAST_ERROR_SQLSTATE
SELECT current_user, apitoken.current_token();

-- a valid token: the transaction runs as its owner until it ends
BEGIN;
SELECT apitoken.login(:'alice_tok');
SELECT current_user, session_user, apitoken.current_token() = :alice_id AS token_is_alices,
       apitoken.current_scopes(), apitoken.has_scope('orders:write'), apitoken.has_scope(NULL);
SELECT item FROM login_orders;
INSERT INTO login_orders (item) VALUES ('alice 2');
SELECT item FROM login_orders ORDER BY item;
COMMIT;
SELECT current_user, apitoken.current_token(), apitoken.has_scope('orders:write');

-- a scoped token: the policy's WITH CHECK asks has_scope()
BEGIN;
SELECT apitoken.login(:'alice_ro_tok', 'orders:read');
SELECT apitoken.current_token() = :alice_ro_id AS token_is_ro, apitoken.current_scopes(),
       apitoken.has_scope('orders:read') AS can_read, apitoken.has_scope('orders:write') AS can_write;
SELECT count(*) AS alice_rows FROM login_orders;
INSERT INTO login_orders (item) VALUES ('refused');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- a scope the token does not carry, an address outside its networks, a
-- disabled, an expired, an unknown, a malformed and a NULL token: 28000,
-- the same message for all, and the role unchanged
BEGIN;
SAVEPOINT s;
SELECT apitoken.login(:'alice_ro_tok', 'orders:write');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO s;
SELECT apitoken.login(:'net_tok', NULL, '192.0.2.1');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO s;
SELECT apitoken.login(:'off_tok');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO s;
SELECT apitoken.login(:'old_tok');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO s;
SELECT apitoken.login('pgat_' || repeat('a', 49));
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO s;
SELECT apitoken.login('not a token');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO s;
SELECT apitoken.login(NULL);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO s;
SELECT current_user, apitoken.current_token();
-- from inside its networks the address-bound token logs in
SELECT apitoken.login(:'net_tok', NULL, '10.1.2.3');
ROLLBACK;

-- a token of a role the gateway may not become: PostgreSQL's own check
-- refuses (42501), nothing switched
BEGIN;
SAVEPOINT s;
SELECT apitoken.login(:'carol_tok');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO s;
SELECT current_user, apitoken.current_token();
ROLLBACK;

-- a savepoint rolled back takes its login with it; a released one keeps it
BEGIN;
SELECT apitoken.login(:'alice_tok');
SAVEPOINT s1;
SELECT apitoken.login(:'bob_tok');
SELECT current_user, apitoken.current_token() = :bob_id AS token_is_bobs, apitoken.current_scopes();
SELECT item FROM login_orders;
ROLLBACK TO s1;
SELECT current_user, apitoken.current_token() = :alice_id AS token_is_alices;
SAVEPOINT s2;
SELECT apitoken.login(:'bob_tok');
RELEASE s2;
SELECT current_user, apitoken.current_token() = :bob_id AS token_is_bobs;
COMMIT;
SELECT current_user, apitoken.current_token();

-- a login inside a savepoint that is rolled back leaves no token
BEGIN;
SAVEPOINT s;
SELECT apitoken.login(:'alice_tok');
ROLLBACK TO s;
SELECT current_user, apitoken.current_token(), apitoken.has_scope('orders:read');
COMMIT;

-- switched away from the owner, no token answers: RESET ROLE, or SET
-- ROLE to another owner, which then sees none of its rows either: the
-- policy asks for a token
BEGIN;
SELECT apitoken.login(:'alice_tok');
RESET ROLE;
SELECT current_user, apitoken.current_token(), apitoken.current_scopes(), apitoken.has_scope('orders:read');
SET LOCAL ROLE regress_bob;
SELECT current_user, apitoken.current_token(), apitoken.has_scope('orders:read');
SELECT count(*) AS bob_rows FROM login_orders;
ROLLBACK;

-- a read-only transaction logs in like any other
BEGIN READ ONLY;
SELECT apitoken.login(:'bob_tok', 'orders:read');
SELECT current_user, apitoken.current_token() = :bob_id AS token_is_bobs;
SELECT item FROM login_orders;
COMMIT;

-- a failed login after a successful one aborts the transaction; after
-- ROLLBACK nothing is left
BEGIN;
SELECT apitoken.login(:'alice_tok');
SELECT apitoken.login('not a token');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT current_user, apitoken.current_token();

-- several statements in one query string form one (implicit) transaction
-- block: the login holds until its end
SELECT apitoken.login(:'alice_tok') \; SELECT current_user AS in_same_query, apitoken.current_token() = :alice_id AS token_is_alices;
SELECT current_user, apitoken.current_token();

-- the previous value of a token regenerated with a grace period logs in
-- as the token, with the token's scopes (not as an unrestricted one)
RESET SESSION AUTHORIZATION;
SELECT apitoken.regenerate(:alice_ro_id, '1 hour') AS alice_ro_new \gset
SET SESSION AUTHORIZATION regress_gateway;
BEGIN;
SELECT apitoken.login(:'alice_ro_tok');
SELECT apitoken.current_token() = :alice_ro_id AS token_is_ro, apitoken.current_scopes(),
       apitoken.has_scope('orders:write') AS can_write;
ROLLBACK;
BEGIN;
SELECT apitoken.login(:'alice_ro_new', 'orders:read');
SELECT apitoken.current_scopes();
ROLLBACK;
RESET SESSION AUTHORIZATION;

-- login() records last access as verify() does
SELECT last_access IS NOT NULL AS recorded FROM apitoken.tokens WHERE name = 'login-bob';

-- a superuser session may become any owner, as with SET ROLE
BEGIN;
SELECT apitoken.login(:'carol_tok');
SELECT current_user, apitoken.current_token() IS NOT NULL AS has_token;
ROLLBACK;

-- login() and the helpers are not SECURITY DEFINER and are callable by anyone
SELECT p.proname, p.prosecdef, p.provolatile, p.proparallel,
       has_function_privilege('regress_eve', p.oid, 'EXECUTE') AS eve_may
  FROM pg_proc p
 WHERE p.pronamespace = 'apitoken'::regnamespace
   AND p.proname IN ('login', 'current_token', 'current_scopes', 'has_scope')
 ORDER BY 1;

DELETE FROM apitoken.tokens WHERE name LIKE 'login-%';
DROP TABLE login_orders;
DROP ROLE regress_gateway, regress_carol;
