-- demo.sql: a walk through apitoken, run by scripts/demo.sh in a
-- throwaway cluster as the superuser, switching roles with SET ROLE.
\set ON_ERROR_STOP on
\pset null '(null)'
\set VERBOSITY default

\echo
\echo '== 1. Roles: alice and bob manage their own tokens, carol administers all, mallory has no grant'
CREATE EXTENSION IF NOT EXISTS apitoken;
CREATE ROLE alice LOGIN IN ROLE apitoken_user;
CREATE ROLE bob LOGIN IN ROLE apitoken_user;
CREATE ROLE carol LOGIN IN ROLE apitoken_admin;
CREATE ROLE mallory LOGIN;

\echo
\echo '== 2. alice creates a token. Its value is shown this once and stored only as a SHA-256 hash.'
SET ROLE alice;
SELECT id AS ci_id, token AS ci_token
  FROM apitoken.create('ci-deploy', description => 'deploy job', expires_at => now() + interval '90 days') \gset
\echo 'alice copies her token now:' :ci_token
SELECT count(*) AS created FROM apitoken.create('laptop');

\echo
\echo '== 3. carol (admin) creates a token for bob'
SET ROLE carol;
SELECT id AS bob_id, token AS bob_token FROM apitoken.create('reporting', owner => 'bob') \gset

\echo
\echo '== 4. Each role sees only what it may manage'
SET ROLE alice;
SELECT id, name, owner, created_by, status, expires_at::date, hint FROM apitoken.tokens ORDER BY id;
SET ROLE bob;
SELECT id, name, owner, created_by, status, hint FROM apitoken.tokens ORDER BY id;
SET ROLE carol;
SELECT id, name, owner, created_by, status, hint FROM apitoken.tokens ORDER BY id;
\echo '   (mallory, a member of neither role, may not even look: no row, no count, no plan)'
SET ROLE mallory;
\set ON_ERROR_STOP off
SELECT count(*) AS tokens_mallory_sees FROM apitoken.tokens;
\set ON_ERROR_STOP on

\echo
\echo '== 5. An application authenticates a request with one call (pass the token as a bind parameter)'
SELECT apitoken.verify(:'ci_token') AS authenticated_as;
SELECT apitoken.verify('pgat_not-a-real-token') AS garbage_gives_null;
SELECT * FROM apitoken.check(:'ci_token');

\echo
\echo '== 6. What may not be done: bob touching alice''s token, mallory managing anything, anyone changing an owner'
SET ROLE bob;
UPDATE apitoken.tokens SET enabled = false WHERE id = :ci_id;
\echo '   (UPDATE 0: alice''s row is invisible to bob)'
SELECT apitoken.disable(:ci_id) AS bob_disabled;
\set ON_ERROR_STOP off
SELECT apitoken.regenerate(:ci_id);
SET ROLE mallory;
SELECT * FROM apitoken.create('mine');
SET ROLE alice;
UPDATE apitoken.tokens SET owner = 'bob' WHERE id = :ci_id;
SELECT hash FROM apitoken.token_store;
INSERT INTO apitoken.tokens (name) VALUES ('planted');
\set ON_ERROR_STOP on

\echo
\echo '== 7. alice regenerates her token: the old value dies at commit'
SET ROLE alice;
SELECT apitoken.regenerate(:ci_id) AS new_token \gset
\echo 'new value (shown once):' :new_token
SELECT apitoken.verify(:'ci_token') AS old_value, apitoken.verify(:'new_token') AS new_value;
SELECT id, name, regenerated_at IS NOT NULL AS regenerated, last_access IS NOT NULL AS used, hint
  FROM apitoken.tokens WHERE id = :ci_id;

\echo
\echo '== 8. Disable and enable (one or many ids), then expire'
SELECT apitoken.disable(:ci_id) AS disabled;
SELECT status FROM apitoken.check(:'new_token');
SELECT apitoken.enable(VARIADIC array_agg(id)) AS enabled FROM apitoken.tokens;
UPDATE apitoken.tokens SET expires_at = now() - interval '1 second' WHERE id = :ci_id;
SELECT name, status FROM apitoken.tokens ORDER BY id;
SELECT apitoken.verify(:'new_token') AS expired_token;

\echo
\echo '== 9. A trigger that requires a valid token on every row written'
RESET ROLE;
CREATE TABLE orders (id serial PRIMARY KEY, item text, api_token text, placed_by regrole);
CREATE TRIGGER orders_auth BEFORE INSERT OR UPDATE ON orders
	FOR EACH ROW EXECUTE FUNCTION apitoken.require_token('api_token', 'placed_by');
INSERT INTO orders (item, api_token) VALUES ('coffee', :'bob_token');
SELECT * FROM orders;
\set ON_ERROR_STOP off
INSERT INTO orders (item, api_token) VALUES ('tea', 'pgat_forged');
\set ON_ERROR_STOP on

\echo
\echo '== 10. Deleting a token revokes it'
SET ROLE carol;
DELETE FROM apitoken.tokens WHERE owner = 'bob'::regrole;
SELECT apitoken.verify(:'bob_token') AS deleted_token;

\echo
\echo '== 11. Scopes and client networks: a token for one job, from one network'
SET ROLE alice;
SELECT id AS ro_id, token AS ro_token
  FROM apitoken.create('orders-reader', scopes => '{orders:read}', allowed_from => '{10.0.0.0/8}') \gset
SELECT apitoken.verify(:'ro_token', 'orders:read', '10.1.2.3') AS read_from_inside,
       apitoken.verify(:'ro_token', 'orders:write', '10.1.2.3') AS write_from_inside,
       apitoken.verify(:'ro_token', 'orders:read', '192.0.2.7') AS read_from_outside;
SELECT status FROM apitoken.check(:'ro_token', 'orders:write', '10.1.2.3');

\echo
\echo '== 12. The list screen: filter, then act on the result'
SET ROLE carol;
SELECT name, owner, status, expires_at IS NOT NULL AS expires FROM apitoken.search(name => 'O');
SELECT apitoken.disable(VARIADIC array_agg(id)) AS disabled FROM apitoken.search(owners => '{alice}', status => 'active');

\echo
\echo '== 13. The audit trail: who did what, never a secret'
SELECT token_name, owner, actor, action, details FROM apitoken.events ORDER BY id;
SET ROLE bob;
SELECT count(*) AS events_bob_sees FROM apitoken.events;

\echo
\echo '== 14. A lifetime policy (superuser, usually per database)'
RESET ROLE;
SET apitoken.max_lifetime = '30d';
SET ROLE alice;
SELECT id AS short_id FROM apitoken.create('short-lived') \gset
SELECT name, expires_at::date - now()::date AS days_to_live FROM apitoken.tokens WHERE id = :short_id;
\set ON_ERROR_STOP off
SELECT * FROM apitoken.create('forever', expires_at => 'infinity');
\set ON_ERROR_STOP on
RESET ROLE;
RESET apitoken.max_lifetime;

\echo
\echo '== 15. A token as the database identity: login() runs the transaction as its owner, RLS does the rest'
CREATE TABLE shop_orders (id serial PRIMARY KEY, owner regrole NOT NULL DEFAULT apitoken.caller(), item text);
ALTER TABLE shop_orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_orders ON shop_orders USING (owner = apitoken.caller() AND (SELECT apitoken.has_scope('orders:read')))
	WITH CHECK (owner = apitoken.caller() AND (SELECT apitoken.has_scope('orders:write')));
GRANT SELECT, INSERT ON shop_orders TO alice, bob;
GRANT USAGE ON SEQUENCE shop_orders_id_seq TO alice, bob;
INSERT INTO shop_orders (owner, item) VALUES ('alice', 'alice''s order'), ('bob', 'bob''s order');
CREATE ROLE app_gateway LOGIN NOINHERIT;
GRANT alice, bob TO app_gateway;
SELECT token AS app_token, id AS app_id FROM apitoken.create('web app', owner => 'alice', scopes => '{orders:read}') \gset
SET SESSION AUTHORIZATION app_gateway;
\echo '   (the gateway alone sees nothing; after login() it is alice, with the token''s scopes)'
BEGIN;
SELECT apitoken.login(:'app_token', 'orders:read');
SELECT current_user, apitoken.current_token() = :app_id AS is_web_app_token, apitoken.current_scopes();
SELECT item FROM shop_orders;
COMMIT;
SELECT current_user AS after_commit, apitoken.current_token();
RESET SESSION AUTHORIZATION;

\echo
\echo '== 16. Rotation with a grace period: both values work until the grace ends'
SET ROLE alice;
SELECT apitoken.regenerate(:app_id, grace => '1 hour') AS app_token_new \gset
SELECT apitoken.verify(:'app_token') AS old_value, apitoken.verify(:'app_token_new') AS new_value;
SELECT status, valid_until > now() AS until_grace_ends FROM apitoken.check(:'app_token');
RESET ROLE;

\echo
\echo '== 17. A value found in a log: anyone holding it may revoke it (mallory, who has no apitoken role)'
CREATE TABLE app_log (line text);
INSERT INTO app_log VALUES ('GET /orders Authorization: Bearer ' || :'app_token_new' || ' 200');
GRANT SELECT ON app_log TO mallory;   -- say the log leaked to mallory
SET ROLE mallory;
SELECT apitoken.revoke(t, 'found in app_log') AS revoked FROM app_log, apitoken.find_tokens(app_log.line) t;
RESET ROLE;
SELECT apitoken.verify(:'app_token') AS old_value, apitoken.verify(:'app_token_new') AS new_value;
SELECT actor, action, details FROM apitoken.events WHERE action = 'revoke';
\echo
\echo 'Demo finished.'
