--
-- setup: the extension, pgcrypto (an independent implementation of
-- SHA-256 used to pin the stored format) and the roles every other test
-- uses.  Roles are cluster-wide, so leftovers of an earlier run are
-- dropped first.
--
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_alice, regress_bob, regress_admin, regress_eve;
RESET client_min_messages;

CREATE EXTENSION apitoken;
CREATE EXTENSION pgcrypto;

-- the install script creates both group roles, NOLOGIN
SELECT rolname, rolcanlogin, rolsuper
  FROM pg_roles WHERE rolname IN ('apitoken_user', 'apitoken_admin') ORDER BY 1;

CREATE ROLE regress_alice LOGIN IN ROLE apitoken_user;
CREATE ROLE regress_bob LOGIN IN ROLE apitoken_user;
CREATE ROLE regress_admin LOGIN IN ROLE apitoken_admin;
CREATE ROLE regress_eve LOGIN;

-- every user-facing object explains itself in \df+ and \d+
SELECT p.proname, pg_get_function_identity_arguments(p.oid) AS args,
       obj_description(p.oid, 'pg_proc') IS NOT NULL AS has_comment
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'apitoken'
 ORDER BY 1, 2;
SELECT c.relname, c.relkind, obj_description(c.oid, 'pg_class') IS NOT NULL AS has_comment
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'apitoken' AND c.relkind IN ('r', 'v')
 ORDER BY 1;
SELECT a.attname, col_description(a.attrelid, a.attnum) IS NOT NULL AS has_comment
  FROM pg_attribute a
 WHERE a.attrelid = 'apitoken.tokens'::regclass AND a.attnum > 0
 ORDER BY a.attnum;

-- row-level security is enabled and forced on the base table
SELECT relname, relrowsecurity, relforcerowsecurity
  FROM pg_class WHERE oid = 'apitoken.token_store'::regclass;
SELECT polname, polcmd, polpermissive FROM pg_policy
 WHERE polrelid = 'apitoken.token_store'::regclass ORDER BY 1;

-- the view runs with the invoker's rights, so RLS applies through it
SELECT reloptions FROM pg_class WHERE oid = 'apitoken.tokens'::regclass;

-- the extension's data is part of pg_dump output
SELECT unnest(extconfig)::regclass FROM pg_extension WHERE extname = 'apitoken';
