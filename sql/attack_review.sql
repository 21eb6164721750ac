--
-- attack_review: what the attack review of 1.1 found, one section per
-- item, each tried as the roles involved (SET ROLE), the attempts that
-- must fail included.  Items 2 (a verify() racing an UPDATE) and 6 (plans
-- and logs) need more than one session or the server log: see
-- test/isolation/specs/last_access_update.spec, lock_refused.spec and
-- test/t/004_no_secrets_in_logs.pl.
--
\set VERBOSITY default
DELETE FROM apitoken.tokens;
DELETE FROM apitoken.event_store;
-- the plan lines that tell rows apart, without the OIDs that vary by run
CREATE FUNCTION pg_temp.plan_counts(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
	l text;
BEGIN
	FOR l IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
		IF l ~ '(Scan|Rows Removed)' THEN
			-- PostgreSQL 18 shows actual rows with two decimals
			RETURN NEXT regexp_replace(l, '(actual rows=[0-9]+)\.00 ', '\1 ');
		END IF;
	END LOOP;
END
$$;
SET ROLE regress_alice;
SELECT id AS alice_id, token AS alice_tok FROM apitoken.create('alice-1') \gset
SET ROLE regress_bob;
SELECT id AS bob_id, token AS bob_tok FROM apitoken.create('bob-secret') \gset
RESET ROLE;

--
-- 1. No role but a superuser or the table owner can lock what verify()
-- reads in a mode that makes it wait.  PostgreSQL lets table-level
-- UPDATE, DELETE or TRUNCATE lock a table in any mode (INSERT: ROW
-- EXCLUSIVE; SELECT: ACCESS SHARE, neither of which blocks a reader), and
-- locking a view locks its base tables with the same check.
--
SELECT r.rolname, c.relname,
       has_table_privilege(r.oid, c.oid, 'UPDATE') AS upd,
       has_table_privilege(r.oid, c.oid, 'DELETE') AS del,
       has_table_privilege(r.oid, c.oid, 'TRUNCATE') AS trunc
  FROM pg_roles r, pg_class c
 WHERE r.rolname IN ('apitoken_user', 'apitoken_admin', 'regress_alice', 'regress_admin', 'regress_eve')
   AND c.oid IN ('apitoken.token_store'::regclass, 'apitoken.event_store'::regclass, 'apitoken.events'::regclass)
 ORDER BY 1, 2;
SET ROLE regress_alice;
BEGIN;
LOCK TABLE apitoken.token_store IN ACCESS EXCLUSIVE MODE;
ROLLBACK;
BEGIN;
LOCK TABLE apitoken.tokens IN ACCESS EXCLUSIVE MODE;
ROLLBACK;
BEGIN;
LOCK TABLE apitoken.token_store IN SHARE MODE;
ROLLBACK;
BEGIN;
LOCK TABLE apitoken.event_store IN EXCLUSIVE MODE;
ROLLBACK;
-- the modes a member may take do not conflict with verify()'s ACCESS SHARE
BEGIN;
LOCK TABLE apitoken.token_store IN ROW EXCLUSIVE MODE;
LOCK TABLE apitoken.events IN ACCESS SHARE MODE;
ROLLBACK;
SET ROLE regress_admin;
BEGIN;
LOCK TABLE apitoken.tokens IN ACCESS EXCLUSIVE MODE;
ROLLBACK;
SET ROLE regress_eve;
BEGIN;
LOCK TABLE apitoken.token_store IN ACCESS SHARE MODE;
ROLLBACK;
RESET ROLE;
-- members still delete their own tokens through the view (its INSTEAD OF
-- trigger deletes what RLS shows them), and only those; the base table
-- refuses DELETE to every member
SET ROLE regress_alice;
SELECT id AS alice_tmp FROM apitoken.create('alice-tmp') \gset
DELETE FROM apitoken.tokens WHERE id = :bob_id;
DELETE FROM apitoken.tokens WHERE id = :alice_tmp RETURNING name, owner;
DELETE FROM apitoken.token_store WHERE id = :alice_id;
SET ROLE regress_admin;
DELETE FROM apitoken.token_store WHERE id = :bob_id;
SELECT id AS bob_tmp FROM apitoken.create('bob-tmp', owner => 'regress_bob') \gset
DELETE FROM apitoken.tokens WHERE id = :bob_tmp;
RESET ROLE;
SELECT token_name, owner, actor, action FROM apitoken.events WHERE action = 'delete' ORDER BY id;

--
-- 3. Roles that are not members hold no privilege on the tables and
-- views, so EXPLAIN (ANALYZE) cannot count or find their rows; verify()
-- and check() need none.
--
SET ROLE regress_eve;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT 1 FROM apitoken.token_store WHERE owner = 'regress_bob'::regrole AND name = 'bob-secret';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT 1 FROM apitoken.tokens WHERE owner = 'regress_bob'::regrole;
EXPLAIN SELECT 1 FROM apitoken.event_store;
EXPLAIN SELECT 1 FROM apitoken.events;
SELECT apitoken.verify(:'bob_tok') AS eve_verifies, status FROM apitoken.check(:'bob_tok');
RESET ROLE;
-- between members the channel PostgreSQL documents for row-level security
-- remains, and the README says exactly what it shows: a member can learn
-- whether another role has a token of a given name (and, by ranges, its
-- name) and how many tokens a role has, never a value, a hash or any other
-- column
SET ROLE regress_alice;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SELECT * FROM pg_temp.plan_counts($$SELECT 1 FROM apitoken.token_store
  WHERE owner = 'regress_bob'::regrole AND name = 'bob-secret'$$);
SELECT * FROM pg_temp.plan_counts($$SELECT 1 FROM apitoken.token_store
  WHERE owner = 'regress_bob'::regrole AND name = 'no-such-name'$$);
RESET enable_seqscan;
RESET enable_bitmapscan;
SELECT count(*) AS alice_sees_of_bob FROM apitoken.tokens WHERE owner = 'regress_bob'::regrole;
RESET ROLE;

--
-- 4. Every user-supplied field has a limit; an audit event is bounded by
-- them; each role owns at most apitoken.max_tokens_per_owner tokens.
--
SET ROLE regress_alice;
SELECT count(*) FROM apitoken.create('long-desc', description => repeat('d', 1024));
SELECT count(*) FROM apitoken.create('too-long-desc', description => repeat('d', 1025));
UPDATE apitoken.tokens SET description = repeat('é', 1025) WHERE name = 'long-desc';
SELECT count(*) FROM apitoken.create('many-scopes',
	scopes => (SELECT array_agg('scope:' || g) FROM generate_series(1, 64) g));
SELECT count(*) FROM apitoken.create('too-many-scopes',
	scopes => (SELECT array_agg('scope:' || g) FROM generate_series(1, 65) g));
UPDATE apitoken.tokens SET scopes = (SELECT array_agg('s' || g) FROM generate_series(1, 65) g)
 WHERE name = 'long-desc';
SELECT count(*) FROM apitoken.create('many-nets',
	allowed_from => (SELECT array_agg(format('10.%s.0.0/16', g)::cidr) FROM generate_series(1, 64) g));
SELECT count(*) FROM apitoken.create('too-many-nets',
	allowed_from => (SELECT array_agg(format('10.%s.0.0/16', g)::cidr) FROM generate_series(1, 65) g));
-- the largest change a member can make: every field at its limit, then
-- changed again and deleted; each event stays under 16 kB
UPDATE apitoken.tokens
   SET name = repeat('n', 64), description = repeat('é', 1024),
       scopes = (SELECT array_agg(repeat('s', 60) || g) FROM generate_series(1000, 1063) g),
       allowed_from = (SELECT array_agg(format('10.%s.0.0/16', g)::cidr) FROM generate_series(1, 64) g)
 WHERE name = 'long-desc';
UPDATE apitoken.tokens
   SET description = repeat('è', 1024),
       scopes = (SELECT array_agg(repeat('t', 60) || g) FROM generate_series(1000, 1063) g)
 WHERE name = repeat('n', 64);
DELETE FROM apitoken.tokens WHERE name = repeat('n', 64);
RESET ROLE;
SELECT action, pg_column_size(details) < 16384 AS under_16kb FROM apitoken.events
 WHERE owner = 'regress_alice'::regrole AND action IN ('update', 'delete') ORDER BY id DESC LIMIT 3;
-- the quota: a superuser setting, counted per owner
SHOW apitoken.max_tokens_per_owner;
SET ROLE regress_alice;
SET apitoken.max_tokens_per_owner = 0;
RESET ROLE;
SET apitoken.max_tokens_per_owner = 4;
SELECT count(*) AS alice_owns FROM apitoken.tokens WHERE owner = 'regress_alice'::regrole;
SET ROLE regress_alice;
SELECT count(*) FROM apitoken.create('quota-3');
SELECT count(*) FROM apitoken.create('quota-4');
SELECT count(*) FROM apitoken.create('quota-5');
SET ROLE regress_admin;
SELECT count(*) FROM apitoken.create('quota-5', owner => 'regress_alice');
SELECT count(*) FROM apitoken.create('admin-own');
RESET ROLE;
RESET apitoken.max_tokens_per_owner;
DELETE FROM apitoken.tokens WHERE name LIKE 'quota-%' OR name LIKE 'many-%' OR name = 'admin-own';

--
-- 7. No constraint error can print a row holding a hash: NOT NULL
-- columns and names are checked before the row is formed, with one
-- definition of a blank name (Unicode white space included) in C.
--
UPDATE apitoken.tokens SET description = NULL WHERE id = :alice_id;
UPDATE apitoken.token_store SET enabled = NULL WHERE id = :alice_id;
UPDATE apitoken.token_store SET scopes = NULL WHERE id = :alice_id;
SELECT * FROM apitoken.create(E'\u3000');
SELECT * FROM apitoken.create(E'\u00a0\u2003\t');
UPDATE apitoken.tokens SET name = E'\u205f' WHERE id = :alice_id;
SELECT count(*) AS not_blank FROM apitoken.create(E'\u3000x');
-- (PostgreSQL 18 lists NOT NULL in pg_constraint too, as contype 'n':
-- the statements above show what those do)
SELECT conname, contype FROM pg_constraint WHERE conrelid = 'apitoken.token_store'::regclass
   AND contype <> 'n' ORDER BY 1;
DELETE FROM apitoken.tokens WHERE name = E'\u3000x';

--
-- 8. Nobody but a superuser issues a credential for a role with powers
-- the issuer lacks.
--
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_reader, regress_bypass, regress_creator;
RESET client_min_messages;
CREATE ROLE regress_reader IN ROLE pg_read_all_data;
CREATE ROLE regress_bypass BYPASSRLS;
CREATE ROLE regress_creator CREATEROLE;
SET ROLE regress_admin;
SELECT * FROM apitoken.create('t', owner => 'postgres');
SELECT * FROM apitoken.create('t', owner => 'pg_execute_server_program');
SELECT * FROM apitoken.create('t', owner => 'regress_reader');
SELECT * FROM apitoken.create('t', owner => 'regress_bypass');
SELECT * FROM apitoken.create('t', owner => 'regress_creator');
SELECT * FROM apitoken.create('t', owner => 'apitoken_owner');
-- a plain role is fine, and so is one of the issuer's own groups
SELECT count(*) FROM apitoken.create('t', owner => 'regress_bob');
SELECT count(*) FROM apitoken.create('t', owner => 'apitoken_admin');
RESET ROLE;
-- from 16 on a grant may convey no power (WITH INHERIT FALSE, SET FALSE):
-- an issuer that is a member of pg_read_all_data only that way is refused
DO $$
BEGIN
	IF current_setting('server_version_num')::int >= 160000 THEN
		EXECUTE 'GRANT pg_read_all_data TO regress_admin WITH INHERIT FALSE, SET FALSE';
	END IF;
END $$;
SET ROLE regress_admin;
SELECT * FROM apitoken.create('t', owner => 'regress_reader');
RESET ROLE;
DO $$
BEGIN
	IF current_setting('server_version_num')::int >= 160000 THEN
		EXECUTE 'REVOKE pg_read_all_data FROM regress_admin';
	END IF;
END $$;
-- a superuser may; regenerating that token is refused to the admin too
SELECT id AS reader_tok_id FROM apitoken.create('t', owner => 'regress_reader') \gset
SET ROLE regress_admin;
SELECT apitoken.regenerate(:reader_tok_id);
RESET ROLE;
SELECT apitoken.regenerate(:reader_tok_id) IS NOT NULL AS superuser_regenerates;
DELETE FROM apitoken.tokens WHERE name = 't';
DROP ROLE regress_reader, regress_bypass, regress_creator;

--
-- 9. A token verifies only as the role it was issued to.  The owner's
-- name is recorded with the token; a renamed owner keeps working; a role
-- that holds the OID under another name does not (a dropped owner's OID
-- handed to a new role, or a row carried raw to another cluster).
--
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_ren, regress_ren2, regress_old, regress_new, regress_grp;
RESET client_min_messages;
CREATE ROLE regress_ren;
CREATE ROLE regress_old;
SELECT token AS ren_tok FROM apitoken.create('r', owner => 'regress_ren') \gset
SELECT token AS old_tok FROM apitoken.create('o', owner => 'regress_old') \gset
SELECT token AS old_tok2 FROM apitoken.create('o2', owner => 'regress_old') \gset
SELECT name, owner, owner_name FROM apitoken.token_store WHERE name IN ('r', 'o') ORDER BY 1;
-- a rename: the token keeps working, as the renamed role
ALTER ROLE regress_ren RENAME TO regress_ren2;
SELECT apitoken.verify(:'ren_tok') AS renamed_owner;
-- after a rename, record_owner_names() records the new name (so that it
-- replicates to other clusters)
SET client_min_messages = warning;
CALL apitoken.record_owner_names();
RESET client_min_messages;
SELECT owner_name FROM apitoken.token_store WHERE name = 'r';
-- what a role that got a dropped owner's OID looks like: another name,
-- and not a member of apitoken_owner (DROP ROLE ends that membership)
REVOKE apitoken_owner FROM regress_old;
ALTER ROLE regress_old RENAME TO regress_new;
SELECT apitoken.verify(:'old_tok') IS NULL AS not_the_new_role;
SELECT token_id IS NOT NULL AS found, owner, status FROM apitoken.check(:'old_tok');
-- a membership through a group that holds the mark is not the mark
CREATE ROLE regress_grp;
SELECT count(*) FROM apitoken.create('g', owner => 'regress_grp');
GRANT regress_grp TO regress_new;
SELECT status FROM apitoken.check(:'old_tok');
REVOKE regress_grp FROM regress_new;
-- issuing a token to the new holder first disowns what the old one had
SELECT token AS new_tok FROM apitoken.create('n', owner => 'regress_new') \gset
SELECT apitoken.verify(:'new_tok') AS new_role_token, apitoken.verify(:'old_tok') IS NULL AS old_still_refused,
       apitoken.verify(:'old_tok2') IS NULL AS other_old_refused;
SELECT name, owner_name FROM apitoken.token_store WHERE owner = 'regress_new'::regrole ORDER BY 1;
SET ROLE regress_admin;
SELECT apitoken.purge_orphaned() AS purged_disowned;
RESET ROLE;
-- a row that arrived from another cluster with the OID raw (binary
-- logical replication): the OID here is alice's, the token was issued to
-- bob; alice is a member of apitoken_owner, but the row was not issued in
-- this cluster, so no rename can explain the difference
SELECT token AS moved_tok FROM apitoken.create('moved', owner => 'regress_bob') \gset
DELETE FROM apitoken.tokens WHERE name = 'moved';
INSERT INTO apitoken.token_store (owner, name, hash, hint, created_by, owner_name, issued_in)
VALUES ('regress_alice', 'moved', digest(:'moved_tok', 'sha256'), 'pgat_xxxx', 'regress_bob',
        'regress_bob', 12345);
SELECT apitoken.verify(:'moved_tok') IS NULL AS not_as_alice, owner, status FROM apitoken.check(:'moved_tok');
-- the same row issued to alice verifies: the name matches wherever it is
DELETE FROM apitoken.tokens WHERE name = 'moved';
INSERT INTO apitoken.token_store (owner, name, hash, hint, created_by, owner_name, issued_in)
VALUES ('regress_alice', 'moved', digest(:'moved_tok', 'sha256'), 'pgat_xxxx', 'regress_bob',
        'regress_alice', 12345);
SELECT apitoken.verify(:'moved_tok') AS as_alice;
-- a cluster restored from a dump (or made by pg_upgrade) that now issues
-- the tokens claims them, where the recorded name is the owner's name
-- here, so that later renames are followed here too
SET client_min_messages = warning;
CALL apitoken.record_owner_names(adopt => true);
RESET client_min_messages;
SELECT issued_in = (SELECT system_identifier FROM pg_control_system()) AS adopted
  FROM apitoken.token_store WHERE name = 'moved';
-- nobody changes the recorded name, superusers included
UPDATE apitoken.token_store SET owner_name = 'regress_bob' WHERE name = 'moved';
UPDATE apitoken.token_store SET issued_in = 1 WHERE name = 'moved';
DELETE FROM apitoken.tokens;
DROP ROLE regress_ren2, regress_new, regress_grp;

--
-- Also found: a SQL-standard function over token_store's row type made
-- ALTER TABLE ... DROP COLUMN impossible, which a later upgrade may need.
--
BEGIN;
ALTER TABLE apitoken.token_store ADD COLUMN later_column integer;
ALTER TABLE apitoken.token_store DROP COLUMN later_column;
ROLLBACK;

--
-- Found when porting to PostgreSQL 16 and later: membership that confers
-- no privileges made a role an admin.  From 16 a role can be granted
-- apitoken_admin WITH INHERIT FALSE, SET FALSE (how ADMIN OPTION is handed
-- out alone), and on any version a NOINHERIT role's grants confer nothing
-- until SET ROLE.  Such a role, given the rights to read the view some
-- other way, saw every token, and the C checks let it manage them.  Now
-- the policies and the checks ask for the privileges of the group role,
-- as the tables' grants do.  (The NOINHERIT form behaves the same on every
-- version, so one expected output holds.)
--
SELECT id AS bob_tid FROM apitoken.create('bob-secret', owner => 'regress_bob') \gset
SELECT count(*) FROM apitoken.create('alice-own', owner => 'regress_alice');
CREATE ROLE regress_helpdesk NOINHERIT;
GRANT apitoken_admin TO regress_helpdesk;
GRANT SELECT (id, name, owner) ON apitoken.token_store TO regress_helpdesk;
SET ROLE regress_helpdesk;
SELECT pg_has_role('apitoken_admin', 'MEMBER') AS member,
       pg_has_role('apitoken_admin', 'USAGE') AS has_its_privileges;
SELECT count(*) AS tokens_seen FROM apitoken.token_store;
SELECT apitoken.assert_admin();
SELECT * FROM apitoken.create('helpdesk-made', owner => 'regress_bob');
SELECT apitoken.disable(:bob_tid);
-- what the membership does give: SET ROLE, and then every right of an admin
SET ROLE apitoken_admin;
SELECT count(*) AS tokens_seen_as_admin FROM apitoken.tokens;
RESET ROLE;
REVOKE SELECT (id, name, owner) ON apitoken.token_store FROM regress_helpdesk;
DROP ROLE regress_helpdesk;
DELETE FROM apitoken.tokens;
